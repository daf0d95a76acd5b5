#include "godwit/codec.h"

#include <gtest/gtest.h>
#include <xxhash.h>

#include <map>
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

std::string Encode(const Item& item) {
  std::string out;
  EncodeItem(item, &out);
  return out;
}

std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

// Expects DecodeItem(bytes) to fail with DataLoss whose message contains
// `what`; returns the message.
std::string ExpectCorrupt(std::string_view bytes, std::string_view what) {
  Result<Item> r = DecodeItem(bytes);
  EXPECT_FALSE(r.ok()) << "decoded " << (r.ok() ? DebugString(*r) : "");
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << r.status().ToString();
  EXPECT_NE(r.status().message().find(what), std::string::npos)
      << r.status().ToString();
  return std::string(r.status().message());
}

Item AllTypes() {
  Item item;
  item.Set("s", SV("h\xc3\xa9llo"));
  item.Set("e", SV(""));
  item.Set("n", NV("-12.5"));
  item.Set("b", AttributeValue::B(std::string("\x00\xff\x80", 3)));
  item.Set("t", AttributeValue::Bool(true));
  item.Set("f", AttributeValue::Bool(false));
  item.Set("z", AttributeValue::Null());
  AttributeMap m;
  m.Set("k", NV("1E-130"));
  m.Set("inner", AttributeValue::M({}));
  item.Set("m", AttributeValue::M(std::move(m)));
  item.Set("l", AttributeValue::L({SV("x"), AttributeValue::L({}), NV("0")}));
  item.Set("ss", *AttributeValue::SS({"b", "a", ""}));
  item.Set("ns", *AttributeValue::NS({Num("10"), Num("9"), Num("-1")}));
  item.Set("bs", *AttributeValue::BS({"\xff", std::string("\0", 1)}));
  return item;
}

// ---------------------------------------------------------------------------
// Format

TEST(Codec, GoldenBytes) {
  Item item;
  item.Set("a", SV("x"));
  EXPECT_EQ(Encode(item), Bytes({1, 1, 1, 'a', 0, 1, 'x'}));
  item.Set("b", NV("1.5"));
  item.Set("c", AttributeValue::Bool(true));
  item.Set("d", AttributeValue::Null());
  EXPECT_EQ(Encode(item), Bytes({1,   4,   1,   'a', 0,   1, 'x', 1, 'b', 1, 3,
                                 '1', '.', '5', 1,   'c', 3, 1,   1, 'd', 4}));
  EXPECT_EQ(Encode(Item()), Bytes({1, 0}));
  std::string v;
  EncodeValue(*AttributeValue::SS({"q", "p"}), &v);
  EXPECT_EQ(v, Bytes({1, 7, 2, 1, 'p', 1, 'q'}));
  v.clear();
  EncodeValue(AttributeValue::L({AttributeValue::M({}), AttributeValue::B("")}),
              &v);
  EXPECT_EQ(v, Bytes({1, 6, 2, 5, 0, 2, 0}));
  // Varint lengths: 300 = 0xAC 0x02.
  v.clear();
  EncodeValue(SV(std::string(300, 'y')), &v);
  EXPECT_EQ(v.substr(0, 4), Bytes({1, 0, 0xAC, 0x02}));
  EXPECT_EQ(v.size(), 4u + 300u);
}

TEST(Codec, EncodeAppends) {
  std::string out = "prefix";
  EncodeItem(AllTypes(), &out);
  EXPECT_EQ(out.substr(0, 6), "prefix");
  Result<Item> r = DecodeItem(std::string_view(out).substr(6));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, AllTypes());
}

TEST(Codec, RoundTripAllTypes) {
  Item item = AllTypes();
  std::string bytes = Encode(item);
  Result<Item> back = DecodeItem(bytes);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, item);
  EXPECT_EQ(DebugString(*back), DebugString(item));
  for (const auto& [name, value] : item) {
    std::string vb;
    EncodeValue(value, &vb);
    Result<AttributeValue> v = DecodeValue(vb);
    ASSERT_TRUE(v.ok()) << name << ": " << v.status().ToString();
    EXPECT_EQ(*v, value) << name;
  }
}

