// UpdateExpression application: SET (values, paths, arithmetic, list_append,
// if_not_exists, list indexes), REMOVE (attributes, map keys, list elements
// with index shifting), ADD (numbers, sets, absent attributes), DELETE
// (set difference, last member), runtime errors, and ReturnValues data.
#include <gtest/gtest.h>

#include <string>

#include "expr/expr_test_util.h"
#include "godwit/expression.h"

namespace godwit {
namespace {

using testing_expr::Apply;
using testing_expr::Ctx;
using testing_expr::ItemJson;
using testing_expr::Json;

constexpr const char* kN1 = R"({"N":"1"})";

// --- SET ------------------------------------------------------------------

TEST(UpdateSet, TopLevelValue) {
  EXPECT_EQ(Apply("SET a = :v", R"({"k":{"S":"x"}})", {{":v", kN1}}),
            R"({"a":{"N":"1"},"k":{"S":"x"}})");
}

TEST(UpdateSet, ReplacesExistingValueOfAnyType) {
  EXPECT_EQ(Apply("SET a = :v", R"({"a":{"L":[]}})", {{":v", R"({"S":"s"})"}}),
            R"({"a":{"S":"s"}})");
}

TEST(UpdateSet, OnAbsentItem) {
  EXPECT_EQ(Apply("SET a = :v, b = :v", "", {{":v", kN1}}),
            R"({"a":{"N":"1"},"b":{"N":"1"}})");
}

TEST(UpdateSet, CopyFromAnotherAttribute) {
  EXPECT_EQ(Apply("SET b = a", R"({"a":{"S":"x"}})"),
            R"({"a":{"S":"x"},"b":{"S":"x"}})");
}

TEST(UpdateSet, RightHandSidesSeeTheOldItem) {
  // a and b swap: both right-hand sides read the item before the update.
  EXPECT_EQ(Apply("SET a = b, b = a", R"({"a":{"N":"1"},"b":{"N":"2"}})"),
            R"({"a":{"N":"2"},"b":{"N":"1"}})");
}

TEST(UpdateSet, NestedMapKey) {
  EXPECT_EQ(
      Apply("SET m.x = :v", R"({"m":{"M":{"y":{"N":"2"}}}})", {{":v", kN1}}),
      R"({"m":{"M":{"x":{"N":"1"},"y":{"N":"2"}}}})");
}

TEST(UpdateSet, ListElementReplaced) {
  EXPECT_EQ(Apply("SET l[1] = :v", R"({"l":{"L":[{"S":"a"},{"S":"b"}]}})",
                  {{":v", kN1}}),
            R"({"l":{"L":[{"S":"a"},{"N":"1"}]}})");
}

TEST(UpdateSet, ListIndexPastTheEndAppends) {
  EXPECT_EQ(
      Apply("SET l[10] = :v", R"({"l":{"L":[{"S":"a"}]}})", {{":v", kN1}}),
      R"({"l":{"L":[{"S":"a"},{"N":"1"}]}})");
}

TEST(UpdateSet, SeveralAppendsLandInIndexOrder) {
  EXPECT_EQ(Apply("SET a[84] = :v1, a[37] = :v2, a[17] = :v3, a[50] = :v4",
                  R"({"a":{"L":[{"S":"one"},{"S":"two"}]}})",
                  {{":v1", R"({"S":"a1"})"},
                   {":v2", R"({"S":"a2"})"},
                   {":v3", R"({"S":"a3"})"},
                   {":v4", R"({"S":"a4"})"}}),
            R"({"a":{"L":[{"S":"one"},{"S":"two"},{"S":"a3"},{"S":"a2"},)"
            R"({"S":"a4"},{"S":"a1"}]}})");
}

TEST(UpdateSet, AbsentItemStartsFromTheKey) {
  ExpressionContext ctx = Ctx({{"#p", "pk"}}, {});
  Result<ParsedUpdate> u = ParseUpdate("SET dup = #p", ctx);
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  Item key = ItemJson(R"({"pk":{"S":"k1"}})");
  Result<UpdateResult> r = ApplyUpdate(*u, nullptr, &key);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Json(r->item), R"({"dup":{"S":"k1"},"pk":{"S":"k1"}})");
  EXPECT_TRUE(r->updated_old.empty());
  EXPECT_EQ(Json(r->updated_new), R"({"dup":{"S":"k1"}})");
}

TEST(UpdateSet, PlusAndMinus) {
  EXPECT_EQ(Apply("SET n = n + :v", R"({"n":{"N":"41"}})", {{":v", kN1}}),
            R"({"n":{"N":"42"}})");
  EXPECT_EQ(Apply("SET n = n - :v", R"({"n":{"N":"0.5"}})", {{":v", kN1}}),
            R"({"n":{"N":"-0.5"}})");
  EXPECT_EQ(Apply("SET n = :v - n", R"({"n":{"N":"3"}})", {{":v", kN1}}),
            R"({"n":{"N":"-2"}})");
  EXPECT_EQ(Apply("SET c = a + b", R"({"a":{"N":"1.25"},"b":{"N":"2.75"}})"),
            R"({"a":{"N":"1.25"},"b":{"N":"2.75"},"c":{"N":"4"}})");
}

TEST(UpdateSet, ArithmeticIsExactAt38Digits) {
  // 38 nines + 1 would need 39 digits but is 1E38: one significant digit.
  EXPECT_EQ(Apply("SET n = n + :v",
                  R"({"n":{"N":"99999999999999999999999999999999999999"}})",
                  {{":v", kN1}}),
            R"({"n":{"N":"100000000000000000000000000000000000000"}})");
  EXPECT_EQ(Apply("SET n = n + :v",
                  R"({"n":{"N":"1234567890123456789012345678901234567.8"}})",
                  {{":v", R"({"N":"0.1"})"}}),
            R"({"n":{"N":"1234567890123456789012345678901234567.9"}})");
  EXPECT_EQ(Apply("SET b = :a + :b", "",
                  {{":a", kN1}, {":b", R"({"N":"10000000000000000000000"})"}}),
            R"({"b":{"N":"10000000000000000000001"}})");
}

TEST(UpdateSet, ArithmeticBeyondPrecisionFails) {
  // 1e50 + 1 needs 51 significant digits; DynamoDB calls it an overflow.
  EXPECT_EQ(
      Apply("SET b = :a + :b", "", {{":a", R"({"N":"1e50"})"}, {":b", kN1}}),
      "ERROR: Number overflow. Attempting to store a number with "
      "magnitude larger than supported range");
}

TEST(UpdateSet, ArithmeticAtTheRangeEdges) {
  EXPECT_EQ(Apply("SET b = :a + :a", "", {{":a", R"({"N":"9e125"})"}}),
            "ERROR: Number overflow. Attempting to store a number with "
            "magnitude larger than supported range");
  EXPECT_EQ(Apply("SET b = :a - :c", "",
                  {{":a", R"({"N":"9e125"})"}, {":c", R"({"N":"-9e125"})"}}),
            "ERROR: Number overflow. Attempting to store a number with "
            "magnitude larger than supported range");
  EXPECT_EQ(Apply("SET b = :a + :a", "", {{":a", R"({"N":"4.5e125"})"}}),
            R"({"b":{"N":"9)" + std::string(125, '0') + R"("}})");
  EXPECT_EQ(Apply("SET b = :a - :c", "",
                  {{":a", R"({"N":"1.1e-130"})"}, {":c", R"({"N":"1e-130"})"}}),
            "ERROR: Number underflow. Attempting to store a number with "
            "magnitude smaller than supported range");
  EXPECT_EQ(Apply("SET b = :a + :a", "", {{":a", R"({"N":"1e-130"})"}}),
            R"({"b":{"N":"0.)" + std::string(129, '0') + R"(2"}})");
  EXPECT_EQ(Apply("SET b = :a - :a", "", {{":a", R"({"N":"1e-130"})"}}),
            R"({"b":{"N":"0"}})");
}

TEST(UpdateSet, ArithmeticOnMissingAttributeFails) {
  EXPECT_EQ(Apply("SET n = n + :v", R"({"k":{"S":"x"}})", {{":v", kN1}}),
            "ERROR: The provided expression refers to an attribute that does "
            "not exist in the item");
  EXPECT_EQ(Apply("SET c = b", ""),
            "ERROR: The provided expression refers to an attribute that does "
            "not exist in the item");
}

TEST(UpdateSet, ArithmeticOnWrongTypeFails) {
  EXPECT_EQ(Apply("SET e = a + :v", R"({"a":{"S":"x"}})", {{":v", kN1}}),
            "ERROR: An operand in the update expression has an incorrect data "
            "type");
  EXPECT_EQ(Apply("SET e = b - :v", R"({"b":{"M":{}}})", {{":v", kN1}}),
            "ERROR: An operand in the update expression has an incorrect data "
            "type");
}

TEST(UpdateSet, IfNotExists) {
  EXPECT_EQ(Apply("SET a = if_not_exists(a, :v)", R"({"a":{"N":"7"}})",
                  {{":v", kN1}}),
            R"({"a":{"N":"7"}})");
  EXPECT_EQ(Apply("SET a = if_not_exists(a, :v)", "", {{":v", kN1}}),
            R"({"a":{"N":"1"}})");
  EXPECT_EQ(Apply("SET a = if_not_exists(b, c)", R"({"c":{"S":"x"}})"),
            R"({"a":{"S":"x"},"c":{"S":"x"}})");
}

TEST(UpdateSet, IfNotExistsPlusValueIsACounter) {
  const char* expr = "SET n = if_not_exists(n, :zero) + :one";
  testing_expr::Values v = {{":zero", R"({"N":"0"})"}, {":one", kN1}};
  EXPECT_EQ(Apply(expr, "", v), R"({"n":{"N":"1"}})");
  EXPECT_EQ(Apply(expr, R"({"n":{"N":"9"}})", v), R"({"n":{"N":"10"}})");
}

TEST(UpdateSet, ListAppend) {
  EXPECT_EQ(Apply("SET l = list_append(l, :v)", R"({"l":{"L":[{"N":"1"}]}})",
                  {{":v", R"({"L":[{"N":"2"},{"N":"3"}]})"}}),
            R"({"l":{"L":[{"N":"1"},{"N":"2"},{"N":"3"}]}})");
  EXPECT_EQ(Apply("SET l = list_append(:v, l)", R"({"l":{"L":[{"N":"1"}]}})",
                  {{":v", R"({"L":[{"N":"0"}]})"}}),
            R"({"l":{"L":[{"N":"0"},{"N":"1"}]}})");
}

TEST(UpdateSet, ListAppendToAbsentListWithIfNotExists) {
  EXPECT_EQ(Apply("SET l = list_append(if_not_exists(l, :empty), :v)", "",
                  {{":empty", R"({"L":[]})"}, {":v", R"({"L":[{"N":"1"}]})"}}),
            R"({"l":{"L":[{"N":"1"}]}})");
}

TEST(UpdateSet, ListAppendErrors) {
  EXPECT_EQ(Apply("SET l = list_append(l, :v)", "", {{":v", R"({"L":[]})"}}),
            "ERROR: The provided expression refers to an attribute that does "
            "not exist in the item");
  EXPECT_EQ(Apply("SET e = list_append(d, :v)", R"({"d":{"NS":["1"]}})",
                  {{":v", R"({"L":[]})"}}),
            "ERROR: An operand in the update expression has an incorrect data "
            "type");
}

TEST(UpdateSet, NestedPathIntoMissingOrWrongParentFails) {
  const char* invalid =
      "ERROR: The document path provided in the update expression is "
      "invalid for update";
  EXPECT_EQ(Apply("SET b.a = :v", "", {{":v", kN1}}), invalid);
  EXPECT_EQ(Apply("SET b[1] = :v", "", {{":v", kN1}}), invalid);
  const char* item =
      R"({"b":{"S":"x"},"c":{"M":{"1":{"S":"a"}}},"d":{"L":[{"S":"a"}]}})";
  EXPECT_EQ(Apply("SET b.a = :v", item, {{":v", kN1}}), invalid);
  EXPECT_EQ(Apply("SET b[1] = :v", item, {{":v", kN1}}), invalid);
  EXPECT_EQ(Apply("SET y.a = :v", item, {{":v", kN1}}), invalid);
  EXPECT_EQ(Apply("SET c[1] = :v", item, {{":v", kN1}}), invalid);
  EXPECT_EQ(Apply("SET d.#1 = :v", item, {{":v", kN1}}, {{"#1", "1"}}),
            invalid);
}

// --- REMOVE ---------------------------------------------------------------

TEST(UpdateRemove, TopLevelAndMissing) {
  EXPECT_EQ(Apply("REMOVE a, nope", R"({"a":{"N":"1"},"b":{"N":"2"}})"),
            R"({"b":{"N":"2"}})");
  EXPECT_EQ(Apply("REMOVE a", ""), "{}");
}

TEST(UpdateRemove, MapKey) {
  EXPECT_EQ(Apply("REMOVE m.x, m.nope",
                  R"({"m":{"M":{"x":{"N":"1"},"y":{"N":"2"}}}})"),
            R"({"m":{"M":{"y":{"N":"2"}}}})");
}

TEST(UpdateRemove, ListElementShiftsTheRest) {
  EXPECT_EQ(
      Apply("REMOVE l[1]", R"({"l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"}]}})"),
      R"({"l":{"L":[{"S":"a"},{"S":"c"}]}})");
}

TEST(UpdateRemove, SeveralIndexesReferToTheOldList) {
  // Removes the old elements 1 and 3, whatever order they are written in.
  const char* item =
      R"({"l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"},{"S":"d"},{"S":"e"}]}})";
  EXPECT_EQ(Apply("REMOVE l[1], l[3]", item),
            R"({"l":{"L":[{"S":"a"},{"S":"c"},{"S":"e"}]}})");
  EXPECT_EQ(Apply("REMOVE l[3], l[1]", item),
            R"({"l":{"L":[{"S":"a"},{"S":"c"},{"S":"e"}]}})");
}

TEST(UpdateRemove, IndexPastTheEndIsANoOp) {
  EXPECT_EQ(Apply("REMOVE l[5]", R"({"l":{"L":[{"S":"a"}]}})"),
            R"({"l":{"L":[{"S":"a"}]}})");
}

TEST(UpdateRemove, WithSetOnTheSameListUsesOldIndexes) {
  const char* item = R"({"l":{"L":[{"N":"0"},{"N":"1"},{"N":"2"},{"N":"3"}]}})";
  EXPECT_EQ(Apply("SET l[3] = :x REMOVE l[1]", item, {{":x", R"({"S":"x"})"}}),
            R"({"l":{"L":[{"N":"0"},{"N":"2"},{"S":"x"}]}})");
  // An element appended past the end is not what REMOVE l[4] meant.
  EXPECT_EQ(
      Apply("SET l[9] = :x REMOVE l[4]", item, {{":x", R"({"S":"x"})"}}),
      R"({"l":{"L":[{"N":"0"},{"N":"1"},{"N":"2"},{"N":"3"},{"S":"x"}]}})");
}

TEST(UpdateRemove, NestedInsideListElement) {
  EXPECT_EQ(
      Apply("REMOVE l[0].x, l[1]",
            R"({"l":{"L":[{"M":{"x":{"N":"1"},"y":{"N":"2"}}},{"N":"9"}]}})"),
      R"({"l":{"L":[{"M":{"y":{"N":"2"}}}]}})");
}

TEST(UpdateRemove, MissingParentOnAbsentItemIsIgnored) {
  // DynamoDB refuses REMOVE y.a when the item lacks y, but ignores it when
  // the item does not exist at all.
  EXPECT_EQ(Apply("REMOVE x.y, z[0]", ""), "{}");
  ExpressionContext ctx;
  Result<ParsedUpdate> u = ParseUpdate("REMOVE x.y", ctx);
  ASSERT_TRUE(u.ok());
  Item key = ItemJson(R"({"pk":{"S":"k1"}})");
  Result<UpdateResult> r = ApplyUpdate(*u, nullptr, &key);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Json(r->item), R"({"pk":{"S":"k1"}})");
  Result<UpdateResult> existing = ApplyUpdate(*u, &key);
  EXPECT_FALSE(existing.ok());
}

