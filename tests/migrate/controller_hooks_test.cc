// The operator's hooks and cutover gates of a run (docs/operations.md,
// "Hooks and cutover gates"): hooks run at the run's events with its
// figures, on-before-cutover postpones a cutover, a hook never hangs the
// run, the postpone file and the lag bound hold a cutover.
#include "migrate/controller_hooks.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "controller_fixture.h"
#include "godwit/controller.h"
#include "testutil/status_testing.h"

namespace godwit {
namespace {

using test::kRename;

class ControllerHooksTest : public test::ControllerFixture {
 protected:
  void SetUp() override {
    ControllerFixture::SetUp();
    WriteMigration("0002_rename.lua", kRename);
    hooks_ = dir_.Join("hooks");
    std::filesystem::create_directories(hooks_);
    log_ = dir_.Join("hooks.log");
  }

  // A shell hook appending "<event> <table> <phase> <scanned>" to the log,
  // then running `tail` (shell text).
  void WriteHook(const std::string& event, const std::string& tail = "") {
    std::string path = hooks_ + "/" + event;
    std::ofstream(path) << "#!/bin/sh\n"
                        << "echo \"$GODWIT_EVENT $GODWIT_TABLE $GODWIT_PHASE "
                           "$GODWIT_SCANNED $GODWIT_WRITE_PAUSE_MS\" >> "
                        << log_ << "\n"
                        << tail << "\n";
    ::chmod(path.c_str(), 0755);
  }

  std::vector<std::string> LogLines() {
    std::ifstream f(log_);
    std::vector<std::string> out;
    for (std::string line; std::getline(f, line);) out.push_back(line);
    return out;
  }

  RunRequest HookedRequest() {
    RunRequest r = Request();
    r.hooks_dir = hooks_;
    r.hook_timeout_seconds = 10;
    r.on_note = [this](const std::string& line) {
      std::lock_guard lock(notes_mu_);
      notes_.push_back(line);
    };
    return r;
  }

  std::string Notes() {
    std::lock_guard lock(notes_mu_);
    std::string all;
    for (const std::string& n : notes_) all += n + "\n";
    return all;
  }

  std::string hooks_;
  std::string log_;
  std::mutex notes_mu_;
  std::vector<std::string> notes_;
};

// Waits until the log has `n` lines (the hooks' thread runs them).
bool WaitLines(const std::function<std::vector<std::string>()>& lines,
               size_t n) {
  for (int i = 0; i < 500; ++i) {
    if (lines().size() >= n) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

TEST_F(ControllerHooksTest, HooksRunAtTheRunsEventsWithItsFigures) {
  for (const char* e : {"on-start", "on-backfill-done", "on-caught-up",
                        "on-before-cutover", "on-cutover", "on-finish"}) {
    WriteHook(e);
  }
  std::ofstream(hooks_ + "/on-cut-over") << "typo\n";  // reported, never run
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Controller> c,
                         Controller::Open(Env(), HookedRequest()));
    ASSERT_OK(c->WaitCaughtUp());
    ASSERT_TRUE(WaitLines([this] { return LogLines(); }, 3)) << Notes();
    ASSERT_OK(Run(*c, "verify").status());
    ASSERT_OK_AND_ASSIGN(Reply cut, Run(*c, "cutover"));
    EXPECT_TRUE(cut.postponed.empty()) << cut.postponed;
    ASSERT_TRUE(cut.flip.has_value());
    ASSERT_OK(Run(*c, "verify").status());
    ASSERT_OK(Run(*c, "finish").status());
  }  // the controller's end runs the queued hooks (on-finish)
  std::vector<std::string> lines = LogLines();
  ASSERT_EQ(lines.size(), 6u) << Notes();
  EXPECT_EQ(lines[0].rfind("on-start Events ", 0), 0u) << lines[0];
  EXPECT_EQ(lines[1], "on-backfill-done Events replay 300 ");
  EXPECT_EQ(lines[2], "on-caught-up Events replay 300 ");
  EXPECT_EQ(lines[3], "on-before-cutover Events replay 300 ");
  EXPECT_EQ(lines[4].rfind("on-cutover Events cut-over 300 ", 0), 0u)
      << lines[4];  // then the write pause in ms
  EXPECT_GT(lines[4].size(),
            std::string("on-cutover Events cut-over 300 ").size());
  EXPECT_EQ(lines[5], "on-finish Events finished 300 ");
  std::string notes = Notes();
  EXPECT_NE(notes.find("on-cut-over is not an event name"), std::string::npos)
      << notes;
  EXPECT_NE(notes.find("hook on-cutover exited 0"), std::string::npos) << notes;
}

TEST_F(ControllerHooksTest, ANonZeroBeforeCutoverHookPostponesTheCutover) {
  WriteHook("on-before-cutover", "echo 'search index not ready'; exit 3");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Controller> c,
                       Controller::Open(Env(), HookedRequest()));
  ASSERT_OK(c->WaitCaughtUp());
  ASSERT_OK(Run(*c, "verify").status());
  // --force skips the verify gate, not the operator's.
  ASSERT_OK_AND_ASSIGN(Reply r, Run(*c, "cutover --force"));
  EXPECT_FALSE(r.flip.has_value());
  EXPECT_NE(r.postponed.find("on-before-cutover exited 3"), std::string::npos)
      << r.postponed;
  EXPECT_NE(r.postponed.find("search index not ready"), std::string::npos)
      << r.postponed;
  EXPECT_EQ(*router_->Resolve("Events"), "Events");
  // The reply says so through the JSON codec too.
  ASSERT_OK_AND_ASSIGN(Reply back, ReplyFromJson(ReplyToJson(r)));
  EXPECT_EQ(back.postponed, r.postponed);
  WriteHook("on-before-cutover", "exit 0");
  ASSERT_OK_AND_ASSIGN(r, Run(*c, "cutover"));
  EXPECT_TRUE(r.postponed.empty()) << r.postponed;
  EXPECT_EQ(*router_->Resolve("Events"), "Events.v2");
}

TEST_F(ControllerHooksTest, AHookThatHangsIsKilledAtItsTimeLimit) {
  // The hook and a child of it sleep; both are killed at the limit.
  WriteHook("on-before-cutover", "sleep 60 & sleep 60");
  RunRequest req = HookedRequest();
  req.hook_timeout_seconds = 0.5;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Controller> c,
                       Controller::Open(Env(), req));
  ASSERT_OK(c->WaitCaughtUp());
  ASSERT_OK(Run(*c, "verify").status());
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_OK_AND_ASSIGN(Reply r, Run(*c, "cutover"));
  double s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  EXPECT_LT(s, 10.0);
  EXPECT_NE(r.postponed.find("timed out after"), std::string::npos)
      << r.postponed;
  EXPECT_EQ(*router_->Resolve("Events"), "Events");
}

