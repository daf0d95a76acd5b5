#include "migrate/flips.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <thread>

#include "migrate/key_map.h"
#include "migrate/run_state.h"
#include "migrate/table_ops.h"
#include "util/crash_point.h"

namespace godwit::migrate {
namespace {

// Sync drains in rounds until fewer than this many changes are left, before
// writes are held: the pause is only the last round's.
constexpr uint64_t kSmallLag = 200;

// Runs `fn` when the scope ends.
class ScopeExit {
 public:
  explicit ScopeExit(std::function<void()> fn) : fn_(std::move(fn)) {}
  ~ScopeExit() { fn_(); }
  ScopeExit(const ScopeExit&) = delete;
  ScopeExit& operator=(const ScopeExit&) = delete;

 private:
  std::function<void()> fn_;
};

}  // namespace

class Flips::Fence {
 public:
  Fence(Store* store, std::string logical, control::Pointer p)
      : store_(store), logical_(std::move(logical)), p_(std::move(p)) {}
  ~Fence() {
    if (!armed_) return;
    // The flip did not happen: writers may go on to the same table.
    Status s = control::SetPointer(store_, logical_, p_);
    if (!s.ok()) {
      std::fprintf(stderr,
                   "godwit: could not set the pointer of %s back to active "
                   "(%s); a resumed run does it\n",
                   logical_.c_str(), s.ToString().c_str());
    }
  }
  void Dismiss() { armed_ = false; }