TEST(UpdateRemove, MissingOrWrongParentFails) {
  const char* invalid =
      "ERROR: The document path provided in the update expression is "
      "invalid for update";
  const char* item =
      R"({"b":{"S":"x"},"c":{"M":{"1":{"S":"a"}}},"d":{"L":[{"S":"a"}]}})";
  EXPECT_EQ(Apply("REMOVE b.a", item), invalid);
  EXPECT_EQ(Apply("REMOVE b[1]", item), invalid);
  EXPECT_EQ(Apply("REMOVE y.a", item), invalid);
  EXPECT_EQ(Apply("REMOVE c[1]", item), invalid);
  EXPECT_EQ(Apply("REMOVE d.#1", item, {}, {{"#1", "1"}}), invalid);
}

// --- ADD ------------------------------------------------------------------

TEST(UpdateAdd, NumberToExisting) {
  EXPECT_EQ(
      Apply("ADD n :v", R"({"n":{"N":"2"}})", {{":v", R"({"N":"-3.5"})"}}),
      R"({"n":{"N":"-1.5"}})");
}

TEST(UpdateAdd, NumberToAbsentCreatesIt) {
  EXPECT_EQ(Apply("ADD n :v", "", {{":v", R"({"N":"5"})"}}),
            R"({"n":{"N":"5"}})");
  EXPECT_EQ(Apply("ADD m.n :v", R"({"m":{"M":{}}})", {{":v", kN1}}),
            R"({"m":{"M":{"n":{"N":"1"}}}})");
}

