// A migration run's checkpoint: one record of the control table,
// pk = "run#<logical table>", sk = "state", rewritten whole at every
// checkpoint (one put, so it is never half-written).
//
// Record attributes (all N are unsigned integers unless noted):
//   run:S  logical:S  source:S  destination:S  phase:N (RunPhase)
//   p0:N               source stream sequence marked before the first read
//   segments:L of M    {done:BOOL, token:S, scanned:N, written:N}
//   journal_offset:N   durable byte offset of the journal
//   captured_seq:N     source sequence of the last journal record (or where
//                      capture resumes after skipping)
//   replay_offset:N    journal offset of the next record to apply
//   replayed_seq:N     source sequence of the last applied record
//   forward_stop_seq:N source sequence at the last cutover
//   reverse_seq:N      destination sequence of the last reverse-synced record
//   migrations:L of M  {number:N, name:S, sha256:S}
//   dest_hash:S dest_range:S (optional)  the destination key schema "pk:S"
//   started:N          micros since the epoch
//   dropped:N errors:N captured:N replayed:N   counters (optional, 0)
//   verify:M (optional) the last verify of the run, absent if none holds:
//     {ok:BOOL            the report was ok() (VerifyReport)
//      phase:N            the run's phase when it ran (RunPhase)
//      sequence:N         the stream sequence compared at
//      dest_created:N     the destination's created_micros then
//      differences:N unmapped:N unsettled:N expected:N destination:N
//      at:N}              micros since the epoch
//     It is removed when what it proved may no longer hold: a phase
//     change, a run error, a resume that created the destination anew.
//
// Why each field is safe to resume from is stated where it is advanced
// (engine.cc): a field only moves past work that is durable.
#ifndef GODWIT_MIGRATE_RUN_STATE_H_
#define GODWIT_MIGRATE_RUN_STATE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "godwit/migrate.h"

namespace godwit::migrate {

struct SegmentState {
  bool done = false;
  std::string token;  // page token to resume from ("" = the start)
  uint64_t scanned = 0;
  uint64_t written = 0;
};

// The last verify of a run (see `verify:M` above): what the flips' gate
// reads.
struct VerifyRecord {
  bool ok = false;
  RunPhase phase = RunPhase::kBackfill;
  uint64_t sequence = 0;
  int64_t destination_created_micros = 0;
  uint64_t differences = 0;
  uint64_t unmapped = 0;
  uint64_t unsettled = 0;
  uint64_t expected_items = 0;
  uint64_t destination_items = 0;
  int64_t at_micros = 0;
  friend bool operator==(const VerifyRecord&, const VerifyRecord&) = default;
};

struct RunState {
  std::string run_id;
  std::string logical;
  std::string source;
  std::string destination;
  KeySchema destination_key_schema;
  RunPhase phase = RunPhase::kBackfill;
  uint64_t p0 = 0;
  std::vector<SegmentState> segments;
  uint64_t journal_offset = 0;
  uint64_t captured_seq = 0;
  uint64_t replay_offset = 0;
  uint64_t replayed_seq = 0;
  uint64_t forward_stop_seq = 0;
  uint64_t reverse_seq = 0;
  std::vector<PlannedMigration> migrations;
  int64_t started_micros = 0;
  uint64_t dropped = 0;
  uint64_t errors = 0;
  uint64_t captured = 0;
  uint64_t replayed = 0;
  std::optional<VerifyRecord> last_verify;
};

Item RunStateToItem(const RunState& s);
// Errors: DataLoss naming the missing or mistyped attribute.
Result<RunState> RunStateFromItem(const Item& item);

// Load/save in the control table. Load returns nullopt if there is no run.
Result<std::optional<RunState>> LoadRunState(Store* store,
                                             const std::string& logical);
Status SaveRunState(Store* store, const RunState& s);
Status DeleteRunState(Store* store, const std::string& logical);

}  // namespace godwit::migrate

#endif  // GODWIT_MIGRATE_RUN_STATE_H_
