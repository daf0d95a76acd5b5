// godwit serve's faithful stream (docs/server.md, "A faithful stream"): many
// shards that rotate and split, read to completion by following the lineage;
// DescribeStream paging; GetRecords page caps, misleading empty pages,
// iterator expiry, the readers-per-shard limit, trimming; Time to Live and
// its service identity; the lineage across a restart; and the defaults,
// which keep the single shard that never closes.
//
// In process (RequestHandler) with one clock for the store and the server
// that the tests move forward, so that rotations, expiry and retention cost
// no waiting.
//
// DynamoDB references:
//   DescribeStream:
//   https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_streams_DescribeStream.html
//   GetShardIterator:
//   https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_streams_GetShardIterator.html
//   GetRecords:
//   https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_streams_GetRecords.html
//   Identity:
//   https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_streams_Identity.html
//   UpdateTimeToLive:
//   https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateTimeToLive.html
//   DescribeTimeToLive:
//   https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DescribeTimeToLive.html
#include <gtest/gtest.h>
#include <simdjson.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "godwit/local_store.h"
#include "godwit/server.h"
#include "server/stream_hub.h"
#include "testutil/temp_dir.h"

namespace godwit::server {
namespace {

using ::godwit::test::TempDir;

struct Rec {
  std::string event;
  std::string seq;
  std::string pk;
  int64_t v = -1;
  std::string identity_type;
  std::string identity_principal;
};

struct Page {
  int status = 0;
  std::string error;  // the __type after '#'
  std::vector<Rec> records;
  std::optional<std::string> next;
  size_t body_bytes = 0;
};

struct ShardInfo {
  std::string id, parent, start, end;
};

std::string ErrorTypeOf(const std::string& body) {
  simdjson::dom::parser p;
  simdjson::dom::element doc;
  if (p.parse(body).get(doc) != simdjson::SUCCESS) return "<not json>";
  std::string_view t;
  if (doc["__type"].get(t) != simdjson::SUCCESS) return "";
  size_t hash = t.find('#');
  return std::string(hash == std::string_view::npos ? t : t.substr(hash + 1));
}

std::string Str(simdjson::dom::element e, const char* k) {
  std::string_view v;
  if (e[k].get(v) != simdjson::SUCCESS) return "";
  return std::string(v);
}

class FaithfulStreamTest : public ::testing::Test {
 public:  // ReadFollowingLineage drives the fixture
  void SetUp() override {
    clock_ = std::chrono::duration_cast<std::chrono::microseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  }

  void OpenStore() {
    LocalStoreOptions o;
    o.path = dir_.Join("db");
    o.sync = false;
    o.clock = [this] { return clock_.load(); };
    auto s = OpenLocalStore(o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = *std::move(s);
  }

  // A handler (and its hub) over the store, opened if it is not.
  void Open(HandlerOptions ho) {
    if (!store_) OpenStore();
    ho.clock = [this] { return clock_.load(); };
    if (ho.stream_seed == 0) ho.stream_seed = 20261203;
    ho.ttl_scan_seconds = 0;  // tests call ExpireNow
    ASSERT_TRUE(StreamHub::Validate(ho).ok());
    handler_.reset();
    hub_ = MakeStreamHub(store_.get(), ho);
    ho.stream_hub = hub_;
    handler_ = std::make_unique<RequestHandler>(store_.get(), ho);
  }

  void Advance(double seconds) {
    clock_ += static_cast<int64_t>(seconds * 1e6);
  }

  HttpResult Ddb(const std::string& op, const std::string& body) {
    return handler_->Handle("DynamoDB_20120810." + op, body);
  }
  HttpResult Streams(const std::string& op, const std::string& body) {
    return handler_->Handle("DynamoDBStreams_20120810." + op, body);
  }

  void CreateTable(const std::string& name,
                   const std::string& view = "NEW_AND_OLD_IMAGES") {
    HttpResult r = Ddb("CreateTable", R"({"TableName":")" + name + R"(",
      "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],
      "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],
      "StreamSpecification":{"StreamEnabled":true,"StreamViewType":")" +
                                          view + R"("}})");
    ASSERT_EQ(r.status, 200) << r.body;
    simdjson::dom::parser p;
    simdjson::dom::element doc = p.parse(r.body);
    arn_ = Str(doc["TableDescription"], "LatestStreamArn");
    ASSERT_FALSE(arn_.empty()) << r.body;
  }

