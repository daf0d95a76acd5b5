// godwit analyze's library: the sketches, the text checks, and a whole
// analysis of a table whose figures are known (sizes by DynamoDB's rules,
// a hot partition key, a near-limit item, mixed types, dirty keys).
#include "ops/analyze.h"

#include <gtest/gtest.h>

#include <random>

#include "godwit/json.h"
#include "godwit/local_store.h"
#include "ops/sketch.h"
#include "ops/text_check.h"
#include "testutil/temp_dir.h"

namespace godwit::ops {
namespace {

TEST(SpaceSavingTest, ExactWhileUnderCapacity) {
  SpaceSaving s(8);
  for (int i = 0; i < 5; ++i) s.Add("a");
  s.Add("b", 3);
  s.Add("c");
  EXPECT_TRUE(s.exact());
  std::vector<SpaceSaving::Entry> top = s.Top(2);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].key, "a");
  EXPECT_EQ(top[0].weight, 5u);
  EXPECT_EQ(top[0].error, 0u);
  EXPECT_EQ(top[1].key, "b");
  EXPECT_EQ(top[1].weight, 3u);
  EXPECT_EQ(s.total(), 9u);
}

// A key heavier than total/capacity is always kept, in each thread's
// summary and after merging them, with its true weight within the bound.
TEST(SpaceSavingTest, HeavyHitterSurvivesEvictionAndMerge) {
  SpaceSaving a(16), b(16);
  std::mt19937 rng(7);
  uint64_t hot_true = 0;
  for (int i = 0; i < 20000; ++i) {
    SpaceSaving& s = (i % 2) ? a : b;
    if (rng() % 10 == 0) {
      s.Add("HOT");
      ++hot_true;
    } else {
      s.Add("k" + std::to_string(rng() % 5000));
    }
  }
  EXPECT_FALSE(a.exact());
  a.Merge(b);
  std::vector<SpaceSaving::Entry> top = a.Top(1);
  ASSERT_EQ(top.size(), 1u);
  EXPECT_EQ(top[0].key, "HOT");
  EXPECT_GE(top[0].weight, hot_true);
  EXPECT_LE(top[0].weight - top[0].error, hot_true);
  EXPECT_EQ(a.total(), 20000u);
}

TEST(HyperLogLogTest, EstimatesWithinTwoPercent) {
  HyperLogLog h, h2;
  for (int i = 0; i < 100000; ++i) {
    ((i % 3) ? h : h2).Add("key-" + std::to_string(i));
  }
  h.Merge(h2);
  EXPECT_NEAR(static_cast<double>(h.Estimate()), 100000.0, 2000.0);
  HyperLogLog small;
  for (int i = 0; i < 50; ++i) small.Add("s" + std::to_string(i % 25));
  EXPECT_NEAR(static_cast<double>(small.Estimate()), 25.0, 1.0);
}

TEST(TextCheckTest, FindsWhatLooksTheSame) {
  EXPECT_EQ(CheckText("plain"), kNoIssue);
  EXPECT_EQ(CheckText("caf\xC3\xA9"), kNoIssue);  // é precomposed: NFC
  EXPECT_EQ(CheckText(" lead"), kEdgeWhitespace);
  EXPECT_EQ(CheckText("trail\t"), kEdgeWhitespace | kControl);
  EXPECT_EQ(CheckText("in side"), kNoIssue);
  EXPECT_EQ(CheckText("a\x01"
                      "b"),
            kControl);
  EXPECT_EQ(CheckText("zero\xE2\x80\x8Bwidth"), kInvisible);  // U+200B
  EXPECT_EQ(CheckText("\xEF\xBB\xBF"
                      "bom"),
            kInvisible);                                  // U+FEFF
  EXPECT_EQ(CheckText("nbsp\xC2\xA0"), kEdgeWhitespace);  // U+00A0
  EXPECT_EQ(CheckText("cafe\xCC\x81"), kNotNfc);          // e + U+0301
  EXPECT_EQ(CheckText("bad\xFF"), kInvalidUtf8);
  EXPECT_EQ(NfcOf("cafe\xCC\x81"), std::optional<std::string>("caf\xC3\xA9"));
  EXPECT_EQ(ShowText("zero\xE2\x80\x8Bwidth"), "\"zero<U+200B>width\"");
  EXPECT_EQ(ShowText(" x"), "\"<U+0020>x\"");
  EXPECT_EQ(CheckText(" caf\xC3\xA9"), kEdgeWhitespace);
}

class AnalyzeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    LocalStoreOptions o;
    o.path = dir_.Join("store");
    o.sync = false;
    Result<std::unique_ptr<Store>> s = OpenLocalStore(o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
    TableOptions t;
    t.key_schema =
        KeySchema{{"pk", AttrType::kS}, KeyAttribute{"sk", AttrType::kN}};
    ASSERT_TRUE(store_->CreateTable("Things", t).ok());
    table_ = *store_->GetTable("Things");
  }

  void Put(const std::string& pk, int sk,
           std::vector<std::pair<std::string, AttributeValue>> attrs = {}) {
    Item item;
    item.Set("pk", AttributeValue::S(pk));
    item.Set("sk", AttributeValue::N(Number::FromInt64(sk)));
    for (auto& [n, v] : attrs) item.Set(n, v);
    expected_bytes_ += ItemSize(item);
    expected_write_units_ +=
        std::max<uint64_t>(1, (ItemSize(item) + 1023) / 1024);
    ++expected_items_;
    ASSERT_TRUE(table_->Put(item).ok());
  }

  test::TempDir dir_;
  std::unique_ptr<Store> store_;
  std::shared_ptr<Table> table_;
  uint64_t expected_bytes_ = 0, expected_items_ = 0, expected_write_units_ = 0;
};

