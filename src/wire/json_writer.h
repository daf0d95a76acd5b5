// JSON output of the DynamoDB protocol: objects and arrays built field by
// field, strings escaped, numbers, and items and values in DynamoDB JSON
// through godwit's codec (include/godwit/json.h).
//
// Usage:
//   std::string body = wire::JsonObject()
//                          .Str("TableName", name)
//                          .Item("Item", item)
//                          .Bool("ConsistentRead", true)
//                          .Done();
//
// Keys are written in the order they are added; a key added twice is
// written twice (callers do not). Done() hands the text over: the builder is
// empty afterwards. Not thread-safe (a builder is a local value).
#ifndef GODWIT_WIRE_JSON_WRITER_H_
#define GODWIT_WIRE_JSON_WRITER_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "godwit/item.h"

namespace godwit::wire {

// Appends `s` as a JSON string literal. Messages can echo request bytes, so
// invalid UTF-8 is replaced by U+FFFD: the output is always valid JSON.
// Control characters are written \u00XX, '"' and '\\' escaped.
void AppendJsonString(std::string_view s, std::string* out);
std::string JsonString(std::string_view s);

// A double as C's "%.17g" (round-trips exactly through a JSON parser).
std::string JsonNumber(double v);

class JsonArray;

class JsonObject {
 public:
  // `json` must be one JSON value.
  JsonObject& Raw(std::string_view key, std::string_view json);
  JsonObject& Str(std::string_view key, std::string_view v);
  JsonObject& Int(std::string_view key, int64_t v);
  JsonObject& Uint(std::string_view key, uint64_t v);
  JsonObject& Number(std::string_view key, double v);
  JsonObject& Bool(std::string_view key, bool v);
  // DynamoDB JSON ({"pk":{"S":"a"}} / {"S":"a"}).
  JsonObject& Item(std::string_view key, const ::godwit::Item& item);
  JsonObject& Value(std::string_view key, const AttributeValue& v);
  JsonObject& Object(std::string_view key, JsonObject o);
  JsonObject& Array(std::string_view key, JsonArray a);

  bool empty() const { return s_.empty(); }
  // The object ("{}" when empty). Leaves the builder empty.
  std::string Done();

 private:
  void Key(std::string_view key);
  std::string s_;
};

class JsonArray {
 public:
  JsonArray& Raw(std::string_view json);
  JsonArray& Str(std::string_view v);
  JsonArray& Object(JsonObject o);
  JsonArray& Item(const ::godwit::Item& item);

  size_t size() const { return n_; }
  // The array ("[]" when empty). Leaves the builder empty.
  std::string Done();

 private:
  void Next();
  std::string s_;
  size_t n_ = 0;
};

}  // namespace godwit::wire

#endif  // GODWIT_WIRE_JSON_WRITER_H_