  void Put(const std::string& table, const std::string& pk, int64_t v,
           const std::string& extra = "") {
    HttpResult r =
        Ddb("PutItem",
            R"({"TableName":")" + table + R"(","Item":{"pk":{"S":")" + pk +
                R"("},"v":{"N":")" + std::to_string(v) + "\"}" + extra + "}}");
    ASSERT_EQ(r.status, 200) << r.body;
  }

  // One DescribeStream page. `status` != 200: `error` says why.
  struct ShardPage {
    int status = 0;
    std::string error;
    std::vector<ShardInfo> shards;
    std::optional<std::string> last;
  };
  ShardPage Describe(std::optional<int> limit = std::nullopt,
                     const std::string& start = "") {
    std::string body = R"({"StreamArn":")" + arn_ + "\"";
    if (limit) body += ",\"Limit\":" + std::to_string(*limit);
    if (!start.empty()) body += R"(,"ExclusiveStartShardId":")" + start + "\"";
    HttpResult r = Streams("DescribeStream", body + "}");
    ShardPage out;
    out.status = r.status;
    if (r.status != 200) {
      out.error = ErrorTypeOf(r.body);
      return out;
    }
    simdjson::dom::parser p;
    simdjson::dom::element d = p.parse(r.body)["StreamDescription"];
    for (simdjson::dom::element s : d["Shards"].get_array()) {
      ShardInfo i;
      i.id = Str(s, "ShardId");
      i.parent = Str(s, "ParentShardId");
      i.start = Str(s["SequenceNumberRange"], "StartingSequenceNumber");
      i.end = Str(s["SequenceNumberRange"], "EndingSequenceNumber");
      out.shards.push_back(i);
    }
    std::string last = Str(d, "LastEvaluatedShardId");
    if (!last.empty()) out.last = last;
    return out;
  }

  // Every shard, page by page. *pages counts the pages.
  std::vector<ShardInfo> AllShards(std::optional<int> limit = std::nullopt,
                                   int* pages = nullptr) {
    std::vector<ShardInfo> all;
    std::string start;
    for (int n = 1; n <= 1000; ++n) {
      ShardPage p = Describe(limit, start);
      EXPECT_EQ(p.status, 200) << p.error;
      if (p.status != 200) break;
      all.insert(all.end(), p.shards.begin(), p.shards.end());
      if (pages) *pages = n;
      if (!p.last) break;
      EXPECT_EQ(*p.last, p.shards.back().id);
      start = *p.last;
    }
    return all;
  }

  // The first listed shard's id ("" and a failure if none is listed).
  std::string FirstShard() {
    std::vector<ShardInfo> all = AllShards();
    EXPECT_FALSE(all.empty()) << "no shard listed";
    return all.empty() ? "" : all[0].id;
  }

  // An iterator, or the error type prefixed with '!'.
  std::string Iterator(const std::string& shard, const std::string& type,
                       const std::string& seq = "") {
    std::string body = R"({"StreamArn":")" + arn_ + R"(","ShardId":")" + shard +
                       R"(","ShardIteratorType":")" + type + "\"";
    if (!seq.empty()) body += R"(,"SequenceNumber":")" + seq + "\"";
    HttpResult r = Streams("GetShardIterator", body + "}");
    if (r.status != 200) return "!" + ErrorTypeOf(r.body);
    simdjson::dom::parser p;
    return Str(p.parse(r.body), "ShardIterator");
  }

  Page Get(const std::string& it, int limit = 0) {
    std::string body = R"({"ShardIterator":")" + it + "\"";
    if (limit > 0) body += ",\"Limit\":" + std::to_string(limit);
    HttpResult r = Streams("GetRecords", body + "}");
    Page out;
    out.status = r.status;
    out.body_bytes = r.body.size();
    if (r.status != 200) {
      out.error = ErrorTypeOf(r.body);
      return out;
    }
    simdjson::dom::parser p;
    simdjson::dom::element doc = p.parse(r.body);
    for (simdjson::dom::element e : doc["Records"].get_array()) {
      Rec rec;
      rec.event = Str(e, "eventName");
      rec.seq = Str(e["dynamodb"], "SequenceNumber");
      rec.pk = Str(e["dynamodb"]["Keys"]["pk"], "S");
      simdjson::dom::element img;
      if (e["dynamodb"]["NewImage"].get(img) == simdjson::SUCCESS) {
        rec.v = std::stoll(Str(img["v"], "N"));
      }
      simdjson::dom::element who;
      if (e["userIdentity"].get(who) == simdjson::SUCCESS) {
        // The Identity shape's members (API reference, "Identity").
        rec.identity_type = Str(who, "Type");
        rec.identity_principal = Str(who, "PrincipalId");
      }
      out.records.push_back(std::move(rec));
    }
    std::string next = Str(doc, "NextShardIterator");
    if (!next.empty()) out.next = next;
    return out;
  }

  std::atomic<int64_t> clock_{0};
  TempDir dir_;
  std::unique_ptr<Store> store_;
  std::shared_ptr<StreamHub> hub_;
  std::unique_ptr<RequestHandler> handler_;
  std::string arn_;
};

