// Migrations inside `godwit serve`: the server hosts the run, an
// application (boto3, tests/cli/serve_migrate/writer.py) keeps writing to
// the logical table through the server the whole time, and
// `godwit --server URL migrate|cutover|rollback|verify|finish` drive it.
// The writer must see no error, and every write it had acknowledged must
// be read back from the active table at the end; verify must find 0
// differences after each flip. The migration renames an attribute the
// application never writes, so its items are valid on both tables.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "testutil/temp_dir.h"

extern char** environ;

namespace godwit {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const std::string& path) {
  std::ifstream f(path);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

// Starts `argv` with stdout and stderr to `log`.
pid_t Spawn(std::vector<std::string> args, const std::string& log) {
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  EXPECT_EQ(rc, 0) << "spawn " << args[0];
  return rc == 0 ? pid : -1;
}

// Waits up to `timeout_s` for `pid`; the exit code, or -1 (then killed).
int WaitExit(pid_t pid, double timeout_s) {
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::duration<double>(timeout_s);
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid, &status, WNOHANG) == pid) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return -1;
}

class ServeMigrateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::system("python3 -c 'import boto3' >/dev/null 2>&1") != 0) {
      GTEST_SKIP() << "boto3 is not installed (python3 -c 'import boto3' "
                      "failed): no application to write during the run";
    }
    fs::create_directories(dir_.Join("migrations/Events"));
    // Renames an attribute the application never writes: the items the
    // application writes are the same on both tables, so it needs no
    // knowledge of the flip (docs/engine.md).
    std::ofstream(dir_.Join("migrations/Events/0002_rename_legacy.lua"))
        << "return {\n"
           "  description = 'rename legacy to modern',\n"
           "  up = function(item, ctx)\n"
           "    item.modern, item.legacy = item.legacy, nil\n"
           "    return item\n"
           "  end,\n"
           "  down = function(item, ctx)\n"
           "    item.legacy, item.modern = item.modern, nil\n"
           "    return item\n"
           "  end,\n"
           "}\n";
    std::ofstream(dir_.Join("godwit.toml"))
        << "[store]\nkind = \"local\"\npath = \"store\"\n[migrations]\ndir = "
           "\"migrations\"\n";
    {
      std::ofstream seed(dir_.Join("seed.jsonl"));
      for (int k = 0; k < kKeys; ++k) {
        char line[128];
        std::snprintf(
            line, sizeof(line),
            "{\"Item\":{\"pk\":{\"S\":\"k%06d\"},\"n\":{\"N\":\"%d\"},"
            "\"legacy\":{\"S\":\"L%d\"}}}\n",
            k, k, k);
        seed << line;
      }
    }
    ASSERT_EQ(Godwit({"table", "create", "Events", "--hash", "pk:S"}), 0)
        << Out();
    ASSERT_EQ(Godwit({"import", "Events", dir_.Join("seed.jsonl")}), 0)
        << Out();

    std::string port_file = dir_.Join("port");
    server_ = Spawn(
        {GODWIT_BINARY, "--config", dir_.Join("godwit.toml"), "serve",
         "--listen", "127.0.0.1:0", "--port-file", port_file, "--no-sync"},
        dir_.Join("serve.log"));
    for (int i = 0; i < 600 && !fs::exists(port_file); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_TRUE(fs::exists(port_file)) << ReadFile(dir_.Join("serve.log"));
    url_ = "http://127.0.0.1:" + std::to_string(std::stoi(ReadFile(port_file)));
  }

  void TearDown() override {
    if (writer_ > 0) {  // a failed assertion left it running
      kill(writer_, SIGKILL);
      waitpid(writer_, nullptr, 0);
    }
    if (server_ > 0) {
      kill(server_, SIGTERM);
      EXPECT_EQ(WaitExit(server_, 60), 0) << ReadFile(dir_.Join("serve.log"));
    }
  }

  // Runs godwit with `args` (after --config); the exit code. Output: Out().
  int Godwit(std::vector<std::string> args, double timeout_s = 300,
             bool via_server = true) {
    std::vector<std::string> all = {GODWIT_BINARY, "--config",
                                    dir_.Join("godwit.toml")};
    if (!url_.empty() && via_server) {
      all.push_back("--server");
      all.push_back(url_);
    }
    all.insert(all.end(), args.begin(), args.end());
    return WaitExit(Spawn(all, dir_.Join("cmd.log")), timeout_s);
  }
  std::string Out() { return ReadFile(dir_.Join("cmd.log")); }

  static constexpr int kKeys = 3000;
  testing::TempDir dir_;
  pid_t server_ = -1;
  pid_t writer_ = -1;
  std::string url_;
};

