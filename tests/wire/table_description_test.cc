#include "wire/table_description.h"

#include <gtest/gtest.h>

#include <random>

#include "wire/errors.h"

namespace godwit::wire {
namespace {

KeySchema Schema(const std::string& hash, AttrType ht,
                 std::optional<std::pair<std::string, AttrType>> range = {}) {
  KeySchema ks;
  ks.hash = {hash, ht};
  if (range) ks.range = KeyAttribute{range->first, range->second};
  return ks;
}

// godwit serve's DescribeTable answer, byte for byte as before the wire
// layer (the conformance runs compare it with boto3's, moto's and the JS
// SDK's).
TEST(Description, GodwitServesShape) {
  DescribedTable t;
  t.desc.name = "Orders";
  t.desc.key_schema = Schema("pk", AttrType::kS, {{"sk", AttrType::kN}});
  t.desc.item_count = 3;
  t.desc.size_bytes = 120;
  t.desc.created_micros = 1714566896789000;
  t.desc.stream_enabled = true;
  t.desc.stream_view_type = StreamViewType::kKeysOnly;
  t.table_arn = "arn:aws:dynamodb:r:000000000000:table/Orders";
  t.stream_label = "2024-05-01T12:34:56.789";
  t.stream_arn = t.table_arn + "/stream/" + t.stream_label;
  EXPECT_EQ(
      DescriptionJson(t),
      R"({"TableName":"Orders","TableArn":"arn:aws:dynamodb:r:000000000000:table/Orders",)"
      R"("TableStatus":"ACTIVE","CreationDateTime":1714566896.789,"ItemCount":3,)"
      R"("TableSizeBytes":120,"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},)"
      R"({"AttributeName":"sk","KeyType":"RANGE"}],"AttributeDefinitions":[)"
      R"({"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"N"}],)"
      R"("ProvisionedThroughput":{"NumberOfDecreasesToday":0,"ReadCapacityUnits":0,"WriteCapacityUnits":0},)"
      R"("BillingModeSummary":{"BillingMode":"PAY_PER_REQUEST"},)"
      R"("StreamSpecification":{"StreamEnabled":true,"StreamViewType":"KEYS_ONLY"},)"
      R"("LatestStreamLabel":"2024-05-01T12:34:56.789",)"
      R"("LatestStreamArn":"arn:aws:dynamodb:r:000000000000:table/Orders/stream/2024-05-01T12:34:56.789"})");
  Result<DescribedTable> back = ParseDescription(DescriptionJson(t));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->desc.name, "Orders");
  EXPECT_EQ(back->desc.key_schema, t.desc.key_schema);
  EXPECT_EQ(back->desc.created_micros, t.desc.created_micros);
  EXPECT_EQ(back->desc.item_count, 3u);
  EXPECT_TRUE(back->desc.stream_enabled);
  EXPECT_EQ(back->desc.stream_view_type, StreamViewType::kKeysOnly);
  EXPECT_EQ(back->desc.billing, BillingMode::kPayPerRequest);
  EXPECT_EQ(back->stream_arn, t.stream_arn);
  EXPECT_EQ(back->stream_label, t.stream_label);
  EXPECT_EQ(back->status, "ACTIVE");
}

// DynamoDB's own answers: provisioned without a BillingModeSummary (a table
// created provisioned and never switched), indexes with their status.
TEST(Description, ReadsDynamoDbAnswers) {
  Result<DescribedTable> d = ParseDescription(R"({
    "TableName":"T","TableStatus":"UPDATING","CreationDateTime":1.5e9,
    "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],
    "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"B"},
                            {"AttributeName":"g","AttributeType":"N"}],
    "ProvisionedThroughput":{"ReadCapacityUnits":5,"WriteCapacityUnits":7},
    "GlobalSecondaryIndexes":[{"IndexName":"byG",
      "KeySchema":[{"AttributeName":"g","KeyType":"HASH"}],
      "Projection":{"ProjectionType":"INCLUDE","NonKeyAttributes":["a"]},
      "IndexStatus":"CREATING",
      "ProvisionedThroughput":{"ReadCapacityUnits":1,"WriteCapacityUnits":2}}],
    "LocalSecondaryIndexes":[{"IndexName":"l",
      "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},
                   {"AttributeName":"g","KeyType":"RANGE"}]}]})");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->status, "UPDATING");
  EXPECT_EQ(d->desc.created_micros, 1500000000000000);
  EXPECT_EQ(d->desc.key_schema, Schema("pk", AttrType::kB));
  EXPECT_EQ(d->desc.billing, BillingMode::kProvisioned);
  EXPECT_EQ(d->desc.read_capacity, 5);
  EXPECT_EQ(d->desc.write_capacity, 7);
  EXPECT_FALSE(d->indexes_active);
  ASSERT_EQ(d->desc.indexes.size(), 2u);
  const SecondaryIndex& g = d->desc.indexes[0];
  EXPECT_EQ(g.kind, SecondaryIndex::Kind::kGlobal);
  EXPECT_EQ(g.name, "byG");
  EXPECT_EQ(g.key_schema, Schema("g", AttrType::kN));
  EXPECT_EQ(g.projection, "INCLUDE");
  EXPECT_EQ(g.non_key_attributes, std::vector<std::string>{"a"});
  EXPECT_EQ(g.read_capacity, 1);
  EXPECT_EQ(g.write_capacity, 2);
  const SecondaryIndex& l = d->desc.indexes[1];
  EXPECT_EQ(l.kind, SecondaryIndex::Kind::kLocal);
  EXPECT_EQ(l.projection, "ALL");
  EXPECT_FALSE(d->desc.stream_enabled);

  // Written and read again, it is the same table.
  Result<DescribedTable> again = ParseDescription(DescriptionJson(*d));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->desc.indexes, d->desc.indexes);
  EXPECT_EQ(again->desc.billing, BillingMode::kProvisioned);
  EXPECT_EQ(again->desc.read_capacity, 5);
  EXPECT_FALSE(again->indexes_active);

  // On demand; no capacities read; absent status is ACTIVE.
  d = ParseDescription(R"({"KeySchema":[{"AttributeName":"k","KeyType":"HASH"}],
    "BillingModeSummary":{"BillingMode":"PAY_PER_REQUEST"},
    "ProvisionedThroughput":{"ReadCapacityUnits":0,"WriteCapacityUnits":0}})");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->desc.billing, BillingMode::kPayPerRequest);
  EXPECT_EQ(d->status, "ACTIVE");
  // A key attribute without a definition is S.
  EXPECT_EQ(d->desc.key_schema, Schema("k", AttrType::kS));

  Result<DescribedTable> none = ParseDescription(R"({"TableName":"T"})");
  EXPECT_EQ(none.status().code(), StatusCode::kInternal);
  EXPECT_EQ(none.status().message(),
            "DescribeTable: no KeySchema for the table in the response");
  EXPECT_EQ(ParseDescription("{").status().code(), StatusCode::kUnavailable);
}

