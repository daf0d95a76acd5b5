// godwit serve: the request handler (no sockets), the HTTP layer over
// loopback sockets, and the boto3 scenarios (tests/server/boto3_scenarios.py)
// against an in-process server on an ephemeral port.
#include "godwit/server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "godwit/local_store.h"
#include "testutil/temp_dir.h"

namespace godwit::server {
namespace {

using ::godwit::test::TempDir;

constexpr char kJson[] = "application/x-amz-json-1.0";

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    LocalStoreOptions o;
    o.path = dir_.Join("db");
    o.sync = false;
    auto s = OpenLocalStore(o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = *std::move(s);
    handler_ = std::make_unique<RequestHandler>(store_.get());
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
    server_.reset();
    handler_.reset();
    store_.reset();
  }

  void StartServer(size_t max_body = size_t{1} << 20, AuthKeys auth = {}) {
    ServerOptions so;
    so.auth = std::move(auth);
    so.handler.region = "us-east-1";  // what the boto3 scenarios sign with
    so.port = 0;
    so.threads = 4;
    so.max_body_bytes = max_body;
    so.idle_timeout_seconds = 5;
    auto srv = Server::Start(store_.get(), so);
    ASSERT_TRUE(srv.ok()) << srv.status().ToString();
    server_ = *std::move(srv);
  }

  HttpResult Call(const std::string& op, const std::string& body) {
    return handler_->Handle("DynamoDB_20120810." + op, body);
  }

