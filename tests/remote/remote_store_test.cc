// The remote store's operations against `godwit serve` (in process) and
// moto_server, the client's error mapping, retries and adaptive rate, and
// SigV4 against the server's verifier.
#include "godwit/remote_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <thread>

#include "godwit/json.h"
#include "remote/client.h"
#include "remote_test_util.h"
#include "wire/errors.h"

namespace godwit {
namespace {

using test::FaultPlan;
using test::MotoEndpoint;
using test::ServeEndpoint;

Item Order(const std::string& pk, int64_t n) {
  Item it;
  it.Set("pk", AttributeValue::S(pk));
  it.Set("n", AttributeValue::N(Number::FromInt64(n)));
  it.Set("big", *AttributeValue::N("12345678901234567890123.5"));
  it.Set("bin", AttributeValue::B(std::string("\0\xff", 2)));
  return it;
}

Key PK(const std::string& pk) { return Key{AttributeValue::S(pk), {}}; }

// Runs the store operations on `store`. `godwit` enables checks moto fails.
void ExerciseStore(Store* store, bool godwit) {
  TableOptions t;
  t.key_schema = KeySchema{{"pk", AttrType::kS}, std::nullopt};
  ASSERT_TRUE(store->CreateTable("Items", t).ok());
  EXPECT_EQ(store->CreateTable("Items", t).code(), StatusCode::kAlreadyExists);
  EXPECT_TRUE(store->CreateTable("x", t).IsInvalidArgument());
  auto names = store->ListTables();
  ASSERT_TRUE(names.ok()) << names.status().ToString();
  EXPECT_NE(std::find(names->begin(), names->end(), "Items"), names->end());
  EXPECT_TRUE(store->GetTable("Nope").status().IsNotFound());
  auto tr = store->GetTable("Items");
  ASSERT_TRUE(tr.ok()) << tr.status().ToString();
  Table& tab = **tr;
  EXPECT_EQ(tab.key_schema(), t.key_schema);

  // Put / Get / conditions / Delete.
  auto put = tab.Put(Order("a", 1));
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_FALSE(put->has_value());
  put = tab.Put(Order("a", 2));
  ASSERT_TRUE(put.ok());
  ASSERT_TRUE(put->has_value());
  EXPECT_EQ(**put, Order("a", 1));
  auto got = tab.Get(PK("a"));
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(**got, Order("a", 2));  // numbers and binary exact
  EXPECT_TRUE(
      tab.Put(Order("a", 3), Condition::NotExists()).status().IsAborted());
  EXPECT_TRUE(tab.Put(Order("b", 1), Condition::Exists()).status().IsAborted());
  EXPECT_TRUE(
      tab.Put(Order("a", 3), Condition::AttributeEquals(
                                 "n", AttributeValue::N(Number::FromInt64(2))))
          .ok());
  EXPECT_TRUE(
      tab.Delete(PK("a"), Condition::AttributeEquals(
                              "n", AttributeValue::N(Number::FromInt64(9))))
          .status()
          .IsAborted());
  auto del = tab.Delete(PK("a"));
  ASSERT_TRUE(del.ok());
  EXPECT_TRUE(del->has_value());
  got = tab.Get(PK("a"));
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
  // Bad input is refused here with a clear message.
  Item bad;
  bad.Set("x", AttributeValue::S("no key"));
  Status bs = tab.Put(bad).status();
  EXPECT_TRUE(bs.IsInvalidArgument());
  EXPECT_NE(bs.message().find("Items"), std::string_view::npos)
      << bs.ToString();

  // BatchWrite (validation, then 100 items in 4 batches).
  std::vector<WriteRequest> dup = {WriteRequest::Put(Order("d", 1)),
                                   WriteRequest::Delete(PK("d"))};
  EXPECT_TRUE(tab.BatchWrite(dup).status().IsInvalidArgument());
  for (int b = 0; b < 4; ++b) {
    std::vector<WriteRequest> batch;
    for (int i = 0; i < 25; ++i) {
      batch.push_back(
          WriteRequest::Put(Order("k" + std::to_string(b * 25 + i), i)));
    }
    auto r = tab.BatchWrite(batch);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_TRUE(r->unprocessed.empty());
  }
  auto r = tab.BatchWrite({WriteRequest::Delete(PK("k0"))});
  ASSERT_TRUE(r.ok());

  // Segmented scan with small pages: every item exactly once.
  std::multiset<std::string> seen;
  for (int seg = 0; seg < 4; ++seg) {
    ScanOptions so;
    so.segment = seg;
    so.total_segments = 4;
    so.limit = 7;
    do {
      auto page = tab.Scan(so);
      ASSERT_TRUE(page.ok()) << page.status().ToString();
      for (const Item& it : page->items) seen.insert(it.Find("pk")->s());
      so.page_token = page->next_page_token;
    } while (!so.page_token.empty());
  }
  EXPECT_EQ(seen.size(), 99u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 99u);
  ScanOptions bad_seg;
  bad_seg.segment = 4;
  bad_seg.total_segments = 4;
  EXPECT_TRUE(tab.Scan(bad_seg).status().IsInvalidArgument());
  ScanOptions bad_tok;
  bad_tok.page_token = "garbage";
  EXPECT_TRUE(tab.Scan(bad_tok).status().IsInvalidArgument());
  EXPECT_EQ(tab.GetSnapshot().status().code(), StatusCode::kUnimplemented);

  // Query on a table with a sort key.
  TableOptions t2;
  t2.key_schema =
      KeySchema{{"h", AttrType::kS}, KeyAttribute{"r", AttrType::kN}};
  t2.stream_enabled = false;
  ASSERT_TRUE(store->CreateTable("Ranged", t2).ok());
  auto ranged = store->GetTable("Ranged");
  ASSERT_TRUE(ranged.ok());
  for (int i = 0; i < 30; ++i) {
    Item it;
    it.Set("h", AttributeValue::S(i % 2 ? "odd" : "even"));
    it.Set("r", AttributeValue::N(Number::FromInt64(i)));
    ASSERT_TRUE((*ranged)->Put(it).ok());
  }
  QueryOptions q;
  q.hash = AttributeValue::S("even");
  q.range.op = RangeCondition::Op::kBetween;
  q.range.a = AttributeValue::N(Number::FromInt64(4));
  q.range.b = AttributeValue::N(Number::FromInt64(20));
  q.forward = false;
  q.limit = 3;
  std::vector<int64_t> rs;
  do {
    auto page = (*ranged)->Query(q);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    for (const Item& it : page->items)
      rs.push_back(*it.Find("r")->n().ToInt64());
    q.page_token = page->next_page_token;
  } while (!q.page_token.empty());
  EXPECT_EQ(rs, (std::vector<int64_t>{20, 18, 16, 14, 12, 10, 8, 6, 4}));
  auto desc = store->DescribeTable("Ranged");
  ASSERT_TRUE(desc.ok());
  EXPECT_EQ(desc->key_schema, t2.key_schema);
  EXPECT_FALSE(desc->stream_enabled);
  EXPECT_EQ(tab.OpenStream(StreamPosition::TrimHorizon()).ok(), true);
  EXPECT_EQ(
      (*ranged)->OpenStream(StreamPosition::TrimHorizon()).status().code(),
      StatusCode::kFailedPrecondition);

  // Streams: every change of Items, in order, with images; latest_sequence.
  auto reader = tab.OpenStream(StreamPosition::TrimHorizon());
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  std::vector<ChangeRecord> recs;
  for (int i = 0; i < 50; ++i) {
    size_t before = recs.size();
    ASSERT_TRUE((*reader)->Read(40, &recs).ok());
    if (recs.size() == before && i > 2) break;
  }
  // a:+1, a:~2, a:~3, a:-, 100 inserts, k0 removed.
  ASSERT_GE(recs.size(), 105u);
  EXPECT_EQ(recs[0].type, ChangeType::kInsert);
  EXPECT_EQ(*recs[0].new_image, Order("a", 1));
  EXPECT_EQ(recs[1].type, ChangeType::kModify);
  EXPECT_EQ(*recs[1].old_image, Order("a", 1));
  EXPECT_EQ(recs[3].type, ChangeType::kRemove);
  EXPECT_FALSE(recs[3].new_image.has_value());
  for (size_t i = 1; i < recs.size(); ++i) {
    EXPECT_LT(recs[i - 1].sequence, recs[i].sequence);
  }
  auto d = tab.Describe();
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->latest_sequence, recs.back().sequence);
  EXPECT_TRUE(d->stream_enabled);
  // Re-open after a position: the rest only.
  auto again = tab.OpenStream(StreamPosition::After(recs[3].sequence));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  std::vector<ChangeRecord> rest;
  ASSERT_TRUE((*again)->Read(1000, &rest).ok());
  ASSERT_FALSE(rest.empty());
  EXPECT_EQ(rest[0].sequence, recs[4].sequence);
  // A new write shows up in latest_sequence.
  ASSERT_TRUE(tab.Put(Order("late", 1)).ok());
  d = tab.Describe();
  ASSERT_TRUE(d.ok());
  EXPECT_GT(d->latest_sequence, recs.back().sequence);

