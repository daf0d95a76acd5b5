// The capturer: the source table's stream -> the run's durable journal
// (journal.h), from P0 on, so that neither stream retention nor a crash
// loses a change. Its position in the run's progress (journal_offset and
// capture_cursor, always set together; captured, captured_seq) advances
// only past records the journal has synced.
//
// "Caught up" comes from the capturing reader itself, never from a second
// reader: each Read says when the reader last had every shard at its head
// (ReadInfo::caught_up_to); once the records returned up to that Read are
// synced, the capturer publishes a head mark {caught_up_to, offset}: every
// source change acknowledged before caught_up_to - record_delay() is in the
// journal before `offset`. Drains wait for a mark past their moment
// (change_source.h, JournalSource::HeadAfter).
//
// Threads: Loop() is the capture thread; the other methods may be called
// from any thread (a control operation switches capture off for a flip and
// back on after a rollback).
#ifndef GODWIT_MIGRATE_CAPTURER_H_
#define GODWIT_MIGRATE_CAPTURER_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>

#include "godwit/store.h"
#include "godwit/stream.h"
#include "migrate/change_source.h"
#include "migrate/journal.h"
#include "migrate/run.h"
#include "util/mutex.h"

namespace godwit::migrate {

// See above. `at` is a steady-clock time.
struct CaptureMark {
  std::chrono::steady_clock::time_point at{};
  uint64_t offset = 0;
};

class Capturer {
 public:
  Capturer(Run* run, std::shared_ptr<Table> source);
  Capturer(const Capturer&) = delete;
  Capturer& operator=(const Capturer&) = delete;

  // Opens the journal, truncated to the run's durable offset (journal.h),
  // and, if `on`, the source stream: `p0_reader` if given (a new run's
  // reader opened at Latest when P0 was marked, before the first scan
  // read), else from the run's capture_cursor.
  // Errors: the journal's (IOError, DataLoss) and OpenStream's.
  Status Open(bool on, std::unique_ptr<ShardedStreamReader> p0_reader = nullptr)
      EXCLUDES(mu_);

  // The capture thread: steps until the run stops; an error fails the run.
  void Loop() EXCLUDES(mu_);
  // One step: reads up to 1,000 records into the journal; syncs when idle
  // or every 20 ms, then advances the run's position. *idle: nothing read.
  Status Step(bool* idle) EXCLUDES(mu_);

  // Switches capture on or off; returns once no step is running.
  void SetEnabled(bool on) EXCLUDES(mu_);
  // Reopens the source stream at `start` (a rollback); capture stays off
  // until SetEnabled. The run's capture_cursor takes the new reader's.
  Status Reopen(const StreamStart& start) EXCLUDES(mu_);
  // Syncs the journal and records its durable offset in the run (Stop).
  Status SyncNow() EXCLUDES(mu_);

  // The journal offset up to which records are durable: replay reads no
  // further. Any thread.
  uint64_t synced_offset() const {
    return synced_.load(std::memory_order_acquire);
  }
  // The latest head mark (see above), if any. Any thread.
  std::optional<CaptureMark> head() const EXCLUDES(mark_mu_);
  // The latest read mark: `at` is when the last Read whose records are
  // synced before `offset` started (no head needed). Any thread.
  std::optional<CaptureMark> last_read() const EXCLUDES(mark_mu_);
  // The reader's record delay (0 before Open). Any thread.
  std::chrono::milliseconds record_delay() const {
    return std::chrono::milliseconds(delay_ms_.load(std::memory_order_acquire));
  }

 private:
  Status SyncLocked() REQUIRES(mu_);
  void Publish(std::optional<std::chrono::steady_clock::time_point> head,
               std::chrono::steady_clock::time_point read, uint64_t offset)
      EXCLUDES(mark_mu_);

  Run* const run_;
  const std::shared_ptr<Table> source_;

  Mutex mu_;  // held for a whole step
  bool on_ GUARDED_BY(mu_) = false;
  std::unique_ptr<ShardedStreamReader> reader_ GUARDED_BY(mu_);
  std::unique_ptr<JournalWriter> journal_ GUARDED_BY(mu_);
  std::chrono::steady_clock::time_point last_sync_ GUARDED_BY(mu_);
  uint64_t unsynced_ GUARDED_BY(mu_) = 0;  // records appended since a sync
  // A head mark of the reader not yet published: it waits for the sync of
  // the records returned up to it.
  std::optional<std::chrono::steady_clock::time_point> pending_head_
      GUARDED_BY(mu_);
  std::optional<std::chrono::steady_clock::time_point> pending_read_
      GUARDED_BY(mu_);
  std::atomic<uint64_t> synced_{0};
  std::atomic<int64_t> delay_ms_{0};
  mutable Mutex mark_mu_;
  std::optional<CaptureMark> head_ GUARDED_BY(mark_mu_);
  std::optional<CaptureMark> read_ GUARDED_BY(mark_mu_);
};

}  // namespace godwit::migrate

#endif  // GODWIT_MIGRATE_CAPTURER_H_
