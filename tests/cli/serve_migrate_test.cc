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
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "testutil/process.h"
#include "testutil/temp_dir.h"

namespace godwit {
namespace {

namespace fs = std::filesystem;

using test::ReadFile;
using test::Spawn;
using test::WaitExit;

class ServeMigrateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (needs_boto3_ &&
        std::system("python3 -c 'import boto3' >/dev/null 2>&1") != 0) {
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
    std::vector<std::string> serve = {
        GODWIT_BINARY, "--config", dir_.Join("godwit.toml"),
        "serve",       "--listen", "127.0.0.1:0",
        "--port-file", port_file,  "--no-sync"};
    if (!auth_.empty()) {
      std::ofstream(dir_.Join("auth")) << "# test keys\n" << auth_ << "\n";
      serve.push_back("--auth");
      serve.push_back(dir_.Join("auth"));
      // Signatures are scoped to the server's region: the one godwit's
      // client uses for a local endpoint without AWS_REGION (us-east-1).
      serve.push_back("--region");
      serve.push_back("us-east-1");
    }
    server_ = Spawn(serve, dir_.Join("serve.log"));
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
  // `env`: the child's AWS_* environment instead of this process's (see
  // Spawn).
  int Godwit(std::vector<std::string> args, double timeout_s = 300,
             bool via_server = true, std::vector<std::string> env = {}) {
    std::vector<std::string> all = {GODWIT_BINARY, "--config",
                                    dir_.Join("godwit.toml")};
    if (!url_.empty() && via_server) {
      all.push_back("--server");
      all.push_back(url_);
    }
    all.insert(all.end(), args.begin(), args.end());
    return WaitExit(Spawn(all, dir_.Join("cmd.log"), std::move(env)),
                    timeout_s);
  }
  std::string Out() { return ReadFile(dir_.Join("cmd.log")); }

  static constexpr int kKeys = 3000;
  bool needs_boto3_ = true;  // the application writing during a run
  std::string auth_;         // "KEY SECRET": serve with --auth
  test::TempDir dir_;
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

  // A rollback is gated on a passing verify of the cut-over run.
  ASSERT_EQ(Godwit({"verify", "Events"}), 0) << Out();
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

// Downstream completion (docs/operations.md): a hosted run's cutover waits
// for a consumer of the destination's stream. The consumer is boto3's
// Streams client reading Events.v2 through the server; it acknowledges with
// `godwit --store URL consumer ack`, which writes the control table over
// the DynamoDB API.
TEST_F(ServeMigrateTest, ACutoverWaitsForADownstreamConsumerOfTheStream) {
  setenv("AWS_ACCESS_KEY_ID", "test", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "test", 1);
  setenv("AWS_REGION", "us-east-1", 1);
  auto remote = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"--store", url_});
    return Godwit(args, 120, /*via_server=*/false);
  };
  ASSERT_EQ(Godwit({"migrate", "Events", "--wait-for-consumers", "indexer",
                    "--cutover"}),
            4)
      << Out() << ReadFile(dir_.Join("serve.log"));
  EXPECT_NE(Out().find("consumers behind the flip point "), std::string::npos)
      << Out();
  EXPECT_NE(Out().find("indexer (no acknowledgement yet)"), std::string::npos)
      << Out();

  // The consumer reads the destination's whole stream: the backfill's
  // records, and knows the last one.
  ASSERT_EQ(WaitExit(Spawn({"python3",
                            std::string(GODWIT_SOURCE_DIR) +
                                "/tests/cli/serve_migrate/consumer.py",
                            url_, "Events.v2"},
                           dir_.Join("consumer.log")),
                     180),
            0)
      << ReadFile(dir_.Join("consumer.log"));
  std::string read = ReadFile(dir_.Join("consumer.log"));
  size_t at = read.find("\"greatest\": \"");
  ASSERT_NE(at, std::string::npos) << read;
  std::string greatest = read.substr(at + 13);
  greatest = greatest.substr(0, greatest.find('"'));
  ASSERT_FALSE(greatest.empty()) << read;
  at = read.find("\"records\": ");
  ASSERT_NE(at, std::string::npos) << read;
  EXPECT_GE(std::stoi(read.substr(at + 11)), kKeys) << read;

