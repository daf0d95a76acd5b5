// ConditionExpression / FilterExpression evaluation: each comparator and
// function, DynamoDB's rules for missing attributes and mismatched types,
// nested paths, placeholders, and AND/OR/NOT precedence.
#include <gtest/gtest.h>

#include "expr/expr_test_util.h"
#include "godwit/expression.h"

namespace godwit {
namespace {

using testing_expr::Eval;

constexpr const char* kItem = R"({
  "n": {"N": "5"}, "s": {"S": "cat"}, "b": {"B": "Y2F0"},
  "t": {"BOOL": true}, "z": {"NULL": true},
  "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2"]}, "bs": {"BS": ["YQ=="]},
  "l": {"L": [{"N": "1"}, {"S": "x"}, {"SS": ["q"]}]},
  "m": {"M": {"k": {"N": "7"}, "nest": {"M": {"deep": {"S": "yes"}}}}},
  "n2": {"N": "5.0"}, "big": {"N": "12345678901234567890123456789012345678"},
  "u": {"S": "\u00e9t\u00e9"}
})";

// --- = and <> -------------------------------------------------------------

TEST(ConditionEq, NumberEqualsNumerically) {
  EXPECT_TRUE(Eval("n = :v", kItem, {{":v", R"({"N":"5.00"})"}}));
  EXPECT_TRUE(Eval("n = n2", kItem));
  EXPECT_FALSE(Eval("n = :v", kItem, {{":v", R"({"N":"6"})"}}));
}

TEST(ConditionEq, StringAndBinary) {
  EXPECT_TRUE(Eval("s = :v", kItem, {{":v", R"({"S":"cat"})"}}));
  EXPECT_TRUE(Eval("b = :v", kItem, {{":v", R"({"B":"Y2F0"})"}}));
  EXPECT_FALSE(Eval("s = :v", kItem, {{":v", R"({"S":"Cat"})"}}));
}

TEST(ConditionEq, StringNeverEqualsBinaryWithSameBytes) {
  EXPECT_FALSE(Eval("s = b", kItem));
  EXPECT_TRUE(Eval("s <> b", kItem));
}

TEST(ConditionEq, NumberNeverEqualsString) {
  EXPECT_FALSE(Eval("n = :v", kItem, {{":v", R"({"S":"5"})"}}));
  EXPECT_TRUE(Eval("n <> :v", kItem, {{":v", R"({"S":"5"})"}}));
}

TEST(ConditionEq, SetsCompareAsSets) {
  EXPECT_TRUE(Eval("ss = :v", kItem, {{":v", R"({"SS":["b","a"]})"}}));
  EXPECT_TRUE(Eval("ns = :v", kItem, {{":v", R"({"NS":["2.0","1"]})"}}));
  EXPECT_FALSE(Eval("ss = :v", kItem, {{":v", R"({"SS":["a"]})"}}));
}

TEST(ConditionEq, ListsAndMapsCompareStructurally) {
  EXPECT_TRUE(Eval("l = :v", kItem,
                   {{":v", R"({"L":[{"N":"1"},{"S":"x"},{"SS":["q"]}]})"}}));
  EXPECT_FALSE(Eval("l = :v", kItem, {{":v", R"({"L":[{"N":"1"}]})"}}));
  EXPECT_TRUE(
      Eval("m.nest = :v", kItem, {{":v", R"({"M":{"deep":{"S":"yes"}}})"}}));
}

TEST(ConditionEq, BoolAndNull) {
  EXPECT_TRUE(Eval("t = :v", kItem, {{":v", R"({"BOOL":true})"}}));
  EXPECT_FALSE(Eval("t = :v", kItem, {{":v", R"({"BOOL":false})"}}));
  EXPECT_TRUE(Eval("z = :v", kItem, {{":v", R"({"NULL":true})"}}));
}

TEST(ConditionEq, MissingAttributeIsNeverEqual) {
  EXPECT_FALSE(Eval("nope = :v", kItem, {{":v", R"({"N":"5"})"}}));
  EXPECT_FALSE(Eval("nope = zz", kItem));
}

TEST(ConditionNe, MissingAttributeIsAlwaysNotEqual) {
  EXPECT_TRUE(Eval("nope <> :v", kItem, {{":v", R"({"N":"5"})"}}));
  EXPECT_TRUE(Eval("nope <> zz", kItem));
}

