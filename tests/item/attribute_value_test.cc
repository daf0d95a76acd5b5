#include <gtest/gtest.h>
#include <simdjson.h>

#include <random>
#include <string>
#include <vector>

#include "godwit/item.h"
#include "testutil/random_item.h"

namespace godwit {
namespace {

Number Num(std::string_view text) {
  Result<Number> n = Number::Parse(text);
  EXPECT_TRUE(n.ok()) << n.status().ToString();
  return n.ok() ? *n : Number();
}

AttributeValue NV(std::string_view text) {
  return AttributeValue::N(Num(text));
}
AttributeValue SV(std::string s) { return AttributeValue::S(std::move(s)); }

std::vector<std::string> Names(const AttributeMap& m) {
  std::vector<std::string> out;
  for (const auto& [name, value] : m) out.push_back(name);
  return out;
}

// ---------------------------------------------------------------------------
// AttrType

TEST(AttrType, NamesRoundTrip) {
  const AttrType all[] = {AttrType::kS,    AttrType::kN,    AttrType::kB,
                          AttrType::kBool, AttrType::kNull, AttrType::kM,
                          AttrType::kL,    AttrType::kSS,   AttrType::kNS,
                          AttrType::kBS};
  const char* names[] = {"S", "N", "B",  "BOOL", "NULL",
                         "M", "L", "SS", "NS",   "BS"};
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(AttrTypeName(all[i]), names[i]);
    EXPECT_EQ(AttrTypeFromName(names[i]), all[i]);
    EXPECT_EQ(static_cast<int>(all[i]), i);  // part of the binary format
  }
  for (const char* bad : {"", "s", "bool", "Null", "X", "SSS", "BOOLEAN"}) {
    EXPECT_EQ(AttrTypeFromName(bad), std::nullopt) << bad;
  }
}

// ---------------------------------------------------------------------------
// AttributeMap

TEST(AttributeMap, SetKeepsNamesSortedAndUnique) {
  AttributeMap m;
  m.Set("b", SV("2"));
  m.Set("a", SV("1"));
  m.Set("c", SV("3"));
  m.Set("b", SV("two"));
  EXPECT_EQ(Names(m), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(m.size(), 3u);
  ASSERT_NE(m.Find("b"), nullptr);
  EXPECT_EQ(m.Find("b")->s(), "two");
  EXPECT_EQ(m.Find("d"), nullptr);
  EXPECT_EQ(m.Find(""), nullptr);
  EXPECT_TRUE(m.Contains("a"));
  EXPECT_FALSE(m.Contains("ab"));
}

TEST(AttributeMap, OrderIsBytewise) {
  AttributeMap m;
  m.Set("\xc3\xa9", SV(""));  // é: bytes above ASCII sort last
  m.Set("Z", SV(""));
  m.Set("a", SV(""));
  m.Set(std::string("\0", 1), SV(""));
  EXPECT_EQ(Names(m), (std::vector<std::string>{std::string("\0", 1), "Z", "a",
                                                "\xc3\xa9"}));
}

TEST(AttributeMap, MutableFindAndErase) {
  AttributeMap m;
  m.Set("x", SV("1"));
  m.Set("y", SV("2"));
  *m.Find("x") = SV("changed");
  EXPECT_EQ(m.Find("x")->s(), "changed");
  EXPECT_TRUE(m.Erase("x"));
  EXPECT_FALSE(m.Erase("x"));
  EXPECT_EQ(Names(m), (std::vector<std::string>{"y"}));
  m.Clear();
  EXPECT_TRUE(m.empty());
}

TEST(AttributeMap, AppendThenFinishSorts) {
  AttributeMap m;
  m.Reserve(3);
  m.Append("c", SV("3"));
  m.Append("a", SV("1"));
  m.Append("b", SV("2"));
  EXPECT_EQ(m.Finish(), std::nullopt);
  EXPECT_EQ(Names(m), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(m.Find("a")->s(), "1");
  EXPECT_EQ(m.Find("c")->s(), "3");
}

TEST(AttributeMap, FinishReportsDuplicate) {
  AttributeMap m;
  m.Append("z", SV("1"));
  m.Append("b", SV("2"));
  m.Append("z", SV("3"));
  m.Append("a", SV("4"));
  EXPECT_EQ(m.Finish(), "z");
  AttributeMap sorted_dup;
  sorted_dup.Append("a", SV("1"));
  sorted_dup.Append("a", SV("2"));
  EXPECT_EQ(sorted_dup.Finish(), "a");
  AttributeMap empty;
  EXPECT_EQ(empty.Finish(), std::nullopt);
}

TEST(AttributeMap, AppendSortedUnchecked) {
  AttributeMap m;
  m.AppendSortedUnchecked("a", SV("1"));
  m.AppendSortedUnchecked("b", SV("2"));
  EXPECT_EQ(m.Find("b")->s(), "2");
}

TEST(AttributeMap, EqualityIgnoresBuildOrder) {
  AttributeMap x, y;
  x.Set("a", NV("1"));
  x.Set("b", NV("2"));
  y.Set("b", NV("2.0"));
  y.Set("a", NV("1e0"));
  EXPECT_EQ(x, y);
  y.Set("a", NV("1.5"));
  EXPECT_NE(x, y);
  y.Set("a", SV("1"));
  EXPECT_NE(x, y);
}

// ---------------------------------------------------------------------------
// AttributeValue

TEST(AttributeValue, Accessors) {
  EXPECT_TRUE(AttributeValue().is(AttrType::kNull));
  EXPECT_EQ(AttributeValue(), AttributeValue::Null());
  EXPECT_EQ(SV("x").s(), "x");
  EXPECT_EQ(AttributeValue::B("\x01").b(), "\x01");
  EXPECT_TRUE(AttributeValue::Bool(true).boolean());
  EXPECT_NE(AttributeValue::Bool(true), AttributeValue::Bool(false));
  // Same payload, different type.
  EXPECT_NE(SV("x"), AttributeValue::B("x"));
  Result<AttributeValue> n = AttributeValue::N("1.50");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->n().text(), "1.5");
  Result<AttributeValue> bad = AttributeValue::N("1.5.0");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  AttributeValue l = AttributeValue::L({SV("a")});
  l.mutable_l().push_back(NV("1"));
  EXPECT_EQ(l.l().size(), 2u);
  AttributeValue m = AttributeValue::M({});
  m.mutable_m().Set("k", SV("v"));
  EXPECT_EQ(m.m().Find("k")->s(), "v");
}

TEST(AttributeValue, StringSetSortsBytewise) {
  Result<AttributeValue> v =
      AttributeValue::SS({"b", "a", "\xc3\xa9", "", "B"});
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->type(), AttrType::kSS);
  EXPECT_EQ(v->ss(), (std::vector<std::string>{"", "B", "a", "b", "\xc3\xa9"}));
  EXPECT_EQ(*v, *AttributeValue::SS({"\xc3\xa9", "b", "B", "a", ""}));
}

TEST(AttributeValue, BinarySetSortsUnsigned) {
  Result<AttributeValue> v = AttributeValue::BS(
      {std::string("\xff", 1), std::string("\x00", 1), std::string("\x7f", 1),
       std::string("\x80", 1), std::string("\x00\x00", 2)});
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->type(), AttrType::kBS);
  EXPECT_EQ(v->bs(), (std::vector<std::string>{
                         std::string("\x00", 1), std::string("\x00\x00", 2),
                         std::string("\x7f", 1), std::string("\x80", 1),
                         std::string("\xff", 1)}));
}

