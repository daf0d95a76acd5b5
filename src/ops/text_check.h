// Data-quality checks of one string value: what makes two keys that look
// the same differ, or a key that looks right fail to match.
//
// Unicode properties and normalisation come from utf8proc (Debian's
// libutf8proc, Unicode 15 tables): the general category of each code point
// (Zs/Cc/Cf) and NFC, so that godwit does not carry Unicode tables of its
// own.
#ifndef GODWIT_OPS_TEXT_CHECK_H_
#define GODWIT_OPS_TEXT_CHECK_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace godwit::ops {

// What can be wrong with a string; a bit set.
enum TextIssue : uint32_t {
  kNoIssue = 0,
  // White space at the start or the end (any Unicode space separator, tab,
  // line breaks, U+0085, U+2028, U+2029).
  kEdgeWhitespace = 1u << 0,
  // A control character (general category Cc: U+0000-U+001F, U+007F-U+009F)
  // anywhere, tab and line breaks included.
  kControl = 1u << 1,
  // An invisible formatting character (general category Cf): zero-width
  // space U+200B, zero-width (non-)joiner U+200C/U+200D, word joiner
  // U+2060, byte order mark U+FEFF, soft hyphen U+00AD, the bidirectional
  // marks and embeddings (U+200E, U+200F, U+202A-U+202E, U+2066-U+2069), ...
  kInvisible = 1u << 2,
  // Not in Unicode Normalization Form C: the same text can be spelled with
  // other code points ("e" + U+0301 vs "é" U+00E9), and a key written one
  // way is not found the other way.
  kNotNfc = 1u << 3,
  // Not valid UTF-8 (DynamoDB refuses it; godwit's parser does too).
  kInvalidUtf8 = 1u << 4,
};
inline constexpr int kTextIssueKinds = 5;

// "edge_whitespace", "control", "invisible", "not_nfc", "invalid_utf8";
// `bit` is one TextIssue.
std::string_view TextIssueName(uint32_t bit);
// A sentence for people: "leading or trailing white space", ...
std::string_view TextIssueText(uint32_t bit);

// The issues of `s` (a TextIssue bit set). ASCII-only strings are checked
// without utf8proc.
uint32_t CheckText(std::string_view s);

// The NFC form of `s`; nullopt if `s` is not valid UTF-8.
std::optional<std::string> NfcOf(std::string_view s);

// `s` for a report: JSON-escaped, and every Cc/Cf code point, and space at
// either end, shown as <U+XXXX> so that it can be seen; at most `max_bytes`
// of input (then "...").
std::string ShowText(std::string_view s, size_t max_bytes = 80);

}  // namespace godwit::ops

#endif  // GODWIT_OPS_TEXT_CHECK_H_
