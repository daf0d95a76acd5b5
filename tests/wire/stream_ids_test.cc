#include "wire/stream_ids.h"

#include <gtest/gtest.h>

#include "godwit/json.h"
#include "wire/errors.h"

namespace godwit::wire {
namespace {

std::string Forge(std::string_view payload) {
  std::string out;
  Base64Encode(payload, &out);
  return out;
}

TEST(ShardIterator, RoundTrips) {
  for (ShardIterator it :
       {ShardIterator{"Orders", std::string(kSingleShardId),
                      ShardIterator::Kind::kAfter, 42},
        ShardIterator{"a.b-c_d", std::string(kSingleShardId),
                      ShardIterator::Kind::kTrimHorizon, 0},
        ShardIterator{"T", std::string(kSingleShardId),
                      ShardIterator::Kind::kAfter, UINT64_MAX - 1}}) {
    std::string text = EncodeShardIterator(it);
    Result<ShardIterator> back = DecodeShardIterator(text);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, it);
  }
  // The version-1 payload, byte for byte (docs/formats/streams.md).
  EXPECT_EQ(EncodeShardIterator({"Orders", std::string(kSingleShardId),
                                 ShardIterator::Kind::kAfter, 7}),
            Forge("I1\x1f"
                  "A\x1f"
                  "7\x1f"
                  "Orders"));
}

// Version 2: the shard, when it was made, its chain and the empty pages in
// a row before it (docs/formats/streams.md).
TEST(ShardIterator, VersionTwoCarriesShardIssueTimeChainAndEmpties) {
  ShardIterator it{"Orders", "shardId-00000001764790000000-0a1b2c3d",
                   ShardIterator::Kind::kAfter, 42};
  it.issued_micros = 1764790000123456;
  it.reader = 77;
  it.empties = 2;
  std::string text = EncodeShardIterator(it);
  EXPECT_EQ(text, Forge("I2\x1f"
                        "A\x1f"
                        "42\x1f"
                        "shardId-00000001764790000000-0a1b2c3d\x1f"
                        "1764790000123456\x1f"
                        "77\x1f"
                        "2\x1f"
                        "Orders"));
  Result<ShardIterator> back = DecodeShardIterator(text);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, it);
  // The single shard with any version-2 field is version 2 too.
  ShardIterator single{"T", std::string(kSingleShardId),
                       ShardIterator::Kind::kTrimHorizon, 0};
  single.reader = 5;
  back = DecodeShardIterator(EncodeShardIterator(single));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, single);
  for (std::string bad : {
           Forge("I2\x1f"
                 "A\x1f"
                 "1\x1f"
                 "s\x1f"
                 "1\x1f"
                 "1\x1f"
                 "4294967296\x1f"
                 "T"),  // empties >= 2^32
           Forge("I2\x1f"
                 "A\x1f"
                 "1\x1f"
                 "s\x1f"
                 "1\x1f"
                 "1\x1f"
                 "T"),  // a field missing
           Forge("I2\x1f"
                 "A\x1f"
                 "1\x1f"
                 "\x1f"
                 "1\x1f"
                 "1\x1f"
                 "0\x1f"
                 "T"),  // empty shard id
           Forge("I2\x1f"
                 "A\x1f"
                 "1\x1f"
                 "s\x1f"
                 "9223372036854775808\x1f"
                 "1\x1f"
                 "0\x1f"
                 "T"),  // issued beyond int64
       }) {
    Result<ShardIterator> r = DecodeShardIterator(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(ErrorTypeOf(r.status()), ErrorType::kValidation) << bad;
  }
}

