// The sync loop: one loop for replay (journal -> up -> destination) and
// reverse sync (destination stream -> down -> source). It reads a batch
// from its ChangeSource, applies it with its Applier, and only then moves
// the source's position past it. The loop knows no stream position: the
// source compares records with the gate's hold.
//
// Threads: Loop() is the loop's thread. Step() holds the loop's mutex for
// a whole batch, so a control operation that takes it (SetEnabled,
// BetweenSteps, the gate) knows the loop is between batches and may
// reconfigure its source.
#ifndef GODWIT_MIGRATE_SYNC_LOOP_H_
#define GODWIT_MIGRATE_SYNC_LOOP_H_

#include <optional>
#include <string>

#include "godwit/migrate.h"
#include "migrate/change_applier.h"
#include "migrate/change_source.h"
#include "migrate/run.h"
#include "migrate/sync_gate.h"
#include "util/mutex.h"

namespace godwit::migrate {

class SyncLoop : public SyncGate {
 public:
  // Borrows everything. `mappers` gives the loop's thread its mapper.
  SyncLoop(Run* run, ChangeSource* source, Applier* applier,
           MapperFactory* mappers);
  SyncLoop(const SyncLoop&) = delete;
  SyncLoop& operator=(const SyncLoop&) = delete;

  // The loop's thread: steps while enabled and not paused, until the run
  // stops; an error fails the run (with the source's name as context).
  void Loop();
  // One batch of at most 256 records. *idle: nothing was applied.
  // Errors: the source's and the applier's.
  Status Step(ItemMapper* mapper, bool* idle) EXCLUDES(mu_);

  // Switches the loop on or off; returns once no step is running.
  void SetEnabled(bool on) EXCLUDES(mu_);
  bool enabled() const EXCLUDES(mu_);

  // SyncGate.
  void Freeze() override EXCLUDES(mu_);
  void HoldAt(const StreamMark& mark) override EXCLUDES(mu_);
  void Release() override EXCLUDES(mu_);
  Status WaitApplied(const StreamMark& mark) override;
  Result<StreamMark> CatchUp() override;
  Status BetweenSteps(const std::function<Status()>& fn) override EXCLUDES(mu_);

  // Lets sync catch up with its upstream in rounds, until fewer than
  // `small` changes are left behind (at most 50 rounds): a flip then
  // holds writes only for the last few.
  Status DrainUntilBehind(uint64_t small);
  // The changes of the upstream not applied yet. Errors: Describe's.
  Result<uint64_t> Lag();

  ChangeSource* source() const { return source_; }

 private:
  Run* const run_;
  ChangeSource* const source_;
  Applier* const applier_;
  MapperFactory* const mappers_;

  mutable Mutex mu_;  // held for a whole step
  bool on_ GUARDED_BY(mu_) = false;
  std::optional<StreamMark> hold_ GUARDED_BY(mu_);
};

}  // namespace godwit::migrate

#endif  // GODWIT_MIGRATE_SYNC_LOOP_H_
