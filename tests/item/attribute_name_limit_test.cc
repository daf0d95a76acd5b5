// Attribute names are limited as DynamoDB limits them: "Attribute names
// must be at least one character long and less than 64 KB in size"
// (Amazon DynamoDB Developer Guide, "Supported data types and naming rules
// in Amazon DynamoDB", HowItWorks.NamingRulesDataTypes.html). Before, a
// name of any length up to the 400 KB item size was accepted.
#include <gtest/gtest.h>

#include <string>

#include "godwit/item.h"
#include "godwit/json.h"

namespace godwit {
namespace {

bool Contains(std::string_view s, std::string_view part) {
  return s.find(part) != std::string_view::npos;
}

Item WithTopLevelName(size_t bytes) {
  Item item;
  item.Set("pk", AttributeValue::S("k"));
  item.Set(std::string(bytes, 'a'), AttributeValue::S("v"));
  return item;
}

TEST(AttributeNameLimit, TopLevelNameOf64KBIsRefusedNamingThePlace) {
  KeySchema schema{{"pk", AttrType::kS}, std::nullopt};
  EXPECT_TRUE(
      ValidateItem(WithTopLevelName(kMaxAttributeNameSize), &schema).ok());
  Status s = ValidateItem(WithTopLevelName(64 * 1024), &schema);
  ASSERT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  // The path shows the name cut (at 256 bytes), the size and the limit.
  EXPECT_TRUE(Contains(s.message(), "$[\"" + std::string(256, 'a') + "...\"]"))
      << s.message().substr(0, 400);
  EXPECT_TRUE(Contains(s.message(),
                       "attribute name is 65536 bytes, over the "
                       "65535-byte limit"))
      << s.message().substr(0, 400);
  EXPECT_LT(s.message().size(), 600u);
}

TEST(AttributeNameLimit, NameInsideAMapIsRefusedNamingThePlace) {
  AttributeMap inner;
  inner.Set("ok", AttributeValue::Bool(false));
  inner.Set(std::string(70000, 'n'), AttributeValue::Bool(true));
  AttributeValue::List list;
  list.push_back(AttributeValue::M(std::move(inner)));
  Item item;
  item.Set("pk", AttributeValue::S("k"));
  item.Set("lines", AttributeValue::L(std::move(list)));
  Status s = ValidateItem(item, nullptr);
  ASSERT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_TRUE(Contains(s.message(), "$.lines[0][\"nnnn")) << s.message();
  EXPECT_TRUE(Contains(s.message(), "attribute name is 70000 bytes"))
      << s.message().substr(0, 400);
}

TEST(AttributeNameLimit, JsonCodecRefusesALongNameAtItsPath) {
  std::string long_name(64 * 1024, 'x');
  std::string json =
      R"({"pk":{"S":"k"},"m":{"M":{")" + long_name + R"(":{"S":"v"}}}})";
  JsonParser parser;
  Result<Item> r = parser.ParseItem(json);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(r.status().message(), "$.m.M[\"xxxx"))
      << r.status().message().substr(0, 400);
  EXPECT_TRUE(Contains(r.status().message(),
                       "attribute name is 65536 bytes, over the 65535-byte "
                       "limit"))
      << r.status().message().substr(0, 400);
  // One byte less parses.
  long_name.pop_back();
  json = R"({"pk":{"S":"k"},")" + long_name + R"(":{"S":"v"}})";
  EXPECT_TRUE(parser.ParseItem(json).ok());
}

}  // namespace
}  // namespace godwit
