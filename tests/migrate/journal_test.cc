// The run journal: version 2 keeps each record's shard and sequence number
// as the stream gave them; a version 1 journal (one shard, uint64
// sequences) is still read, and appended to in its own version.
#include "migrate/journal.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "testutil/status_testing.h"
#include "testutil/temp_dir.h"

namespace godwit::migrate {
namespace {

ChangeRecord Rec(uint64_t seq) {
  ChangeRecord r;
  r.sequence = seq;
  r.time_micros = 1700000000000000 + static_cast<int64_t>(seq);
  r.type = ChangeType::kInsert;
  r.keys.Set("pk", AttributeValue::S("k" + std::to_string(seq)));
  r.new_image = r.keys;
  return r;
}

RecordOrigin Origin(const std::string& shard, const std::string& seqno) {
  return {shard, *SequenceNumber::Parse(seqno)};
}

std::string Header(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::string h(4, '\0');
  f.read(h.data(), 4);
  return h;
}

TEST(JournalTest, Version2KeepsShardAndSequenceText) {
  test::TempDir dir;
  std::string path = dir.Join("journal.gwj");
  ASSERT_OK_AND_ASSIGN(auto w, JournalWriter::Open(path, 0));
  std::string big = "4000000000000000000000000000123";  // > 2^64
  RecordOrigin a = Origin("shardId-00000001-aa", big);
  RecordOrigin b = Origin("shardId-00000002-bb", "55");
  ASSERT_OK(w->Append(Rec(7), &a));
  ASSERT_OK(w->Append(Rec(3), &b));
  ASSERT_OK(w->Sync());
  EXPECT_EQ(Header(path), "GWJ2");
  ASSERT_OK_AND_ASSIGN(auto r, JournalReader::Open(path, 0));
  std::vector<ChangeRecord> out;
  std::vector<RecordOrigin> origins;
  ASSERT_OK(r->Read(w->synced_offset(), 10, &out, &origins));
  ASSERT_EQ(out.size(), 2u);
  ASSERT_EQ(origins.size(), 2u);
  EXPECT_EQ(origins[0].shard_id, "shardId-00000001-aa");
  EXPECT_EQ(origins[0].sequence_number.text(), big);
  EXPECT_EQ(out[0].sequence, 7u);
  EXPECT_EQ(origins[1].shard_id, "shardId-00000002-bb");
  EXPECT_EQ(origins[1].sequence_number.text(), "55");
  EXPECT_EQ(*out[1].new_image, *Rec(3).new_image);
}

TEST(JournalTest, AVersion1JournalIsReadAsOneShardAndKeepsItsVersion) {
  test::TempDir dir;
  std::string path = dir.Join("journal.gwj");
  {
    // A journal an older godwit started: its header only.
    std::ofstream f(path, std::ios::binary);
    f.write("GWJ1\0\0\0\0", 8);
  }
  ASSERT_OK_AND_ASSIGN(auto w, JournalWriter::Open(path, 8));
  RecordOrigin o = Origin("ignored-in-v1", "41");
  ASSERT_OK(w->Append(Rec(41), &o));
  ASSERT_OK(w->Append(Rec(42), &o));
  ASSERT_OK(w->Sync());
  EXPECT_EQ(Header(path), "GWJ1");
  ASSERT_OK_AND_ASSIGN(auto r, JournalReader::Open(path, 0));
  std::vector<ChangeRecord> out;
  std::vector<RecordOrigin> origins;
  ASSERT_OK(r->Read(w->synced_offset(), 10, &out, &origins));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(origins[0].shard_id, kSingleShardId);
  EXPECT_EQ(origins[0].sequence_number, SequenceNumber::FromU64(41));
  EXPECT_EQ(out[1].sequence, 42u);
}

TEST(JournalTest, APayloadOfOneVersionIsNotReadAsTheOther) {
  RecordOrigin o = Origin("s", "5");
  std::string v2;
  EncodeChangeRecord(Rec(5), &o, &v2, 2);
  EXPECT_EQ(DecodeChangeRecord(v2, 1).status().code(), StatusCode::kDataLoss);
  std::string v1;
  EncodeChangeRecord(Rec(5), &o, &v1, 1);
  EXPECT_EQ(DecodeChangeRecord(v1, 2).status().code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace godwit::migrate
