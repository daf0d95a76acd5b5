// The flips: cutover (to the destination), rollback (back to the source),
// and finish. Each flip is fenced: the logical table's writes are held in
// the router (and, with --fence-seconds, writers outside the process are
// fenced through the pointer's "switching" state) while sync drains to the
// last change; the run state is saved; the pointer is written (the commit
// point: a resumed run trusts the pointer over the state); the writes are
// released onto the other table.
//
// Threads: one control operation at a time (the composition serialises
// them); the flips switch the capture and sync loops off and on.
#ifndef GODWIT_MIGRATE_FLIPS_H_
#define GODWIT_MIGRATE_FLIPS_H_

#include <functional>
#include <memory>
#include <string>

#include "control/control_table.h"
#include "godwit/migrate.h"
#include "godwit/store.h"
#include "migrate/capturer.h"
#include "migrate/change_source.h"
#include "migrate/router.h"
#include "migrate/run.h"
#include "migrate/sync_loop.h"

namespace godwit::migrate {

// What the flips work on. Borrowed.
struct FlipParts {
  Run* run = nullptr;
  RouterControl* router = nullptr;
  Store* store = nullptr;
  std::shared_ptr<Table> source;
  std::shared_ptr<Table> destination;
  Capturer* capture = nullptr;
  SyncLoop* replay = nullptr;
  SyncLoop* reverse = nullptr;
  TableStreamSource* reverse_source = nullptr;
  // MigrateOptions::fence_seconds.
  double fence_seconds = 0;
};

class Flips {
 public:
  explicit Flips(FlipParts parts) : p_(std::move(parts)) {}

  // Fenced flip to the destination; starts reverse sync. Gated: the run's
  // last verify must have passed in this phase, on this destination
  // (GateRefusal), unless opts.force (the report says what was skipped).
  // REQUIRES: backfill done (the caller waits for it).
  // Errors: FailedPrecondition naming the phase unless replay or
  // rolled-back, or saying why the gate refuses; the store's; the run's
  // error while draining.
  Result<FlipReport> Cutover(const FlipOptions& opts);
  // Fenced flip back to the source; resumes capture and replay after the
  // changes reverse sync wrote. Gated as Cutover. Errors:
  // FailedPrecondition unless cut over; as Cutover.
  Result<FlipReport> Rollback(const FlipOptions& opts);
  // Drains and stops reverse sync, runs `record` (the ledger), marks the
  // run finished, drops the stream consumers and the key map.
  // Errors: FailedPrecondition unless cut over; `record`'s; the store's.
  Status Finish(const std::function<Status()>& record);
  // Checks that the run may be abandoned: before cutover or after a
  // rollback, with the pointer on the source. Errors: FailedPrecondition
  // naming the phase (or the active table).
  Status CheckAbandon();
  // Ends the run without switching. REQUIRES: CheckAbandon() passed and
  // every engine thread has stopped. Drops the destination, the key map
  // and the run's stream consumers, retires and deletes the run state,
  // removes the journal, and renames the dead-letter file
  // dead-letter.<run id>.jsonl; the source and its pointer stay as they
  // are. Idempotent: after an error, abandoning again finishes the job.
  // Errors: the store's, the file system's.
  Status Abandon();

 private:
  // Sets the pointer of the logical table to "switching" (still on
  // `active`) and waits fence_seconds; the guard sets it back to "active"
  // unless dismissed (by a flip, which writes it anew). Null without a
  // fence.
  class Fence;
  Result<std::unique_ptr<Fence>> FenceWriters(const std::string& active);
  // The epoch of the logical table's pointer (0 if it has none).
  Result<uint64_t> PointerEpoch();
  // Why a flip in `phase` may not happen now, or "" if it may: no verify
  // of the run passed in this phase (MoveTo and Fail forget a verify, and
  // so does a resume that created the destination anew), or the
  // destination was created anew since. Errors: none but the run's.
  Result<std::string> GateRefusal(RunPhase phase);
  // GateRefusal as a status, or recorded in the report with opts.force.
  Status CheckGate(const char* flip, RunPhase phase, const FlipOptions& opts,
                   FlipReport* report);

  FlipParts p_;
};

}  // namespace godwit::migrate

#endif  // GODWIT_MIGRATE_FLIPS_H_
