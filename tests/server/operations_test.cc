// The server as an operation table, and two hardening fixes in it:
// a forged shard iterator at 2^64 - 1, and UpdateTable turning off a stream
// that an unfinished migration run reads.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "godwit/json.h"
#include "godwit/local_store.h"
#include "godwit/server.h"
#include "migrate/run_state.h"
#include "testutil/temp_dir.h"

namespace godwit::server {
namespace {

using ::godwit::test::TempDir;

bool Contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

class OperationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    LocalStoreOptions o;
    o.path = dir_.Join("db");
    o.sync = false;
    auto s = OpenLocalStore(o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = *std::move(s);
    HandlerOptions ho;
    ho.admin = [](std::string_view op, std::string_view body) {
      return HttpResult{200, "{\"admin\":\"" + std::string(op) + "\"}"};
    };
    handler_ = std::make_unique<RequestHandler>(store_.get(), ho);
    for (const char* t : {"Orders", "Orders.v2"}) {
      HttpResult r =
          Call("CreateTable",
               std::string(R"({"TableName":")") + t +
                   R"(","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],
        "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],
        "StreamSpecification":{"StreamEnabled":true,"StreamViewType":"NEW_AND_OLD_IMAGES"}})");
      ASSERT_EQ(r.status, 200) << r.body;
    }
    for (int i = 0; i < 3; ++i) {
      HttpResult r =
          Call("PutItem", R"({"TableName":"Orders","Item":{"pk":{"S":"k)" +
                              std::to_string(i) + R"("}}})");
      ASSERT_EQ(r.status, 200) << r.body;
    }
  }
  HttpResult Call(const std::string& op, const std::string& body) {
    return handler_->Handle("DynamoDB_20120810." + op, body);
  }
  HttpResult Streams(const std::string& op, const std::string& body) {
    return handler_->Handle("DynamoDBStreams_20120810." + op, body);
  }
  std::string ForgedIterator(const std::string& seq) {
    std::string out;
    Base64Encode(
        "I1\x1f"
        "A\x1f" +
            seq +
            "\x1f"
            "Orders",
        &out);
    return out;
  }
  void SaveRun(RunPhase phase) {
    migrate::RunState run;
    run.run_id = "run-42";
    run.logical = "Orders";
    run.source = "Orders";
    run.destination = "Orders.v2";
    run.destination_key_schema.hash = {"pk", AttrType::kS};
    run.phase = phase;
    ASSERT_TRUE(migrate::SaveRunState(store_.get(), run).ok());
  }
  bool StreamEnabled(const std::string& table) {
    auto d = store_->DescribeTable(table);
    return d.ok() && d->stream_enabled;
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<RequestHandler> handler_;
};

TEST_F(OperationsTest, EveryOperationOfTheTableIsServed) {
  for (const char* op :
       {"CreateTable", "DescribeTable", "ListTables", "DeleteTable",
        "UpdateTable", "PutItem", "GetItem", "DeleteItem", "UpdateItem",
        "BatchWriteItem", "BatchGetItem", "Query", "Scan"}) {
    HttpResult r = Call(op, "{}");
    EXPECT_FALSE(Contains(r.body, "UnknownOperationException")) << op;
  }
  for (const char* op :
       {"ListStreams", "DescribeStream", "GetShardIterator", "GetRecords"}) {
    HttpResult r = Streams(op, "{}");
    EXPECT_FALSE(Contains(r.body, "UnknownOperationException")) << op;
  }
  // An operation is found under its own API only.
  HttpResult r = Streams("PutItem", "{}");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body,
            R"({"__type":"com.amazon.coral.service#UnknownOperationException",)"
            R"("message":"Unknown operation: PutItem"})");
  r = Call("ListStreams", "{}");
  EXPECT_TRUE(Contains(r.body, "UnknownOperationException")) << r.body;
  r = handler_->Handle("", "{}");
  EXPECT_EQ(r.body,
            R"({"__type":"com.amazon.coral.service#UnknownOperationException",)"
            R"("message":"Missing X-Amz-Target header"})");
  // godwit's admin targets go to the admin callback.
  r = handler_->Handle(std::string(kAdminTargetPrefix) + "MigrationCommand",
                       "{}");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"admin":"MigrationCommand"})");
}