// Seconds map back to the same microsecond for every time below 2^32 s
// (year 2106); later or negative ones are not read.
TEST(Description, CreationTimesRoundTripToTheMicrosecond) {
  DescribedTable t;
  for (int64_t micros : {int64_t{0}, int64_t{1}, int64_t{1714566896789123},
                         int64_t{4294967295999999}, int64_t{2147483648000001},
                         int64_t{999999999999999}}) {
    t.desc.created_micros = micros;
    Result<DescribedTable> back = ParseDescription(DescriptionJson(t));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->desc.created_micros, micros);
  }
  for (int64_t step = 1; step < 4294967296000000 / 7; step = step * 3 + 7) {
    t.desc.created_micros = 4294967295999999 - step;
    EXPECT_EQ(ParseDescription(DescriptionJson(t))->desc.created_micros,
              t.desc.created_micros);
  }
  Result<DescribedTable> far =
      ParseDescription(R"({"KeySchema":[],"CreationDateTime":1e300})");
  ASSERT_TRUE(far.ok());
  EXPECT_EQ(far->desc.created_micros, 0);
}

TEST(CreateTableRequest, WritesWhatTheRemoteStoreSent) {
  CreateTableRequest req;
  req.name = "Orders";
  req.options.key_schema = Schema("pk", AttrType::kS, {{"sk", AttrType::kN}});
  req.options.stream_enabled = true;
  Result<std::string> j = CreateTableRequestJson(req);
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(
      *j,
      R"({"TableName":"Orders","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},)"
      R"({"AttributeName":"sk","KeyType":"RANGE"}],"AttributeDefinitions":[)"
      R"({"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"N"}],)"
      R"("BillingMode":"PAY_PER_REQUEST","StreamSpecification":{"StreamEnabled":true,)"
      R"("StreamViewType":"NEW_AND_OLD_IMAGES"}})");

  // Provisioned, with indexes: a global index without capacities of its
  // own gets the table's.
  req.options.billing = BillingMode::kProvisioned;
  req.options.read_capacity = 5;
  req.options.write_capacity = 6;
  SecondaryIndex g;
  g.name = "byC";
  g.key_schema = Schema("c", AttrType::kB);
  g.projection = "KEYS_ONLY";
  SecondaryIndex l;
  l.kind = SecondaryIndex::Kind::kLocal;
  l.name = "byPkD";
  l.key_schema = Schema("pk", AttrType::kS, {{"d", AttrType::kN}});
  l.projection = "INCLUDE";
  l.non_key_attributes = {"x", "y"};
  req.options.indexes = {g, l};
  req.options.stream_enabled = false;
  j = CreateTableRequestJson(req);
  ASSERT_TRUE(j.ok());
  EXPECT_NE(
      j->find(
          R"("GlobalSecondaryIndexes":[{"IndexName":"byC","KeySchema":[{"AttributeName":"c","KeyType":"HASH"}],"Projection":{"ProjectionType":"KEYS_ONLY"},"ProvisionedThroughput":{"ReadCapacityUnits":5,"WriteCapacityUnits":6}}])"),
      std::string::npos)
      << *j;
  EXPECT_EQ(j->find("StreamSpecification"), std::string::npos);

  // What is written reads back as the same request.
  Result<CreateTableRequest> back = ParseCreateTableRequest(*j);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->name, "Orders");
  EXPECT_EQ(back->options.key_schema, req.options.key_schema);
  EXPECT_EQ(back->options.billing, BillingMode::kProvisioned);
  EXPECT_EQ(back->options.read_capacity, 5);
  EXPECT_FALSE(back->options.stream_enabled);
  ASSERT_EQ(back->options.indexes.size(), 2u);
  EXPECT_EQ(back->options.indexes[0].key_schema, g.key_schema);
  EXPECT_EQ(back->options.indexes[0].read_capacity, 5);  // the table's
  EXPECT_EQ(back->options.indexes[1], l);
  EXPECT_EQ(*CreateTableRequestJson(*back), *j);
}

