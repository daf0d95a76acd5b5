// The capturer: the source table's stream -> the run's durable journal
// (journal.h), from P0 on, so that neither stream retention nor a crash
// loses a change. Its position in the run's progress (journal_offset,
// captured, captured_seq) advances only past records the journal has
// synced.
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

#include "godwit/store.h"
#include "migrate/change_source.h"
#include "migrate/journal.h"
#include "migrate/run.h"
#include "util/mutex.h"

namespace godwit::migrate {

class Capturer {
 public:
  Capturer(Run* run, std::shared_ptr<Table> source);
  Capturer(const Capturer&) = delete;
  Capturer& operator=(const Capturer&) = delete;

  // Opens the journal, truncated to the run's durable offset (journal.h),
  // and, if `on`, the source stream after the run's captured_seq.
  // Errors: the journal's (IOError, DataLoss) and OpenStream's.
  Status Open(bool on) EXCLUDES(mu_);

  // The capture thread: steps until the run stops; an error fails the run.
  void Loop() EXCLUDES(mu_);
  // One step: reads up to 1,000 records into the journal; syncs when idle
  // or every 20 ms, then advances the run's position. *idle: nothing read.
  Status Step(bool* idle) EXCLUDES(mu_);

  // Switches capture on or off; returns once no step is running.
  void SetEnabled(bool on) EXCLUDES(mu_);
  // Reopens the source stream after `mark` (a rollback: records up to it
  // are reverse sync's own writes); capture stays off until SetEnabled.
  Status ReopenAfter(const StreamMark& mark) EXCLUDES(mu_);
  // Syncs the journal and records its durable offset in the run (Stop).
  Status SyncNow() EXCLUDES(mu_);

  // The journal offset up to which records are durable: replay reads no
  // further. Any thread.
  uint64_t synced_offset() const {
    return synced_.load(std::memory_order_acquire);
  }

 private:
  Status SyncLocked() REQUIRES(mu_);

  Run* const run_;
  const std::shared_ptr<Table> source_;

  Mutex mu_;  // held for a whole step
  bool on_ GUARDED_BY(mu_) = false;
  std::unique_ptr<StreamReader> reader_ GUARDED_BY(mu_);
  std::unique_ptr<JournalWriter> journal_ GUARDED_BY(mu_);
  std::chrono::steady_clock::time_point last_sync_ GUARDED_BY(mu_);
  uint64_t unsynced_ GUARDED_BY(mu_) = 0;  // records appended since a sync
  std::atomic<uint64_t> synced_{0};
};

}  // namespace godwit::migrate

#endif  // GODWIT_MIGRATE_CAPTURER_H_
