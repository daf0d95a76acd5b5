// KeyConditionExpression: what a Query gets out of it, and everything
// DynamoDB refuses.
#include <gtest/gtest.h>

#include <string>

#include "expr/expr_test_util.h"
#include "godwit/expression.h"

namespace godwit {
namespace {

using testing_expr::Ctx;
using testing_expr::ErrorOf;
using testing_expr::Names;
using testing_expr::ValueJson;
using testing_expr::Values;

const KeySchema kHashRange{{"p", AttrType::kS},
                           KeyAttribute{"c", AttrType::kN}};
const KeySchema kHashOnly{{"p", AttrType::kS}, std::nullopt};

constexpr const char* kP = R"({"S":"part"})";

Result<KeyCondition> Parse(std::string_view expr, Values values,
                           Names names = {},
                           const KeySchema& schema = kHashRange) {
  ExpressionContext ctx = Ctx(names, values);
  return ParseKeyCondition(expr, ctx, schema);
}

std::string Error(std::string_view expr, Values values = {}, Names names = {},
                  const KeySchema& schema = kHashRange) {
  Result<KeyCondition> r = Parse(expr, values, names, schema);
  return r.ok() ? "OK" : std::string(r.status().message());
}

TEST(KeyCondition, PartitionOnly) {
  Result<KeyCondition> k = Parse("p = :p", {{":p", kP}});
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  EXPECT_EQ(k->hash_attribute, "p");
  EXPECT_EQ(k->hash_value, ValueJson(kP));
  EXPECT_FALSE(k->sort.has_value());
}

TEST(KeyCondition, EachSortOperator) {
  struct Case {
    const char* expr;
    SortKeyOp op;
  };
  for (const Case& c : {Case{"p = :p AND c = :c", SortKeyOp::kEq},
                        Case{"p = :p AND c < :c", SortKeyOp::kLt},
                        Case{"p = :p AND c <= :c", SortKeyOp::kLe},
                        Case{"p = :p AND c > :c", SortKeyOp::kGt},
                        Case{"p = :p AND c >= :c", SortKeyOp::kGe}}) {
    Result<KeyCondition> k =
        Parse(c.expr, {{":p", kP}, {":c", R"({"N":"5"})"}});
    ASSERT_TRUE(k.ok()) << c.expr << ": " << k.status().ToString();
    ASSERT_TRUE(k->sort.has_value());
    EXPECT_EQ(k->sort->attribute, "c");
    EXPECT_EQ(k->sort->op, c.op) << c.expr;
    EXPECT_EQ(k->sort->value.n().text(), "5");
  }
}

TEST(KeyCondition, ValueOnTheLeftFlipsTheOperator) {
  Result<KeyCondition> k =
      Parse(":p = p AND :c < c", {{":p", kP}, {":c", R"({"N":"5"})"}});
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  EXPECT_EQ(k->sort->op, SortKeyOp::kGt);
  EXPECT_EQ(SortKeyOpName(k->sort->op), ">");
}

TEST(KeyCondition, Between) {
  Result<KeyCondition> k =
      Parse("p = :p AND c BeTwEeN :lo aNd :hi",
            {{":p", kP}, {":lo", R"({"N":"4"})"}, {":hi", R"({"N":"7"})"}});
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  EXPECT_EQ(k->sort->op, SortKeyOp::kBetween);
  EXPECT_EQ(k->sort->value.n().text(), "4");
  EXPECT_EQ(k->sort->upper.n().text(), "7");
  EXPECT_TRUE(k->sort->Matches(ValueJson(R"({"N":"4"})")));
  EXPECT_TRUE(k->sort->Matches(ValueJson(R"({"N":"7"})")));
  EXPECT_FALSE(k->sort->Matches(ValueJson(R"({"N":"7.01"})")));
}

TEST(KeyCondition, BeginsWithOnStringSortKey) {
  KeySchema schema{{"p", AttrType::kS}, KeyAttribute{"c", AttrType::kS}};
  Result<KeyCondition> k =
      Parse("p = :p AND begins_with(c, :pre)",
            {{":p", kP}, {":pre", R"({"S":"00"})"}}, {}, schema);
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  EXPECT_EQ(k->sort->op, SortKeyOp::kBeginsWith);
  EXPECT_TRUE(k->sort->Matches(ValueJson(R"({"S":"003"})")));
  EXPECT_FALSE(k->sort->Matches(ValueJson(R"({"S":"013"})")));
}

TEST(KeyCondition, OrderAndParenthesesDoNotMatter) {
  Result<KeyCondition> k =
      Parse("((c=:c) AND (p=:p))", {{":p", kP}, {":c", R"({"N":"3"})"}});
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  EXPECT_EQ(k->hash_value, ValueJson(kP));
  EXPECT_EQ(k->sort->op, SortKeyOp::kEq);
}

TEST(KeyCondition, NamePlaceholders) {
  Result<KeyCondition> k =
      Parse("#n1 = :p AND #n2 = :c", {{":p", kP}, {":c", R"({"N":"3"})"}},
            {{"#n1", "p"}, {"#n2", "c"}});
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  EXPECT_EQ(k->sort->attribute, "c");
}

TEST(KeyCondition, MatchesKeys) {
  Result<KeyCondition> k =
      Parse("p = :p AND c > :c", {{":p", kP}, {":c", R"({"N":"5"})"}});
  ASSERT_TRUE(k.ok());
  Key in{ValueJson(kP), ValueJson(R"({"N":"6"})")};
  Key out{ValueJson(kP), ValueJson(R"({"N":"5"})")};
  Key other{ValueJson(R"({"S":"x"})"), ValueJson(R"({"N":"6"})")};
  EXPECT_TRUE(k->Matches(in));
  EXPECT_FALSE(k->Matches(out));
  EXPECT_FALSE(k->Matches(other));
}

TEST(KeyCondition, BinarySortKeyOrdersUnsigned) {
  KeySchema schema{{"p", AttrType::kS}, KeyAttribute{"c", AttrType::kB}};
  Result<KeyCondition> k = Parse(
      "p = :p AND c < :c", {{":p", kP}, {":c", R"({"B":"fw=="})"}}, {}, schema);
  ASSERT_TRUE(k.ok());
  EXPECT_TRUE(k->sort->Matches(ValueJson(R"({"B":"fg=="})")));   // 0x7E
  EXPECT_FALSE(k->sort->Matches(ValueJson(R"({"B":"gA=="})")));  // 0x80
}

// --- refusals -------------------------------------------------------------

TEST(KeyConditionErrors, PartitionKeyMissing) {
  EXPECT_EQ(Error("c = :c", {{":c", R"({"N":"3"})"}}),
            "Query condition missed key schema element: p");
}

TEST(KeyConditionErrors, PartitionKeyNeedsEquality) {
  EXPECT_EQ(Error("p < :p", {{":p", kP}}), "Query key condition not supported");
  EXPECT_EQ(Error("begins_with(p, :p)", {{":p", kP}}),
            "Query key condition not supported");
}

TEST(KeyConditionErrors, NonKeyAttribute) {
  EXPECT_EQ(Error("p = :p AND a < :a", {{":p", kP}, {":a", R"({"N":"3"})"}}),
            "Query condition missed key schema element: c");
  EXPECT_EQ(Error("p = :p AND a < :a", {{":p", kP}, {":a", R"({"N":"3"})"}}, {},
                  kHashOnly),
            "Query key condition not supported");
}

TEST(KeyConditionErrors, OneConditionPerKey) {
  EXPECT_EQ(Error("p = :p AND p = :p", {{":p", kP}}),
            "KeyConditionExpressions must only contain one condition per key");
  EXPECT_EQ(Error("p = :p AND c >= :c AND c <= :c",
                  {{":p", kP}, {":c", R"({"N":"3"})"}}),
            "KeyConditionExpressions must only contain one condition per key");
}

TEST(KeyConditionErrors, AtMostTwoConditions) {
  EXPECT_EQ(Error("(a > :a and b > :a) and (c > :a and d > :a)",
                  {{":a", R"({"S":"a"})"}}),
            "Conditions can be of length 1 or 2 only");
}

TEST(KeyConditionErrors, InvalidOperators) {
  Values v = {{":p", kP}, {":c", R"({"N":"5"})"}};
  EXPECT_EQ(Error("p = :p AND c <> :c", v),
            "Invalid operator used in KeyConditionExpression: <>");
  EXPECT_EQ(Error("p = :p AND c IN (:c)", v),
            "Invalid operator used in KeyConditionExpression: IN");
  EXPECT_EQ(Error("c = :c OR p = :p", v),
            "Invalid operator used in KeyConditionExpression: OR");
  EXPECT_EQ(Error("NOT c = :c AND p = :p", v),
            "Invalid operator used in KeyConditionExpression: NOT");
  EXPECT_EQ(Error("p = :p AND attribute_exists(c)", {{":p", kP}}),
            "Invalid operator used in KeyConditionExpression: "
            "attribute_exists");
  EXPECT_EQ(Error("contains(a.d, b)"),
            "Invalid operator used in KeyConditionExpression: contains");
}

TEST(KeyConditionErrors, UnknownFunction) {
  EXPECT_EQ(Error("p = :p AND dog(c, :c)", {{":p", kP}, {":c", kP}}),
            "Invalid KeyConditionExpression: Invalid function name; function: "
            "dog");
  EXPECT_EQ(Error("p = :p AND BEGINS_WITH(c, :c)", {{":p", kP}, {":c", kP}}),
            "Invalid KeyConditionExpression: Invalid function name; function: "
            "BEGINS_WITH");
}

TEST(KeyConditionErrors, NestedOperations) {
  EXPECT_EQ(Error("size(b) > a AND a.b > b AND b > c"),
            "KeyConditionExpressions cannot contain nested operations");
  EXPECT_EQ(Error("a > size(b.d)"),
            "KeyConditionExpressions cannot contain nested operations");
}

TEST(KeyConditionErrors, KeyMustComeFirst) {
  Values v = {{":a", R"({"S":"1"})"}, {":b", R"({"S":"1"})"}};
  EXPECT_EQ(Error(":a between size(b) and size(a) and b > :b", v),
            "Invalid condition in KeyConditionExpression: BETWEEN operator "
            "must have the key attribute as its first operand");
  EXPECT_EQ(Error("begins_with(:a, b) and a > :b", v),
            "Invalid condition in KeyConditionExpression: begins_with "
            "operator must have the key attribute as its first operand");
}

TEST(KeyConditionErrors, MultipleAttributeNames) {
  for (const char* e :
       {"b > a.b", "b between c[1] and d", "a between b and size(a)",
        "begins_with(a, b)", "p = c"}) {
    EXPECT_EQ(Error(e),
              "Invalid condition in KeyConditionExpression: Multiple "
              "attribute names used in one condition")
        << e;
  }
}

TEST(KeyConditionErrors, NestedAttributes) {
  for (const char* e : {"b.d > a AND c.d > e.f", "a.d > c", "b[0] > a"}) {
    EXPECT_EQ(Error(e),
              "KeyConditionExpressions cannot have conditions on nested "
              "attributes")
        << e;
  }
}

TEST(KeyConditionErrors, NoKeyAttribute) {
  Values v = {{":a", R"({"N":"1"})"}, {":b", R"({"N":"2"})"}};
  EXPECT_EQ(Error(":b > :a AND a < :b", v),
            "Invalid condition in KeyConditionExpression: No key attribute "
            "specified");
}

TEST(KeyConditionErrors, ValueTypeMustMatchSchema) {
  EXPECT_EQ(Error("p = :num", {{":num", R"({"N":"3"})"}}),
            "One or more parameter values were invalid: Condition parameter "
            "type does not match schema type");
  EXPECT_EQ(
      Error("p = :p AND c = :str", {{":p", kP}, {":str", R"({"S":"x"})"}}),
      "One or more parameter values were invalid: Condition parameter "
      "type does not match schema type");
}

TEST(KeyConditionErrors, BeginsWithOnNumber) {
  EXPECT_EQ(Error("p = :p AND begins_with(c, :c)",
                  {{":p", kP}, {":c", R"({"N":"3"})"}}),
            "Invalid KeyConditionExpression: Incorrect operand type for "
            "operator or function; operator or function: begins_with, "
            "operand type: N");
}

TEST(KeyConditionErrors, BetweenBounds) {
  EXPECT_EQ(Error("a between :b and :a",
                  {{":a", R"({"S":"a"})"}, {":b", R"({"N":"1"})"}}),
            "Invalid KeyConditionExpression: The BETWEEN operator requires "
            "same data type for lower and upper bounds; lower bound operand: "
            "AttributeValue: {N:1}, upper bound operand: AttributeValue: "
            "{S:a}");
  EXPECT_EQ(Error("a between :b and :a",
                  {{":a", R"({"S":"a"})"}, {":b", R"({"S":"b"})"}}),
            "Invalid KeyConditionExpression: The BETWEEN operator requires "
            "upper bound to be greater than or equal to lower bound; lower "
            "bound operand: AttributeValue: {S:b}, upper bound operand: "
            "AttributeValue: {S:a}");
}

TEST(KeyConditionErrors, SyntaxAndShape) {
  EXPECT_EQ(Error("p=:p AND c!=:c", {{":p", kP}, {":c", R"({"N":"1"})"}}),
            "Invalid KeyConditionExpression: Syntax error; token: \"!\", "
            "near: \"c!=\"");
  EXPECT_EQ(Error("a > 4"),
            "Invalid KeyConditionExpression: Syntax error; token: \"4\", "
            "near: \"> 4\"");
  EXPECT_EQ(Error("p"),
            "Invalid KeyConditionExpression: Syntax error; token: \"<EOF>\", "
            "near: \"p\"");
  EXPECT_EQ(Error("((p = :p))", {{":p", kP}}),
            "Invalid KeyConditionExpression: The expression has redundant "
            "parentheses;");
  EXPECT_EQ(Error("attribute_type(a, b)"),
            "Invalid KeyConditionExpression: Incorrect operand type for "
            "operator or function; operator or function: attribute_type, "
            "operand type: PATH");
}

TEST(KeyConditionErrors, UndefinedPlaceholders) {
  EXPECT_EQ(Error("p = :nope", {{":p", kP}}),
            "Invalid KeyConditionExpression: An expression attribute value "
            "used in expression is not defined; attribute value: :nope");
  EXPECT_EQ(
      Error("#name1 = :p AND #name2 = :p", {{":p", kP}}, {{"#name1", "p"}}),
      "Invalid KeyConditionExpression: An expression attribute name "
      "used in the document path is not defined; attribute name: "
      "#name2");
}

}  // namespace
}  // namespace godwit
