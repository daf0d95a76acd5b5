// Positions in a change stream of many shards (DESIGN.md, "DynamoDB streams,
// as they really are"): a stream position is a set of per-shard positions
// plus the shard lineage known so far, never one number.
//
// A SequenceNumber is a stream record's number as the stream gives it: a
// decimal of 1 to 40 digits (DynamoDB's SequenceNumber; the local store's are
// uint64). Numbers are unique in a stream and grow over time, but records of
// different shards interleave: only the records of one shard lineage are in
// an order that matters.
//
// A StreamCursor says, for every shard known, the last record read from it
// (or none yet) and whether the shard is done (closed and read to its end).
// Resuming from a cursor: a shard with a last record continues after it; a
// shard without continues from its first record (starting earlier is always
// safe: replay converges); a shard the cursor does not know (born since)
// starts at its first record once its parent is done or no longer listed.
//
// Encoded form (the run state keeps it; docs/formats/stream-cursor.md):
//
//   cursor := "C1" shard*
//   shard  := "\n" id " " parent " " last " " done
//   parent := "-" | id                 id: 1..128 bytes of [A-Za-z0-9_.:-]
//   last   := "-" | digits             1..40 digits, no leading zero
//   done   := "0" | "1"
//
// Shards are kept sorted by id. Thread safety: values.
#ifndef GODWIT_STREAM_CURSOR_H_
#define GODWIT_STREAM_CURSOR_H_

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "godwit/status.h"

namespace godwit {

class SequenceNumber {
 public:
  SequenceNumber() = default;  // none
  static SequenceNumber FromU64(uint64_t v);
  // Leading zeros are dropped ("000123" is 123). Errors: InvalidArgument for
  // an empty text, a non-digit, zero, or more than 40 significant digits.
  static Result<SequenceNumber> Parse(std::string_view text);

  bool empty() const { return digits_.empty(); }
  const std::string& text() const { return digits_; }
  // nullopt when empty or over 2^64 - 1.
  std::optional<uint64_t> ToU64() const;

  std::strong_ordering operator<=>(const SequenceNumber& o) const;
  bool operator==(const SequenceNumber& o) const = default;

 private:
  std::string digits_;  // no leading zero; empty = none
};

struct ShardPosition {
  std::string shard_id;
  std::string parent_shard_id;  // empty: none known
  SequenceNumber last;          // the last record read; empty: none yet
  bool done = false;            // closed and read to its end
  bool operator==(const ShardPosition&) const = default;
};

class StreamCursor {
 public:
  // Sorted by shard id.
  const std::vector<ShardPosition>& shards() const { return shards_; }
  bool empty() const { return shards_.empty(); }
  const ShardPosition* Find(std::string_view shard_id) const;
  // The position of `shard_id`, added (not done, nothing read) if missing.
  ShardPosition& At(std::string_view shard_id);
  // Forgets a shard (retention dropped it from the listing).
  void Erase(std::string_view shard_id);

  std::string Encode() const;
  // Errors: DataLoss naming the line and what is wrong.
  static Result<StreamCursor> Decode(std::string_view text);

  bool operator==(const StreamCursor&) const = default;

 private:
  std::vector<ShardPosition> shards_;
};

}  // namespace godwit

#endif  // GODWIT_STREAM_CURSOR_H_