TEST(ConditionNe, SameValueIsFalse) {
  EXPECT_FALSE(Eval("n <> :v", kItem, {{":v", R"({"N":"5"})"}}));
}

// --- ordering -------------------------------------------------------------

TEST(ConditionOrder, NumbersCompareNumerically) {
  EXPECT_TRUE(Eval("n < :v", kItem, {{":v", R"({"N":"10"})"}}));
  EXPECT_FALSE(Eval("n < :v", kItem, {{":v", R"({"N":"-10"})"}}));
  EXPECT_TRUE(Eval("n <= :v", kItem, {{":v", R"({"N":"5"})"}}));
  EXPECT_TRUE(Eval("n > :v", kItem, {{":v", R"({"N":"4.999"})"}}));
  EXPECT_TRUE(Eval("n >= :v", kItem, {{":v", R"({"N":"5"})"}}));
  EXPECT_FALSE(Eval("n > :v", kItem, {{":v", R"({"N":"5"})"}}));
}

TEST(ConditionOrder, NumbersAt38Digits) {
  EXPECT_TRUE(
      Eval("big < :v", kItem,
           {{":v", R"({"N":"12345678901234567890123456789012345679"})"}}));
  EXPECT_TRUE(
      Eval("big > :v", kItem,
           {{":v", R"({"N":"12345678901234567890123456789012345677"})"}}));
}

TEST(ConditionOrder, StringsCompareBytewise) {
  EXPECT_TRUE(Eval("s < :v", kItem, {{":v", R"({"S":"dog"})"}}));
  EXPECT_TRUE(Eval("s > :v", kItem, {{":v", R"({"S":"Zebra"})"}}));
  EXPECT_TRUE(Eval("s > :v", kItem, {{":v", R"({"S":"ca"})"}}));
  // UTF-8 bytes above 0x7F sort after ASCII (unsigned comparison).
  EXPECT_TRUE(Eval("u > :v", kItem, {{":v", R"({"S":"zzz"})"}}));
}

TEST(ConditionOrder, BinaryComparesUnsigned) {
  // 0xFF sorts after 0x7F.
  EXPECT_TRUE(
      Eval("x < :hi", R"({"x": {"B": "fw=="}})", {{":hi", R"({"B":"/w=="})"}}));
  EXPECT_FALSE(
      Eval("x > :hi", R"({"x": {"B": "fw=="}})", {{":hi", R"({"B":"/w=="})"}}));
}

TEST(ConditionOrder, MismatchedTypesAreFalse) {
  EXPECT_FALSE(Eval("n < :v", kItem, {{":v", R"({"S":"9"})"}}));
  EXPECT_FALSE(Eval("n >= :v", kItem, {{":v", R"({"S":"1"})"}}));
  EXPECT_FALSE(Eval("s < b", kItem));
}

TEST(ConditionOrder, UnorderedItemTypesAreFalseNotErrors) {
  EXPECT_FALSE(Eval("l < :v", kItem, {{":v", R"({"N":"1"})"}}));
  EXPECT_FALSE(Eval("t <= u", R"({"t": {"BOOL": true}, "u": {"BOOL": true}})"));
  EXPECT_FALSE(Eval("ss < ns", kItem));
}

TEST(ConditionOrder, MissingIsFalseForEveryOrderingOperator) {
  for (const char* op : {"<", "<=", ">", ">="}) {
    std::string e = std::string("nope ") + op + " :v";
    EXPECT_FALSE(Eval(e, kItem, {{":v", R"({"N":"1"})"}})) << e;
    std::string r = std::string(":v ") + op + " nope";
    EXPECT_FALSE(Eval(r, kItem, {{":v", R"({"N":"1"})"}})) << r;
  }
}

TEST(ConditionOrder, ValueOnTheLeft) {
  EXPECT_TRUE(Eval(":v < n", kItem, {{":v", R"({"N":"1"})"}}));
  EXPECT_FALSE(Eval(":v > n", kItem, {{":v", R"({"N":"1"})"}}));
}

// --- BETWEEN --------------------------------------------------------------