TEST(Codec, RoundTripRandomItems) {
  const uint64_t seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  test::RandomItemOptions options;
  options.deep_probability = 0.005;
  std::string bytes;
  for (int i = 0; i < 10000; ++i) {
    Item item = test::RandomItem(rng, options);
    bytes.clear();
    EncodeItem(item, &bytes);
    Result<Item> back = DecodeItem(bytes);
    ASSERT_TRUE(back.ok()) << "item " << i << ": " << back.status().ToString()
                           << "\n"
                           << DebugString(item);
    ASSERT_EQ(*back, item) << "item " << i << "\n" << DebugString(item);
    // One encoding per item.
    ASSERT_EQ(Encode(*back), bytes) << "item " << i;
  }
}

TEST(Codec, RoundTripRandomValues) {
  std::mt19937_64 rng(8);
  for (int i = 0; i < 2000; ++i) {
    AttributeValue v = test::RandomValue(rng);
    std::string bytes;
    EncodeValue(v, &bytes);
    Result<AttributeValue> back = DecodeValue(bytes);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    ASSERT_EQ(*back, v) << DebugString(v);
  }
}

TEST(Codec, RoundTripExtremes) {
  Item item;
  item.Set("big", NV("9." + std::string(37, '9') + "E+125"));
  item.Set("tiny", NV("-1E-130"));
  item.Set("d38", NV("-0.12345678901234567890123456789012345678"));
  std::string all_bytes;
  for (int c = 0; c < 256; ++c) all_bytes.push_back(static_cast<char>(c));
  item.Set("bin", AttributeValue::B(all_bytes));
  item.Set("long", SV(std::string(100000, 'z')));
  item.Set(std::string(300, 'n'), AttributeValue::Null());
  Result<Item> back = DecodeItem(Encode(item));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, item);
}

// `levels` nested M values; the innermost holds a scalar.
Item NestedMaps(int levels) {
  AttributeValue v = SV("leaf");
  for (int i = 0; i < levels; ++i) {
    AttributeMap m;
    m.Set("m", std::move(v));
    v = AttributeValue::M(std::move(m));
  }
  Item item;
  item.Set("a", std::move(v));
  return item;
}

TEST(Codec, DepthLimit) {
  Item ok = NestedMaps(kMaxCodecDepth);
  Result<Item> back = DecodeItem(Encode(ok));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, ok);
  std::string msg =
      ExpectCorrupt(Encode(NestedMaps(kMaxCodecDepth + 1)), "nesting too deep");
  // The offending M is at level 65: its tag follows 64 × (tag, count,
  // name "m") after the version, count and name "a".
  EXPECT_NE(msg.find("at byte " + std::to_string(1 + 1 + 2 + 64 * 4)),
            std::string::npos)
      << msg;
}

TEST(Codec, HugeNestingIsRejectedWithoutRecursingDeep) {
  // version, then 200000 × (L, count 1): would overflow a naive decoder.
  std::string bytes(1, '\x01');
  for (int i = 0; i < 200000; ++i) bytes.append("\x06\x01", 2);
  bytes.push_back('\x04');
  Result<AttributeValue> r = DecodeValue(bytes);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(r.status().message().find("nesting too deep"), std::string::npos);
}

// ---------------------------------------------------------------------------
// Corrupt input