TEST(UpdateAdd, SetUnion) {
  EXPECT_EQ(Apply("ADD s :v", R"({"s":{"SS":["b","d"]}})",
                  {{":v", R"({"SS":["a","b","c"]})"}}),
            R"({"s":{"SS":["a","b","c","d"]}})");
  EXPECT_EQ(Apply("ADD s :v", R"({"s":{"NS":["10","2"]}})",
                  {{":v", R"({"NS":["2.0","3"]})"}}),
            R"({"s":{"NS":["2","3","10"]}})");
  EXPECT_EQ(Apply("ADD s :v", R"({"s":{"BS":["YQ=="]}})",
                  {{":v", R"({"BS":["Yg=="]})"}}),
            R"({"s":{"BS":["YQ==","Yg=="]}})");
}

TEST(UpdateAdd, SetToAbsentCreatesIt) {
  EXPECT_EQ(Apply("ADD s :v", "", {{":v", R"({"SS":["x"]})"}}),
            R"({"s":{"SS":["x"]}})");
}

TEST(UpdateAdd, TypeMismatchFails) {
  const char* wrong =
      "ERROR: An operand in the update expression has an incorrect data type";
  EXPECT_EQ(
      Apply("ADD s :v", R"({"s":{"SS":["a"]}})", {{":v", R"({"NS":["1"]})"}}),
      wrong);
  EXPECT_EQ(Apply("ADD d :v", R"({"d":{"NS":["1"]}})", {{":v", kN1}}), wrong);
  EXPECT_EQ(Apply("ADD n :v", R"({"n":{"S":"1"}})", {{":v", kN1}}), wrong);
}