  if (godwit) {
    // Re-enabling the stream starts a new one: the old position is lost.
    ASSERT_TRUE(store->UpdateStream("Items", false).ok());
    ASSERT_TRUE(store->UpdateStream("Items", true).ok());
    ASSERT_TRUE(tab.Put(Order("new", 1)).ok());
    auto lost = tab.OpenStream(StreamPosition::After(recs[3].sequence));
    ASSERT_FALSE(lost.ok());
    EXPECT_EQ(lost.status().code(), StatusCode::kDataLoss);
    EXPECT_NE(lost.status().message().find("new migration"),
              std::string_view::npos)
        << lost.status().ToString();
  }

  ASSERT_TRUE(store->DropTable("Ranged").ok());
  EXPECT_TRUE(store->DescribeTable("Ranged").status().IsNotFound());
  EXPECT_TRUE(store->DropTable("Ranged").IsNotFound());
}

TEST(RemoteStore, OperationsAgainstGodwitServe) {
  ServeEndpoint ep;
  ASSERT_TRUE(ep.error().empty()) << ep.error();
  auto store = OpenRemoteStore(ep.Options());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ExerciseStore(store->get(), true);
}

TEST(RemoteStore, OperationsAgainstMoto) {
  if (test::MotoBinary().empty()) GTEST_SKIP() << "moto_server not installed";
  MotoEndpoint moto;
  ASSERT_TRUE(moto.error().empty()) << moto.error();
  auto store = OpenRemoteStore(moto.Options());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ExerciseStore(store->get(), false);
}

// A provisioned table with a global index (INCLUDE) and a local index,
// sharing a key attribute ("created") with each other.
TableOptions IndexedOptions() {
  TableOptions t;
  t.key_schema =
      KeySchema{{"pk", AttrType::kS}, KeyAttribute{"sk", AttrType::kN}};
  t.billing = BillingMode::kProvisioned;
  t.read_capacity = 5;
  t.write_capacity = 6;
  SecondaryIndex gsi;
  gsi.kind = SecondaryIndex::Kind::kGlobal;
  gsi.name = "by_customer";
  gsi.key_schema = KeySchema{{"customer", AttrType::kS},
                             KeyAttribute{"created", AttrType::kN}};
  gsi.projection = "INCLUDE";
  gsi.non_key_attributes = {"total", "status"};
  gsi.read_capacity = 3;
  gsi.write_capacity = 4;
  SecondaryIndex lsi;
  lsi.kind = SecondaryIndex::Kind::kLocal;
  lsi.name = "by_created";
  lsi.key_schema =
      KeySchema{{"pk", AttrType::kS}, KeyAttribute{"created", AttrType::kN}};
  lsi.projection = "KEYS_ONLY";
  t.indexes = {gsi, lsi};
  return t;
}

std::vector<SecondaryIndex> SortedIndexes(std::vector<SecondaryIndex> v) {
  std::sort(v.begin(), v.end(),
            [](const SecondaryIndex& a, const SecondaryIndex& b) {
              return a.name < b.name;
            });
  return v;
}

TEST(RemoteStore, IndexesAndBillingRoundTripOnMoto) {
  if (test::MotoBinary().empty())
    GTEST_SKIP() << "moto_server not installed: secondary indexes and "
                    "billing modes were not tested";
  MotoEndpoint moto;
  ASSERT_TRUE(moto.error().empty()) << moto.error();
  auto store = OpenRemoteStore(moto.Options());
  ASSERT_TRUE(store.ok()) << store.status().ToString();

  TableOptions t = IndexedOptions();
  Status created = (*store)->CreateTable("Indexed", t);
  ASSERT_TRUE(created.ok()) << created.ToString();
  auto d = (*store)->DescribeTable("Indexed");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->key_schema, t.key_schema);
  EXPECT_EQ(d->billing, BillingMode::kProvisioned);
  EXPECT_EQ(d->read_capacity, 5);
  EXPECT_EQ(d->write_capacity, 6);
  ASSERT_EQ(d->indexes.size(), 2u);
  EXPECT_EQ(SortedIndexes(d->indexes), SortedIndexes(t.indexes));
  // The same through Table::Describe.
  auto tab = (*store)->GetTable("Indexed");
  ASSERT_TRUE(tab.ok()) << tab.status().ToString();
  auto d2 = (*tab)->Describe();
  ASSERT_TRUE(d2.ok()) << d2.status().ToString();
  EXPECT_EQ(SortedIndexes(d2->indexes), SortedIndexes(t.indexes));
  EXPECT_EQ(d2->billing, BillingMode::kProvisioned);

