// The migration engine on the embedded store, with live writers.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "control/control_table.h"
#include "engine_fixture.h"
#include "godwit/json.h"

namespace godwit {
namespace {

using migrate::LoadGenerator;
using migrate::LoadOptions;
using test::FakeReKeyMapperFactory;
using test::FakeReKeyOptions;

class EngineTest : public EngineFixture {
 protected:
  void RunReKeyScenario(uint64_t items, double rate) {
    Seed(items);
    FakeReKeyMapperFactory mappers;
    LoadOptions lo;
    lo.threads = 8;
    lo.existing = items;
    lo.hot_keys = 8;
    lo.rate = rate;  // live traffic beside the copy (ASan build), not a
                     // saturation test
    LoadGenerator load(router_.get(), "Orders", "Orders", &mappers, lo);
    load.Start();

    auto m = Migration::Open(router_.get(), store_.get(), &mappers, Plan(),
                             Options());
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    Migration& mig = **m;
    Status bf = mig.WaitBackfill();
    ASSERT_TRUE(bf.ok()) << bf.ToString();
    ASSERT_TRUE(mig.WaitCaughtUp().ok());
    ExpectClean(mig.Verify(5));  // writers running

    auto flip1 = mig.Cutover();
    ASSERT_TRUE(flip1.ok()) << flip1.status().ToString();
    EXPECT_EQ(flip1->to_table, "Orders.v2");
    EXPECT_EQ(*router_->Resolve("Orders"), "Orders.v2");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    // The rollback's gate: down(new) == old and up(old) == new, writers on.
    ExpectClean(mig.Verify(5));

    auto back = mig.Rollback();
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*router_->Resolve("Orders"), "Orders");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ExpectClean(mig.Verify(5));  // the cutover's gate: up(old) == new

    auto flip2 = mig.Cutover();
    ASSERT_TRUE(flip2.ok()) << flip2.status().ToString();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    load.Stop();
    migrate::LoadStats ls = load.stats();
    EXPECT_EQ(ls.errors, 0u) << ls.last_error;
    EXPECT_GT(ls.inserts + ls.updates + ls.deletes, 100u);
    ASSERT_TRUE(mig.WaitCaughtUp().ok());
    ExpectClean(mig.Verify(5));

    // Every acknowledged write is in the new table, transformed ...
    std::vector<std::string> examples;
    auto bad = load.CheckTable(Physical("Orders.v2").get(), false, &examples);
    ASSERT_TRUE(bad.ok()) << bad.status().ToString();
    EXPECT_EQ(*bad, 0u) << (examples.empty() ? "" : examples[0]);
    // ... and reverse sync kept the old table equal to down(new).
    examples.clear();
    bad = load.CheckTable(Physical("Orders").get(), true, &examples);
    ASSERT_TRUE(bad.ok()) << bad.status().ToString();
    EXPECT_EQ(*bad, 0u) << (examples.empty() ? "" : examples[0]);

    ASSERT_TRUE(mig.Finish().ok());
    mig.Stop();
  }
};

// Runs a migration of `items` orders with 8 writers (inserts, updates,
// deletes, hot keys) through cutover, rollback and cutover again, verifying
// with writers running before every flip (the flips' gate); then checks
// every acknowledged write against both tables.

// The acceptance scenario, sized for CI: at 200,000 items and 800 writes/s
// it took 390-948 s under ASan on a loaded 2-core machine; what it proves
// (8 writers through cutover, rollback and cutover, every acknowledged
// write checked in both tables) does not depend on the size.
TEST_F(EngineTest, ReKeyWithEightWritersCutoverRollbackCutover) {
  RunReKeyScenario(30000, 400);
}

// The same on a smaller table with busier writers: verify after each flip
// with writers running, down(new) == old and up(old) == new after a
// cutover, up(old) == new after a rollback.
TEST_F(EngineTest, VerifyAfterEveryFlipWithWritersRunning) {
  RunReKeyScenario(10000, 600);
}

TEST_F(EngineTest, CollisionStopsTheRunNamingBothSourceKeys) {
  Seed(50);
  FakeReKeyMapperFactory mappers(FakeReKeyOptions{.collide = true});
  auto m =
      Migration::Open(router_.get(), store_.get(), &mappers, Plan(), Options());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  Status s = (*m)->WaitBackfill();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_NE(s.message().find("two source items map to one destination key"),
            std::string::npos)
      << s.ToString();
  // Both source keys are named.
  size_t first = s.message().find("ORDER#");
  ASSERT_NE(first, std::string::npos);
  EXPECT_NE(s.message().find("ORDER#", first + 1), std::string::npos)
      << s.ToString();
  (*m)->Stop();
  // The active table is untouched.
  EXPECT_EQ(*router_->Resolve("Orders"), "Orders");
  auto d = store_->DescribeTable("Orders");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->item_count, 50u);
}