TEST(Codec, EveryTruncationFails) {
  std::mt19937_64 rng(12);
  std::vector<Item> items = {AllTypes(), test::MakeOrderItem(3)};
  for (int i = 0; i < 20; ++i) items.push_back(test::RandomItem(rng));
  for (const Item& item : items) {
    std::string bytes = Encode(item);
    for (size_t len = 0; len < bytes.size(); ++len) {
      Result<Item> r = DecodeItem(std::string_view(bytes).substr(0, len));
      ASSERT_FALSE(r.ok()) << "prefix " << len << " of " << DebugString(item);
      ASSERT_EQ(r.status().code(), StatusCode::kDataLoss);
      // Decoding into a fresh buffer: ASan catches any read past the prefix.
      std::string copy = bytes.substr(0, len);
      ASSERT_FALSE(DecodeItem(copy).ok());
    }
  }
  // Values too.
  std::string v;
  EncodeValue(AttributeValue::M(AllTypes()), &v);
  for (size_t len = 0; len < v.size(); ++len) {
    std::string copy = v.substr(0, len);
    Result<AttributeValue> r = DecodeValue(copy);
    ASSERT_FALSE(r.ok()) << len;
    ASSERT_EQ(r.status().code(), StatusCode::kDataLoss);
  }
}

TEST(Codec, EmptyAndUnknownVersion) {
  ExpectCorrupt("", "empty input");
  EXPECT_EQ(ExpectCorrupt(Bytes({2, 0}), "unknown format version 2"),
            "corrupt item encoding at byte 0: unknown format version 2");
  ExpectCorrupt(Bytes({0, 0}), "unknown format version 0");
  Result<AttributeValue> r = DecodeValue("");
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
}

TEST(Codec, TrailingBytes) {
  std::string bytes = Encode(AllTypes()) + "x";
  ExpectCorrupt(bytes, "1 trailing bytes");
  std::string v;
  EncodeValue(AttributeValue::Null(), &v);
  v += "zz";
  Result<AttributeValue> r = DecodeValue(v);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "corrupt item encoding at byte 2: 2 trailing bytes");
}

TEST(Codec, UnknownTag) {
  EXPECT_EQ(ExpectCorrupt(Bytes({1, 1, 1, 'a', 10}), "unknown type tag 10"),
            "corrupt item encoding at byte 4: unknown type tag 10");
  ExpectCorrupt(Bytes({1, 1, 1, 'a', 0xFF}), "unknown type tag 255");
}

TEST(Codec, BadVarints) {
  // Map count as an 11-byte varint.
  std::string eleven(1, '\x01');
  eleven.append(10, '\x80');
  eleven.push_back('\x00');
  ExpectCorrupt(eleven, "overflowing map size");
  // The 10th byte may only hold bit 63.
  std::string overflow(1, '\x01');
  overflow.append(9, '\xFF');
  overflow.push_back('\x02');
  ExpectCorrupt(overflow, "overflowing map size");
  // Overlong: 0x80 0x00 means 0 in two bytes.
  ExpectCorrupt(Bytes({1, 0x80, 0x00}), "overlong varint in map size");
  ExpectCorrupt(Bytes({1, 1, 0x81, 0x00, 'a', 4}),
                "overlong varint in attribute name");
  ExpectCorrupt(Bytes({1, 0x80}), "truncated map size");
  // A count larger than the input could hold.
  std::string huge(1, '\x01');
  huge.append(9, '\xFF');
  huge.push_back('\x01');
  ExpectCorrupt(huge, "map size past the end");
  ExpectCorrupt(Bytes({1, 1, 1, 'a', 6, 0xFF, 0x7F}), "list size past the end");
  ExpectCorrupt(Bytes({1, 1, 1, 'a', 7, 50, 1, 'x'}), "set size past the end");
  ExpectCorrupt(Bytes({1, 1, 1, 'a', 0, 5, 'x'}), "truncated string");
  ExpectCorrupt(Bytes({1, 1, 1, 'a', 2, 5, 'x'}), "truncated binary");
  ExpectCorrupt(Bytes({1, 1, 9, 'a'}), "truncated attribute name");
}

