// The DynamoDB-JSON codec: a parser on simdjson On Demand (json_parser.cc)
// and a writer (here).
//
// Grammar (see include/godwit/json.h):
//   item   := {"name": value, ...}
//   value  := {"S": string} | {"N": string} | {"B": base64} | {"BOOL": bool}
//           | {"NULL": true} | {"M": item} | {"L": [value, ...]}
//           | {"SS": [string, ...]} | {"NS": [string, ...]}
//           | {"BS": [base64, ...]}
//   line   := {"Item": item}
//
// Parsing
//   - The input is copied into a padded buffer owned by the parser (simdjson
//     reads up to SIMDJSON_PADDING bytes past the end), so any string_view is
//     accepted. The copy costs well under 1% of a parse (see
//     bench/micro/json_bench.cc).
//   - simdjson validates UTF-8 and unescapes strings (\uXXXX surrogate pairs
//     are combined; a lone or reversed surrogate is an error). "\u0000" is a
//     NUL byte inside the string.
//   - Every JSON value is consumed, so On Demand's laziness never skips an
//     unvalidated part of the input; trailing content is an error.
//   - Nesting, as ValidateItem counts it: a top-level attribute's value is at
//     depth 1, an element of an M or L at depth d is at depth d + 1, and every
//     value must be at depth <= kMaxNestingDepth (32); so a scalar sits inside
//     at most 31 M/L values. The depth of a value is checked before it is
//     parsed, so recursion is bounded whatever the input.
//   - Duplicate attribute names (in an item or an M) and duplicate set members
//     are errors, not "last one wins". A name over kMaxAttributeNameSize
//     bytes ("less than 64 KB", as DynamoDB) is an error at its path.
//
// Errors are InvalidArgument "<path>: <reason>". The path is JSONPath-like:
// "$" is the parsed document, ".name" an attribute or key whose name is
// non-empty, at most 256 bytes and only [A-Za-z0-9_-], otherwise ["name"]
// with the name escaped as a JSON string (UTF-8 passed through, as in the
// writer; cut after 256 bytes with "..."), e.g. $["a.b"], $[""]; and [i] an
// element of an L or a set. Type keys are part of the path:
// $.order.M.lines.L[2].M.qty.N. For an item line the path starts at the line:
// $.Item.price.N. Malformed JSON reports "malformed JSON at byte <offset>:
// <simdjson's error text>" (or "at end of input", or no position when none is
// known), at the path being parsed when the error was found; offsets count
// from the start of the caller's input (a skipped BOM included).
//
// Not DynamoDB-JSON, but accepted: a leading UTF-8 byte order mark (skipped;
// RFC 8259 allows a parser to ignore it).
//
// Writing
//   - Compact, canonical: attribute names in the (sorted) in-memory order,
//     set members in canonical order, numbers in canonical text, base64 with
//     padding. write(parse(x)) is therefore the same for every spelling x of
//     one item.
//   - Strings: '"' and '\\' are escaped, control characters U+0000..U+001F as
//     \b \f \n \r \t or \u00XX. Everything else passes through as bytes,
//     including DEL (0x7F) and U+2028/U+2029 (valid in JSON, RFC 8259; only
//     JavaScript source before ES2019 minds them).
//   - WARNING: strings are not re-validated when written. An S value or name
//     holding invalid UTF-8 (which no parse produces, but a caller could build)
//     is written as is, and that output will not parse: it fails loudly rather
//     than being silently altered.
//
// Base64 (RFC 4648 section 4, standard alphabet, with padding) is strict:
// the length must be a multiple of 4, only A-Z a-z 0-9 + / are allowed, '='
// only as one or two final characters, no whitespace or line breaks, and the
// unused low bits of the last character must be zero. So every byte string
// has exactly one accepted spelling.
#include "godwit/json.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "godwit/item.h"
#include "godwit/status.h"
#include "item/json_internal.h"

namespace godwit {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

// ---------------------------------------------------------------------------
// String escaping.

// For each byte: 0 to copy it, otherwise the character after the backslash
// ('u' for \u00XX).
constexpr std::array<char, 256> MakeEscapeTable() {
  std::array<char, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[c] = 'u';
  t['\b'] = 'b';
  t['\f'] = 'f';
  t['\n'] = 'n';
  t['\r'] = 'r';
  t['\t'] = 't';
  t['"'] = '"';
  t['\\'] = '\\';
  return t;
}
constexpr std::array<char, 256> kEscape = MakeEscapeTable();

// True if any byte of the 8-byte word `w` needs escaping: < 0x20, '"' or '\\'.
inline bool WordNeedsEscape(uint64_t w) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  const uint64_t quote = w ^ (kOnes * '"');
  const uint64_t backslash = w ^ (kOnes * '\\');
  // Exact zero-byte / less-than tests (no false positives from borrows,
  // because the high bit of w is masked out by ~w).
  const uint64_t lt20 = (w - kOnes * 0x20) & ~w;
  const uint64_t z1 = (quote - kOnes) & ~quote;
  const uint64_t z2 = (backslash - kOnes) & ~backslash;
  return ((lt20 | z1 | z2) & kHigh) != 0;
}