  // On-demand, asked for or by default.
  for (BillingMode b : {BillingMode::kPayPerRequest, BillingMode::kDefault}) {
    TableOptions od;
    od.key_schema = KeySchema{{"pk", AttrType::kS}, std::nullopt};
    od.billing = b;
    std::string name =
        b == BillingMode::kDefault ? "OnDemandDefault" : "OnDemand";
    ASSERT_TRUE((*store)->CreateTable(name, od).ok());
    auto dd = (*store)->DescribeTable(name);
    ASSERT_TRUE(dd.ok()) << dd.status().ToString();
    EXPECT_EQ(dd->billing, BillingMode::kPayPerRequest) << name;
    EXPECT_EQ(dd->read_capacity, 0) << name;
    EXPECT_EQ(dd->write_capacity, 0) << name;
    EXPECT_TRUE(dd->indexes.empty()) << name;
  }
  // An on-demand global index has no capacities.
  TableOptions odi = IndexedOptions();
  odi.billing = BillingMode::kPayPerRequest;
  odi.read_capacity = odi.write_capacity = 0;
  odi.indexes[0].read_capacity = odi.indexes[0].write_capacity = 0;
  ASSERT_TRUE((*store)->CreateTable("OnDemandIndexed", odi).ok());
  auto di = (*store)->DescribeTable("OnDemandIndexed");
  ASSERT_TRUE(di.ok()) << di.status().ToString();
  EXPECT_EQ(di->billing, BillingMode::kPayPerRequest);
  EXPECT_EQ(SortedIndexes(di->indexes), SortedIndexes(odi.indexes));