  void CreateCounterTable() {
    HttpResult r = Call("CreateTable", R"({"TableName":"Counters",
      "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],
      "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],
      "StreamSpecification":{"StreamEnabled":true,
                             "StreamViewType":"NEW_AND_OLD_IMAGES"}})");
    ASSERT_EQ(r.status, 200) << r.body;
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<RequestHandler> handler_;
  std::unique_ptr<Server> server_;
};

bool Contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// ---- handler ---------------------------------------------------------------

TEST_F(ServerTest, MissingTargetIsUnknownOperation) {
  HttpResult r = handler_->Handle("", "{}");
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(Contains(r.body, "#UnknownOperationException")) << r.body;
  r = Call("NoSuchOp", "{}");
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(Contains(r.body, "#UnknownOperationException")) << r.body;
}

TEST_F(ServerTest, MalformedJsonIsSerializationException) {
  for (const char* body : {"", "{", "[]", "nul", "{\"TableName\":}", "\xff"}) {
    HttpResult r = Call("DescribeTable", body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_TRUE(Contains(r.body, "#SerializationException")) << r.body;
  }
}

TEST_F(ServerTest, WrongTypesAreSerializationException) {
  HttpResult r = Call("DescribeTable", R"({"TableName":5})");
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(Contains(r.body, "#SerializationException")) << r.body;
  CreateCounterTable();
  r = Call("GetItem", R"({"TableName":"Counters","Key":[1]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(Contains(r.body, "#SerializationException")) << r.body;
  r = Call("Scan", R"({"TableName":"Counters","Limit":"x"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(Contains(r.body, "#SerializationException")) << r.body;
}

TEST_F(ServerTest, ErrorShapes) {
  HttpResult r =
      Call("GetItem", R"({"TableName":"Nope","Key":{"pk":{"S":"a"}}})");
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(Contains(
      r.body,
      R"("__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException")"))
      << r.body;
  CreateCounterTable();
  r = Call("PutItem", R"J({"TableName":"Counters","Item":{"pk":{"S":"a"}},
           "ConditionExpression":"attribute_exists(pk)"})J");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(
      r.body,
      R"({"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed"})");
  r = Call("PutItem", R"({"TableName":"Counters","Item":{"pk":{"S":"a"}},
           "ConditionExpression":"a = = b"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(Contains(r.body, "#ValidationException")) << r.body;
  EXPECT_TRUE(Contains(r.body, "Invalid ConditionExpression")) << r.body;
  r = Call("PutItem", R"({"TableName":"Counters","Item":{"pk":{"N":"1"}}})");
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(Contains(r.body, "#ValidationException")) << r.body;
  r = handler_->Handle("DynamoDBStreams_20120810.GetRecords",
                       R"({"ShardIterator":"AAAA"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(Contains(r.body, "#ValidationException")) << r.body;
}

// A message echoing request bytes that are not UTF-8 (here, a table name
// inside a shard iterator) is still valid JSON: found by the fuzzer.
TEST_F(ServerTest, ErrorMessageWithInvalidUtf8IsValidJson) {
  // base64 of "I1\x1fT\x1f0\x1f\xf4bl"
  HttpResult r = handler_->Handle("DynamoDBStreams_20120810.GetRecords",
                                  R"({"ShardIterator":"STEfVB8wH/RibA=="})");
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(Contains(r.body, "bl does not exist")) << r.body;
  EXPECT_FALSE(Contains(r.body, "\xf4")) << r.body;
}

// Concurrent read-modify-writes of one key lose no update.
TEST_F(ServerTest, ConcurrentUpdatesOfOneKeyAreAtomic) {
  CreateCounterTable();
  constexpr int kThreads = 8, kEach = 40;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        // A read-modify-write through a condition: SET n = n + 1 if n
        // exists, else create it.
        HttpResult r = Call("UpdateItem", R"({"TableName":"Counters",
          "Key":{"pk":{"S":"c"}},
          "UpdateExpression":"SET n = if_not_exists(n, :zero) + :one",
          "ExpressionAttributeValues":{":zero":{"N":"0"},":one":{"N":"1"}}})");
        if (r.status != 200) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  HttpResult r = Call("GetItem", R"({"TableName":"Counters",
                      "Key":{"pk":{"S":"c"}},"ConsistentRead":true})");
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(Contains(r.body, R"("n":{"N":"320"})")) << r.body;
}

// Of many concurrent conditional creates of one key, exactly one wins.
TEST_F(ServerTest, ConcurrentConditionalPutsHaveOneWinner) {
  CreateCounterTable();
  std::atomic<int> ok{0}, ccf{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      HttpResult r =
          Call("PutItem", R"({"TableName":"Counters","Item":{"pk":{"S":"once"},
            "by":{"N":")" + std::to_string(t) +
                              R"J("}},
            "ConditionExpression":"attribute_not_exists(pk)"})J");
      if (r.status == 200) ++ok;
      if (Contains(r.body, "ConditionalCheckFailed")) ++ccf;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(ccf.load(), 7);
}

// ---- HTTP over loopback ----------------------------------------------------

int Connect(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool SendAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

// Reads one response; "" if the connection closed (or timed out) first.
std::string ReadResponse(int fd) {
  std::string buf;
  char tmp[4096];
  size_t header_end = std::string::npos;
  size_t want = 0;
  for (;;) {
    if (header_end == std::string::npos) {
      header_end = buf.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        size_t cl = buf.find("Content-Length: ");
        if (cl == std::string::npos) cl = buf.find("content-length: ");
        size_t len = cl == std::string::npos
                         ? 0
                         : std::strtoul(buf.c_str() + cl + 16, nullptr, 10);
        want = header_end + 4 + len;
      }
    }
    if (header_end != std::string::npos && buf.size() >= want) return buf;
    ssize_t n = recv(fd, tmp, sizeof(tmp), 0);
    if (n <= 0) return "";
    buf.append(tmp, static_cast<size_t>(n));
  }
}

std::string Request(const std::string& target, const std::string& body,
                    bool keep_alive = true) {
  std::string r = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  if (!target.empty()) r += "X-Amz-Target: " + target + "\r\n";
  r += std::string("Content-Type: ") + kJson + "\r\n";
  r += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  if (!keep_alive) r += "Connection: close\r\n";
  r += "\r\n" + body;
  return r;
}

TEST_F(ServerTest, KeepAliveServesSeveralRequests) {
  StartServer();
  int fd = Connect(server_->port());
  ASSERT_GE(fd, 0);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(SendAll(fd, Request("DynamoDB_20120810.ListTables", "{}")));
    std::string resp = ReadResponse(fd);
    EXPECT_TRUE(resp.starts_with("HTTP/1.1 200")) << resp;
    EXPECT_TRUE(Contains(resp, R"({"TableNames":[]})")) << resp;
  }
  ASSERT_TRUE(SendAll(fd, Request("", "{}")));
  std::string resp = ReadResponse(fd);
  EXPECT_TRUE(resp.starts_with("HTTP/1.1 400")) << resp;
  EXPECT_TRUE(Contains(resp, "UnknownOperationException")) << resp;
  close(fd);
}

// Many keep-alive connections writing at once: every write is acknowledged
// and present afterwards.
TEST_F(ServerTest, ManyConcurrentConnections) {
  StartServer();
  CreateCounterTable();
  constexpr int kConns = 16, kEach = 10;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < kConns; ++c) {
    threads.emplace_back([&, c] {
      int fd = Connect(server_->port());
      if (fd < 0) return;
      for (int i = 0; i < kEach; ++i) {
        std::string body = R"({"TableName":"Counters","Item":{"pk":{"S":")" +
                           std::to_string(c) + "-" + std::to_string(i) +
                           R"("}}})";
        if (!SendAll(fd, Request("DynamoDB_20120810.PutItem", body))) break;
        if (ReadResponse(fd).starts_with("HTTP/1.1 200")) ++ok;
      }
      close(fd);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kConns * kEach);
  HttpResult r = Call("Scan", R"({"TableName":"Counters","Select":"COUNT"})");
  EXPECT_TRUE(Contains(r.body, "\"Count\":" + std::to_string(kConns * kEach)))
      << r.body;
}