// Appends s as a JSON string literal, quotes included.
void AppendJsonString(std::string_view s, std::string* out) {
  const char* p = s.data();
  const char* const end = p + s.size();
  const char* run = p;  // start of bytes not yet appended
  out->push_back('"');
  while (p < end) {
    if (end - p >= 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      if (!WordNeedsEscape(w)) {
        p += 8;
        continue;
      }
    }
    const unsigned char c = static_cast<unsigned char>(*p);
    const char e = kEscape[c];
    if (e == 0) {
      ++p;
      continue;
    }
    out->append(run, p - run);
    if (e == 'u') {
      const char u[6] = {
          '\\', 'u', '0', '0', kHexDigits[c >> 4], kHexDigits[c & 15]};
      out->append(u, 6);
    } else {
      const char two[2] = {'\\', e};
      out->append(two, 2);
    }
    ++p;
    run = p;
  }
  out->append(run, end - run);
  out->push_back('"');
}

// ---------------------------------------------------------------------------
// Base64.

constexpr char kBase64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// 0..63 for alphabet characters, 0xFF otherwise.
constexpr std::array<uint8_t, 256> MakeBase64DecodeTable() {
  std::array<uint8_t, 256> t{};
  for (auto& v : t) v = 0xFF;
  for (int i = 0; i < 64; ++i) {
    t[static_cast<unsigned char>(kBase64Alphabet[i])] = static_cast<uint8_t>(i);
  }
  return t;
}
constexpr std::array<uint8_t, 256> kBase64Decode = MakeBase64DecodeTable();

std::string DescribeByte(unsigned char c) {
  if (c >= 0x21 && c < 0x7F)
    return std::string("'") + static_cast<char>(c) + "'";
  return std::string("byte 0x") + kHexDigits[c >> 4] + kHexDigits[c & 15];
}

}  // namespace

namespace json_internal {

// Decodes strict base64 (see the top of the file), appending to *out. On
// failure sets *reason and returns false.
bool DecodeBase64(std::string_view text, std::string* out,
                  std::string* reason) {
  const size_t n = text.size();
  if (n % 4 != 0) {
    *reason = "invalid base64: length " + std::to_string(n) +
              " is not a multiple of 4";
    return false;
  }
  if (n == 0) return true;
  size_t pad = 0;
  if (text[n - 1] == '=') pad = text[n - 2] == '=' ? 2 : 1;
  const size_t data_chars = n - pad;
  const unsigned char* s = reinterpret_cast<const unsigned char*>(text.data());
  auto bad_char = [&](size_t i) {
    if (s[i] == '=') {
      *reason = "invalid base64: misplaced '=' at offset " + std::to_string(i);
    } else {
      *reason = "invalid base64: " + DescribeByte(s[i]) + " at offset " +
                std::to_string(i);
    }
    return false;
  };
  const size_t old = out->size();
  out->resize(old + data_chars / 4 * 3 + (pad == 0 ? 0 : 3 - pad));
  char* d = out->data() + old;
  const size_t full = pad == 0 ? n : n - 4;  // chars in complete quads
  for (size_t i = 0; i < full; i += 4) {
    const uint32_t a = kBase64Decode[s[i]];
    const uint32_t b = kBase64Decode[s[i + 1]];
    const uint32_t c = kBase64Decode[s[i + 2]];
    const uint32_t e = kBase64Decode[s[i + 3]];
    if ((a | b | c | e) & 0x80) {
      out->resize(old);
      for (size_t j = i;; ++j) {
        if (kBase64Decode[s[j]] == 0xFF) return bad_char(j);
      }
    }
    const uint32_t v = (a << 18) | (b << 12) | (c << 6) | e;
    *d++ = static_cast<char>(v >> 16);
    *d++ = static_cast<char>((v >> 8) & 0xFF);
    *d++ = static_cast<char>(v & 0xFF);
  }
  if (pad != 0) {
    const size_t i = n - 4;
    for (size_t j = i; j < data_chars; ++j) {
      if (kBase64Decode[s[j]] == 0xFF) {
        out->resize(old);
        return bad_char(j);
      }
    }
    const uint32_t a = kBase64Decode[s[i]];
    const uint32_t b = kBase64Decode[s[i + 1]];
    if (pad == 2) {
      if (b & 0x0F) {
        out->resize(old);
        *reason = "invalid base64: non-zero bits after the last byte";
        return false;
      }
      *d++ = static_cast<char>((a << 2) | (b >> 4));
    } else {
      const uint32_t c = kBase64Decode[s[i + 2]];
      if (c & 0x03) {
        out->resize(old);
        *reason = "invalid base64: non-zero bits after the last byte";
        return false;
      }
      const uint32_t v = (a << 10) | (b << 4) | (c >> 2);
      *d++ = static_cast<char>(v >> 8);
      *d++ = static_cast<char>(v & 0xFF);
    }
  }
  return true;
}

}  // namespace json_internal

