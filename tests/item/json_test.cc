#include "godwit/json.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "godwit/item.h"

namespace godwit {
namespace {

// The message of a failed parse, or "OK: <canonical JSON>" on success, so a
// wrong outcome shows what happened.
std::string ItemError(std::string_view json) {
  JsonParser parser;
  Result<Item> r = parser.ParseItem(json);
  if (r.ok()) return "OK: " + ItemToJson(*r);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  return std::string(r.status().message());
}

std::string LineError(std::string_view json) {
  JsonParser parser;
  Result<Item> r = parser.ParseItemLine(json);
  if (r.ok()) return "OK: " + ItemToJson(*r);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  return std::string(r.status().message());
}

std::string ValueError(std::string_view json) {
  JsonParser parser;
  Result<AttributeValue> r = parser.ParseValue(json);
  if (r.ok()) {
    std::string out = "OK: ";
    WriteValueJson(*r, &out);
    return out;
  }
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  return std::string(r.status().message());
}

// Parses `json` (which must succeed) and returns the canonical JSON.
std::string Canonical(std::string_view json) {
  JsonParser parser;
  Result<Item> r = parser.ParseItem(json);
  EXPECT_TRUE(r.ok()) << r.status().ToString() << " for " << json;
  if (!r.ok()) return "";
  return ItemToJson(*r);
}

Item ParseOrDie(std::string_view json) {
  JsonParser parser;
  Result<Item> r = parser.ParseItem(json);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : Item();
}

Number Num(std::string_view text) {
  Result<Number> n = Number::Parse(text);
  EXPECT_TRUE(n.ok()) << n.status().ToString();
  return n.ok() ? *n : Number();
}

// A chain of `containers` nested M (or L) values around {"S":"x"}, as the
// value of attribute "a".
std::string Nested(int containers, bool list) {
  std::string v = R"({"S":"x"})";
  for (int i = 0; i < containers; ++i) {
    v = list ? R"({"L":[)" + v + "]}" : R"({"M":{"a":)" + v + "}}";
  }
  return R"({"a":)" + v + "}";
}

// ---------------------------------------------------------------------------
// Every type.

TEST(JsonParse, String) {
  Item item = ParseOrDie(R"({"a": {"S": "hello"}, "e": {"S": ""}})");
  ASSERT_EQ(item.size(), 2u);
  EXPECT_EQ(item.Find("a")->type(), AttrType::kS);
  EXPECT_EQ(item.Find("a")->s(), "hello");
  EXPECT_EQ(item.Find("e")->s(), "");
}

TEST(JsonParse, Number) {
  Item item = ParseOrDie(R"({"n": {"N": "12.50"}})");
  ASSERT_TRUE(item.Find("n")->is(AttrType::kN));
  EXPECT_EQ(item.Find("n")->n().text(), "12.5");
}

TEST(JsonParse, Binary) {
  Item item = ParseOrDie(R"({"b": {"B": "Zm9vYg=="}, "e": {"B": ""}})");
  ASSERT_TRUE(item.Find("b")->is(AttrType::kB));
  EXPECT_EQ(item.Find("b")->b(), "foob");
  EXPECT_EQ(item.Find("e")->b(), "");
}

TEST(JsonParse, BoolAndNull) {
  Item item = ParseOrDie(
      R"({"t": {"BOOL": true}, "f": {"BOOL": false}, "z": {"NULL": true}})");
  EXPECT_EQ(*item.Find("t"), AttributeValue::Bool(true));
  EXPECT_EQ(*item.Find("f"), AttributeValue::Bool(false));
  EXPECT_EQ(*item.Find("z"), AttributeValue::Null());
}

TEST(JsonParse, MapAndList) {
  Item item = ParseOrDie(
      R"({"m": {"M": {"y": {"N": "2"}, "x": {"S": "1"}}},
          "l": {"L": [{"S": "a"}, {"N": "1"}, {"L": []}, {"M": {}}]},
          "em": {"M": {}}, "el": {"L": []}})");
  const AttributeValue& m = *item.Find("m");
  ASSERT_TRUE(m.is(AttrType::kM));
  ASSERT_EQ(m.m().size(), 2u);
  EXPECT_EQ(m.m().begin()->first, "x");  // sorted in memory
  EXPECT_EQ(*m.m().Find("y"), AttributeValue::N(Num("2")));
  const AttributeValue& l = *item.Find("l");
  ASSERT_TRUE(l.is(AttrType::kL));
  ASSERT_EQ(l.l().size(), 4u);
  EXPECT_EQ(l.l()[0], AttributeValue::S("a"));
  EXPECT_EQ(l.l()[1], AttributeValue::N(Num("1")));
  EXPECT_EQ(l.l()[2], AttributeValue::L({}));
  EXPECT_EQ(l.l()[3], AttributeValue::M({}));
  EXPECT_TRUE(item.Find("em")->m().empty());
  EXPECT_TRUE(item.Find("el")->l().empty());
}

TEST(JsonParse, Sets) {
  Item item = ParseOrDie(
      R"({"ss": {"SS": ["b", "a", "c"]}, "ns": {"NS": ["10", "-1", "2.50"]},
          "bs": {"BS": ["Yg==", "YQ=="]}})");
  EXPECT_EQ(item.Find("ss")->ss(), (std::vector<std::string>{"a", "b", "c"}));
  const auto& ns = item.Find("ns")->ns();
  ASSERT_EQ(ns.size(), 3u);
  EXPECT_EQ(ns[0].text(), "-1");
  EXPECT_EQ(ns[1].text(), "2.5");
  EXPECT_EQ(ns[2].text(), "10");
  EXPECT_EQ(item.Find("bs")->bs(), (std::vector<std::string>{"a", "b"}));
}

