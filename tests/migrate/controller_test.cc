// The controller driving runs on the embedded store: open, progress,
// pause/rate, verify, cutover, rollback, finish, and the refusals of
// Controller::Open (a run in progress, none to resume, a transform that is
// not deterministic or does not compile).
#include "godwit/controller.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "control/ledger.h"
#include "controller_fixture.h"
#include "godwit/local_store.h"
#include "testutil/temp_dir.h"

namespace godwit {
namespace {

using test::kRename;

class ControllerTest : public test::ControllerFixture {};

TEST_F(ControllerTest, DrivesARunFromOpenToFinish) {
  WriteMigration("0002_rename.lua", kRename);
  Result<std::unique_ptr<Controller>> opened =
      Controller::Open(Env(), Request());
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  Controller& c = **opened;
  EXPECT_EQ(c.info().table, "Events");
  EXPECT_EQ(c.info().source, "Events");
  EXPECT_EQ(c.info().destination, "Events.v2");
  EXPECT_FALSE(c.info().resumed);
  ASSERT_TRUE(c.WaitCaughtUp().ok());

  Result<Reply> r = Run(c, "progress");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE(r->progress.has_value());
  EXPECT_EQ(r->progress->phase, RunPhase::kReplay);
  EXPECT_EQ(r->progress->scanned, static_cast<uint64_t>(kItems));
  EXPECT_EQ(r->progress->written, static_cast<uint64_t>(kItems));

  r = Run(c, "pause");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->paused);
  r = Run(c, "resume");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->paused);
  r = Run(c, "rate 250");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rate, 250);
  r = Run(c, "rate unlimited");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rate, 0);
  // Execute checks a command built by hand as the parser does.
  Command bad;
  bad.kind = CommandKind::kRate;
  bad.rate = -1;
  EXPECT_TRUE(c.Execute(bad).status().IsInvalidArgument());

  r = Run(c, "verify");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE(r->verify.has_value());
  EXPECT_TRUE(r->verify->ok());
  EXPECT_FALSE(r->differences());
  EXPECT_EQ(r->verify->source_items, static_cast<uint64_t>(kItems));
  EXPECT_EQ(r->verify->destination_items, static_cast<uint64_t>(kItems));

  // Finish needs a cutover: refused, the run goes on.
  EXPECT_FALSE(Run(c, "finish").ok());

  r = Run(c, "cutover");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE(r->flip.has_value());
  EXPECT_EQ(r->flip->from_table, "Events");
  EXPECT_EQ(r->flip->to_table, "Events.v2");
  EXPECT_FALSE(r->forced);
  EXPECT_EQ(*router_->Resolve("Events"), "Events.v2");

  ASSERT_TRUE(c.WaitCaughtUp().ok());
  r = Run(c, "verify");  // down(destination) == old table
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->verify->ok());

  r = Run(c, "rollback");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->flip->from_table, "Events.v2");
  EXPECT_EQ(r->flip->to_table, "Events");
  EXPECT_EQ(*router_->Resolve("Events"), "Events");

  ASSERT_TRUE(c.WaitCaughtUp().ok());
  r = Run(c, "cutover --verify-first");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE(r->verify.has_value());
  EXPECT_TRUE(r->verify->ok());
  ASSERT_TRUE(r->flip.has_value());
  EXPECT_EQ(r->flip->to_table, "Events.v2");

  r = Run(c, "finish");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(c.ended());
  // The ledger holds the migration; the run is over.
  Result<std::vector<control::LedgerEntry>> ledger =
      control::ReadLedger(store_.get(), "Events");
  ASSERT_TRUE(ledger.ok());
  ASSERT_EQ(ledger->size(), 1u);
  EXPECT_EQ((*ledger)[0].id(), "0002_rename");
  EXPECT_EQ((*ledger)[0].items_written, static_cast<uint64_t>(kItems));
  Result<Reply> after = Run(c, "progress");
  EXPECT_EQ(after.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(after.status().message().find("has ended"), std::string::npos);
  Result<std::optional<RunSummary>> run = FindRun(store_.get(), "Events");
  ASSERT_TRUE(run.ok());
  EXPECT_TRUE(!*run || !(*run)->unfinished());
}

TEST_F(ControllerTest, OpenRefusesWhatItCannotRun) {
  // Nothing pending.
  Result<std::unique_ptr<Controller>> c = Controller::Open(Env(), Request());
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("no pending migrations for Events"),
            std::string::npos)
      << c.status().ToString();
  // Nothing to resume.
  WriteMigration("0002_rename.lua", kRename);
  c = Controller::Open(Env(), Request(OpenMode::kResume));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("no run of Events in progress"),
            std::string::npos)
      << c.status().ToString();
  // Bad options.
  RunRequest bad = Request();
  bad.threads = 0;
  EXPECT_TRUE(Controller::Open(Env(), bad).status().IsInvalidArgument());
  bad = Request();
  bad.fence_seconds = -1;
  EXPECT_TRUE(Controller::Open(Env(), bad).status().IsInvalidArgument());

  // A run in progress is resumed, not started twice; its plan is the one
  // it recorded.
  c = Controller::Open(Env(), Request());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  std::string run_id = (*c)->info().run_id;
  (*c)->Stop();
  c->reset();
  Result<std::unique_ptr<Controller>> again =
      Controller::Open(Env(), Request());
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.status().message().find("a run of Events is in progress"),
            std::string::npos)
      << again.status().ToString();
  again = Controller::Open(Env(), Request(OpenMode::kResume));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE((*again)->info().resumed);
  EXPECT_EQ((*again)->info().run_id, run_id);
  (*again)->Stop();
  Result<std::vector<RunSummary>> runs = ListRuns(store_.get());
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ((*runs)[0].table, "Events");
  EXPECT_EQ((*runs)[0].destination, "Events.v2");
  EXPECT_TRUE((*runs)[0].unfinished());
}

TEST_F(ControllerTest, NondeterministicTransformIsRefusedBeforeAnyWrite) {
  WriteMigration("0002_count.lua", R"(local n = 0
return {
  up = function(item, ctx)
    n = n + 1
    item.n = n
    return item
  end,
}
)");
  Result<std::unique_ptr<Controller>> c = Controller::Open(Env(), Request());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kFailedPrecondition)
      << c.status().ToString();
  EXPECT_FALSE(store_->DescribeTable("Events.v2").ok());
  Result<std::optional<RunSummary>> run = FindRun(store_.get(), "Events");
  ASSERT_TRUE(run.ok());
  EXPECT_FALSE(run->has_value());
}

TEST_F(ControllerTest, BrokenMigrationIsNamed) {
  WriteMigration("0002_broken.lua", "return { up = function(item) return item");
  Result<std::unique_ptr<Controller>> c = Controller::Open(Env(), Request());
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(c.status().IsInvalidArgument()) << c.status().ToString();
  EXPECT_NE(c.status().message().find("0002_broken"), std::string::npos)
      << c.status().ToString();
}

TEST(ControllerFenceTest, DefaultsByStore) {
  EXPECT_EQ(EffectiveFenceSeconds(std::nullopt, /*remote=*/true), 6);
  EXPECT_EQ(EffectiveFenceSeconds(std::nullopt, /*remote=*/false), 0);
  EXPECT_EQ(EffectiveFenceSeconds(2.5, /*remote=*/true), 2.5);
  EXPECT_EQ(EffectiveFenceSeconds(0, /*remote=*/true), 0);
}

}  // namespace
}  // namespace godwit
