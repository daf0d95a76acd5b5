// Change sources: where the sync loop (sync_loop.h) reads the changes it
// applies. Replay reads the run's journal (the source table's changes,
// captured from P0 on); reverse sync reads the destination's own stream
// after the cutover. One interface, so that both share one loop, and the
// loop never sees a stream position: a source keeps its position in the
// run's progress and compares records with StreamMarks itself.
#ifndef GODWIT_MIGRATE_CHANGE_SOURCE_H_
#define GODWIT_MIGRATE_CHANGE_SOURCE_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "godwit/store.h"
#include "migrate/journal.h"
#include "migrate/run.h"

namespace godwit::migrate {

class Capturer;

// A point in a table's change stream: "every change up to here". Today a
// stream is one sequence (the local store's, and godwit's view of a
// remote one); with per-shard positions (DESIGN.md, "DynamoDB streams, as
// they really are") it becomes a position per shard, and only the sources,
// the capturer and this type change. Opaque to the sync loop and the
// verifier.
struct StreamMark {
  uint64_t sequence = 0;
  // The mark of a snapshot of the table.
  static StreamMark OfSnapshot(const Snapshot& s) { return {s.sequence()}; }
};

// The newest change of `table` now. Errors: those of Describe.
Result<StreamMark> LatestMark(Table* table);

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
  // Everything applied so far.
  virtual StreamMark AppliedMark() const = 0;
  // The newest change of the upstream table now.
  virtual Result<StreamMark> UpstreamLatest() = 0;
  // Whether every change up to `mark` is applied, given the run's progress.
  virtual bool Reached(const RunState& s, const StreamMark& mark) const = 0;
  // About how many changes up to `latest` are not applied yet (the lag).
  virtual uint64_t Behind(const RunState& s,
                          const StreamMark& latest) const = 0;
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
  StreamMark AppliedMark() const override;
  Result<StreamMark> UpstreamLatest() override;
  // Backfill is done, and capture and replay both passed the mark.
  bool Reached(const RunState& s, const StreamMark& mark) const override;
  uint64_t Behind(const RunState& s, const StreamMark& latest) const override;

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
  // Opens the stream after `after` (and drops what was read before).
  // REQUIRES: the loop is stopped or between steps.
  Status Open(const StreamMark& after);

  std::string_view name() const override { return "reverse-sync"; }
  Status Read(size_t max, const std::optional<StreamMark>& hold,
              std::vector<ChangeRecord>* out) override;
  void Applied(const std::vector<ChangeRecord>& batch) override;
  StreamMark AppliedMark() const override;
  Result<StreamMark> UpstreamLatest() override;
  bool Reached(const RunState& s, const StreamMark& mark) const override;
  uint64_t Behind(const RunState& s, const StreamMark& latest) const override;

 private:
  Run* const run_;
  const std::shared_ptr<Table> table_;
  // Only the loop's thread, or with the loop stopped:
  std::unique_ptr<StreamReader> reader_;
  std::deque<ChangeRecord> stash_;  // read, not yet returned (past the hold)
};

}  // namespace godwit::migrate

#endif  // GODWIT_MIGRATE_CHANGE_SOURCE_H_
