#include "migrate/run_verify.h"

#include <chrono>

namespace godwit::migrate {

Result<VerifyReport> RunVerifier::Verify(size_t max_reported) {
  auto t0 = std::chrono::steady_clock::now();
  bool cut_over = run_->phase() == RunPhase::kCutOver;
  Comparison c;
  c.from = cut_over ? destination_.get() : source_.get();
  c.to = cut_over ? source_.get() : destination_.get();
  c.dir = cut_over ? Direction::kDown : Direction::kUp;
  SyncGate* gate = cut_over ? reverse_ : replay_;
  // Freeze sync where it is, snapshot the mapped side at Q, let sync apply
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
      report.seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
              .count();
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
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  return report;
}

}  // namespace godwit::migrate