// What a consumer that follows the lineage read.
struct LineageRead {
  std::vector<Rec> records;           // in the order read
  size_t misleading_empty_pages = 0;  // empty pages followed by records
  size_t longest_misleading_run = 0;
  size_t closed_shards_read_to_end = 0;
};

// Reads every shard, a parent before its children, each to its end (a
// closed shard: the page without NextShardIterator) or, an open one, to
// three empty pages in a row (kEmptyPagesAtHead).
void ReadFollowingLineage(FaithfulStreamTest* t,
                          const std::vector<ShardInfo>& shards,
                          LineageRead* out, std::vector<std::string>* order) {
  std::map<std::string, const ShardInfo*> by_id;
  for (const ShardInfo& s : shards) by_id[s.id] = &s;
  std::set<std::string> done;
  while (done.size() < shards.size()) {
    bool progress = false;
    for (const ShardInfo& s : shards) {
      if (done.count(s.id)) continue;
      if (!s.parent.empty() && by_id.count(s.parent) && !done.count(s.parent)) {
        continue;
      }
      std::string it = t->Iterator(s.id, "TRIM_HORIZON");
      ASSERT_FALSE(it.starts_with("!")) << s.id << ": " << it;
      size_t empties = 0;
      std::string last_seq;
      for (int calls = 0;; ++calls) {
        ASSERT_LT(calls, 5000) << "shard " << s.id << " never ended";
        Page p = t->Get(it);
        ASSERT_EQ(p.status, 200) << p.error;
        if (p.records.empty()) {
          ++empties;
        } else {
          if (empties > 0) {
            out->misleading_empty_pages += empties;
            out->longest_misleading_run =
                std::max(out->longest_misleading_run, empties);
          }
          empties = 0;
        }
        for (Rec& r : p.records) {
          // Within a shard, sequence numbers grow (equal-width decimals).
          EXPECT_LT(last_seq, r.seq) << "shard " << s.id;
          if (!s.start.empty()) EXPECT_LE(s.start, r.seq) << s.id;
          if (!s.end.empty()) EXPECT_LE(r.seq, s.end) << s.id;
          last_seq = r.seq;
          out->records.push_back(std::move(r));
        }
        if (!p.next) {
          EXPECT_FALSE(s.end.empty())
              << "an open shard's page had no NextShardIterator: " << s.id;
          ++out->closed_shards_read_to_end;
          break;
        }
        if (s.end.empty() && empties >= kEmptyPagesAtHead) break;
        it = *p.next;
      }
      done.insert(s.id);
      if (order) order->push_back(s.id);
      progress = true;
    }
    ASSERT_TRUE(progress) << "a shard's parent is never read";
  }
}