TEST(JsonParse, EmptyItem) {
  EXPECT_TRUE(ParseOrDie("{}").empty());
  EXPECT_EQ(Canonical(" \n{ }\t"), "{}");
}

TEST(JsonParse, EscapedNamesAndTypeKeys) {
  // Names and type keys may be spelled with escapes.
  Item item =
      ParseOrDie(R"({"\u0061\n": {"\u0053": "x"}, "b": {"B\u004fOL": true}})");
  EXPECT_EQ(*item.Find("a\n"), AttributeValue::S("x"));
  EXPECT_EQ(*item.Find("b"), AttributeValue::Bool(true));
}

TEST(JsonParse, ParseValue) {
  JsonParser parser;
  Result<AttributeValue> v = parser.ParseValue(R"( {"NS": ["3", "1"]} )");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  ASSERT_TRUE(v->is(AttrType::kNS));
  EXPECT_EQ(v->ns()[0].text(), "1");
  EXPECT_EQ(ValueError(R"({"M": {"k": {"S": "v"}}})"),
            R"(OK: {"M":{"k":{"S":"v"}}})");
}

TEST(JsonParse, ByteOrderMarkIsSkipped) {
  EXPECT_EQ(Canonical("\xEF\xBB\xBF{\"a\": {\"S\": \"x\"}}"),
            R"({"a":{"S":"x"}})");
  // Offsets still count the BOM's bytes.
  EXPECT_EQ(ItemError("\xEF\xBB\xBF{\"a\": {\"S\": \"x\\q\"}}"),
            "$.a.S: malformed JSON at byte 15: Problem while parsing a string");
  EXPECT_EQ(ItemError("\xEF\xBB\xBF{\"a\": {\"S\": \"\xff\"}}"),
            "$: malformed JSON at byte 16: The input is not valid UTF-8");
}

TEST(JsonParse, InputIsAView) {
  // Only the view is parsed, not what follows it in memory.
  std::string buffer = R"({"a":{"S":"x"}}GARBAGE)";
  JsonParser parser;
  Result<Item> r = parser.ParseItem(std::string_view(buffer).substr(0, 15));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ItemToJson(*r), R"({"a":{"S":"x"}})");
}

TEST(JsonParse, ParserIsReusableAfterErrorsAndLargeInputs) {
  JsonParser parser;
  std::string big = R"({"a":{"S":")" + std::string(100000, 'x') + R"("}})";
  for (int round = 0; round < 3; ++round) {
    ASSERT_TRUE(parser.ParseItem(big).ok());
    Result<Item> bad = parser.ParseItem(R"({"a":{"N":"x"}})");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.status().message(), R"($.a.N: not a number: "x")");
    Result<Item> small = parser.ParseItem(R"({"b":{"BOOL":false}})");
    ASSERT_TRUE(small.ok()) << small.status().ToString();
    EXPECT_EQ(*small->Find("b"), AttributeValue::Bool(false));
  }
}

TEST(JsonParse, NothingLeaksFromAFailedParseIntoTheNext) {
  JsonParser parser;
  ASSERT_FALSE(parser
                   .ParseItem(R"({"a": {"S": "x"}, "l": {"L": [{"S": "a"},
                        {"M": {"k": {"S": "v"}, "bad": {"N": "x"}}}]}})")
                   .ok());
  Result<Item> r =
      parser.ParseItem(R"({"l": {"L": [{"M": {"z": {"S": "b"}}}]}})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ItemToJson(*r), R"({"l":{"L":[{"M":{"z":{"S":"b"}}}]}})");
}

TEST(JsonParse, WideMapsAndLists) {
  Item item;
  AttributeValue::List list;
  for (int i = 0; i < 5000; ++i) {
    item.Set("a" + std::to_string(i), AttributeValue::N(Number::FromInt64(i)));
    list.push_back(AttributeValue::S(std::to_string(i)));
  }
  item.Set("list", AttributeValue::L(std::move(list)));
  JsonParser parser;
  for (int round = 0; round < 2; ++round) {
    Result<Item> r = parser.ParseItem(ItemToJson(item));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(*r, item);
    Result<Item> small = parser.ParseItem(R"({"b": {"L": [{"S": "x"}]}})");
    ASSERT_TRUE(small.ok()) << small.status().ToString();
    EXPECT_EQ(ItemToJson(*small), R"({"b":{"L":[{"S":"x"}]}})");
  }
}

