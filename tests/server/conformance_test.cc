// Conformance with clients no one here wrote: the scenarios of
// tests/server/conformance/scenarios.json run by boto3
// (tests/server/conformance.py) and by the AWS SDK for JavaScript v3
// (tests/js/conformance.mjs) against godwit serve, and by boto3 against
// moto_server as a second implementation; answers are compared between
// them, except where an implementation departs from DynamoDB's
// documentation (the step's "departs", listed in docs/server.md). Plus the
// AWS CLI. Each test skips, saying why, when its client or peer is missing.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "godwit/local_store.h"
#include "godwit/server.h"
#include "testutil/process.h"
#include "testutil/temp_dir.h"

namespace godwit::server {
namespace {

using ::godwit::test::TempDir;

constexpr char kSource[] = GODWIT_SOURCE_DIR;

bool Contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

struct Output {
  int code = -1;  // exit code; -1 if killed
  std::string text;
};

// Runs `cmd` with sh, stdout and stderr captured (and echoed for the log).
Output RunShell(const std::string& cmd) {
  Output out;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.text.append(buf, n);
  int rc = pclose(p);
  out.code = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  std::fprintf(stderr, "$ %s\n%s\n", cmd.c_str(), out.text.c_str());
  return out;
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

// Environment for clients: loopback without proxies, no AWS config files.
const std::string kClientEnv =
    "env NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost "
    "AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null "
    "AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_ACCESS_KEY_ID=test "
    "AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1 ";

// One in-process godwit serve over its own store.
class GodwitUnderTest {
 public:
  explicit GodwitUnderTest(const std::string& dir) {
    LocalStoreOptions o;
    o.path = dir;
    o.sync = false;
    auto s = OpenLocalStore(o);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    if (!s.ok()) return;
    store_ = *std::move(s);
    ServerOptions so;
    so.port = 0;
    so.threads = 4;
    so.idle_timeout_seconds = 10;
    auto srv = Server::Start(store_.get(), so);
    EXPECT_TRUE(srv.ok()) << srv.status().ToString();
    if (srv.ok()) server_ = *std::move(srv);
  }
  ~GodwitUnderTest() {
    if (server_) server_->Shutdown();
    server_.reset();
    store_.reset();
  }
  bool ok() const { return server_ != nullptr; }
  std::string endpoint() const {
    return "http://127.0.0.1:" + std::to_string(server_->port());
  }

 private:
  std::unique_ptr<Store> store_;
  std::unique_ptr<Server> server_;
};

using ::godwit::test::MotoServer;

bool HaveBoto3() {
  return std::system("python3 -c 'import boto3' >/dev/null 2>&1") == 0;
}

Output RunBoto3(const std::string& endpoint, const std::string& target,
                const std::string& answers) {
  return RunShell(kClientEnv + "GODWIT_ENDPOINT=" + endpoint +
                  " timeout 120 python3 " + kSource +
                  "/tests/server/conformance.py run --target " + target +
                  " --answers " + answers);
}

Output Compare(const std::string& a, const std::string& b) {
  return RunShell("timeout 60 python3 " + std::string(kSource) +
                  "/tests/server/conformance.py compare " + a + " " + b);
}

// The `godwit serve` binary (GODWIT_BINARY) in its own process group over
// its own store: the product path (serve_command.cc, which serves through
// the migration router) rather than the handler over a bare local store.
class GodwitProcess {
 public:
  bool Start(const std::string& dir) {
    std::string port_file = dir + "/port";
    std::string log = dir + "/serve.log";
    pid_ = fork();
    if (pid_ == 0) {
      setpgid(0, 0);
      if (chdir(dir.c_str()) != 0) _exit(126);
      FILE* f = std::freopen(log.c_str(), "w", stdout);
      (void)f;
      dup2(fileno(stdout), 2);
      std::string store = dir + "/store";
      execl(GODWIT_BINARY, GODWIT_BINARY, "--store", store.c_str(), "serve",
            "--listen", "127.0.0.1:0", "--port-file", port_file.c_str(),
            "--no-sync", static_cast<char*>(nullptr));
      _exit(127);
    }
    if (pid_ < 0) return false;
    setpgid(pid_, pid_);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      FILE* f = std::fopen(port_file.c_str(), "r");
      if (f != nullptr) {
        unsigned port = 0;
        bool got = std::fscanf(f, "%u", &port) == 1 && port > 0;
        std::fclose(f);
        if (got) {
          port_ = static_cast<uint16_t>(port);
          return true;
        }
      }
      int st;
      if (waitpid(pid_, &st, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  ~GodwitProcess() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);  // graceful shutdown
    for (int i = 0; i < 150; ++i) {
      int st;
      if (waitpid(pid_, &st, WNOHANG) == pid_) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    kill(-pid_, SIGKILL);
    int st;
    waitpid(pid_, &st, 0);
  }
  std::string endpoint() const {
    return "http://127.0.0.1:" + std::to_string(port_);
  }

 private:
  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

TEST(Conformance, Boto3AgainstGodwitServeBinary) {
  if (!HaveBoto3()) GTEST_SKIP() << "boto3 is not installed";
  if (!Exists(GODWIT_BINARY)) {
    GTEST_SKIP() << "no godwit binary at " << GODWIT_BINARY
                 << " (build target godwit_bin)";
  }
  TempDir dir;
  GodwitProcess godwit;
  ASSERT_TRUE(godwit.Start(dir.path()))
      << "godwit serve did not start; see " << dir.Join("serve.log");
  Output o = RunBoto3(godwit.endpoint(), "godwit", dir.Join("godwit.json"));
  EXPECT_EQ(o.code, 0) << o.text;
  EXPECT_TRUE(Contains(o.text, " 0 failed, 0 departures")) << o.text;
  // The in-process tests below serve a bare local store; this one serves
  // what `godwit serve` serves. A store that wraps another must forward
  // every Store call the handler makes.
  EXPECT_FALSE(Contains(o.text, "cannot keep a stream view type") ||
               Contains(o.text, "UpdateStream is not supported"))
      << "the store godwit serve serves (the migration router, "
         "src/migrate/router.cc) does not forward Store::UpdateStream / "
         "Store::UpdateStreamSpecification to the resolved table";
}

TEST(Conformance, Boto3AgainstGodwit) {
  if (!HaveBoto3()) {
    GTEST_SKIP() << "boto3 is not installed (python3 -c 'import boto3' "
                    "failed): the boto3 conformance run did not happen";
  }
  TempDir dir;
  GodwitUnderTest godwit(dir.Join("db"));
  ASSERT_TRUE(godwit.ok());
  Output o = RunBoto3(godwit.endpoint(), "godwit", dir.Join("godwit.json"));
  EXPECT_EQ(o.code, 0) << o.text;
  EXPECT_TRUE(Contains(o.text, " 0 failed, 0 departures")) << o.text;
  EXPECT_FALSE(Contains(o.text, "FAIL ")) << o.text;
}

// moto_server as a second implementation: the same boto3 scenarios, the
// answers compared with godwit's, moto's departures reported (not compared).
TEST(Conformance, Boto3AgainstMotoMatchesGodwit) {
  if (!HaveBoto3()) GTEST_SKIP() << "boto3 is not installed";
  std::string moto_bin = ::godwit::test::MotoBinary();
  if (moto_bin.empty()) {
    GTEST_SKIP() << "moto_server is not installed (set GODWIT_MOTO_SERVER): "
                    "the comparison with a second implementation did not run";
  }
  TempDir dir;
  MotoServer moto;
  ASSERT_TRUE(moto.Start(moto_bin, dir.Join("moto.log")))
      << "moto_server did not start; see " << dir.Join("moto.log");
  Output m = RunBoto3(moto.endpoint(), "moto", dir.Join("moto.json"));
  EXPECT_EQ(m.code, 0) << "moto departs from the documentation on a step "
                          "not marked as a departure:\n"
                       << m.text;
  EXPECT_TRUE(Contains(m.text, " 0 failed,")) << m.text;
  GodwitUnderTest godwit(dir.Join("db"));
  ASSERT_TRUE(godwit.ok());
  Output g = RunBoto3(godwit.endpoint(), "godwit", dir.Join("godwit.json"));
  ASSERT_EQ(g.code, 0) << g.text;
  Output c = Compare(dir.Join("godwit.json"), dir.Join("moto.json"));
  EXPECT_EQ(c.code, 0) << c.text;
  EXPECT_TRUE(Contains(c.text, ": 0 differ;")) << c.text;
  EXPECT_FALSE(Contains(c.text, "compared 0 steps")) << c.text;
}

// Installs tests/js/node_modules from tests/js/package-lock.json (npm ci)
// unless it is there. Returns "" or why it could not.
std::string InstallJsSdk() {
  std::string js = std::string(kSource) + "/tests/js";
  if (Exists(js + "/node_modules/@aws-sdk/client-dynamodb/package.json") &&
      Exists(js + "/node_modules/@aws-sdk/client-dynamodb-streams/"
                  "package.json")) {
    return "";
  }
  if (std::system("node --version >/dev/null 2>&1") != 0) {
    return "node is not installed";
  }
  if (std::system("npm --version >/dev/null 2>&1") != 0) {
    return "npm is not installed";
  }
  Output o = RunShell("cd " + js +
                      " && timeout 120 npm ci --no-audit --no-fund "
                      "--fetch-retry-maxtimeout=15000 "
                      "--loglevel=error");
  if (o.code != 0) {
    return "npm ci failed (npm or the registry is unreachable?): " + o.text;
  }
  return "";
}

// The AWS SDK for JavaScript v3: the same scenarios against godwit serve,
// answers compared with boto3's.
TEST(Conformance, JavaScriptSdkAgainstGodwitMatchesBoto3) {
  std::string why = InstallJsSdk();
  if (!why.empty()) {
    GTEST_SKIP() << "the AWS SDK for JavaScript v3 is not available: " << why;
  }
  TempDir dir;
  GodwitUnderTest js_server(dir.Join("db-js"));
  ASSERT_TRUE(js_server.ok());
  Output j = RunShell(kClientEnv + "GODWIT_ENDPOINT=" + js_server.endpoint() +
                      " NODE_NO_WARNINGS=1 timeout 120 node " + kSource +
                      "/tests/js/conformance.mjs --target godwit --answers " +
                      dir.Join("js.json"));
  if (j.code == 77) GTEST_SKIP() << "the SDK is not installed: " << j.text;
  EXPECT_EQ(j.code, 0) << j.text;
  EXPECT_TRUE(Contains(j.text, " 0 failed, 0 departures")) << j.text;
  if (!HaveBoto3()) return;
  GodwitUnderTest py_server(dir.Join("db-py"));
  ASSERT_TRUE(py_server.ok());
  Output g = RunBoto3(py_server.endpoint(), "godwit", dir.Join("py.json"));
  ASSERT_EQ(g.code, 0) << g.text;
  Output c = Compare(dir.Join("py.json"), dir.Join("js.json"));
  EXPECT_EQ(c.code, 0) << c.text;
  EXPECT_TRUE(Contains(c.text, ": 0 differ; 0 steps in one file only"))
      << c.text;
}

// The AWS CLI: tables, items with conditions and ReturnValues, paged query,
// Select COUNT, batch writes, and the stream (list, iterator, records).
TEST(Conformance, AwsCli) {
  if (std::system("aws --version >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "the AWS CLI (aws) is not installed";
  }
  TempDir dir;
  GodwitUnderTest godwit(dir.Join("db"));
  ASSERT_TRUE(godwit.ok());
  std::string aws = kClientEnv + "timeout 60 aws --endpoint-url " +
                    godwit.endpoint() + " --output json ";
  Output o =
      RunShell(aws +
               "dynamodb create-table --table-name Cli "
               "--attribute-definitions AttributeName=pk,AttributeType=S "
               "AttributeName=sk,AttributeType=N --key-schema "
               "AttributeName=pk,KeyType=HASH AttributeName=sk,KeyType=RANGE "
               "--billing-mode PAY_PER_REQUEST --stream-specification "
               "StreamEnabled=true,StreamViewType=NEW_IMAGE "
               "--query TableDescription.StreamSpecification.StreamViewType");
  ASSERT_EQ(o.code, 0) << o.text;
  EXPECT_TRUE(Contains(o.text, "\"NEW_IMAGE\"")) << o.text;
  // 25 items in one batch from a file.
  std::string batch = dir.Join("batch.json");
  {
    FILE* f = std::fopen(batch.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fprintf(f, "{\"Cli\":[");
    for (int i = 0; i < 25; ++i) {
      std::fprintf(f,
                   "%s{\"PutRequest\":{\"Item\":{\"pk\":{\"S\":\"p\"},"
                   "\"sk\":{\"N\":\"%d\"}}}}",
                   i ? "," : "", i);
    }
    std::fprintf(f, "]}");
    std::fclose(f);
  }
  o = RunShell(aws + "dynamodb batch-write-item --request-items file://" +
               batch);
  ASSERT_EQ(o.code, 0) << o.text;
  EXPECT_TRUE(Contains(o.text, "\"UnprocessedItems\": {}")) << o.text;
  // The CLI pages a query itself (--page-size = Limit): all 25 come back.
  o = RunShell(
      aws +
      "dynamodb query --table-name Cli --key-condition-expression "
      "'pk = :p' --expression-attribute-values '{\":p\":{\"S\":\"p\"}}' "
      "--page-size 4 --query Count");
  ASSERT_EQ(o.code, 0) << o.text;
  EXPECT_EQ(o.text.substr(0, o.text.find_first_of("\r\n")), "25") << o.text;
  o = RunShell(aws +
               "dynamodb scan --table-name Cli --select COUNT "
               "--filter-expression 'sk >= :n' --expression-attribute-values "
               "'{\":n\":{\"N\":\"20\"}}'");
  ASSERT_EQ(o.code, 0) << o.text;
  EXPECT_TRUE(Contains(o.text, "\"Count\": 5")) << o.text;
  EXPECT_FALSE(Contains(o.text, "\"Items\"")) << o.text;
  // Update with a condition and ReturnValues.
  o = RunShell(
      aws +
      "dynamodb update-item --table-name Cli --key "
      "'{\"pk\":{\"S\":\"p\"},\"sk\":{\"N\":\"3\"}}' --update-expression "
      "'SET v = :v' --condition-expression 'attribute_exists(pk)' "
      "--expression-attribute-values '{\":v\":{\"N\":\"12345678901234567890"
      "123\"}}' --return-values UPDATED_NEW");
  ASSERT_EQ(o.code, 0) << o.text;
  EXPECT_TRUE(Contains(o.text, "12345678901234567890123")) << o.text;
  o = RunShell(aws +
               "dynamodb delete-item --table-name Cli --key "
               "'{\"pk\":{\"S\":\"p\"},\"sk\":{\"N\":\"99\"}}' "
               "--condition-expression 'attribute_exists(pk)'");
  EXPECT_NE(o.code, 0);
  EXPECT_TRUE(Contains(o.text, "ConditionalCheckFailedException")) << o.text;
  o = RunShell(aws + "dynamodb describe-table --table-name Nope");
  EXPECT_NE(o.code, 0);
  EXPECT_TRUE(Contains(o.text, "ResourceNotFoundException")) << o.text;
  // The stream: 25 INSERTs and one MODIFY, NEW_IMAGE only.
  o = RunShell(aws +
               "dynamodbstreams list-streams --table-name Cli --query "
               "Streams[0].StreamArn --output text");
  ASSERT_EQ(o.code, 0) << o.text;
  std::string arn = o.text.substr(0, o.text.find_first_of("\r\n"));
  ASSERT_TRUE(Contains(arn, "arn:aws:dynamodb:")) << o.text;
  o = RunShell(aws + "dynamodbstreams describe-stream --stream-arn " + arn +
               " --query StreamDescription.Shards[0].ShardId --output text");
  ASSERT_EQ(o.code, 0) << o.text;
  std::string shard = o.text.substr(0, o.text.find_first_of("\r\n"));
  o = RunShell(aws + "dynamodbstreams get-shard-iterator --stream-arn " + arn +
               " --shard-id " + shard +
               " --shard-iterator-type TRIM_HORIZON --query ShardIterator "
               "--output text");
  ASSERT_EQ(o.code, 0) << o.text;
  std::string it = o.text.substr(0, o.text.find_first_of("\r\n"));
  o = RunShell(aws + "dynamodbstreams get-records --shard-iterator " + it +
               " --query '[length(Records), Records[25].eventName, "
               "Records[25].dynamodb.NewImage.v.N, "
               "Records[25].dynamodb.OldImage]' --output json");
  ASSERT_EQ(o.code, 0) << o.text;
  std::string compact;
  for (char c : o.text) {
    if (!std::isspace(static_cast<unsigned char>(c))) compact.push_back(c);
  }
  EXPECT_TRUE(
      Contains(compact, "[26,\"MODIFY\",\"12345678901234567890123\",null]"))
      << o.text;
}

}  // namespace
}  // namespace godwit::server