TEST_F(FaithfulStreamTest,
       RotatingSplittingShardsReadByLineageGiveEveryRecordOnceInKeyOrder) {
  HandlerOptions ho;
  ho.stream_shards = 4;
  ho.shard_rotate_seconds = 1;
  ho.stream_page_max = 7;
  ho.stream_empty_page_rate = 0.3;
  ho.stream_retention_seconds = 120;
  Open(ho);
  CreateTable("Tbl");
  constexpr int kRounds = 12, kPerRound = 50, kKeys = 40;
  std::map<std::string, int64_t> written;  // key -> last v
  for (int round = 0; round < kRounds; ++round) {
    for (int i = 0; i < kPerRound; ++i) {
      std::string key = "k" + std::to_string((i * 7 + round) % kKeys);
      Put("Tbl", key, ++written[key]);
    }
    Advance(1.1);
    // A stream request rotates the shards that are due.
    ASSERT_EQ(Describe().status, 200);
  }
  int pages = 0;
  std::vector<ShardInfo> shards = AllShards(std::nullopt, &pages);
  // Rotated 11 times (the layout starts at the first stream request) from
  // 4 shards, splitting up to 8 open ones.
  ASSERT_GE(shards.size(), 4u * kRounds);
  EXPECT_EQ(pages, static_cast<int>((shards.size() + 99) / 100));
  std::map<std::string, int> children;
  size_t open = 0;
  for (const ShardInfo& s : shards) {
    EXPECT_TRUE(s.id.starts_with("shardId-")) << s.id;
    if (!s.parent.empty()) ++children[s.parent];
    if (s.end.empty()) ++open;
  }
  EXPECT_GE(open, 4u);
  EXPECT_LE(open, 8u);
  bool split = false;
  for (const auto& [parent, n] : children) {
    EXPECT_LE(n, 2) << parent;
    split |= n == 2;
  }
  EXPECT_TRUE(split) << "no shard split in " << kRounds << " rotations";

  LineageRead read;
  std::vector<std::string> order;
  ReadFollowingLineage(this, shards, &read, &order);
  if (HasFatalFailure()) return;
  ASSERT_EQ(read.records.size(), static_cast<size_t>(kRounds * kPerRound));
  std::map<std::string, int64_t> seen;
  for (const Rec& r : read.records) {
    // Each key's values in the order written: 1, 2, 3, ... (none lost,
    // none twice, none out of order along the lineage).
    EXPECT_EQ(r.v, seen[r.pk] + 1) << r.pk << " at " << r.seq;
    seen[r.pk] = r.v;
  }
  EXPECT_EQ(seen, written);
  EXPECT_GT(read.closed_shards_read_to_end, 0u);
  EXPECT_EQ(read.closed_shards_read_to_end, shards.size() - open);
  EXPECT_GT(read.misleading_empty_pages, 0u) << "rate 0.3 drew none";
  EXPECT_LE(read.longest_misleading_run, kEmptyPagesAtHead - 1);
}

TEST_F(FaithfulStreamTest, MisleadingEmptyPagesAreNeverMoreThanTwoInARow) {
  HandlerOptions ho;
  ho.stream_page_max = 2;
  ho.stream_empty_page_rate = 1.0;  // every page that may lie does
  Open(ho);
  CreateTable("Tbl");
  for (int i = 1; i <= 6; ++i) Put("Tbl", "k" + std::to_string(i), i);
  std::vector<ShardInfo> shards = AllShards();
  ASSERT_EQ(shards.size(), 1u);
  std::string it = Iterator(shards[0].id, "TRIM_HORIZON");
  std::vector<size_t> sizes;
  for (int i = 0; i < 12; ++i) {
    Page p = Get(it);
    ASSERT_EQ(p.status, 200) << p.error;
    ASSERT_TRUE(p.next.has_value());
    sizes.push_back(p.records.size());
    it = *p.next;
  }
  // Two lies, then the records; at the head, empty pages are the truth.
  EXPECT_EQ(sizes, (std::vector<size_t>{0, 0, 2, 0, 0, 2, 0, 0, 2, 0, 0, 0}));
}

TEST_F(FaithfulStreamTest, DescribeStreamPagesAtOneHundredShards) {
  HandlerOptions ho;
  ho.stream_shards = 150;
  Open(ho);
  CreateTable("Tbl");
  ShardPage first = Describe();
  ASSERT_EQ(first.status, 200) << first.error;
  ASSERT_EQ(first.shards.size(), 100u);
  ASSERT_TRUE(first.last.has_value());
  EXPECT_EQ(*first.last, first.shards.back().id);
  ShardPage second = Describe(std::nullopt, *first.last);
  ASSERT_EQ(second.status, 200) << second.error;
  EXPECT_EQ(second.shards.size(), 50u);
  EXPECT_FALSE(second.last.has_value());
  int pages = 0;
  std::vector<ShardInfo> by40 = AllShards(40, &pages);
  EXPECT_EQ(pages, 4);
  std::set<std::string> ids;
  for (const ShardInfo& s : by40) {
    ids.insert(s.id);
    EXPECT_TRUE(s.end.empty()) << "never rotated, yet closed: " << s.id;
    EXPECT_TRUE(s.parent.empty()) << s.id;
  }
  EXPECT_EQ(ids.size(), 150u);
  EXPECT_EQ(Describe(101).error, "ValidationException");
  EXPECT_EQ(Describe(0).error, "ValidationException");
}

