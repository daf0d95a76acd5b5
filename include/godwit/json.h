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
//
// Writing produces compact JSON (no spaces), names in canonical (sorted)
// order, strings escaped per RFC 8259 (control characters as \u00XX, '"' and
// '\\' escaped, all other UTF-8 passed through), binary as standard base64
// with padding.
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
void WriteItemLine(const Item& item, std::string* out);  // {"Item":{...}}
void WriteValueJson(const AttributeValue& v, std::string* out);

// Convenience: return a new string.
std::string ItemToJson(const Item& item);

// Standard base64 (RFC 4648, with padding).
void Base64Encode(std::string_view bytes, std::string* out);
// Errors: InvalidArgument on a character outside the alphabet or bad padding.
Result<std::string> Base64Decode(std::string_view text);

}  // namespace godwit

#endif  // GODWIT_JSON_H_
