// A fan-out migration (an order -> its order row and one row per line) on
// the embedded store: verify accounts for every destination row in both
// directions, and writers in the new shape leave no stray rows.
#include <gtest/gtest.h>

#include <thread>

#include "engine_fixture.h"
#include "testutil/fake_fanout_mapper.h"

namespace godwit {
namespace {

using migrate::LoadGenerator;
using migrate::LoadOptions;
using test::FakeFanOutMapper;
using test::FakeFanOutMapperFactory;

class FanOutTest : public EngineFixture {
 protected:
  MigrationPlan FanOutPlan() {
    MigrationPlan p = Plan();
    p.destination_key_schema = test::FanOutDestinationSchema();
    return p;
  }
};

// What broke: after cutover verify compared only down(destination) with
// the old table, and `down` maps a line row to nothing, so a stray line
// row in the live table went unseen while verify said OK.
TEST_F(FanOutTest, AfterCutoverVerifyFindsAStrayLineRow) {
  Seed(300);
  FakeFanOutMapperFactory mappers;
  auto m = Migration::Open(router_.get(), store_.get(), &mappers, FanOutPlan(),
                           Options());
  ASSERT_OK(m.status());
  Migration& mig = **m;
  ASSERT_OK(mig.WaitCaughtUp());
  ExpectClean(mig.Verify(5));
  ASSERT_OK(mig.Cutover().status());
  ExpectClean(mig.Verify(5));

  // A line row no order has: order 5 has at most 5 lines.
  Item order = migrate::MakeOrder(5, 0);
  std::vector<Item> rows;
  ASSERT_OK(FakeFanOutMapper().Up(order, &rows, nullptr));
  Item stray = rows.at(1);
  std::string order_sk = rows.at(0).Find("sk")->s();
  stray.Set("sk", AttributeValue::S(FakeFanOutMapper::LineKey(order_sk, 9)));
  std::shared_ptr<Table> v2 = Physical("Orders.v2");
  ASSERT_OK(v2->Put(stray));
  ASSERT_OK(mig.WaitCaughtUp());

  Result<VerifyReport> v = mig.Verify(5);
  ASSERT_OK(v.status());
  EXPECT_TRUE(v->both_directions);
  EXPECT_EQ(v->differences, 1u) << Differences(*v);
  EXPECT_EQ(v->up_destination_items, v->up_expected_items + 1);
  EXPECT_FALSE(v->ok());
  bool named = false;
  for (const auto& d : v->first) {
    named |= d.key.find("#LINE#09") != std::string::npos && d.expected.empty();
  }
  EXPECT_TRUE(named) << Differences(*v);
  // The gate sees it too.
  EXPECT_EQ(mig.Rollback().status().code(), StatusCode::kFailedPrecondition);

  ASSERT_OK(v2->Delete(*ExtractKey(stray, v2->key_schema())));
  ASSERT_OK(mig.WaitCaughtUp());
  ExpectClean(mig.Verify(5));
  mig.Stop();
}

// What broke: the in-process writer wrote up(new) in the new shape without
// deleting what up(old) had produced, so an order that lost lines kept
// stray line rows in the live table.
TEST_F(FanOutTest, WritersThroughCutoverRollbackCutoverLeaveNoStrayRows) {
  constexpr uint64_t kItems = 2000;
  Seed(kItems);
  FakeFanOutMapperFactory mappers;
  LoadOptions lo;
  lo.threads = 4;
  lo.existing = kItems;
  lo.hot_keys = 8;
  lo.rate = 300;
  LoadGenerator load(router_.get(), "Orders", "Orders", &mappers, lo);
  load.Start();
  auto m = Migration::Open(router_.get(), store_.get(), &mappers, FanOutPlan(),
                           Options());
  ASSERT_OK(m.status());
  Migration& mig = **m;
  ASSERT_OK(mig.WaitCaughtUp());
  ExpectClean(mig.Verify(5));
  ASSERT_OK(mig.Cutover().status());
  // Writers write the new shape until they have changed lines of orders.
  uint64_t at_flip = load.stats().updates;
  while (load.stats().updates < at_flip + 100) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ExpectClean(mig.Verify(5));
  ASSERT_OK(mig.Rollback().status());
  ExpectClean(mig.Verify(5));
  ASSERT_OK(mig.Cutover().status());
  at_flip = load.stats().updates;
  while (load.stats().updates < at_flip + 100) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  load.Stop();
  migrate::LoadStats ls = load.stats();
  EXPECT_EQ(ls.errors, 0u) << ls.last_error;
  ASSERT_OK(mig.WaitCaughtUp());
  Result<VerifyReport> v = mig.Verify(5);
  ExpectClean(v);
  EXPECT_TRUE(v->both_directions);
  EXPECT_EQ(v->up_expected_items, v->up_destination_items);

  // Every acknowledged write, in both tables, every row of each order.
  std::vector<std::string> examples;
  auto bad = load.CheckTable(Physical("Orders.v2").get(), false, &examples);
  ASSERT_OK(bad.status());
  EXPECT_EQ(*bad, 0u) << (examples.empty() ? "" : examples[0]);
  examples.clear();
  bad = load.CheckTable(Physical("Orders").get(), true, &examples);
  ASSERT_OK(bad.status());
  EXPECT_EQ(*bad, 0u) << (examples.empty() ? "" : examples[0]);
  mig.Stop();
}

}  // namespace
}  // namespace godwit
