// The shard layout of godwit serve's DynamoDB-like streams
// (src/server/stream_layout.h). DynamoDB's behaviour it reproduces is in the
// developer guide, "Change data capture for DynamoDB Streams" (shards,
// lineage, parent before children) and the DescribeStream API reference
// (ParentShardId, SequenceNumberRange).
#include "server/stream_layout.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

namespace godwit::server {
namespace {

constexpr int64_t kSecond = 1'000'000;

StreamLayout Must(Result<StreamLayout> r) {
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return std::move(r).value();
}

// Every hash lands in exactly one open shard.
void ExpectOpenShardsCoverTheHashSpace(const StreamLayout& l) {
  std::vector<const LayoutShard*> open;
  for (const LayoutShard& s : l.shards()) {
    if (s.open()) open.push_back(&s);
  }
  std::sort(open.begin(), open.end(),
            [](auto* a, auto* b) { return a->hash_lo < b->hash_lo; });
  ASSERT_FALSE(open.empty());
  EXPECT_EQ(open.front()->hash_lo, 0u);
  EXPECT_EQ(open.back()->hash_hi, UINT64_MAX);
  for (size_t i = 1; i < open.size(); ++i) {
    EXPECT_EQ(open[i]->hash_lo, open[i - 1]->hash_hi + 1);
  }
}

TEST(StreamLayout, StartsWithShardsCoveringEveryHash) {
  StreamLayout l = Must(StreamLayout::Start({.shards = 4}, 1, kSecond));
  EXPECT_EQ(l.shards().size(), 4u);
  ExpectOpenShardsCoverTheHashSpace(l);
  std::set<std::string> ids;
  for (const LayoutShard& s : l.shards()) {
    EXPECT_TRUE(s.parent.empty());
    EXPECT_EQ(s.id.rfind("shardId-", 0), 0u) << s.id;
    ids.insert(s.id);
  }
  EXPECT_EQ(ids.size(), 4u);
}

TEST(StreamLayout, RejectsOptionsOutOfRange) {
  EXPECT_FALSE(StreamLayout::Start({.shards = 0}, 1, 0).ok());
  EXPECT_FALSE(StreamLayout::Start({.shards = 1001}, 1, 0).ok());
  EXPECT_FALSE(
      StreamLayout::Start({.shards = 2, .split_per_mille = 1001}, 1, 0).ok());
}

TEST(StreamLayout, RotationClosesEveryShardAtTheSequenceAndOpensChildren) {
  StreamLayout l = Must(StreamLayout::Start(
      {.shards = 3, .rotate_micros = 2 * kSecond, .split_per_mille = 0}, 1,
      kSecond));
  EXPECT_FALSE(l.RotationDue(2 * kSecond));
  EXPECT_TRUE(l.RotationDue(3 * kSecond));
  l.Rotate(40, 3 * kSecond);
  EXPECT_FALSE(l.RotationDue(3 * kSecond));
  ASSERT_EQ(l.shards().size(), 6u);
  for (size_t i = 0; i < 3; ++i) {
    const LayoutShard& parent = l.shards()[i];
    const LayoutShard& child = l.shards()[i + 3];
    EXPECT_FALSE(parent.open());
    EXPECT_EQ(parent.last_seq, 40u);
    EXPECT_TRUE(child.open());
    EXPECT_EQ(child.parent, parent.id);
    EXPECT_EQ(child.first_seq, 41u);
    EXPECT_EQ(child.hash_lo, parent.hash_lo);
    EXPECT_EQ(child.hash_hi, parent.hash_hi);
    EXPECT_EQ(l.Find(40, parent.hash_lo), &parent);
    EXPECT_EQ(l.Find(41, parent.hash_lo), &child);
    EXPECT_EQ(l.OpenShardOf(parent.hash_hi), &child);
  }
  ExpectOpenShardsCoverTheHashSpace(l);
}

TEST(StreamLayout, SplitsHalveTheRangeAndStopAtTwiceTheShards) {
  StreamLayout l = Must(StreamLayout::Start(
      {.shards = 2, .rotate_micros = kSecond, .split_per_mille = 1000}, 1, 0));
  l.Rotate(10, kSecond);  // both split: 4 open
  size_t open = 0;
  for (const LayoutShard& s : l.shards()) open += s.open();
  EXPECT_EQ(open, 4u);
  for (const LayoutShard& s : l.shards()) {
    if (!s.open()) continue;
    const LayoutShard* p = l.Get(s.parent);
    ASSERT_NE(p, nullptr);
    EXPECT_GE(s.hash_lo, p->hash_lo);
    EXPECT_LE(s.hash_hi, p->hash_hi);
    EXPECT_LT(s.hash_hi - s.hash_lo, p->hash_hi - p->hash_lo);
  }
  l.Rotate(20, 2 * kSecond);  // at the cap: no more splits
  open = 0;
  for (const LayoutShard& s : l.shards()) open += s.open();
  EXPECT_EQ(open, 4u);
  ExpectOpenShardsCoverTheHashSpace(l);
}

// Many rotations and splits: every record belongs to exactly one shard, and
// the shards one key's records visit form one lineage, parent before child.
TEST(StreamLayout, EveryRecordHasOneShardAndAKeyStaysInOneLineage) {
  StreamLayout l = Must(StreamLayout::Start({.shards = 4,
                                             .rotate_micros = kSecond,
                                             .split_per_mille = 400,
                                             .seed = 7},
                                            1, 0));
  std::mt19937_64 rng(42);
  std::vector<uint64_t> keys(50);
  for (uint64_t& k : keys) k = rng();
  uint64_t seq = 0;
  std::map<uint64_t, std::vector<const LayoutShard*>> visits;
  std::map<uint64_t, std::vector<std::string>> visit_ids;
  for (int epoch = 1; epoch <= 12; ++epoch) {
    for (int i = 0; i < 30; ++i) {
      uint64_t k = keys[rng() % keys.size()];
      ++seq;
      int holders = 0;
      for (const LayoutShard& s : l.shards()) holders += s.Holds(seq, k);
      ASSERT_EQ(holders, 1) << "seq " << seq;
      const LayoutShard* s = l.Find(seq, k);
      ASSERT_NE(s, nullptr);
      if (visit_ids[k].empty() || visit_ids[k].back() != s->id) {
        visit_ids[k].push_back(s->id);
      }
    }
    l.Rotate(seq, epoch * kSecond);
  }
  for (auto& [k, ids] : visit_ids) {
    for (size_t i = 1; i < ids.size(); ++i) {
      // ids[i-1] is an ancestor of ids[i].
      const LayoutShard* s = l.Get(ids[i]);
      bool found = false;
      while (s != nullptr && !s->parent.empty()) {
        if (s->parent == ids[i - 1]) {
          found = true;
          break;
        }
        s = l.Get(s->parent);
      }
      EXPECT_TRUE(found) << ids[i - 1] << " is not an ancestor of " << ids[i];
    }
  }
  ExpectOpenShardsCoverTheHashSpace(l);
}

TEST(StreamLayout, EncodeDecodeRoundTrips) {
  StreamLayout l = Must(StreamLayout::Start({.shards = 3,
                                             .rotate_micros = 5 * kSecond,
                                             .split_per_mille = 500,
                                             .seed = 3},
                                            17, kSecond));
  l.Rotate(30, 6 * kSecond);
  l.Rotate(31, 11 * kSecond);
  std::string text = l.Encode();
  StreamLayout back = Must(StreamLayout::Decode(text));
  EXPECT_EQ(back.Encode(), text);
  ASSERT_EQ(back.shards().size(), l.shards().size());
  for (size_t i = 0; i < l.shards().size(); ++i) {
    EXPECT_EQ(back.shards()[i].id, l.shards()[i].id);
    EXPECT_EQ(back.shards()[i].parent, l.shards()[i].parent);
  }
  EXPECT_EQ(back.options().rotate_micros, 5 * kSecond);
  EXPECT_TRUE(back.RotationDue(16 * kSecond));
  EXPECT_FALSE(back.RotationDue(15 * kSecond));
}

TEST(StreamLayout, DecodeRefusesDamageNamingTheLine) {
  StreamLayout l = Must(StreamLayout::Start({.shards = 2}, 1, 0));
  std::string text = l.Encode();
  std::string damaged = text;
  damaged.replace(damaged.rfind(" 0\n"), 3, " x\n");
  Result<StreamLayout> r = StreamLayout::Decode(damaged);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(r.status().message().find("line 3"), std::string::npos)
      << r.status().ToString();
  EXPECT_FALSE(StreamLayout::Decode("").ok());
  EXPECT_FALSE(StreamLayout::Decode("L2 1 0 0 0 0 0\n").ok());
}

TEST(StreamLayout, RetentionForgetsOnlyShardsClosedBeforeTheCutoff) {
  StreamLayout l = Must(StreamLayout::Start(
      {.shards = 2, .rotate_micros = kSecond, .split_per_mille = 0}, 1, 0));
  l.Rotate(5, 10 * kSecond);  // first two close at 10 s
  l.Rotate(9, 20 * kSecond);  // next two close at 20 s
  EXPECT_EQ(l.Forget(10 * kSecond), 0u);
  EXPECT_EQ(l.Forget(15 * kSecond), 2u);
  EXPECT_EQ(l.shards().size(), 4u);
  EXPECT_EQ(l.Find(3, 0), nullptr);  // trimmed
  EXPECT_NE(l.Find(7, 0), nullptr);
  EXPECT_EQ(l.Forget(100 * kSecond), 2u);
  ExpectOpenShardsCoverTheHashSpace(l);
}

TEST(StreamLayout, KeyHashDependsOnTheValueAndItsType) {
  uint64_t a = StreamLayout::KeyHash(AttributeValue::S("ORDER#1"));
  EXPECT_EQ(a, StreamLayout::KeyHash(AttributeValue::S("ORDER#1")));
  EXPECT_NE(a, StreamLayout::KeyHash(AttributeValue::S("ORDER#2")));
  EXPECT_NE(StreamLayout::KeyHash(AttributeValue::S("1")),
            StreamLayout::KeyHash(AttributeValue::N(Number::FromInt64(1))));
}

}  // namespace
}  // namespace godwit::server
