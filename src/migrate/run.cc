#include "migrate/run.h"

#include <utility>

namespace godwit {

std::string_view RunPhaseName(RunPhase p) {
  switch (p) {
    case RunPhase::kBackfill:
      return "backfill";
    case RunPhase::kReplay:
      return "replay";
    case RunPhase::kCutOver:
      return "cut-over";
    case RunPhase::kRolledBack:
      return "rolled-back";
    case RunPhase::kFinished:
      return "finished";
  }
  return "unknown";
}

namespace migrate {
namespace {

struct Move {
  RunPhase from;
  RunPhase to;
  PhaseMove kind;
};

// The state machine of run.h, as data.
constexpr Move kMoves[] = {
    {RunPhase::kBackfill, RunPhase::kReplay, PhaseMove::kRun},
    {RunPhase::kReplay, RunPhase::kCutOver, PhaseMove::kRun},
    {RunPhase::kRolledBack, RunPhase::kCutOver, PhaseMove::kRun},
    {RunPhase::kCutOver, RunPhase::kRolledBack, PhaseMove::kRun},
    {RunPhase::kCutOver, RunPhase::kFinished, PhaseMove::kRun},
    {RunPhase::kCutOver, RunPhase::kReplay, PhaseMove::kResume},
    {RunPhase::kRolledBack, RunPhase::kCutOver, PhaseMove::kResume},
    {RunPhase::kReplay, RunPhase::kCutOver, PhaseMove::kResume},
};

}  // namespace

bool MoveAllowed(RunPhase from, RunPhase to, PhaseMove kind) {
  for (const Move& m : kMoves) {
    if (m.from == from && m.to == to && m.kind == kind) return true;
  }
  return false;
}

RunIdentity RunIdentity::Of(const RunState& s, const std::string& run_dir) {
  RunIdentity id;
  id.run_id = s.run_id;
  id.logical = s.logical;
  id.source = s.source;
  id.destination = s.destination;
  id.destination_key_schema = s.destination_key_schema;
  id.journal_path = run_dir + "/journal.gwj";
  id.dead_letter_path = run_dir + "/dead-letter.jsonl";
  id.consumer = "godwit-run-" + s.run_id;
  return id;
}

Run::Run(Store* store, RunIdentity id, RunState state)
    : store_(store), id_(std::move(id)), state_(std::move(state)) {
  MutexLock lock(&mu_);
  for (const SegmentState& s : state_.segments) segments_done_ += s.done;
}

RunState Run::state() const {
  MutexLock lock(&mu_);
  return state_;
}

RunPhase Run::phase() const {
  MutexLock lock(&mu_);
  return state_.phase;
}

void Run::Update(const std::function<void(RunState&)>& fn) {
  {
    MutexLock lock(&mu_);
    fn(state_);
    dirty_ = true;
  }
  cv_.SignalAll();
}

void Run::Read(const std::function<void(const RunState&)>& fn) const {
  MutexLock lock(&mu_);
  fn(state_);
}

Status Run::MoveTo(RunPhase to, PhaseMove kind) {
  {
    MutexLock lock(&mu_);
    if (state_.phase == to) return Status::OK();
    if (!MoveAllowed(state_.phase, to, kind)) {
      return Status::FailedPrecondition(
          "the run of " + id_.logical + " cannot move from phase " +
          std::string(RunPhaseName(state_.phase)) + " to " +
          std::string(RunPhaseName(to)));
    }
    state_.phase = to;
    state_.last_verify.reset();
    dirty_ = true;
  }
  cv_.SignalAll();
  return Status::OK();
}

void Run::RecordVerify(const VerifyRecord& v) {
  MutexLock lock(&mu_);
  state_.last_verify = v;
  dirty_ = true;
}

void Run::ForgetVerify() {
  MutexLock lock(&mu_);
  if (!state_.last_verify) return;
  state_.last_verify.reset();
  dirty_ = true;
}

bool Run::SegmentPageDone(int seg, std::string token, uint64_t scanned,
                          uint64_t written, bool done) {
  bool all_done = false;
  {
    MutexLock lock(&mu_);
    SegmentState& st = state_.segments[static_cast<size_t>(seg)];
    st.token = std::move(token);
    st.scanned += scanned;
    st.written += written;
    written_here_ += written;
    if (done && !st.done) {
      st.done = true;
      ++segments_done_;
      all_done = segments_done_ == static_cast<int>(state_.segments.size());
      if (all_done &&
          MoveAllowed(state_.phase, RunPhase::kReplay, PhaseMove::kRun)) {
        state_.phase = RunPhase::kReplay;
        state_.last_verify.reset();
      }
    }
    dirty_ = true;
  }
  cv_.SignalAll();
  return all_done;
}

int Run::segments_done() const {
  MutexLock lock(&mu_);
  return segments_done_;
}

uint64_t Run::written_here() const {
  MutexLock lock(&mu_);
  return written_here_;
}

void Run::set_recent_rate(double r) {
  MutexLock lock(&mu_);
  recent_rate_ = r;
}

double Run::recent_rate() const {
  MutexLock lock(&mu_);
  return recent_rate_;
}

void Run::Fail(const Status& s) {
  {
    MutexLock lock(&mu_);
    if (error_.ok()) error_ = s;
    state_.last_verify.reset();
    dirty_ = true;
    stop_.store(true, std::memory_order_release);
  }
  cv_.SignalAll();
}

Status Run::error() const {
  MutexLock lock(&mu_);
  return error_;
}

void Run::RequestStop() {
  {
    MutexLock lock(&mu_);
    stop_.store(true, std::memory_order_release);
  }
  cv_.SignalAll();
}

Status Run::WaitUntil(const std::function<bool(const RunState&)>& done) {
  MutexLock lock(&mu_);
  while (!done(state_)) {
    if (!error_.ok()) return error_;
    if (stopping()) return Status::Cancelled("the run was stopped");
    cv_.WaitFor(&mu_, std::chrono::milliseconds(5));
  }
  return error_;
}

void Run::Notify() {
  // Taking the lock orders the notification after a waiter's check.
  { MutexLock lock(&mu_); }
  cv_.SignalAll();
}

void Run::SleepFor(std::chrono::milliseconds d) {
  auto until = std::chrono::steady_clock::now() + d;
  MutexLock lock(&mu_);
  while (!stopping()) {
    auto now = std::chrono::steady_clock::now();
    if (now >= until) break;
    cv_.WaitFor(&mu_, until - now);
  }
}

void Run::SetOwnershipChecks(std::function<Status()> commit,
                             std::function<Status()> held) {
  commit_check_ = std::move(commit);
  held_check_ = std::move(held);
}

Status Run::CheckCommit() const {
  return commit_check_ ? commit_check_() : Status::OK();
}

Status Run::Save() {
  MutexLock save(&save_mu_);
  if (retired_) return Status::OK();
  // Another owner may have the run: its state must not be overwritten.
  if (held_check_) RETURN_IF_ERROR(held_check_());
  RunState copy;
  {
    MutexLock lock(&mu_);
    copy = state_;
    dirty_ = false;
  }
  return SaveRunState(store_, copy);
}

void Run::Retire() {
  MutexLock save(&save_mu_);
  retired_ = true;
}

bool Run::dirty() const {
  MutexLock lock(&mu_);
  return dirty_;
}

}  // namespace migrate
}  // namespace godwit