TEST(Codec, MapsMustBeSortedAndUnique) {
  ExpectCorrupt(Bytes({1, 2, 1, 'b', 4, 1, 'a', 4}),
                "attribute names out of order");
  EXPECT_EQ(ExpectCorrupt(Bytes({1, 2, 1, 'a', 4, 1, 'a', 4}),
                          "duplicate attribute name"),
            "corrupt item encoding at byte 5: duplicate attribute name");
  // Nested map.
  ExpectCorrupt(Bytes({1, 1, 1, 'm', 5, 2, 1, 'z', 4, 1, 'y', 4}),
                "attribute names out of order");
  // Bytewise: "\xff" sorts after "a".
  Result<Item> ok = DecodeItem(Bytes({1, 2, 1, 'a', 4, 1, 0xFF, 4}));
  EXPECT_TRUE(ok.ok()) << ok.status().ToString();
  ExpectCorrupt(Bytes({1, 2, 1, 0xFF, 4, 1, 'a', 4}),
                "attribute names out of order");
  // A prefix sorts first.
  EXPECT_TRUE(DecodeItem(Bytes({1, 2, 1, 'a', 4, 2, 'a', 'a', 4})).ok());
  ExpectCorrupt(Bytes({1, 2, 2, 'a', 'a', 4, 1, 'a', 4}),
                "attribute names out of order");
}

TEST(Codec, SetsMustBeCanonical) {
  ExpectCorrupt(Bytes({1, 1, 1, 's', 7, 0}), "empty set");
  ExpectCorrupt(Bytes({1, 1, 1, 's', 8, 0}), "empty set");
  ExpectCorrupt(Bytes({1, 1, 1, 's', 9, 0}), "empty set");
  ExpectCorrupt(Bytes({1, 1, 1, 's', 7, 2, 1, 'b', 1, 'a'}),
                "set members out of order");
  ExpectCorrupt(Bytes({1, 1, 1, 's', 9, 2, 1, 'b', 1, 'b'}),
                "duplicate set member");
  // NS: "10" < "9" bytewise but not numerically.
  ExpectCorrupt(Bytes({1, 1, 1, 's', 8, 2, 2, '1', '0', 1, '9'}),
                "set members out of order");
  EXPECT_TRUE(
      DecodeItem(Bytes({1, 1, 1, 's', 8, 2, 1, '9', 2, '1', '0'})).ok());
  ExpectCorrupt(Bytes({1, 1, 1, 's', 8, 2, 1, '9', 1, '9'}),
                "duplicate set member");
}

TEST(Codec, NumbersMustBeValidAndCanonical) {
  auto number_item = [](std::string_view text) {
    std::string b = Bytes({1, 1, 1, 'n', 1, static_cast<int>(text.size())});
    b += text;
    return b;
  };
  EXPECT_TRUE(DecodeItem(number_item("-0.5")).ok());
  EXPECT_EQ(ExpectCorrupt(number_item("1.2.3"), "invalid number"),
            "corrupt item encoding at byte 5: invalid number: not a number: "
            "\"1.2.3\"");
  ExpectCorrupt(number_item("1.50"), "non-canonical number");
  ExpectCorrupt(number_item("-0"), "non-canonical number");
  ExpectCorrupt(number_item("+1"), "non-canonical number");
  ExpectCorrupt(number_item("1e2"), "non-canonical number");
  ExpectCorrupt(number_item(""), "invalid number");
  ExpectCorrupt(number_item("1" + std::string(126, '0')), "invalid number");
  ExpectCorrupt(number_item(std::string(39, '7')), "invalid number");
  // Inside NS.
  ExpectCorrupt(Bytes({1, 1, 1, 's', 8, 1, 2, '0', '1'}),
                "non-canonical number");
}

