// JSON input of the DynamoDB protocol, on simdjson's DOM.
//
// Two ways to read, for two sides:
//   - Fields: a request's fields as the server reads them, strictly. A
//     field of the wrong JSON type is a SerializationException worded as
//     DynamoDB words it ("STRING_VALUE can not be converted to Integer");
//     JSON null is the same as absent; a missing required field is a
//     ValidationException ("Value null at 'X' failed to satisfy
//     constraint: Member must not be null").
//   - OptionalString and friends: an answer's fields as the remote client
//     reads them, leniently (endpoints differ in what they leave out; a
//     missing or mistyped field is absent).
//
// Both borrow from the parsed document: the dom::element / dom::object must
// outlive what is read from it (string_views point into the parser).
#ifndef GODWIT_WIRE_JSON_READER_H_
#define GODWIT_WIRE_JSON_READER_H_

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "godwit/item.h"
#include "godwit/json.h"
#include "godwit/status.h"

namespace godwit::wire {

namespace dom = simdjson::dom;

// SerializationException: "<JSON type> can not be converted to <want>
// (field <field>)".
Status WrongType(std::string_view field, dom::element el,
                 std::string_view want);

// `el` as an object, else WrongType(what, el, "Structure").
Result<dom::object> AsObject(dom::element el, std::string_view what);

// The fields of one request object.
class Fields {
 public:
  explicit Fields(dom::object o) : o_(o) {}

  // nullopt if absent or null.
  std::optional<dom::element> Get(std::string_view k) const;
  bool Has(std::string_view k) const { return Get(k).has_value(); }

  Result<std::optional<std::string>> Str(std::string_view k) const;
  // ValidationException if absent.
  Result<std::string> Required(std::string_view k) const;
  Result<std::optional<int64_t>> Int(std::string_view k) const;
  Result<std::optional<bool>> Bool(std::string_view k) const;
  Result<std::optional<dom::object>> Object(std::string_view k) const;
  Result<std::optional<dom::array>> List(std::string_view k) const;

 private:
  dom::object o_;
};

// A thread's DynamoDB-JSON item parser (godwit's codec keeps buffers).
JsonParser& ThreadItemParser();

// Lenient readers of answers: nullopt when absent or of another type.
std::optional<std::string_view> OptionalString(dom::element el,
                                               std::string_view field);
std::optional<int64_t> OptionalInt(dom::element el, std::string_view field);
std::optional<uint64_t> OptionalUint(dom::element el, std::string_view field);
std::optional<double> OptionalDouble(dom::element el, std::string_view field);
std::optional<bool> OptionalBool(dom::element el, std::string_view field);

}  // namespace godwit::wire

#endif  // GODWIT_WIRE_JSON_READER_H_
