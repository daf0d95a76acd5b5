// The zero-downtime migration engine (DESIGN.md, "The migration protocol").
//
// The engine is written against the Store interface only. One Migration runs
// one logical table's run inside the process that owns the store:
//
//   plan -> mark P0 -> capture (source stream -> durable journal)
//        -> backfill (parallel segmented scan -> up -> batch write)
//        -> replay (journal -> up -> destination), then tail
//        -> verify -> fenced cutover -> reverse sync (down) -> rollback ...
//        -> finish
//
// Applications (and the demo's and tests' writer threads) write through a
// Router, which resolves the logical table name to the active physical table
// and lets the engine hold writes during a flip.
//
// Every phase is checkpointed in the control table and the run directory, so
// Migration::Open(... resume ...) after a crash at any point continues and
// ends in the same verified state.
#ifndef GODWIT_MIGRATE_H_
#define GODWIT_MIGRATE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "godwit/item.h"
#include "godwit/status.h"
#include "godwit/store.h"
#include "godwit/transform.h"

namespace godwit {

// What the engine needs from a migration: per-thread mappers from a source
// item to its destination items (`up`) and back (`down`).
class ItemMapper {
 public:
  virtual ~ItemMapper() = default;
  // Appends the images of `in` to *out; appending nothing drops the item.
  // The images are complete: the mapper has run each migration's
  // `validate` and DynamoDB's item rules against the target key schema
  // (the destination's for Up, the source's for Down), so the engine does
  // not validate again. Must be deterministic.
  // Returns OK; InvalidArgument for an error of this item, with *error
  // filled (the engine dead-letters the item through DeadLetterWriter and
  // counts it against --max-errors; *out is left empty); any other code
  // stops the run. `error` may be null when the caller only needs images.
  virtual Status Up(const Item& in, std::vector<Item>* out,
                    ItemError* error) = 0;
  virtual Status Down(const Item& in, std::vector<Item>* out,
                      ItemError* error) = 0;
};

class MapperFactory {
 public:
  virtual ~MapperFactory() = default;
  // One mapper per worker thread; a mapper is used by one thread at a time.
  virtual Result<std::unique_ptr<ItemMapper>> NewMapper() = 0;
};

// The migrations a run applies (recorded in the ledger at finish).
struct PlannedMigration {
  int number = 0;
  std::string name;
  std::string sha256;
};

struct MigrationPlan {
  std::string logical_table;  // e.g. "Orders"
  // Empty: the engine takes the active physical table from the pointer and
  // names the destination the next generation, "Orders.v<N+1>".
  std::string source_table;
  std::string destination_table;
  // The destination's key schema; empty hash name: the source's.
  KeySchema destination_key_schema;
  std::vector<PlannedMigration> migrations;
  // For a new run; empty/0: the engine picks them. A resumed run keeps its
  // own (Migration::run_id()).
  std::string run_id;
  int64_t started_micros = 0;  // the run's fixed clock (ctx.now)
};

struct MigrateOptions {
  int segments = 16;
  int threads = 2;
  double rate = 0;        // items/s for backfill writes; 0 = unlimited
  size_t max_errors = 0;  // item errors tolerated before the run stops
  // Where the journal and the dead-letter file live. Required.
  std::string run_dir;
  // Fences writers outside this process that follow the pointer contract
  // (docs/remote.md): before each flip the pointer's state is set to
  // "switching" and the flip waits this many seconds, which must cover the
  // writers' pointer cache time plus their write timeout. 0: no fence (all
  // writers go through this process's Router, or godwit serve's).
  double fence_seconds = 0;
  // Called about once a second from an engine thread.
  std::function<void(const struct MigrationProgress&)> on_progress;
  // Called by Finish() before the run is marked finished, with the run's
  // final progress: records the applied migrations in the ledger.
  std::function<Status(const struct MigrationPlan&,
                       const struct MigrationProgress&)>
      on_finish;
  // The run's ownership (the controller's run lease, docs/engine.md
  // "Ownership"). `commit_check` runs at the commit points another owner
  // must never see duplicated: each flip before the phase and pointer
  // change, finish and abandon before their first write; `held_check`
  // (cheap, no I/O) before every save of the run state. An error refuses
  // the step (a save that fails stops the run). Unset: always OK.
  std::function<Status()> commit_check;
  std::function<Status()> held_check;
  // The destination's stream is on from the table's creation, so that
  // downstream consumers (a search indexer) read the copy as it is made
  // (RunRequest::wait_for_consumers). Else it is turned on at the cutover,
  // and backfill writes no change records. A resumed run whose destination
  // exists with its stream off has it turned on now: consumers see the
  // changes from now on.
  bool destination_stream = false;
};

enum class RunPhase : uint8_t {
  kBackfill = 1,    // copying; journal capturing
  kReplay = 2,      // backfill done; replaying and tailing
  kCutOver = 3,     // destination active; reverse sync running
  kRolledBack = 4,  // source active again; forward replay running
  kFinished = 5,
};
std::string_view RunPhaseName(RunPhase p);

struct MigrationProgress {
  RunPhase phase = RunPhase::kBackfill;
  uint64_t scanned = 0;  // source items read by backfill
  uint64_t written = 0;  // destination items written by backfill
  uint64_t dropped = 0;  // `up` returned nothing
  uint64_t errors = 0;   // dead-lettered items
  uint64_t estimated_total = 0;
  int segments_done = 0;
  int segments_total = 0;
  uint64_t captured = 0;        // journal records
  uint64_t replayed = 0;        // journal records applied
  uint64_t replay_lag = 0;      // source records not yet applied
  double items_per_second = 0;  // backfill, recent
  double elapsed_seconds = 0;
};

struct VerifyReport {
  uint64_t source_items = 0;    // items of the side mapped
  uint64_t expected_items = 0;  // images produced by the mapping
  uint64_t destination_items = 0;
  uint64_t differences = 0;  // keys whose expected and actual differ
  // Items of the mapped side whose mapping failed (they are in the run's
  // dead-letter file); they expect nothing, so they are not differences.
  uint64_t unmapped = 0;
  // Stores without snapshots only: keys that differed in the scan and were
  // being written during every point re-check, so that no comparison of
  // them was possible (docs/remote.md). Not differences; verify again once
  // they are quieter (or after writers stop) to compare them.
  uint64_t unsettled = 0;
  struct Difference {
    std::string key;       // DynamoDB JSON of the destination key
    std::string expected;  // DynamoDB JSON, or empty if absent
    std::string actual;    // DynamoDB JSON, or empty if absent
  };
  std::vector<Difference> first;  // at most `max_reported`
  uint64_t sequence = 0;          // the source stream sequence compared at
  double seconds = 0;
  // After cutover verify compares both ways: down(destination) with the
  // old table (the counts above), and up(old table) with the destination
  // (the counts below), so that every destination item is accounted for by
  // `up` of a source item whatever `down` returns (a fan-out's stray rows).
  // The second comparison's differences, unmapped and unsettled keys are
  // added to the fields above (an item that is wrong both ways counts
  // twice, once with each table's key).
  bool both_directions = false;
  uint64_t up_expected_items = 0;     // images of up(old table)
  uint64_t up_destination_items = 0;  // destination items
  // OK only when every key was compared and found equal: no difference,
  // nothing unmapped, nothing unsettled, and the counts agree (counts that
  // disagree are never OK, whatever else the report says).
  bool ok() const {
    return differences == 0 && unmapped == 0 && unsettled == 0 &&
           expected_items == destination_items &&
           up_expected_items == up_destination_items;
  }
};

// A cutover or rollback is gated: it needs a passing verify (ok()) of this
// run in its current phase, with sync in step since: the phase has not
// changed, the run hit no error, and the destination was not recreated
// (e.g. dropped by hand and created anew by a resume). The result of the
// last verify is kept in the run state, so one process may verify and
// another flip. `force` skips the gate; the report says what it skipped.
struct FlipOptions {
  bool force = false;
};

struct FlipReport {
  std::string from_table;
  std::string to_table;
  double write_pause_ms = 0;  // longest time a write was held
  uint64_t drained_records = 0;
  // With FlipOptions::force: why the gate would have refused the flip
  // (e.g. "the last verify of the run found 3 differences"); empty when
  // the gate passed.
  std::string gate_skipped;
};

// Resolves logical table names to their active physical table and holds
// writes during a flip. Thread-safe. Wraps, does not own, the inner store.
class Router {
 public:
  virtual ~Router() = default;
  // The store applications use: GetTable(logical) returns a table whose
  // every operation goes to the active physical table; a write waits while
  // the table's writes are held. Names with no pointer pass through.
  virtual Store* store() = 0;
  // The active physical table of `logical` (itself if it has no pointer).
  virtual Result<std::string> Resolve(const std::string& logical) = 0;
  // Runs `fn` on the active physical table of `logical` while no flip can
  // happen: an application that knows both item shapes (blue and green)
  // builds the item for the table it is given. A flip waits for `fn` to
  // return; `fn` must not call back into the router for the same table.
  virtual Status WithActiveTable(
      const std::string& logical,
      const std::function<Status(Table& active)>& fn) = 0;
};

// Opens the router over `inner`; pointers are read from the control table.
Result<std::unique_ptr<Router>> NewRouter(Store* inner);

class Migration {
 public:
  virtual ~Migration() = default;