TEST(AttributeValue, NumberSetSortsNumerically) {
  Result<AttributeValue> v = AttributeValue::NS(
      {Num("10"), Num("9"), Num("-1"), Num("0.5"), Num("-10"), Num("0")});
  ASSERT_TRUE(v.ok());
  std::vector<std::string> texts;
  for (const Number& n : v->ns()) texts.push_back(n.text());
  EXPECT_EQ(texts,
            (std::vector<std::string>{"-10", "-1", "0", "0.5", "9", "10"}));
}

TEST(AttributeValue, EmptySetsRejected) {
  for (Result<AttributeValue> r :
       {AttributeValue::SS({}), AttributeValue::BS({}),
        AttributeValue::NS({})}) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().message(), "empty set");
  }
}

TEST(AttributeValue, DuplicateSetMembersNameInputIndex) {
  Result<AttributeValue> r = AttributeValue::SS({"a", "b", "a"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "[2]: duplicate set member");
  // The first member that repeats an earlier one, in input order.
  r = AttributeValue::SS({"b", "a", "c", "a", "b"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "[3]: duplicate set member");
  r = AttributeValue::SS({"x", "x"});  // already "sorted"
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "[1]: duplicate set member");
  r = AttributeValue::BS({"\x01", "\x02", "\x03", "\x01"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "[3]: duplicate set member");
  // Numeric duplicates: 1.50 == 1.5.
  r = AttributeValue::NS({Num("2"), Num("1.50"), Num("3"), Num("15e-1")});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "[3]: duplicate set member");
}

// ---------------------------------------------------------------------------
// Keys

TEST(KeySchema, ParseAttribute) {
  Result<KeyAttribute> a = KeySchema::ParseAttribute("pk:S");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->name, "pk");
  EXPECT_EQ(a->type, AttrType::kS);
  EXPECT_EQ(KeySchema::ParseAttribute("n:N")->type, AttrType::kN);
  EXPECT_EQ(KeySchema::ParseAttribute("b:B")->type, AttrType::kB);
  EXPECT_EQ(KeySchema::ParseAttribute("a:b:S")->name, "a:b");
  for (const char* bad : {"pk", ":S", "pk:", "pk:X", "pk:BOOL", "pk:s", ""}) {
    Result<KeyAttribute> r = KeySchema::ParseAttribute(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(bad), std::string::npos);
  }
  EXPECT_FALSE(KeySchema::ParseAttribute(std::string(256, 'k') + ":S").ok());
}

