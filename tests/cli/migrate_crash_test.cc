// Crash safety of `godwit migrate`: a child process runs the migration with
// live writers inside it (--load) and is killed with SIGKILL at random
// moments and at named crash points inside the flips; after each kill the
// run resumes, and verify finds 0 differences.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "testutil/temp_dir.h"

extern char** environ;

namespace godwit {
namespace {

namespace fs = std::filesystem;

struct Child {
  pid_t pid = -1;
};

class MigrateCrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = dir_.Join("store");
    fs::create_directories(dir_.Join("migrations/Orders"));
    fs::copy_file(std::string(GODWIT_SOURCE_DIR) +
                      "/examples/migrations/Orders/0002_key_by_customer.lua",
                  dir_.Join("migrations/Orders/0002_key_by_customer.lua"));
    std::ofstream(dir_.Join("godwit.toml"))
        << "[store]\nkind = \"local\"\npath = \"store\"\n[migrations]\ndir = "
           "\"migrations\"\n";
  }

  std::vector<std::string> Base() {
    return {GODWIT_BINARY, "--config", dir_.Join("godwit.toml"), "--store",
            store_};
  }

  // Starts the binary with `args`; stdout/stderr go to a log file.
  Child Spawn(std::vector<std::string> args,
              const std::string& crash_point = "") {
    std::vector<std::string> all = Base();
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_strings;
    for (char** e = environ; *e != nullptr; ++e) {
      if (std::string(*e).rfind("GODWIT_CRASH_POINT=", 0) != 0)
        env_strings.push_back(*e);
    }
    if (!crash_point.empty())
      env_strings.push_back("GODWIT_CRASH_POINT=" + crash_point);
    std::vector<char*> envp;
    for (std::string& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    std::string log = dir_.Join("child.log");
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    Child c;
    int rc =
        posix_spawn(&c.pid, argv[0], &fa, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    EXPECT_EQ(rc, 0) << "spawn " << argv[0];
    return c;
  }

  // Waits up to `timeout_s`; returns the wait status, or -1 on timeout
  // (the child is then killed).
  int Wait(Child c, double timeout_s) {
    auto deadline = std::chrono::steady_clock::now() +
                    std::chrono::duration<double>(timeout_s);
    int status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      pid_t r = waitpid(c.pid, &status, WNOHANG);
      if (r == c.pid) return status;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    kill(c.pid, SIGKILL);
    waitpid(c.pid, &status, 0);
    return -1;
  }

  std::string OwnerFile() { return store_ + "/godwit-runs/Orders/ctl/owner"; }

  // Starts a `migrate` child and waits until its run is open (the control
  // channel's owner file appears), so that a kill timed from here lands in
  // the run and not in process start-up, however slow the machine is. A
  // killed process leaves its owner file behind: it is removed first, so the
  // file that appears is the new child's.
  Child SpawnRunning(std::vector<std::string> args,
                     const std::string& crash_point = "") {
    fs::remove(OwnerFile());
    Child c = Spawn(std::move(args), crash_point);
    for (int w = 0; w < 2400 && !fs::exists(OwnerFile()); ++w) {
      if (waitpid(c.pid, nullptr, WNOHANG) == c.pid) {
        ADD_FAILURE() << "migrate exited before its run opened\n" << Log();
        c.pid = -1;
        return c;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_TRUE(fs::exists(OwnerFile())) << "run never opened\n" << Log();
    return c;
  }

  void KillAfter(Child c, double seconds) {
    if (c.pid <= 0) return;
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    kill(c.pid, SIGKILL);
    int status;
    waitpid(c.pid, &status, 0);
  }

  // Runs to completion and expects exit code 0.
  void RunOk(std::vector<std::string> args, double timeout_s = 300) {
    int st = Wait(Spawn(args), timeout_s);
    ASSERT_NE(st, -1) << "timed out: " << args[0] << "\n" << Log();
    ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0)
        << args[0] << " failed (status " << st << ")\n"
        << Log();
  }

  void ExpectVerified(const std::string& when) {
    SCOPED_TRACE(when);
    std::string before = Log();
    RunOk({"verify", "Orders"});
    std::string out = Log().substr(before.size());
    EXPECT_NE(out.find("verify: OK"), std::string::npos) << out;
    EXPECT_NE(out.find(" 0 differences"), std::string::npos) << out;
  }

  std::string Log() {
    std::ifstream f(dir_.Join("child.log"));
    return std::string(std::istreambuf_iterator<char>(f), {});
  }

  test::TempDir dir_;
  std::string store_;
};

TEST_F(MigrateCrashTest, KillNineAnywhereThenResumeVerifies) {
  RunOk({"table", "create", "Orders", "--hash", "pk:S"});  // load needs a store
  RunOk({"load", "Orders", "--seed-items", "20000", "--duration", "0"});
  std::mt19937_64 rng(20261121);
  int kills = 0;

  // Backfill: a slow copy (--rate) killed at random moments; each child
  // resumes the previous one's run.
  for (int i = 0; i < 8; ++i) {
    std::vector<std::string> args = {"migrate",    "Orders", "--rate", "6000",
                                     "--segments", "8",      "--load", "300"};
    if (i > 0) args.push_back("--resume");
    KillAfter(SpawnRunning(args),
              0.1 + static_cast<double>(rng() % 1000) / 1000.0);
    ++kills;
  }
  // Replay and tailing: copy at full speed, killed once it has caught up or
  // at a random moment; after each kill, verify (which resumes the run).
  for (int i = 0; i < 6; ++i) {
    KillAfter(SpawnRunning({"migrate", "Orders", "--resume", "--load", "400"}),
              0.2 + static_cast<double>(rng() % 2500) / 1000.0);
    ++kills;
    ExpectVerified("after replay kill " + std::to_string(i));
  }
  // Cutover and rollback: die at each step of each flip, with writers on.
  const char* points[] = {"cutover.held",    "cutover.saved",
                          "cutover.flipped", "rollback.held",
                          "rollback.saved",  "rollback.flipped"};
  for (const char* point : points) {
    bool cutover_point = std::string(point).rfind("cutover", 0) == 0;
    std::vector<std::string> args = {"migrate", "Orders", "--resume", "--load",
                                     "300"};
    if (cutover_point) args.push_back("--cutover");
    // A rollback point: once the run is open, ask for the rollback through
    // the control channel of the running process; it dies at the point while
    // serving it. (A cutover child may die at its point before the owner
    // file is seen, so it is not waited for.)
    Child c = cutover_point ? Spawn(args, point) : SpawnRunning(args, point);
    ASSERT_GT(c.pid, 0);
    if (!cutover_point) {
      Child rb = Spawn({"rollback", "Orders"});
      Wait(rb, 120);
    }
    int st = Wait(c, 180);
    ASSERT_NE(st, -1) << point << " never reached\n" << Log();
    EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
        << point << " status " << st;
    ++kills;
    ExpectVerified(std::string("after crash at ") + point);
    // After the last rollback point the source is active again: cut over
    // for the final check. (After cutover.flipped the run is cut over: the
    // pointer is the commit point, so the rollback points find it so.)
    if (std::string(point) == "rollback.flipped") {
      RunOk({"migrate", "Orders", "--resume", "--cutover"});
    }
  }
  EXPECT_GE(kills, 20);
  // The end: resume to a cut-over, caught-up state and verify.
  RunOk({"migrate", "Orders", "--resume", "--cutover"});
  ExpectVerified("final");
}

}  // namespace
}  // namespace godwit
