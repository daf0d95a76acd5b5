// Change sources: where the sync loop (sync_loop.h) reads the changes it
// applies. Replay reads the run's journal (the source table's changes,
// captured from P0 on); reverse sync reads the destination's own stream
// after the cutover. One interface, so that both share one loop, and the
// loop never sees a stream position: a source keeps its position in the
// run's progress (a journal offset; a StreamCursor) and compares records
// with StreamMarks itself.
//
// Caught up, without a tail reader: "caught up after T" = the source's
// reader (the capturer's, or reverse sync's own) had every shard at its
// head in a Read that started after T + d (d: the stream's record delay),
// and everything that reader returned up to then is applied. HeadAfter(T)
// waits for the first, Reached() for the second.
#ifndef GODWIT_MIGRATE_CHANGE_SOURCE_H_
#define GODWIT_MIGRATE_CHANGE_SOURCE_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "godwit/store.h"
#include "godwit/stream.h"
#include "migrate/journal.h"
#include "migrate/run.h"
#include "util/mutex.h"

namespace godwit::migrate {

class Capturer;

// A point the sync loop is asked to reach or hold at. Opaque to the sync
// loop and the verifier; only the sources read it.
//   - A drain target (HeadAfter): `progress` is the journal offset (replay)
//     or the count of stream records read (reverse sync) that must be
//     applied: everything before it was read to the upstream's head after
//     the moment asked for.
//   - A snapshot's sequence (OfSnapshot): verify's hold on a store with
//     snapshots, which has one shard (the local store): every change with a
//     sequence up to it, exactly.
//   - Frozen: nothing more.
struct StreamMark {
  uint64_t sequence = 0;
  uint64_t progress = 0;
  bool by_sequence = false;
  bool frozen = false;
  static StreamMark OfSnapshot(const Snapshot& s) {
    return {s.sequence(), 0, true, false};
  }
  static StreamMark Frozen() { return {0, 0, false, true}; }
  // Whether a record read is past the hold (it waits).
  bool Holds(const ChangeRecord& r) const {
    return frozen || (by_sequence && r.sequence > sequence);
  }
};

// A head mark of a reader: every upstream change acknowledged before `at`
// minus the reader's record delay was read before `progress` (see
// StreamMark).
struct HeadMark {
  std::chrono::steady_clock::time_point at{};
  uint64_t progress = 0;
};

// See ChangeSource::HeadAfter.
inline constexpr std::chrono::seconds kLiveHeadWait{5};
inline constexpr std::chrono::seconds kLiveReadSlack{2};

class ChangeSource {
 public:
  virtual ~ChangeSource() = default;

  // What the loop is called in errors and dead letters: "replay",
  // "reverse-sync".
  virtual std::string_view name() const = 0;

  // The next records in order, at most `max`, none past `hold` if set.
  // Appends nothing when there is nothing (more) to apply now.
  // Called by the sync loop only, one call at a time, each followed by
  // Applied() once the records are applied.
  virtual Status Read(size_t max, const std::optional<StreamMark>& hold,
                      std::vector<ChangeRecord>* out) = 0;
  // The records of the last Read are applied: the run's position moves past
  // them (and only now: a crash before re-applies them).
  virtual void Applied(const std::vector<ChangeRecord>& batch) = 0;

  // The rest: any thread.
  // Blocks until the upstream was read to its head after `after` plus the
  // stream's record delay (docs/engine.md, "Caught up"), and returns the
  // drain target of that head. With `live`, gives up waiting for a head
  // after kLiveHeadWait and takes the first read that started after
  // `after` + the record delay + kLiveReadSlack instead: a stream written
  // without pause may show no head (a remote shard needs K empty pages in
  // a row), and live verify and WaitCaughtUp must end; the flips' drains
  // (writes held) never use it. Errors: the run's error; Cancelled.
  virtual Result<StreamMark> HeadAfter(
      std::chrono::steady_clock::time_point after, bool live) = 0;
  // Whether every change up to `mark` is applied, given the run's progress.
  virtual bool Reached(const RunState& s, const StreamMark& mark) const = 0;
  // How many records read from the upstream are not applied yet (the lag).
  virtual uint64_t Behind(const RunState& s) const = 0;
  // The sequence of the last record applied (uint64; exact on one shard),
  // for reports.
  virtual uint64_t AppliedSequence(const RunState& s) const = 0;
};

// Replay: the journal, from the run's replay offset, up to what the
// capturer has made durable.
class JournalSource : public ChangeSource {
 public:
  JournalSource(Run* run, const Capturer* capture,
                std::shared_ptr<Table> source);
  // Opens the journal at the run's replay offset.
  Status Open();