TEST_F(FaithfulStreamTest, GetRecordsPagesStopAtThePageMaxAndAtOneMegabyte) {
  HandlerOptions ho;
  ho.stream_page_max = 5;
  Open(ho);
  CreateTable("Tbl", "NEW_IMAGE");
  for (int i = 1; i <= 12; ++i) Put("Tbl", "k" + std::to_string(i), i);
  std::string shard = FirstShard();
  std::string it = Iterator(shard, "TRIM_HORIZON");
  std::vector<size_t> sizes;
  for (int i = 0; i < 4; ++i) {
    Page p = Get(it, i == 0 ? 10 : 0);  // Limit above the cap: the cap
    ASSERT_EQ(p.status, 200) << p.error;
    sizes.push_back(p.records.size());
    it = *p.next;
  }
  EXPECT_EQ(sizes, (std::vector<size_t>{5, 5, 2, 0}));
  EXPECT_EQ(Get(Iterator(shard, "TRIM_HORIZON"), 3).records.size(), 3u);

  // Five records of ~300 KB: three fit in 1 MB.
  CreateTable("Big", "NEW_IMAGE");
  const std::string blob(300 * 1000, 'x');
  for (int i = 1; i <= 5; ++i) {
    Put("Big", "b" + std::to_string(i), i, R"(,"blob":{"S":")" + blob + "\"}");
  }
  std::string big = Iterator(FirstShard(), "TRIM_HORIZON");
  Page p1 = Get(big);
  ASSERT_EQ(p1.status, 200) << p1.error;
  EXPECT_EQ(p1.records.size(), 3u);
  EXPECT_LT(p1.body_bytes, size_t{1} << 20);
  Page p2 = Get(*p1.next);
  EXPECT_EQ(p2.records.size(), 2u);
}

TEST_F(FaithfulStreamTest, AnIteratorOlderThanItsTimeToLiveHasExpired) {
  HandlerOptions ho;
  ho.iterator_ttl_seconds = 60;
  Open(ho);
  CreateTable("Tbl");
  Put("Tbl", "a", 1);
  std::string shard = FirstShard();
  std::string it = Iterator(shard, "TRIM_HORIZON");
  Advance(50);
  Page p = Get(it);
  ASSERT_EQ(p.status, 200) << p.error;
  ASSERT_EQ(p.records.size(), 1u);
  // A NextShardIterator is as new as its page.
  Advance(50);
  Page q = Get(*p.next);
  EXPECT_EQ(q.status, 200) << q.error;
  Advance(61);
  EXPECT_EQ(Get(*q.next).error, "ExpiredIteratorException");
  EXPECT_EQ(Get(it).error, "ExpiredIteratorException");
}

// A reader is an iterator chain that called GetRecords on the shard twice
// or more, the last time within kReaderWindowMicros; a chain's first call is
// a probe (docs/server.md, "A faithful stream"). DynamoDB: "No more than two
// processes at most should be reading from the same streams shard at the
// same time" (developer guide, "DynamoDB Streams"); over the limit,
// GetRecords answers LimitExceededException (GetRecords API reference).
TEST_F(FaithfulStreamTest, AThirdConcurrentReaderOfAShardIsRefused) {
  HandlerOptions ho;
  ho.stream_readers_per_shard = 2;  // DynamoDB's guidance
  Open(ho);
  CreateTable("Tbl");
  for (int i = 1; i <= 3; ++i) Put("Tbl", "k" + std::to_string(i), i);
  std::string shard = FirstShard();
  std::string a = Iterator(shard, "TRIM_HORIZON");
  std::string b = Iterator(shard, "TRIM_HORIZON");
  std::string c = Iterator(shard, "TRIM_HORIZON");
  // First calls are probes: all three answered.
  Page pa = Get(a, 1), pb = Get(b, 1), pc = Get(c, 1);
  ASSERT_EQ(pa.status, 200) << pa.error;
  ASSERT_EQ(pb.status, 200) << pb.error;
  ASSERT_EQ(pc.status, 200) << pc.error;
  // a and b go on reading: two readers.
  Page pa2 = Get(*pa.next, 1), pb2 = Get(*pb.next, 1);
  ASSERT_EQ(pa2.status, 200) << pa2.error;
  ASSERT_EQ(pb2.status, 200) << pb2.error;
  // c is the third: refused while it tries, and the two go on.
  EXPECT_EQ(Get(*pc.next, 1).error, "LimitExceededException");
  Advance(1.5);
  EXPECT_EQ(Get(*pb2.next, 1).status, 200);
  EXPECT_EQ(Get(*pa2.next, 1).status, 200);
  EXPECT_EQ(Get(*pc.next, 1).error, "LimitExceededException");
  // Readers that stopped reading for the window no longer count.
  Advance(static_cast<double>(kReaderWindowMicros) / 1e6 + 0.1);
  Page pc2 = Get(*pc.next, 1);
  ASSERT_EQ(pc2.status, 200) << pc2.error;
  Page pc3 = Get(*pc2.next, 1);
  ASSERT_EQ(pc3.status, 200) << pc3.error;
  ASSERT_EQ(pc3.records.size(), 1u);
  EXPECT_EQ(pc3.records[0].pk, "k3");
  // b and a come back: b's probe and its next call make it the second
  // reader, so a (re-using its old iterator: the same chain) is the third.
  EXPECT_EQ(Get(*pa2.next, 1).status, 200);  // a's probe
  EXPECT_EQ(Get(*pb2.next, 1).status, 200);  // b's probe
  EXPECT_EQ(Get(*pb2.next, 1).status, 200);  // b reads
  EXPECT_EQ(Get(*pa2.next, 1).error, "LimitExceededException");
}