TEST(KeySchema, ToString) {
  KeySchema s{{"pk", AttrType::kS}, std::nullopt};
  EXPECT_EQ(s.ToString(), "pk:S");
  s.range = KeyAttribute{"sk", AttrType::kN};
  EXPECT_EQ(s.ToString(), "pk:S,sk:N");
}

TEST(ExtractKey, HashAndRange) {
  KeySchema schema{{"pk", AttrType::kS}, KeyAttribute{"sk", AttrType::kN}};
  Item item;
  item.Set("pk", SV("a"));
  item.Set("sk", NV("7"));
  item.Set("other", SV("x"));
  Result<Key> key = ExtractKey(item, schema);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->hash, SV("a"));
  EXPECT_EQ(key->range, NV("7"));
  Item key_item = KeyToItem(*key, schema);
  EXPECT_EQ(DebugString(key_item), "{pk: S \"a\", sk: N 7}");
  KeySchema hash_only{{"pk", AttrType::kS}, std::nullopt};
  key = ExtractKey(item, hash_only);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->range, std::nullopt);
  EXPECT_EQ(KeyToItem(*key, hash_only).size(), 1u);
}

TEST(ExtractKey, Errors) {
  KeySchema schema{{"pk", AttrType::kS}, KeyAttribute{"sk", AttrType::kB}};
  auto message = [&](const Item& item) {
    Result<Key> k = ExtractKey(item, schema);
    EXPECT_FALSE(k.ok());
    if (!k.ok()) EXPECT_EQ(k.status().code(), StatusCode::kInvalidArgument);
    return k.ok() ? std::string("ok") : std::string(k.status().message());
  };
  Item item;
  EXPECT_EQ(message(item), "$.pk: missing partition key");
  item.Set("pk", NV("1"));
  EXPECT_EQ(message(item), "$.pk: key attribute must be of type S, got N");
  item.Set("pk", SV(""));
  EXPECT_EQ(message(item), "$.pk: partition key must not be empty");
  item.Set("pk", SV("k"));
  EXPECT_EQ(message(item), "$.sk: missing sort key");
  item.Set("sk", AttributeValue::B(""));
  EXPECT_EQ(message(item), "$.sk: sort key must not be empty");
  item.Set("sk", AttributeValue::B(std::string(1025, 'b')));
  EXPECT_EQ(message(item),
            "$.sk: sort key is 1025 bytes, over the 1024-byte limit");
  item.Set("sk", AttributeValue::B(std::string(1024, 'b')));
  item.Set("pk", SV(std::string(2049, 'p')));
  EXPECT_EQ(message(item),
            "$.pk: partition key is 2049 bytes, over the 2048-byte limit");
  item.Set("pk", SV(std::string(2048, 'p')));
  EXPECT_TRUE(ExtractKey(item, schema).ok());
  // Names that are not plain identifiers are quoted in the path.
  KeySchema odd{{"a.b", AttrType::kS}, std::nullopt};
  Result<Key> k = ExtractKey(Item(), odd);
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.status().message(), "$[\"a.b\"]: missing partition key");
}