  // A table created without BillingMode (AWS's default, provisioned) has
  // no BillingMode in its summary: its capacity says provisioned.
  remote::Client raw(moto.Options());
  ASSERT_TRUE(
      raw.Call(remote::Service::kDynamoDB, "CreateTable",
               R"({"TableName":"Legacy",)"
               R"("KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],)"
               R"("AttributeDefinitions":[{"AttributeName":"pk",)"
               R"("AttributeType":"S"}],)"
               R"("ProvisionedThroughput":{"ReadCapacityUnits":2,)"
               R"("WriteCapacityUnits":1}})")
          .ok());
  auto dl = (*store)->DescribeTable("Legacy");
  ASSERT_TRUE(dl.ok()) << dl.status().ToString();
  EXPECT_EQ(dl->billing, BillingMode::kProvisioned);
  EXPECT_EQ(dl->read_capacity, 2);
  EXPECT_EQ(dl->write_capacity, 1);
}

TEST(RemoteStore, AnAttributeWithTwoTypesIsRefusedBeforeAnyRequest) {
  // Nothing listens on the port: a request would fail as Unavailable.
  RemoteStoreOptions o = test::LocalOptions(test::FreeLoopbackPort());
  o.retry.max_attempts = 1;
  auto store = OpenRemoteStore(o);
  ASSERT_TRUE(store.ok());
  TableOptions t = IndexedOptions();
  t.indexes[1].key_schema.range->type = AttrType::kS;  // "created" was N
  Status s = (*store)->CreateTable("Conflict", t);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.message().find("\"created\""), std::string_view::npos)
      << s.ToString();
  EXPECT_NE(s.message().find("by_created"), std::string_view::npos)
      << s.ToString();
  EXPECT_EQ(GetRemoteStoreStats(store->get()).requests, 0u);
  // A table key declared again by an index with another type, too.
  t = IndexedOptions();
  t.indexes[0].key_schema.hash = {"pk", AttrType::kB};
  s = (*store)->CreateTable("Conflict", t);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.message().find("\"pk\""), std::string_view::npos) << s.ToString();
  EXPECT_EQ(GetRemoteStoreStats(store->get()).requests, 0u);
}

