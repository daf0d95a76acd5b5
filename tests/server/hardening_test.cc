// godwit serve against hostile input, in process: what the HTTP layer got
// wrong before and must not again.
//   - "Expect: 100-continue" was never answered (curl waited 1 s per large
//     request); a request refused anyway got no early final status.
//   - With --auth, an unsigned request's body was read (up to the body cap)
//     before it was refused.
//   - No bound on the bytes all requests held at once (see
//     hardening_process_test.cc for the memory it took).
//   - An unsigned X-Godwit-Physical-Tables header added to a signed request
//     changed its routing.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "godwit/local_store.h"
#include "godwit/server.h"
#include "server/raw_http.h"
#include "testutil/temp_dir.h"
#include "util/sigv4.h"

namespace godwit::server {
namespace {

namespace raw = test::raw_http;
using std::chrono::milliseconds;

constexpr char kListTables[] = "DynamoDB_20120810.ListTables";

class HardeningTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (auto* s : {&store_, &physical_}) {
      LocalStoreOptions o;
      o.path = dir_.Join(s == &store_ ? "db" : "physical");
      o.sync = false;
      auto opened = OpenLocalStore(o);
      ASSERT_TRUE(opened.ok()) << opened.status().ToString();
      *s = *std::move(opened);
    }
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
    server_.reset();
  }
  void Start(ServerOptions so) {
    so.port = 0;
    so.threads = 2;
    so.idle_timeout_seconds = 5;
    auto srv = Server::Start(store_.get(), so);
    ASSERT_TRUE(srv.ok()) << srv.status().ToString();
    server_ = *std::move(srv);
  }
  int Connect() {
    int fd = raw::Connect(server_->port());
    EXPECT_GE(fd, 0);
    fds_.push_back(fd);
    return fd;
  }
  ~HardeningTest() override {
    for (int fd : fds_) ::close(fd);
  }

  test::TempDir dir_;
  std::unique_ptr<Store> store_, physical_;
  std::unique_ptr<Server> server_;
  std::vector<int> fds_;
};

TEST_F(HardeningTest, ExpectContinueIsAnsweredBeforeTheBody) {
  Start({});
  int fd = Connect();
  std::string body = "{}";
  ASSERT_TRUE(raw::SendAll(
      fd, raw::PostHead(kListTables, body.size(), {"Expect: 100-continue"})));
  auto interim = raw::ReadResponse(fd, milliseconds(2000));
  ASSERT_TRUE(interim.has_value()) << "no 100 Continue";
  EXPECT_EQ(interim->status, 100) << interim->head;
  ASSERT_TRUE(raw::SendAll(fd, body));
  auto final_response = raw::ReadResponse(fd);
  ASSERT_TRUE(final_response.has_value());
  EXPECT_EQ(final_response->status, 200) << final_response->body;
  EXPECT_TRUE(final_response->Has("TableNames"));
}

TEST_F(HardeningTest, ExpectContinueGetsTheFinalStatusWhenRefused) {
  ServerOptions so;
  so.max_body_bytes = 1 << 20;
  Start(so);
  int fd = Connect();
  ASSERT_TRUE(raw::SendAll(
      fd, raw::PostHead(kListTables, 5 << 20, {"Expect: 100-continue"})));
  auto r = raw::ReadResponse(fd, milliseconds(2000));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 413) << r->head;
  EXPECT_TRUE(r->Has("ValidationException")) << r->body;
  EXPECT_TRUE(r->Has("Connection: close")) << r->head;
}

TEST_F(HardeningTest, UnsignedBodyIsRefusedBeforeItIsRead) {
  ServerOptions so;
  so.auth = {{"AKIDGODWIT", "secret"}};
  Start(so);
  int fd = Connect();
  // The header alone (a megabyte announced, none sent): the answer comes.
  ASSERT_TRUE(raw::SendAll(fd, raw::PostHead(kListTables, 1 << 20)));
  auto r = raw::ReadResponse(fd, milliseconds(3000));
  ASSERT_TRUE(r.has_value()) << "the server waited for the body";
  EXPECT_EQ(r->status, 400);
  EXPECT_TRUE(r->Has("#MissingAuthenticationTokenException")) << r->body;
  // The body that follows is read into a small buffer and dropped, and the
  // connection goes on.
  ASSERT_TRUE(raw::SendAll(fd, std::string(1 << 20, ' ')));
  ASSERT_TRUE(raw::SendAll(fd, raw::PostHead(kListTables, 2) + "{}"));
  r = raw::ReadResponse(fd, milliseconds(3000));
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->Has("#MissingAuthenticationTokenException")) << r->body;
  // Signed for another region: refused on the header too.
  int fd2 = Connect();
  ASSERT_TRUE(raw::SendAll(
      fd2,
      raw::PostHead(kListTables, 1 << 20,
                    {"X-Amz-Date: " + sigv4::AmzDate(std::time(nullptr)),
                     "Authorization: AWS4-HMAC-SHA256 Credential=AKIDGODWIT/" +
                         sigv4::AmzDate(std::time(nullptr)).substr(0, 8) +
                         "/us-west-2/dynamodb/aws4_request, SignedHeaders=host;"
                         "x-amz-date, Signature=00"})));
  r = raw::ReadResponse(fd2, milliseconds(3000));
  ASSERT_TRUE(r.has_value()) << "the server waited for the body";
  EXPECT_TRUE(r->Has("#InvalidSignatureException")) << r->body;
  EXPECT_TRUE(r->Has("not 'us-west-2'")) << r->body;
}

