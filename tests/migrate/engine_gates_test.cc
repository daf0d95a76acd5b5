// The engine's safety gates: cutover and rollback need a passing verify of
// the run in its phase (or force), abandon ends a run only while the source
// is active, and dead letters are counted once across a resume.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <thread>

#include "control/control_table.h"
#include "engine_fixture.h"
#include "migrate/run_state.h"

namespace godwit {
namespace {

using test::FakeReKeyMapperFactory;
using test::FakeReKeyOptions;

class EngineGateTest : public EngineFixture {};

std::unique_ptr<Migration> OpenOk(Router* router, Store* store,
                                  MapperFactory* mappers,
                                  const MigrationPlan& plan,
                                  const MigrateOptions& opts) {
  Result<std::unique_ptr<Migration>> m =
      Migration::Open(router, store, mappers, plan, opts);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? std::move(*m) : nullptr;
}

size_t Lines(const std::string& path) {
  std::ifstream f(path);
  size_t n = 0;
  for (std::string line; std::getline(f, line);) n += !line.empty();
  return n;
}

// What broke: the destination was dropped by hand, `migrate --resume`
// recreated it empty, verify found 15,001 differences, and cutover still
// switched the application to the empty table.
TEST_F(EngineGateTest, CutoverRefusesADestinationRecreatedByAResume) {
  Seed(500);
  FakeReKeyMapperFactory mappers;
  {
    auto m = OpenOk(router_.get(), store_.get(), &mappers, Plan(), Options());
    ASSERT_NE(m, nullptr);
    ASSERT_OK(m->WaitCaughtUp());
    ExpectClean(m->Verify(5));  // a passing verify, recorded
    m->Stop();
  }
  ASSERT_OK(store_->DropTable("Orders.v2"));  // by hand
  auto m = OpenOk(router_.get(), store_.get(), &mappers, Plan(), Options());
  ASSERT_NE(m, nullptr);
  ASSERT_OK(m->WaitCaughtUp());
  // The verify before the drop proves nothing about the new table.
  Result<FlipReport> flip = m->Cutover();
  ASSERT_EQ(flip.status().code(), StatusCode::kFailedPrecondition)
      << flip.status().ToString();
  EXPECT_NE(flip.status().message().find("verify"), std::string::npos)
      << flip.status().ToString();
  // And a verify of the new table fails: still no cutover.
  Result<VerifyReport> v = m->Verify(5);
  ASSERT_OK(v.status());
  EXPECT_EQ(v->differences, 500u);
  EXPECT_FALSE(v->ok());
  flip = m->Cutover();
  ASSERT_EQ(flip.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(flip.status().message().find("500 differences"), std::string::npos)
      << flip.status().ToString();
  EXPECT_EQ(*router_->Resolve("Orders"), "Orders");
  // --force skips the gate and says what it skipped.
  flip = m->Cutover(FlipOptions{.force = true});
  ASSERT_OK(flip.status());
  EXPECT_NE(flip->gate_skipped.find("500 differences"), std::string::npos)
      << flip->gate_skipped;
  EXPECT_EQ(*router_->Resolve("Orders"), "Orders.v2");
  m->Stop();
}

TEST_F(EngineGateTest, RollbackNeedsAPassingVerifyAfterTheCutover) {
  Seed(300);
  FakeReKeyMapperFactory mappers;
  auto m = OpenOk(router_.get(), store_.get(), &mappers, Plan(), Options());
  ASSERT_NE(m, nullptr);
  ASSERT_OK(m->WaitCaughtUp());
  EXPECT_EQ(m->Cutover().status().code(), StatusCode::kFailedPrecondition);
  ExpectClean(m->Verify(5));
  Result<FlipReport> flip = m->Cutover();
  ASSERT_OK(flip.status());
  EXPECT_TRUE(flip->gate_skipped.empty()) << flip->gate_skipped;
  // The verify of the phase before proves nothing now.
  Result<FlipReport> back = m->Rollback();
  ASSERT_EQ(back.status().code(), StatusCode::kFailedPrecondition)
      << back.status().ToString();
  EXPECT_NE(back.status().message().find("cut-over"), std::string::npos)
      << back.status().ToString();
  ExpectClean(m->Verify(5));
  ASSERT_OK(m->Rollback().status());
  EXPECT_EQ(*router_->Resolve("Orders"), "Orders");
  m->Stop();
}

// Run ownership at the commit points: a process whose run lease was lost
// (MigrateOptions::commit_check / held_check, the controller's lease) may
// neither flip, even forced, nor overwrite the run state another owner now
// writes; the pointer stays where it was.
TEST_F(EngineGateTest, ALostLeaseRefusesFlipsAndSaves) {
  Seed(200);
  FakeReKeyMapperFactory mappers;
  std::atomic<bool> lost{false};
  auto check = [&lost]() -> Status {
    return lost.load() ? Status::FailedPrecondition(
                             "the run of Orders was lost to another owner")
                       : Status::OK();
  };
  MigrateOptions o = Options();
  o.commit_check = check;
  o.held_check = check;
  auto m = OpenOk(router_.get(), store_.get(), &mappers, Plan(), o);
  ASSERT_NE(m, nullptr);
  ASSERT_OK(m->WaitCaughtUp());
  ExpectClean(m->Verify(5));
  lost = true;
  Result<FlipReport> flip = m->Cutover(FlipOptions{.force = true});
  ASSERT_EQ(flip.status().code(), StatusCode::kFailedPrecondition)
      << flip.status().ToString();
  EXPECT_NE(flip.status().message().find("another owner"), std::string::npos);
  EXPECT_EQ(*router_->Resolve("Orders"), "Orders");
  ASSERT_OK_AND_ASSIGN(std::optional<migrate::RunState> st,
                       migrate::LoadRunState(store_.get(), "Orders"));
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->phase, RunPhase::kReplay);
  // The next checkpoint is refused: the run stops with the lease's error.
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<Table> t, store_->GetTable("Orders"));
  ASSERT_OK(t->Put(migrate::MakeOrder(7, 1)));
  Status s = m->WaitCaughtUp();
  for (int i = 0; i < 200 && m->error().ok(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_NE(m->error().message().find("another owner"), std::string::npos)
      << m->error().ToString() << " / " << s.ToString();
  EXPECT_EQ(m->Abandon().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(store_->GetTable("Orders.v2").ok());  // abandon did nothing
  m->Stop();
}

// A verify recorded before the run failed proves nothing after it, also in
// a later process: the invalidation is durable.
TEST_F(EngineGateTest, ARunErrorInvalidatesTheLastVerifyDurably) {
  Seed(200);
  FakeReKeyMapperFactory good;
  // Order 100000 makes `up` fail with a non-item error: the run stops.
  FakeReKeyMapperFactory breaking(FakeReKeyOptions{.broken_order = 100000});
  {
    auto m = OpenOk(router_.get(), store_.get(), &breaking, Plan(), Options());
    ASSERT_NE(m, nullptr);
    ASSERT_OK(m->WaitCaughtUp());
    ExpectClean(m->Verify(5));
    ASSERT_OK_AND_ASSIGN(std::shared_ptr<Table> t, store_->GetTable("Orders"));
    ASSERT_OK(t->Put(migrate::MakeOrder(100000, 0)));
    Status s = m->WaitCaughtUp();
    EXPECT_EQ(s.code(), StatusCode::kInternal) << s.ToString();
    m->Stop();
  }
  ASSERT_OK_AND_ASSIGN(std::optional<migrate::RunState> st,
                       migrate::LoadRunState(store_.get(), "Orders"));
  ASSERT_TRUE(st.has_value());
  EXPECT_FALSE(st->last_verify.has_value());
  // The next process (with a fixed mapper) must verify again.
  auto m = OpenOk(router_.get(), store_.get(), &good, Plan(), Options());
  ASSERT_NE(m, nullptr);
  ASSERT_OK(m->WaitCaughtUp());
  EXPECT_EQ(m->Cutover().status().code(), StatusCode::kFailedPrecondition);
  ExpectClean(m->Verify(5));
  ASSERT_OK(m->Cutover().status());
  m->Stop();
}

// A passing verify recorded by one process lets another one flip (the CLI
// verifies and cuts over in separate commands).
TEST_F(EngineGateTest, APassingVerifyIsKeptAcrossAResume) {
  Seed(200);
  FakeReKeyMapperFactory mappers;
  {
    auto m = OpenOk(router_.get(), store_.get(), &mappers, Plan(), Options());
    ASSERT_NE(m, nullptr);
    ASSERT_OK(m->WaitCaughtUp());
    ExpectClean(m->Verify(5));
    m->Stop();
  }
  auto m = OpenOk(router_.get(), store_.get(), &mappers, Plan(), Options());
  ASSERT_NE(m, nullptr);
  ASSERT_OK(m->Cutover().status());
  m->Stop();
}

TEST_F(EngineGateTest,
       AbandonBeforeCutoverDropsTheDestinationAndKeepsTheSource) {
  Seed(300);
  FakeReKeyMapperFactory mappers;
  auto m = OpenOk(router_.get(), store_.get(), &mappers, Plan(), Options());
  ASSERT_NE(m, nullptr);
  ASSERT_OK(m->WaitBackfill());
  std::string consumer = "godwit-run-" + m->plan().run_id;
  ASSERT_OK(m->Abandon());
  EXPECT_TRUE(store_->DescribeTable("Orders.v2").status().IsNotFound());
  EXPECT_TRUE(
      store_->DescribeTable("godwit_keymap.Orders.v2").status().IsNotFound());
  ASSERT_OK_AND_ASSIGN(std::optional<migrate::RunState> st,
                       migrate::LoadRunState(store_.get(), "Orders"));
  EXPECT_FALSE(st.has_value());
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<Table> src, store_->GetTable("Orders"));
  ASSERT_OK_AND_ASSIGN(std::vector<StreamConsumer> consumers,
                       src->ListStreamConsumers());
  for (const StreamConsumer& c : consumers) EXPECT_NE(c.name, consumer);
  ASSERT_OK_AND_ASSIGN(TableDescription d, src->Describe());
  EXPECT_EQ(d.item_count, 300u);
  ASSERT_OK_AND_ASSIGN(std::optional<control::Pointer> ptr,
                       control::GetPointer(store_.get(), "Orders"));
  EXPECT_FALSE(ptr.has_value());
  EXPECT_FALSE(m->Verify(5).ok());  // the run is over
  m->Stop();
  m.reset();
  // A new run starts from scratch.
  auto again = OpenOk(router_.get(), store_.get(), &mappers, Plan(), Options());
  ASSERT_NE(again, nullptr);
  EXPECT_NE(again->plan().run_id, "");
  ASSERT_OK(again->WaitCaughtUp());
  ExpectClean(again->Verify(5));
  again->Stop();
}

TEST_F(EngineGateTest, AbandonIsRefusedWhileCutOverAndAllowedAfterARollback) {
  Seed(200);
  FakeReKeyMapperFactory mappers;
  auto m = OpenOk(router_.get(), store_.get(), &mappers, Plan(), Options());
  ASSERT_NE(m, nullptr);
  ASSERT_OK(m->WaitCaughtUp());
  ExpectClean(m->Verify(5));
  ASSERT_OK(m->Cutover().status());
  Status s = m->Abandon();
  ASSERT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_NE(s.message().find("cut-over"), std::string::npos) << s.ToString();
  EXPECT_TRUE(store_->DescribeTable("Orders.v2").ok());
  ExpectClean(m->Verify(5));
  ASSERT_OK(m->Rollback().status());
  ASSERT_OK_AND_ASSIGN(std::optional<control::Pointer> before,
                       control::GetPointer(store_.get(), "Orders"));
  ASSERT_OK(m->Abandon());
  EXPECT_TRUE(store_->DescribeTable("Orders.v2").status().IsNotFound());
  ASSERT_OK_AND_ASSIGN(std::optional<control::Pointer> after,
                       control::GetPointer(store_.get(), "Orders"));
  ASSERT_TRUE(before.has_value() && after.has_value());
  EXPECT_EQ(after->physical, "Orders");
  EXPECT_EQ(after->epoch, before->epoch);
  m->Stop();
}

// A resumed run meets its bad items again (a kill can land between a dead
// letter and its segment's checkpoint): each is written and counted once,
// so --max-errors 2 lets a run with 2 bad items finish.
TEST_F(EngineGateTest, AResumedRunCountsEachBadItemOnce) {
  Seed(400);
  FakeReKeyMapperFactory mappers(FakeReKeyOptions{.fail_orders = {42, 350}});
  MigrateOptions o = Options();
  o.max_errors = 2;
  {
    auto m = OpenOk(router_.get(), store_.get(), &mappers, Plan(), o);
    ASSERT_NE(m, nullptr);
    ASSERT_OK(m->WaitBackfill());
    EXPECT_EQ(m->progress().errors, 2u);
    m->Stop();
  }
  // As if killed before the segments' checkpoints: backfill starts over.
  ASSERT_OK_AND_ASSIGN(std::optional<migrate::RunState> st,
                       migrate::LoadRunState(store_.get(), "Orders"));
  ASSERT_TRUE(st.has_value());
  for (migrate::SegmentState& seg : st->segments) seg = {};
  st->phase = RunPhase::kBackfill;
  ASSERT_OK(migrate::SaveRunState(store_.get(), *st));

  auto m = OpenOk(router_.get(), store_.get(), &mappers, Plan(), o);
  ASSERT_NE(m, nullptr);
  ASSERT_OK(m->WaitCaughtUp());
  EXPECT_EQ(m->progress().errors, 2u);
  Result<VerifyReport> v = m->Verify(5);
  ASSERT_OK(v.status());
  EXPECT_EQ(v->unmapped, 2u);
  EXPECT_EQ(v->differences, 0u);
  EXPECT_FALSE(v->ok());
  // The dead-lettered items fail the gate; the operator forces the flip.
  EXPECT_EQ(m->Cutover().status().code(), StatusCode::kFailedPrecondition);
  Result<FlipReport> flip = m->Cutover(FlipOptions{.force = true});
  ASSERT_OK(flip.status());
  EXPECT_NE(flip->gate_skipped.find("2 unmapped"), std::string::npos)
      << flip->gate_skipped;
  ASSERT_OK(m->Finish());
  EXPECT_EQ(m->progress().errors, 2u);
  EXPECT_EQ(m->phase(), RunPhase::kFinished);
  m->Stop();
  EXPECT_EQ(Lines(o.run_dir + "/dead-letter.jsonl"), 2u);
}

}  // namespace
}  // namespace godwit
