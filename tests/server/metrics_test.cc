// godwit serve's metrics (src/server/metrics.h): every request counted by
// operation and status, errors by DynamoDB type, capacity charged per table
// by DynamoDB's arithmetic whether or not the client asked for it, and a
// client's unknown target never becomes a label.
#include "server/metrics.h"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <memory>
#include <string>

#include "godwit/local_store.h"
#include "godwit/server.h"
#include "testutil/temp_dir.h"

namespace godwit::server {
namespace {

class ServerMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    LocalStoreOptions o;
    o.path = dir_.Join("db");
    o.sync = false;
    auto s = OpenLocalStore(o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = *std::move(s);
    HandlerOptions ho;
    ho.metrics = &metrics_;
    handler_ = std::make_unique<RequestHandler>(store_.get(), ho);
  }
  HttpResult Call(const std::string& op, const std::string& body) {
    return handler_->Handle("DynamoDB_20120810." + op, body);
  }
  std::string Text() {
    return prometheus::TextSerializer().Serialize(metrics_.Collect());
  }
  bool Has(const std::string& line) {
    return Text().find(line + "\n") != std::string::npos;
  }

  test::TempDir dir_;
  ServerMetrics metrics_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<RequestHandler> handler_;
};

TEST_F(ServerMetricsTest, RequestsErrorsAndCapacityAreCounted) {
  ASSERT_EQ(Call("CreateTable", R"({"TableName":"Orders",
      "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],
      "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}]})")
                .status,
            200);
  // 3 puts: a 1.5 KB item costs 2 write units (DynamoDB developer guide,
  // "Read/write capacity mode": 1 unit per 1 KB written, rounded up).
  const std::string big(1500, 'x');
  for (int i = 0; i < 3; ++i) {
    HttpResult r =
        Call("PutItem", R"({"TableName":"Orders","Item":{"pk":{"S":"k)" +
                            std::to_string(i) + R"("},"v":{"S":")" + big +
                            R"("}}})");
    ASSERT_EQ(r.status, 200) << r.body;
  }
  // An eventually consistent read of it: half of one 4 KB read unit.
  ASSERT_EQ(Call("GetItem", R"({"TableName":"Orders","Key":{"pk":{"S":"k1"}}})")
                .status,
            200);
  EXPECT_EQ(
      Call("GetItem", R"({"TableName":"Nope","Key":{"pk":{"S":"a"}}})").status,
      400);
  EXPECT_EQ(handler_->Handle("Hostile_2024.DropEverything", "{}").status, 400);
  std::string text = Text();
  EXPECT_TRUE(
      Has(R"(godwit_serve_requests_total{operation="PutItem",status="200"} 3)"))
      << text;
  EXPECT_TRUE(
      Has(R"(godwit_serve_requests_total{operation="GetItem",status="400"} 1)"))
      << text;
  EXPECT_TRUE(
      Has(R"(godwit_serve_requests_total{operation="unknown",status="400"} 1)"))
      << text;
  EXPECT_EQ(text.find("DropEverything"), std::string::npos) << text;
  EXPECT_TRUE(
      Has(R"(godwit_serve_errors_total{type="ResourceNotFoundException"} 1)"))
      << text;
  EXPECT_TRUE(Has(
      R"(godwit_serve_capacity_units_total{kind="write",table="Orders"} 6)"))
      << text;
  EXPECT_TRUE(Has(
      R"(godwit_serve_capacity_units_total{kind="read",table="Orders"} 0.5)"))
      << text;
  EXPECT_TRUE(
      Has(R"(godwit_serve_request_seconds_count{operation="PutItem"} 3)"))
      << text;
}

}  // namespace
}  // namespace godwit::server