TEST_F(HardeningTest, BytesInFlightOverTheBoundAreThrottled) {
  ServerOptions so;
  so.max_body_bytes = 1 << 20;
  // 11 MiB: room for two 1 MB bodies (5 bytes per byte before the body).
  so.max_inflight_bytes = 11 << 20;
  Start(so);
  // Two connections announce 1,000,000 bytes and send a little of it.
  int a = Connect(), b = Connect();
  for (int fd : {a, b}) {
    ASSERT_TRUE(raw::SendAll(fd, raw::PostHead(kListTables, 1000000) + "{"));
  }
  // Let the server take both headers (and their bytes) first.
  std::this_thread::sleep_for(milliseconds(300));
  int c = Connect();
  ASSERT_TRUE(raw::SendAll(c, raw::PostHead(kListTables, 1000000)));
  auto r = raw::ReadResponse(c, milliseconds(3000));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 400) << r->head;
  // The type the SDKs retry (botocore, the JS SDK: "ThrottlingException").
  EXPECT_TRUE(
      r->Has("\"com.amazonaws.dynamodb.v20120810#ThrottlingException\""))
      << r->body;
  // The held bytes go back when those connections go.
  ::close(a);
  ::close(b);
  fds_.clear();
  bool served = false;
  for (int i = 0; i < 50 && !served; ++i) {
    int d = Connect();
    auto ok = raw::Exchange(d, raw::PostHead(kListTables, 2) + "{}");
    served = ok && ok->status == 200;
    if (!served) std::this_thread::sleep_for(milliseconds(100));
  }
  EXPECT_TRUE(served);
}

TEST_F(HardeningTest, RequestTooLargeToParseWithinTheBoundGets413) {
  ServerOptions so;
  so.max_body_bytes = 1 << 20;
  so.max_inflight_bytes = 5 << 20;
  Start(so);
  // 600 KB of "{}," : about 44 bytes per byte estimated, over 5 MiB.
  std::string body = "{\"x\":[";
  while (body.size() < 600000) body += "{},";
  body += "{}]}";
  int fd = Connect();
  auto r = raw::Exchange(fd, raw::PostHead(kListTables, body.size()) + body);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 413) << r->head;
  EXPECT_TRUE(r->Has("--max-inflight-bytes")) << r->body;
  // The connection is still good (the body was read).
  auto again = raw::Exchange(fd, raw::PostHead(kListTables, 2) + "{}");
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->status, 200);
}

std::string SignedDescribe(uint16_t port, bool sign_physical_header) {
  std::string body = R"({"TableName":"OnlyPhysical"})";
  sigv4::SignInput in;
  in.host = "127.0.0.1:" + std::to_string(port);
  in.headers = {{"Content-Type", "application/x-amz-json-1.0"},
                {"X-Amz-Target", "DynamoDB_20120810.DescribeTable"}};
  if (sign_physical_header) {
    in.headers.emplace_back(std::string(kPhysicalTablesHeader), "1");
  }
  in.body = body;
  in.region = "eu-west-1";
  in.service = "dynamodb";
  in.unix_seconds = std::time(nullptr);
  sigv4::Signed sig = sigv4::Sign(in, {"AKIDGODWIT", "secret", ""});
  std::string req = "POST / HTTP/1.1\r\nHost: " + in.host + "\r\n";
  for (const auto& [k, v] : in.headers) req += k + ": " + v + "\r\n";
  for (const auto& [k, v] : sig.add) req += k + ": " + v + "\r\n";
  if (!sign_physical_header) {
    req += std::string(kPhysicalTablesHeader) + ": 1\r\n";  // added after
  }
  req += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  return req;
}

TEST_F(HardeningTest, PhysicalTablesHeaderCountsOnlyWhenSigned) {
  TableOptions t;
  t.key_schema = KeySchema{{"pk", AttrType::kS}, std::nullopt};
  ASSERT_TRUE(physical_->CreateTable("OnlyPhysical", t).ok());
  ServerOptions so;
  so.auth = {{"AKIDGODWIT", "secret"}};
  so.handler.region = "eu-west-1";
  so.physical = physical_.get();
  Start(so);
  int fd = Connect();
  auto r = raw::Exchange(fd, SignedDescribe(server_->port(), false));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 400) << r->body;
  EXPECT_TRUE(r->Has("#ResourceNotFoundException")) << r->body;
  r = raw::Exchange(fd, SignedDescribe(server_->port(), true));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_TRUE(r->Has("OnlyPhysical")) << r->body;
}

}  // namespace
}  // namespace godwit::server
