// The remote stream reader against a FAKE multi-shard Streams API
// (fake_streams.h): positions per shard, parents before children, rotation
// and splits, DynamoDB's empty pages, iterator expiry, trimming, resume from
// a cursor. No server: each test runs in well under a second.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "remote/fake_streams.h"
#include "remote/remote_internal.h"
#include "testutil/status_testing.h"

namespace godwit::test {
namespace {

using remote::RemoteStreamReader;
using remote::StreamReaderOptions;

StreamReaderOptions Fast(int k = 3) {
  StreamReaderOptions o;
  o.empty_pages_at_head = k;
  o.idle_poll = std::chrono::milliseconds(0);
  o.record_delay = std::chrono::milliseconds(0);
  o.refresh_every = std::chrono::milliseconds(0);
  o.max_read_wait = std::chrono::milliseconds(2000);
  return o;
}

std::unique_ptr<RemoteStreamReader> NewReader(FakeStreamsApi* api,
                                              StreamReaderOptions o = Fast()) {
  return std::make_unique<RemoteStreamReader>(
      [api](std::string_view op, const std::string& body) {
        return api->Call(op, body);
      },
      "Orders", "arn:fake/stream/Orders", o);
}

struct Got {
  std::vector<ChangeRecord> records;  // in the order returned
  std::vector<RecordOrigin> origins;  // one per record
};

// Reads until a Read reports the head. Fails the test on an error.
void ReadToHead(RemoteStreamReader* r, Got* got, int max_calls = 1000) {
  for (int i = 0; i < max_calls; ++i) {
    ReadInfo info;
    ASSERT_OK(r->Read(7, &got->records, &got->origins, &info));
    if (info.at_head) return;
  }
  FAIL() << "no head after " << max_calls << " reads";
}

// Every record written, each exactly once, in shard order, parents' before
// their children's.
void ExpectExactlyOnce(const FakeStreamsApi& api, const Got& g) {
  const std::vector<RecordOrigin>& got = g.origins;
  ASSERT_EQ(g.records.size(), got.size());
  std::map<std::string, std::vector<std::string>> by_shard;
  std::map<std::string, size_t> first_at, last_at;
  for (size_t i = 0; i < got.size(); ++i) {
    const RecordOrigin& r = got[i];
    by_shard[r.shard_id].push_back(r.sequence_number.text());
    if (!first_at.count(r.shard_id)) first_at[r.shard_id] = i;
    last_at[r.shard_id] = i;
  }
  size_t total = 0;
  for (const auto& [id, recs] : api.Records()) {
    std::vector<std::string> want;
    for (const auto& r : recs) want.push_back(r.seq);
    total += want.size();
    EXPECT_EQ(by_shard[id], want) << "shard " << id;
    std::string parent = api.ParentOf(id);
    if (!parent.empty() && first_at.count(id) && last_at.count(parent)) {
      EXPECT_LT(last_at[parent], first_at[id])
          << "a record of " << id << " came before its parent " << parent
          << " was finished";
    }
  }
  EXPECT_EQ(got.size(), total);
}

TEST(RemoteStreamTest, RotationSplitsAndEmptyPagesExactlyOnceInLineageOrder) {
  FakeStreamsApi api;
  api.empty_pages = 2;  // K - 1: the most DynamoDB is assumed to return
  for (int i = 0; i < 3; ++i) api.Open();
  auto r = NewReader(&api);
  ASSERT_OK(r->Init(StreamStart::TrimHorizon()));
  Got got;
  int n = 0;
  for (int round = 0; round < 6; ++round) {
    for (int i = 0; i < 20; ++i) {
      api.Put("k" + std::to_string(n % 13), n);
      ++n;
    }
    // Some reading between the writes and the rotations.
    for (int i = 0; i < 3; ++i) {
      ReadInfo info;
      ASSERT_OK(r->Read(5, &got.records, &got.origins, &info));
    }
    std::vector<std::string> ids;
    for (const auto& [id, recs] : api.Records()) ids.push_back(id);
    api.Rotate(/*split=*/round % 2 == 0 ? ids.back() : "");
  }
  ReadToHead(r.get(), &got);
  ExpectExactlyOnce(api, got);
  EXPECT_EQ(got.records.size(), 120u);
}

TEST(RemoteStreamTest, AtHeadNeedsKEmptyPagesAndAKOfOneIsFooled) {
  // The reason for K: one injected empty page in front of every page with
  // records. With K = 2 the head comes only after everything was read;
  // with K = 1 (the old "one empty page is the end") the reader claims the
  // head while records remain.
  for (int k : {2, 1}) {
    FakeStreamsApi api;
    api.empty_pages = 1;
    api.Open();
    api.Open();
    for (int i = 0; i < 10; ++i) api.Put("k" + std::to_string(i), i);
    auto r = NewReader(&api, Fast(k));
    ASSERT_OK(r->Init(StreamStart::TrimHorizon()));
    Got got;
    ReadInfo info;
    ASSERT_OK(r->Read(100, &got.records, &got.origins, &info));
    if (k == 2) {
      EXPECT_FALSE(info.at_head && got.records.size() < 10);
      ReadToHead(r.get(), &got);
      EXPECT_EQ(got.records.size(), 10u);
    } else {
      EXPECT_TRUE(info.at_head);
      EXPECT_TRUE(got.records.empty()) << "K = 1 was not fooled";
    }
  }
}

TEST(RemoteStreamTest, ResumeFromCursorLosesNothingAcrossShardsAndRotation) {
  // The loss: one global position resumed every shard after the
  // largest sequence read, skipping a sibling's unread records below it.
  FakeStreamsApi api;
  api.page_max = 2;
  for (int i = 0; i < 4; ++i) api.Open();
  for (int i = 0; i < 40; ++i) api.Put("k" + std::to_string(i), i);
  auto r1 = NewReader(&api);
  ASSERT_OK(r1->Init(StreamStart::TrimHorizon()));
  Got got;
  ReadInfo info;
  ASSERT_OK(
      r1->Read(5, &got.records, &got.origins, &info));  // part of some shards
  ASSERT_FALSE(info.at_head);
  // The cursor goes through its text form, as in the run state.
  std::string text = r1->cursor().Encode();
  r1.reset();
  api.Rotate();
  for (int i = 40; i < 60; ++i) api.Put("k" + std::to_string(i), i);
  ASSERT_OK_AND_ASSIGN(StreamCursor c, StreamCursor::Decode(text));
  auto r2 = NewReader(&api);
  ASSERT_OK(r2->Init(StreamStart::From(c)));
  ReadToHead(r2.get(), &got);
  ExpectExactlyOnce(api, got);
  // The resumed reader asked each shard after its own last record.
  for (const std::string& req : api.IteratorRequests()) {
    if (req.rfind("AFTER_SEQUENCE_NUMBER", 0) != 0) continue;
    std::string shard = req.substr(22, req.find(' ', 22) - 22);
    std::string seq = req.substr(req.rfind(' ') + 1);
    const ShardPosition* p = c.Find(shard);
    ASSERT_NE(p, nullptr) << req;
    EXPECT_EQ(p->last.text(), seq) << req;
  }
}

TEST(RemoteStreamTest, ExpiredIteratorsAreRenewedFromTheShardsOwnLastRecord) {
  FakeStreamsApi api;
  api.page_max = 2;
  for (int i = 0; i < 3; ++i) api.Open();
  for (int i = 0; i < 30; ++i) api.Put("k" + std::to_string(i), i);
  auto r = NewReader(&api);
  ASSERT_OK(r->Init(StreamStart::TrimHorizon()));
  Got got;
  for (int i = 0; i < 3; ++i) {
    ReadInfo info;
    ASSERT_OK(r->Read(4, &got.records, &got.origins, &info));
    api.ExpireIterators();
  }
  ReadToHead(r.get(), &got);
  ExpectExactlyOnce(api, got);
  // The fake refuses a number that is not a record of the shard, so every
  // renewal above was of the shard's own last record.
  int renewals = 0;
  for (const std::string& req : api.IteratorRequests()) {
    renewals += req.rfind("AFTER_SEQUENCE_NUMBER", 0) == 0;
  }
  EXPECT_GT(renewals, 0);
}

TEST(RemoteStreamTest, TrimmedOrVanishedUnreadShardIsDataLossNamingIt) {
  FakeStreamsApi api;
  std::string a = api.Open();
  for (int i = 0; i < 6; ++i) api.Put("k" + std::to_string(i), i);
  auto r1 = NewReader(&api);
  ASSERT_OK(r1->Init(StreamStart::TrimHorizon()));
  Got got;
  ReadInfo info;
  ASSERT_OK(r1->Read(2, &got.records, &got.origins, &info));
  StreamCursor c = r1->cursor();
  r1.reset();
  api.Trim(a, 4);  // past the cursor's last record
  auto r2 = NewReader(&api);
  Status s = r2->Init(StreamStart::From(c));
  if (s.ok()) s = r2->Read(10, &got.records, &got.origins, &info);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss) << s.ToString();
  EXPECT_NE(s.message().find("Orders"), std::string_view::npos);
  EXPECT_NE(s.message().find(a), std::string_view::npos);
  EXPECT_NE(s.message().find("abandon"), std::string_view::npos);