TEST(Codec, BoolMustBeZeroOrOne) {
  EXPECT_TRUE(DecodeItem(Bytes({1, 1, 1, 'b', 3, 0})).ok());
  ExpectCorrupt(Bytes({1, 1, 1, 'b', 3, 2}), "BOOL byte not 0 or 1");
  ExpectCorrupt(Bytes({1, 1, 1, 'b', 3}), "truncated: missing BOOL byte");
  ExpectCorrupt(Bytes({1, 1, 1, 'b'}), "truncated: missing value");
}

TEST(Codec, RandomCorruptionNeverCrashesAndAcceptedInputIsCanonical) {
  std::mt19937_64 rng(77);
  int accepted = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string bytes = Encode(test::RandomItem(rng));
    int flips = 1 + static_cast<int>(rng() % 3);
    for (int f = 0; f < flips; ++f) {
      size_t at = rng() % bytes.size();
      switch (rng() % 3) {
        case 0:
          bytes[at] = static_cast<char>(rng());
          break;
        case 1:
          bytes.erase(at, 1);
          break;
        default:
          bytes.insert(at, 1, static_cast<char>(rng()));
          break;
      }
      if (bytes.empty()) bytes = "\x01";
    }
    Result<Item> r = DecodeItem(bytes);
    if (r.ok()) {
      ++accepted;
      // Whatever decodes is canonical and re-encodes to the same bytes.
      ASSERT_EQ(Encode(*r), bytes);
    } else {
      ASSERT_EQ(r.status().code(), StatusCode::kDataLoss);
    }
  }
  EXPECT_GT(accepted, 0);  // some flips land in string payloads
}

// ---------------------------------------------------------------------------
// Hash

TEST(Hash, ToHex) {
  Hash128 h{0x1, 0xabc};
  EXPECT_EQ(h.ToHex(), "0000000000000abc0000000000000001");
  Hash128 g{0xfedcba9876543210, 0x0123456789abcdef};
  EXPECT_EQ(g.ToHex(), "0123456789abcdeffedcba9876543210");
}

// The documented hash serialization, written out by hand.
std::string U64(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(v >> (8 * i));
  return out;
}

TEST(Hash, MatchesDocumentedSerialization) {
  Item item;
  item.Set("a", NV("1.5"));
  item.Set("b", *AttributeValue::SS({"y", "x"}));
  item.Set("c", AttributeValue::L(
                    {AttributeValue::Bool(true), AttributeValue::Null()}));
  std::string s = U64(3);
  s += U64(1) + "a" + std::string(1, 1) + U64(3) + "1.5";
  s += U64(1) + "b" + std::string(1, 7) + U64(2) + U64(1) + "x" + U64(1) + "y";
  s += U64(1) + "c" + std::string(1, 6) + U64(2) + std::string(1, 3) +
       std::string(1, 1) + std::string(1, 4);
  XXH128_hash_t want = XXH3_128bits(s.data(), s.size());
  Hash128 got = HashItem(item);
  EXPECT_EQ(got.lo, want.low64);
  EXPECT_EQ(got.hi, want.high64);
  // A value: tag then payload.
  std::string v = std::string(1, 0) + U64(2) + "hi";
  XXH128_hash_t want_v = XXH3_128bits(v.data(), v.size());
  EXPECT_EQ(HashValue(SV("hi")), (Hash128{want_v.low64, want_v.high64}));
}