// ---------------------------------------------------------------------------
// Errors: every message, with its path.

TEST(JsonErrors, DuplicateSetMember) {
  EXPECT_EQ(ItemError(R"({"tags": {"SS": ["a", "b", "a"]}})"),
            "$.tags.SS[2]: duplicate set member");
  EXPECT_EQ(ItemError(R"({"n": {"NS": ["1", "2", "1.0"]}})"),
            "$.n.NS[2]: duplicate set member");
  EXPECT_EQ(ItemError(R"({"b": {"BS": ["YQ==", "YQ=="]}})"),
            "$.b.BS[1]: duplicate set member");
}

TEST(JsonErrors, EmptySet) {
  EXPECT_EQ(ItemError(R"({"s": {"SS": []}})"), "$.s.SS: empty set");
  EXPECT_EQ(ItemError(R"({"s": {"NS": []}})"), "$.s.NS: empty set");
  EXPECT_EQ(ItemError(R"({"s": {"BS": []}})"), "$.s.BS: empty set");
}

TEST(JsonErrors, BadNumber) {
  EXPECT_EQ(ItemError(R"({"price": {"N": "1.2.3"}})"),
            R"($.price.N: not a number: "1.2.3")");
  EXPECT_EQ(ItemError(R"({"price": {"N": ""}})"),
            R"($.price.N: not a number: "")");
  EXPECT_EQ(ItemError(R"({"price": {"N": " 1"}})"),
            R"($.price.N: not a number: " 1")");
  EXPECT_EQ(
      ItemError(R"({"n": {"N": "1234567890123456789012345678901234567890"}})"),
      R"($.n.N: more than 38 significant digits: )"
      R"("1234567890123456789012345678901234567890")");
  EXPECT_EQ(ItemError(R"({"n": {"N": "1e-131"}})"),
            R"($.n.N: magnitude below 1E-130: "1e-131")");
  EXPECT_EQ(ItemError(R"({"s": {"NS": ["1", "x"]}})"),
            R"($.s.NS[1]: not a number: "x")");
  EXPECT_EQ(ItemError(R"({"n": {"N": 5}})"), "$.n.N: must be a string");
}

TEST(JsonErrors, UnknownType) {
  EXPECT_EQ(ItemError(R"({"a": {"X": 1}})"), R"($.a: unknown type "X")");
  EXPECT_EQ(ItemError(R"({"a": {"s": "x"}})"), R"($.a: unknown type "s")");
  EXPECT_EQ(ItemError(R"({"a": {"": "x"}})"), R"($.a: unknown type "")");
  // Hostile keys are shown escaped and cut.
  EXPECT_EQ(ItemError(R"({"a": {"\n)" + std::string(100, 'k') + R"(": 1}})"),
            R"($.a: unknown type "\n)" + std::string(63, 'k') + R"(...")");
}

TEST(JsonErrors, ExactlyOneTypeKey) {
  EXPECT_EQ(ItemError(R"({"a": {}})"),
            "$.a: a value must have exactly one type key");
  EXPECT_EQ(ItemError(R"({"a": {"S": "x", "N": "1"}})"),
            "$.a: a value must have exactly one type key");
  EXPECT_EQ(ItemError(R"({"a": {"S": "x", "S": "y"}})"),
            "$.a: a value must have exactly one type key");
}

TEST(JsonErrors, NullAndBool) {
  EXPECT_EQ(ItemError(R"({"a": {"NULL": false}})"), "$.a.NULL: must be true");
  EXPECT_EQ(ItemError(R"({"a": {"NULL": "true"}})"), "$.a.NULL: must be true");
  EXPECT_EQ(ItemError(R"({"a": {"NULL": null}})"), "$.a.NULL: must be true");
  EXPECT_EQ(ItemError(R"({"a": {"BOOL": "true"}})"),
            "$.a.BOOL: must be true or false");
  EXPECT_EQ(ItemError(R"({"a": {"BOOL": 1}})"),
            "$.a.BOOL: must be true or false");
  EXPECT_EQ(ItemError(R"({"a": {"BOOL": tru}})"),
            "$.a.BOOL: must be true or false");
}