TEST(ConditionBetween, Inclusive) {
  EXPECT_TRUE(Eval("n BETWEEN :a AND :b", kItem,
                   {{":a", R"({"N":"5"})"}, {":b", R"({"N":"5"})"}}));
  EXPECT_TRUE(Eval("n between :a and :b", kItem,
                   {{":a", R"({"N":"1"})"}, {":b", R"({"N":"9"})"}}));
  EXPECT_FALSE(Eval("n BETWEEN :a AND :b", kItem,
                    {{":a", R"({"N":"6"})"}, {":b", R"({"N":"9"})"}}));
}

TEST(ConditionBetween, Strings) {
  EXPECT_TRUE(Eval("s BETWEEN :a AND :b", kItem,
                   {{":a", R"({"S":"c"})"}, {":b", R"({"S":"d"})"}}));
  EXPECT_FALSE(Eval("s BETWEEN :a AND :b", kItem,
                    {{":a", R"({"S":"cb"})"}, {":b", R"({"S":"d"})"}}));
}

TEST(ConditionBetween, MismatchedOrMissingIsFalse) {
  EXPECT_FALSE(Eval("s BETWEEN :a AND :b", kItem,
                    {{":a", R"({"N":"1"})"}, {":b", R"({"N":"9"})"}}));
  EXPECT_FALSE(Eval("nope BETWEEN :a AND :b", kItem,
                    {{":a", R"({"N":"1"})"}, {":b", R"({"N":"9"})"}}));
  // Bounds from the item may be of any type: then the condition is false.
  EXPECT_FALSE(Eval("n BETWEEN l AND :b", kItem, {{":b", R"({"N":"9"})"}}));
}

TEST(ConditionBetween, BindsTighterThanAnd) {
  EXPECT_TRUE(Eval("n BETWEEN :a AND :b AND s = :s", kItem,
                   {{":a", R"({"N":"1"})"},
                    {":b", R"({"N":"9"})"},
                    {":s", R"({"S":"cat"})"}}));
}

// --- IN -------------------------------------------------------------------

TEST(ConditionIn, AnyEqual) {
  EXPECT_TRUE(Eval("n IN (:a, :b)", kItem,
                   {{":a", R"({"S":"5"})"}, {":b", R"({"N":"5"})"}}));
  EXPECT_FALSE(Eval("n in (:a)", kItem, {{":a", R"({"S":"5"})"}}));
}

TEST(ConditionIn, ItemOperands) { EXPECT_TRUE(Eval("n IN (s, n2)", kItem)); }

TEST(ConditionIn, MissingIsFalse) {
  EXPECT_FALSE(Eval("nope IN (:a)", kItem, {{":a", R"({"N":"5"})"}}));
}

TEST(ConditionIn, NinetyNineValuesWork) {
  std::string expr = "n IN (";
  ExpressionContext::ValueMap values;
  for (int i = 0; i < 99; ++i) {
    if (i > 0) expr += ",";
    expr += ":v" + std::to_string(i);
    values[":v" + std::to_string(i)] = AttributeValue::N(Number::FromInt64(i));
  }
  expr += ")";
  ExpressionContext ctx(std::nullopt, values);
  Result<ParsedCondition> c = ParseCondition(expr, ctx);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  Item item = testing_expr::ItemJson(kItem);
  EXPECT_TRUE(EvaluateCondition(*c, &item));
  EXPECT_TRUE(CheckAllUsed(ctx).ok());
}

// --- functions ------------------------------------------------------------

TEST(ConditionFunction, AttributeExists) {
  EXPECT_TRUE(Eval("attribute_exists(n)", kItem));
  EXPECT_TRUE(Eval("attribute_exists(z)", kItem));  // NULL exists
  EXPECT_TRUE(Eval("attribute_exists(m.nest.deep)", kItem));
  EXPECT_TRUE(Eval("attribute_exists(l[2])", kItem));
  EXPECT_FALSE(Eval("attribute_exists(l[3])", kItem));
  EXPECT_FALSE(Eval("attribute_exists(nope)", kItem));
  EXPECT_FALSE(Eval("attribute_exists (s.x)", kItem));
}

TEST(ConditionFunction, AttributeNotExists) {
  EXPECT_TRUE(Eval("attribute_not_exists(nope)", kItem));
  EXPECT_FALSE(Eval("attribute_not_exists(n)", kItem));
  EXPECT_TRUE(Eval("attribute_not_exists(m.nope)", kItem));
}