// ---------------------------------------------------------------------------
// The writer.

namespace {

void AppendMap(const AttributeMap& map, std::string* out);

void AppendValue(const AttributeValue& v, std::string* out) {
  switch (v.type()) {
    case AttrType::kS:
      out->append(R"({"S":)");
      AppendJsonString(v.s(), out);
      out->push_back('}');
      return;
    case AttrType::kN:
      // Canonical number text is [-0-9.]: nothing to escape.
      out->append(R"({"N":")");
      out->append(v.n().text());
      out->append(R"("})");
      return;
    case AttrType::kB:
      out->append(R"({"B":")");
      Base64Encode(v.b(), out);
      out->append(R"("})");
      return;
    case AttrType::kBool:
      out->append(v.boolean() ? R"({"BOOL":true})" : R"({"BOOL":false})");
      return;
    case AttrType::kNull:
      out->append(R"({"NULL":true})");
      return;
    case AttrType::kM:
      out->append(R"({"M":)");
      AppendMap(v.m(), out);
      out->push_back('}');
      return;
    case AttrType::kL: {
      out->append(R"({"L":[)");
      bool first = true;
      for (const AttributeValue& e : v.l()) {
        if (!first) out->push_back(',');
        first = false;
        AppendValue(e, out);
      }
      out->append("]}");
      return;
    }
    case AttrType::kSS:
    case AttrType::kBS: {
      const bool binary = v.type() == AttrType::kBS;
      out->append(binary ? R"({"BS":[)" : R"({"SS":[)");
      bool first = true;
      for (const std::string& m : binary ? v.bs() : v.ss()) {
        if (!first) out->push_back(',');
        first = false;
        if (binary) {
          out->push_back('"');
          Base64Encode(m, out);
          out->push_back('"');
        } else {
          AppendJsonString(m, out);
        }
      }
      out->append("]}");
      return;
    }
    case AttrType::kNS: {
      out->append(R"({"NS":[)");
      bool first = true;
      for (const Number& n : v.ns()) {
        if (!first) out->push_back(',');
        first = false;
        out->push_back('"');
        out->append(n.text());
        out->push_back('"');
      }
      out->append("]}");
      return;
    }
  }
}

void AppendMap(const AttributeMap& map, std::string* out) {
  out->push_back('{');
  bool first = true;
  for (const auto& [name, value] : map) {
    if (!first) out->push_back(',');
    first = false;
    AppendJsonString(name, out);
    out->push_back(':');
    AppendValue(value, out);
  }
  out->push_back('}');
}

}  // namespace

void AppendJsonQuoted(std::string_view s, std::string* out) {
  AppendJsonString(s, out);
}

std::string JsonQuoted(std::string_view s) {
  std::string out;
  AppendJsonString(s, &out);
  return out;
}

void WriteItemJson(const Item& item, std::string* out) { AppendMap(item, out); }

void WriteItemLine(const Item& item, std::string* out) {
  out->append(R"({"Item":)");
  AppendMap(item, out);
  out->push_back('}');
}

void WriteValueJson(const AttributeValue& v, std::string* out) {
  AppendValue(v, out);
}

std::string ItemToJson(const Item& item) {
  std::string out;
  AppendMap(item, &out);
  return out;
}

void Base64Encode(std::string_view bytes, std::string* out) {
  const size_t n = bytes.size();
  const size_t old = out->size();
  out->resize(old + (n + 2) / 3 * 4);
  char* d = out->data() + old;
  const unsigned char* s = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    const uint32_t v =
        (uint32_t{s[i]} << 16) | (uint32_t{s[i + 1]} << 8) | s[i + 2];
    *d++ = kBase64Alphabet[v >> 18];
    *d++ = kBase64Alphabet[(v >> 12) & 63];
    *d++ = kBase64Alphabet[(v >> 6) & 63];
    *d++ = kBase64Alphabet[v & 63];
  }
  if (n - i == 1) {
    const uint32_t v = uint32_t{s[i]} << 16;
    *d++ = kBase64Alphabet[v >> 18];
    *d++ = kBase64Alphabet[(v >> 12) & 63];
    *d++ = '=';
    *d++ = '=';
  } else if (n - i == 2) {
    const uint32_t v = (uint32_t{s[i]} << 16) | (uint32_t{s[i + 1]} << 8);
    *d++ = kBase64Alphabet[v >> 18];
    *d++ = kBase64Alphabet[(v >> 12) & 63];
    *d++ = kBase64Alphabet[(v >> 6) & 63];
    *d++ = '=';
  }
}

Result<std::string> Base64Decode(std::string_view text) {
  std::string out;
  std::string reason;
  if (!json_internal::DecodeBase64(text, &out, &reason)) {
    return Status::InvalidArgument(std::move(reason));
  }
  return out;
}

}  // namespace godwit