TEST(JsonErrors, WrongPayloadTypes) {
  EXPECT_EQ(ItemError(R"({"a": {"S": 1}})"), "$.a.S: must be a string");
  EXPECT_EQ(ItemError(R"({"a": {"B": []}})"), "$.a.B: must be a string");
  EXPECT_EQ(ItemError(R"({"a": {"M": []}})"), "$.a.M: must be an object");
  EXPECT_EQ(ItemError(R"({"a": {"L": {}}})"), "$.a.L: must be an array");
  EXPECT_EQ(ItemError(R"({"a": {"SS": "x"}})"), "$.a.SS: must be an array");
  EXPECT_EQ(ItemError(R"({"a": {"SS": ["x", 1]}})"),
            "$.a.SS[1]: must be a string");
  EXPECT_EQ(ItemError(R"({"a": {"L": [{"S": "x"}, "y"]}})"),
            "$.a.L[1]: not an object");
  EXPECT_EQ(ItemError(R"({"a": "x"})"), "$.a: not an object");
  EXPECT_EQ(ItemError(R"({"a": [{"S": "x"}]})"), "$.a: not an object");
}

TEST(JsonErrors, Base64) {
  EXPECT_EQ(ItemError(R"({"a": {"B": "Zm9v!A=="}})"),
            "$.a.B: invalid base64: '!' at offset 4");
  EXPECT_EQ(ItemError(R"({"a": {"B": "Zm9"}})"),
            "$.a.B: invalid base64: length 3 is not a multiple of 4");
  EXPECT_EQ(ItemError(R"({"a": {"BS": ["YQ==", "Y=Q="]}})"),
            "$.a.BS[1]: invalid base64: misplaced '=' at offset 1");
  EXPECT_EQ(ItemError(R"({"a": {"B": "YR=="}})"),
            "$.a.B: invalid base64: non-zero bits after the last byte");
}

TEST(JsonErrors, NotAnObject) {
  EXPECT_EQ(ItemError("[]"), "$: not an object");
  EXPECT_EQ(ItemError(R"("x")"), "$: not an object");
  EXPECT_EQ(ItemError("1"), "$: not an object");
  EXPECT_EQ(ItemError("null"), "$: not an object");
  EXPECT_EQ(ValueError("[]"), "$: not an object");
  EXPECT_EQ(LineError("true"), "$: not an object");
}

TEST(JsonErrors, DuplicateAttributeName) {
  EXPECT_EQ(ItemError(R"({"a": {"S": "x"}, "b": {"S": "y"}, "a": {"N": "1"}})"),
            "$.a: duplicate attribute name");
  EXPECT_EQ(ItemError(R"({"m": {"M": {"k": {"S": "x"}, "k": {"S": "x"}}}})"),
            "$.m.M.k: duplicate attribute name");
  // Equal after unescaping.
  EXPECT_EQ(ItemError(R"({"k": {"S": "x"}, "\u006b": {"S": "x"}})"),
            "$.k: duplicate attribute name");
}

TEST(JsonErrors, NestingDepth) {
  // A top-level value is at depth 1, so 31 containers put the scalar at depth
  // 32 (allowed) and 32 containers put it at depth 33.
  EXPECT_EQ(ItemError(Nested(31, false)).substr(0, 3), "OK:");
  EXPECT_EQ(ItemError(Nested(31, true)).substr(0, 3), "OK:");
  std::string path = "$.a";
  for (int i = 0; i < 32; ++i) path += ".M.a";
  EXPECT_EQ(ItemError(Nested(32, false)),
            path + ": nesting deeper than 32 levels");
  path = "$.a";
  for (int i = 0; i < 32; ++i) path += ".L[0]";
  EXPECT_EQ(ItemError(Nested(32, true)),
            path + ": nesting deeper than 32 levels");
  // An empty container at depth 32 is fine.
  std::string v = R"({"M":{}})";
  for (int i = 0; i < 31; ++i) v = R"({"M":{"a":)" + v + "}}";
  EXPECT_EQ(ItemError(R"({"a":)" + v + "}").substr(0, 3), "OK:");
}

TEST(JsonErrors, HostileNestingDoesNotRecurse) {
  // 1,000,000 levels: rejected at depth 33, long before any stack trouble.
  std::string json = R"({"a":)";
  for (int i = 0; i < 1000000; ++i) json += R"({"L":[)";
  json += R"({"S":"x"})";
  for (int i = 0; i < 1000000; ++i) json += "]}";
  json += "}";
  std::string message = ItemError(json);
  EXPECT_NE(message.find(": nesting deeper than 32 levels"), std::string::npos)
      << message.substr(0, 200);
  // And plain JSON nesting, not DynamoDB JSON.
  EXPECT_EQ(ItemError(R"({"a":)" + std::string(100000, '[')),
            "$: malformed JSON at byte 0: JSON document ended early in the "
            "middle of an object or array. (the input does not end with the "
            "'}' closing this object)");
}

TEST(JsonErrors, TrailingContent) {
  EXPECT_EQ(ItemError(R"({"a": {"S": "x"}} {})"),
            "$: trailing content after the item");
  EXPECT_EQ(ItemError(R"({"a": {"S": "x"}}})"),
            "$: trailing content after the item");
  EXPECT_EQ(ValueError(R"({"S": "x"} {"S": "y"})"),
            "$: trailing content after the value");
  EXPECT_EQ(LineError(R"({"Item": {}} {"Item": {}})"),
            "$: trailing content after the item line");
}