TEST(ConditionFunction, OnAbsentItem) {
  EXPECT_TRUE(Eval("attribute_not_exists(pk)", ""));
  EXPECT_FALSE(Eval("attribute_exists(pk)", ""));
  EXPECT_FALSE(Eval("pk = :v", "", {{":v", R"({"S":"a"})"}}));
  EXPECT_TRUE(Eval("pk <> :v", "", {{":v", R"({"S":"a"})"}}));
}

TEST(ConditionFunction, AttributeTypeEveryType) {
  const char* cases[][2] = {
      {"n", "N"},   {"s", "S"},   {"b", "B"},   {"t", "BOOL"}, {"z", "NULL"},
      {"ss", "SS"}, {"ns", "NS"}, {"bs", "BS"}, {"l", "L"},    {"m", "M"}};
  for (auto& c : cases) {
    std::string t = std::string(R"({"S":")") + c[1] + "\"}";
    std::string e = std::string("attribute_type(") + c[0] + ", :t)";
    EXPECT_TRUE(Eval(e, kItem, {{":t", t}})) << e;
    std::string wrong =
        c[1] == std::string("S") ? R"({"S":"N"})" : R"({"S":"S"})";
    EXPECT_FALSE(Eval(e, kItem, {{":t", wrong}})) << e;
  }
}

TEST(ConditionFunction, AttributeTypeOfValueOperand) {
  EXPECT_TRUE(Eval("attribute_type(:x, :t)", kItem,
                   {{":x", R"({"N":"1"})"}, {":t", R"({"S":"N"})"}}));
}

TEST(ConditionFunction, BeginsWith) {
  EXPECT_TRUE(Eval("begins_with(s, :p)", kItem, {{":p", R"({"S":"ca"})"}}));
  EXPECT_TRUE(Eval("begins_with(s, :p)", kItem, {{":p", R"({"S":""})"}}));
  EXPECT_TRUE(Eval("begins_with(s, :p)", kItem, {{":p", R"({"S":"cat"})"}}));
  EXPECT_FALSE(Eval("begins_with(s, :p)", kItem, {{":p", R"({"S":"cats"})"}}));
  EXPECT_FALSE(Eval("begins_with(s, :p)", kItem, {{":p", R"({"S":"at"})"}}));
}

TEST(ConditionFunction, BeginsWithBinary) {
  EXPECT_TRUE(Eval("begins_with(b, :p)", kItem, {{":p", R"({"B":"Y2E="})"}}));
  // A string prefix of binary bytes is a mismatch, not a match.
  EXPECT_FALSE(Eval("begins_with(b, :p)", kItem, {{":p", R"({"S":"ca"})"}}));
}

TEST(ConditionFunction, BeginsWithOnItemOfOtherTypeIsFalse) {
  EXPECT_FALSE(Eval("begins_with(n, :p)", kItem, {{":p", R"({"S":"5"})"}}));
  EXPECT_FALSE(Eval("begins_with(nope, :p)", kItem, {{":p", R"({"S":""})"}}));
}

TEST(ConditionFunction, ContainsSubstring) {
  EXPECT_TRUE(Eval("contains(s, :v)", kItem, {{":v", R"({"S":"at"})"}}));
  EXPECT_FALSE(Eval("contains(s, :v)", kItem, {{":v", R"({"S":"dog"})"}}));
  EXPECT_TRUE(Eval("contains(b, :v)", kItem, {{":v", R"({"B":"YXQ="})"}}));
}

TEST(ConditionFunction, ContainsSetMember) {
  EXPECT_TRUE(Eval("contains(ss, :v)", kItem, {{":v", R"({"S":"b"})"}}));
  EXPECT_FALSE(Eval("contains(ss, :v)", kItem, {{":v", R"({"S":"c"})"}}));
  EXPECT_TRUE(Eval("contains(ns, :v)", kItem, {{":v", R"({"N":"2.00"})"}}));
  EXPECT_FALSE(Eval("contains(ns, :v)", kItem, {{":v", R"({"S":"2"})"}}));
  EXPECT_TRUE(Eval("contains(bs, :v)", kItem, {{":v", R"({"B":"YQ=="})"}}));
}