 private:
  Store* store_;
  std::string logical_;
  control::Pointer p_;  // as it was, "active"
  bool armed_ = true;
};

Result<std::unique_ptr<Flips::Fence>> Flips::FenceWriters(
    const std::string& active) {
  if (p_.fence_seconds <= 0) return std::unique_ptr<Fence>();
  const RunIdentity& id = p_.run->id();
  ASSIGN_OR_RETURN(std::optional<control::Pointer> ptr,
                   control::GetPointer(p_.store, id.logical));
  control::Pointer p =
      ptr ? *ptr : control::Pointer{active, 0, "active", id.run_id};
  p.state = "active";
  auto fence = std::make_unique<Fence>(p_.store, id.logical, p);
  control::Pointer switching = p;
  switching.state = "switching";
  switching.run = id.run_id;
  RETURN_IF_ERROR(control::SetPointer(p_.store, id.logical, switching));
  CrashPoint("flip.switching");
  std::this_thread::sleep_for(std::chrono::duration<double>(p_.fence_seconds));
  return fence;
}

Result<uint64_t> Flips::PointerEpoch() {
  ASSIGN_OR_RETURN(std::optional<control::Pointer> ptr,
                   control::GetPointer(p_.store, p_.run->id().logical));
  return ptr ? ptr->epoch : 0;
}

Result<std::string> Flips::GateRefusal(RunPhase phase) {
  RunState s = p_.run->state();
  const std::string phase_name(RunPhaseName(phase));
  if (!s.last_verify || s.last_verify->phase != phase) {
    return "no verify of this run has passed in its phase (" + phase_name +
           ") since it began (a phase change, a run error, or a resume "
           "that created the destination anew undo an earlier one)";
  }
  const VerifyRecord& v = *s.last_verify;
  if (!v.ok) {
    std::string found;
    auto add = [&found](uint64_t n, const std::string& what) {
      if (n == 0) return;
      found += (found.empty() ? "" : ", ") + std::to_string(n) + " " + what;
    };
    add(v.differences, "differences");
    add(v.unmapped, "unmapped items (dead-lettered)");
    add(v.unsettled, "unsettled keys");
    if (v.expected_items != v.destination_items) {
      found += (found.empty() ? "" : "; ") + std::to_string(v.expected_items) +
               " items expected, " + std::to_string(v.destination_items) +
               " found";
    }
    if (found.empty()) found = "counts that disagree";
    return "the last verify of this run found " + found;
  }
  Result<TableDescription> d = p_.destination->Describe();
  if (!d.ok()) {
    return "the destination " + p_.run->id().destination +
           " cannot be described (" + d.status().ToString() + ")";
  }
  if (d->created_micros != v.destination_created_micros) {
    return "the destination " + p_.run->id().destination +
           " was created anew since the last verify";
  }
  return std::string();
}

Status Flips::CheckGate(const char* flip, RunPhase phase,
                        const FlipOptions& opts, FlipReport* report) {
  ASSIGN_OR_RETURN(std::string refusal, GateRefusal(phase));
  if (refusal.empty()) return Status::OK();
  if (!opts.force) {
    return Status::FailedPrecondition(
        std::string(flip) + " of " + p_.run->id().logical + " refused: " +
        refusal + ". Verify until it passes, or force the flip (--force).");
  }
  report->gate_skipped = refusal;
  return Status::OK();
}

Result<FlipReport> Flips::Cutover(const FlipOptions& opts) {
  Run* run = p_.run;
  const RunIdentity& id = run->id();
  RunPhase ph = run->phase();
  if (ph != RunPhase::kReplay && ph != RunPhase::kRolledBack) {
    return Status::FailedPrecondition("cannot cut over in phase " +
                                      std::string(RunPhaseName(ph)));
  }
  FlipReport report;
  RETURN_IF_ERROR(CheckGate("cutover", ph, opts, &report));
  // Turn the destination's stream on now (reverse sync reads it only from
  // the flip on), and drain the lag before holding writes.
  RETURN_IF_ERROR(p_.store->UpdateStream(id.destination, true));
  RETURN_IF_ERROR(p_.replay->DrainUntilBehind(kSmallLag));
  report.from_table = id.source;
  report.to_table = id.destination;
  ASSIGN_OR_RETURN(std::unique_ptr<Fence> fence, FenceWriters(id.source));
  ASSIGN_OR_RETURN(std::unique_ptr<WriteHold> hold,
                   p_.router->HoldWrites(id.logical));
  CrashPoint("cutover.held");
  // Only the run's owner may flip: the lease is renewed now, for a whole
  // lease duration, more than the rest of the flip takes (a refusal undoes
  // the hold and the fence).
  RETURN_IF_ERROR(run->CheckCommit());
  uint64_t replayed_before = run->state().replayed;
  // With writes held the source cannot change: drain until the capture
  // reader found every source shard at its head after now (plus the
  // stream's record delay) and replay applied the journal up to there.
  RETURN_IF_ERROR(p_.replay->Drain().status());
  p_.capture->SetEnabled(false);
  p_.replay->SetEnabled(false);
  // Until the phase moves, a failure leaves the run as it was: forward
  // capture and replay go on.
  ScopeExit resume_forward([this, run] {
    if (run->phase() == RunPhase::kCutOver) return;
    p_.capture->SetEnabled(true);
    p_.replay->SetEnabled(true);
  });
  // Where forward capture stopped: journal_offset and capture_cursor made
  // a consistent pair by the last sync.
  RETURN_IF_ERROR(p_.capture->SyncNow());
  // Reverse sync reads the destination's stream from now on: a reader at
  // its head now, under the hold (replay's own writes before it are not
  // sent back). The local store's number pins its records.
  ASSIGN_OR_RETURN(
      std::unique_ptr<ShardedStreamReader> reverse_reader,
      OpenShardedStream(p_.destination.get(), StreamStart::Latest()));
  ASSIGN_OR_RETURN(uint64_t reverse_start,
                   LatestSequence(p_.destination.get()));
  RETURN_IF_ERROR(PinStream(p_.destination.get(), id.consumer, reverse_start));
  ASSIGN_OR_RETURN(uint64_t epoch, PointerEpoch());
  RETURN_IF_ERROR(run->MoveTo(RunPhase::kCutOver));
  StreamCursor reverse_cursor = reverse_reader->cursor();
  run->Update([&](RunState& s) {
    s.forward_stop_seq = s.captured_seq;
    s.forward_stop_cursor = s.capture_cursor;
    s.reverse_seq = reverse_start;
    s.reverse_cursor = reverse_cursor;
    report.drained_records = s.replayed - replayed_before;
  });
  // Save the state before the flip: the pointer is the commit point, and a
  // resumed run trusts the pointer over the state.
  RETURN_IF_ERROR(run->Save());
  CrashPoint("cutover.saved");
  RETURN_IF_ERROR(p_.reverse->BetweenSteps([&] {
    p_.reverse_source->OpenWith(std::move(reverse_reader));
    return Status::OK();
  }));
  p_.reverse->SetEnabled(true);
  control::Pointer np{id.destination, epoch + 1, "active", id.run_id};
  RETURN_IF_ERROR(p_.router->Flip(id.logical, np, hold.get()));
  if (fence) fence->Dismiss();
  CrashPoint("cutover.flipped");
  report.write_pause_ms = hold->held_ms();
  hold.reset();  // writes go on, to the destination
  return report;
}

Result<FlipReport> Flips::Rollback(const FlipOptions& opts) {
  Run* run = p_.run;
  const RunIdentity& id = run->id();
  if (run->phase() != RunPhase::kCutOver) {
    return Status::FailedPrecondition(
        "rollback needs a cut-over run; the run of " + id.logical +
        " is in phase " + std::string(RunPhaseName(run->phase())));
  }
  FlipReport report;
  RETURN_IF_ERROR(CheckGate("rollback", RunPhase::kCutOver, opts, &report));
  RETURN_IF_ERROR(p_.reverse->DrainUntilBehind(kSmallLag));
  report.from_table = id.destination;
  report.to_table = id.source;
  ASSIGN_OR_RETURN(std::unique_ptr<Fence> fence, FenceWriters(id.destination));
  ASSIGN_OR_RETURN(std::unique_ptr<WriteHold> hold,
                   p_.router->HoldWrites(id.logical));
  CrashPoint("rollback.held");
  RETURN_IF_ERROR(run->CheckCommit());
  RETURN_IF_ERROR(p_.reverse->Drain().status());
  p_.reverse->SetEnabled(false);
  ScopeExit resume_reverse([this, run] {
    if (run->phase() == RunPhase::kCutOver) p_.reverse->SetEnabled(true);
  });
  // Forward capture restarts where it stopped at the cutover: it re-reads
  // the source's records since then, which are reverse sync's own writes,
  // and replay converges on them (docs/engine.md, "Rollback"). If that
  // position was trimmed, from the source's head now, under the hold,
  // reverse sync drained.
  ASSIGN_OR_RETURN(uint64_t epoch, PointerEpoch());
  RunState now = run->state();
  RETURN_IF_ERROR(
      PinStream(p_.source.get(), id.consumer, now.forward_stop_seq));
  Status reopened =
      p_.capture->Reopen(StreamStart::From(now.forward_stop_cursor));
  if (reopened.code() == StatusCode::kDataLoss) {
    std::fprintf(stderr,
                 "godwit: the source stream of %s no longer holds where "
                 "capture stopped at the cutover (%s); capture restarts at "
                 "its head now, with writes held\n",
                 id.logical.c_str(), reopened.ToString().c_str());
    reopened = p_.capture->Reopen(StreamStart::Latest());
  }
  RETURN_IF_ERROR(reopened);
  RETURN_IF_ERROR(run->MoveTo(RunPhase::kRolledBack));
  RETURN_IF_ERROR(run->Save());
  CrashPoint("rollback.saved");
  control::Pointer np{id.source, epoch + 1, "active", id.run_id};
  RETURN_IF_ERROR(p_.router->Flip(id.logical, np, hold.get()));
  if (fence) fence->Dismiss();
  CrashPoint("rollback.flipped");
  p_.capture->SetEnabled(true);
  p_.replay->SetEnabled(true);
  report.write_pause_ms = hold->held_ms();
  hold.reset();
  return report;
}

Status Flips::Finish(const std::function<Status()>& record) {
  Run* run = p_.run;
  const RunIdentity& id = run->id();
  if (run->phase() != RunPhase::kCutOver) {
    return Status::FailedPrecondition(
        "finish needs a cut-over run (cut over first, or roll back and "
        "abandon); the run of " +
        id.logical + " is in phase " + std::string(RunPhaseName(run->phase())));
  }
  RETURN_IF_ERROR(run->CheckCommit());
  RETURN_IF_ERROR(p_.reverse->CatchUp().status());
  p_.reverse->SetEnabled(false);
  if (record) RETURN_IF_ERROR(record());
  RETURN_IF_ERROR(run->MoveTo(RunPhase::kFinished));
  RETURN_IF_ERROR(run->Save());
  // The stream consumers and the key map only served this run.
  (void)p_.source->DropStreamConsumer(id.consumer);
  (void)p_.destination->DropStreamConsumer(id.consumer);
  Status s = p_.store->DropTable(KeyMap::TableName(id.destination));
  if (!s.ok() && !s.IsNotFound()) return s;
  return Status::OK();
}

Status Flips::CheckAbandon() {
  const RunIdentity& id = p_.run->id();
  RunPhase ph = p_.run->phase();
  if (ph != RunPhase::kBackfill && ph != RunPhase::kReplay &&
      ph != RunPhase::kRolledBack) {
    return Status::FailedPrecondition(
        "abandon needs a run before its cutover or after a rollback (the "
        "source active); the run of " +
        id.logical + " is in phase " + std::string(RunPhaseName(ph)) +
        (ph == RunPhase::kCutOver ? " (roll back first)" : ""));
  }
  ASSIGN_OR_RETURN(std::string active,
                   control::ResolveActiveTable(p_.store, id.logical));
  if (active != id.source) {
    return Status::FailedPrecondition(
        "abandon needs the source active; the active table of " + id.logical +
        " is " + active);
  }
  return Status::OK();
}

Status Flips::Abandon() {
  Run* run = p_.run;
  const RunIdentity& id = run->id();
  RETURN_IF_ERROR(run->CheckCommit());
  // The record goes last: until then a resumed run (or another abandon)
  // finds the run and finishes the job.
  Status s = p_.store->DropTable(id.destination);
  if (!s.ok() && !s.IsNotFound()) return s;
  s = p_.store->DropTable(KeyMap::TableName(id.destination));
  if (!s.ok() && !s.IsNotFound()) return s;
  s = p_.source->DropStreamConsumer(id.consumer);
  if (!s.ok() && !s.IsNotFound() && s.code() != StatusCode::kUnimplemented) {
    return s;
  }
  std::error_code ec;
  std::filesystem::remove(id.journal_path, ec);
  if (ec) {
    return Status::IOError("cannot remove the journal " + id.journal_path +
                           ": " + ec.message());
  }
  if (std::filesystem::exists(id.dead_letter_path, ec)) {
    std::filesystem::path kept =
        std::filesystem::path(id.dead_letter_path).parent_path() /
        ("dead-letter." + id.run_id + ".jsonl");
    std::filesystem::rename(id.dead_letter_path, kept, ec);
    if (ec) {
      return Status::IOError("cannot rename the dead-letter file " +
                             id.dead_letter_path + ": " + ec.message());
    }
  }
  run->Retire();
  s = DeleteRunState(p_.store, id.logical);
  if (!s.ok() && !s.IsNotFound()) return s;
  return Status::OK();
}

}  // namespace godwit::migrate
