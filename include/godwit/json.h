// The DynamoDB-JSON codec: the wire and export format of items.
//
//   item   := {"name": value, ...}
//   value  := {"S": string} | {"N": string} | {"B": base64} | {"BOOL": bool}
//           | {"NULL": true} | {"M": item} | {"L": [value, ...]}
//           | {"SS": [string, ...]} | {"NS": [string, ...]}
//           | {"BS": [base64, ...]}
//   line   := {"Item": item}        (AWS export to S3, godwit import/export)
//
// Parsing uses simdjson On Demand; a JsonParser owns reusable buffers, so keep
// one per thread. Every error is InvalidArgument with the JSON path of the
// offending value, e.g. "$.tags.SS[2]: duplicate set member" or
// "$.price.N: not a number: \"1.2.3\"".
//   - Paths: ".name" for names of only [A-Za-z0-9_-] (at most 256 bytes),
//     otherwise ["name"] escaped as a JSON string ($["a.b"], $[""]); [i] for
//     list and set elements; type keys are part of the path ($.m.M.x.L[0].N).
//     For ParseItemLine the path starts at the line: $.Item.price.N.
//   - Malformed JSON: "malformed JSON at byte <offset>: <simdjson's text>".
//   - Rejected: duplicate attribute names, duplicate set members, empty sets,
//     a value object with other than exactly one type key, {"NULL": false},
//     invalid UTF-8, lone or reversed \u surrogates, trailing content, values
//     nested deeper than kMaxNestingDepth (a top-level value is at depth 1, as
//     in ValidateItem), and non-strict base64 (see Base64Decode).
//   - A leading UTF-8 byte order mark is skipped.
//
// Writing produces compact JSON (no spaces), names in canonical (sorted)
// order, strings escaped per RFC 8259 (control characters as \b \f \n \r \t
// or \u00XX, '"' and '\\' escaped, all other UTF-8 passed through, DEL and
// U+2028/U+2029 included), binary as standard base64 with padding. So
// write(parse(x)) is the same text for every spelling x of an item.
// WARNING: strings are not re-validated when written: an S value or name
// holding invalid UTF-8 (never produced by parsing) is written as is, and the
// output then fails to parse.
#ifndef GODWIT_JSON_H_
#define GODWIT_JSON_H_

#include <memory>
#include <string>
#include <string_view>

#include "godwit/item.h"
#include "godwit/status.h"

namespace godwit {

class JsonParser {
 public:
  JsonParser();
  ~JsonParser();
  JsonParser(const JsonParser&) = delete;
  JsonParser& operator=(const JsonParser&) = delete;

  // `json` is an item object: {"pk": {"S": "a"}, ...}.
  Result<Item> ParseItem(std::string_view json);
  // `json` is an export line: {"Item": {...}} (whitespace around allowed).
  Result<Item> ParseItemLine(std::string_view json);
  // `json` is one typed value: {"S": "a"}.
  Result<AttributeValue> ParseValue(std::string_view json);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Append the JSON to *out.
void WriteItemJson(const Item& item, std::string* out);
// {"Item":{...}}, without a line break.
void WriteItemLine(const Item& item, std::string* out);
void WriteValueJson(const AttributeValue& v, std::string* out);

// Convenience: return a new string.
std::string ItemToJson(const Item& item);

// A JSON string literal of `s` (quotes included), escaped as the writer
// escapes strings. For reports that print names and messages as JSON.
void AppendJsonQuoted(std::string_view s, std::string* out);
std::string JsonQuoted(std::string_view s);

// Standard base64 (RFC 4648, with padding).
void Base64Encode(std::string_view bytes, std::string* out);
// Strict: the length is a multiple of 4, only A-Z a-z 0-9 + / and one or two
// final '=', no whitespace, and the unused bits of the last character are
// zero, so every byte string has exactly one accepted spelling.
// Errors: InvalidArgument "invalid base64: ..." on a character outside the
// alphabet, bad length or padding, or non-zero trailing bits.
Result<std::string> Base64Decode(std::string_view text);

}  // namespace godwit

#endif  // GODWIT_JSON_H_
