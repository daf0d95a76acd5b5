// godwit serve's metrics (src/server/metrics.h): every request counted by
// operation and status, errors by DynamoDB type, capacity charged per table
// by DynamoDB's arithmetic whether or not the client asked for it, and a
// client's unknown target never becomes a label; stream readers and how long
// they have gone without reaching their shard's head.
#include "server/metrics.h"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

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

// The value of the first "Key":"value" string field of a JSON body.
std::string Field(const std::string& body, const std::string& key) {
  size_t at = body.find("\"" + key + "\":\"");
  if (at == std::string::npos) return "";
  at += key.size() + 4;
  return body.substr(at, body.find('"', at) - at);
}

TEST_F(ServerMetricsTest, StreamReadersAndHowFarBehindTheyAre) {
  ASSERT_EQ(Call("CreateTable", R"({"TableName":"Orders",
      "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],
      "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],
      "StreamSpecification":{"StreamEnabled":true,
                             "StreamViewType":"NEW_IMAGE"}})")
                .status,
            200);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(Call("PutItem", R"({"TableName":"Orders","Item":{"pk":{"S":"k)" +
                                  std::to_string(i) + R"("}}})")
                  .status,
              200);
  }
  HttpResult d = Call("DescribeTable", R"({"TableName":"Orders"})");
  const std::string arn = Field(d.body, "LatestStreamArn");
  ASSERT_FALSE(arn.empty()) << d.body;
  auto streams = [&](const std::string& op, const std::string& body) {
    return handler_->Handle("DynamoDBStreams_20120810." + op, body);
  };
  HttpResult ds = streams("DescribeStream", R"({"StreamArn":")" + arn + "\"}");
  const std::string shard = Field(ds.body, "ShardId");
  ASSERT_FALSE(shard.empty()) << ds.body;
  HttpResult gi =
      streams("GetShardIterator",
              R"({"StreamArn":")" + arn + R"(","ShardId":")" + shard +
                  R"(","ShardIteratorType":"TRIM_HORIZON"})");
  std::string iterator = Field(gi.body, "ShardIterator");
  ASSERT_FALSE(iterator.empty()) << gi.body;
  auto read = [&](int limit) {
    HttpResult r = streams("GetRecords", R"({"ShardIterator":")" + iterator +
                                             R"(","Limit":)" +
                                             std::to_string(limit) + "}");
    EXPECT_EQ(r.status, 200) << r.body;
    iterator = Field(r.body, "NextShardIterator");
  };
  // One record of three, then another 1.2 s later: the reader has not
  // been at the head since its first read.
  read(1);
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  read(1);
  auto gauge = [&](const std::string& name) {
    for (const prometheus::MetricFamily& f : metrics_.Collect()) {
      if (f.name != name) continue;
      for (const prometheus::ClientMetric& m : f.metric) {
        if (m.label.size() == 1 && m.label[0].value == "Orders") {
          return m.gauge.value;
        }
      }
    }
    return -1.0;
  };
  EXPECT_EQ(gauge("godwit_serve_stream_readers"), 1.0) << Text();
  EXPECT_GE(gauge("godwit_serve_stream_reader_behind_seconds"), 1.2) << Text();
  EXPECT_LT(gauge("godwit_serve_stream_reader_behind_seconds"), 60) << Text();
  // At the head: no longer behind.
  read(100);
  EXPECT_EQ(gauge("godwit_serve_stream_reader_behind_seconds"), 0.0) << Text();
}

}  // namespace
}  // namespace godwit::server