TEST(CreateTableRequest, AnAttributeWithTwoTypesIsRefusedNamingBoth) {
  CreateTableRequest req;
  req.name = "T";
  req.options.key_schema = Schema("pk", AttrType::kS);
  SecondaryIndex g;
  g.name = "byPk";
  g.key_schema = Schema("pk", AttrType::kN);
  req.options.indexes = {g};
  Result<std::string> j = CreateTableRequestJson(req);
  EXPECT_EQ(j.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(j.status().message(),
            "create table T: attribute \"pk\" has two types: S as the hash "
            "key of the table and N as the hash key of index byPk (DynamoDB "
            "keeps one type per attribute name)");
}

// DynamoDB's validation and wording (CreateTable, API reference).
TEST(CreateTableRequest, ReadsAsDynamoDbValidates) {
  auto error = [](const std::string& body) {
    Result<CreateTableRequest> r = ParseCreateTableRequest(body);
    return r.ok() ? std::string("OK")
                  : std::string(FindError(ErrorTypeOf(r.status()))
                                    ? FindError(ErrorTypeOf(r.status()))->name
                                    : "untyped") +
                        ": " + std::string(r.status().message());
  };
  const std::string ks =
      R"("KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}])";
  const std::string defs =
      R"("AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}])";
  EXPECT_EQ(error(R"({"TableName":"Tbl",)" + ks + "," + defs + "}"), "OK");
  EXPECT_EQ(error(R"({"TableName":"ab",)" + ks + "," + defs + "}"),
            "ValidationException: 1 validation error detected: Value 'ab' at "
            "'tableName' failed to satisfy constraint: Member must have length "
            "between 3 and 255");
  EXPECT_EQ(error(R"({"TableName":"a b",)" + ks + "," + defs + "}"),
            "ValidationException: 1 validation error detected: Value 'a b' at "
            "'tableName' failed to satisfy constraint: Member must satisfy "
            "regular expression pattern: [a-zA-Z0-9_.-]+");
  EXPECT_EQ(error(R"({"TableName":5})"),
            "SerializationException: NUMBER_VALUE can not be converted to "
            "String (field TableName)");
  EXPECT_EQ(error(R"({"TableName":"Tbl",)" + defs + "}"),
            "ValidationException: KeySchema is required");
  EXPECT_EQ(
      error(
          R"({"TableName":"Tbl",)" + ks +
          R"(,"AttributeDefinitions":[{"AttributeName":"x","AttributeType":"S"}]})"),
      "ValidationException: One or more parameter values were invalid: Some "
      "index key attributes are not defined in AttributeDefinitions. Keys: "
      "[pk], AttributeDefinitions: []");
  EXPECT_EQ(
      error(
          R"({"TableName":"Tbl",)" + ks +
          R"(,"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},)"
          R"({"AttributeName":"q","AttributeType":"S"}]})"),
      "ValidationException: One or more parameter values were invalid: "
      "Number of attributes in KeySchema does not exactly match number of "
      "attributes defined in AttributeDefinitions");
  EXPECT_EQ(error(R"({"TableName":"Tbl",)" + ks + "," + defs +
                  R"(,"StreamSpecification":{"StreamEnabled":true}})"),
            "ValidationException: One or more parameter values were invalid: "
            "StreamViewType is required when StreamEnabled is true and must "
            "be one of NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES, KEYS_ONLY");
  EXPECT_EQ(error(R"({"TableName":"Tbl",)" + ks + "," + defs +
                  R"(,"BillingMode":"FREE"})"),
            "ValidationException: 1 validation error detected: Value 'FREE' "
            "at 'billingMode' failed to satisfy constraint: Member must "
            "satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]");
  EXPECT_EQ(error("[1]"),
            "SerializationException: The request body must be a JSON object");

  Result<CreateTableRequest> r = ParseCreateTableRequest(
      R"({"TableName":"Tbl",)" + ks + "," + defs +
      R"(,"StreamSpecification":{"StreamEnabled":true,"StreamViewType":"OLD_IMAGE"}})");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->options.stream_enabled);
  EXPECT_EQ(r->options.stream_view_type, StreamViewType::kOldImage);
  r = ParseCreateTableRequest(R"({"TableName":"Tbl",)" + ks + "," + defs + "}");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->options.stream_enabled);
}

}  // namespace
}  // namespace godwit::wire
