// Names and positions of DynamoDB Streams on the wire: stream labels and
// ARNs, shard ids, shard iterators and sequence-number strings. The grammar
// of each is at the top of stream_ids.cc and in docs/formats/streams.md.
//
// godwit serve's stream has one shard per table by default
// (kSingleShardId), or many, rotating (server/stream_layout.h). Iterators
// are version 2 (shard id, issue time, reader id, consecutive empty pages);
// version-1 iterators (the single shard only, no issue time) still decode.
//
// Thread safety: functions are pure; SequenceCodec is one reader's.
#ifndef GODWIT_WIRE_STREAM_IDS_H_
#define GODWIT_WIRE_STREAM_IDS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "godwit/status.h"

namespace godwit::wire {

// The shard of a godwit serve stream. It never closes.
inline constexpr std::string_view kSingleShardId =
    "shardId-00000000000000000001-00000001";
// The account in ARNs godwit serve makes.
inline constexpr std::string_view kLocalAccount = "000000000000";

// "2024-05-01T12:34:56.789" (UTC, milliseconds): a stream's label, from the
// table's creation time.
std::string StreamLabel(int64_t created_micros);

// "arn:aws:dynamodb:<region>:<account>:table/<table>".
std::string TableArn(std::string_view region, std::string_view table,
                     std::string_view account = kLocalAccount);

struct StreamArn {
  std::string region;
  std::string account = std::string(kLocalAccount);
  std::string table;
  std::string label;

  // "arn:aws:dynamodb:<region>:<account>:table/<table>/stream/<label>".
  std::string Format() const;
  // Accepts what Format writes and any "arn:...:table/<t>/stream/<l>" (an
  // endpoint's ARNs need not have godwit's region and account fields).
  // Errors: ValidationException "Invalid StreamArn".
  static Result<StreamArn> Parse(std::string_view arn);
};

// Where GetRecords continues. An iterator names one shard of one table's
// stream; `after` is the last sequence already returned.
struct ShardIterator {
  enum class Kind : uint8_t {
    kTrimHorizon,  // from the oldest record kept
    kAfter,        // after `after`
  };
  std::string table;
  std::string shard_id = std::string(kSingleShardId);
  Kind kind = Kind::kAfter;
  uint64_t after = 0;  // kAfter; < UINT64_MAX (the next one must exist)
  // Version 2. When GetShardIterator or GetRecords made this iterator
  // (microseconds since the epoch; 0: a version-1 iterator, which does not
  // expire).
  int64_t issued_micros = 0;
  // The iterator chain: GetShardIterator starts one, each NextShardIterator
  // continues it (0: a version-1 iterator).
  uint64_t reader = 0;
  // Empty pages in a row on this chain just before this iterator.
  uint32_t empties = 0;

  friend bool operator==(const ShardIterator&, const ShardIterator&) = default;
};

// The opaque iterator string: version 1 when `it` is what version 1 holds
// (the single shard, issued_micros, reader and empties 0), else version 2.
// REQUIRES: after < UINT64_MAX, table not empty, shard_id 1..128 bytes
// without US (0x1F).
std::string EncodeShardIterator(const ShardIterator& it);
// Errors: ValidationException "Invalid ShardIterator" for anything
// EncodeShardIterator did not write: bad base64, an unknown version, a
// malformed field, a sequence above 2^64 - 2 (which could not be continued
// without wrapping to 0).
Result<ShardIterator> DecodeShardIterator(std::string_view text);

// godwit serve's SequenceNumber: the store's sequence as 21 digits,
// zero-padded ("000000000000000000042").
std::string SequenceNumberString(uint64_t seq);
// A client's SequenceNumber: 1 to 40 decimal digits whose value fits in a
// uint64. Errors: ValidationException "Invalid SequenceNumber".
Result<uint64_t> ParseSequenceNumber(std::string_view text);

// DynamoDB's sequence numbers are decimal strings of up to 40 digits; a
// stream's numbers share their digits above the last 19 (moto: "110" + 19
// digits; godwit serve: 21 digits, all leading zeros). The codec maps them
// to the uint64 positions of the Store interface: the last 19 digits, the
// high part learned from the first number seen and checked on every later
// one (a stream whose numbers span more than 10^19 cannot be represented).
class SequenceCodec {
 public:
  explicit SequenceCodec(std::string table) : table_(std::move(table)) {}
  // Errors: Unavailable for a malformed number (the endpoint's fault);
  // FailedPrecondition for a high part other than the stream's.
  Result<uint64_t> ToU64(std::string_view seq);
  // The string of position `v` with the stream's high part.
  std::string FromU64(uint64_t v) const;
  bool known() const { return known_; }

 private:
  std::string table_;
  bool known_ = false;
  std::string high_;
};

}  // namespace godwit::wire

#endif  // GODWIT_WIRE_STREAM_IDS_H_