TEST(UpdateAdd, Overflow) {
  EXPECT_EQ(Apply("ADD n :v", R"({"n":{"N":"9.9e125"}})",
                  {{":v", R"({"N":"1e125"})"}}),
            "ERROR: Number overflow. Attempting to store a number with "
            "magnitude larger than supported range");
}

TEST(UpdateAdd, InvalidParentFails) {
  EXPECT_EQ(Apply("ADD y.a :v", R"({"k":{"S":"x"}})", {{":v", kN1}}),
            "ERROR: The document path provided in the update expression is "
            "invalid for update");
}

// --- DELETE ---------------------------------------------------------------

TEST(UpdateDelete, SetDifference) {
  EXPECT_EQ(Apply("DELETE s :v", R"({"s":{"SS":["a","b","c"]}})",
                  {{":v", R"({"SS":["b","z"]})"}}),
            R"({"s":{"SS":["a","c"]}})");
  EXPECT_EQ(Apply("DELETE s :v", R"({"s":{"NS":["1","2"]}})",
                  {{":v", R"({"NS":["2.00"]})"}}),
            R"({"s":{"NS":["1"]}})");
}

TEST(UpdateDelete, LastMemberRemovesTheAttribute) {
  EXPECT_EQ(Apply("DELETE s :v", R"({"s":{"SS":["a"]},"k":{"N":"1"}})",
                  {{":v", R"({"SS":["a"]})"}}),
            R"({"k":{"N":"1"}})");
  EXPECT_EQ(Apply("DELETE m.s :v", R"({"m":{"M":{"s":{"BS":["YQ=="]}}}})",
                  {{":v", R"({"BS":["YQ=="]})"}}),
            R"({"m":{"M":{}}})");
}

