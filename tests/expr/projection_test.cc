// ProjectionExpression: parsing (paths, placeholders) and application with
// DynamoDB's nested result structure.
#include <gtest/gtest.h>

#include <string>

#include "expr/expr_test_util.h"
#include "godwit/expression.h"

namespace godwit {
namespace {

using testing_expr::Ctx;
using testing_expr::ItemJson;
using testing_expr::Json;

constexpr const char* kItem = R"({
  "p": {"S": "key"},
  "a": {"M": {"b": {"L": [{"N": "2"}, {"N": "4"},
                          {"M": {"x": {"S": "hi"}, "y": {"S": "yo"}}}]},
              "c": {"N": "5"}}},
  "b": {"S": "hello"},
  "a.b": {"S": "dotted"}
})";

std::string Project(const char* expr, const char* item = kItem,
                    testing_expr::Names names = {}) {
  ExpressionContext ctx = Ctx(names, {});
  Result<ParsedProjection> p = ParseProjection(expr, ctx);
  if (!p.ok()) return "ERROR: " + std::string(p.status().message());
  return Json(ApplyProjection(*p, ItemJson(item)));
}

TEST(Projection, TopLevelAttributes) {
  EXPECT_EQ(Project("b"), R"({"b":{"S":"hello"}})");
  EXPECT_EQ(Project("p, b"), R"({"b":{"S":"hello"},"p":{"S":"key"}})");
  EXPECT_EQ(Project(" p  ,   b  "), R"({"b":{"S":"hello"},"p":{"S":"key"}})");
  EXPECT_EQ(Project("nonexistent"), "{}");
}

TEST(Projection, WholeNestedDocument) {
  EXPECT_EQ(Project("a"), Json(ItemJson(R"({"a": {"M": {"b": {"L": [{"N": "2"},
      {"N": "4"}, {"M": {"x": {"S": "hi"}, "y": {"S": "yo"}}}]},
      "c": {"N": "5"}}}})")));
}

TEST(Projection, NestedKeepsItsStructure) {
  EXPECT_EQ(Project("a.c"), R"({"a":{"M":{"c":{"N":"5"}}}})");
  EXPECT_EQ(Project("a.b[0]"), R"({"a":{"M":{"b":{"L":[{"N":"2"}]}}}})");
  EXPECT_EQ(Project("a.b[2].y"),
            R"({"a":{"M":{"b":{"L":[{"M":{"y":{"S":"yo"}}}]}}}})");
}

TEST(Projection, SeveralPathsMerge) {
  EXPECT_EQ(Project("a.b[0],a.b[1]"),
            R"({"a":{"M":{"b":{"L":[{"N":"2"},{"N":"4"}]}}}})");
  EXPECT_EQ(Project("a.b[1],a.b[0]"),
            R"({"a":{"M":{"b":{"L":[{"N":"2"},{"N":"4"}]}}}})");
  EXPECT_EQ(Project("a.b[0],a.c"),
            R"({"a":{"M":{"b":{"L":[{"N":"2"}]},"c":{"N":"5"}}}})");
  EXPECT_EQ(Project("a.c,b"),
            R"({"a":{"M":{"c":{"N":"5"}}},"b":{"S":"hello"}})");
  EXPECT_EQ(
      Project("a.b[0], a.b[2]"),
      R"({"a":{"M":{"b":{"L":[{"N":"2"},{"M":{"x":{"S":"hi"},"y":{"S":"yo"}}}]}}}})");
}

TEST(Projection, MissingPartsAreLeftOut) {
  EXPECT_EQ(Project("x"), "{}");
  EXPECT_EQ(Project("a.b[3]"), "{}");
  EXPECT_EQ(Project("a.x"), "{}");
  EXPECT_EQ(Project("a.x.y"), "{}");
  EXPECT_EQ(Project("a.b[3].x"), "{}");
  EXPECT_EQ(Project("a.x, a.b[0], x, a.b[3].x"),
            R"({"a":{"M":{"b":{"L":[{"N":"2"}]}}}})");
}

TEST(Projection, WrongContainerTypeIsLeftOut) {
  EXPECT_EQ(Project("a.b.x"), "{}");
  EXPECT_EQ(Project("a[0]"), "{}");
  EXPECT_EQ(Project("a.b[0].x"), "{}");
  EXPECT_EQ(Project("a.b[0][0]"), "{}");
  EXPECT_EQ(Project("b.x"), "{}");
}

TEST(Projection, NamePlaceholders) {
  EXPECT_EQ(Project("#n1.b[1]", kItem, {{"#n1", "a"}}),
            R"({"a":{"M":{"b":{"L":[{"N":"4"}]}}}})");
  EXPECT_EQ(Project("a.#n2", kItem, {{"#n2", "c"}}),
            R"({"a":{"M":{"c":{"N":"5"}}}})");
  // A placeholder holding a dot names one attribute, not a path.
  EXPECT_EQ(Project("#d", kItem, {{"#d", "a.b"}}), R"({"a.b":{"S":"dotted"}})");
  EXPECT_EQ(Project("a.b[1]"), R"({"a":{"M":{"b":{"L":[{"N":"4"}]}}}})");
}

TEST(Projection, EmptyContainersSurviveWhenSelectedWhole) {
  const char* item = R"({"m":{"M":{}},"l":{"L":[]}})";
  EXPECT_EQ(Project("m, l", item), R"({"l":{"L":[]},"m":{"M":{}}})");
}

TEST(Projection, PathsAccessor) {
  ExpressionContext ctx = Ctx({{"#k", "key"}}, {});
  Result<ParsedProjection> p = ParseProjection("#k, a.b[3].c", ctx);
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->paths().size(), 2u);
  EXPECT_EQ(p->paths()[0].ToString(), "[key]");
  EXPECT_EQ(p->paths()[1].ToString(), "[a, b, [3], c]");
  EXPECT_TRUE(CheckAllUsed(ctx).ok());
}

TEST(Projection, ProjectPathsToleratesOverlap) {
  Item item = ItemJson(kItem);
  DocumentPath whole{{PathElement::Name("a")}};
  DocumentPath part{{PathElement::Name("a"), PathElement::Name("c")}};
  EXPECT_EQ(Json(ProjectPaths({part, whole}, item)),
            Json(ProjectPaths({whole}, item)));
}

TEST(FindPathTest, Walks) {
  Item item = ItemJson(kItem);
  DocumentPath p{{PathElement::Name("a"), PathElement::Name("b"),
                  PathElement::Index(2), PathElement::Name("x")}};
  const AttributeValue* v = FindPath(item, p);
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->s(), "hi");
  p.elements[2] = PathElement::Index(3);
  EXPECT_EQ(FindPath(item, p), nullptr);
  EXPECT_EQ(FindPath(item, DocumentPath{}), nullptr);
}

}  // namespace
}  // namespace godwit