TEST(Hash, EqualUnderReordering) {
  Item x, y, z;
  x.Set("a", NV("1"));
  x.Set("b", NV("2"));
  y.Set("b", NV("2.00"));
  y.Set("a", NV("1e0"));
  z.Append("b", NV("2"));
  z.Append("a", NV("1"));
  ASSERT_EQ(z.Finish(), std::nullopt);
  EXPECT_EQ(HashItem(x), HashItem(y));
  EXPECT_EQ(HashItem(x), HashItem(z));
  EXPECT_EQ(HashValue(*AttributeValue::SS({"q", "p", "r"})),
            HashValue(*AttributeValue::SS({"r", "q", "p"})));
  EXPECT_EQ(HashValue(*AttributeValue::NS({Num("10"), Num("-1"), Num("2")})),
            HashValue(*AttributeValue::NS({Num("2.0"), Num("10"), Num("-1")})));
  // Random items re-read from shuffled spellings: rebuild by reinserting
  // every entry in reverse order.
  std::mt19937_64 rng(4);
  for (int i = 0; i < 500; ++i) {
    Item item = test::RandomItem(rng);
    Item reversed;
    std::vector<const AttributeMap::Entry*> entries;
    for (const auto& e : item) entries.push_back(&e);
    for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
      reversed.Set((*it)->first, (*it)->second);
    }
    ASSERT_EQ(HashItem(item), HashItem(reversed));
  }
}

TEST(Hash, DifferentItemsHashDifferently) {
  std::vector<Item> items;
  auto one = [](std::string name, AttributeValue v) {
    Item item;
    item.Set(std::move(name), std::move(v));
    return item;
  };
  items.push_back(Item());
  items.push_back(one("a", AttributeValue::Null()));
  items.push_back(one("a", SV("1")));
  items.push_back(one("a", NV("1")));
  items.push_back(one("a", AttributeValue::B("1")));
  items.push_back(one("a", *AttributeValue::SS({"1"})));
  items.push_back(one("a", *AttributeValue::BS({"1"})));
  items.push_back(one("a", *AttributeValue::NS({Num("1")})));
  items.push_back(one("a", AttributeValue::L({SV("1")})));
  items.push_back(
      one("a", AttributeValue::M(one("1", AttributeValue::Null()))));
  items.push_back(one("a", AttributeValue::Bool(true)));
  items.push_back(one("a", AttributeValue::Bool(false)));
  items.push_back(one("b", AttributeValue::Null()));
  items.push_back(one("a", SV("")));
  items.push_back(one("a", AttributeValue::L({})));
  items.push_back(one("a", AttributeValue::M({})));
  items.push_back(one("ab", SV("c")));
  items.push_back(one("a", SV("bc")));
  items.push_back(one("a", AttributeValue::L({SV("1"), SV("2")})));
  items.push_back(one("a", AttributeValue::L({SV("2"), SV("1")})));
  items.push_back(one("a", AttributeValue::L({SV("12")})));
  items.push_back(one("a", AttributeValue::L({AttributeValue::L({})})));
  {
    Item two = one("a", SV("1"));
    two.Set("b", SV("2"));
    items.push_back(two);
  }
  std::map<std::string, size_t> seen;
  for (size_t i = 0; i < items.size(); ++i) {
    auto [it, inserted] = seen.emplace(HashItem(items[i]).ToHex(), i);
    EXPECT_TRUE(inserted) << DebugString(items[i]) << " collides with "
                          << DebugString(items[it->second]);
  }
  // Random items: equal hash exactly when equal items.
  std::mt19937_64 rng(21);
  std::map<std::string, Item> by_hash;
  for (int i = 0; i < 5000; ++i) {
    Item item = test::RandomItem(rng);
    auto [it, inserted] = by_hash.emplace(HashItem(item).ToHex(), item);
    if (!inserted) ASSERT_EQ(it->second, item);
  }
  EXPECT_GT(by_hash.size(), 4900u);
  // A value hash differs from the item hash of the same map.
  Item m = one("a", SV("1"));
  EXPECT_NE(HashValue(AttributeValue::M(m)), HashItem(m));
}

TEST(Hash, SameAfterCodecRoundTrip) {
  std::mt19937_64 rng(31);
  for (int i = 0; i < 500; ++i) {
    Item item = test::RandomItem(rng);
    Result<Item> back = DecodeItem(Encode(item));
    ASSERT_TRUE(back.ok());
    ASSERT_EQ(HashItem(*back), HashItem(item));
  }
}

}  // namespace
}  // namespace godwit