TEST(UpdateDelete, AbsentAttributeIsANoOp) {
  EXPECT_EQ(
      Apply("DELETE s :v", R"({"k":{"N":"1"}})", {{":v", R"({"SS":["a"]})"}}),
      R"({"k":{"N":"1"}})");
  EXPECT_EQ(Apply("DELETE s :v", "", {{":v", R"({"SS":["a"]})"}}), "{}");
}

TEST(UpdateDelete, TypeMismatchFails) {
  EXPECT_EQ(Apply("DELETE s :v", R"({"s":{"SS":["1"]}})",
                  {{":v", R"({"NS":["1"]})"}}),
            "ERROR: An operand in the update expression has an incorrect data "
            "type");
  EXPECT_EQ(
      Apply("DELETE s :v", R"({"s":{"N":"1"}})", {{":v", R"({"NS":["1"]})"}}),
      "ERROR: An operand in the update expression has an incorrect data "
      "type");
}

// --- all clauses together -------------------------------------------------

TEST(UpdateAll, EveryClauseInOneExpression) {
  EXPECT_EQ(
      Apply("SET a = :s REMOVE r ADD n :one, tags :t DELETE gone :o",
            R"({"r":{"N":"1"},"n":{"N":"1"},"gone":{"SS":["x","y"]}})",
            {{":s", R"({"S":"v"})"},
             {":one", kN1},
             {":t", R"({"SS":["t"]})"},
             {":o", R"({"SS":["x"]})"}}),
      R"({"a":{"S":"v"},"gone":{"SS":["y"]},"n":{"N":"2"},"tags":{"SS":["t"]}})");
}