TEST(JsonErrors, MalformedJson) {
  EXPECT_EQ(ItemError(""), "$: malformed JSON: Empty: no JSON found");
  EXPECT_EQ(ItemError("  \n"), "$: malformed JSON: Empty: no JSON found");
  EXPECT_EQ(ItemError(R"({"a": {"S": "x"},})"),
            "$: malformed JSON at byte 17: The JSON document has an improper "
            "structure: missing or superfluous commas, braces, missing keys, "
            "etc.");
  EXPECT_EQ(ItemError(R"({"a": {"S": "x"}, "b": })"),
            "$.b: malformed JSON at byte 23: The JSON document has an "
            "improper structure: missing or superfluous commas, braces, "
            "missing keys, etc.");
  EXPECT_EQ(ItemError(R"( {"a": {"S": "x")"),
            "$: malformed JSON at byte 1: JSON document ended early in the "
            "middle of an object or array. (the input does not end with the "
            "'}' closing this object)");
  EXPECT_EQ(ItemError(R"({"a": {"S": "x"}} x)"),
            "$: malformed JSON at byte 0: JSON document ended early in the "
            "middle of an object or array. (the input does not end with the "
            "'}' closing this object)");
  EXPECT_EQ(ItemError(R"({"a": {"S": "x\q"}})"),
            "$.a.S: malformed JSON at byte 12: Problem while parsing a string");
  EXPECT_EQ(ItemError(R"({"a\q": {"S": "x"}})"),
            "$: malformed JSON at byte 1: Problem while parsing a string");
}

TEST(JsonErrors, InvalidUtf8HasOffset) {
  EXPECT_EQ(ItemError("{\"a\": {\"S\": \"ab\xff\"}}"),
            "$: malformed JSON at byte 15: The input is not valid UTF-8");
  // An overlong encoding of '/' and a UTF-16 surrogate encoded in UTF-8.
  EXPECT_EQ(ItemError("{\"a\": {\"S\": \"\xc0\xaf\"}}"),
            "$: malformed JSON at byte 13: The input is not valid UTF-8");
  EXPECT_EQ(ItemError("{\"a\": {\"S\": \"x\xed\xa0\x80\"}}"),
            "$: malformed JSON at byte 14: The input is not valid UTF-8");
}

TEST(JsonErrors, UnescapedControlCharacterAndUnclosedString) {
  EXPECT_EQ(ItemError("{\"a\": {\"S\": \"x\ny\"}}"),
            "$: malformed JSON at byte 14: Within strings, some characters "
            "must be escaped, we found unescaped characters");
  EXPECT_EQ(ItemError(R"({"a": {"S": "xy}})"),
            "$: malformed JSON at byte 12: A string is opened, but never "
            "closed.");
}

TEST(JsonErrors, SpecialNamesAreQuotedInPaths) {
  EXPECT_EQ(ItemError(R"({"a.b": {"N": "x"}})"),
            R"($["a.b"].N: not a number: "x")");
  EXPECT_EQ(ItemError(R"({"": {"N": "x"}})"), R"($[""].N: not a number: "x")");
  EXPECT_EQ(ItemError(R"({"say \"hi\"\n": {"N": "x"}})"),
            R"($["say \"hi\"\n"].N: not a number: "x")");
  EXPECT_EQ(ItemError(R"({"m": {"M": {"x y": {"L": [{"N": "x"}]}}}})"),
            R"($.m.M["x y"].L[0].N: not a number: "x")");
  EXPECT_EQ(ItemError(R"({"Order_id-2": {"N": "x"}})"),
            R"($.Order_id-2.N: not a number: "x")");
}

TEST(JsonErrors, LongNamesAreCutInPaths) {
  const std::string name(1000, 'n');
  EXPECT_EQ(ItemError(R"({")" + name + R"(": {"N": "x"}})"),
            R"($[")" + std::string(256, 'n') + R"(..."].N: not a number: "x")");
  // Cut at a UTF-8 boundary: 255 bytes of 'n', then a 2-byte character.
  const std::string utf8 = std::string(255, 'n') + "\xC3\xA9" + "tail";
  EXPECT_EQ(ItemError(R"({")" + utf8 + R"(": {"N": "x"}})"),
            R"($[")" + std::string(255, 'n') + R"(..."].N: not a number: "x")");
}

TEST(JsonErrors, DeepPath) {
  EXPECT_EQ(
      ItemError(
          R"({"o": {"M": {"lines": {"L": [{"M": {}}, {"M": {"qty": {"N": "1x"}}}]}}}})"),
      R"($.o.M.lines.L[1].M.qty.N: not a number: "1x")");
}

