// Conformance fixes found by the client runs (conformance_test.cc), checked
// on the handler directly so that they hold on machines without boto3:
// a Query filter may not name a key attribute; whole capacity units are
// written 1.0.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "godwit/local_store.h"
#include "godwit/server.h"
#include "testutil/temp_dir.h"

namespace godwit::server {
namespace {

using ::godwit::test::TempDir;

bool Contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

class HandlerConformanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    LocalStoreOptions o;
    o.path = dir_.Join("db");
    o.sync = false;
    auto s = OpenLocalStore(o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = *std::move(s);
    handler_ = std::make_unique<RequestHandler>(store_.get());
    HttpResult r = Call("CreateTable", R"({"TableName":"Orders",
      "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},
                   {"AttributeName":"sk","KeyType":"RANGE"}],
      "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},
                              {"AttributeName":"sk","AttributeType":"N"}]})");
    ASSERT_EQ(r.status, 200) << r.body;
    r = Call("PutItem", R"({"TableName":"Orders","Item":{"pk":{"S":"a"},
      "sk":{"N":"1"},"info":{"M":{"sk":{"N":"5"}}},"v":{"N":"2"}}})");
    ASSERT_EQ(r.status, 200) << r.body;
  }
  HttpResult Call(const std::string& op, const std::string& body) {
    return handler_->Handle("DynamoDB_20120810." + op, body);
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<RequestHandler> handler_;
};

TEST_F(HandlerConformanceTest, QueryFilterMayNotNameAKeyAttribute) {
  for (const char* filter :
       {"sk = :n", "#k = :n", "v = :n OR sk = :n",
        "attribute_exists(pk) AND v = :n", "NOT (size(sk) > :n)"}) {  // NOLINT
    std::string body = std::string(R"({"TableName":"Orders",
      "KeyConditionExpression":"pk = :p","FilterExpression":")") +
                       filter + R"(",
      "ExpressionAttributeValues":{":p":{"S":"a"},":n":{"N":"2"}})" +
                       (std::string(filter).find("#k") != std::string::npos
                            ? R"(,"ExpressionAttributeNames":{"#k":"sk"})"
                            : "") +
                       "}";
    HttpResult r = Call("Query", body);
    EXPECT_EQ(r.status, 400) << filter << ": " << r.body;
    EXPECT_TRUE(Contains(r.body, "non-primary key attributes")) << r.body;
  }
  // A nested attribute named like a key, a function, a list index and a
  // placeholder named like a key are fine; so is a Scan filter on a key.
  HttpResult r = Call("Query", R"J({"TableName":"Orders",
      "KeyConditionExpression":"pk = :p",
      "FilterExpression":"info.sk = :sk AND size(info) >= :one AND v IN (:sk, :two)",
      "ExpressionAttributeValues":{":p":{"S":"a"},":sk":{"N":"5"},
                                   ":one":{"N":"1"},":two":{"N":"2"}}})J");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(Contains(r.body, R"("Count":1)")) << r.body;
  r = Call("Scan", R"({"TableName":"Orders","FilterExpression":"sk = :n",
      "ExpressionAttributeValues":{":n":{"N":"1"}}})");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(Contains(r.body, R"("Count":1)")) << r.body;
}

TEST_F(HandlerConformanceTest, WholeCapacityUnitsAreWrittenAsDecimals) {
  HttpResult r = Call("GetItem", R"({"TableName":"Orders",
      "Key":{"pk":{"S":"a"},"sk":{"N":"1"}},"ConsistentRead":true,
      "ReturnConsumedCapacity":"TOTAL"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(Contains(r.body, R"("CapacityUnits":1.0)")) << r.body;
  r = Call("GetItem", R"({"TableName":"Orders",
      "Key":{"pk":{"S":"a"},"sk":{"N":"1"}},"ReturnConsumedCapacity":"TOTAL"})");
  EXPECT_TRUE(Contains(r.body, R"("CapacityUnits":0.5)")) << r.body;
}

// ExclusiveStartKey goes to the store as exclusive_start_key: a key of another
// partition, or of the wrong shape, is a ValidationException.
TEST_F(HandlerConformanceTest, ExclusiveStartKeyThroughTheStoreInterface) {
  HttpResult r = Call("Query", R"({"TableName":"Orders",
      "KeyConditionExpression":"pk = :p",
      "ExpressionAttributeValues":{":p":{"S":"a"}},
      "ExclusiveStartKey":{"pk":{"S":"a"},"sk":{"N":"0"}}})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(Contains(r.body, R"("Count":1)")) << r.body;
  r = Call("Query", R"({"TableName":"Orders",
      "KeyConditionExpression":"pk = :p",
      "ExpressionAttributeValues":{":p":{"S":"a"}},
      "ExclusiveStartKey":{"pk":{"S":"b"},"sk":{"N":"0"}}})");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_TRUE(Contains(r.body, "ValidationException")) << r.body;
  r = Call("Scan", R"({"TableName":"Orders",
      "ExclusiveStartKey":{"pk":{"S":"a"}}})");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_TRUE(Contains(r.body, "starting key is invalid")) << r.body;
  r = Call("Scan", R"({"TableName":"Orders",
      "ExclusiveStartKey":{"pk":{"S":"a"},"sk":{"N":"1"}}})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(Contains(r.body, R"("Count":0)")) << r.body;
}

}  // namespace
}  // namespace godwit::server
