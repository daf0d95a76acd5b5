// Helpers for the expression tests: items and values written as DynamoDB
// JSON, contexts from short lists, and parse-then-evaluate shorthands.
#ifndef GODWIT_TESTS_EXPR_EXPR_TEST_UTIL_H_
#define GODWIT_TESTS_EXPR_EXPR_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "godwit/expression.h"
#include "godwit/item.h"
#include "godwit/json.h"

namespace godwit {
namespace testing_expr {

using Names = std::initializer_list<std::pair<std::string, std::string>>;
// Placeholder -> DynamoDB JSON of the value, e.g. {":v", R"({"N":"1"})"}.
using Values = std::initializer_list<std::pair<std::string, std::string>>;

inline Item ItemJson(std::string_view json) {
  JsonParser parser;
  Result<Item> r = parser.ParseItem(json);
  EXPECT_TRUE(r.ok()) << json << ": " << r.status().ToString();
  return r.ok() ? std::move(r).value() : Item();
}

inline AttributeValue ValueJson(std::string_view json) {
  JsonParser parser;
  Result<AttributeValue> r = parser.ParseValue(json);
  EXPECT_TRUE(r.ok()) << json << ": " << r.status().ToString();
  return r.ok() ? std::move(r).value() : AttributeValue();
}

// Empty lists mean "map not given".
inline ExpressionContext Ctx(Names names = {}, Values values = {}) {
  std::optional<ExpressionContext::NameMap> n;
  std::optional<ExpressionContext::ValueMap> v;
  if (names.size() > 0) {
    n.emplace();
    for (const auto& [k, name] : names) (*n)[k] = name;
  }
  if (values.size() > 0) {
    v.emplace();
    for (const auto& [k, json] : values) (*v)[k] = ValueJson(json);
  }
  return ExpressionContext(std::move(n), std::move(v));
}

inline std::string ErrorOf(const Status& s) {
  return s.ok() ? std::string("OK") : std::string(s.message());
}

// The error message of parsing `expr` as a ConditionExpression ("OK" if it
// parses).
inline std::string ConditionError(
    std::string_view expr, Names names = {}, Values values = {},
    ExpressionKind kind = ExpressionKind::kCondition) {
  ExpressionContext ctx = Ctx(names, values);
  Result<ParsedCondition> r = ParseCondition(expr, ctx, kind);
  if (r.ok()) return "OK";
  EXPECT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
  return std::string(r.status().message());
}

inline std::string UpdateError(std::string_view expr, Names names = {},
                               Values values = {}) {
  ExpressionContext ctx = Ctx(names, values);
  Result<ParsedUpdate> r = ParseUpdate(expr, ctx);
  if (r.ok()) return "OK";
  EXPECT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
  return std::string(r.status().message());
}

inline std::string ProjectionError(std::string_view expr, Names names = {}) {
  ExpressionContext ctx = Ctx(names, {});
  Result<ParsedProjection> r = ParseProjection(expr, ctx);
  if (r.ok()) return "OK";
  EXPECT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
  return std::string(r.status().message());
}

// Parses `expr` (which must parse) and evaluates it on `item_json` ("" for
// an absent item).
inline bool Eval(std::string_view expr, std::string_view item_json,
                 Values values = {}, Names names = {}) {
  ExpressionContext ctx = Ctx(names, values);
  Result<ParsedCondition> r = ParseCondition(expr, ctx);
  EXPECT_TRUE(r.ok()) << expr << ": " << r.status().ToString();
  if (!r.ok()) return false;
  if (item_json.empty()) return EvaluateCondition(*r, nullptr);
  Item item = ItemJson(item_json);
  return EvaluateCondition(*r, &item);
}

// Applies `expr` to `item_json` ("" for an absent item); returns the new
// item as JSON, or "ERROR: message".
inline std::string Apply(std::string_view expr, std::string_view item_json,
                         Values values = {}, Names names = {}) {
  ExpressionContext ctx = Ctx(names, values);
  Result<ParsedUpdate> u = ParseUpdate(expr, ctx);
  if (!u.ok()) return "PARSE ERROR: " + std::string(u.status().message());
  std::optional<Item> item;
  if (!item_json.empty()) item = ItemJson(item_json);
  Result<UpdateResult> r = ApplyUpdate(*u, item ? &*item : nullptr);
  if (!r.ok()) return "ERROR: " + std::string(r.status().message());
  return ItemToJson(r->item);
}

inline std::string Json(const Item& item) { return ItemToJson(item); }

}  // namespace testing_expr
}  // namespace godwit

#endif  // GODWIT_TESTS_EXPR_EXPR_TEST_UTIL_H_