TEST(JsonErrors, InvalidSurrogatesRejected) {
  for (const char* s : {R"("\uD83D")", R"("\uDE00")", R"("\uDE00\uD83D")",
                        R"("\uD83Dx")", R"("\uD83D\u0041")", R"("\u12")"}) {
    std::string json = std::string(R"({"a": {"S": )") + s + "}}";
    EXPECT_EQ(ItemError(json),
              "$.a.S: malformed JSON at byte 12: Problem while parsing a "
              "string")
        << json;
  }
  // In a name too.
  EXPECT_EQ(ItemError(R"({"\uDE00": {"S": "x"}})"),
            "$: malformed JSON at byte 1: Problem while parsing a string");
}

// ---------------------------------------------------------------------------
// Unicode and escapes.

TEST(JsonUnicode, EscapesDecode) {
  Item item = ParseOrDie(
      R"({"bmp": {"S": "caf\u00e9 \u20AC"}, "pair": {"S": "\uD83D\uDE00"},
          "max": {"S": "\uDBFF\uDFFF"}, "nul": {"S": "a\u0000b"},
          "short": {"S": "\"\\\/\b\f\n\r\t"}})");
  EXPECT_EQ(item.Find("bmp")->s(), "caf\xC3\xA9 \xE2\x82\xAC");
  EXPECT_EQ(item.Find("pair")->s(), "\xF0\x9F\x98\x80");
  EXPECT_EQ(item.Find("max")->s(), "\xF4\x8F\xBF\xBF");
  EXPECT_EQ(item.Find("nul")->s(), std::string("a\0b", 3));
  EXPECT_EQ(item.Find("short")->s(), "\"\\/\b\f\n\r\t");
}

TEST(JsonUnicode, RawUtf8PassesThrough) {
  const std::string text = "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";
  Item item = ParseOrDie(R"({")" + text + R"(": {"S": ")" + text + R"("}})");
  ASSERT_NE(item.Find(text), nullptr);
  EXPECT_EQ(item.Find(text)->s(), text);
  EXPECT_EQ(ItemToJson(item), R"({")" + text + R"(":{"S":")" + text + R"("}})");
}

TEST(JsonWrite, EscapesEveryControlCharacter) {
  std::string all;
  for (int c = 0; c < 0x80; ++c) all.push_back(static_cast<char>(c));
  Item item;
  item.Set("s", AttributeValue::S(all));
  std::string expected = R"({"s":{"S":")";
  expected +=
      R"(\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\b\t\n\u000b\f\r)"
      R"(\u000e\u000f\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018)"
      R"(\u0019\u001a\u001b\u001c\u001d\u001e\u001f !\"#$%&'()*+,-./0123456789)"
      R"(:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~)";
  expected += "\x7F\"}}";
  EXPECT_EQ(ItemToJson(item), expected);
  EXPECT_EQ(ParseOrDie(expected), item);
}

TEST(JsonWrite, Utf8SeparatorsAndDelPassThrough) {
  Item item;
  item.Set("s", AttributeValue::S("a\xE2\x80\xA8"
                                  "b\xE2\x80\xA9"
                                  "c\x7F"));
  EXPECT_EQ(ItemToJson(item),
            "{\"s\":{\"S\":\"a\xE2\x80\xA8"
            "b\xE2\x80\xA9"
            "c\x7F\"}}");
  EXPECT_EQ(ParseOrDie(ItemToJson(item)), item);
}

TEST(JsonWrite, EscapesInNamesAndSets) {
  Item item;
  item.Set("a\"b\n", AttributeValue::SS({"\t", "q\"", "\\"}).value());
  EXPECT_EQ(ItemToJson(item), R"({"a\"b\n":{"SS":["\t","\\","q\""]}})");
  EXPECT_EQ(ParseOrDie(ItemToJson(item)), item);
}

TEST(JsonWrite, LongStringsUseTheFastPathCorrectly) {
  // Escapes at every position relative to 8-byte words.
  for (size_t len = 0; len < 40; ++len) {
    for (size_t pos = 0; pos < len; ++pos) {
      for (char special : {'"', '\\', '\x01', '\x1f'}) {
        std::string s(len, 'x');
        s[pos] = special;
        Item item;
        item.Set("k", AttributeValue::S(s));
        std::string json = ItemToJson(item);
        ASSERT_EQ(json.size(), 14 + len + (special < 0x20 ? 5 : 1)) << json;
        ASSERT_EQ(ParseOrDie(json), item) << json;
      }
    }
  }
}

// ---------------------------------------------------------------------------
// The writer: exact canonical output.