TEST_F(FaithfulStreamTest, RecordsOlderThanTheRetentionAreTrimmed) {
  HandlerOptions ho;
  ho.stream_retention_seconds = 3600;
  ho.iterator_ttl_seconds = 100000;  // expiry is not what is tested here
  Open(ho);
  CreateTable("Tbl");
  for (int i = 1; i <= 5; ++i) Put("Tbl", "old" + std::to_string(i), i);
  std::string shard = FirstShard();
  Page first = Get(Iterator(shard, "TRIM_HORIZON"), 2);
  ASSERT_EQ(first.records.size(), 2u);
  const std::string seq1 = first.records[0].seq;
  std::string after1 = Iterator(shard, "AFTER_SEQUENCE_NUMBER", seq1);
  ASSERT_FALSE(after1.starts_with("!")) << after1;
  Advance(1800);
  for (int i = 1; i <= 3; ++i) Put("Tbl", "new" + std::to_string(i), i);
  Advance(1801);  // the first five are older than an hour, the rest not
  EXPECT_EQ(Get(*first.next).error, "TrimmedDataAccessException");
  EXPECT_EQ(Get(after1).error, "TrimmedDataAccessException");
  EXPECT_EQ(Iterator(shard, "AT_SEQUENCE_NUMBER", seq1),
            "!TrimmedDataAccessException");
  Page now = Get(Iterator(shard, "TRIM_HORIZON"));
  ASSERT_EQ(now.status, 200) << now.error;
  ASSERT_EQ(now.records.size(), 3u);
  EXPECT_EQ(now.records[0].pk, "new1");
  std::vector<ShardInfo> shards = AllShards();
  ASSERT_EQ(shards.size(), 1u);
  EXPECT_EQ(shards[0].start, now.records[0].seq);
}

TEST_F(FaithfulStreamTest, AShardClosedBeforeTheRetentionIsNoLongerListed) {
  HandlerOptions ho;
  ho.shard_rotate_seconds = 60;
  ho.stream_retention_seconds = 3600;
  ho.iterator_ttl_seconds = 100000;
  Open(ho);
  CreateTable("Tbl");
  ASSERT_EQ(AllShards().size(), 1u);  // the layout starts now
  Put("Tbl", "a", 1);
  Put("Tbl", "b", 1);
  Advance(61);
  std::vector<ShardInfo> rotated = AllShards();
  ASSERT_GE(rotated.size(), 2u);
  const ShardInfo& parent = rotated[0];
  ASSERT_FALSE(parent.end.empty()) << "the first shard did not close";
  std::string it = Iterator(parent.id, "TRIM_HORIZON");
  // Read to its end: two records, then no NextShardIterator.
  Page p = Get(it);
  ASSERT_EQ(p.records.size(), 2u);
  EXPECT_FALSE(p.next.has_value());
  Advance(3601);
  std::vector<ShardInfo> later = AllShards();
  for (const ShardInfo& s : later) EXPECT_NE(s.id, parent.id);
  EXPECT_EQ(Get(it).error, "TrimmedDataAccessException");
}

