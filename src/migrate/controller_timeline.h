// The time series of a run: what the controller records as the run goes,
// one JSON line per event in <run dir>/timeline-<run id>.jsonl, for
// `godwit report` (src/ops/timeline.h reads it back) and the end-of-run
// summary. The grammar is at the top of controller_timeline.cc and in
// docs/formats/timeline.md.
//
// A recorder samples the run's progress once a second from its own thread
// (a line when something changed, else one every 10 s), notes phase
// changes and the first error that stops the run's background work, and
// records every command the controller executes but `progress` (with its
// reply: verify results, flips and their write pauses). Each process that
// opens the run appends to the same file, starting with an "open" line.
//
// Recording never stops a run: a file that cannot be written is reported
// by status() and the recorder goes on without it.
//
// latest() is the recorder's view of the run for readers in the process
// (metrics will read it).
//
// Thread safety: all methods may be called from any thread.
#ifndef GODWIT_MIGRATE_CONTROLLER_TIMELINE_H_
#define GODWIT_MIGRATE_CONTROLLER_TIMELINE_H_

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "godwit/controller.h"
#include "godwit/migrate.h"

namespace godwit::migrate {

class ControllerTimeline {
 public:
  // <run_dir>/timeline-<run_id>.jsonl
  static std::string Path(const std::string& run_dir,
                          const std::string& run_id);

  // Appends an "open" line for `m`'s run (plan() gives the run) and starts
  // sampling. REQUIRES: `m` outlives the recorder, or Stop() is called
  // before it goes.
  ControllerTimeline(const std::string& run_dir, Migration* m);
  ~ControllerTimeline();
  ControllerTimeline(const ControllerTimeline&) = delete;
  ControllerTimeline& operator=(const ControllerTimeline&) = delete;

  // A command the controller executed and its outcome; `progress` is not
  // recorded (it changes nothing).
  void RecordCommand(const Command& c, const Result<Reply>& r, double seconds);

  // Samples once more, appends a "close" line and stops the sampler.
  // Idempotent.
  void Stop();

  // What has been recorded so far in this process.
  struct Snapshot {
    std::optional<MigrationProgress> progress;  // the last sample
    uint64_t max_replay_lag = 0;
    uint64_t commands = 0;
    std::optional<VerifyReport> last_verify;
    std::optional<FlipReport> last_flip;
    Status error;  // the run's error, once seen
  };
  Snapshot latest() const;

  // The first error writing the file, or OK.
  Status status() const;
  const std::string& path() const { return path_; }

 private:
  void Loop();
  void Sample(bool force);
  void Append(const std::string& event_json);  // REQUIRES: mu_ held

  Migration* const m_;
  const std::string run_id_;
  const std::string path_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  int fd_ = -1;                    // GUARDED_BY(mu_)
  bool stopping_ = false;          // GUARDED_BY(mu_)
  Status status_;                  // GUARDED_BY(mu_)
  Snapshot snap_;                  // GUARDED_BY(mu_)
  std::optional<RunPhase> phase_;  // GUARDED_BY(mu_)
  int64_t last_line_micros_ = 0;   // GUARDED_BY(mu_)
  std::string last_progress_;      // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace godwit::migrate

#endif  // GODWIT_MIGRATE_CONTROLLER_TIMELINE_H_
