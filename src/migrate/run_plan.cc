#include "migrate/run_plan.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "control/control_table.h"
#include "migrate/key_map.h"
#include "migrate/run.h"
#include "migrate/table_ops.h"

namespace godwit::migrate {
namespace {

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Next generation name: "Orders" -> "Orders.v2", "Orders.v3" -> "Orders.v4".
std::string NextGeneration(const std::string& logical,
                           const std::string& source) {
  int gen = 1;
  std::string prefix = logical + ".v";
  if (source.size() > prefix.size() && source.rfind(prefix, 0) == 0) {
    gen = std::atoi(source.c_str() + prefix.size());
  }
  return prefix + std::to_string(gen + 1);
}

std::string NewRunId() {
  std::random_device rd;
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%llx-%04x",
                static_cast<unsigned long long>(NowMicros()), rd() & 0xffff);
  return buf;
}

Result<RunState> Resume(Store* store, MigrationPlan* plan, RunState state,
                        const std::optional<control::Pointer>& ptr,
                        const std::string& active) {
  if (ptr && ptr->state == "switching" && ptr->run == state.run_id) {
    // A flip fenced the writers and did not finish: let them go on.
    control::Pointer p = *ptr;
    p.state = "active";
    RETURN_IF_ERROR(control::SetPointer(store, plan->logical_table, p));
  }
  if (!plan->destination_table.empty() &&
      plan->destination_table != state.destination) {
    return Status::FailedPrecondition(
        "a run of " + plan->logical_table + " into " + state.destination +
        " is in progress; resume it or roll it back first");
  }
  // The pointer is the truth about which side is active: a crash between
  // saving the state and flipping leaves the state ahead of it.
  RunPhase want = state.phase;
  if (active == state.destination) {
    want = RunPhase::kCutOver;
  } else if (active == state.source) {
    if (state.phase == RunPhase::kCutOver) want = RunPhase::kReplay;
  } else {
    return Status::FailedPrecondition(
        "the active table of " + plan->logical_table + " is " + active +
        ", neither the run's source " + state.source + " nor its destination " +
        state.destination);
  }
  if (want != state.phase) {
    if (!MoveAllowed(state.phase, want, PhaseMove::kResume)) {
      return Status::FailedPrecondition(
          "the run of " + plan->logical_table + " is in phase " +
          std::string(RunPhaseName(state.phase)) + " but the pointer names " +
          active + "; the run cannot resume from there");
    }
    state.phase = want;
    state.last_verify.reset();  // it was of the phase before
  }
  plan->source_table = state.source;
  plan->destination_table = state.destination;
  plan->destination_key_schema = state.destination_key_schema;
  if (plan->migrations.empty()) plan->migrations = state.migrations;
  plan->run_id = state.run_id;
  plan->started_micros = state.started_micros;
  return state;
}

}  // namespace