TEST_F(FaithfulStreamTest, TimeToLiveDeletesCarryTheServiceIdentity) {
  Open(HandlerOptions{});
  CreateTable("Tbl");
  HttpResult d = Ddb("DescribeTimeToLive", R"({"TableName":"Tbl"})");
  ASSERT_EQ(d.status, 200) << d.body;
  EXPECT_NE(d.body.find("\"DISABLED\""), std::string::npos) << d.body;
  HttpResult u = Ddb("UpdateTimeToLive", R"({"TableName":"Tbl",
      "TimeToLiveSpecification":{"AttributeName":"exp","Enabled":true}})");
  ASSERT_EQ(u.status, 200) << u.body;
  EXPECT_EQ(ErrorTypeOf(Ddb("UpdateTimeToLive", R"({"TableName":"Tbl",
      "TimeToLiveSpecification":{"AttributeName":"exp","Enabled":true}})")
                            .body),
            "ValidationException");
  d = Ddb("DescribeTimeToLive", R"({"TableName":"Tbl"})");
  EXPECT_NE(d.body.find("\"ENABLED\""), std::string::npos) << d.body;
  EXPECT_NE(d.body.find("\"exp\""), std::string::npos) << d.body;

  const int64_t now_s = clock_.load() / 1000000;
  auto exp = [](int64_t s) {
    return R"(,"exp":{"N":")" + std::to_string(s) + "\"}";
  };
  Put("Tbl", "expired", 1, exp(now_s - 10));
  Put("Tbl", "later", 1, exp(now_s + 1000));
  Put("Tbl", "text", 1, R"(,"exp":{"S":"1"})");  // not a Number: ignored
  Put("Tbl", "ancient", 1, exp(now_s - 6LL * 365 * 86400));  // > 5 years
  Put("Tbl", "none", 1);
  Put("Tbl", "mine", 1);
  ASSERT_EQ(
      Ddb("DeleteItem", R"({"TableName":"Tbl","Key":{"pk":{"S":"mine"}}})")
          .status,
      200);
  Result<size_t> n = hub_->ExpireNow();
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 1u);
  Advance(1001);
  n = hub_->ExpireNow();
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 1u);

  Page p = Get(Iterator(FirstShard(), "TRIM_HORIZON"));
  ASSERT_EQ(p.status, 200) << p.error;
  std::map<std::string, Rec> removes;
  for (const Rec& r : p.records) {
    if (r.event == "REMOVE") removes[r.pk] = r;
    if (r.event != "REMOVE") EXPECT_TRUE(r.identity_type.empty()) << r.pk;
  }
  ASSERT_EQ(removes.size(), 3u);
  for (const char* k : {"expired", "later"}) {
    EXPECT_EQ(removes[k].identity_type, "Service") << k;
    EXPECT_EQ(removes[k].identity_principal, "dynamodb.amazonaws.com") << k;
  }
  // A client's delete has no userIdentity.
  EXPECT_EQ(removes["mine"].identity_type, "");
  EXPECT_EQ(removes["mine"].identity_principal, "");

  u = Ddb("UpdateTimeToLive", R"({"TableName":"Tbl",
      "TimeToLiveSpecification":{"AttributeName":"exp","Enabled":false}})");
  ASSERT_EQ(u.status, 200) << u.body;
  d = Ddb("DescribeTimeToLive", R"({"TableName":"Tbl"})");
  EXPECT_NE(d.body.find("\"DISABLED\""), std::string::npos) << d.body;
}

TEST_F(FaithfulStreamTest, TheLineageAndTimeToLiveSurviveARestart) {
  HandlerOptions ho;
  ho.stream_shards = 3;
  ho.shard_rotate_seconds = 1;
  ho.stream_retention_seconds = 120;
  Open(ho);
  CreateTable("Tbl");
  for (int r = 0; r < 4; ++r) {
    for (int i = 0; i < 10; ++i) Put("Tbl", "k" + std::to_string(i), r + 1);
    Advance(1.1);
    ASSERT_EQ(Describe().status, 200);
  }
  ASSERT_EQ(Ddb("UpdateTimeToLive", R"({"TableName":"Tbl",
      "TimeToLiveSpecification":{"AttributeName":"exp","Enabled":true}})")
                .status,
            200);
  std::vector<ShardInfo> before = AllShards();
  ASSERT_GT(before.size(), 3u);
  // The server goes away, the store is closed and opened again.
  handler_.reset();
  hub_.reset();
  store_.reset();
  Open(ho);
  std::vector<ShardInfo> after = AllShards();
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].id, before[i].id);
    EXPECT_EQ(after[i].parent, before[i].parent);
    EXPECT_EQ(after[i].end, before[i].end);
  }
  HttpResult d = Ddb("DescribeTimeToLive", R"({"TableName":"Tbl"})");
  EXPECT_NE(d.body.find("\"ENABLED\""), std::string::npos) << d.body;
  // And everything is still read exactly once through the lineage.
  LineageRead read;
  ReadFollowingLineage(this, after, &read, nullptr);
  EXPECT_EQ(read.records.size(), 40u);
}