  // Starts a new run (plans, marks P0, creates the destination, starts
  // capture and backfill) or, if a run of `plan.logical_table` is already
  // recorded in the control table, resumes it from its checkpoints.
  // Errors: FailedPrecondition if the destination exists and was not
  // created by this run, or is the active table; InvalidArgument for bad
  // options.
  static Result<std::unique_ptr<Migration>> Open(Router* router, Store* store,
                                                 MapperFactory* mappers,
                                                 const MigrationPlan& plan,
                                                 const MigrateOptions& opts);

  // The plan as resolved: source, destination, key schema, migrations,
  // run id and start time filled in.
  virtual const MigrationPlan& plan() const = 0;
  virtual RunPhase phase() const = 0;
  // The error that stopped the run's background work, or OK.
  virtual Status error() const = 0;
  virtual MigrationProgress progress() const = 0;

  // Blocks until backfill is done (every segment checkpointed).
  virtual Status WaitBackfill() = 0;
  // Blocks until replay has applied every record captured so far, and the
  // lag is zero at some instant.
  virtual Status WaitCaughtUp() = 0;
  // The exact snapshot comparison: before cutover up(source) vs destination;
  // after cutover down(destination) vs the old table and up(old table) vs
  // the destination. Writers may run. The result is recorded in the run
  // state, where the flips' gate reads it (FlipOptions).
  virtual Result<VerifyReport> Verify(size_t max_reported = 10) = 0;
  // Fenced flip to the destination; starts reverse sync.
  // Errors: FailedPrecondition when the gate refuses (see FlipOptions),
  // saying why.
  virtual Result<FlipReport> Cutover(const FlipOptions& opts = {}) = 0;
  // Fenced flip back to the source; resumes forward replay.
  // Errors: as Cutover.
  virtual Result<FlipReport> Rollback(const FlipOptions& opts = {}) = 0;
  // Stops sync, records the ledger; the run ends. REQUIRES: cut over.
  virtual Status Finish() = 0;
  // Ends the run without switching: only before cutover or after a
  // rollback (the source is active). Stops every engine thread, drops the
  // destination, the key map and the run's stream consumers, removes the
  // run's record and journal (its dead-letter file is kept, renamed
  // dead-letter.<run id>.jsonl), and leaves the source and its pointer
  // untouched. The Migration can only be stopped afterwards. Errors:
  // FailedPrecondition naming the phase otherwise; the store's (abandon
  // again to finish the job).
  virtual Status Abandon() = 0;

  // Rate limit and pause (the `godwit ctl` commands).
  virtual void SetRate(double items_per_second) = 0;
  virtual void Pause(bool paused) = 0;

  // Stops every engine thread; the run stays resumable.
  virtual void Stop() = 0;
};

}  // namespace godwit

#endif  // GODWIT_MIGRATE_H_
