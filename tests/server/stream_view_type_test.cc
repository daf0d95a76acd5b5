// The StreamViewType is kept by the store with the table: the catalog
// record's format (version 1 still read), the local store across a reopen,
// and godwit serve's records and descriptions across a restart. Also the
// Store interface's key-based paging (exclusive_start_key) that the server
// uses.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "godwit/local_store.h"
#include "godwit/server.h"
#include "godwit/store.h"
#include "store/local/format.h"
#include "testutil/temp_dir.h"

namespace godwit {
namespace {

using ::godwit::test::TempDir;

bool Contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

TEST(StreamViewTypeFormat, MetaRoundTripsEveryViewType) {
  for (StreamViewType v :
       {StreamViewType::kNewAndOldImages, StreamViewType::kKeysOnly,
        StreamViewType::kNewImage, StreamViewType::kOldImage}) {
    local::TableMeta m;
    m.id = 3;
    m.name = "Orders";
    m.key_schema = KeySchema{{"pk", AttrType::kS}, std::nullopt};
    m.created_micros = 42;
    m.stream_view_type = v;
    auto back = local::DecodeTableMeta(local::EncodeTableMeta(m));
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(back->stream_view_type, v);
    EXPECT_EQ(StreamViewTypeFromName(StreamViewTypeName(v)), v);
  }
  EXPECT_FALSE(StreamViewTypeFromName("BOTH").has_value());
}

TEST(StreamViewTypeFormat, VersionOneMetaIsStillRead) {
  // A meta record as written before the view type was kept (version 1):
  // varint(1) id name hash-attr has_range stream_enabled created.
  std::string v1;
  local::PutVarint64(1, &v1);
  local::PutVarint64(9, &v1);
  local::PutLengthPrefixed("Old", &v1);
  local::PutLengthPrefixed("pk", &v1);
  v1.push_back(0);                    // S
  v1.push_back(0);                    // no range
  v1.push_back(1);                    // stream on
  local::PutVarint64(2 * 1000, &v1);  // zigzag(1000)
  auto m = local::DecodeTableMeta(v1);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->id, 9u);
  EXPECT_EQ(m->name, "Old");
  EXPECT_TRUE(m->stream_enabled);
  EXPECT_EQ(m->created_micros, 1000);
  EXPECT_EQ(m->stream_view_type, StreamViewType::kNewAndOldImages);
  // Version 2 with a bad view byte, or a trailing byte, is corrupt.
  local::TableMeta good = *m;
  std::string v2 = local::EncodeTableMeta(good);
  std::string bad = v2;
  bad.back() = 7;
  EXPECT_EQ(local::DecodeTableMeta(bad).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(local::DecodeTableMeta(v2 + "x").status().code(),
            StatusCode::kDataLoss);
  EXPECT_EQ(local::DecodeTableMeta(v1 + "x").status().code(),
            StatusCode::kDataLoss);
}

std::unique_ptr<Store> Open(const std::string& path) {
  LocalStoreOptions o;
  o.path = path;
  o.sync = false;
  auto s = OpenLocalStore(o);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? *std::move(s) : nullptr;
}

TEST(StreamViewTypeStore, SurvivesReopenAndStreamChanges) {
  TempDir dir;
  std::string path = dir.Join("db");
  {
    auto store = Open(path);
    ASSERT_NE(store, nullptr);
    TableOptions o;
    o.key_schema = KeySchema{{"pk", AttrType::kS}, std::nullopt};
    o.stream_view_type = StreamViewType::kKeysOnly;
    ASSERT_TRUE(store->CreateTable("TblA", o).ok());
    o.stream_enabled = false;
    o.stream_view_type = StreamViewType::kNewAndOldImages;
    ASSERT_TRUE(store->CreateTable("TblB", o).ok());
    // B: on with OLD_IMAGE, then off (keeps OLD_IMAGE).
    ASSERT_TRUE(
        store
            ->UpdateStreamSpecification("TblB", true, StreamViewType::kOldImage)
            .ok());
    ASSERT_TRUE(store
                    ->UpdateStreamSpecification("TblB", false,
                                                StreamViewType::kNewImage)
                    .ok());
    EXPECT_TRUE(
        store
            ->UpdateStreamSpecification("nope", true, StreamViewType::kNewImage)
            .IsNotFound());
  }
  {
    auto store = Open(path);
    ASSERT_NE(store, nullptr);
    auto a = store->DescribeTable("TblA");
    ASSERT_TRUE(a.ok());
    EXPECT_TRUE(a->stream_enabled);
    EXPECT_EQ(a->stream_view_type, StreamViewType::kKeysOnly);
    auto b = store->DescribeTable("TblB");
    ASSERT_TRUE(b.ok());
    EXPECT_FALSE(b->stream_enabled);
    EXPECT_EQ(b->stream_view_type, StreamViewType::kOldImage);
    // Changing only the view type of an enabled stream keeps its records.
    auto t = store->GetTable("TblA");
    ASSERT_TRUE(t.ok());
    Item item;
    item.Set("pk", AttributeValue::S("x"));
    ASSERT_TRUE((*t)->Put(item).ok());
    ASSERT_TRUE(
        store
            ->UpdateStreamSpecification("TblA", true, StreamViewType::kNewImage)
            .ok());
    auto r = (*t)->OpenStream(StreamPosition::TrimHorizon());
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    std::vector<ChangeRecord> recs;
    ASSERT_TRUE((*r)->Read(10, &recs).ok());
    EXPECT_EQ(recs.size(), 1u);
  }
  auto store = Open(path);
  ASSERT_NE(store, nullptr);
  auto a = store->DescribeTable("TblA");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->stream_view_type, StreamViewType::kNewImage);
}

TEST(StoreExclusiveStartKey, LocalStoreContinuesAfterAKey) {
  TempDir dir;
  auto store = Open(dir.Join("db"));
  ASSERT_NE(store, nullptr);
  TableOptions o;
  o.key_schema =
      KeySchema{{"pk", AttrType::kS}, KeyAttribute{"sk", AttrType::kN}};
  ASSERT_TRUE(store->CreateTable("Tab", o).ok());
  auto t = *store->GetTable("Tab");
  for (int i = 0; i < 5; ++i) {
    Item item;
    item.Set("pk", AttributeValue::S("p"));
    item.Set("sk", AttributeValue::N(Number::FromInt64(i * 2)));
    ASSERT_TRUE(t->Put(item).ok());
  }
  auto sk = [](const Item& item) { return *item.Find("sk"); };
  auto n = [](int v) { return AttributeValue::N(Number::FromInt64(v)); };
  // A key that exists (4) and one that does not (5).
  QueryOptions q;
  q.hash = AttributeValue::S("p");
  q.exclusive_start_key = Key{AttributeValue::S("p"), n(4)};
  auto page = t->Query(q);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->items.size(), 2u);  // sk 6, 8
  EXPECT_EQ(sk(page->items[0]), n(6));
  q.exclusive_start_key = Key{AttributeValue::S("p"), n(5)};
  page = t->Query(q);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 2u);
  // Backward: before the key.
  q.forward = false;
  page = t->Query(q);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 3u);  // sk 4, 2, 0
  EXPECT_EQ(sk(page->items[0]), n(4));
  q.forward = true;
  // A key of another partition, a key of the wrong shape, or both a token
  // and a key: InvalidArgument.
  q.exclusive_start_key = Key{AttributeValue::S("q"), n(1)};
  EXPECT_TRUE(t->Query(q).status().IsInvalidArgument());
  q.exclusive_start_key = Key{AttributeValue::S("p"), std::nullopt};
  EXPECT_TRUE(t->Query(q).status().IsInvalidArgument());
  q.exclusive_start_key = Key{AttributeValue::S("p"), n(1)};
  q.limit = 1;
  q.page_token = "";
  page = t->Query(q);
  ASSERT_TRUE(page.ok());
  ASSERT_FALSE(page->next_page_token.empty());
  q.page_token = page->next_page_token;
  EXPECT_TRUE(t->Query(q).status().IsInvalidArgument());
  // Scan from a key.
  ScanOptions s;
  s.exclusive_start_key = Key{AttributeValue::S("p"), n(2)};
  auto sp = t->Scan(s);
  ASSERT_TRUE(sp.ok()) << sp.status().ToString();
  EXPECT_EQ(sp->items.size(), 3u);  // sk 4, 6, 8
}