TEST(UpdateAll, ClauseKeywordsAreCaseInsensitive) {
  EXPECT_EQ(Apply("set a = :v remove b", R"({"b":{"N":"2"}})", {{":v", kN1}}),
            R"({"a":{"N":"1"}})");
}

// --- what the update reports ---------------------------------------------

TEST(UpdateResultData, ChangedAttributesAndUpdatedValues) {
  ExpressionContext ctx = Ctx({}, {{":v", R"({"S":"hi"})"}, {":n", kN1}});
  Result<ParsedUpdate> u =
      ParseUpdate("SET a.b = :v, z = :v REMOVE a.c[1] ADD n :n", ctx);
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  Item old = ItemJson(
      R"({"a":{"M":{"b":{"S":"dog"},"c":{"L":[{"N":"1"},{"N":"2"},{"N":"3"}]}}},"n":{"N":"4"},"k":{"S":"x"}})");
  Result<UpdateResult> r = ApplyUpdate(*u, &old);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->changed_attributes, (std::vector<std::string>{"a", "n", "z"}));
  EXPECT_EQ(
      Json(r->updated_old),
      R"({"a":{"M":{"b":{"S":"dog"},"c":{"L":[{"N":"2"}]}}},"n":{"N":"4"}})");
  // a.c[1] is now the old a.c[2], as DynamoDB reports it.
  EXPECT_EQ(
      Json(r->updated_new),
      R"({"a":{"M":{"b":{"S":"hi"},"c":{"L":[{"N":"3"}]}}},"n":{"N":"5"},"z":{"S":"hi"}})");
  EXPECT_EQ(
      Json(r->item),
      R"({"a":{"M":{"b":{"S":"hi"},"c":{"L":[{"N":"1"},{"N":"3"}]}}},"k":{"S":"x"},"n":{"N":"5"},"z":{"S":"hi"}})");
}