  // A shard not done that DescribeStream no longer lists.
  api.Unlist(a);
  auto r3 = NewReader(&api);
  s = r3->Init(StreamStart::From(c));
  EXPECT_EQ(s.code(), StatusCode::kDataLoss) << s.ToString();
  EXPECT_NE(s.message().find(a), std::string_view::npos);
}

TEST(RemoteStreamTest, LatestStartsAtOpenTimeAndChildrenFromTheirStart) {
  FakeStreamsApi api;
  std::string a = api.Open();
  api.Open();
  for (int i = 0; i < 5; ++i) api.Put("old" + std::to_string(i), i);
  auto r = NewReader(&api);
  ASSERT_OK(r->Init(StreamStart::Latest()));
  // Written after the open, before the first Read: must be read.
  std::set<std::string> want;
  for (int i = 0; i < 5; ++i)
    want.insert(api.Put("new" + std::to_string(i), i));
  api.Rotate(a);  // children born after the open, one split
  for (int i = 5; i < 15; ++i) {
    want.insert(api.Put("new" + std::to_string(i), i));
  }
  Got got;
  ReadToHead(r.get(), &got);
  std::set<std::string> seen;
  for (size_t i = 0; i < got.records.size(); ++i) {
    EXPECT_EQ(got.records[i].keys.Find("pk")->s().rfind("new", 0), 0u);
    seen.insert(got.origins[i].sequence_number.text());
  }
  EXPECT_EQ(seen, want);
}

TEST(RemoteStreamTest, IdleHeadReadPacesGetRecordsPerShard) {
  FakeStreamsApi api;
  api.Open();
  api.Open();
  StreamReaderOptions o = Fast(3);
  o.idle_poll = std::chrono::milliseconds(50);
  auto r = NewReader(&api, o);
  ASSERT_OK(r->Init(StreamStart::TrimHorizon()));
  std::vector<ChangeRecord> out;
  ReadInfo info;
  // A full bucket (K + 1): the head at once, K pages per shard.
  ASSERT_OK(r->Read(10, &out, nullptr, &info));
  EXPECT_TRUE(info.at_head);
  ASSERT_TRUE(info.caught_up_to.has_value());
  EXPECT_GE(*info.caught_up_to, info.started);
  for (const auto& [id, n] : api.GetRecordsPerShard()) EXPECT_EQ(n, 3) << id;
  // Then one GetRecords per shard per idle_poll on average: reading for
  // 500 ms makes at most K + 1 + 500 / 50 calls per shard.
  auto t0 = std::chrono::steady_clock::now();
  int heads = 0;
  while (std::chrono::steady_clock::now() - t0 <
         std::chrono::milliseconds(500)) {
    ASSERT_OK(r->Read(10, &out, nullptr, &info));
    heads += info.at_head;
  }
  EXPECT_GE(heads, 2);
  for (const auto& [id, n] : api.GetRecordsPerShard()) {
    EXPECT_LE(n, 3 + 4 + 10 + 1) << id;
    EXPECT_GE(n, 3 + 6) << id;
  }
}

}  // namespace
}  // namespace godwit::test