TEST_F(ServerTest, OversizeBodyGets413) {
  StartServer(/*max_body=*/1024);
  int fd = Connect(server_->port());
  ASSERT_GE(fd, 0);
  std::string body(4096, ' ');
  SendAll(fd, Request("DynamoDB_20120810.ListTables", body));
  std::string resp = ReadResponse(fd);
  EXPECT_TRUE(resp.starts_with("HTTP/1.1 413")) << resp;
  EXPECT_TRUE(Contains(resp, "ValidationException")) << resp;
  close(fd);
}

TEST_F(ServerTest, HalfRequestsAndGarbageDoNotHurtTheServer) {
  StartServer();
  // Half a request, then close.
  int fd = Connect(server_->port());
  ASSERT_GE(fd, 0);
  std::string req = Request("DynamoDB_20120810.ListTables", "{}");
  SendAll(fd, req.substr(0, req.size() / 2));
  close(fd);
  // Headers promising more body than is sent, then a half-close.
  fd = Connect(server_->port());
  ASSERT_GE(fd, 0);
  SendAll(fd,
          "POST / HTTP/1.1\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\n"
          "Content-Length: 100\r\n\r\n{}");
  shutdown(fd, SHUT_WR);
  EXPECT_EQ(ReadResponse(fd), "");
  close(fd);
  // Not HTTP at all.
  fd = Connect(server_->port());
  ASSERT_GE(fd, 0);
  SendAll(fd, "\x01\x02 garbage \r\n\r\n");
  EXPECT_EQ(ReadResponse(fd), "");
  close(fd);
  // The server still answers.
  fd = Connect(server_->port());
  ASSERT_GE(fd, 0);
  SendAll(fd, Request("DynamoDB_20120810.ListTables", "{}", false));
  EXPECT_TRUE(ReadResponse(fd).starts_with("HTTP/1.1 200"));
  close(fd);
}

TEST_F(ServerTest, ShutdownClosesIdleConnectionsPromptly) {
  StartServer();
  int fd = Connect(server_->port());
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(SendAll(fd, Request("DynamoDB_20120810.ListTables", "{}")));
  ASSERT_TRUE(ReadResponse(fd).starts_with("HTTP/1.1 200"));
  auto start = std::chrono::steady_clock::now();
  server_->Shutdown();
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, std::chrono::seconds(4));
  EXPECT_EQ(ReadResponse(fd), "");  // closed by the server
  close(fd);
}

TEST(ListenAddress, Parses) {
  auto a = ParseListenAddress("127.0.0.1:8000");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->first, "127.0.0.1");
  EXPECT_EQ(a->second, 8000);
  auto b = ParseListenAddress("[::1]:0");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->first, "::1");
  EXPECT_FALSE(ParseListenAddress("8000").ok());
  EXPECT_FALSE(ParseListenAddress("h:99999").ok());
  EXPECT_FALSE(ParseListenAddress("h:").ok());
}

// ---- SigV4
// -------------------------------------------------------------------

// The "get-vanilla" case of AWS's SigV4 test suite (scoped to its own
// region and service).
TEST(SigV4, AcceptsTheAwsTestVector) {
  const SigV4Scope kVectorScope{"us-east-1", "service"};
  SigV4Request req;
  req.method = "GET";
  req.target = "/";
  req.headers = {
      {"Host", "example.amazonaws.com"},
      {"X-Amz-Date", "20150830T123600Z"},
      {"Authorization",
       "AWS4-HMAC-SHA256 "
       "Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
       "SignedHeaders=host;x-amz-date, "
       "Signature="
       "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"}};
  AuthKeys keys{{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}};
  auto refused = CheckSigV4(req, keys, kVectorScope, 1440938160);
  EXPECT_FALSE(refused.has_value()) << refused->body;
  // Too late, wrong key, tampered header, no signature.
  refused = CheckSigV4(req, keys, kVectorScope, 1440938160 + 3600);
  ASSERT_TRUE(refused.has_value());
  EXPECT_TRUE(Contains(refused->body, "InvalidSignatureException"));
  AuthKeys other{{"AKIDEXAMPLE", "other"}};
  ASSERT_TRUE(CheckSigV4(req, other, kVectorScope, 1440938160).has_value());
  req.headers[0].second = "evil.example.com";
  ASSERT_TRUE(CheckSigV4(req, keys, kVectorScope, 1440938160).has_value());
  req.headers.pop_back();
  refused = CheckSigV4(req, keys, kVectorScope, 1440938160);
  ASSERT_TRUE(refused.has_value());
  EXPECT_TRUE(Contains(refused->body, "MissingAuthenticationToken"));
}

