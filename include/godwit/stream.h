// Reading a change stream of many shards by per-shard positions (DESIGN.md,
// "DynamoDB streams, as they really are"; docs/remote.md, "Streams").
//
// StreamReader (store.h) counts one uint64 position: exact for the local
// store's single shard, wrong for DynamoDB's streams, whose shards each need
// their own position. The engine reads every stream through this interface:
//
//   ASSIGN_OR_RETURN(std::unique_ptr<ShardedStreamReader> r,
//                    OpenShardedStream(table, StreamStart::Latest()));
//   std::vector<ChangeRecord> recs;
//   std::vector<RecordOrigin> origins;   // one per record: shard, number
//   ReadInfo info;
//   RETURN_IF_ERROR(r->Read(1000, &recs, &origins, &info));
//   StreamCursor where = r->cursor();    // durable: resume with From(where)
//
// A table whose stream has shards implements ShardedStreams (the remote
// store's tables; a router's, by forwarding); for any other table the
// stream is one shard, kSingleShardId, read through Table::OpenStream
// (exact for the local store: one empty read is the head).
//
// Thread safety: a ShardedStreamReader is used by one thread at a time.
#ifndef GODWIT_STREAM_H_
#define GODWIT_STREAM_H_

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "godwit/status.h"
#include "godwit/store.h"
#include "godwit/stream_cursor.h"

namespace godwit {

// The shard id of a one-shard stream (the local store's): its cursor is one
// ShardPosition with this id, `last` the uint64 sequence of the last record
// read (as a SequenceNumber).
inline constexpr std::string_view kSingleShardId = "shard-0";

// Where a reader of many shards starts:
//   TrimHorizon  every shard from its first record kept
//   Latest       each open shard at its head now, closed shards done (the P0
//                of a new run); a shard born later from its first record.
//                A shard it has read nothing from has no `last` in the
//                cursor: resuming from the cursor re-reads it from its
//                first record (earlier is always safe).
//   From(c)      the cursor's positions (stream_cursor.h, "Resuming")
struct StreamStart {
  enum class Kind : uint8_t { kTrimHorizon, kLatest, kFrom };
  Kind kind = Kind::kTrimHorizon;
  StreamCursor cursor;  // kFrom
  static StreamStart TrimHorizon() { return {Kind::kTrimHorizon, {}}; }
  static StreamStart Latest() { return {Kind::kLatest, {}}; }
  static StreamStart From(StreamCursor c) {
    return {Kind::kFrom, std::move(c)};
  }
};

// What one Read found about the stream's head.
struct ReadInfo {
  using Clock = std::chrono::steady_clock;
  // When the call started.
  Clock::time_point started{};
  // Whether this call found the head: every shard that is not done was
  // read to its head during the call (the local store: fewer records than
  // asked for, exact; the remote store: K consecutive empty pages of each
  // shard, all requested during the call).
  bool at_head = false;
  // If set: every record written (acknowledged) before caught_up_to -
  // record_delay() has been returned by this reader, by the end of this
  // call. At least `started` when at_head; older when some shards were
  // last confirmed at their head in earlier calls. Unset: nothing to say
  // (a caller keeps the latest it was given).
  std::optional<Clock::time_point> caught_up_to;
};

// Where a record was read from: its shard and its number as the stream
// gives it (ChangeRecord::sequence is the store's uint64, exact on one
// shard only).
struct RecordOrigin {
  std::string shard_id;
  SequenceNumber sequence_number;
};

class ShardedStreamReader {
 public:
  virtual ~ShardedStreamReader() = default;
  // Appends up to `max` records after the reader's position, and one origin
  // per record to `origins` (if not null), and advances. Records of one
  // shard come in order, a parent's before its children's; records of
  // different shards interleave.
  // Errors: DataLoss if a position was trimmed or a shard not done is gone,
  // naming the table, the shard and what to do.
  virtual Status Read(size_t max, std::vector<ChangeRecord>* out,
                      std::vector<RecordOrigin>* origins, ReadInfo* info) = 0;
  // The durable position: everything up to it has been returned by Read.
  virtual StreamCursor cursor() const = 0;
  // How long after a write is acknowledged its record may still be missing
  // from the stream (0 for the local store; the remote store's
  // stream_record_delay_ms).
  virtual std::chrono::milliseconds record_delay() const = 0;
  // The uint64 sequence of the last record returned (exact on one shard).
  virtual uint64_t position() const = 0;
};

// Implemented by tables whose streams have shards of their own.
class ShardedStreams {
 public:
  virtual ~ShardedStreams() = default;
  // Errors: FailedPrecondition if the table has no stream, or `start` is a
  // cursor of one shard named kSingleShardId (an old run state's, or the
  // local store's: not a position in this stream); DataLoss as Read.
  virtual Result<std::unique_ptr<ShardedStreamReader>> OpenShardedStream(
      const StreamStart& start) = 0;
};

// Opens `table`'s stream at `start`: through ShardedStreams if the table
// implements it, else as one shard (kSingleShardId) over Table::OpenStream,
// whose cursor must name no other shard (InvalidArgument); a cursor's shard
// without `last` starts after 0 (DataLoss once retention trimmed
// sequence 1).
Result<std::unique_ptr<ShardedStreamReader>> OpenShardedStream(
    Table* table, const StreamStart& start);

}  // namespace godwit

#endif  // GODWIT_STREAM_H_