TEST(JsonWrite, EveryTypeCanonical) {
  Item item;
  item.Set("s", AttributeValue::S("x"));
  item.Set("n", AttributeValue::N(Num("1.50")));
  item.Set("b", AttributeValue::B("foo"));
  item.Set("t", AttributeValue::Bool(true));
  item.Set("f", AttributeValue::Bool(false));
  item.Set("z", AttributeValue::Null());
  AttributeMap m;
  m.Set("y", AttributeValue::N(Num("-0")));
  m.Set("x",
        AttributeValue::L({AttributeValue::S("a"), AttributeValue::Null()}));
  item.Set("m", AttributeValue::M(m));
  item.Set("l", AttributeValue::L({}));
  item.Set("ss", AttributeValue::SS({"b", "a"}).value());
  item.Set("ns",
           AttributeValue::NS({Num("10"), Num("9"), Num("-1E2")}).value());
  item.Set("bs", AttributeValue::BS({"b", std::string("\0", 1)}).value());
  const std::string expected =
      R"({"b":{"B":"Zm9v"},"bs":{"BS":["AA==","Yg=="]},"f":{"BOOL":false},)"
      R"("l":{"L":[]},"m":{"M":{"x":{"L":[{"S":"a"},{"NULL":true}]},)"
      R"("y":{"N":"0"}}},"n":{"N":"1.5"},"ns":{"NS":["-100","9","10"]},)"
      R"("s":{"S":"x"},"ss":{"SS":["a","b"]},"t":{"BOOL":true},)"
      R"("z":{"NULL":true}})";
  EXPECT_EQ(ItemToJson(item), expected);
  std::string out = "prefix";
  WriteItemJson(item, &out);
  EXPECT_EQ(out, "prefix" + expected);
  EXPECT_EQ(ParseOrDie(expected), item);
}

TEST(JsonWrite, Value) {
  std::string out;
  WriteValueJson(AttributeValue::N(Num("1e2")), &out);
  EXPECT_EQ(out, R"({"N":"100"})");
}

TEST(JsonWrite, ShuffledInputWritesCanonical) {
  EXPECT_EQ(Canonical(R"({ "z" : {"NS":["3","1e0","2.0"]},
                           "a" : {"M": {"k2": {"S":"v"}, "k1": {"BOOL": false}}}})"),
            R"({"a":{"M":{"k1":{"BOOL":false},"k2":{"S":"v"}}},)"
            R"("z":{"NS":["1","2","3"]}})");
}

// ---------------------------------------------------------------------------
// Binary and base64.

TEST(JsonBase64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> kVectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : kVectors) {
    std::string out;
    Base64Encode(plain, &out);
    EXPECT_EQ(out, encoded);
    Result<std::string> back = Base64Decode(encoded);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, plain);
  }
}

TEST(JsonBase64, AllByteValuesRoundTrip) {
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  for (size_t len = 0; len <= all.size(); len += 1) {
    // Every length (all padding cases) and every byte value at every offset.
    std::string bytes = all.substr(256 - len) + all.substr(0, 256 - len);
    bytes.resize(len);
    std::string encoded;
    Base64Encode(bytes, &encoded);
    ASSERT_EQ(encoded.size(), (len + 2) / 3 * 4);
    Result<std::string> back = Base64Decode(encoded);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    ASSERT_EQ(*back, bytes);
  }
  Item item;
  item.Set("b", AttributeValue::B(all));
  item.Set("bs", AttributeValue::BS({all, all.substr(1), ""}).value());
  EXPECT_EQ(ParseOrDie(ItemToJson(item)), item);
}

TEST(JsonBase64, StrictErrors) {
  auto error = [](std::string_view text) {
    Result<std::string> r = Base64Decode(text);
    return r.ok() ? "OK: " + *r : std::string(r.status().message());
  };
  EXPECT_EQ(error("Zm9"), "invalid base64: length 3 is not a multiple of 4");
  EXPECT_EQ(error("Zm9vY"), "invalid base64: length 5 is not a multiple of 4");
  EXPECT_EQ(error("Zm 9"),
            "invalid base64: byte 0x20 at offset 2");  // no spaces
  EXPECT_EQ(error("Zm9v\nZm9v"),
            "invalid base64: length 9 is not a multiple of 4");
  EXPECT_EQ(error("Zm9\n"), "invalid base64: byte 0x0a at offset 3");
  EXPECT_EQ(error("Zm9-"), "invalid base64: '-' at offset 3");  // not base64url
  EXPECT_EQ(error("Zm9_"), "invalid base64: '_' at offset 3");
  EXPECT_EQ(error("Zm9v\xff\xff\xff\xff"),
            "invalid base64: byte 0xff at offset 4");
  EXPECT_EQ(error("Z==="), "invalid base64: misplaced '=' at offset 1");
  EXPECT_EQ(error("===="), "invalid base64: misplaced '=' at offset 0");
  EXPECT_EQ(error("Zg==Zg=="), "invalid base64: misplaced '=' at offset 2");
  EXPECT_EQ(error("Z=9v"), "invalid base64: misplaced '=' at offset 1");
  EXPECT_EQ(error("Zh=="), "invalid base64: non-zero bits after the last byte");
  EXPECT_EQ(error("Zm9="), "invalid base64: non-zero bits after the last byte");
  EXPECT_EQ(error("Zg=="), "OK: f");
  EXPECT_EQ(error("Zm8="), "OK: fo");
}

