// godwit serve's faithful stream (docs/server.md, "A faithful stream"):
// iterator expiry, the readers-per-shard limit, trimming and forgotten
// shards, Time to Live and its service identity, the lineage across a
// restart, the defaults (one shard that never closes), and the options'
// ranges. The fixture is in faithful_stream_fixture.h.
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