TEST_F(EngineTest, ActiveTableIsNeverADestination) {
  Seed(10);
  FakeReKeyMapperFactory mappers;
  MigrationPlan p = Plan();
  p.destination_table = "Orders";
  auto m = Migration::Open(router_.get(), store_.get(), &mappers, p, Options());
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(m.status().message().find("active table"), std::string::npos);
}

TEST_F(EngineTest, ExistingTableIsNeverADestination) {
  Seed(10);
  TableOptions t;
  t.key_schema = test::ReKeyDestinationSchema();
  ASSERT_TRUE(store_->CreateTable("Orders.v2", t).ok());
  FakeReKeyMapperFactory mappers;
  auto m =
      Migration::Open(router_.get(), store_.get(), &mappers, Plan(), Options());
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("already exists"), std::string::npos)
      << m.status().ToString();
}

TEST_F(EngineTest, ItemErrorsGoToDeadLetterAndCount) {
  Seed(100);
  FakeReKeyMapperFactory mappers(FakeReKeyOptions{.fail_order = 42});
  MigrateOptions o = Options();
  o.max_errors = 5;
  auto m = Migration::Open(router_.get(), store_.get(), &mappers, Plan(), o);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  ASSERT_TRUE((*m)->WaitBackfill().ok());
  EXPECT_EQ((*m)->progress().errors, 1u);
  auto v = (*m)->Verify(5);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->source_items, 100u);
  EXPECT_EQ(v->destination_items, 99u);
  EXPECT_EQ(v->unmapped, 1u);
  EXPECT_EQ(v->differences, 0u);
  EXPECT_FALSE(v->ok());
  (*m)->Stop();
  std::FILE* f = std::fopen((o.run_dir + "/dead-letter.jsonl").c_str(), "r");
  ASSERT_NE(f, nullptr);
  char line[8192];
  ASSERT_NE(std::fgets(line, sizeof(line), f), nullptr);
  std::fclose(f);
  std::string l(line);
  EXPECT_NE(l.find("refusing order 42"), std::string::npos) << l;
  EXPECT_NE(l.find("ORDER#000000042"), std::string::npos) << l;
}

TEST_F(EngineTest, TooManyItemErrorsStopTheRun) {
  Seed(100);
  FakeReKeyMapperFactory mappers(FakeReKeyOptions{.fail_order = 7});
  MigrateOptions o = Options();
  o.max_errors = 0;
  auto m = Migration::Open(router_.get(), store_.get(), &mappers, Plan(), o);
  ASSERT_TRUE(m.ok());
  Status s = (*m)->WaitBackfill();
  EXPECT_EQ(s.code(), StatusCode::kAborted) << s.ToString();
  EXPECT_NE(s.message().find("--max-errors"), std::string::npos);
}

// Stop (not a crash: the crash test kills a child process) in the middle of
// backfill and resume: same verified result.
TEST_F(EngineTest, StopAndResumeMidBackfill) {
  Seed(20000);
  FakeReKeyMapperFactory mappers;
  MigrateOptions o = Options();
  o.rate = 20000;  // slow enough to stop midway
  {
    auto m = Migration::Open(router_.get(), store_.get(), &mappers, Plan(), o);
    ASSERT_TRUE(m.ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    MigrationProgress p = (*m)->progress();
    EXPECT_EQ(p.phase, RunPhase::kBackfill);
    (*m)->Stop();
  }
  o.rate = 0;
  auto m = Migration::Open(router_.get(), store_.get(), &mappers, Plan(), o);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  ASSERT_TRUE((*m)->WaitBackfill().ok());
  ExpectClean((*m)->Verify(5));
}

}  // namespace
}  // namespace godwit
