// The fixture of the faithful-stream tests (faithful_stream_test.cc,
// faithful_stream_limits_test.cc): an in-process handler over a local store
// with one clock that the tests move forward, and a consumer that reads a
// stream by following its lineage.
#ifndef GODWIT_TESTS_SERVER_FAITHFUL_STREAM_FIXTURE_H_
#define GODWIT_TESTS_SERVER_FAITHFUL_STREAM_FIXTURE_H_

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

namespace godwit::server::faithful_test {

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

inline std::string ErrorTypeOf(const std::string& body) {
  simdjson::dom::parser p;
  simdjson::dom::element doc;
  if (p.parse(body).get(doc) != simdjson::SUCCESS) return "<not json>";
  std::string_view t;
  if (doc["__type"].get(t) != simdjson::SUCCESS) return "";
  size_t hash = t.find('#');
  return std::string(hash == std::string_view::npos ? t : t.substr(hash + 1));
}

inline std::string Str(simdjson::dom::element e, const char* k) {
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
inline void ReadFollowingLineage(FaithfulStreamTest* t,
                                 const std::vector<ShardInfo>& shards,
                                 LineageRead* out,
                                 std::vector<std::string>* order) {
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

}  // namespace godwit::server::faithful_test

#endif  // GODWIT_TESTS_SERVER_FAITHFUL_STREAM_FIXTURE_H_