// Regression: a forged iterator at 2^64 - 1 decoded, and GetRecords asked
// the store for the records after it, i.e. from 2^64 - 1 + 1 = 0.
TEST(ShardIterator, AForgedSequenceOf2To64Minus1IsRefusedNotWrappedToZero) {
  Result<ShardIterator> r =
      DecodeShardIterator(Forge("I1\x1f"
                                "A\x1f"
                                "18446744073709551615\x1f"
                                "T"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(ErrorTypeOf(r.status()), ErrorType::kValidation);
  EXPECT_EQ(r.status().message(), "Invalid ShardIterator");
  EXPECT_TRUE(DecodeShardIterator(Forge("I1\x1f"
                                        "A\x1f"
                                        "18446744073709551614\x1f"
                                        "T"))
                  .ok());
}

TEST(ShardIterator, MalformedOnesAreRefused) {
  for (std::string bad : {
           std::string("not base64!"),
           Forge(""),
           Forge("I1"),
           Forge("I2\x1f"
                 "A\x1f"
                 "1\x1f"
                 "T"),  // version
           Forge("I1\x1f"
                 "X\x1f"
                 "1\x1f"
                 "T"),  // kind
           Forge("I1\x1f"
                 "A\x1f"
                 "\x1f"
                 "T"),  // empty
           Forge("I1\x1f"
                 "A\x1f"
                 "007\x1f"
                 "T"),  // zeros
           Forge("I1\x1f"
                 "A\x1f"
                 "-1\x1f"
                 "T"),  // sign
           Forge("I1\x1f"
                 "A\x1f"
                 "18446744073709551616\x1f"
                 "T"),  // 2^64
           Forge("I1\x1f"
                 "A\x1f"
                 "99999999999999999999\x1f"
                 "T"),  // wraps
           Forge("I1\x1f"
                 "A\x1f"
                 "1\x1f"),  // table
           Forge("I1\x1f"
                 "A\x1f"
                 "1"),
       }) {
    Result<ShardIterator> r = DecodeShardIterator(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(ErrorTypeOf(r.status()), ErrorType::kValidation) << bad;
  }
}

TEST(StreamArn, FormatsAndParses) {
  StreamArn a;
  a.region = "eu-west-1";
  a.table = "Orders";
  a.label = StreamLabel(1714566896789000);
  EXPECT_EQ(a.label, "2024-05-01T12:34:56.789");
  EXPECT_EQ(a.Format(),
            "arn:aws:dynamodb:eu-west-1:000000000000:table/Orders/stream/"
            "2024-05-01T12:34:56.789");
  Result<StreamArn> b = StreamArn::Parse(a.Format());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->region, "eu-west-1");
  EXPECT_EQ(b->account, "000000000000");
  EXPECT_EQ(b->table, "Orders");
  EXPECT_EQ(b->label, a.label);
  // Another endpoint's shape: the table is still found.
  Result<StreamArn> c = StreamArn::Parse("arn:x:table/T/stream/L");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->table, "T");
  EXPECT_EQ(c->region, "");
  for (const char* bad :
       {"", "arn:", "table/T/stream/L", "arn:x:table//stream/L",
        "arn:x:table/T", "arn:x/stream/L:table/T"}) {
    Result<StreamArn> r = StreamArn::Parse(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().message(), "Invalid StreamArn");
  }
  EXPECT_EQ(TableArn("r", "T"), "arn:aws:dynamodb:r:000000000000:table/T");
}

TEST(SequenceNumbers, GodwitsTwentyOneDigitsAndClientsUpToForty) {
  EXPECT_EQ(SequenceNumberString(42), "000000000000000000042");
  EXPECT_EQ(SequenceNumberString(UINT64_MAX), "018446744073709551615");
  EXPECT_EQ(*ParseSequenceNumber("000000000000000000042"), 42u);
  EXPECT_EQ(*ParseSequenceNumber("18446744073709551615"), UINT64_MAX);
  EXPECT_EQ(*ParseSequenceNumber(std::string(40, '0')), 0u);
  for (const char* bad : {"", "18446744073709551616", "1a", "-1", " 1",
                          "00000000000000000000000000000000000000001"}) {
    Result<uint64_t> r = ParseSequenceNumber(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(ErrorTypeOf(r.status()), ErrorType::kValidation);
  }
}

// DynamoDB's numbers (moto: "110" + 19 digits) map to uint64 positions and
// back; a stream spanning more than 10^19 is refused, not misordered.
TEST(SequenceCodec, FixedHighPartPerStream) {
  SequenceCodec c("Orders");
  EXPECT_FALSE(c.known());
  Result<uint64_t> v = c.ToU64("1100000000000000000000123");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 123u);
  EXPECT_TRUE(c.known());
  EXPECT_EQ(c.FromU64(124), "1100000000000000000000124");
  Result<uint64_t> far = c.ToU64("1110000000000000000000001");
  EXPECT_EQ(far.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(c.ToU64("12x").status().code(), StatusCode::kUnavailable);

  SequenceCodec g("T");
  EXPECT_EQ(*g.ToU64("000000000000000000042"), 42u);
  EXPECT_EQ(g.FromU64(43), "43");
}

}  // namespace
}  // namespace godwit::wire