TEST_F(ControllerHooksTest, RunHookProcessKillsTheProcessGroup) {
  std::string marker = dir_.Join("child-alive");
  std::string path = hooks_ + "/on-start";
  std::ofstream(path) << "#!/bin/sh\n(sleep 2; touch " << marker
                      << ") &\nsleep 30\n";
  ::chmod(path.c_str(), 0755);
  ASSERT_OK_AND_ASSIGN(migrate::HookRun h,
                       migrate::RunHookProcess(path, {}, 0.3));
  EXPECT_TRUE(h.timed_out);
  EXPECT_FALSE(h.ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  EXPECT_FALSE(std::filesystem::exists(marker))
      << "the hook's child outlived the time limit";
  // The environment reaches the hook; its output is kept.
  std::ofstream(path) << "#!/bin/sh\necho \"table=$GODWIT_TABLE\"\nexit 7\n";
  ASSERT_OK_AND_ASSIGN(
      h, migrate::RunHookProcess(path, {{"GODWIT_TABLE", "Orders"}}, 5));
  EXPECT_EQ(h.exit_code, 7);
  EXPECT_EQ(h.output, "table=Orders\n");
  EXPECT_EQ(h.Describe("on-start").rfind("hook on-start exited 7 after ", 0),
            0u)
      << h.Describe("on-start");
}

TEST_F(ControllerHooksTest, ThePostponeFileHoldsACutoverUntilLifted) {
  std::string file = dir_.Join("hold-cutover");
  std::ofstream(file) << "";
  RunRequest req = Request();
  req.postpone_cutover_file = file;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Controller> c,
                       Controller::Open(Env(), req));
  ASSERT_OK(c->WaitCaughtUp());
  ASSERT_OK(Run(*c, "verify").status());
  ASSERT_OK_AND_ASSIGN(Reply r, Run(*c, "cutover --verify-first"));
  EXPECT_NE(r.postponed.find("hold-cutover exists"), std::string::npos)
      << r.postponed;
  EXPECT_FALSE(r.verify.has_value());  // held before verifying
  EXPECT_EQ(*router_->Resolve("Events"), "Events");
  ASSERT_OK(Run(*c, "unpostpone").status());
  EXPECT_FALSE(std::filesystem::exists(file));
  ASSERT_OK_AND_ASSIGN(r, Run(*c, "cutover --verify-first"));
  EXPECT_TRUE(r.postponed.empty()) << r.postponed;
  EXPECT_EQ(*router_->Resolve("Events"), "Events.v2");
}

TEST_F(ControllerHooksTest, TheLagBoundHoldsACutoverWhileReplayIsBehind) {
  RunRequest req = Request();
  req.max_lag_for_cutover = 0;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Controller> c,
                       Controller::Open(Env(), req));
  ASSERT_OK(c->WaitCaughtUp());
  ASSERT_OK(Run(*c, "verify").status());
  ASSERT_OK(Run(*c, "pause").status());  // sync makes no steps
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<Table> t, store_->GetTable("Events"));
  for (int i = 0; i < 5; ++i) {
    Item item;
    item.Set("pk", AttributeValue::S("new" + std::to_string(i)));
    item.Set("legacy", AttributeValue::S("x"));
    ASSERT_OK(t->Put(item));
  }
  bool behind = false;
  for (int i = 0; i < 250 && !behind; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    behind = c->migration().progress().replay_lag > 0;
  }
  ASSERT_TRUE(behind);
  ASSERT_OK_AND_ASSIGN(Reply r, Run(*c, "cutover --force"));
  EXPECT_NE(r.postponed.find("more than --max-lag-for-cutover 0"),
            std::string::npos)
      << r.postponed;
  EXPECT_EQ(*router_->Resolve("Events"), "Events");
  ASSERT_OK(Run(*c, "resume").status());
  ASSERT_OK(c->WaitCaughtUp());
  ASSERT_OK(Run(*c, "verify").status());
  ASSERT_OK_AND_ASSIGN(r, Run(*c, "cutover"));
  EXPECT_TRUE(r.postponed.empty()) << r.postponed;
  EXPECT_EQ(*router_->Resolve("Events"), "Events.v2");
}

TEST_F(ControllerHooksTest, AMissingHooksDirectoryIsRefused) {
  RunRequest req = Request();
  req.hooks_dir = dir_.Join("no-such-dir");
  Result<std::unique_ptr<Controller>> c = Controller::Open(Env(), req);
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(c.status().IsInvalidArgument()) << c.status().ToString();
  EXPECT_NE(c.status().message().find("no-such-dir is not a directory"),
            std::string::npos);
}

}  // namespace
}  // namespace godwit
