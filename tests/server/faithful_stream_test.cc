// godwit serve's faithful stream (docs/server.md, "A faithful stream"):
// many shards that rotate and split, read to completion by following the
// lineage; misleading empty pages; DescribeStream paging; GetRecords page
// caps; boto3 against a server with these options. Expiry, readers,
// trimming, Time to Live, restarts and the defaults are in
// faithful_stream_limits_test.cc; the fixture in faithful_stream_fixture.h.
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

#include "server/faithful_stream_fixture.h"

namespace godwit::server {
namespace {

using namespace faithful_test;  // NOLINT: the fixture's helpers

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

}  // namespace
}  // namespace godwit::server
