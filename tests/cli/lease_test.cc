// One owner per run across processes, and the state directory.
//
// Two `godwit migrate` processes on one run, through a store both reach
// (`godwit serve` as a remote store, as two hosts would reach DynamoDB):
// the second is refused naming the first's pid while the first runs; once
// the first is killed with SIGKILL and its lease has expired, the second
// takes the run over. The lease lasts 2 s here (GODWIT_TEST_LEASE_SECONDS,
// a setting for tests only).
//
// The state directory is resolved from godwit.toml's location, whatever
// the directory a command starts in.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "cli/cli.h"
#include "cli/config.h"
#include "cli_test_util.h"

namespace godwit {
namespace {

namespace fs = std::filesystem;
using test::CmdResult;
using test::Project;
using test::ReadFile;

std::string Hostname() {
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  return host;
}

class LeaseCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The remote client's settings for godwit serve (any key is accepted).
    setenv("AWS_ACCESS_KEY_ID", "test", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "test", 1);
    setenv("AWS_REGION", "us-east-1", 1);
    setenv("GODWIT_TEST_LEASE_SECONDS", "2", 1);
  }
  void TearDown() override {
    unsetenv("GODWIT_TEST_LEASE_SECONDS");
    for (pid_t pid : {serve_, a_, b_}) {
      if (pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
      }
    }
  }

  // `migrate` over the remote store in the background, once its run is
  // open (its control channel's owner file appears in the state directory).
  pid_t StartMigrate(Project& p, const std::string& url, const std::string& log,
                     bool resume) {
    std::string owner_file = p.Join(".godwit/runs/Events/ctl/owner");
    fs::remove(owner_file);
    std::vector<std::string> args = {"--store", url, "migrate", "Events"};
    if (resume) args.push_back("--resume");
    pid_t pid = p.Start(args, log);
    for (int i = 0; i < 2400; ++i) {
      if (fs::exists(owner_file)) return pid;
      if (waitpid(pid, nullptr, WNOHANG) == pid) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "migrate did not open its run\n" << ReadFile(log);
    return -1;
  }

  test::TempDir root_;
  pid_t serve_ = -1, a_ = -1, b_ = -1;
};

TEST_F(LeaseCliTest, SecondMigrateIsRefusedUntilTheFirstIsKilledAndExpires) {
  Project p(root_, "proj");
  p.Seed(300);
  std::string url = p.StartServe(&serve_);
  ASSERT_FALSE(url.empty());

  a_ = StartMigrate(p, url, p.Join("a.log"), /*resume=*/false);
  ASSERT_GT(a_, 0);
  // The run's files are next to godwit.toml (a remote store's default),
  // not in the store.
  EXPECT_TRUE(fs::exists(p.Join(".godwit/runs/Events/journal.gwj")));

  // A second process: refused, naming the first.
  const std::string owner = "Events is being migrated by host " + Hostname() +
                            ", pid " + std::to_string(a_) + ", since ";
  CmdResult r = p.Run({"--store", url, "migrate", "Events", "--resume"}, 120);
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find(owner), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("; the lease expires in "), std::string::npos) << r.err;
  r = p.Run({"--store", url, "migrate", "Events"}, 120);  // a new run too
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(owner), std::string::npos) << r.err;
  // status shows the owner.
  r = p.Run({"--store", url, "status", "Events"}, 120);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("  owner    host " + Hostname() + ", pid " +
                       std::to_string(a_) + ", since "),
            std::string::npos)
      << r.out;
  // The first one is still running (its refused rivals changed nothing).
  EXPECT_EQ(waitpid(a_, nullptr, WNOHANG), 0);

  // Killed: its lease stays until it expires (2 s), then it is taken over.
  kill(a_, SIGKILL);
  waitpid(a_, nullptr, 0);
  const pid_t killed = a_;
  a_ = -1;
  bool expired = false;
  for (int i = 0; i < 120 && !expired; ++i) {
    r = p.Run({"--store", url, "--json", "status", "Events"}, 120);
    ASSERT_EQ(r.code, 0) << r.err;
    ASSERT_NE(r.out.find("\"owner\":{"), std::string::npos) << r.out;
    expired = r.out.find("\"live\":false") != std::string::npos;
    if (!expired) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(expired) << r.out;
  r = p.Run({"--store", url, "status", "Events"}, 120);
  EXPECT_NE(r.out.find("owner    none: host " + Hostname()), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("takes the run over"), std::string::npos) << r.out;

  b_ = StartMigrate(p, url, p.Join("b.log"), /*resume=*/true);
  ASSERT_GT(b_, 0);
  std::string b_log = ReadFile(p.Join("b.log"));
  EXPECT_NE(b_log.find("took the run over from its previous owner: host " +
                       Hostname() + ", pid " + std::to_string(killed)),
            std::string::npos)
      << b_log;
  r = p.Run({"--store", url, "--json", "status", "Events"}, 120);
  EXPECT_NE(r.out.find("\"pid\":" + std::to_string(b_)), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\"live\":true"), std::string::npos) << r.out;
  // A clean stop releases the lease at once.
  EXPECT_EQ(Project::Stop(b_), 0) << ReadFile(p.Join("b.log"));
  b_ = -1;
  r = p.Run({"--store", url, "status", "Events"}, 120);
  EXPECT_NE(r.out.find("owner    none: no process drives it"),
            std::string::npos)
      << r.out;
}