TEST(RemoteStore, GodwitServeRefusesIndexesClearly) {
  ServeEndpoint ep;
  ASSERT_TRUE(ep.error().empty()) << ep.error();
  auto store = OpenRemoteStore(ep.Options());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  TableOptions t = IndexedOptions();
  Status s = (*store)->CreateTable("Indexed", t);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.message().find("godwit serve has no secondary indexes"),
            std::string_view::npos)
      << s.ToString();
  EXPECT_TRUE((*store)->DescribeTable("Indexed").status().IsNotFound());
  // Without indexes it works; the billing mode is ignored (on-demand, as
  // every table of godwit serve).
  t.indexes.clear();
  ASSERT_TRUE((*store)->CreateTable("Indexed", t).ok());
  auto d = (*store)->DescribeTable("Indexed");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->billing, BillingMode::kPayPerRequest);
  EXPECT_TRUE(d->indexes.empty());
}

TEST(RemoteStore, SigV4AgainstTheServersVerifier) {
  ServeEndpoint ep({{"AKIDTEST", "secret"}});
  ASSERT_TRUE(ep.error().empty()) << ep.error();
  auto store = OpenRemoteStore(ep.Options());
  ASSERT_TRUE(store.ok());
  EXPECT_TRUE((*store)->ListTables().ok());
  RemoteStoreOptions wrong = ep.Options();
  wrong.credentials.secret_access_key = "not it";
  auto bad = OpenRemoteStore(wrong);
  ASSERT_TRUE(bad.ok());
  Status s = (*bad)->ListTables().status();
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("InvalidSignatureException"),
            std::string_view::npos)
      << s.ToString();
  EXPECT_FALSE(s.retryable());
}

