// A run's timeline read back (the JSON lines the controller records, see
// src/migrate/controller_timeline.h and docs/formats/timeline.md), and the
// figures an operator wants at the end of a run: items, rates, lag,
// verify results, flips and their write pauses.
//
// The same RunTimeline is filled from a file (ReadTimeline, for `godwit
// report`) or by a client that watches a run (`godwit migrate` adds the
// progress and replies it sees), so the summary and the report agree.
#ifndef GODWIT_OPS_TIMELINE_H_
#define GODWIT_OPS_TIMELINE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "godwit/controller.h"
#include "godwit/migrate.h"
#include "godwit/status.h"

namespace godwit::ops {

struct RunTimeline {
  std::string run_id;
  std::string table;
  std::string source;
  std::string destination;
  std::vector<PlannedMigration> migrations;

  struct Sample {
    int64_t t = 0;  // epoch microseconds
    MigrationProgress progress;
  };
  struct PhaseChange {
    int64_t t = 0;
    RunPhase from = RunPhase::kBackfill;
    RunPhase to = RunPhase::kBackfill;
  };
  struct CommandEvent {
    int64_t t = 0;
    Command command;
    Result<Reply> result = Status::Internal("unset");
    double seconds = 0;
  };
  struct Mark {  // open, close, error
    int64_t t = 0;
    std::string what;    // "open", "close", "error"
    std::string detail;  // the error's message; the opening process id
  };
  std::vector<Sample> samples;  // by time
  std::vector<PhaseChange> phases;
  std::vector<CommandEvent> commands;
  std::vector<Mark> marks;
  uint64_t skipped_lines = 0;  // torn or unknown lines

  void AddProgress(int64_t t, const MigrationProgress& p);
  void AddCommand(int64_t t, const Command& c, const Result<Reply>& r,
                  double seconds);
  int64_t first_t() const;
  int64_t last_t() const;
};

// Where the controller records run `run_id` of a table whose run directory
// is `run_dir` (migrate::ControllerTimeline::Path).
std::string TimelinePath(const std::string& run_dir, const std::string& run_id);

// Reads a timeline file. Errors: NotFound; IOError; DataLoss naming the
// line for a line that is not JSON in the middle of the file (a torn last
// line is skipped and counted).
Result<RunTimeline> ReadTimeline(const std::string& path);

// The run ids with a timeline in `run_dir`, oldest first (by the time of
// their first line). Errors: IOError.
Result<std::vector<std::string>> ListTimelines(const std::string& run_dir);

struct RunFigures {
  double seconds = 0;                    // first to last event
  RunPhase phase = RunPhase::kBackfill;  // the last seen
  uint64_t scanned = 0, copied = 0, dropped = 0, dead_letters = 0;
  uint64_t replayed = 0;
  double backfill_seconds = 0;  // 0: not seen to end
  double backfill_rate = 0;     // items copied per second of backfill
  double peak_rate = 0;         // the highest sampled backfill rate
  uint64_t max_lag = 0, final_lag = 0;
  struct Verify {
    int64_t t = 0;
    VerifyReport report;
  };
  struct Flip {
    int64_t t = 0;
    std::string what;  // "cutover", "rollback"
    FlipReport report;
    bool forced = false;
  };
  std::vector<Verify> verifies;
  std::vector<Flip> flips;
  double longest_write_pause_ms = 0;
  uint64_t pauses = 0;        // `ctl pause` commands
  double paused_seconds = 0;  // backfill held by pause
  uint64_t failed_commands = 0;
  uint64_t processes = 0;  // opens of the run
  std::vector<std::string> errors;
};
RunFigures Summarize(const RunTimeline& t);
std::string FiguresToJson(const RunFigures& f);

}  // namespace godwit::ops

#endif  // GODWIT_OPS_TIMELINE_H_
