#include "server/request.h"

#include "godwit/json.h"
#include "wire/errors.h"

namespace godwit::server {

using wire::Validation;
using wire::WrongType;

Result<Item> ParseItemElement(dom::element el, std::string_view what) {
  if (el.type() != dom::element_type::OBJECT) {
    return WrongType(what, el, "Map");
  }
  Result<Item> item = wire::ThreadItemParser().ParseItem(simdjson::minify(el));
  if (!item.ok()) {
    return Validation(
        "One or more parameter values were invalid: " + std::string(what) +
        ": " + std::string(item.status().message()));
  }
  return item;
}

Result<Key> ParseKeyElement(dom::element el, const KeySchema& schema) {
  ASSIGN_OR_RETURN(Item k, ParseItemElement(el, "Key"));
  Result<Key> key = ExtractKey(k, schema);
  if (!key.ok() || k.size() != (schema.range ? 2u : 1u)) {
    return Validation("The provided key element does not match the schema");
  }
  return key;
}

Result<Key> RequiredKey(const Fields& f, const KeySchema& schema) {
  auto el = f.Get("Key");
  if (!el) {
    return Validation(
        "1 validation error detected: Value null at 'key' failed to satisfy "
        "constraint: Member must not be null");
  }
  return ParseKeyElement(*el, schema);
}

Result<ExpressionContext> BuildContext(const Fields& f) {
  std::optional<ExpressionContext::NameMap> names;
  std::optional<ExpressionContext::ValueMap> values;
  ASSIGN_OR_RETURN(auto n, f.Object("ExpressionAttributeNames"));
  if (n) {
    names.emplace();
    for (auto [k, v] : *n) {
      std::string_view s;
      if (v.get_string().get(s) != simdjson::SUCCESS) {
        return WrongType("ExpressionAttributeNames", v, "String");
      }
      (*names)[std::string(k)] = std::string(s);
    }
  }
  ASSIGN_OR_RETURN(auto vals, f.Object("ExpressionAttributeValues"));
  if (vals) {
    values.emplace();
    for (auto [k, v] : *vals) {
      if (v.type() != dom::element_type::OBJECT) {
        return WrongType("ExpressionAttributeValues", v, "AttributeValue");
      }
      Result<AttributeValue> av =
          wire::ThreadItemParser().ParseValue(simdjson::minify(v));
      if (!av.ok()) {
        return Validation("ExpressionAttributeValues contains invalid value: " +
                          std::string(av.status().message()) + " for key " +
                          std::string(k));
      }
      (*values)[std::string(k)] = *std::move(av);
    }
  }
  ExpressionContext ctx(std::move(names), std::move(values));
  RETURN_IF_ERROR(ctx.Validate());
  return ctx;
}

Status RejectLegacy(const Fields& f,
                    std::initializer_list<std::string_view> names) {
  for (std::string_view n : names) {
    if (f.Has(n)) {
      return Validation("godwit serve does not support the legacy parameter " +
                        std::string(n) + "; use expressions");
    }
  }
  return Status::OK();
}

Result<ParsedCondition> OptionalCondition(const Fields& f,
                                          std::string_view field,
                                          const ExpressionContext& ctx,
                                          ExpressionKind kind) {
  ASSIGN_OR_RETURN(auto e, f.Str(field));
  if (!e) return ParsedCondition();
  return ParseCondition(*e, ctx, kind);
}

Result<std::optional<ParsedProjection>> OptionalProjection(
    const Fields& f, const ExpressionContext& ctx) {
  ASSIGN_OR_RETURN(auto e, f.Str("ProjectionExpression"));
  if (!e) return std::optional<ParsedProjection>();
  ASSIGN_OR_RETURN(ParsedProjection p, ParseProjection(*e, ctx));
  return std::optional<ParsedProjection>(std::move(p));
}

Status CheckReturnValues(const std::optional<std::string>& rv,
                         std::initializer_list<std::string_view> allowed) {
  if (!rv) return Status::OK();
  for (std::string_view a : allowed) {
    if (*rv == a) return Status::OK();
  }
  return Validation(
      "ReturnValues can only be " +
      std::string(*allowed.begin() == "NONE" && allowed.size() == 2
                      ? "ALL_OLD or NONE"
                      : "NONE, ALL_OLD, UPDATED_OLD, ALL_NEW or "
                        "UPDATED_NEW") +
      "; got " + *rv);
}

Status TableNotFound(std::string_view name) {
  return wire::ResourceNotFound("Requested resource not found: Table: " +
                                std::string(name) + " not found");
}

bool IsInternalTable(std::string_view name) {
  return name == "godwit_control" || name.starts_with("godwit_keymap.");
}

}  // namespace godwit::server
