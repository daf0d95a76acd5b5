// The run's timeline (see controller_timeline.h): JSON lines, appended.
//
//   file    := line*
//   line    := "{" "\"t\":" micros "," "\"run\":" string ","
//                  "\"event\":" event-name ("," member)* "}" "\n"
//   micros  := wall-clock time, microseconds since the epoch
//   event   := "open"      "table": string, "source": string,
//                          "destination": string, "phase": phase,
//                          "migrations": [{"number": int, "name": string,
//                                          "sha256": string}, ...],
//                          "pid": int
//            | "progress"  "progress": progress
//            | "phase"     "from": phase, "to": phase
//            | "command"   "command": command, "result": result,
//                          "seconds": number
//            | "error"     "error": {"code": code, "message": string}
//            | "close"     "progress": progress
//
// progress, command, result, phase and code are the controller's JSON
// (docs/formats/commands.md). A reader skips a last line without "\n" (a
// process killed while writing) and lines of events it does not know.
#include "migrate/controller_timeline.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "godwit/json.h"

namespace godwit::migrate {
namespace {

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A progress sample without its clock fields, to see whether anything moved.
std::string Moved(const MigrationProgress& p) {
  MigrationProgress q = p;
  q.elapsed_seconds = 0;
  q.items_per_second = 0;
  return ProgressToJson(q);
}

}  // namespace

std::string ControllerTimeline::Path(const std::string& run_dir,
                                     const std::string& run_id) {
  return run_dir + "/timeline-" + run_id + ".jsonl";
}

ControllerTimeline::ControllerTimeline(const std::string& run_dir, Migration* m)
    : m_(m), run_id_(m->plan().run_id), path_(Path(run_dir, m->plan().run_id)) {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    status_ = Status::IOError("cannot open the run's timeline " + path_ + ": " +
                              std::strerror(errno));
  }
  const MigrationPlan& plan = m->plan();
  std::string open = "\"open\",\"table\":" + JsonQuoted(plan.logical_table) +
                     ",\"source\":" + JsonQuoted(plan.source_table) +
                     ",\"destination\":" + JsonQuoted(plan.destination_table) +
                     ",\"phase\":" + JsonQuoted(RunPhaseName(m->phase())) +
                     ",\"migrations\":[";
  for (size_t i = 0; i < plan.migrations.size(); ++i) {
    const PlannedMigration& pm = plan.migrations[i];
    if (i) open += ",";
    open += "{\"number\":" + std::to_string(pm.number) +
            ",\"name\":" + JsonQuoted(pm.name) +
            ",\"sha256\":" + JsonQuoted(pm.sha256) + "}";
  }
  open += "],\"pid\":" + std::to_string(::getpid());
  {
    std::lock_guard lock(mu_);
    Append(open);
  }
  thread_ = std::thread([this] { Loop(); });
}

ControllerTimeline::~ControllerTimeline() {
  Stop();
  std::lock_guard lock(mu_);
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void ControllerTimeline::Append(const std::string& event) {
  int64_t now = NowMicros();
  last_line_micros_ = now;
  if (fd_ < 0) return;
  std::string line = "{\"t\":" + std::to_string(now) +
                     ",\"run\":" + JsonQuoted(run_id_) + ",\"event\":" + event +
                     "}\n";
  // One write per line (O_APPEND): a reader never sees two lines mixed.
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (status_.ok()) {
        status_ = Status::IOError("writing the run's timeline " + path_ + ": " +
                                  std::strerror(errno));
      }
      return;
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
}

void ControllerTimeline::Sample(bool force) {
  MigrationProgress p = m_->progress();
  Status err = m_->error();
  std::lock_guard lock(mu_);
  if (phase_ && *phase_ != p.phase) {
    Append("\"phase\",\"from\":" + JsonQuoted(RunPhaseName(*phase_)) +
           ",\"to\":" + JsonQuoted(RunPhaseName(p.phase)));
  }
  phase_ = p.phase;
  if (!err.ok() && snap_.error.ok()) {
    snap_.error = err;
    Append("\"error\",\"error\":{\"code\":" +
           JsonQuoted(StatusCodeName(err.code())) +
           ",\"message\":" + JsonQuoted(err.message()) + "}");
  }
  snap_.progress = p;
  snap_.max_replay_lag = std::max(snap_.max_replay_lag, p.replay_lag);
  std::string moved = Moved(p);
  const bool stale = NowMicros() - last_line_micros_ >= 10'000'000;
  if (force || moved != last_progress_ || stale) {
    last_progress_ = std::move(moved);
    Append("\"progress\",\"progress\":" + ProgressToJson(p));
  }
}

void ControllerTimeline::Loop() {
  Sample(true);
  std::unique_lock lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, std::chrono::seconds(1));
    if (stopping_) break;
    lock.unlock();
    Sample(false);
    lock.lock();
  }
}

void ControllerTimeline::RecordCommand(const Command& c, const Result<Reply>& r,
                                       double seconds) {
  if (c.kind == CommandKind::kProgress) return;
  std::lock_guard lock(mu_);
  ++snap_.commands;
  if (r.ok() && r->verify) snap_.last_verify = r->verify;
  if (r.ok() && r->flip) snap_.last_flip = r->flip;
  std::string secs = std::to_string(seconds);
  Append("\"command\",\"command\":" + CommandToJson(c) +
         ",\"result\":" + ResultToJson(r) + ",\"seconds\":" + secs);
}

void ControllerTimeline::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  MigrationProgress p = m_->progress();
  std::lock_guard lock(mu_);
  snap_.progress = p;
  Append("\"close\",\"progress\":" + ProgressToJson(p));
}

ControllerTimeline::Snapshot ControllerTimeline::latest() const {
  std::lock_guard lock(mu_);
  return snap_;
}

Status ControllerTimeline::status() const {
  std::lock_guard lock(mu_);
  return status_;
}

}  // namespace godwit::migrate