std::string KeyBytes(const AttributeValue& v) {
  std::string out;
  AppendOrderedKeyBytes(v, &out);
  return out;
}

TEST(OrderedKeyBytes, EscapesNulAndTerminates) {
  EXPECT_EQ(KeyBytes(SV("ab")), std::string("ab\0\0", 4));
  EXPECT_EQ(KeyBytes(SV(std::string("a\0b", 3))), std::string("a\0\xff"
                                                              "b\0\0",
                                                              6));
  EXPECT_EQ(KeyBytes(AttributeValue::B(std::string("\0", 1))),
            std::string("\0\xff\0\0", 4));
  std::string n;
  Num("1.5").AppendOrderedBytes(&n);
  EXPECT_EQ(KeyBytes(NV("1.5")), n);
  // Appends.
  std::string out = "x";
  AppendOrderedKeyBytes(SV("y"), &out);
  EXPECT_EQ(out, std::string("xy\0\0", 4));
}

TEST(OrderedKeyBytes, OrderAndPrefixFreedomOnRandomStrings) {
  std::mt19937_64 rng(17);
  auto random_bytes = [&] {
    std::string s(rng() % 5, '\0');
    for (char& c : s)
      c = "\x00\x01\xff"
          "a"[rng() % 4];
    return s;
  };
  for (int i = 0; i < 20000; ++i) {
    std::string a = random_bytes(), b = random_bytes();
    std::string ea = KeyBytes(AttributeValue::B(a));
    std::string eb = KeyBytes(AttributeValue::B(b));
    int want = (a > b) - (a < b);
    int got = (ea > eb) - (ea < eb);
    ASSERT_EQ(got, want) << i;
    if (a != b) {
      ASSERT_NE(eb.compare(0, ea.size(), ea), 0) << "prefix at " << i;
    }
  }
}

// ---------------------------------------------------------------------------
// Sizes