TEST(RemoteClient, ErrorMapping) {
  using remote::MapError;
  auto body = [](const char* t) {
    return std::string("{\"__type\":\"com.amazonaws.dynamodb.v20120810#") + t +
           "\",\"message\":\"m\"}";
  };
  EXPECT_EQ(
      MapError(400, body("ProvisionedThroughputExceededException")).code(),
      StatusCode::kResourceExhausted);
  EXPECT_EQ(MapError(400, body("ThrottlingException")).code(),
            StatusCode::kResourceExhausted);
  EXPECT_EQ(MapError(400, body("RequestLimitExceeded")).code(),
            StatusCode::kResourceExhausted);
  EXPECT_TRUE(MapError(400, body("ThrottlingException")).retryable());
  EXPECT_EQ(MapError(500, body("InternalServerError")).code(),
            StatusCode::kUnavailable);
  EXPECT_EQ(MapError(503, "<html>").code(), StatusCode::kUnavailable);
  EXPECT_EQ(MapError(400, body("ConditionalCheckFailedException")).code(),
            StatusCode::kAborted);
  EXPECT_EQ(MapError(400, body("ResourceNotFoundException")).code(),
            StatusCode::kNotFound);
  EXPECT_EQ(MapError(400, body("ValidationException")).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(MapError(400, body("TrimmedDataAccessException")).code(),
            StatusCode::kDataLoss);
  EXPECT_EQ(MapError(400, body("UnrecognizedClientException")).code(),
            StatusCode::kFailedPrecondition);
  Status s = MapError(400, body("ResourceInUseException"));
  EXPECT_FALSE(s.retryable());
  EXPECT_EQ(s.message(), "ResourceInUseException: m");
}

TEST(RemoteClient, AdaptiveRateIsAimd) {
  remote::AdaptiveRate r(1.0, 1000, 2);
  EXPECT_EQ(r.rate(), 0);  // unlimited
  for (int i = 0; i < 50; ++i) r.Acquire();
  r.OnThrottle();
  double first = r.rate();
  EXPECT_GE(first, 2);
  r.OnThrottle();  // the same second: the same congestion signal
  EXPECT_DOUBLE_EQ(r.rate(), first);
  std::this_thread::sleep_for(std::chrono::milliseconds(1050));
  r.OnThrottle();
  EXPECT_DOUBLE_EQ(r.rate(), std::max(2.0, first / 2));
  double low = r.rate();
  for (int i = 0; i < 10; ++i) r.OnSuccess();
  EXPECT_DOUBLE_EQ(r.rate(), low + 10);
  for (int i = 0; i < 2000; ++i) r.OnSuccess();
  EXPECT_EQ(r.rate(), 0);  // back to unlimited above max_rate
}

TEST(RemoteClient, RetriesThroughFaultsAndGivesUpWithAClearError) {
  ServeEndpoint ep;
  ASSERT_TRUE(ep.error().empty()) << ep.error();
  ASSERT_TRUE(ep.StartFaults(FaultPlan{0.15, 0.1, 0.05, 0.05}));
  auto store = OpenRemoteStore(ep.Options());
  ASSERT_TRUE(store.ok());
  TableOptions t;
  t.key_schema = KeySchema{{"pk", AttrType::kS}, std::nullopt};
  ASSERT_TRUE((*store)->CreateTable("Faulty", t).ok());
  auto tab = (*store)->GetTable("Faulty");
  ASSERT_TRUE(tab.ok());
  for (int b = 0; b < 20; ++b) {
    std::vector<WriteRequest> batch;
    for (int i = 0; i < 25; ++i) {
      batch.push_back(
          WriteRequest::Put(Order("f" + std::to_string(b * 25 + i), i)));
    }
    auto r = (*tab)->BatchWrite(batch);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  size_t n = 0;
  ScanOptions so;
  so.limit = 100;
  do {
    auto page = (*tab)->Scan(so);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    n += page->items.size();
    so.page_token = page->next_page_token;
  } while (!so.page_token.empty());
  EXPECT_EQ(n, 500u);
  RemoteStoreStats st = GetRemoteStoreStats(store->get());
  EXPECT_GT(st.retries, 0u);
  EXPECT_GT(st.throttles, 0u);
  EXPECT_GT(st.server_errors, 0u);
  // Dropped connections: libcurl itself resends once on a reused connection
  // that dies, so they do not always reach the retry loop.
  EXPECT_GT(ep.faults()->faults(), 0u);

  // Always throttled: the bound ends it with a retryable, resumable error.
  ep.faults()->set_plan(FaultPlan{1.0, 0, 0, 0});
  Status s = (*tab)->Get(PK("f1")).status();
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(s.retryable());
  EXPECT_NE(s.message().find("gave up after 12 attempts"),
            std::string_view::npos)
      << s.ToString();
  EXPECT_NE(s.message().find("GetItem"), std::string_view::npos);
  EXPECT_GT(GetRemoteStoreStats(store->get()).rate, 0);  // AIMD engaged
}

TEST(RemoteClient, ConnectionRefusedIsUnavailable) {
  RemoteStoreOptions o = test::LocalOptions(test::FreeLoopbackPort());
  o.retry.max_attempts = 2;
  auto store = OpenRemoteStore(o);
  ASSERT_TRUE(store.ok());
  Status s = (*store)->ListTables().status();
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  EXPECT_NE(s.message().find("127.0.0.1"), std::string_view::npos);
}

}  // namespace
}  // namespace godwit

