// The local store's byte formats: page tokens, segment ranges, varints,
// change records and catalog records.
#include "store/local/format.h"

#include "godwit/codec.h"
#include "store/store_test_util.h"

namespace godwit::local {
namespace {

using ::godwit::test::HashRangeSchema;
using ::godwit::test::MakeItem;
using ::godwit::test::N;
using ::godwit::test::S;

TEST(FormatTest, PageTokensRoundTripAndRejectEverythingElse) {
  std::string key("\x00\x01\xff\x7f key", 9);
  std::string token = EncodePageToken(TokenKind::kScan, key);
  auto back = DecodePageToken(TokenKind::kScan, token);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, key);
  EXPECT_TRUE(
      DecodePageToken(TokenKind::kQuery, token).status().IsInvalidArgument());
  // Every single-character change is caught.
  for (size_t i = 0; i < token.size(); ++i) {
    for (char c : {'0', '7', 'a', 'f', 'g', 'Z'}) {
      if (token[i] == c) continue;
      std::string t = token;
      t[i] = c;
      EXPECT_TRUE(
          DecodePageToken(TokenKind::kScan, t).status().IsInvalidArgument())
          << t;
    }
  }
  EXPECT_TRUE(
      DecodePageToken(TokenKind::kScan, "").status().IsInvalidArgument());
  EXPECT_TRUE(DecodePageToken(TokenKind::kScan, token.substr(1))
                  .status()
                  .IsInvalidArgument());
}

TEST(FormatTest, SegmentRangesTileTheHashSpace) {
  for (int total : {1, 2, 3, 7, 16, 1000, 1000000}) {
    uint64_t expected_lo = 0;
    for (int seg = 0; seg < total; seg += (total > 1000 ? 997 : 1)) {
      HashRange r = SegmentRange(seg, total);
      if (total <= 1000) EXPECT_EQ(r.lo, expected_lo) << seg << "/" << total;
      EXPECT_EQ(r.hi_unbounded, seg == total - 1);
      if (!r.hi_unbounded) {
        EXPECT_LT(r.lo, r.hi);
        EXPECT_EQ(r.hi, SegmentRange(seg + 1, total).lo);
        expected_lo = r.hi;
      }
    }
    HashRange last = SegmentRange(total - 1, total);
    EXPECT_TRUE(last.hi_unbounded);
  }
  EXPECT_EQ(SegmentRange(1, 2).lo, uint64_t{1} << 63);
  EXPECT_EQ(SegmentRange(0, 1).lo, 0u);
}

TEST(FormatTest, StorageKeysGroupByPartitionAndOrderBySortKey) {
  Key a{S("p"), N(-5)}, b{S("p"), N(3)}, c{S("p"), N(20)}, other{S("q"), N(1)};
  std::string ka = StorageKey(a), kb = StorageKey(b), kc = StorageKey(c);
  std::string prefix = PartitionPrefix(S("p"));
  EXPECT_EQ(ka.compare(0, prefix.size(), prefix), 0);
  EXPECT_EQ(kc.compare(0, prefix.size(), prefix), 0);
  EXPECT_LT(ka, kb);
  EXPECT_LT(kb, kc);
  EXPECT_NE(StorageKey(other).compare(0, prefix.size(), prefix), 0);
  EXPECT_EQ(GetFixed64BE(ka.data()), PartitionHash(S("p")));
  EXPECT_EQ(PrefixSuccessor(std::string("a\xff\xff", 3)), "b");
  EXPECT_EQ(PrefixSuccessor(std::string("\xff", 1)), "");
}

TEST(FormatTest, VarintsRoundTripAndRejectTruncation) {
  for (uint64_t v : {uint64_t{0}, uint64_t{1}, uint64_t{127}, uint64_t{128},
                     uint64_t{300}, ~uint64_t{0}}) {
    std::string s;
    PutVarint64(v, &s);
    std::string_view in = s;
    uint64_t got;
    ASSERT_TRUE(GetVarint64(&in, &got));
    EXPECT_EQ(got, v);
    EXPECT_TRUE(in.empty());
    if (s.size() > 1) {
      std::string_view cut(s.data(), s.size() - 1);
      EXPECT_FALSE(GetVarint64(&cut, &got));
    }
  }
  std::string too_long(11, '\xff');
  std::string_view in = too_long;
  uint64_t v;
  EXPECT_FALSE(GetVarint64(&in, &v));
}

TEST(FormatTest, ChangeRecordsRoundTripAndCorruptionIsDataLoss) {
  Item old_item = MakeItem("p", S("s"), 1), new_item = MakeItem("p", S("s"), 2);
  Item keys = KeyToItem(Key{S("p"), S("s")}, HashRangeSchema());
  std::string k, o, n;
  EncodeItem(keys, &k);
  EncodeItem(old_item, &o);
  EncodeItem(new_item, &n);
  for (ChangeType type :
       {ChangeType::kInsert, ChangeType::kModify, ChangeType::kRemove}) {
    std::string rec;
    EncodeChangeRecord(type, -42, k, o, n, &rec);
    auto r = DecodeChangeRecord(9, rec);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->sequence, 9u);
    EXPECT_EQ(r->type, type);
    EXPECT_EQ(r->time_micros, -42);
    EXPECT_EQ(r->keys, keys);
    EXPECT_EQ(r->old_image.has_value(), type != ChangeType::kInsert);
    EXPECT_EQ(r->new_image.has_value(), type != ChangeType::kRemove);
    if (r->old_image) EXPECT_EQ(*r->old_image, old_item);
    if (r->new_image) EXPECT_EQ(*r->new_image, new_item);
    auto t = DecodeChangeRecordTime(rec);
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(*t, -42);
    for (size_t cut = 0; cut < rec.size(); ++cut) {
      EXPECT_EQ(DecodeChangeRecord(9, rec.substr(0, cut)).status().code(),
                StatusCode::kDataLoss)
          << cut;
    }
    EXPECT_EQ(DecodeChangeRecord(9, rec + "x").status().code(),
              StatusCode::kDataLoss);
  }
}