TEST(ItemSize, Scalars) {
  EXPECT_EQ(ValueSize(SV("abc")), 3u);
  EXPECT_EQ(ValueSize(SV("")), 0u);
  EXPECT_EQ(ValueSize(SV("\xc3\xa9")), 2u);  // é is two UTF-8 bytes
  EXPECT_EQ(ValueSize(AttributeValue::B(std::string(10, '\0'))), 10u);
  EXPECT_EQ(ValueSize(AttributeValue::Bool(false)), 1u);
  EXPECT_EQ(ValueSize(AttributeValue::Null()), 1u);
  // Numbers: ceil(significant digits / 2) + 1.
  EXPECT_EQ(ValueSize(NV("0")), 1u);
  EXPECT_EQ(ValueSize(NV("7")), 2u);
  EXPECT_EQ(ValueSize(NV("12")), 2u);
  EXPECT_EQ(ValueSize(NV("12.5")), 3u);
  EXPECT_EQ(ValueSize(NV("1E+125")), 2u);
  EXPECT_EQ(ValueSize(NV("-1000")), 2u);
  EXPECT_EQ(ValueSize(NV("12345678901234567890123456789012345678")), 20u);
  EXPECT_EQ(ValueSize(NV("1234567890123456789012345678901234567")), 20u);
}

TEST(ItemSize, Containers) {
  EXPECT_EQ(ValueSize(AttributeValue::M({})), 3u);
  EXPECT_EQ(ValueSize(AttributeValue::L({})), 3u);
  AttributeMap m;
  m.Set("a", NV("1"));     // 1 + 1 + 2
  m.Set("bb", SV("xyz"));  // 1 + 2 + 3
  EXPECT_EQ(ValueSize(AttributeValue::M(m)), 3u + 4u + 6u);
  // [S "ab", BOOL]: 3 + (1 + 2) + (1 + 1)
  EXPECT_EQ(
      ValueSize(AttributeValue::L({SV("ab"), AttributeValue::Bool(true)})), 8u);
  // Nested: L [M {a: N 1}] = 3 + 1 + (3 + 1 + 1 + 2)
  EXPECT_EQ(ValueSize(AttributeValue::L({AttributeValue::M([] {
              AttributeMap x;
              x.Set("a", AttributeValue::N(Number::FromInt64(1)));
              return x;
            }())})),
            11u);
  EXPECT_EQ(ValueSize(*AttributeValue::SS({"a", "bcd"})), 4u);
  EXPECT_EQ(ValueSize(*AttributeValue::SS({""})), 0u);
  EXPECT_EQ(ValueSize(*AttributeValue::NS({Num("1"), Num("12.5")})), 5u);
  EXPECT_EQ(ValueSize(*AttributeValue::BS({"\x01\x02"})), 2u);
}

TEST(ItemSize, WholeItem) {
  Item item;
  item.Set("pk", SV("abc"));             // 2 + 3
  item.Set("n", NV("12.5"));             // 1 + 3
  item.Set("\xe5\x90\x8d", SV("v"));     // 名: 3 + 1
  item.Set("l", AttributeValue::L({}));  // 1 + 3
  EXPECT_EQ(ItemSize(item), 5u + 4u + 4u + 4u);
  EXPECT_EQ(ItemSize(Item()), 0u);
}

// ---------------------------------------------------------------------------
// Validation

// `wraps` nested M values ({m: {m: ... scalar}}), under top-level "a".
Item Nested(int wraps, bool lists) {
  AttributeValue v = SV("leaf");
  for (int i = 0; i < wraps; ++i) {
    if (lists) {
      v = AttributeValue::L({std::move(v)});
    } else {
      AttributeMap m;
      m.Set("m", std::move(v));
      v = AttributeValue::M(std::move(m));
    }
  }
  Item item;
  item.Set("a", std::move(v));
  return item;
}

TEST(ValidateItem, AcceptsValidItem) {
  KeySchema schema{{"pk", AttrType::kS}, std::nullopt};
  Item item;
  item.Set("pk", SV("k"));
  item.Set("empty", SV(""));
  item.Set("bin", AttributeValue::B(""));
  EXPECT_TRUE(ValidateItem(item, &schema).ok());
  EXPECT_TRUE(ValidateItem(item, nullptr).ok());
  EXPECT_TRUE(ValidateItem(Item(), nullptr).ok());
}