namespace godwit {
namespace {

// The stream through faults, read while a writer goes on: every record,
// once, in order (godwit serve's sequences are dense), and Describe's
// latest sequence never behind a record already read.
TEST(RemoteStream, EveryRecordOnceInOrderThroughFaults) {
  ServeEndpoint ep;
  ASSERT_TRUE(ep.error().empty()) << ep.error();
  TableOptions t;
  t.key_schema = KeySchema{{"pk", AttrType::kS}, std::nullopt};
  ASSERT_TRUE(ep.local()->CreateTable("Stream1", t).ok());
  auto local = ep.local()->GetTable("Stream1");
  ASSERT_TRUE(local.ok());
  ASSERT_TRUE(ep.StartFaults(FaultPlan{0.04, 0.04, 0.03, 0.03}));
  auto store = OpenRemoteStore(ep.Options());
  ASSERT_TRUE(store.ok());
  auto remote = (*store)->GetTable("Stream1");
  ASSERT_TRUE(remote.ok());
  auto reader = (*remote)->OpenStream(StreamPosition::TrimHorizon());
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();

  constexpr int kWrites = 2000;
  std::thread writer([&] {
    for (int i = 0; i < kWrites; ++i) {
      Item item;
      item.Set("pk", AttributeValue::S("k" + std::to_string(i % 50)));
      item.Set("n", AttributeValue::N(Number::FromInt64(i)));
      ASSERT_TRUE((*local)->Put(item).ok());
    }
  });
  uint64_t last = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (last < kWrites && std::chrono::steady_clock::now() < deadline) {
    std::vector<ChangeRecord> recs;
    // Small reads: many GetRecords requests, many of them faulted.
    Status s = (*reader)->Read(1 + last % 61, &recs);
    ASSERT_TRUE(s.ok()) << s.ToString();
    for (const ChangeRecord& r : recs) {
      ASSERT_EQ(r.sequence, last + 1) << "a record skipped or repeated";
      last = r.sequence;
    }
    auto d = (*remote)->Describe();
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    EXPECT_GE(d->latest_sequence, last);
  }
  writer.join();
  EXPECT_EQ(last, static_cast<uint64_t>(kWrites));
  EXPECT_GT(ep.faults()->faults(), 10u);
}

}  // namespace
}  // namespace godwit

namespace godwit {
namespace {

// An endpoint answering through a RequestHandler, except that it answers
// the first `expire` GetRecords requests with ExpiredIteratorException (as
// DynamoDB does 15 minutes after GetShardIterator), in a message that does
// not repeat the type's name.
class ExpiringEndpoint {
 public:
  ExpiringEndpoint(Store* store, int expire) : handler_(store), left_(expire) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) return;
    socklen_t len = sizeof(a);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    listen(fd_, 16);
    accept_ = std::thread([this] {
      while (true) {
        int c = accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        std::lock_guard lock(mu_);
        conns_.emplace_back([this, c] { Serve(c); });
        open_.push_back(c);
      }
    });
  }
  ~ExpiringEndpoint() {
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    accept_.join();
    std::lock_guard lock(mu_);
    for (int c : open_) shutdown(c, SHUT_RDWR);
    for (auto& t : conns_) t.join();
    for (int c : open_) close(c);
  }
  uint16_t port() const { return port_; }
  int expired() const { return expired_.load(); }

