#include "wire/json_reader.h"

#include "godwit/json.h"
#include "wire/errors.h"

namespace godwit::wire {
namespace {

std::string_view TypeName(dom::element_type t) {
  switch (t) {
    case dom::element_type::ARRAY:
      return "Start of list";
    case dom::element_type::OBJECT:
      return "Start of structure or map";
    case dom::element_type::STRING:
      return "STRING_VALUE";
    case dom::element_type::BOOL:
      return "BOOLEAN_VALUE";
    case dom::element_type::NULL_VALUE:
      return "NULL_VALUE";
    default:
      return "NUMBER_VALUE";
  }
}

std::optional<dom::element> Member(dom::element el, std::string_view field) {
  dom::object o;
  dom::element v;
  if (el.get_object().get(o) != simdjson::SUCCESS ||
      o.at_key(field).get(v) != simdjson::SUCCESS) {
    return std::nullopt;
  }
  return v;
}

}  // namespace

Status WrongType(std::string_view field, dom::element el,
                 std::string_view want) {
  return Serialization(std::string(TypeName(el.type())) +
                       " can not be converted to " + std::string(want) +
                       " (field " + std::string(field) + ")");
}

Result<dom::object> AsObject(dom::element el, std::string_view what) {
  dom::object o;
  if (el.get_object().get(o) != simdjson::SUCCESS) {
    return WrongType(what, el, "Structure");
  }
  return o;
}

// ---- Fields
// ------------------------------------------------------------------

std::optional<dom::element> Fields::Get(std::string_view k) const {
  dom::element el;
  if (o_.at_key(k).get(el) != simdjson::SUCCESS) return std::nullopt;
  if (el.type() == dom::element_type::NULL_VALUE) return std::nullopt;
  return el;
}

Result<std::optional<std::string>> Fields::Str(std::string_view k) const {
  auto el = Get(k);
  if (!el) return std::optional<std::string>();
  std::string_view v;
  if (el->get_string().get(v) != simdjson::SUCCESS) {
    return WrongType(k, *el, "String");
  }
  return std::optional<std::string>(std::string(v));
}

Result<std::string> Fields::Required(std::string_view k) const {
  ASSIGN_OR_RETURN(std::optional<std::string> v, Str(k));
  if (!v) {
    return Validation("1 validation error detected: Value null at '" +
                      std::string(k) +
                      "' failed to satisfy constraint: Member must not be "
                      "null");
  }
  return *v;
}

Result<std::optional<int64_t>> Fields::Int(std::string_view k) const {
  auto el = Get(k);
  if (!el) return std::optional<int64_t>();
  int64_t v;
  if (el->get_int64().get(v) != simdjson::SUCCESS) {
    return WrongType(k, *el, "Integer");
  }
  return std::optional<int64_t>(v);
}

Result<std::optional<bool>> Fields::Bool(std::string_view k) const {
  auto el = Get(k);
  if (!el) return std::optional<bool>();
  bool v;
  if (el->get_bool().get(v) != simdjson::SUCCESS) {
    return WrongType(k, *el, "Boolean");
  }
  return std::optional<bool>(v);
}

Result<std::optional<dom::object>> Fields::Object(std::string_view k) const {
  auto el = Get(k);
  if (!el) return std::optional<dom::object>();
  dom::object v;
  if (el->get_object().get(v) != simdjson::SUCCESS) {
    return WrongType(k, *el, "Structure");
  }
  return std::optional<dom::object>(v);
}

Result<std::optional<dom::array>> Fields::List(std::string_view k) const {
  auto el = Get(k);
  if (!el) return std::optional<dom::array>();
  dom::array v;
  if (el->get_array().get(v) != simdjson::SUCCESS) {
    return WrongType(k, *el, "List");
  }
  return std::optional<dom::array>(v);
}

JsonParser& ThreadItemParser() {
  thread_local JsonParser parser;
  return parser;
}

// ---- lenient readers
// ---------------------------------------------------------

std::optional<std::string_view> OptionalString(dom::element el,
                                               std::string_view field) {
  auto m = Member(el, field);
  std::string_view v;
  if (!m || m->get_string().get(v) != simdjson::SUCCESS) return std::nullopt;
  return v;
}

std::optional<int64_t> OptionalInt(dom::element el, std::string_view field) {
  auto m = Member(el, field);
  int64_t v;
  if (!m || m->get_int64().get(v) != simdjson::SUCCESS) return std::nullopt;
  return v;
}

std::optional<uint64_t> OptionalUint(dom::element el, std::string_view field) {
  auto m = Member(el, field);
  uint64_t v;
  if (!m || m->get_uint64().get(v) != simdjson::SUCCESS) return std::nullopt;
  return v;
}

std::optional<double> OptionalDouble(dom::element el, std::string_view field) {
  auto m = Member(el, field);
  double v;
  if (!m || m->get_double().get(v) != simdjson::SUCCESS) return std::nullopt;
  return v;
}

std::optional<bool> OptionalBool(dom::element el, std::string_view field) {
  auto m = Member(el, field);
  bool v;
  if (!m || m->get_bool().get(v) != simdjson::SUCCESS) return std::nullopt;
  return v;
}

}  // namespace godwit::wire