TEST_F(OperationsTest, ErrorsAreTypedOnceAtTheBoundary) {
  HttpResult r = Call("PutItem", "{not json");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body,
            R"({"__type":"com.amazon.coral.service#SerializationException",)"
            R"("message":"Malformed JSON request body"})");
  r = Call("GetItem", R"({"TableName":"Nope","Key":{"pk":{"S":"a"}}})");
  EXPECT_EQ(
      r.body,
      R"({"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException",)"
      R"("message":"Requested resource not found: Table: Nope not found"})");
  r = Call("PutItem", R"J({"TableName":"Orders","Item":{"pk":{"S":"k0"}},
      "ConditionExpression":"attribute_not_exists(pk)"})J");
  EXPECT_EQ(
      r.body,
      R"({"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",)"
      R"("message":"The conditional request failed"})");
  // No error type rides in the message bytes any more.
  EXPECT_FALSE(Contains(r.body, "\x1e"));
}

// Regression: a forged iterator at sequence 2^64 - 1 wrapped to 0 (the
// store was asked for the records after it, 2^64 - 1 + 1 = 0) and got a
// TrimmedDataAccessException for sequence 0. DynamoDB answers an invalid
// iterator with a ValidationException (API reference, GetRecords:
// "ShardIterator ... Length Constraints", and Common Errors:
// ValidationException); godwit serve now does.
TEST_F(OperationsTest,
       AForgedIteratorAtSequence2To64Minus1IsRefusedNotWrapped) {
  auto d = store_->DescribeTable("Orders");
  ASSERT_TRUE(d.ok());
  const uint64_t latest = d->latest_sequence;
  ASSERT_GE(latest, 3u);
  for (std::string seq :
       {std::string("18446744073709551615"),
        std::string("18446744073709551614"),
        std::string("99999999999999999999"), std::to_string(latest + 1)}) {
    HttpResult r = Streams(
        "GetRecords", R"({"ShardIterator":")" + ForgedIterator(seq) + "\"}");
    EXPECT_EQ(r.status, 400) << seq << ": " << r.body;
    EXPECT_TRUE(Contains(r.body, "ValidationException")) << seq << r.body;
    EXPECT_TRUE(Contains(r.body, "Invalid ShardIterator")) << seq << r.body;
    EXPECT_FALSE(Contains(r.body, "TrimmedDataAccess")) << seq << r.body;
    EXPECT_FALSE(Contains(r.body, "Records")) << seq << r.body;
  }
  // The end of the stream itself is a valid position (nothing new).
  HttpResult r =
      Streams("GetRecords", R"({"ShardIterator":")" +
                                ForgedIterator(std::to_string(latest)) + "\"}");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(Contains(r.body, R"("Records":[])")) << r.body;
}

// An unfinished run reads its source's stream (capture, replay) and, after
// cutover, its destination's (reverse sync): turning either off under it
// loses the changes made meanwhile.
TEST_F(OperationsTest,
       DisablingAStreamAnUnfinishedMigrationRunNeedsIsRefusedNamingTheRun) {
  SaveRun(RunPhase::kReplay);
  for (const char* t : {"Orders", "Orders.v2"}) {
    HttpResult r =
        Call("UpdateTable",
             std::string(R"({"TableName":")") + t +
                 R"(","StreamSpecification":{"StreamEnabled":false}})");
    EXPECT_EQ(r.status, 400) << t << ": " << r.body;
    EXPECT_TRUE(Contains(r.body, "ValidationException")) << r.body;
    EXPECT_TRUE(Contains(r.body, "migration run run-42")) << r.body;
    EXPECT_TRUE(Contains(r.body, "Orders -> Orders.v2")) << r.body;
    EXPECT_TRUE(StreamEnabled(t)) << t;
  }
  // Another table's stream is not the run's business.
  HttpResult r = Call("CreateTable", R"({"TableName":"Other",
      "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],
      "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],
      "StreamSpecification":{"StreamEnabled":true,"StreamViewType":"KEYS_ONLY"}})");
  ASSERT_EQ(r.status, 200) << r.body;
  r = Call(
      "UpdateTable",
      R"({"TableName":"Other","StreamSpecification":{"StreamEnabled":false}})");
  EXPECT_EQ(r.status, 200) << r.body;
  // Once the run is finished, the stream is the owner's again.
  SaveRun(RunPhase::kFinished);
  r = Call(
      "UpdateTable",
      R"({"TableName":"Orders","StreamSpecification":{"StreamEnabled":false}})");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(StreamEnabled("Orders"));
}

}  // namespace
}  // namespace godwit::server
