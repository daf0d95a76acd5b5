// See render.h.
#include "cli/render.h"

#include <unistd.h>

#include <cstdio>
#include <sstream>

#include "cli/session.h"

namespace godwit::cli {

std::string ProgressLine(const MigrationProgress& p) {
  std::ostringstream o;
  o << RunPhaseName(p.phase);
  if (p.phase == RunPhase::kBackfill) {
    o << "  " << Thousands(p.scanned);
    if (p.estimated_total > 0) o << "/" << Thousands(p.estimated_total);
    o << " items  " << Thousands(static_cast<uint64_t>(p.items_per_second))
      << " items/s  segments " << p.segments_done << "/" << p.segments_total;
    if (p.items_per_second > 0 && p.estimated_total > p.scanned) {
      o << "  ETA "
        << Duration(static_cast<double>(p.estimated_total - p.scanned) /
                    p.items_per_second);
    }
  } else {
    o << "  copied " << Thousands(p.written) << "  replayed "
      << Thousands(p.replayed);
  }
  o << "  lag " << Thousands(p.replay_lag);
  if (p.errors > 0) o << "  errors " << Thousands(p.errors);
  if (p.dropped > 0) o << "  dropped " << Thousands(p.dropped);
  return o.str();
}

std::string VerifyText(const VerifyReport& r) {
  std::ostringstream o;
  o << "verify: " << (r.ok() ? "OK" : "DIFFERENCES") << " at sequence "
    << r.sequence << ": " << Thousands(r.source_items) << " items mapped to "
    << Thousands(r.expected_items) << ", destination holds "
    << Thousands(r.destination_items) << ", " << Thousands(r.differences)
    << " differences";
  if (r.unmapped > 0) {
    o << ", " << Thousands(r.unmapped) << " items not mapped (dead letters)";
  }
  if (r.unsettled > 0) {
    o << ", " << Thousands(r.unsettled)
      << " keys written during every re-check (not compared: verify again)";
  }
  o << " (" << std::fixed;
  o.precision(1);
  o << r.seconds << " s)\n";
  for (const auto& d : r.first) {
    o << "  key " << d.key << "\n    expected "
      << (d.expected.empty() ? "(absent)" : d.expected) << "\n    actual   "
      << (d.actual.empty() ? "(absent)" : d.actual) << "\n";
  }
  return o.str();
}

std::string FlipText(std::string_view what, const FlipReport& f, bool forced) {
  char buf[512];
  std::snprintf(buf, sizeof(buf),
                "%.*s: %s -> %s, longest write pause %.1f ms\n",
                static_cast<int>(what.size()), what.data(),
                f.from_table.c_str(), f.to_table.c_str(), f.write_pause_ms);
  std::string out = buf;
  if (forced) {
    out +=
        "  --force: the verify gate was skipped (no passing verify of this "
        "phase was required)\n";
  }
  return out;
}

std::string RunInfoText(const RunInfo& i) {
  return std::string(i.resumed ? "resuming" : "starting") + " run " + i.run_id +
         ": " + i.source + " -> " + i.destination + " (" +
         std::string(RunPhaseName(i.phase)) + ")\n";
}

std::string RenderReply(const Reply& r, bool json) {
  if (json) return ReplyToJson(r) + "\n";
  std::string out;
  switch (r.command) {
    case CommandKind::kPause:
    case CommandKind::kResume:
      return r.paused ? "paused\n" : "resumed\n";
    case CommandKind::kRate:
      return r.rate == 0 ? "rate limit removed (unlimited)\n"
                         : "rate set to " + FormatRate(r.rate) + "\n";
    case CommandKind::kProgress:
      return r.progress ? ProgressLine(*r.progress) + "\n" : "";
    case CommandKind::kVerify:
    case CommandKind::kCutover:
    case CommandKind::kRollback:
      if (r.verify) out += VerifyText(*r.verify);
      if (r.flip) out += FlipText(CommandName(r.command), *r.flip, r.forced);
      return out;
    case CommandKind::kFinish:
      return "finished\n";
    case CommandKind::kAbandon:
      return "abandoned: the destination is dropped, the source stays "
             "active\n";
  }
  return out;
}

int ExitCodeOf(const Reply& r) {
  return r.differences() ? kExitDifferences : kExitOk;
}

Outcome PrintReply(const Result<Reply>& r, bool json) {
  if (!r.ok()) return Outcome(r.status());
  std::string text = RenderReply(*r, json);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
  if (r->differences()) {
    std::string what = "verify found differences";
    if (r->command != CommandKind::kVerify) {
      what += "; not switching (the run goes on: fix the cause, verify again)";
    }
    return Outcome(Status::Aborted(what), kExitDifferences);
  }
  return Outcome(Status::OK());
}

ProgressPrinter::ProgressPrinter(bool json)
    : tty_(isatty(2) != 0), json_(json) {}

void ProgressPrinter::Print(const MigrationProgress& p) {
  if (json_) {
    std::fprintf(stderr, "%s\n", ProgressToJson(p).c_str());
    return;
  }
  std::string line = ProgressLine(p);
  auto now = std::chrono::steady_clock::now();
  if (tty_) {
    std::fprintf(stderr, "\r\033[K%s", line.c_str());
    dirty_ = true;
  } else if (now - last_ >= std::chrono::seconds(5)) {
    last_ = now;
    std::fprintf(stderr, "%s\n", line.c_str());
  }
}

void ProgressPrinter::Break() {
  if (dirty_) std::fprintf(stderr, "\n");
  dirty_ = false;
}

}  // namespace godwit::cli
