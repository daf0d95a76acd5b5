// The shards `godwit serve` shows over a table's change stream, as DynamoDB
// has them (DESIGN.md, "DynamoDB streams, as they really are"): several
// shards open at once, each holding the records of a range of partition-key
// hashes; every so often each open shard closes and a child opens (now and
// then two: a split), with ParentShardId; closed shards keep their records
// and stay listed until retention forgets them.
//
// The store underneath has ONE ordered stream (sequence numbers 1, 2, ...).
// A layout cuts it into shards along two axes: time, by the sequence number
// at which each rotation happened, and space, by the 64-bit hash of the
// record's partition key. A record belongs to exactly one shard: the one
// whose sequence range and hash range contain it. So every shard's records
// are in sequence order, a key's records stay in one lineage (a child's hash
// range lies inside its parent's), and the records of different shards
// interleave, as on DynamoDB.
//
// Encoded form (persisted by the server so that the lineage survives a
// restart; fields separated by ' ', shards by '\n'):
//
//   layout  := "L1" SP shards SP rotate_ms SP split_per_mille SP seed SP
//              epoch SP last_rotation_micros "\n" shard*
//   shard   := id SP parent SP hash_lo SP hash_hi SP first_seq SP last_seq
//              SP opened_micros SP closed_micros "\n"
//   parent  := "-" | id
//   last_seq, closed_micros := 0 while the shard is open
//
// Thread safety: a StreamLayout is a value; the server guards its copy.
#ifndef GODWIT_SERVER_STREAM_LAYOUT_H_
#define GODWIT_SERVER_STREAM_LAYOUT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "godwit/item.h"
#include "godwit/status.h"

namespace godwit::server {

struct StreamLayoutOptions {
  int shards = 1;             // open shards at the start, 1..1000
  int64_t rotate_micros = 0;  // 0: shards never close
  int split_per_mille = 250;  // chance that a rotating shard splits
  uint64_t seed = 0;          // makes the splits reproducible
};

struct LayoutShard {
  std::string id;      // "shardId-<20 digits: opened ms>-<8 hex>"
  std::string parent;  // "" for a shard of the first epoch
  uint64_t hash_lo = 0, hash_hi = 0;  // inclusive range of key hashes
  uint64_t first_seq = 0;             // its records are >= first_seq
  uint64_t last_seq = 0;              // and <= last_seq once closed
  int64_t opened_micros = 0;
  int64_t closed_micros = 0;  // 0 while open
  bool open() const { return closed_micros == 0; }
  bool Holds(uint64_t seq, uint64_t hash) const {
    return hash >= hash_lo && hash <= hash_hi && seq >= first_seq &&
           (open() || seq <= last_seq);
  }
};

class StreamLayout {
 public:
  // A layout whose first epoch starts at sequence `first_seq`. With one
  // shard, the first epoch's shard is wire::kSingleShardId (the shard
  // godwit serve has always had), so that a table served first with the
  // defaults and later with rotation keeps it as the root of its lineage.
  // Errors: InvalidArgument for options out of range.
  static Result<StreamLayout> Start(const StreamLayoutOptions& opts,
                                    uint64_t first_seq, int64_t now_micros);

  const StreamLayoutOptions& options() const { return opts_; }
  // Shards in the order they were opened (parents before children).
  const std::vector<LayoutShard>& shards() const { return shards_; }

  // Changes how the layout rotates from now on (a server restarted with
  // other options keeps a table's shards, and rotates them its new way).
  // The number of shards it started with (the split cap) is kept.
  // Errors: InvalidArgument as Start.
  Status SetRotation(int64_t rotate_micros, int split_per_mille);
  // Whether the layout is exactly what Start makes with one shard and no
  // rotation: nothing that needs persisting.
  bool Trivial() const {
    return shards_.size() == 1 && shards_[0].open() &&
           shards_[0].parent.empty() && epoch_ == 0 && opts_.shards == 1;
  }
  int64_t last_rotation_micros() const { return last_rotation_micros_; }

  // Whether a rotation is due at `now_micros`.
  bool RotationDue(int64_t now_micros) const;
  // Closes every open shard at `last_seq` (the stream's newest sequence at
  // this moment: every record up to it stays where it is) and opens their
  // children from last_seq + 1; a shard splits into two children (halving
  // its hash range) with the options' chance while fewer than twice the
  // initial number of shards are open. A shard whose range is a single
  // hash never splits.
  void Rotate(uint64_t last_seq, int64_t now_micros);

  // The shard of the record `seq` of a partition key hashing to `hash`;
  // nullptr if seq precedes the layout or its shard was forgotten.
  const LayoutShard* Find(uint64_t seq, uint64_t hash) const;
  const LayoutShard* Get(std::string_view id) const;
  // The open shard that new records of a key hashing to `hash` go to.
  const LayoutShard* OpenShardOf(uint64_t hash) const;

  // Forgets shards closed before `cutoff_micros` (stream retention: their
  // records are trimmed). Returns how many were forgotten.
  size_t Forget(int64_t cutoff_micros);

  std::string Encode() const;
  // Errors: DataLoss naming the line.
  static Result<StreamLayout> Decode(std::string_view text);

  // The hash of a partition key value that places its records.
  static uint64_t KeyHash(const AttributeValue& partition_key);

 private:
  StreamLayout() = default;
  std::string NewId(int64_t now_micros, uint64_t salt) const;

  StreamLayoutOptions opts_;
  uint64_t epoch_ = 0;  // rotations so far
  int64_t last_rotation_micros_ = 0;
  std::vector<LayoutShard> shards_;
};

}  // namespace godwit::server

#endif  // GODWIT_SERVER_STREAM_LAYOUT_H_
