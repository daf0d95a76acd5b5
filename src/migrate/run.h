// One migration run: what it is (its identity, constant once the run is
// planned or resumed) apart from how far it got (its progress, the durable
// RunState, guarded by the run's mutex), the run's phases and the moves
// allowed between them, its first error, and the waits on its progress.
//
// Every phase object of the engine (capturer, backfiller, sync loops,
// verifier, flips) shares the one Run of its migration: they advance its
// progress through Update(), and wait on it with WaitUntil().
//
// Thread safety: all methods are safe to call from any thread.
#ifndef GODWIT_MIGRATE_RUN_H_
#define GODWIT_MIGRATE_RUN_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "godwit/migrate.h"
#include "godwit/status.h"
#include "godwit/store.h"
#include "migrate/run_state.h"
#include "util/mutex.h"

namespace godwit::migrate {

// What a run is. Constant after the run is planned or resumed.
struct RunIdentity {
  std::string run_id;
  std::string logical;
  std::string source;
  std::string destination;
  KeySchema destination_key_schema;
  std::string journal_path;      // <run dir>/journal.gwj
  std::string dead_letter_path;  // <run dir>/dead-letter.jsonl
  // The run's stream consumer on the source and the destination.
  std::string consumer;

  static RunIdentity Of(const RunState& s, const std::string& run_dir);
};

// The run's state machine: the phases and every move between them, in one
// place. A move not listed is refused.
//
//   backfill    -> replay        every segment is checkpointed
//   replay      -> cut-over      Cutover (the fenced flip)
//   rolled-back -> cut-over      Cutover again after a rollback
//   cut-over    -> rolled-back   Rollback
//   cut-over    -> finished      Finish
//
// On resume the pointer is the truth about which side is active: a flip
// saves the state and then writes the pointer (its commit point), so a
// crash in between leaves the state one phase ahead:
//
//   cut-over    -> replay        the cutover's pointer write did not happen
//   rolled-back -> cut-over      the rollback's pointer write did not happen
//   replay      -> cut-over      a checkpoint older than the cutover's was
//                                saved last (saves were not serialised
//                                before this version)
enum class PhaseMove : uint8_t { kRun, kResume };
bool MoveAllowed(RunPhase from, RunPhase to, PhaseMove kind);

class Run {
 public:
  // `store` holds the control table the state is saved to (may be null in
  // tests that never Save()).
  Run(Store* store, RunIdentity id, RunState state);
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;

  const RunIdentity& id() const { return id_; }

  // ------------------------------------------------------------ progress
  // A copy of the durable progress.
  RunState state() const EXCLUDES(mu_);
  RunPhase phase() const EXCLUDES(mu_);
  // Runs `fn` on the progress under the run's lock (fn must not call back
  // into the Run), marks it for the next checkpoint, and wakes waiters.
  void Update(const std::function<void(RunState&)>& fn) EXCLUDES(mu_);
  // Runs `fn` on the progress under the run's lock.
  void Read(const std::function<void(const RunState&)>& fn) const EXCLUDES(mu_);

  // Moves to phase `to`, and forgets the last verify (it proved something
  // about the phase before). Errors: FailedPrecondition for a move the
  // state machine does not allow, naming both phases.
  Status MoveTo(RunPhase to, PhaseMove kind = PhaseMove::kRun) EXCLUDES(mu_);

  // The last verify of the run, which the flips' gate reads. Recorded by
  // verify; forgotten when what it proved may no longer hold (MoveTo,
  // Fail, a destination created anew).
  void RecordVerify(const VerifyRecord& v) EXCLUDES(mu_);
  void ForgetVerify() EXCLUDES(mu_);

  // Backfill progress: segment `seg` moved past one page, whose writes
  // were acknowledged. Returns true if this completed the last segment (the
  // run then moved to replay).
  bool SegmentPageDone(int seg, std::string token, uint64_t scanned,
                       uint64_t written, bool done) EXCLUDES(mu_);
  int segments_done() const EXCLUDES(mu_);
  // Destination items written by backfill in this process, and the recent
  // backfill rate (set by the keeper about once a second).
  uint64_t written_here() const EXCLUDES(mu_);
  void set_recent_rate(double items_per_second) EXCLUDES(mu_);
  double recent_rate() const EXCLUDES(mu_);

  // ------------------------------------------------------------ errors
  // Records the run's first error, forgets the last verify (sync is no
  // longer in step), and stops the run's background work.
  void Fail(const Status& s) EXCLUDES(mu_);
  // The error that stopped the run, or OK.
  Status error() const EXCLUDES(mu_);
  // Asks every loop of the run to end.
  void RequestStop() EXCLUDES(mu_);
  bool stopping() const { return stop_.load(std::memory_order_acquire); }

  // Control knobs (`godwit ctl`): paused backfill and sync make no steps.
  void Pause(bool paused) { paused_.store(paused); }
  bool paused() const { return paused_.load(); }

  // ------------------------------------------------------------ waits
  // Blocks until `done(progress)` holds. Returns OK then; the run's error,
  // or Cancelled if it was stopped, first. `done` runs under the run's
  // lock; it may also read state kept elsewhere (it is polled every 5 ms).
  Status WaitUntil(const std::function<bool(const RunState&)>& done)
      EXCLUDES(mu_);
  // Wakes waiters (progress kept outside the RunState moved).
  void Notify();
  // Sleeps `d`, or less if the run stops.
  void SleepFor(std::chrono::milliseconds d) EXCLUDES(mu_);

  // ------------------------------------------------------------ checkpoints
  // Saves the progress to the control table (one put). After Retire(),
  // does nothing.
  Status Save() EXCLUDES(save_mu_, mu_);
  // The ownership checks of MigrateOptions (unset: always OK). Set once,
  // before any other thread uses the run.
  void SetOwnershipChecks(std::function<Status()> commit,
                          std::function<Status()> held);
  // MigrateOptions::commit_check: whether this process may commit a flip,
  // finish or abandon now.
  Status CheckCommit() const;
  // The run's record is gone (abandoned): saves stop for good.
  void Retire() EXCLUDES(save_mu_);
  // Whether the progress moved since the last Save().
  bool dirty() const EXCLUDES(mu_);

 private:
  Store* const store_;
  const RunIdentity id_;
  std::function<Status()> commit_check_;  // set before threads start
  std::function<Status()> held_check_;

  // Serialises saves, so that the control table gets them in the order of
  // their copies (an older copy never overwrites a newer one).
  Mutex save_mu_ ACQUIRED_BEFORE(mu_);
  bool retired_ GUARDED_BY(save_mu_) = false;
  mutable Mutex mu_;
  CondVar cv_;
  RunState state_ GUARDED_BY(mu_);
  Status error_ GUARDED_BY(mu_);
  bool dirty_ GUARDED_BY(mu_) = false;
  int segments_done_ GUARDED_BY(mu_) = 0;
  uint64_t written_here_ GUARDED_BY(mu_) = 0;
  double recent_rate_ GUARDED_BY(mu_) = 0;

  std::atomic<bool> stop_{false};
  std::atomic<bool> paused_{false};
};

}  // namespace godwit::migrate

#endif  // GODWIT_MIGRATE_RUN_H_
