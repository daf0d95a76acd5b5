#include "wire/json_writer.h"

#include <gtest/gtest.h>

#include "godwit/json.h"

namespace godwit::wire {
namespace {

TEST(JsonWriter, ObjectsAndArraysInOrder) {
  JsonArray a;
  a.Str("x").Raw("1").Object(std::move(JsonObject().Bool("b", false)));
  EXPECT_EQ(a.size(), 3u);
  std::string s = JsonObject()
                      .Str("s", "v")
                      .Int("i", -3)
                      .Uint("u", 18446744073709551615u)
                      .Number("n", 0.5)
                      .Bool("t", true)
                      .Array("a", std::move(a))
                      .Object("o", JsonObject())
                      .Array("e", JsonArray())
                      .Done();
  EXPECT_EQ(s, R"({"s":"v","i":-3,"u":18446744073709551615,"n":0.5,"t":true,)"
               R"("a":["x",1,{"b":false}],"o":{},"e":[]})");
}

TEST(JsonWriter, DoneHandsTheTextOver) {
  JsonObject o;
  o.Str("a", "b");
  EXPECT_EQ(o.Done(), R"({"a":"b"})");
  EXPECT_TRUE(o.empty());
  EXPECT_EQ(o.Done(), "{}");
  JsonArray a;
  a.Str("x");
  EXPECT_EQ(a.Done(), R"(["x"])");
  EXPECT_EQ(a.size(), 0u);
  EXPECT_EQ(a.Done(), "[]");
}

// Messages may echo request bytes: the output is valid JSON whatever they
// hold.
TEST(JsonWriter, StringsAreEscapedAndInvalidUtf8Replaced) {
  EXPECT_EQ(JsonString("a\"b\\c\x01\t"), "\"a\\\"b\\\\c\\u0001\\u0009\"");
  EXPECT_EQ(JsonString("h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
            "\"h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
  EXPECT_EQ(JsonString("\xff"), "\"\xef\xbf\xbd\"");
  EXPECT_EQ(JsonString("a\xc3"), "\"a\xef\xbf\xbd\"");  // cut short
  EXPECT_EQ(JsonString("\xed\xa0\x80"),
            "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");  // surrogate
  EXPECT_EQ(JsonString("\xc0\xaf"),
            "\"\xef\xbf\xbd\xef\xbf\xbd\"");  // overlong
}

TEST(JsonWriter, NumbersRoundTrip) {
  EXPECT_EQ(JsonNumber(1), "1");
  EXPECT_EQ(JsonNumber(1714566896.789), "1714566896.789");
  EXPECT_EQ(std::stod(JsonNumber(0.1)), 0.1);
}

TEST(JsonWriter, ItemsAndValuesThroughTheCodec) {
  Item item;
  item.Set("pk", AttributeValue::S("a"));
  item.Set("n", *AttributeValue::N("1.50"));
  std::string s = JsonObject()
                      .Item("Item", item)
                      .Value("V", AttributeValue::Bool(true))
                      .Done();
  EXPECT_EQ(s,
            R"({"Item":{"n":{"N":"1.5"},"pk":{"S":"a"}},"V":{"BOOL":true}})");
  EXPECT_EQ(JsonArray().Item(item).Done(), "[" + ItemToJson(item) + "]");
}

}  // namespace
}  // namespace godwit::wire