TEST(ValidateItem, KeyErrorsNameThePath) {
  KeySchema schema{{"pk", AttrType::kS}, std::nullopt};
  Item item;
  item.Set("pk", NV("1"));
  Status s = ValidateItem(item, &schema);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "$.pk: key attribute must be of type S, got N");
  EXPECT_TRUE(ValidateItem(item, nullptr).ok());
}

TEST(ValidateItem, SizeLimitExactly) {
  Item item;
  item.Set("a", SV(std::string(kMaxItemSize - 1, 'x')));  // 1 + 409599
  EXPECT_EQ(ItemSize(item), kMaxItemSize);
  EXPECT_TRUE(ValidateItem(item, nullptr).ok());
  item.Set("a", SV(std::string(kMaxItemSize, 'x')));
  Status s = ValidateItem(item, nullptr);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "$: item size 409601 bytes exceeds the 400 KB limit (409600 "
            "bytes)");
}

TEST(ValidateItem, DepthLimitMaps) {
  // 31 maps around a scalar: the scalar is at depth 32.
  EXPECT_TRUE(ValidateItem(Nested(31, false), nullptr).ok());
  Status s = ValidateItem(Nested(32, false), nullptr);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  std::string path = "$.a";
  for (int i = 0; i < 32; ++i) path += ".m";
  EXPECT_EQ(s.message(), path + ": nesting depth exceeds 32 levels");
}

TEST(ValidateItem, DepthLimitLists) {
  EXPECT_TRUE(ValidateItem(Nested(31, true), nullptr).ok());
  Status s = ValidateItem(Nested(32, true), nullptr);
  std::string path = "$.a";
  for (int i = 0; i < 32; ++i) path += "[0]";
  EXPECT_EQ(s.message(), path + ": nesting depth exceeds 32 levels");
  // A deep value inside a wide list is found at its index.
  AttributeValue deep = Nested(31, true).Find("a")->l()[0];  // 30 wraps
  deep = AttributeValue::L({std::move(deep)});               // 31 wraps
  Item item;
  item.Set("a", AttributeValue::L({SV("x"), SV("y"), std::move(deep)}));
  s = ValidateItem(item, nullptr);
  path = "$.a[2]";
  for (int i = 0; i < 31; ++i) path += "[0]";
  EXPECT_EQ(s.message(), path + ": nesting depth exceeds 32 levels");
}

TEST(ValidateItem, EmptyContainerAtDepth32IsAccepted) {
  AttributeValue v = AttributeValue::M({});
  for (int i = 0; i < 31; ++i) v = AttributeValue::L({std::move(v)});
  Item item;
  item.Set("a", std::move(v));
  EXPECT_TRUE(ValidateItem(item, nullptr).ok());
  // One more level puts the (empty) map at depth 33.
  Item deeper;
  deeper.Set("a", AttributeValue::L({*item.Find("a")}));
  EXPECT_FALSE(ValidateItem(deeper, nullptr).ok());
}

TEST(ValidateItem, MixedPathWithQuotedNames) {
  AttributeValue v = SV("leaf");
  for (int i = 0; i < 16; ++i) {  // 16 × (L of M) = 32 wraps
    AttributeMap m;
    m.Set(i == 0 ? "x y" : "k", std::move(v));
    v = AttributeValue::L({AttributeValue::M(std::move(m))});
  }
  Item item;
  item.Set("top\"", std::move(v));
  Status s = ValidateItem(item, nullptr);
  std::string path = "$[\"top\\\"\"]";
  for (int i = 0; i < 15; ++i) path += "[0].k";
  path += "[0][\"x y\"]";
  EXPECT_EQ(s.message(), path + ": nesting depth exceeds 32 levels");
}

// ---------------------------------------------------------------------------
// DebugString