// A remote store without godwit.toml or --state-dir: no run starts (no
// directory picked from where the command was typed).
TEST_F(LeaseCliTest, RemoteRunWithoutStateDirectoryIsRefused) {
  Project p(root_, "proj");
  p.Seed(10);
  std::string url = p.StartServe(&serve_);
  ASSERT_FALSE(url.empty());
  std::vector<std::string> all = {
      GODWIT_BINARY, "--config", p.Join("none.toml"), "--store", url,
      "migrate",     "Events"};
  pid_t pid = test::Spawn(all, p.Join("none.log"));
  EXPECT_EQ(test::WaitExit(pid, 120), 1);
  std::string err = ReadFile(p.Join("none.log"));
  EXPECT_NE(err.find("no state directory for runs on the remote store"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("--state-dir"), std::string::npos) << err;
}

// The state directory and its precedence: --state-dir, [state] dir
// (relative to godwit.toml, whatever the current directory), the embedded
// store's, a remote store's default next to godwit.toml.
TEST(StateDirTest, ResolvedFromTheSettingsFileNotTheCurrentDirectory) {
  test::TempDir dir;
  fs::create_directories(dir.Join("proj/conf"));
  fs::create_directories(dir.Join("elsewhere"));
  std::string toml = dir.Join("proj/conf/godwit.toml");
  std::ofstream(toml) << "[store]\nkind = \"local\"\npath = \"../data\"\n"
                         "[state]\ndir = \"../runs\"\n";
  fs::path cwd = fs::current_path();
  cli::GlobalOptions o;
  o.config_path = toml;
  for (const std::string& where : {dir.Join("proj"), dir.Join("elsewhere")}) {
    fs::current_path(where);
    Result<std::string> s = cli::ResolveStateDir(o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    EXPECT_EQ(*s, dir.Join("proj/runs")) << "from " << where;
  }
  // A relative --state-dir is a path typed in the shell: relative to the
  // current directory (and made absolute).
  o.state_dir = "mine";
  EXPECT_EQ(*cli::ResolveStateDir(o), dir.Join("elsewhere/mine"));
  o.state_dir.clear();
  // Without [state]: inside the embedded store.
  std::ofstream(toml) << "[store]\nkind = \"local\"\npath = \"../data\"\n";
  EXPECT_EQ(*cli::ResolveStateDir(o), dir.Join("proj/data/godwit-runs"));
  // A remote store: .godwit/runs next to godwit.toml, from anywhere.
  std::ofstream(toml) << "[store]\nkind = \"dynamodb\"\n"
                         "endpoint = \"http://127.0.0.1:9\"\n";
  EXPECT_EQ(*cli::ResolveStateDir(o), dir.Join("proj/conf/.godwit/runs"));
  o.store_path = "http://127.0.0.1:9";
  EXPECT_EQ(*cli::ResolveStateDir(o), dir.Join("proj/conf/.godwit/runs"));
  // Older settings: [store] path of a remote store held the runs' files.
  std::ofstream(toml) << "[store]\nkind = \"dynamodb\"\npath = \"../old\"\n";
  o.store_path.clear();
  EXPECT_EQ(*cli::ResolveStateDir(o), dir.Join("proj/old/godwit-runs"));
  // No godwit.toml: none for a remote store, an error saying what to give.
  o.config_path = dir.Join("elsewhere/none.toml");
  o.store_path = "http://127.0.0.1:9";
  Result<std::string> none = cli::ResolveStateDir(o);
  EXPECT_EQ(none.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(none.status().message().find("[state] dir"), std::string::npos);
  o.state_dir = dir.Join("x");
  EXPECT_EQ(*cli::ResolveStateDir(o), dir.Join("x"));
  // A bad [state] setting names its line.
  o.config_path = toml;
  std::ofstream(toml) << "[state]\ndir = \"\"\n";
  EXPECT_NE(cli::LoadConfig(toml).status().message().find(
                toml + ":2: state.dir is empty"),
            std::string::npos);
  fs::current_path(cwd);
}

// `godwit init` writes the [state] setting, and a project initialised by
// it keeps its runs there whatever the directory a command starts in.
TEST(StateDirTest, InitWritesTheSetting) {
  test::TempDir dir;
  std::string toml = dir.Join("p/godwit.toml");
  pid_t pid = test::Spawn({GODWIT_BINARY, "--config", toml, "init"},
                          dir.Join("init.log"));
  ASSERT_EQ(test::WaitExit(pid, 60), 0) << ReadFile(dir.Join("init.log"));
  std::string text = ReadFile(toml);
  EXPECT_NE(text.find("[state]\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\ndir = \".godwit/runs\"\n"), std::string::npos) << text;
  cli::GlobalOptions o;
  o.config_path = toml;
  Result<std::string> s = cli::ResolveStateDir(o);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(*s, dir.Join("p/.godwit/runs"));
}

}  // namespace
}  // namespace godwit
