// Planning a run: resuming the run recorded in the control table, or
// planning a new one (DESIGN.md, "The migration protocol", steps 1 and 2),
// and opening the run's tables.
#ifndef GODWIT_MIGRATE_RUN_PLAN_H_
#define GODWIT_MIGRATE_RUN_PLAN_H_

#include <memory>

#include "godwit/migrate.h"
#include "godwit/store.h"
#include "godwit/stream.h"
#include "migrate/run_state.h"

namespace godwit::migrate {

// The run of plan->logical_table: the recorded one (resumed; its phase
// moved to where the pointer says the run is, see run.h), or a new one
// (source = the active table, destination = the next generation unless
// named, P0 marked, the state saved, the source stream pinned at P0).
// Fills the plan's source, destination, key schema, migrations, run id and
// start time. *resumed says which. A new run's P0 is a reader of the
// source stream opened at Latest before any scan read (*p0_reader, for the
// capturer to keep): the state's capture_cursor is its cursor (a shard it
// has read nothing from resumes at that shard's first record: earlier is
// always safe).
// Errors: FailedPrecondition if the destination exists and was not created
// by this run, is the active table, or another run's destination; if the
// source has no stream; if the pointer names neither side of the run.
Result<RunState> PlanRun(Store* store, MigrationPlan* plan,
                         const MigrateOptions& opts, bool* resumed,
                         std::unique_ptr<ShardedStreamReader>* p0_reader);

struct RunTables {
  std::shared_ptr<Table> source;
  std::shared_ptr<Table> destination;
  std::shared_ptr<Table> keymap;
  // The destination did not exist and was created now (a new run, or a
  // resumed run whose destination was dropped).
  bool destination_created = false;
};

// Opens the run's tables, creating the destination (with the source's
// secondary indexes and billing; its stream off unless
// `destination_stream`, see MigrateOptions) and the key map where missing.
Result<RunTables> OpenRunTables(Store* store, const RunState& s,
                                bool destination_stream);

}  // namespace godwit::migrate

#endif  // GODWIT_MIGRATE_RUN_PLAN_H_
