// Fuzzes the DynamoDB-JSON parser (ParseItem, ParseItemLine, ParseValue).
//
// Whatever the input: no crash, no sanitizer report, no unbounded recursion,
// and a failure is InvalidArgument with a "$..." path. When a parse
// succeeds:
//   - simdjson's DOM parser (full validation) accepts the input as JSON
//     (after a leading BOM, which ParseItem skips), so On Demand's laziness
//     let nothing malformed through;
//   - writing the result and parsing that gives the same item, and writing is
//     a fixpoint (canonical);
//   - the binary codec round-trips it, and the hash of the re-parsed item is
//     the same;
//   - the export line of the item parses back to it.
// Any violation aborts, which libFuzzer reports with the input.
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "godwit/codec.h"
#include "godwit/item.h"
#include "godwit/json.h"

namespace {

using godwit::AttributeValue;
using godwit::Item;
using godwit::JsonParser;
using godwit::Result;
using godwit::Status;

void Check(bool ok, const char* what, std::string_view detail = {}) {
  if (ok) return;
  std::fprintf(stderr, "json_fuzz: %s\n%.*s\n", what,
               static_cast<int>(detail.size()), detail.data());
  std::abort();
}

void CheckError(const Status& s) {
  Check(s.IsInvalidArgument(), "parse error is not InvalidArgument",
        s.ToString());
  Check(!s.message().empty() && s.message()[0] == '$',
        "parse error has no path", s.message());
}

void CheckValidJson(std::string_view input) {
  // The parser skips a leading UTF-8 byte order mark; simdjson DOM does not.
  if (input.starts_with("\xEF\xBB\xBF")) input.remove_prefix(3);
  static simdjson::dom::parser* dom = new simdjson::dom::parser;
  simdjson::padded_string padded(input);
  simdjson::dom::element root;
  const simdjson::error_code e = dom->parse(padded).get(root);
  Check(e == simdjson::SUCCESS, "accepted input that is not valid JSON",
        simdjson::error_message(e));
}

void CheckItem(JsonParser& parser, const Item& item) {
  std::string json;
  godwit::WriteItemJson(item, &json);
  Result<Item> again = parser.ParseItem(json);
  Check(again.ok(), "written item does not parse", json);
  Check(*again == item, "written item parses to another item", json);
  std::string json2;
  godwit::WriteItemJson(*again, &json2);
  Check(json2 == json, "writing is not canonical", json2);

  std::string binary;
  godwit::EncodeItem(item, &binary);
  Result<Item> decoded = godwit::DecodeItem(binary);
  Check(decoded.ok(), "binary decode failed",
        decoded.ok() ? "" : decoded.status().message());
  Check(*decoded == item, "binary round trip changed the item", json);
  Check(godwit::HashItem(*again) == godwit::HashItem(item),
        "hash differs after a JSON round trip", json);

  std::string line;
  godwit::WriteItemLine(item, &line);
  Result<Item> from_line = parser.ParseItemLine(line);
  Check(from_line.ok() && *from_line == item, "item line round trip", line);
}

void CheckValue(JsonParser& parser, const AttributeValue& value) {
  std::string json;
  godwit::WriteValueJson(value, &json);
  Result<AttributeValue> again = parser.ParseValue(json);
  Check(again.ok(), "written value does not parse", json);
  Check(*again == value, "written value parses to another value", json);
  std::string binary;
  godwit::EncodeValue(value, &binary);
  Result<AttributeValue> decoded = godwit::DecodeValue(binary);
  Check(decoded.ok() && *decoded == value, "binary value round trip", json);
  Check(godwit::HashValue(*again) == godwit::HashValue(value),
        "value hash differs after a JSON round trip", json);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // One parser for the whole run, as in production (buffers are reused, so
  // state leaking from one input to the next would show).
  static JsonParser* parser = new JsonParser;
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  Result<Item> item = parser->ParseItem(input);
  if (item.ok()) {
    CheckValidJson(input);
    CheckItem(*parser, *item);
  } else {
    CheckError(item.status());
  }

  Result<Item> line = parser->ParseItemLine(input);
  if (line.ok()) {
    CheckValidJson(input);
    CheckItem(*parser, *line);
  } else {
    CheckError(line.status());
  }

  Result<AttributeValue> value = parser->ParseValue(input);
  if (value.ok()) {
    CheckValidJson(input);
    CheckValue(*parser, *value);
  } else {
    CheckError(value.status());
  }
  return 0;
}
