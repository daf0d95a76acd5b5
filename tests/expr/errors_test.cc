// Every validation error, checked word for word against DynamoDB's text.
#include <gtest/gtest.h>

#include <string>

#include "expr/expr_test_util.h"
#include "godwit/expression.h"

namespace godwit {
namespace {

using testing_expr::ConditionError;
using testing_expr::Ctx;
using testing_expr::ErrorOf;
using testing_expr::ProjectionError;
using testing_expr::UpdateError;

constexpr const char* kN1 = R"({"N":"1"})";

std::string Repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

// --- empty and size -------------------------------------------------------

TEST(ExprErrors, EmptyExpressionEachKind) {
  EXPECT_EQ(ConditionError(""),
            "Invalid ConditionExpression: The expression can not be empty;");
  EXPECT_EQ(ConditionError("  \t", {}, {}, ExpressionKind::kFilter),
            "Invalid FilterExpression: The expression can not be empty;");
  EXPECT_EQ(UpdateError(""),
            "Invalid UpdateExpression: The expression can not be empty;");
  EXPECT_EQ(ProjectionError(" "),
            "Invalid ProjectionExpression: The expression can not be empty;");
  KeySchema schema{{"pk", AttrType::kS}, std::nullopt};
  ExpressionContext ctx;
  EXPECT_EQ(ErrorOf(ParseKeyCondition("", ctx, schema).status()),
            "Invalid KeyConditionExpression: The expression can not be "
            "empty;");
}

TEST(ExprErrors, ExpressionSizeLimit) {
  std::string ok = "a = :v" + std::string(4096 - 6, ' ');
  ASSERT_EQ(ok.size(), 4096u);
  EXPECT_EQ(ConditionError(ok, {}, {{":v", kN1}}), "OK");
  std::string big = ok + " ";
  EXPECT_EQ(ConditionError(big, {}, {{":v", kN1}}),
            "Invalid ConditionExpression: Expression size has exceeded the "
            "maximum allowed size; expression size: 4097");
  EXPECT_EQ(
      UpdateError("SET a = :v" + std::string(5000, ' '), {}, {{":v", kN1}}),
      "Invalid UpdateExpression: Expression size has exceeded the "
      "maximum allowed size; expression size: 5010");
}

// --- syntax ---------------------------------------------------------------

TEST(ExprErrors, SyntaxTokenAndNear) {
  EXPECT_EQ(ConditionError("a-b"),
            "Invalid ConditionExpression: Syntax error; token: \"-\", near: "
            "\"a-b\"");
  EXPECT_EQ(ConditionError("a-b", {}, {}, ExpressionKind::kFilter),
            "Invalid FilterExpression: Syntax error; token: \"-\", near: "
            "\"a-b\"");
  EXPECT_EQ(ConditionError("a = 1"),
            "Invalid ConditionExpression: Syntax error; token: \"1\", near: "
            "\"= 1\"");
  EXPECT_EQ(ConditionError("a != :v", {}, {{":v", kN1}}),
            "Invalid ConditionExpression: Syntax error; token: \"!\", near: "
            "\"a !=\"");
  EXPECT_EQ(ConditionError("a = :v b", {}, {{":v", kN1}}),
            "Invalid ConditionExpression: Syntax error; token: \"b\", near: "
            "\":v b\"");
  EXPECT_EQ(ConditionError("\xC3\xA9 = :v", {}, {{":v", kN1}}),
            "Invalid ConditionExpression: Syntax error; token: \"\xC3\xA9\", "
            "near: \"\xC3\xA9 =\"");
}

TEST(ExprErrors, SyntaxAtEndOfInput) {
  EXPECT_EQ(ConditionError("a = "),
            "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", "
            "near: \"= \"");
  EXPECT_EQ(ConditionError("a = :v AND", {}, {{":v", kN1}}),
            "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", "
            "near: \"AND\"");
  EXPECT_EQ(ConditionError("a"),
            "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", "
            "near: \"a\"");
  EXPECT_EQ(ConditionError("(a = :v", {}, {{":v", kN1}}),
            "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", "
            "near: \":v\"");
}

TEST(ExprErrors, SyntaxEmptyListsAndCalls) {
  EXPECT_EQ(ConditionError("a IN ()"),
            "Invalid ConditionExpression: Syntax error; token: \")\", near: "
            "\"()\"");
  EXPECT_EQ(ConditionError("size() = :v", {}, {{":v", kN1}}),
            "Invalid ConditionExpression: Syntax error; token: \")\", near: "
            "\"() =\"");
}

TEST(ExprErrors, SyntaxLonePlaceholderSigils) {
  EXPECT_EQ(ConditionError("# = :v", {}, {{":v", kN1}}),
            "Invalid ConditionExpression: Syntax error; token: \"#\", near: "
            "\"# =\"");
  EXPECT_EQ(ConditionError("a = :"),
            "Invalid ConditionExpression: Syntax error; token: \":\", near: "
            "\"= :\"");
}

TEST(ExprErrors, SyntaxKeywordsAreNotNames) {
  EXPECT_EQ(ConditionError("a = and"),
            "Invalid ConditionExpression: Syntax error; token: \"and\", near: "
            "\"= and\"");
  EXPECT_EQ(ConditionError("a.b[x] = :v", {}, {{":v", kN1}}),
            "Invalid ConditionExpression: Syntax error; token: \"x\", near: "
            "\"[x]\"");
}

TEST(ExprErrors, UpdateSyntax) {
  EXPECT_EQ(UpdateError("INVALID SYNTAX HERE"),
            "Invalid UpdateExpression: Syntax error; token: \"INVALID\", "
            "near: \"INVALID SYNTAX\"");
  EXPECT_EQ(UpdateError("SET"),
            "Invalid UpdateExpression: Syntax error; token: \"<EOF>\", near: "
            "\"SET\"");
  EXPECT_EQ(UpdateError("SET a = b + c + d"),
            "Invalid UpdateExpression: Syntax error; token: \"+\", near: "
            "\"c + d\"");
  EXPECT_EQ(UpdateError("SET a = b / c"),
            "Invalid UpdateExpression: Syntax error; token: \"/\", near: "
            "\"b / c\"");
  EXPECT_EQ(UpdateError("SET a = set"),
            "Invalid UpdateExpression: Syntax error; token: \"set\", near: "
            "\"= set\"");
  EXPECT_EQ(UpdateError("REMOVE a = b"),
            "Invalid UpdateExpression: Syntax error; token: \"=\", near: "
            "\"a = b\"");
  EXPECT_EQ(UpdateError("ADD a b"),
            "Invalid UpdateExpression: Syntax error; token: \"b\", near: "
            "\"a b\"");
  EXPECT_EQ(UpdateError("SET a = if_not_exists(a, 100)"),
            "Invalid UpdateExpression: Syntax error; token: \"100\", near: "
            "\", 100)\"");
  EXPECT_EQ(UpdateError("SET if_not_exists(a, b) = a"),
            "Invalid UpdateExpression: Syntax error; token: \"(\", near: "
            "\"if_not_exists(a\"");
  EXPECT_EQ(UpdateError("SET a = (b.c).d + e"),
            "Invalid UpdateExpression: Syntax error; token: \".\", near: "
            "\").d\"");
  EXPECT_EQ(UpdateError("set a[1] = \"eight\""),
            "Invalid UpdateExpression: Syntax error; token: \"\"\", near: "
            "\"= \"eight\"");
  EXPECT_EQ(UpdateError("SET a = :v,"),
            "Invalid UpdateExpression: Syntax error; token: \"<EOF>\", near: "
            "\",\"");
}

TEST(ExprErrors, UpdateParenthesesAroundValuesAreFine) {
  EXPECT_EQ(UpdateError("SET a = (b + c)"), "OK");
  EXPECT_EQ(UpdateError("SET a = ((b.c.d)+(e))"), "OK");
  EXPECT_EQ(UpdateError("SET a = if_not_exists(a, b) + b"), "OK");
}

TEST(ExprErrors, ProjectionSyntax) {
  EXPECT_EQ(ProjectionError("a,"),
            "Invalid ProjectionExpression: Syntax error; token: \"<EOF>\", "
            "near: \",\"");
  EXPECT_EQ(ProjectionError(",a"),
            "Invalid ProjectionExpression: Syntax error; token: \",\", near: "
            "\",a\"");
  EXPECT_EQ(ProjectionError("a,,b"),
            "Invalid ProjectionExpression: Syntax error; token: \",\", near: "
            "\",,b\"");
  EXPECT_EQ(ProjectionError("a b"),
            "Invalid ProjectionExpression: Syntax error; token: \"b\", near: "
            "\"a b\"");
}

// --- reserved words -------------------------------------------------------

TEST(ExprErrors, ReservedWordBareName) {
  EXPECT_EQ(ConditionError("name = :v", {}, {{":v", kN1}}),
            "Invalid ConditionExpression: Attribute name is a reserved "
            "keyword; reserved keyword: name");
  EXPECT_EQ(ConditionError("a.Status = :v", {}, {{":v", kN1}}),
            "Invalid ConditionExpression: Attribute name is a reserved "
            "keyword; reserved keyword: Status");
  EXPECT_EQ(ProjectionError("a, size"),
            "Invalid ProjectionExpression: Attribute name is a reserved "
            "keyword; reserved keyword: size");
  EXPECT_EQ(UpdateError(" remove Absolute "),
            "Invalid UpdateExpression: Attribute name is a reserved keyword; "
            "reserved keyword: Absolute");
}

TEST(ExprErrors, ReservedWordComesBeforeOtherChecks) {
  // Before undefined placeholders and repeated sections.
  EXPECT_EQ(UpdateError(" set #c = :c set abOrt = true "),
            "Invalid UpdateExpression: Attribute name is a reserved keyword; "
            "reserved keyword: abOrt");
  EXPECT_EQ(ConditionError("status = :undefined"),
            "Invalid ConditionExpression: Attribute name is a reserved "
            "keyword; reserved keyword: status");
}

TEST(ExprErrors, ReservedWordAsFunctionNameIsFine) {
  EXPECT_EQ(ConditionError("size(a) > :v", {}, {{":v", kN1}}), "OK");
}

// --- functions ------------------------------------------------------------

TEST(ExprErrors, InvalidFunctionName) {
  EXPECT_EQ(ConditionError("foo(a)"),
            "Invalid ConditionExpression: Invalid function name; function: "
            "foo");
  // Function names are case-sensitive.
  EXPECT_EQ(ConditionError("BEGINS_WITH(a, :v)", {}, {{":v", kN1}}),
            "Invalid ConditionExpression: Invalid function name; function: "
            "BEGINS_WITH");
  EXPECT_EQ(UpdateError("set #c = if_not_exist(:c) set c = d"),
            "Invalid UpdateExpression: Invalid function name; function: "
            "if_not_exist");
}

TEST(ExprErrors, FunctionNotAllowedInThisExpression) {
  EXPECT_EQ(ConditionError("if_not_exists(a, a) = :v", {}, {{":v", kN1}}),
            "Invalid ConditionExpression: The function is not allowed in a "
            "condition expression; function: if_not_exists");
  EXPECT_EQ(ConditionError("list_append(a, b) = :v", {}, {{":v", kN1}}),
            "Invalid ConditionExpression: The function is not allowed in a "
            "condition expression; function: list_append");
  EXPECT_EQ(UpdateError("SET a = size(b)"),
            "Invalid UpdateExpression: The function is not allowed in an "
            "update expression; function: size");
}

TEST(ExprErrors, FunctionUsedTheWrongWay) {
  EXPECT_EQ(ConditionError("size(a)"),
            "Invalid ConditionExpression: The function is not allowed to be "
            "used this way in an expression; function: size");
  EXPECT_EQ(ConditionError("attribute_exists(a) < :v", {}, {{":v", kN1}}),
            "Invalid ConditionExpression: The function is not allowed to be "
            "used this way in an expression; function: attribute_exists");
  EXPECT_EQ(ConditionError("size(size(a)) = :v", {}, {{":v", kN1}}),
            "Invalid ConditionExpression: The function is not allowed to be "
            "used this way in an expression; function: size");
  EXPECT_EQ(UpdateError("SET a = list_append(list_append(a, b), c)"),
            "Invalid UpdateExpression: The function is not allowed to be "
            "used this way in an expression; function: list_append");
}

TEST(ExprErrors, FunctionOperandCount) {
  EXPECT_EQ(ConditionError("size(a, a) = :v", {}, {{":v", kN1}}),
            "Invalid ConditionExpression: Incorrect number of operands for "
            "operator or function; operator or function: size, number of "
            "operands: 2");
  EXPECT_EQ(ConditionError("attribute_exists(a, b)"),
            "Invalid ConditionExpression: Incorrect number of operands for "
            "operator or function; operator or function: attribute_exists, "
            "number of operands: 2");
  EXPECT_EQ(ConditionError("begins_with(a)"),
            "Invalid ConditionExpression: Incorrect number of operands for "
            "operator or function; operator or function: begins_with, "
            "number of operands: 1");
  EXPECT_EQ(UpdateError("set a = if_not_exists(c)"),
            "Invalid UpdateExpression: Incorrect number of operands for "
            "operator or function; operator or function: if_not_exists, "
            "number of operands: 1");
  EXPECT_EQ(UpdateError("set a = list_append(c)"),
            "Invalid UpdateExpression: Incorrect number of operands for "
            "operator or function; operator or function: list_append, "
            "number of operands: 1");
}

TEST(ExprErrors, FunctionRequiresPath) {
  EXPECT_EQ(ConditionError("attribute_exists(:v)", {}, {{":v", kN1}}),
            "Invalid ConditionExpression: Operator or function requires a "
            "document path; operator or function: attribute_exists");
  EXPECT_EQ(ConditionError("attribute_not_exists(:v)", {}, {{":v", kN1}}),
            "Invalid ConditionExpression: Operator or function requires a "
            "document path; operator or function: attribute_not_exists");
  EXPECT_EQ(UpdateError("set a = if_not_exists(:a, c)", {}, {{":a", kN1}}),
            "Invalid UpdateExpression: Operator or function requires a "
            "document path; operator or function: if_not_exists");
  EXPECT_EQ(UpdateError("set a = if_not_exists(if_not_exists(a, b), c)"),
            "Invalid UpdateExpression: Operator or function requires a "
            "document path; operator or function: if_not_exists");
}

// --- operand types --------------------------------------------------------

TEST(ExprErrors, OrderingOperandTypeFromPlaceholder) {
  EXPECT_EQ(ConditionError("a < :v", {}, {{":v", R"({"L":[{"N":"1"}]})"}}),
            "Invalid ConditionExpression: Incorrect operand type for "
            "operator or function; operator or function: <, operand type: "
            "L");
  EXPECT_EQ(ConditionError(":v >= a", {}, {{":v", R"({"BOOL":true})"}}),
            "Invalid ConditionExpression: Incorrect operand type for "
            "operator or function; operator or function: >=, operand type: "
            "BOOL");
  EXPECT_EQ(
      ConditionError("a BETWEEN :x AND :y", {},
                     {{":x", R"({"SS":["a"]})"}, {":y", R"({"SS":["b"]})"}}),
      "Invalid ConditionExpression: Incorrect operand type for operator or "
      "function; operator or function: BETWEEN, operand type: SS");
  // = and <> accept every type.
  EXPECT_EQ(ConditionError("a = :v", {}, {{":v", R"({"L":[]})"}}), "OK");
}

TEST(ExprErrors, BeginsWithOperandType) {
  EXPECT_EQ(ConditionError("begins_with(a, :v)", {}, {{":v", kN1}}),
            "Invalid ConditionExpression: Incorrect operand type for "
            "operator or function; operator or function: begins_with, "
            "operand type: N");
  EXPECT_EQ(
      ConditionError("begins_with(a, :v)", {}, {{":v", R"({"B":"YQ=="})"}}),
      "OK");
}

TEST(ExprErrors, AttributeTypeOperand) {
  EXPECT_EQ(ConditionError("attribute_type(a, :t)", {}, {{":t", kN1}}),
            "Invalid ConditionExpression: Incorrect operand type for "
            "operator or function; operator or function: attribute_type, "
            "operand type: N");
  EXPECT_EQ(ConditionError("attribute_type(a, b)"),
            "Invalid ConditionExpression: Incorrect operand type for "
            "operator or function; operator or function: attribute_type, "
            "operand type: PATH");
  EXPECT_EQ(
      ConditionError("attribute_type(a, :t)", {}, {{":t", R"({"S":"DOG"})"}}),
      "Invalid ConditionExpression: Invalid attribute type name found; "
      "type: DOG, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}");
}

TEST(ExprErrors, UpdateArithmeticOperandType) {
  EXPECT_EQ(UpdateError("set a = a + :s", {}, {{":s", R"({"S":"a"})"}}),
            "Invalid UpdateExpression: Incorrect operand type for operator "
            "or function; operator or function: +, operand type: S");
  EXPECT_EQ(UpdateError("set a = :c - a", {}, {{":c", R"({"B":"YQ=="})"}}),
            "Invalid UpdateExpression: Incorrect operand type for operator "
            "or function; operator or function: -, operand type: B");
  EXPECT_EQ(
      UpdateError("set a = list_append(:s, a)", {}, {{":s", R"({"S":"a"})"}}),
      "Invalid UpdateExpression: Incorrect operand type for operator "
      "or function; operator or function: list_append, operand type: "
      "S");
  EXPECT_EQ(
      UpdateError("set a = list_append(a, :m)", {}, {{":m", R"({"M":{}})"}}),
      "Invalid UpdateExpression: Incorrect operand type for operator "
      "or function; operator or function: list_append, operand type: "
      "M");
}

TEST(ExprErrors, AddAndDeleteOperandType) {
  struct Case {
    const char* json;
    const char* name;
  };
  for (const Case& c :
       {Case{R"({"S":"a"})", "STRING"}, Case{R"({"NULL":true})", "NULL"},
        Case{R"({"BOOL":false})", "BOOLEAN"}, Case{R"({"B":"YQ=="})", "BINARY"},
        Case{R"({"M":{}})", "MAP"}, Case{R"({"L":[]})", "LIST"}}) {
    EXPECT_EQ(UpdateError("add a.b :a", {}, {{":a", c.json}}),
              std::string("Invalid UpdateExpression: Incorrect operand type "
                          "for operator or function; operator: ADD, operand "
                          "type: ") +
                  c.name + ", typeSet: ALLOWED_FOR_ADD_OPERAND");
    EXPECT_EQ(UpdateError("delete a.b :a", {}, {{":a", c.json}}),
              std::string("Invalid UpdateExpression: Incorrect operand type "
                          "for operator or function; operator: DELETE, "
                          "operand type: ") +
                  c.name + ", typeSet: ALLOWED_FOR_DELETE_OPERAND");
  }
  EXPECT_EQ(UpdateError("delete a :a", {}, {{":a", kN1}}),
            "Invalid UpdateExpression: Incorrect operand type for operator "
            "or function; operator: DELETE, operand type: NUMBER, typeSet: "
            "ALLOWED_FOR_DELETE_OPERAND");
  EXPECT_EQ(UpdateError("add a :a", {}, {{":a", kN1}}), "OK");
}

TEST(ExprErrors, AddTypeCheckedBeforeSetOperands) {
  EXPECT_EQ(UpdateError("set b = list_append(:a, a), c = if_not_exists(a) "
                        "add a.b :a",
                        {}, {{":a", R"({"S":"a"})"}}),
            "Invalid UpdateExpression: Incorrect operand type for operator "
            "or function; operator: ADD, operand type: STRING, typeSet: "
            "ALLOWED_FOR_ADD_OPERAND");
}

// --- BETWEEN and IN -------------------------------------------------------

TEST(ExprErrors, BetweenBoundsOutOfOrder) {
  EXPECT_EQ(ConditionError("a BETWEEN :hi AND :lo", {},
                           {{":hi", R"({"N":"10"})"}, {":lo", R"({"N":"5"})"}}),
            "Invalid ConditionExpression: The BETWEEN operator requires "
            "upper bound to be greater than or equal to lower bound; lower "
            "bound operand: AttributeValue: {N:10}, upper bound operand: "
            "AttributeValue: {N:5}");
}

TEST(ExprErrors, BetweenBoundsOfDifferentTypes) {
  EXPECT_EQ(ConditionError("a BETWEEN :b AND :a", {},
                           {{":a", R"({"S":"a"})"}, {":b", kN1}}),
            "Invalid ConditionExpression: The BETWEEN operator requires same "
            "data type for lower and upper bounds; lower bound operand: "
            "AttributeValue: {N:1}, upper bound operand: AttributeValue: "
            "{S:a}");
}

TEST(ExprErrors, InOperandLimit) {
  std::string list = ":v" + Repeat(", :v", 98);  // 99 values + the left one
  EXPECT_EQ(ConditionError("a IN (" + list + ")", {}, {{":v", kN1}}), "OK");
  EXPECT_EQ(ConditionError("a IN (" + list + ", :v)", {}, {{":v", kN1}}),
            "Invalid ConditionExpression: The IN operator is provided with "
            "too many operands; number of operands: 101");
}

// --- distinct operands ----------------------------------------------------

TEST(ExprErrors, OperandsMustBeDistinct) {
  EXPECT_EQ(ConditionError("a = a"),
            "Invalid ConditionExpression: The first operand must be distinct "
            "from the remaining operands for this operator or function; "
            "operator: =, first operand: [a]");
  EXPECT_EQ(ConditionError("contains(a.b, a.b)"),
            "Invalid ConditionExpression: The first operand must be distinct "
            "from the remaining operands for this operator or function; "
            "operator: contains, first operand: [a, b]");
  // Compared after placeholders are resolved.
  EXPECT_EQ(ConditionError("#x <> a", {{"#x", "a"}}),
            "Invalid ConditionExpression: The first operand must be distinct "
            "from the remaining operands for this operator or function; "
            "operator: <>, first operand: [a]");
  EXPECT_EQ(ConditionError("contains(a, a1)"), "OK");
}

// --- limits ---------------------------------------------------------------

TEST(ExprErrors, TooManyOperators) {
  std::string three_hundred = "a = :v" + Repeat(" OR a = :v", 299);
  EXPECT_EQ(ConditionError(three_hundred, {}, {{":v", kN1}}), "OK");
  EXPECT_EQ(ConditionError(three_hundred + " OR a = :v", {}, {{":v", kN1}}),
            "Invalid ConditionExpression: The expression contains too many "
            "operators; operator count: 301");
  std::string update = "SET ";
  for (int i = 0; i < 301; ++i) {
    if (i > 0) update += ",";
    update += "a" + std::to_string(i) + "=:v+:v";
  }
  EXPECT_EQ(UpdateError(update, {}, {{":v", kN1}}),
            "Invalid UpdateExpression: The expression contains too many "
            "operators; operator count: 301");
}

TEST(ExprErrors, DocumentPathDepth) {
  std::string ok = "a" + Repeat(".b", 31);
  EXPECT_EQ(ProjectionError(ok), "OK");
  EXPECT_EQ(ProjectionError(ok + ".b"),
            "Invalid ProjectionExpression: The document path has too many "
            "nesting levels; nesting levels: 33");
  EXPECT_EQ(ConditionError("attribute_exists(" + ok + "[0])"),
            "Invalid ConditionExpression: The document path has too many "
            "nesting levels; nesting levels: 33");
}

TEST(ExprErrors, RedundantParentheses) {
  EXPECT_EQ(ConditionError("((a = :v))", {}, {{":v", kN1}}),
            "Invalid ConditionExpression: The expression has redundant "
            "parentheses;");
  EXPECT_EQ(ConditionError("((a = :v) AND ((b = :v)))", {}, {{":v", kN1}}),
            "Invalid ConditionExpression: The expression has redundant "
            "parentheses;");
  EXPECT_EQ(ConditionError("((a = :v) AND (b = :v))", {}, {{":v", kN1}}), "OK");
}

TEST(ExprErrors, NestingCapStopsHostileInput) {
  std::string deep = Repeat("(", 101) + "a = :v" + Repeat(")", 101);
  EXPECT_EQ(ConditionError(deep, {}, {{":v", kN1}}),
            "Invalid ConditionExpression: The expression has too many "
            "nesting levels; maximum: 100");
  EXPECT_EQ(ConditionError(Repeat("NOT ", 101) + "a = :v", {}, {{":v", kN1}}),
            "Invalid ConditionExpression: The expression has too many "
            "nesting levels; maximum: 100");
  EXPECT_EQ(ConditionError(Repeat("NOT ", 100) + "a = :v", {}, {{":v", kN1}}),
            "OK");
  EXPECT_EQ(UpdateError("SET a = " + Repeat("(", 101) + "b" + Repeat(")", 101)),
            "Invalid UpdateExpression: The expression has too many nesting "
            "levels; maximum: 100");
  // Far more than the cap, still an error and no crash.
  std::string hostile(4000, '(');
  EXPECT_NE(ConditionError(hostile), "OK");
}

// --- placeholders ---------------------------------------------------------

TEST(ExprErrors, UndefinedName) {
  EXPECT_EQ(ConditionError("#n = :v", {{"#x", "x"}}, {{":v", kN1}}),
            "Invalid ConditionExpression: An expression attribute name used "
            "in the document path is not defined; attribute name: #n");
  EXPECT_EQ(ProjectionError("a.#n2", {{"#wrong", "b"}}),
            "Invalid ProjectionExpression: An expression attribute name used "
            "in the document path is not defined; attribute name: #n2");
}

TEST(ExprErrors, UndefinedValue) {
  EXPECT_EQ(ConditionError("a = :w", {}, {{":v", kN1}}),
            "Invalid ConditionExpression: An expression attribute value used "
            "in expression is not defined; attribute value: :w");
  EXPECT_EQ(UpdateError("SET #a = if_not_exists(:c)", {{"#a", "a"}}),
            "Invalid UpdateExpression: An expression attribute value used in "
            "expression is not defined; attribute value: :c");
}

TEST(ExprErrors, ContextMapsValidation) {
  EXPECT_EQ(
      ErrorOf(ExpressionContext(ExpressionContext::NameMap{}, std::nullopt)
                  .Validate()),
      "ExpressionAttributeNames must not be empty");
  EXPECT_EQ(
      ErrorOf(ExpressionContext(std::nullopt, ExpressionContext::ValueMap{})
                  .Validate()),
      "ExpressionAttributeValues must not be empty");
  EXPECT_EQ(ErrorOf(Ctx({{"a", "a"}}).Validate()),
            "ExpressionAttributeNames contains invalid key: Syntax error; "
            "key: \"a\"");
  EXPECT_EQ(ErrorOf(Ctx({}, {{":ok", kN1}, {"b", kN1}}).Validate()),
            "ExpressionAttributeValues contains invalid key: Syntax error; "
            "key: \"b\"");
  EXPECT_EQ(ErrorOf(Ctx({{"#a-b", "a"}}).Validate()),
            "ExpressionAttributeNames contains invalid key: Syntax error; "
            "key: \"#a-b\"");
  std::string long_key = "#" + std::string(255, 'k');
  EXPECT_EQ(ErrorOf(Ctx({{long_key, "a"}}).Validate()),
            "ExpressionAttributeNames contains invalid key: The expression "
            "attribute map contains a key that is too long; size of key: "
            "256");
  EXPECT_EQ(ErrorOf(Ctx({{"#a", ""}}).Validate()),
            "ExpressionAttributeNames contains invalid value: The attribute "
            "name can not be empty; key: #a");
  EXPECT_TRUE(Ctx({{"#a", "a"}}, {{":v", kN1}}).Validate().ok());
  EXPECT_TRUE(ExpressionContext().Validate().ok());
}

TEST(ExprErrors, UnusedNamesAndValues) {
  ExpressionContext ctx =
      Ctx({{"#b", "b"}, {"#a", "a"}, {"#used", "u"}}, {{":v", kN1}});
  ASSERT_TRUE(ParseCondition("#used = :v", ctx).ok());
  EXPECT_EQ(ErrorOf(CheckAllUsed(ctx)),
            "Value provided in ExpressionAttributeNames unused in "
            "expressions: keys: {#a, #b}");

  ExpressionContext ctx2 = Ctx({}, {{":a", kN1}, {":b", kN1}, {":c", kN1}});
  ASSERT_TRUE(ParseCondition("a = :b", ctx2).ok());
  ASSERT_TRUE(ParseUpdate("REMOVE a", ctx2).ok());
  EXPECT_EQ(ErrorOf(CheckAllUsed(ctx2)),
            "Value provided in ExpressionAttributeValues unused in "
            "expressions: keys: {:a, :c}");
}

TEST(ExprErrors, UsageSpansAllExpressionsOfARequest) {
  ExpressionContext ctx =
      Ctx({{"#name1", "p"}, {"#name2", "a"}}, {{":val1", R"({"S":"x"})"}});
  KeySchema schema{{"p", AttrType::kS}, std::nullopt};
  ASSERT_TRUE(ParseKeyCondition("#name1 = :val1", ctx, schema).ok());
  EXPECT_FALSE(CheckAllUsed(ctx).ok());
  ASSERT_TRUE(ParseProjection("#name2", ctx).ok());
  EXPECT_TRUE(CheckAllUsed(ctx).ok());
}

// --- update structure -----------------------------------------------------

TEST(ExprErrors, SectionUsedTwice) {
  EXPECT_EQ(UpdateError("set a = #c set c = :d"),
            "Invalid UpdateExpression: The \"SET\" section can only be used "
            "once in an update expression;");
  EXPECT_EQ(UpdateError("remove #d set a = b remove e"),
            "Invalid UpdateExpression: The \"REMOVE\" section can only be "
            "used once in an update expression;");
  EXPECT_EQ(UpdateError("add #d :e set a = b add e :f"),
            "Invalid UpdateExpression: The \"ADD\" section can only be used "
            "once in an update expression;");
  EXPECT_EQ(UpdateError("delete #d :e set a = b delete #e :f"),
            "Invalid UpdateExpression: The \"DELETE\" section can only be "
            "used once in an update expression;");
}

TEST(ExprErrors, UpdatePathsOverlap) {
  EXPECT_EQ(UpdateError("SET a = :v REMOVE a", {}, {{":v", kN1}}),
            "Invalid UpdateExpression: Two document paths overlap with each "
            "other; must remove or rewrite one of these paths; path one: "
            "[a], path two: [a]");
  // An overlap anywhere is reported before a conflict (d[1] vs d.b).
  EXPECT_EQ(UpdateError("set d[1] = a, d.b = a, c[1].a = a, #c = "
                        "if_not_exists(a)",
                        {{"#c", "c"}}),
            "Invalid UpdateExpression: Two document paths overlap with each "
            "other; must remove or rewrite one of these paths; path one: "
            "[c, [1], a], path two: [c]");
  EXPECT_EQ(
      UpdateError("set #c[3].#d = a, #c[3] = a", {{"#c", "c"}, {"#d", "[3]"}}),
      "Invalid UpdateExpression: Two document paths overlap with each "
      "other; must remove or rewrite one of these paths; path one: "
      "[c, [3], [3]], path two: [c, [3]]");
}

TEST(ExprErrors, UpdatePathsConflict) {
  EXPECT_EQ(
      UpdateError("remove a.#c set a[1] = #d", {{"#c", "c"}, {"#d", "[3]"}}),
      "Invalid UpdateExpression: Two document paths conflict with each "
      "other; must remove or rewrite one of these paths; path one: "
      "[a, c], path two: [a, [1]]");
  EXPECT_EQ(UpdateError("set #c[3].#d = a, #c.#d[3] = if_not_exists(a)",
                        {{"#c", "c"}, {"#d", "[3]"}}),
            "Invalid UpdateExpression: Two document paths conflict with each "
            "other; must remove or rewrite one of these paths; path one: "
            "[c, [3], [3]], path two: [c, [3], [3]]");
  EXPECT_EQ(
      UpdateError("SET a.b = :v, a.c = :v, a.d[1] = :v", {}, {{":v", kN1}}),
      "OK");
}

TEST(ExprErrors, ProjectionPathsOverlapAndConflict) {
  for (const char* e : {"a, a", "a.b, a.b", "a[1], a[1]", "a, a.b", "a.b, a",
                        "a.b, a.b[2]", "a, a.b[2].c", "a.b.d.e, a.b"}) {
    std::string err = ProjectionError(e);
    EXPECT_NE(err.find("Two document paths overlap"), std::string::npos)
        << e << ": " << err;
  }
  EXPECT_EQ(ProjectionError("a.b, a"),
            "Invalid ProjectionExpression: Two document paths overlap with "
            "each other; must remove or rewrite one of these paths; path "
            "one: [a, b], path two: [a]");
  for (const char* e : {"a.b, a[1]", "a[1], a.b", "a.b[1], a.b.c"}) {
    std::string err = ProjectionError(e);
    EXPECT_NE(err.find("Two document paths conflict"), std::string::npos)
        << e << ": " << err;
  }
  EXPECT_EQ(ProjectionError("a.b, a[1]"),
            "Invalid ProjectionExpression: Two document paths conflict with "
            "each other; must remove or rewrite one of these paths; path "
            "one: [a, b], path two: [a, [1]]");
  for (const char* e :
       {"a, b", "a.b, a.c", "a.b.d, a.b.e", "a[1], a[2]", "a.b, a.c[2]"}) {
    EXPECT_EQ(ProjectionError(e), "OK") << e;
  }
}

TEST(ExprErrors, UpdateMayNotWriteKey) {
  KeySchema schema{{"pk", AttrType::kS}, KeyAttribute{"sk", AttrType::kN}};
  ExpressionContext ctx = Ctx({}, {{":v", kN1}});
  Result<ParsedUpdate> u = ParseUpdate("SET a = :v ADD sk.x :v", ctx);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(ErrorOf(CheckUpdateKeepsKey(*u, schema)),
            "One or more parameter values were invalid: Cannot update "
            "attribute sk. This attribute is part of the key");
  Result<ParsedUpdate> fine = ParseUpdate("SET a = pk", ctx);
  ASSERT_TRUE(fine.ok());
  EXPECT_TRUE(CheckUpdateKeepsKey(*fine, schema).ok());
}

}  // namespace
}  // namespace godwit
