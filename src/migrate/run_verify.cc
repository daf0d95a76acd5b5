#include "migrate/run_verify.h"

#include <algorithm>
#include <chrono>

namespace godwit::migrate {
namespace {

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Adds the second comparison of a cut-over run, up(old table) against the
// destination, to the report of the first. The differences shown are
// shared between the two when both have some.
void AddUpDirection(VerifyReport* r, VerifyReport up, size_t max_reported) {
  r->both_directions = true;
  r->up_expected_items = up.expected_items;
  r->up_destination_items = up.destination_items;
  r->differences += up.differences;
  r->unmapped += up.unmapped;
  r->unsettled += up.unsettled;
  size_t keep = max_reported - std::min(up.first.size(), max_reported / 2);
  if (r->first.size() > keep) r->first.resize(keep);
  for (VerifyReport::Difference& d : up.first) {
    if (r->first.size() >= max_reported) break;
    r->first.push_back(std::move(d));
  }
}

}  // namespace

Result<VerifyReport> RunVerifier::Verify(size_t max_reported) {
  auto t0 = std::chrono::steady_clock::now();
  RunPhase phase = run_->phase();
  // Which destination was compared: one created anew later is another.
  ASSIGN_OR_RETURN(TableDescription dest, destination_->Describe());
  Result<VerifyReport> r = Compare(phase == RunPhase::kCutOver, max_reported);
  if (!r.ok()) {
    run_->ForgetVerify();
    return r.status();
  }
  r->seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  VerifyRecord rec;
  rec.ok = r->ok();
  rec.phase = phase;
  rec.sequence = r->sequence;
  rec.destination_created_micros = dest.created_micros;
  rec.differences = r->differences;
  rec.unmapped = r->unmapped;
  rec.unsettled = r->unsettled;
  rec.expected_items = r->expected_items;
  rec.destination_items = r->destination_items;
  rec.at_micros = NowMicros();
  run_->RecordVerify(rec);
  RETURN_IF_ERROR(run_->Save());
  return r;
}

Result<VerifyReport> RunVerifier::Compare(bool cut_over, size_t max_reported) {
  // Before cutover: up(source) against the destination, replay carrying
  // the source's changes. After: down(destination) against the source,
  // reverse sync carrying the destination's, and then up(source) against
  // the destination over the same two moments.
  Comparison c;
  c.from = cut_over ? destination_.get() : source_.get();
  c.to = cut_over ? source_.get() : destination_.get();
  c.dir = cut_over ? Direction::kDown : Direction::kUp;
  SyncGate* gate = cut_over ? reverse_ : replay_;
  // Freeze sync where it is, snapshot the upstream at Q, let sync apply
  // exactly the changes up to Q, snapshot the other side, compare.
  gate->Freeze();
  std::unique_ptr<Snapshot> from_snap, to_snap;
  StreamMark q;
  {
    GateRelease release(gate);
    Result<std::unique_ptr<Snapshot>> fs = c.from->GetSnapshot();
    if (fs.status().code() == StatusCode::kUnimplemented) {
      gate->Release();  // no Q to hold sync at
      ASSIGN_OR_RETURN(VerifyReport report,
                       verifier_->CompareLive(c, /*upstream_is_from=*/true,
                                              gate, max_reported));
      if (cut_over) {
        Comparison up{source_.get(), nullptr, Direction::kUp,
                      destination_.get(), nullptr};
        ASSIGN_OR_RETURN(VerifyReport second,
                         verifier_->CompareLive(up, /*upstream_is_from=*/false,
                                                gate, max_reported));
        AddUpDirection(&report, std::move(second), max_reported);
      }
      return report;
    }
    RETURN_IF_ERROR(fs.status());
    from_snap = std::move(*fs);
    q = StreamMark::OfSnapshot(*from_snap);
    gate->HoldAt(q);
    RETURN_IF_ERROR(gate->WaitApplied(q));
    // Sync applied everything up to Q and, held there, nothing more.
    RETURN_IF_ERROR(gate->BetweenSteps([&]() -> Status {
      ASSIGN_OR_RETURN(to_snap, c.to->GetSnapshot());
      return Status::OK();
    }));
  }
  c.from_snapshot = from_snap.get();
  c.to_snapshot = to_snap.get();
  ASSIGN_OR_RETURN(VerifyReport report, verifier_->Compare(c, max_reported));
  report.sequence = q.sequence;
  if (cut_over) {
    Comparison up{source_.get(), to_snap.get(), Direction::kUp,
                  destination_.get(), from_snap.get()};
    ASSIGN_OR_RETURN(VerifyReport second, verifier_->Compare(up, max_reported));
    AddUpDirection(&report, std::move(second), max_reported);
  }
  return report;
}

}  // namespace godwit::migrate