TEST_F(FaithfulStreamTest, TheDefaultsKeepOneShardThatNeverCloses) {
  Open(HandlerOptions{});
  CreateTable("Tbl");
  Put("Tbl", "a", 1);
  Advance(10 * 3600);
  Put("Tbl", "b", 1);
  std::vector<ShardInfo> shards = AllShards();
  ASSERT_EQ(shards.size(), 1u);
  EXPECT_EQ(shards[0].id, "shardId-00000000000000000001-00000001");
  EXPECT_TRUE(shards[0].parent.empty());
  EXPECT_TRUE(shards[0].end.empty());
  Page p = Get(Iterator(shards[0].id, "TRIM_HORIZON"));
  ASSERT_EQ(p.status, 200) << p.error;
  EXPECT_EQ(p.records.size(), 2u);
  EXPECT_TRUE(p.next.has_value());
}

// boto3 (a client no one here wrote) against a server started with the
// faithful stream's options; tests/server/boto3_scenarios.py,
// scenario_faithful.
TEST_F(FaithfulStreamTest, Boto3ReadsTheFaithfulStreamByLineage) {
  if (std::system("python3 -c 'import boto3' >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "boto3 is not installed (python3 -c 'import boto3' "
                    "failed): the faithful-stream boto3 scenario did not run";
  }
  LocalStoreOptions o;  // the store's own clock here: real time
  o.path = dir_.Join("db");
  o.sync = false;
  auto s = OpenLocalStore(o);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  store_ = *std::move(s);
  ServerOptions so;
  so.handler.region = "us-east-1";  // what the boto3 scenarios sign with
  so.port = 0;
  so.threads = 2;
  so.handler.stream_shards = 3;
  so.handler.shard_rotate_seconds = 1;
  so.handler.stream_page_max = 5;
  so.handler.stream_empty_page_rate = 0.3;
  so.handler.iterator_ttl_seconds = 3;
  so.handler.stream_retention_seconds = 60;
  so.handler.ttl_scan_seconds = 0.2;
  auto srv = Server::Start(store_.get(), so);
  ASSERT_TRUE(srv.ok()) << srv.status().ToString();
  std::unique_ptr<Server> server = *std::move(srv);
  const std::string cmd =
      "env NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost "
      "AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null "
      "AWS_SHARED_CREDENTIALS_FILE=/dev/null GODWIT_SCENARIO=faithful "
      "GODWIT_ENDPOINT=http://127.0.0.1:" +
      std::to_string(server->port()) + " timeout 120 python3 " +
      GODWIT_SOURCE_DIR "/tests/server/boto3_scenarios.py";
  int rc = std::system(cmd.c_str());
  server->Shutdown();
  ASSERT_TRUE(WIFEXITED(rc)) << "scenario script killed";
  int code = WEXITSTATUS(rc);
  if (code == 77) GTEST_SKIP() << "boto3 missing (reported by the script)";
  EXPECT_EQ(code, 0) << "boto3 faithful scenario failed; see the output above";
}

TEST(StreamHubOptions, OutOfRangeOptionsAreRefusedNamingTheFlag) {
  auto refused = [](HandlerOptions o, const std::string& flag) {
    Status s = StreamHub::Validate(o);
    EXPECT_FALSE(s.ok()) << flag;
    EXPECT_NE(s.ToString().find(flag), std::string::npos) << s.ToString();
  };
  HandlerOptions o;
  EXPECT_TRUE(StreamHub::Validate(o).ok());
  o.stream_shards = 0;
  refused(o, "--stream-shards");
  o = {};
  o.stream_page_max = 1001;
  refused(o, "--stream-page-max");
  o = {};
  o.stream_empty_page_rate = 1.5;
  refused(o, "--stream-empty-page-rate");
  o = {};
  o.iterator_ttl_seconds = 0;
  refused(o, "--iterator-ttl-seconds");
  o = {};
  o.stream_readers_per_shard = -1;
  refused(o, "--stream-readers-per-shard");
  o = {};
  o.stream_retention_seconds = 0;
  refused(o, "--stream-retention-seconds");
  // Shards listed within the retention must fit the layout's record.
  o = {};
  o.stream_shards = 4;
  o.shard_rotate_seconds = 1;
  refused(o, "--stream-retention-seconds");
  o.stream_retention_seconds = 120;
  EXPECT_TRUE(StreamHub::Validate(o).ok());
}

}  // namespace
}  // namespace godwit::server
