// The verifier alone, on tables of the embedded store: up(source) compared
// with a destination that is right, damaged, missing an item, or holding
// an extra one; over snapshots and over plain scans.
#include "migrate/verifier.h"

#include <gtest/gtest.h>

#include "godwit/json.h"
#include "godwit/local_store.h"
#include "migrate/workload.h"
#include "testutil/fake_rekey_mapper.h"
#include "testutil/status_testing.h"
#include "testutil/temp_dir.h"

namespace godwit::migrate {
namespace {

using test::FakeReKeyMapperFactory;

constexpr uint64_t kOrders = 300;

class VerifierTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    LocalStoreOptions o;
    o.path = dir_.Join("store");
    o.sync = false;
    ASSERT_OK_AND_ASSIGN(store_, OpenLocalStore(o));
    ASSERT_OK(store_->CreateTable(
        "Orders", {KeySchema{{"pk", AttrType::kS}, std::nullopt}}));
    ASSERT_OK(store_->CreateTable("Orders.v2",
                                  {test::ReKeyDestinationSchema(), false}));
    ASSERT_OK_AND_ASSIGN(source_, store_->GetTable("Orders"));
    ASSERT_OK_AND_ASSIGN(dest_, store_->GetTable("Orders.v2"));
    ASSERT_OK(SeedOrders(source_.get(), kOrders, 1));
    ASSERT_OK_AND_ASSIGN(mapper_, mappers_.NewMapper());
    for (uint64_t id = 0; id < kOrders; ++id) {
      ASSERT_OK(dest_->Put(Up(MakeOrder(id, 0))));
    }
  }

  Item Up(const Item& order) {
    std::vector<Item> out;
    EXPECT_OK(mapper_->Up(order, &out, nullptr));
    return out.at(0);
  }

  // Compares up(source) with the destination, over snapshots if the test
  // parameter says so.
  VerifyReport Compare() {
    Verifier v(&mappers_, 2);
    Comparison c;
    c.from = source_.get();
    c.to = dest_.get();
    c.dir = Direction::kUp;
    std::unique_ptr<Snapshot> fs, ts;
    if (GetParam()) {
      fs = *source_->GetSnapshot();
      ts = *dest_->GetSnapshot();
      c.from_snapshot = fs.get();
      c.to_snapshot = ts.get();
    }
    Result<VerifyReport> r = v.Compare(c, 5);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : VerifyReport{};
  }

  ::godwit::test::TempDir dir_;
  std::unique_ptr<Store> store_;
  std::shared_ptr<Table> source_, dest_;
  FakeReKeyMapperFactory mappers_;
  std::unique_ptr<ItemMapper> mapper_;
};

TEST_P(VerifierTest, EqualTablesAreClean) {
  VerifyReport r = Compare();
  EXPECT_EQ(r.source_items, kOrders);
  EXPECT_EQ(r.expected_items, kOrders);
  EXPECT_EQ(r.destination_items, kOrders);
  EXPECT_EQ(r.differences, 0u);
  EXPECT_TRUE(r.first.empty());
  EXPECT_TRUE(r.ok());
}

TEST_P(VerifierTest, ADamagedItemIsFoundWithBothSides) {
  Item damaged = Up(MakeOrder(17, 0));
  damaged.Set("total", AttributeValue::N(Number::FromInt64(-1)));
  ASSERT_OK(dest_->Put(damaged));
  VerifyReport r = Compare();
  EXPECT_EQ(r.differences, 1u);
  EXPECT_EQ(r.destination_items, kOrders);
  ASSERT_EQ(r.first.size(), 1u);
  EXPECT_NE(r.first[0].key.find("ORDER#000000017"), std::string::npos)
      << r.first[0].key;
  EXPECT_NE(r.first[0].actual.find("\"-1\""), std::string::npos)
      << r.first[0].actual;
  EXPECT_EQ(r.first[0].expected.find("\"-1\""), std::string::npos)
      << r.first[0].expected;
  EXPECT_FALSE(r.ok());
}

TEST_P(VerifierTest, AMissingAndAnExtraItemAreFoundAndCounted) {
  Item missing = Up(MakeOrder(5, 0));
  ASSERT_OK(
      dest_->Delete(*ExtractKey(missing, test::ReKeyDestinationSchema())));
  Item extra = Up(MakeOrder(kOrders + 7, 0));  // in no source item
  ASSERT_OK(dest_->Put(extra));
  VerifyReport r = Compare();
  EXPECT_EQ(r.differences, 2u);
  EXPECT_EQ(r.expected_items, kOrders);
  EXPECT_EQ(r.destination_items, kOrders);  // one missing, one extra
  ASSERT_EQ(r.first.size(), 2u);
  int missing_seen = 0, extra_seen = 0;
  for (const VerifyReport::Difference& d : r.first) {
    if (d.key.find("ORDER#000000005") != std::string::npos) {
      ++missing_seen;
      EXPECT_TRUE(d.actual.empty()) << d.actual;
      EXPECT_FALSE(d.expected.empty());
    }
    if (d.key.find("ORDER#000000307") != std::string::npos) {
      ++extra_seen;
      EXPECT_TRUE(d.expected.empty()) << d.expected;
      EXPECT_FALSE(d.actual.empty());
    }
  }
  EXPECT_EQ(missing_seen, 1);
  EXPECT_EQ(extra_seen, 1);
  EXPECT_FALSE(r.ok());
}

TEST_P(VerifierTest, OnlyAnExtraItemMakesTheCountsDisagree) {
  ASSERT_OK(dest_->Put(Up(MakeOrder(kOrders + 1, 0))));
  VerifyReport r = Compare();
  EXPECT_EQ(r.differences, 1u);
  EXPECT_EQ(r.expected_items, kOrders);
  EXPECT_EQ(r.destination_items, kOrders + 1);
  EXPECT_FALSE(r.ok());
}

INSTANTIATE_TEST_SUITE_P(SnapshotsAndScans, VerifierTest,
                         ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? "Snapshots" : "Scans";
                         });

}  // namespace
}  // namespace godwit::migrate