TEST(UpdateResultData, TargetPaths) {
  ExpressionContext ctx = Ctx({{"#x", "x.y"}}, {{":v", kN1}});
  Result<ParsedUpdate> u = ParseUpdate("SET #x = :v REMOVE l[2].m", ctx);
  ASSERT_TRUE(u.ok());
  ASSERT_EQ(u->target_paths().size(), 2u);
  EXPECT_EQ(u->target_paths()[0].ToString(), "[x.y]");
  EXPECT_EQ(u->target_paths()[1].ToString(), "[l, [2], m]");
}

TEST(UpdateResultData, FailedUpdateLeavesNoPartialResult) {
  ExpressionContext ctx = Ctx({}, {{":v", kN1}});
  Result<ParsedUpdate> u = ParseUpdate("SET a = :v, b = c", ctx);
  ASSERT_TRUE(u.ok());
  Item old = ItemJson(R"({"k":{"S":"x"}})");
  Result<UpdateResult> r = ApplyUpdate(*u, &old);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsInvalidArgument());
  EXPECT_EQ(Json(old), R"({"k":{"S":"x"}})");
}

// --- decimal arithmetic directly -----------------------------------------

Number N(const char* text) {
  Result<Number> n = Number::Parse(text);
  EXPECT_TRUE(n.ok()) << text;
  return n.ok() ? *n : Number();
}

std::string Add(const char* a, const char* b) {
  Result<Number> r = AddNumbers(N(a), N(b));
  return r.ok() ? r->text() : "ERROR: " + std::string(r.status().message());
}

std::string Sub(const char* a, const char* b) {
  Result<Number> r = SubtractNumbers(N(a), N(b));
  return r.ok() ? r->text() : "ERROR: " + std::string(r.status().message());
}

TEST(Decimal, Basics) {
  EXPECT_EQ(Add("1", "2"), "3");
  EXPECT_EQ(Add("0.1", "0.2"), "0.3");
  EXPECT_EQ(Add("-0.1", "0.1"), "0");
  EXPECT_EQ(Add("999", "1"), "1000");
  EXPECT_EQ(Sub("1000", "1"), "999");
  EXPECT_EQ(Sub("1", "1000"), "-999");
  EXPECT_EQ(Add("-5", "-7.25"), "-12.25");
  EXPECT_EQ(Sub("-5", "-7.25"), "2.25");
  EXPECT_EQ(Add("0", "0"), "0");
  EXPECT_EQ(Add("1e10", "1e-10"), "10000000000.0000000001");
}

TEST(Decimal, CarriesAcrossThePoint) {
  EXPECT_EQ(Add("0.99", "0.01"), "1");
  EXPECT_EQ(Sub("1", "0.001"), "0.999");
  EXPECT_EQ(Sub("100.5", "100.4"), "0.1");
}

TEST(Decimal, ThirtyEightDigits) {
  EXPECT_EQ(Add("1234567890123456789012345678901234567", "0.8"),
            "1234567890123456789012345678901234567.8");
  EXPECT_EQ(Add("12345678901234567890123456789012345678", "0.1"),
            "ERROR: Number overflow. Attempting to store a number with "
            "magnitude larger than supported range");
  EXPECT_EQ(Sub("0.00000000000000000000000000000000000001", "1e-38"), "0");
}

TEST(Decimal, RangeEdges) {
  std::string max = "9.9999999999999999999999999999999999999e125";
  Result<Number> m = Number::Parse(max);
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(AddNumbers(*m, N("0")).ok());
  EXPECT_FALSE(AddNumbers(*m, N("1e88")).ok());
  EXPECT_EQ(Sub("-9e125", "1e125"),
            "ERROR: Number overflow. Attempting to store a number with "
            "magnitude larger than supported range");
  EXPECT_EQ(Add("1e-130", "-1e-130"), "0");
  EXPECT_EQ(Add("1e-130", "1e-130"), "0." + std::string(129, '0') + "2");
  EXPECT_EQ(Sub("2e-130", "1.5e-130"),
            "ERROR: Number underflow. Attempting to store a number with "
            "magnitude smaller than supported range");
}

}  // namespace
}  // namespace godwit