// ---------------------------------------------------------------------------
// Numbers.

TEST(JsonNumbers, CanonicalAndExact) {
  EXPECT_EQ(Canonical(R"({"n": {"N": "1.50"}})"), R"({"n":{"N":"1.5"}})");
  EXPECT_EQ(Canonical(R"({"n": {"N": "1e2"}})"), R"({"n":{"N":"100"}})");
  EXPECT_EQ(Canonical(R"({"n": {"N": "1E-3"}})"), R"({"n":{"N":"0.001"}})");
  EXPECT_EQ(Canonical(R"({"n": {"N": "-0.0"}})"), R"({"n":{"N":"0"}})");
  EXPECT_EQ(Canonical(R"({"n": {"N": "+007"}})"), R"({"n":{"N":"7"}})");
  // 38 significant digits survive exactly (no double in between).
  EXPECT_EQ(
      Canonical(R"({"n": {"N": "12345678901234567890123456789012345678"}})"),
      R"({"n":{"N":"12345678901234567890123456789012345678"}})");
  EXPECT_EQ(
      Canonical(R"({"n": {"N": "-0.12345678901234567890123456789012345678"}})"),
      R"({"n":{"N":"-0.12345678901234567890123456789012345678"}})");
  EXPECT_EQ(
      Canonical(
          R"({"n": {"N": "9.9999999999999999999999999999999999999E+125"}})"),
      R"({"n":{"N":"99999999999999999999999999999999999999)" +
          std::string(88, '0') + R"("}})");
  EXPECT_EQ(Canonical(R"({"n": {"N": "1E-130"}})"),
            R"({"n":{"N":"0.)" + std::string(129, '0') + R"(1"}})");
}

// ---------------------------------------------------------------------------
// Large items.

TEST(JsonLarge, FourHundredKilobyteItem) {
  Item item;
  for (int i = 0; i < 100; ++i) {
    std::string text(4000, static_cast<char>('a' + i % 26));
    text[i] = '"';  // something to escape
    item.Set("attr" + std::to_string(i), AttributeValue::S(text));
  }
  std::string bytes(2000, '\xAB');
  item.Set("blob", AttributeValue::B(bytes));
  AttributeValue::List list;
  for (int i = 0; i < 500; ++i)
    list.push_back(AttributeValue::N(Number::FromInt64(i)));
  item.Set("list", AttributeValue::L(std::move(list)));
  const std::string json = ItemToJson(item);
  EXPECT_GT(json.size(), 400000u);
  JsonParser parser;
  Result<Item> back = parser.ParseItem(json);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, item);
  EXPECT_EQ(ItemToJson(*back), json);
}

// ---------------------------------------------------------------------------
// The line format.

TEST(JsonLine, WriteAndParse) {
  Item item;
  item.Set("pk", AttributeValue::S("ORDER#1"));
  item.Set("n", AttributeValue::N(Num("3")));
  std::string out;
  WriteItemLine(item, &out);
  EXPECT_EQ(out, R"({"Item":{"n":{"N":"3"},"pk":{"S":"ORDER#1"}}})");
  JsonParser parser;
  Result<Item> back = parser.ParseItemLine(out);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, item);
  // Whitespace around, as lines read from a file may carry.
  back = parser.ParseItemLine("  " + out + "\r\n");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, item);
  EXPECT_EQ(LineError(R"({"Item": {}})"), "OK: {}");
}

TEST(JsonLine, Errors) {
  EXPECT_EQ(LineError("{}"), R"($: an item line must be {"Item": {...}})");
  EXPECT_EQ(
      LineError(R"({"pk": {"S": "x"}})"),
      R"($.pk: unexpected key in an item line, which is {"Item": {...}})");
  EXPECT_EQ(
      LineError(R"({"Item": {}, "Keys": {}})"),
      R"($.Keys: unexpected key in an item line, which is {"Item": {...}})");
  EXPECT_EQ(LineError(R"({"Item": {}, "Item": {}})"), "$.Item: duplicate key");
  EXPECT_EQ(LineError(R"({"Item": []})"), "$.Item: not an object");
  EXPECT_EQ(LineError(R"({"Item": {"price": {"N": "1.2.3"}}})"),
            R"($.Item.price.N: not a number: "1.2.3")");
  EXPECT_EQ(LineError(R"({"Item": {"a": {"S": "x"}, "a": {"S": "x"}}})"),
            "$.Item.a: duplicate attribute name");
  // A bare item is not a line, and a line is not an item.
  EXPECT_EQ(ItemError(R"({"Item": {"a": {"S": "x"}}})"),
            R"($.Item: unknown type "a")");
}

}  // namespace
}  // namespace godwit