TEST_F(ServeMigrateTest, HostedRunWithALiveApplicationLosesNoWrite) {
  std::string stop = dir_.Join("stop");
  writer_ = Spawn(
      {"python3",
       std::string(GODWIT_SOURCE_DIR) + "/tests/cli/serve_migrate/writer.py",
       url_, "Events", stop, std::to_string(kKeys), "4"},
      dir_.Join("writer.log"));
  ASSERT_GT(writer_, 0);
  std::this_thread::sleep_for(std::chrono::seconds(1));

  // A usage mistake is refused by the server and changes nothing.
  EXPECT_NE(Godwit({"cutover", "Events"}), 0);
  EXPECT_NE(Out().find("no migration of Events runs in this server"),
            std::string::npos)
      << Out();

  ASSERT_EQ(Godwit({"migrate", "Events", "--threads", "2", "--cutover"}), 0)
      << Out() << ReadFile(dir_.Join("serve.log"));
  EXPECT_NE(Out().find("verify: OK"), std::string::npos) << Out();
  EXPECT_NE(Out().find("cutover: Events -> Events.v2"), std::string::npos)
      << Out();
  // A second start of the same table is refused while the run is hosted.
  EXPECT_NE(Godwit({"migrate", "Events", "--resume"}), 0);
  EXPECT_NE(Out().find("already runs in this server"), std::string::npos)
      << Out();
  std::this_thread::sleep_for(std::chrono::seconds(1));

  ASSERT_EQ(Godwit({"rollback", "Events"}), 0) << Out();
  EXPECT_NE(Out().find("rollback: Events.v2 -> Events"), std::string::npos)
      << Out();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  ASSERT_EQ(Godwit({"verify", "Events"}), 0) << Out();
  EXPECT_NE(Out().find(" 0 differences"), std::string::npos) << Out();

  ASSERT_EQ(Godwit({"cutover", "Events"}), 0) << Out();
  std::this_thread::sleep_for(std::chrono::seconds(1));

  std::ofstream(stop) << "stop\n";
  int writer_exit = WaitExit(writer_, 180);
  writer_ = -1;
  ASSERT_EQ(writer_exit, 0) << ReadFile(dir_.Join("writer.log"));
  std::string report = ReadFile(dir_.Join("writer.log"));
  std::printf("writer: %s", report.c_str());  // ops and the longest write
  EXPECT_NE(report.find("\"errors\": 0,"), std::string::npos) << report;
  EXPECT_NE(report.find("\"mismatches\": 0,"), std::string::npos) << report;
  EXPECT_EQ(report.find("\"ops\": 0,"), std::string::npos) << report;

  // After the writes stop: the old table is down() of the new one.
  ASSERT_EQ(Godwit({"--json", "verify", "Events"}), 0) << Out();
  EXPECT_NE(Out().find("\"differences\":0,"), std::string::npos) << Out();
  ASSERT_EQ(Godwit({"finish", "Events"}), 0) << Out();
  EXPECT_NE(Godwit({"ctl", "Events", "progress"}), 0);
}

// The same server as a remote store: `--store URL` runs the store commands
// over the DynamoDB API (the remote client, docs/remote.md).
TEST_F(ServeMigrateTest, StoreCommandsOverTheDynamoDbApi) {
  setenv("AWS_ACCESS_KEY_ID", "test", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "test", 1);
  setenv("AWS_REGION", "us-east-1", 1);
  auto remote = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"--store", url_});
    return Godwit(args, 120, /*via_server=*/false);
  };
  ASSERT_EQ(remote({"table", "list"}), 0) << Out();
  EXPECT_NE(Out().find("Events"), std::string::npos) << Out();
  ASSERT_EQ(
      remote({"put", "Events",
              R"({"pk":{"S":"zz"},"n":{"N":"001.50"},"b":{"B":"AAE="}})"}),
      0)
      << Out();
  ASSERT_EQ(remote({"get", "Events", R"({"pk":{"S":"zz"}})"}), 0) << Out();
  EXPECT_NE(Out().find(R"("n":{"N":"1.5"})"), std::string::npos) << Out();
  EXPECT_NE(Out().find(R"("b":{"B":"AAE="})"), std::string::npos) << Out();
  std::string exported = dir_.Join("out.jsonl");
  ASSERT_EQ(remote({"export", "Events", exported}), 0) << Out();
  std::ifstream f(exported);
  int lines = 0;
  for (std::string line; std::getline(f, line);) ++lines;
  EXPECT_EQ(lines, kKeys + 1);
  ASSERT_EQ(remote({"delete", "Events", R"({"pk":{"S":"zz"}})"}), 0) << Out();
  EXPECT_NE(remote({"get", "Events", R"({"pk":{"S":"zz"}})"}), 0);
}

}  // namespace
}  // namespace godwit