// A client's change stays version 1 byte for byte; the service's Time to
// Live deletion is version 2 with its origin (docs/formats/storage.md).
TEST(FormatTest, ChangeRecordOriginIsVersionTwoAndAClientsStaysVersionOne) {
  Item keys = KeyToItem(Key{S("p"), S("s")}, HashRangeSchema());
  Item old_item = MakeItem("p", S("s"), 1);
  std::string k, o;
  EncodeItem(keys, &k);
  EncodeItem(old_item, &o);
  std::string user, defaulted, ttl;
  EncodeChangeRecord(ChangeType::kRemove, 5, k, o, {}, &user,
                     ChangeOrigin::kUser);
  EncodeChangeRecord(ChangeType::kRemove, 5, k, o, {}, &defaulted);
  EncodeChangeRecord(ChangeType::kRemove, 5, k, o, {}, &ttl,
                     ChangeOrigin::kTimeToLive);
  EXPECT_EQ(user, defaulted);
  ASSERT_FALSE(user.empty());
  EXPECT_EQ(user[0], '\x01');
  ASSERT_EQ(ttl.size(), user.size() + 1);
  EXPECT_EQ(ttl[0], '\x02');
  auto u = DecodeChangeRecord(3, user);
  auto t = DecodeChangeRecord(3, ttl);
  ASSERT_TRUE(u.ok() && t.ok());
  EXPECT_EQ(u->origin, ChangeOrigin::kUser);
  EXPECT_EQ(t->origin, ChangeOrigin::kTimeToLive);
  EXPECT_EQ(t->type, ChangeType::kRemove);
  EXPECT_EQ(*t->old_image, old_item);
  auto time = DecodeChangeRecordTime(ttl);
  ASSERT_TRUE(time.ok());
  EXPECT_EQ(*time, 5);
  // An unknown origin is corruption.
  std::string bad = ttl;
  bad[3] = 9;  // version, type, time (one varint byte), origin
  EXPECT_EQ(DecodeChangeRecord(3, bad).status().code(), StatusCode::kDataLoss);
}

TEST(FormatTest, CatalogRecordsRoundTrip) {
  TableMeta m;
  m.id = 77;
  m.name = "Orders.v2";
  m.key_schema = HashRangeSchema(AttrType::kB);
  m.stream_enabled = false;
  m.created_micros = 1234567;
  auto back = DecodeTableMeta(EncodeTableMeta(m));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->id, 77u);
  EXPECT_EQ(back->name, m.name);
  EXPECT_EQ(back->key_schema, m.key_schema);
  EXPECT_FALSE(back->stream_enabled);
  EXPECT_EQ(back->created_micros, 1234567);
  EXPECT_EQ(DecodeTableMeta("junk").status().code(), StatusCode::kDataLoss);
  TableStats s{5, 4, 300, 900, -1};
  auto sb = DecodeStats(EncodeStats(s));
  ASSERT_TRUE(sb.ok());
  EXPECT_EQ(sb->last_sequence, 5u);
  EXPECT_EQ(sb->size_bytes, 300u);
  EXPECT_EQ(sb->last_time_micros, -1);
  bool is_stream = false;
  EXPECT_EQ(ParseCfName(ItemsCfName(12), &is_stream), 12u);
  EXPECT_FALSE(is_stream);
  EXPECT_EQ(ParseCfName(StreamCfName(3), &is_stream), 3u);
  EXPECT_TRUE(is_stream);
  EXPECT_FALSE(ParseCfName("default", &is_stream).has_value());
  EXPECT_FALSE(ParseCfName("t.01", &is_stream).has_value());
  EXPECT_FALSE(ParseCfName("t.x", &is_stream).has_value());
}

}  // namespace
}  // namespace godwit::local