 private:
  void Serve(int c) {
    std::string buf;
    while (true) {
      size_t end;
      while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
        char tmp[8192];
        ssize_t n = recv(c, tmp, sizeof(tmp), 0);
        if (n <= 0) return;
        buf.append(tmp, static_cast<size_t>(n));
      }
      std::string head = buf.substr(0, end), lower = head;
      for (char& ch : lower) ch = static_cast<char>(std::tolower(ch));
      size_t length = 0, at = lower.find("content-length:");
      if (at != std::string::npos) length = std::stoul(head.substr(at + 15));
      std::string target;
      at = lower.find("x-amz-target:");
      if (at != std::string::npos) {
        size_t b = head.find_first_not_of(' ', at + 13);
        target = head.substr(b, head.find("\r\n", b) - b);
      }
      while (buf.size() < end + 4 + length) {
        char tmp[65536];
        ssize_t n = recv(c, tmp, sizeof(tmp), 0);
        if (n <= 0) return;
        buf.append(tmp, static_cast<size_t>(n));
      }
      std::string body = buf.substr(end + 4, length);
      buf.erase(0, end + 4 + length);
      server::HttpResult r;
      if (target.ends_with(".GetRecords") && left_.fetch_sub(1) > 0) {
        ++expired_;
        r = {400, wire::ErrorBody("ExpiredIteratorException",
                                  "Iterator expired: renew it")};
      } else {
        r = handler_.Handle(target, body);
      }
      std::string out =
          "HTTP/1.1 " + std::to_string(r.status) +
          " X\r\nContent-Length: " + std::to_string(r.body.size()) +
          "\r\n\r\n" + r.body;
      if (send(c, out.data(), out.size(), MSG_NOSIGNAL) <= 0) return;
    }
  }

  server::RequestHandler handler_;
  std::atomic<int> left_, expired_{0};
  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread accept_;
  std::mutex mu_;
  std::vector<std::thread> conns_;
  std::vector<int> open_;
};

// The reader renews an expired iterator because of the error's type (wire's
// table), not because the message happens to contain the type's name.
TEST(RemoteStream, AnExpiredIteratorIsRenewedFromItsErrorType) {
  ServeEndpoint ep;
  ASSERT_TRUE(ep.error().empty()) << ep.error();
  TableOptions t;
  t.key_schema = KeySchema{{"pk", AttrType::kS}, std::nullopt};
  ASSERT_TRUE(ep.local()->CreateTable("Expiring", t).ok());
  auto local = ep.local()->GetTable("Expiring");
  ASSERT_TRUE(local.ok());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE((*local)->Put(Order("k" + std::to_string(i), i)).ok());
  }
  ExpiringEndpoint expiring(ep.local(), 1);
  ASSERT_NE(expiring.port(), 0);
  auto store = OpenRemoteStore(test::LocalOptions(expiring.port()));
  ASSERT_TRUE(store.ok());
  auto remote = (*store)->GetTable("Expiring");
  ASSERT_TRUE(remote.ok()) << remote.status().ToString();
  auto reader = (*remote)->OpenStream(StreamPosition::TrimHorizon());
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  std::vector<ChangeRecord> recs;
  Status s = (*reader)->Read(100, &recs);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(expiring.expired(), 1);
  ASSERT_EQ(recs.size(), 3u);
  for (size_t i = 0; i < recs.size(); ++i) {
    EXPECT_EQ(recs[i].sequence, i + 1);
  }
  // The client keeps the type in the status it returns (no substring).
  Status expired = remote::MapError(
      400, wire::ErrorBody("ExpiredIteratorException", "Iterator expired"));
  EXPECT_EQ(wire::ErrorTypeOf(expired), wire::ErrorType::kExpiredIterator);
}

}  // namespace
}  // namespace godwit
