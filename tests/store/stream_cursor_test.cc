// Sequence numbers and stream cursors (include/godwit/stream_cursor.h).
// DynamoDB's SequenceNumber is a string of 21 to 40 digits (Streams API
// reference, "StreamRecord" and "SequenceNumberRange"); godwit's local store
// numbers from 1.
#include "godwit/stream_cursor.h"

#include <gtest/gtest.h>

namespace godwit {
namespace {

SequenceNumber Seq(std::string_view s) {
  Result<SequenceNumber> r = SequenceNumber::Parse(s);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : SequenceNumber();
}

TEST(SequenceNumber, OrdersNumericallyNotAsText) {
  EXPECT_LT(Seq("9"), Seq("10"));
  EXPECT_LT(Seq("111100000000000000000000000001"),
            Seq("1111000000000000000000000000010"));
  EXPECT_EQ(Seq("000123"), Seq("123"));
  EXPECT_EQ(Seq("000123").text(), "123");
  EXPECT_GT(Seq("4000000000000000000000000000000000000001"),
            Seq("3999999999999999999999999999999999999999"));
}

TEST(SequenceNumber, ConvertsToAndFromU64WhereItFits) {
  EXPECT_EQ(SequenceNumber::FromU64(42).text(), "42");
  EXPECT_TRUE(SequenceNumber::FromU64(0).empty());
  EXPECT_EQ(Seq("18446744073709551615").ToU64(), UINT64_MAX);
  EXPECT_EQ(Seq("18446744073709551616").ToU64(), std::nullopt);
  EXPECT_EQ(Seq("300000000000000499659").ToU64(), std::nullopt);
  EXPECT_EQ(SequenceNumber().ToU64(), std::nullopt);
}

TEST(SequenceNumber, RefusesWhatIsNotARecordsNumber) {
  for (std::string_view bad : {"", "0", "000", "12a", "-1", " 1", "1.5",
                               "12345678901234567890123456789012345678901"}) {
    Result<SequenceNumber> r = SequenceNumber::Parse(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) EXPECT_TRUE(r.status().IsInvalidArgument());
  }
}

TEST(StreamCursor, KeepsShardsSortedAndRoundTrips) {
  StreamCursor c;
  c.At("shardId-00000000000000000002-bbbbbbbb").parent_shard_id =
      "shardId-00000000000000000001-aaaaaaaa";
  c.At("shardId-00000000000000000002-bbbbbbbb").last =
      Seq("300000000000000499659");
  ShardPosition& p = c.At("shardId-00000000000000000001-aaaaaaaa");
  p.done = true;
  p.last = Seq("17");
  c.At("shardId-00000000000000000003-cccccccc");
  ASSERT_EQ(c.shards().size(), 3u);
  EXPECT_EQ(c.shards()[0].shard_id, "shardId-00000000000000000001-aaaaaaaa");
  EXPECT_EQ(c.Encode(),
            "C1\n"
            "shardId-00000000000000000001-aaaaaaaa - 17 1\n"
            "shardId-00000000000000000002-bbbbbbbb "
            "shardId-00000000000000000001-aaaaaaaa 300000000000000499659 0\n"
            "shardId-00000000000000000003-cccccccc - - 0");
  Result<StreamCursor> back = StreamCursor::Decode(c.Encode());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, c);
  c.Erase("shardId-00000000000000000001-aaaaaaaa");
  EXPECT_EQ(c.Find("shardId-00000000000000000001-aaaaaaaa"), nullptr);
  EXPECT_NE(c.Find("shardId-00000000000000000003-cccccccc"), nullptr);
  Result<StreamCursor> empty = StreamCursor::Decode("C1");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(StreamCursor, DecodeRefusesDamageNamingTheLine) {
  struct Case {
    std::string text;
    std::string says;
  } cases[] = {
      {"", "line 1"},
      {"C2\na - - 0", "line 1"},
      {"C1\na - - 2", "line 2: done"},
      {"C1\na - 0012 0", "line 2: sequence with leading zeros"},
      {"C1\na - x 0", "line 2"},
      {"C1\na b - 0 extra", "line 2: not 4 fields"},
      {"C1\nb - - 0\na - - 0", "line 3: shards not sorted"},
      {"C1\na - - 0\na - - 1", "line 3"},
      {"C1\nbad/id - - 0", "line 2: bad shard id"},
  };
  for (const Case& c : cases) {
    Result<StreamCursor> r = StreamCursor::Decode(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << c.text;
    EXPECT_NE(r.status().message().find(c.says), std::string::npos)
        << c.text << " -> " << r.status().ToString();
  }
}

}  // namespace
}  // namespace godwit