// godwit serve: the view type set by CreateTable/UpdateTable shapes the
// records and descriptions after a restart (a new handler over the reopened
// store).
TEST(StreamViewTypeServer, SurvivesServerRestart) {
  TempDir dir;
  std::string path = dir.Join("db");
  auto call = [](server::RequestHandler& h, const std::string& op,
                 const std::string& body) {
    return h.Handle("DynamoDB_20120810." + op, body);
  };
  const char* kViews[] = {"KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE",
                          "NEW_AND_OLD_IMAGES"};
  {
    auto store = Open(path);
    ASSERT_NE(store, nullptr);
    server::RequestHandler h(store.get());
    for (int i = 0; i < 4; ++i) {
      std::string body = std::string(R"({"TableName":"View)") +
                         std::to_string(i) + R"(",
        "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],
        "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],
        "StreamSpecification":{"StreamEnabled":true,"StreamViewType":")" +
                         kViews[i] + R"("}})";
      auto r = call(h, "CreateTable", body);
      ASSERT_EQ(r.status, 200) << r.body;
      std::string t = "View" + std::to_string(i);
      r = call(h, "PutItem",
               R"({"TableName":")" + t +
                   R"(","Item":{"pk":{"S":"k"},"v":{"N":"1"}}})");
      ASSERT_EQ(r.status, 200) << r.body;
      r = call(h, "PutItem",
               R"({"TableName":")" + t +
                   R"(","Item":{"pk":{"S":"k"},"v":{"N":"2"}}})");
      ASSERT_EQ(r.status, 200) << r.body;
    }
    // A table whose stream is turned on by UpdateTable.
    auto r = call(h, "CreateTable", R"({"TableName":"Upd1",
        "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],
        "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}]})");
    ASSERT_EQ(r.status, 200) << r.body;
    r = call(h, "UpdateTable", R"({"TableName":"Upd1","StreamSpecification":
        {"StreamEnabled":true,"StreamViewType":"OLD_IMAGE"}})");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(Contains(r.body, R"("StreamViewType":"OLD_IMAGE")")) << r.body;
  }
  // Restart: a new store and handler.
  auto store = Open(path);
  ASSERT_NE(store, nullptr);
  server::RequestHandler h(store.get());
  for (int i = 0; i < 4; ++i) {
    std::string t = "View" + std::to_string(i);
    auto d = call(h, "DescribeTable", R"({"TableName":")" + t + R"("})");
    ASSERT_EQ(d.status, 200) << d.body;
    EXPECT_TRUE(Contains(
        d.body, std::string(R"("StreamViewType":")") + kViews[i] + "\""))
        << d.body;
    std::string arn_key = R"("LatestStreamArn":")";
    size_t a = d.body.find(arn_key);
    ASSERT_NE(a, std::string::npos);
    a += arn_key.size();
    std::string arn = d.body.substr(a, d.body.find('"', a) - a);
    auto ds = h.Handle("DynamoDBStreams_20120810.DescribeStream",
                       R"({"StreamArn":")" + arn + R"("})");
    ASSERT_EQ(ds.status, 200) << ds.body;
    EXPECT_TRUE(Contains(
        ds.body, std::string(R"("StreamViewType":")") + kViews[i] + "\""))
        << ds.body;
    auto it =
        h.Handle("DynamoDBStreams_20120810.GetShardIterator",
                 R"({"StreamArn":")" + arn +
                     R"(","ShardId":"shardId-00000000000000000001-00000001",
                              "ShardIteratorType":"TRIM_HORIZON"})");
    ASSERT_EQ(it.status, 200) << it.body;
    std::string it_key = R"("ShardIterator":")";
    size_t p = it.body.find(it_key) + it_key.size();
    std::string iter = it.body.substr(p, it.body.find('"', p) - p);
    auto recs = h.Handle("DynamoDBStreams_20120810.GetRecords",
                         R"({"ShardIterator":")" + iter + R"("})");
    ASSERT_EQ(recs.status, 200) << recs.body;
    bool want_new = i == 1 || i == 3;
    bool want_old = i == 2 || i == 3;
    EXPECT_EQ(Contains(recs.body, "\"NewImage\""), want_new) << recs.body;
    EXPECT_EQ(Contains(recs.body, "\"OldImage\""), want_old) << recs.body;
    EXPECT_TRUE(Contains(
        recs.body, std::string(R"("StreamViewType":")") + kViews[i] + "\""))
        << recs.body;
    EXPECT_TRUE(Contains(recs.body, R"("Keys":{"pk":{"S":"k"}})")) << recs.body;
  }
  auto d = call(h, "DescribeTable", R"({"TableName":"Upd1"})");
  EXPECT_TRUE(Contains(d.body, R"("StreamViewType":"OLD_IMAGE")")) << d.body;
}

}  // namespace
}  // namespace godwit