// ---- boto3
// -------------------------------------------------------------------

std::string ScenarioCommand(uint16_t port, const std::string& scenario) {
  return "env NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost "
         "AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null "
         "AWS_SHARED_CREDENTIALS_FILE=/dev/null GODWIT_SCENARIO=" +
         scenario +
         " GODWIT_ENDPOINT=http://127.0.0.1:" + std::to_string(port) +
         " timeout 120 python3 " GODWIT_SOURCE_DIR
         "/tests/server/boto3_scenarios.py";
}

TEST_F(ServerTest, Boto3AuthScenario) {
  if (std::system("python3 -c 'import boto3' >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "boto3 is not installed (python3 -c 'import boto3' "
                    "failed): the boto3 scenarios did not run";
  }
  StartServer(size_t{1} << 20, AuthKeys{{"AKIDGODWIT", "secret"}});
  int rc = std::system(ScenarioCommand(server_->port(), "auth").c_str());
  ASSERT_TRUE(WIFEXITED(rc)) << "scenario script killed";
  EXPECT_EQ(WEXITSTATUS(rc), 0) << "boto3 auth scenario failed; see above";
}

TEST_F(ServerTest, Boto3Scenarios) {
  if (std::system("python3 -c 'import boto3' >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "boto3 is not installed (python3 -c 'import boto3' "
                    "failed): the boto3 scenarios did not run";
  }
  StartServer();
  std::string cmd =
      "env NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost "
      "AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null "
      "AWS_SHARED_CREDENTIALS_FILE=/dev/null "
      "GODWIT_ENDPOINT=http://127.0.0.1:" +
      std::to_string(server_->port()) + " timeout 120 python3 " +
      GODWIT_SOURCE_DIR "/tests/server/boto3_scenarios.py";
  int rc = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(rc)) << "scenario script killed";
  int code = WEXITSTATUS(rc);
  if (code == 77) GTEST_SKIP() << "boto3 missing (reported by the script)";
  EXPECT_EQ(code, 0) << "boto3 scenarios failed; see the output above";
}

// The AWS CLI (a client no one here wrote) against the server.
TEST_F(ServerTest, AwsCli) {
  if (std::system("aws --version >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "the AWS CLI (aws) is not installed";
  }
  StartServer();
  std::string out = dir_.Join("aws.out");
  std::string env =
      "env NO_PROXY=127.0.0.1 no_proxy=127.0.0.1 AWS_ACCESS_KEY_ID=x "
      "AWS_SECRET_ACCESS_KEY=y AWS_DEFAULT_REGION=us-east-1 "
      "AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null "
      "AWS_EC2_METADATA_DISABLED=true timeout 60 aws --endpoint-url "
      "http://127.0.0.1:" +
      std::to_string(server_->port()) + " dynamodb ";
  // The table comes from the handler: each start of the CLI costs seconds.
  HttpResult created = Call("CreateTable", R"({"TableName":"CliTable",
      "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],
      "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}]})");
  ASSERT_EQ(created.status, 200) << created.body;
  ASSERT_EQ(std::system((env + "put-item --table-name CliTable --item "
                               "'{\"pk\":{\"S\":\"k\"},\"n\":{\"N\":"
                               "\"12345678901234567890123\"}}'")
                            .c_str()),
            0);
  ASSERT_EQ(std::system((env +
                         "get-item --table-name CliTable --key "
                         "'{\"pk\":{\"S\":\"k\"}}' --output json > " +
                         out)
                            .c_str()),
            0);
  FILE* f = std::fopen(out.c_str(), "r");
  ASSERT_NE(f, nullptr);
  char buf[4096];
  size_t n = std::fread(buf, 1, sizeof(buf), f);
  std::fclose(f);
  std::string text(buf, n);
  // 23 digits survive exactly.
  EXPECT_TRUE(Contains(text, "12345678901234567890123")) << text;
  // A failed condition is an error exit.
  EXPECT_NE(std::system((env + "put-item --table-name CliTable --item "
                               "'{\"pk\":{\"S\":\"k\"}}' "
                               "--condition-expression "
                               "'attribute_not_exists(pk)' 2>/dev/null")
                            .c_str()),
            0);
}

}  // namespace
}  // namespace godwit::server