TEST(DebugString, AllTypes) {
  Item item;
  item.Set("s", SV("a\"b\\c\n\x01"));
  item.Set("n", NV("1.50"));
  item.Set("b", AttributeValue::B(std::string("\x00\xff", 2)));
  item.Set("t", AttributeValue::Bool(true));
  item.Set("f", AttributeValue::Bool(false));
  item.Set("z", AttributeValue::Null());
  AttributeMap m;
  m.Set("k", NV("-2"));
  item.Set("m", AttributeValue::M(std::move(m)));
  item.Set("l", AttributeValue::L({SV("x"), AttributeValue::L({})}));
  item.Set("ss", *AttributeValue::SS({"y", "x"}));
  item.Set("ns", *AttributeValue::NS({Num("10"), Num("9")}));
  item.Set("bs", *AttributeValue::BS({"\x02", "\x01"}));
  EXPECT_EQ(DebugString(item),
            "{b: B x\"00ff\", bs: BS [x\"01\", x\"02\"], f: BOOL false, "
            "l: L [S \"x\", L []], m: M {k: N -2}, n: N 1.5, ns: NS [9, 10], "
            "s: S \"a\\\"b\\\\c\\n\\x01\", ss: SS [\"x\", \"y\"], "
            "t: BOOL true, z: NULL}");
  EXPECT_EQ(DebugString(Item()), "{}");
  EXPECT_EQ(DebugString(AttributeValue::M({})), "M {}");
}

// ---------------------------------------------------------------------------
// The random item generator (tests/testutil), checked here so that other
// suites can trust it.

TEST(RandomItem, ItemsAreValidAndDeterministic) {
  KeySchema schema{{"pk", AttrType::kS}, KeyAttribute{"sk", AttrType::kN}};
  test::RandomItemOptions options;
  options.schema = &schema;
  options.deep_probability = 0.02;
  std::mt19937_64 rng(99), again(99);
  int deep = 0;
  bool seen[10] = {};
  for (int i = 0; i < 2000; ++i) {
    Item item = test::RandomItem(rng, options);
    ASSERT_EQ(item, test::RandomItem(again, options));
    Status s = ValidateItem(item, &schema);
    ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << DebugString(item);
    for (const auto& [name, value] : item) {
      seen[static_cast<int>(value.type())] = true;
      EXPECT_FALSE(name.empty());
    }
    Item probe;
    probe.Set("a", AttributeValue::M(item));
    if (!ValidateItem(probe, nullptr).ok()) ++deep;  // item had depth 32
  }
  for (bool b : seen) EXPECT_TRUE(b);
  EXPECT_GT(deep, 0);
}

TEST(RandomItem, BenchmarkItemsHaveTheirSizes) {
  Item order = test::MakeOrderItem(1);
  EXPECT_EQ(order, test::MakeOrderItem(1));
  EXPECT_NE(order, test::MakeOrderItem(2));
  EXPECT_GT(ItemSize(order), 700u);
  EXPECT_LT(ItemSize(order), 1300u);
  Item small = test::MakeSmallItem(1);
  EXPECT_GT(ItemSize(small), 60u);
  EXPECT_LT(ItemSize(small), 140u);
  KeySchema schema{{"pk", AttrType::kS}, KeyAttribute{"sk", AttrType::kS}};
  EXPECT_TRUE(ValidateItem(order, &schema).ok());
  EXPECT_TRUE(ValidateItem(small, &schema).ok());
}

// A minimal DynamoDB-JSON reader on simdjson's DOM, independent of
// src/item/json.cc, to check that ToShuffledJson writes what it means.
std::string Base64DecodeForTest(std::string_view in) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    return c == '+' ? 62 : 63;
  };
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    acc = (acc << 6) | static_cast<uint32_t>(value(c));
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

AttributeValue FromDom(simdjson::dom::element e);

AttributeMap MapFromDom(simdjson::dom::object o) {
  AttributeMap m;
  for (auto field : o) {
    m.Append(std::string(field.key), FromDom(field.value));
  }
  EXPECT_EQ(m.Finish(), std::nullopt);
  return m;
}

