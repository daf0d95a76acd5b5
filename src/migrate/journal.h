// The run's durable journal: every change record of the source table from P0
// on, copied out of the source stream so that neither stream retention nor a
// crash can lose one. The format is documented at the top of journal.cc and
// in docs/formats/journal.md.
//
// One JournalWriter (the capture thread) appends; any number of
// JournalReaders (replay, verify) read what has been synced. Offsets are byte
// offsets in the file; a reader only reads up to the offset the writer last
// published with Sync(), so it never sees a torn record.
#ifndef GODWIT_MIGRATE_JOURNAL_H_
#define GODWIT_MIGRATE_JOURNAL_H_

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "godwit/status.h"
#include "godwit/store.h"
#include "godwit/stream.h"

namespace godwit::migrate {

// Encodes one change record as a journal payload of `version` (1: no shard
// and sequence text; 2: the current one). Exposed for tests.
// `origin` (version 2): the record's shard and number (null: none).
void EncodeChangeRecord(const ChangeRecord& rec, const RecordOrigin* origin,
                        std::string* out, int version = 2);
// Fills *origin if not null (version 1: kSingleShardId and the sequence).
Result<ChangeRecord> DecodeChangeRecord(std::string_view payload,
                                        int version = 2,
                                        RecordOrigin* origin = nullptr);

class JournalWriter {
 public:
  // Opens (creating if missing) the journal at `path`, truncating it to
  // `durable_offset`: bytes past it were written but never made durable by a
  // checkpoint, so they are dropped and captured again.
  // Errors: IOError; DataLoss if the file is shorter than durable_offset or
  // its header is wrong.
  static Result<std::unique_ptr<JournalWriter>> Open(const std::string& path,
                                                     uint64_t durable_offset);
  ~JournalWriter();
  JournalWriter(const JournalWriter&) = delete;
  JournalWriter& operator=(const JournalWriter&) = delete;

  // `origin`: where the stream gave the record (null: unknown, written
  // empty).
  Status Append(const ChangeRecord& rec, const RecordOrigin* origin = nullptr);
  // Flushes and fsyncs, then publishes the new end offset to readers.
  Status Sync();
  // The offset up to which records are durable (after the last Sync()).
  uint64_t synced_offset() const {
    return synced_offset_.load(std::memory_order_acquire);
  }

 private:
  JournalWriter(std::FILE* f, uint64_t offset, int version);
  std::FILE* file_;
  const int version_;      // of the file's header: appends keep it
  uint64_t write_offset_;  // only the writer thread
  std::string buf_;        // only the writer thread
  std::atomic<uint64_t> synced_offset_;
};

// Reads records sequentially from a byte offset. Not thread-safe; one per
// consumer.
class JournalReader {
 public:
  static Result<std::unique_ptr<JournalReader>> Open(const std::string& path,
                                                     uint64_t offset);
  ~JournalReader();
  JournalReader(const JournalReader&) = delete;
  JournalReader& operator=(const JournalReader&) = delete;

  // Appends up to `max` records lying entirely before `limit_offset` (the
  // writer's synced offset). Appends nothing at the limit.
  // Errors: DataLoss on a corrupt record (CRC mismatch, bad length) with its
  // offset.
  Status Read(uint64_t limit_offset, size_t max, std::vector<ChangeRecord>* out,
              std::vector<RecordOrigin>* origins = nullptr);
  // Offset just past the last record returned.
  uint64_t offset() const { return offset_; }

 private:
  JournalReader(std::FILE* f, uint64_t offset, int version);
  std::FILE* file_;
  uint64_t offset_;
  const int version_;
  uint64_t file_pos_ = UINT64_MAX;  // stdio's position, if known
  std::string buf_;
};

inline constexpr uint64_t kJournalHeaderSize = 8;

}  // namespace godwit::migrate

#endif  // GODWIT_MIGRATE_JOURNAL_H_