TEST(ConditionFunction, ContainsListElementOfAnyType) {
  EXPECT_TRUE(Eval("contains(l, :v)", kItem, {{":v", R"({"N":"1"})"}}));
  EXPECT_TRUE(Eval("contains(l, :v)", kItem, {{":v", R"({"SS":["q"]})"}}));
  EXPECT_FALSE(Eval("contains(l, :v)", kItem, {{":v", R"({"S":"1"})"}}));
}

TEST(ConditionFunction, ContainsOnOtherTypesIsFalse) {
  EXPECT_FALSE(Eval("contains(n, :v)", kItem, {{":v", R"({"N":"5"})"}}));
  EXPECT_FALSE(Eval("contains(m, :v)", kItem, {{":v", R"({"S":"k"})"}}));
  EXPECT_FALSE(Eval("contains(nope, :v)", kItem, {{":v", R"({"S":"k"})"}}));
}

TEST(ConditionFunction, SizeOfEachType) {
  EXPECT_TRUE(Eval("size(s) = :v", kItem, {{":v", R"({"N":"3"})"}}));
  EXPECT_TRUE(Eval("size(b) = :v", kItem, {{":v", R"({"N":"3"})"}}));
  EXPECT_TRUE(Eval("size(ss) = :v", kItem, {{":v", R"({"N":"2"})"}}));
  EXPECT_TRUE(Eval("size(ns) = :v", kItem, {{":v", R"({"N":"2"})"}}));
  EXPECT_TRUE(Eval("size(bs) = :v", kItem, {{":v", R"({"N":"1"})"}}));
  EXPECT_TRUE(Eval("size(l) = :v", kItem, {{":v", R"({"N":"3"})"}}));
  EXPECT_TRUE(Eval("size(m) = :v", kItem, {{":v", R"({"N":"2"})"}}));
  // Length in UTF-8 bytes.
  EXPECT_TRUE(Eval("size(u) = :v", kItem, {{":v", R"({"N":"5"})"}}));
}

TEST(ConditionFunction, SizeOfNumberBoolNullIsNothing) {
  EXPECT_FALSE(Eval("size(n) = :v", kItem, {{":v", R"({"N":"1"})"}}));
  EXPECT_FALSE(Eval("size(t) = :v", kItem, {{":v", R"({"N":"1"})"}}));
  EXPECT_FALSE(Eval("size(z) = :v", kItem, {{":v", R"({"N":"1"})"}}));
  EXPECT_TRUE(Eval("size(n) <> :v", kItem, {{":v", R"({"N":"1"})"}}));
}

TEST(ConditionFunction, SizeWithEveryComparator) {
  EXPECT_TRUE(Eval("size(s) < :v", kItem, {{":v", R"({"N":"4"})"}}));
  EXPECT_TRUE(Eval("size(s) >= :v", kItem, {{":v", R"({"N":"3"})"}}));
  EXPECT_TRUE(Eval("size(s) BETWEEN :a AND :b", kItem,
                   {{":a", R"({"N":"1"})"}, {":b", R"({"N":"3"})"}}));
  EXPECT_TRUE(Eval("size(s) IN (:a)", kItem, {{":a", R"({"N":"3"})"}}));
  EXPECT_TRUE(Eval("size(s) = n2", R"({"s":{"S":"abcde"},"n2":{"N":"5"}})"));
  EXPECT_FALSE(Eval("size(s) = :v", kItem, {{":v", R"({"S":"3"})"}}));
}

// --- paths and placeholders ----------------------------------------------

TEST(ConditionPath, NestedMapAndList) {
  EXPECT_TRUE(Eval("m.k = :v", kItem, {{":v", R"({"N":"7"})"}}));
  EXPECT_TRUE(Eval("m.nest.deep = :v", kItem, {{":v", R"({"S":"yes"})"}}));
  EXPECT_TRUE(Eval("l[1] = :v", kItem, {{":v", R"({"S":"x"})"}}));
  EXPECT_TRUE(
      Eval("l[0] < l[1] OR l[0] = :one", kItem, {{":one", R"({"N":"1"})"}}));
}

TEST(ConditionPath, WrongContainerTypeIsMissing) {
  EXPECT_FALSE(Eval("m[0] = :v", kItem, {{":v", R"({"N":"7"})"}}));
  EXPECT_FALSE(Eval("l.k = :v", kItem, {{":v", R"({"N":"7"})"}}));
  EXPECT_FALSE(Eval("s.k = :v", kItem, {{":v", R"({"N":"7"})"}}));
}