AttributeValue FromDom(simdjson::dom::element e) {
  simdjson::dom::object o = e.get_object().value();
  EXPECT_EQ(o.size(), 1u);
  auto field = *o.begin();
  std::optional<AttrType> type = AttrTypeFromName(field.key);
  EXPECT_TRUE(type.has_value()) << field.key;
  simdjson::dom::element v = field.value;
  auto strings = [&](bool binary) {
    std::vector<std::string> out;
    simdjson::dom::array arr = v.get_array().value();
    for (auto s : arr) {
      std::string_view sv = s.get_string().value();
      out.push_back(binary ? Base64DecodeForTest(sv) : std::string(sv));
    }
    return out;
  };
  switch (*type) {
    case AttrType::kS:
      return SV(std::string(v.get_string().value()));
    case AttrType::kN:
      return AttributeValue::N(Num(v.get_string().value()));
    case AttrType::kB:
      return AttributeValue::B(Base64DecodeForTest(v.get_string().value()));
    case AttrType::kBool:
      return AttributeValue::Bool(v.get_bool().value());
    case AttrType::kNull:
      EXPECT_TRUE(v.get_bool().value());
      return AttributeValue::Null();
    case AttrType::kM:
      return AttributeValue::M(MapFromDom(v.get_object().value()));
    case AttrType::kL: {
      AttributeValue::List l;
      simdjson::dom::array arr = v.get_array().value();
      for (auto x : arr) l.push_back(FromDom(x));
      return AttributeValue::L(std::move(l));
    }
    case AttrType::kSS:
      return *AttributeValue::SS(strings(false));
    case AttrType::kBS:
      return *AttributeValue::BS(strings(true));
    case AttrType::kNS: {
      AttributeValue::NumberSet ns;
      simdjson::dom::array arr = v.get_array().value();
      for (auto x : arr) {
        ns.push_back(Num(x.get_string().value()));
      }
      return *AttributeValue::NS(std::move(ns));
    }
  }
  return AttributeValue();
}

TEST(RandomItem, ShuffledJsonMeansTheSameItem) {
  simdjson::dom::parser parser;
  std::mt19937_64 rng(2024);
  test::RandomItemOptions options;
  options.deep_probability = 0.01;
  int reordered = 0;
  for (int i = 0; i < 1500; ++i) {
    Item item = test::RandomItem(rng, options);
    std::string json = test::ToShuffledJson(item, rng);
    simdjson::dom::element doc;
    auto error = parser.parse(json).get(doc);
    ASSERT_EQ(error, simdjson::SUCCESS)
        << simdjson::error_message(error) << "\n"
        << json;
    Item back = MapFromDom(doc.get_object().value());
    ASSERT_EQ(back, item) << json << "\n" << DebugString(item);
    std::string again = test::ToShuffledJson(item, rng);
    if (again != json) ++reordered;
  }
  EXPECT_GT(reordered, 1000);
}

TEST(RandomItem, ShuffledJsonEscapesAndSurrogates) {
  Item item;
  item.Set("s", SV("\xf0\x9f\x98\x80\"\\\x01"));  // U+1F600 " \ U+0001
  bool surrogate = false, short_escape = false;
  std::mt19937_64 rng(1);
  for (int i = 0; i < 200; ++i) {
    std::string json = test::ToShuffledJson(item, rng);
    EXPECT_EQ(json.find('\x01'), std::string::npos) << json;
    std::string lower = json;
    for (char& c : lower) c = static_cast<char>(std::tolower(c));
    if (lower.find("\\ud83d\\ude00") != std::string::npos) surrogate = true;
    if (json.find("\\\"") != std::string::npos) short_escape = true;
  }
  EXPECT_TRUE(surrogate);
  EXPECT_TRUE(short_escape);
}

}  // namespace
}  // namespace godwit
