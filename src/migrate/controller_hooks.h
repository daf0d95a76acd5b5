// The operator's hooks of a run (docs/operations.md "Hooks and cutover
// gates"), as gh-ost has them: executables in a hooks directory, named
// after the run's events, run with the run's figures in GODWIT_*
// environment variables.
//
//   on-start            the run was opened (new or resumed)
//   on-backfill-done    backfill finished (the run moved to replay)
//   on-caught-up        replay caught up with the source for the first time
//   on-before-cutover   a cutover is about to switch: a non-zero exit (or a
//                       time-out) postpones it; nothing is switched
//   on-cutover          a cutover switched (GODWIT_WRITE_PAUSE_MS)
//   on-rollback         a rollback switched back (GODWIT_WRITE_PAUSE_MS)
//   on-failure          the run stopped on an error (GODWIT_ERROR)
//   on-finish           the run finished
//
// Every hook runs with a time limit: past it its process group is killed
// (SIGKILL), so that a hook can never hang the run. Its exit status and
// its output (stdout and stderr together, the first 64 KiB) are reported
// through `note`. A hook that exists but is not executable is a failure;
// a file of the directory that is not an event name is reported once.
//
// Threads: on-before-cutover runs on the caller's thread (RunNow); the other
// events run on the hooks' own thread, in order, so that a slow hook does
// not slow the run. Stop() runs what is queued, then ends the thread.
#ifndef GODWIT_MIGRATE_CONTROLLER_HOOKS_H_
#define GODWIT_MIGRATE_CONTROLLER_HOOKS_H_

#include <deque>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <thread>

#include "godwit/controller.h"
#include "godwit/migrate.h"
#include "godwit/status.h"
#include "util/mutex.h"

namespace godwit::migrate {

// The event names, in the order of a run.
inline constexpr const char* kHookEvents[] = {
    "on-start",   "on-backfill-done", "on-caught-up", "on-before-cutover",
    "on-cutover", "on-rollback",      "on-failure",   "on-finish"};

struct HookRun {
  bool ran = false;  // the hook exists (else nothing ran: OK)
  int exit_code = 0;
  bool timed_out = false;
  std::string output;  // stdout and stderr, at most 64 KiB
  double seconds = 0;
  bool ok() const { return !ran || (!timed_out && exit_code == 0); }
  // "on-x exited 3 after 0.2 s: <output>" (empty if it did not run).
  std::string Describe(std::string_view event) const;
};

// Runs `path` with `env` (NAME=value entries added to this process's
// environment), killing its process group after `timeout_seconds`.
// Errors: IOError when the process cannot be started.
Result<HookRun> RunHookProcess(const std::string& path,
                               const std::map<std::string, std::string>& env,
                               double timeout_seconds);

class ControllerHooks {
 public:
  // `dir` must be a directory. `m` must outlive this object. `note` gets
  // one line per hook run and per problem.
  // Errors: InvalidArgument when `dir` is not a directory or the time
  // limit is not positive.
  // `start_phase`: the run's phase when it was opened (its threads may
  // have moved it since), from which the events are told.
  static Result<std::unique_ptr<ControllerHooks>> Open(
      std::string dir, double timeout_seconds, Migration* m, RunInfo info,
      RunPhase start_phase, std::function<void(const std::string&)> note);
  ~ControllerHooks();
  ControllerHooks(const ControllerHooks&) = delete;
  ControllerHooks& operator=(const ControllerHooks&) = delete;

  // Runs `event` now, on the caller's thread.
  HookRun RunNow(std::string_view event,
                 const std::map<std::string, std::string>& extra = {});
  // Queues `event` for the hooks' thread.
  void Post(std::string event, std::map<std::string, std::string> extra = {});
  // Runs the queued events, then ends the thread. Idempotent.
  void Stop() EXCLUDES(mu_);

 private:
  ControllerHooks(std::string dir, double timeout_seconds, Migration* m,
                  RunInfo info, std::function<void(const std::string&)> note);
  void Loop(RunPhase start_phase) EXCLUDES(mu_);
  std::map<std::string, std::string> Figures() const;

  const std::string dir_;
  const double timeout_seconds_;
  Migration* const m_;
  const RunInfo info_;
  const std::function<void(const std::string&)> note_;

  Mutex mu_;
  CondVar cv_;
  struct Event {
    std::string name;
    std::map<std::string, std::string> extra;
  };
  std::deque<Event> queue_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace godwit::migrate

#endif  // GODWIT_MIGRATE_CONTROLLER_HOOKS_H_
