// The sync gate: what the verifier needs from a sync loop to compare two
// tables at one point of the upstream's stream.
//
//   gate->Freeze();                       // apply nothing more for now
//   snapshot the upstream: its mark is Q
//   gate->HoldAt(Q);                      // apply up to Q, nothing past
//   RETURN_IF_ERROR(gate->WaitApplied(Q));
//   gate->BetweenSteps([&] { snapshot the downstream; });
//   gate->Release();
//
// Without snapshots, CatchUp() lets sync pass the upstream's newest change
// before a table is read. Thread-safe.
#ifndef GODWIT_MIGRATE_SYNC_GATE_H_
#define GODWIT_MIGRATE_SYNC_GATE_H_

#include <functional>

#include "godwit/status.h"
#include "migrate/change_source.h"

namespace godwit::migrate {

class SyncGate {
 public:
  virtual ~SyncGate() = default;
  // Holds sync where it is: it applies nothing past what it has applied.
  // Returns once no step is running.
  virtual void Freeze() = 0;
  // Lets sync apply every change up to `mark` and nothing past it.
  virtual void HoldAt(const StreamMark& mark) = 0;
  // Lifts the hold.
  virtual void Release() = 0;
  // Blocks until every change up to `mark` is applied.
  // Errors: the run's error; Cancelled if the run stops first.
  virtual Status WaitApplied(const StreamMark& mark) = 0;
  // Blocks until sync has applied the upstream's newest change as of the
  // call, and returns the mark of that change.
  // Errors: as WaitApplied; the upstream's Describe errors.
  virtual Result<StreamMark> CatchUp() = 0;
  // Runs `fn` while no step runs (sync is between two batches).
  virtual Status BetweenSteps(const std::function<Status()>& fn) = 0;
};

// Holds a gate's hold for a scope: Release() on destruction.
class GateRelease {
 public:
  explicit GateRelease(SyncGate* gate) : gate_(gate) {}
  ~GateRelease() { gate_->Release(); }
  GateRelease(const GateRelease&) = delete;
  GateRelease& operator=(const GateRelease&) = delete;

 private:
  SyncGate* const gate_;
};

}  // namespace godwit::migrate

#endif  // GODWIT_MIGRATE_SYNC_GATE_H_