Result<RunState> PlanRun(Store* store, MigrationPlan* plan,
                         const MigrateOptions& opts, bool* resumed,
                         std::unique_ptr<ShardedStreamReader>* p0_reader) {
  ASSIGN_OR_RETURN(std::optional<RunState> loaded,
                   LoadRunState(store, plan->logical_table));
  ASSIGN_OR_RETURN(std::optional<control::Pointer> ptr,
                   control::GetPointer(store, plan->logical_table));
  std::string active = ptr ? ptr->physical : plan->logical_table;
  if (loaded && loaded->phase != RunPhase::kFinished) {
    *resumed = true;
    return Resume(store, plan, std::move(*loaded), ptr, active);
  }
  *resumed = false;

  // A new run.
  if (!plan->source_table.empty() && plan->source_table != active) {
    return Status::FailedPrecondition("the active table of " +
                                      plan->logical_table + " is " + active +
                                      ", not " + plan->source_table);
  }
  plan->source_table = active;
  if (plan->destination_table.empty()) {
    plan->destination_table = NextGeneration(plan->logical_table, active);
  }
  if (plan->destination_table == active ||
      plan->destination_table == plan->logical_table) {
    return Status::FailedPrecondition(
        "refusing to migrate into " + plan->destination_table +
        ": it is the active table of " + plan->logical_table);
  }
  Result<TableDescription> existing =
      store->DescribeTable(plan->destination_table);
  if (existing.ok()) {
    return Status::FailedPrecondition(
        "destination table " + plan->destination_table +
        " already exists and was not created by this run; godwit only "
        "writes into a table it created (drop it, or finish the earlier run)");
  }
  if (!existing.status().IsNotFound()) return existing.status();

  ASSIGN_OR_RETURN(TableDescription src,
                   store->DescribeTable(plan->source_table));
  if (!src.stream_enabled) {
    return Status::FailedPrecondition(
        "source table " + plan->source_table +
        " has no change stream; enable it first (a copy without the stream "
        "would lose the writes made during the copy)");
  }
  if (plan->destination_key_schema.hash.name.empty()) {
    plan->destination_key_schema = src.key_schema;
  }

  RunState state;
  state.run_id = plan->run_id.empty() ? NewRunId() : plan->run_id;
  state.logical = plan->logical_table;
  state.source = plan->source_table;
  state.destination = plan->destination_table;
  state.destination_key_schema = plan->destination_key_schema;
  state.phase = RunPhase::kBackfill;
  // Mark P0 before the first scan read: every change after it reaches the
  // journal. (Earlier is always safe; later would lose writes.) P0 is a
  // reader at the stream's head now, every shard's own position: the
  // capturer keeps it. latest_sequence is the local store's exact number
  // (0 on a remote store), kept for the stream consumer's pin.
  ASSIGN_OR_RETURN(std::shared_ptr<Table> p0_table,
                   store->GetTable(plan->source_table));
  ASSIGN_OR_RETURN(*p0_reader,
                   OpenShardedStream(p0_table.get(), StreamStart::Latest()));
  state.capture_cursor = (*p0_reader)->cursor();
  state.p0 = src.latest_sequence;
  state.captured_seq = state.p0;
  state.replayed_seq = state.p0;
  state.segments.resize(static_cast<size_t>(opts.segments));
  state.migrations = plan->migrations;
  state.started_micros =
      plan->started_micros != 0 ? plan->started_micros : NowMicros();
  plan->run_id = state.run_id;
  plan->started_micros = state.started_micros;
  // The state is saved before the destination is created: a resumed run
  // knows the destination is its own.
  RETURN_IF_ERROR(SaveRunState(store, state));
  // Pin the source stream at P0 so that retention keeps every record until
  // the journal has it.
  ASSIGN_OR_RETURN(std::shared_ptr<Table> src_table,
                   store->GetTable(state.source));
  RETURN_IF_ERROR(PinStream(src_table.get(),
                            RunIdentity::Of(state, "").consumer, state.p0));
  return state;
}

Result<RunTables> OpenRunTables(Store* store, const RunState& s,
                                bool destination_stream) {
  RunTables t;
  ASSIGN_OR_RETURN(t.source, store->GetTable(s.source));
  TableOptions dopts;
  dopts.key_schema = s.destination_key_schema;
  // The destination's stream stays off until the flip (nothing reads it
  // before reverse sync, and backfill writes need no change records),
  // unless downstream consumers read the copy as it is made.
  dopts.stream_enabled = destination_stream;
  // The source's secondary indexes and billing mode go with it (stores
  // that have none report none). A local index must share the table's
  // partition key: after a re-key it becomes a global index.
  ASSIGN_OR_RETURN(TableDescription src_desc, t.source->Describe());
  dopts.billing = src_desc.billing;
  dopts.read_capacity = src_desc.read_capacity;
  dopts.write_capacity = src_desc.write_capacity;
  for (SecondaryIndex ix : src_desc.indexes) {
    if (ix.kind == SecondaryIndex::Kind::kLocal &&
        ix.key_schema.hash.name != dopts.key_schema.hash.name) {
      ix.kind = SecondaryIndex::Kind::kGlobal;
      std::fprintf(stderr,
                   "godwit: the local index %s of %s is keyed on %s, which is "
                   "not the partition key of %s: it is created there as a "
                   "global index\n",
                   ix.name.c_str(), s.source.c_str(),
                   ix.key_schema.hash.name.c_str(), s.destination.c_str());
    }
    dopts.indexes.push_back(std::move(ix));
  }
  Status cs = store->CreateTable(s.destination, dopts);
  if (!cs.ok() && cs.code() != StatusCode::kAlreadyExists) return cs;
  t.destination_created = cs.ok();
  if (destination_stream && !t.destination_created) {
    RETURN_IF_ERROR(store->UpdateStream(s.destination, true));
  }
  ASSIGN_OR_RETURN(t.destination, store->GetTable(s.destination));
  TableOptions kopts;
  kopts.key_schema = KeySchema{{"k", AttrType::kB}, std::nullopt};
  kopts.stream_enabled = false;
  std::string keymap = KeyMap::TableName(s.destination);
  cs = store->CreateTable(keymap, kopts);
  if (!cs.ok() && cs.code() != StatusCode::kAlreadyExists) return cs;
  ASSIGN_OR_RETURN(t.keymap, store->GetTable(keymap));
  return t;
}

}  // namespace godwit::migrate