TEST_F(AnalyzeTest, MeasuresTheTable) {
  // 50 ordinary partitions of 4 items, one hot partition of 300.
  for (int p = 0; p < 50; ++p) {
    for (int k = 0; k < 4; ++k) {
      Put("p" + std::to_string(p), k,
          {{"kind", p % 10 == 0 ? *AttributeValue::N("7")
                                : AttributeValue::S("order")}});
    }
  }
  for (int k = 0; k < 300; ++k) Put("HOT", k);
  // One item near DynamoDB's 400 KB limit.
  Put("big", 1, {{"blob", AttributeValue::S(std::string(380000, 'x'))}});
  // Dirty keys.
  Put(" lead", 1);
  Put("zero\xE2\x80\x8Bwidth", 1);
  Put("\xEF\xBB\xBF"
      "bom",
      1);
  Put("caf\xC3\xA9", 1);   // NFC
  Put("cafe\xCC\x81", 1);  // the same text, decomposed
  Put("tags", 1, {{"t", *AttributeValue::SS({"ok", "x\x01y"})}});

  AnalyzeOptions o;
  o.segments = 7;
  o.threads = 3;
  o.top = 5;
  Result<TableAnalysis> r = AnalyzeTable(*table_, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const TableAnalysis& a = *r;
  EXPECT_EQ(a.items, expected_items_);
  EXPECT_EQ(a.bytes, expected_bytes_);
  EXPECT_EQ(a.write_units, expected_write_units_);
  EXPECT_EQ(a.read_units, (expected_bytes_ + 4095) / 4096);
  uint64_t histogram_items = 0;
  for (uint64_t n : a.size_histogram) histogram_items += n;
  EXPECT_EQ(histogram_items, expected_items_);
  EXPECT_EQ(a.near_limit_items, 1u);
  EXPECT_EQ(a.over_limit_items, 0u);
  ASSERT_FALSE(a.largest.empty());
  EXPECT_EQ(a.largest[0].key, R"({"pk":{"S":"big"},"sk":{"N":"1"}})");
  EXPECT_EQ(a.max_item_bytes, a.largest[0].bytes);
  EXPECT_GT(a.largest[0].bytes, kNearLimitBytes);

  ASSERT_FALSE(a.hot_by_items.empty());
  EXPECT_EQ(a.hot_by_items[0].key, R"({"S":"HOT"})");
  EXPECT_EQ(a.hot_by_items[0].value, 300u);
  EXPECT_TRUE(a.hot_exact);
  EXPECT_EQ(a.hot_by_bytes[0].key, R"({"S":"big"})");
  EXPECT_NEAR(static_cast<double>(a.partitions), 58.0, 1.0);
  // 300 items against the mean per key.
  EXPECT_EQ(a.items, 507u);
  EXPECT_NEAR(a.skew, 300.0 / (507.0 / a.partitions), 0.01);

  const AttributeStats* kind = nullptr;
  for (const AttributeStats& s : a.attributes) {
    if (s.name == "kind") kind = &s;
  }
  ASSERT_NE(kind, nullptr);
  EXPECT_TRUE(kind->mixed());
  EXPECT_EQ(kind->items, 200u);
  EXPECT_EQ(kind->by_type[static_cast<int>(AttrType::kN)], 20u);
  EXPECT_EQ(kind->by_type[static_cast<int>(AttrType::kS)], 180u);

  auto count = [&](const std::string& attr, const std::string& k) -> uint64_t {
    for (const TextFinding& f : a.findings) {
      if (f.attribute == attr && f.kind == k) return f.count;
    }
    return 0;
  };
  EXPECT_EQ(count("pk", "edge_whitespace"), 1u);
  EXPECT_EQ(count("pk", "invisible"), 2u);  // U+200B and the BOM
  EXPECT_EQ(count("pk", "not_nfc"), 1u);
  EXPECT_EQ(count("pk", "normal_form_collision"), 1u);
  EXPECT_EQ(count("t", "control"), 1u);
  for (const TextFinding& f : a.findings) {
    if (f.kind == "normal_form_collision") {
      ASSERT_EQ(f.examples.size(), 1u);
      EXPECT_EQ(f.examples[0].first,
                "{\"pk\":{\"S\":\"cafe\xCC\x81\"},\"sk\":{\"N\":\"1\"}}");
    }
  }

  // The saved form reads back the same.
  std::string json = AnalysisToJson(a);
  Result<TableAnalysis> back = AnalysisFromJson(json);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(AnalysisToJson(*back), json);
  EXPECT_FALSE(AnalysisFromJson("{\"version\":1}").ok());

  // DynamoDB's arithmetic at a budget: 1 read unit per 4 KB, 1 write unit
  // per 1 KB of each item.
  MigrationEstimate e = EstimateMigration(a, 100, 50);
  EXPECT_EQ(e.backfill_read_units, a.read_units);
  EXPECT_EQ(e.backfill_write_units, expected_write_units_);
  EXPECT_DOUBLE_EQ(e.backfill_seconds, std::max(a.read_units / 100.0,
                                                expected_write_units_ / 50.0));
  EXPECT_EQ(e.bottleneck, "writes");
  EXPECT_DOUBLE_EQ(e.verify_seconds, 2.0 * a.read_units / 100);
}

// Memory stays bounded: with tiny summaries the heavy partition key is
// still found among many distinct keys, and the attribute table is capped.
TEST_F(AnalyzeTest, BoundedSummariesStillFindTheHotKey) {
  for (int i = 0; i < 1500; ++i) {
    Put(i % 4 == 0 ? "HOT" : "k" + std::to_string(i), i,
        {{"a" + std::to_string(i % 40), AttributeValue::S("v")}});
  }
  AnalyzeOptions o;
  o.segments = 4;
  o.threads = 2;
  o.top = 3;
  o.sketch_capacity = 8;
  o.max_attributes = 10;
  Result<TableAnalysis> r = AnalyzeTable(*table_, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->hot_exact);
  ASSERT_FALSE(r->hot_by_items.empty());
  EXPECT_EQ(r->hot_by_items[0].key, R"({"S":"HOT"})");
  EXPECT_GE(r->hot_by_items[0].value, 375u);
  EXPECT_LE(r->attributes.size(), 10u);
  EXPECT_GT(r->attributes_untracked, 0u);
  EXPECT_EQ(r->items, 1500u);
}

TEST_F(AnalyzeTest, RefusesBadOptionsAndStopsWhenCancelled) {
  AnalyzeOptions o;
  o.segments = 0;
  EXPECT_TRUE(AnalyzeTable(*table_, o).status().IsInvalidArgument());
  Put("a", 1);
  std::atomic<bool> cancel{true};
  AnalyzeOptions c;
  c.cancel = &cancel;
  EXPECT_EQ(AnalyzeTable(*table_, c).status().code(), StatusCode::kCancelled);
}

}  // namespace
}  // namespace godwit::ops