  std::string_view name() const override { return "replay"; }
  Status Read(size_t max, const std::optional<StreamMark>& hold,
              std::vector<ChangeRecord>* out) override;
  void Applied(const std::vector<ChangeRecord>& batch) override;
  // The capturer's head mark; its target is a journal offset.
  Result<StreamMark> HeadAfter(std::chrono::steady_clock::time_point after,
                               bool live) override;
  // Backfill is done, and replay applied the journal up to the mark.
  bool Reached(const RunState& s, const StreamMark& mark) const override;
  // Records in the journal not applied yet.
  uint64_t Behind(const RunState& s) const override;
  uint64_t AppliedSequence(const RunState& s) const override {
    return s.replayed_seq;
  }

 private:
  Run* const run_;
  const Capturer* const capture_;
  const std::shared_ptr<Table> source_;
  // Only the loop's thread (Read / Applied):
  std::unique_ptr<JournalReader> reader_;
  // A record read but not returned because it is past the hold, and the
  // journal offset just past it.
  std::optional<ChangeRecord> stash_;
  uint64_t stash_end_ = 0;
  uint64_t batch_end_ = 0;  // journal offset just past the last Read
};

// Reverse sync: the destination's stream, after the cutover's mark.
class TableStreamSource : public ChangeSource {
 public:
  TableStreamSource(Run* run, std::shared_ptr<Table> table);
  // Opens the stream at `start` (and drops what was read before), or takes
  // `reader` (opened by the cutover under its hold). The run's
  // reverse_cursor takes the reader's cursor.
  // REQUIRES: the loop is stopped or between steps.
  Status Open(const StreamStart& start);
  void OpenWith(std::unique_ptr<ShardedStreamReader> reader);

  std::string_view name() const override { return "reverse-sync"; }
  Status Read(size_t max, const std::optional<StreamMark>& hold,
              std::vector<ChangeRecord>* out) override;
  // Moves reverse_cursor to the reader's cursor once everything read is
  // applied.
  void Applied(const std::vector<ChangeRecord>& batch) override;
  // This source's own reader's head mark; its target is a count of records
  // read.
  Result<StreamMark> HeadAfter(std::chrono::steady_clock::time_point after,
                               bool live) override;
  bool Reached(const RunState& s, const StreamMark& mark) const override;
  uint64_t Behind(const RunState& s) const override;
  uint64_t AppliedSequence(const RunState& s) const override {
    return s.reverse_seq;
  }

 private:
  std::optional<HeadMark> head() const EXCLUDES(mark_mu_);

  Run* const run_;
  const std::shared_ptr<Table> table_;
  // Only the loop's thread, or with the loop stopped:
  std::unique_ptr<ShardedStreamReader> reader_;
  std::deque<ChangeRecord> stash_;  // read, not yet returned (past the hold)
  // Records read from reader_ and applied; its head mark (any thread).
  std::atomic<uint64_t> read_{0}, applied_{0};
  std::atomic<int64_t> delay_ms_{0};
  mutable Mutex mark_mu_;
  std::optional<HeadMark> head_ GUARDED_BY(mark_mu_);
  std::optional<HeadMark> read_mark_ GUARDED_BY(mark_mu_);  // any Read
};

}  // namespace godwit::migrate

#endif  // GODWIT_MIGRATE_CHANGE_SOURCE_H_