  // Not far enough: still postponed, saying where the consumer is.
  ASSERT_EQ(remote({"consumer", "ack", "Events", "indexer", "1"}), 0) << Out();
  ASSERT_EQ(Godwit({"cutover", "Events"}), 4) << Out();
  EXPECT_NE(Out().find("indexer at 1"), std::string::npos) << Out();
  EXPECT_NE(remote({"consumer", "ack", "Events", "indexer", "x1"}), 0);
  EXPECT_NE(Out().find("must be a stream sequence number"), std::string::npos)
      << Out();

  ASSERT_EQ(remote({"consumer", "ack", "Events", "indexer", greatest}), 0)
      << Out();
  ASSERT_EQ(remote({"consumer", "list", "Events"}), 0) << Out();
  EXPECT_NE(Out().find("indexer"), std::string::npos) << Out();
  ASSERT_EQ(Godwit({"verify", "Events"}), 0) << Out();
  ASSERT_EQ(Godwit({"cutover", "Events"}), 0) << Out();
  EXPECT_NE(Out().find("cutover: Events -> Events.v2"), std::string::npos)
      << Out();
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

// `godwit serve --auth`: the --server commands sign their requests with the
// credentials `--store URL` would use (environment, AWS_PROFILE, ~/.aws),
// and the server checks them like any other request's.
class ServeAuthTest : public ServeMigrateTest {
 protected:
  ServeAuthTest() {
    needs_boto3_ = false;
    auth_ = "AKIDSERVE s3cr3t/key";
  }
  static std::vector<std::string> Env(const std::string& id,
                                      const std::string& secret) {
    std::vector<std::string> env = {"AWS_CONFIG_FILE=/dev/null",
                                    "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
                                    "AWS_REGION=us-east-1"};
    if (!id.empty()) {
      env.push_back("AWS_ACCESS_KEY_ID=" + id);
      env.push_back("AWS_SECRET_ACCESS_KEY=" + secret);
    }
    return env;
  }
};

TEST_F(ServeAuthTest, AdminRequestsAreSignedAndChecked) {
  // The right key: the server answers the command itself (no run here).
  EXPECT_NE(Godwit({"ctl", "Events", "progress"}, 60, true,
                   Env("AKIDSERVE", "s3cr3t/key")),
            0);
  EXPECT_NE(Out().find("no migration of Events runs in this server"),
            std::string::npos)
      << Out();
  EXPECT_EQ(Out().find("authentication failed"), std::string::npos) << Out();

  // From a profile in ~/.aws/credentials (AWS_PROFILE), the same.
  std::ofstream(dir_.Join("credentials"))
      << "[ops]\naws_access_key_id = AKIDSERVE\n"
         "aws_secret_access_key = s3cr3t/key\n";
  EXPECT_NE(Godwit({"ctl", "Events", "progress"}, 60, true,
                   {"AWS_CONFIG_FILE=/dev/null",
                    "AWS_SHARED_CREDENTIALS_FILE=" + dir_.Join("credentials"),
                    "AWS_PROFILE=ops"}),
            0);
  EXPECT_NE(Out().find("no migration of Events runs in this server"),
            std::string::npos)
      << Out();

  // A wrong secret, an unknown key, no credentials (placeholder keys):
  // refused, and the error says it is about authentication.
  struct Case {
    std::string id, secret, type;
  };
  for (const Case& c :
       {Case{"AKIDSERVE", "not-it", "InvalidSignatureException"},
        Case{"AKIDOTHER", "s3cr3t/key", "UnrecognizedClientException"},
        Case{"", "", "UnrecognizedClientException"}}) {
    EXPECT_NE(
        Godwit({"ctl", "Events", "progress"}, 60, true, Env(c.id, c.secret)),
        0);
    EXPECT_NE(Out().find("authentication failed at " + url_), std::string::npos)
        << Out();
    EXPECT_NE(Out().find(c.type), std::string::npos) << Out();
    EXPECT_EQ(Out().find("no migration of Events"), std::string::npos) << Out();
  }
  EXPECT_NE(Out().find("placeholder"), std::string::npos) << Out();

  // The store commands over the same server sign with the same keys.
  EXPECT_EQ(Godwit({"--store", url_, "table", "list"}, 60, false,
                   Env("AKIDSERVE", "s3cr3t/key")),
            0)
      << Out();
  EXPECT_NE(Out().find("Events"), std::string::npos) << Out();
}

}  // namespace
}  // namespace godwit