TEST(ConditionPath, NamePlaceholders) {
  EXPECT_TRUE(Eval("#m.#k = :v", kItem, {{":v", R"({"N":"7"})"}},
                   {{"#m", "m"}, {"#k", "k"}}));
  // A placeholder is one path element even if the name has a dot.
  EXPECT_TRUE(Eval("#d = :v", R"({"a.b": {"N": "1"}, "a": {"M": {}}})",
                   {{":v", R"({"N":"1"})"}}, {{"#d", "a.b"}}));
}

TEST(ConditionPath, ReservedWordThroughPlaceholder) {
  EXPECT_TRUE(Eval("#s = :v", R"({"status": {"S": "on"}})",
                   {{":v", R"({"S":"on"})"}}, {{"#s", "status"}}));
}

// --- logic ----------------------------------------------------------------

TEST(ConditionLogic, AndOrNot) {
  const char* item = R"({"a":{"N":"1"},"b":{"N":"2"},"c":{"N":"3"}})";
  EXPECT_TRUE(Eval("a < b AND b < c", item));
  EXPECT_FALSE(Eval("a < b AND c < b", item));
  EXPECT_TRUE(Eval("b < a OR b < c", item));
  EXPECT_FALSE(Eval("b < a OR c < b", item));
  EXPECT_TRUE(Eval("NOT b < a", item));
  EXPECT_TRUE(Eval("NOT NOT NOT NOT a < b", item));
  EXPECT_TRUE(Eval("a < b aNd b < c oR c < a", item));
}

TEST(ConditionLogic, AndBindsTighterThanOr) {
  const char* item = R"({"a":{"N":"1"},"b":{"N":"2"},"c":{"N":"3"}})";
  // true OR (false AND true)
  EXPECT_TRUE(Eval("a < b OR c < b AND b < c", item));
  // (false AND true) OR false
  EXPECT_FALSE(Eval("c < b AND a < b OR c < a", item));
}

TEST(ConditionLogic, NotBindsTighterThanAnd) {
  const char* item = R"({"a":{"N":"1"},"b":{"N":"2"},"c":{"N":"3"}})";
  // (NOT a < b) AND c < b  ->  false
  EXPECT_FALSE(Eval("NOT a < b AND c < b", item));
  EXPECT_TRUE(Eval("NOT (a < b AND c < b)", item));
}

TEST(ConditionLogic, Parentheses) {
  const char* item = R"({"a":{"N":"1"},"b":{"N":"2"},"c":{"N":"3"}})";
  EXPECT_TRUE(Eval("(a < b OR b < a) AND (b < c AND (a < b OR b < c))", item));
  EXPECT_FALSE(Eval("(a < b OR c < b) AND c < a", item));
  EXPECT_TRUE(Eval("(a < b)", item));
}

TEST(ConditionLogic, WhitespaceIsFree) {
  const char* item = R"({"a":{"N":"1"},"b":{"N":"2"}})";
  EXPECT_TRUE(Eval("  a<b\tAND\n(b>a)  ", item));
}

TEST(ConditionFilter, FilterKindEvaluatesTheSame) {
  ExpressionContext ctx = testing_expr::Ctx({}, {{":v", R"({"N":"5"})"}});
  Result<ParsedCondition> c =
      ParseCondition("n = :v", ctx, ExpressionKind::kFilter);
  ASSERT_TRUE(c.ok());
  Item item = testing_expr::ItemJson(kItem);
  EXPECT_TRUE(EvaluateCondition(*c, &item));
}

TEST(ConditionEmpty, DefaultConditionIsTrue) {
  ParsedCondition none;
  EXPECT_TRUE(none.empty());
  EXPECT_TRUE(EvaluateCondition(none, nullptr));
}

TEST(ConditionParsed, CopiesShareTheTree) {
  ExpressionContext ctx = testing_expr::Ctx({}, {{":v", R"({"N":"5"})"}});
  Result<ParsedCondition> c = ParseCondition("n = :v", ctx);
  ASSERT_TRUE(c.ok());
  ParsedCondition copy = *c;
  Item item = testing_expr::ItemJson(kItem);
  EXPECT_TRUE(EvaluateCondition(copy, &item));
}

}  // namespace
}  // namespace godwit
