// The ownership of a run: the lease "run" of its logical table
// (src/control/lease.h), which every Controller holds while it is open, so
// that one process at a time drives a run wherever the contenders run
// (docs/engine.md "Ownership").
//
// Controller::Open acquires it before anything is written; a thread of its
// own renews it every OwnershipOptions::renew_seconds; Release() (when the
// controller is destroyed) stops that thread and deletes the record. When a
// renewal finds the lease taken over, or cannot renew it before it could
// expire, the lease is lost: `on_lost` runs once on the renewal thread (the
// controller stops the migration there) and lost() returns the error every
// later command gets.
//
// Threads: thread-safe; StopRenewal() and Release() must not be called
// from `on_lost`.
#ifndef GODWIT_MIGRATE_CONTROLLER_LEASE_H_
#define GODWIT_MIGRATE_CONTROLLER_LEASE_H_

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "control/lease.h"
#include "godwit/controller.h"
#include "godwit/status.h"
#include "godwit/store.h"

namespace godwit::migrate {

// The lease's name in the control table: pk "lease#<Table>", sk "run".
inline constexpr char kRunLeaseName[] = "run";

class RunOwnership {
 public:
  // Takes the run lease of `table` and starts renewing it.
  // Errors: FailedPrecondition "<Table> is being migrated by host h, pid p,
  // since ...; the lease expires in N s" while another controller (here or
  // in any process) holds it; InvalidArgument for bad options; those of
  // control::Lease::Acquire.
  static Result<std::unique_ptr<RunOwnership>> Acquire(
      Store* store, const std::string& table, const OwnershipOptions& o);
  // Release().
  ~RunOwnership();
  RunOwnership(const RunOwnership&) = delete;
  RunOwnership& operator=(const RunOwnership&) = delete;

  // Sets what to do when the lease is lost: `on_lost` runs once, on the
  // renewal thread. Call once. Errors: the lost() error if the lease was
  // lost already (`on_lost` is then never called).
  Status OnLost(std::function<void(const Status&)> on_lost);

  // Stops the renewal thread (the lease stays until it expires or is
  // released). Idempotent.
  void StopRenewal();
  // StopRenewal, then deletes the lease record if it is still ours.
  // Idempotent. Errors of the delete are dropped: the lease then expires
  // by itself.
  void Release();

  // OK while the lease is ours; once lost, FailedPrecondition "the run of T
  // was lost to another owner: ...".
  Status lost() const;

  // The commit-point checks the controller hands to the engine. Each
  // function is valid while this object lives.
  //
  // CommitCheck: renews the lease now (one conditional write): OK means the
  // lease is ours at this instant and for a whole duration from it. For the
  // rare commit points whose effect another owner must never see
  // duplicated: the flips (before the pointer write), finish, abandon. A
  // transient store error is OK only while the lease still has a renewal
  // interval to run. A lost lease: the lost() error (and the run is stopped
  // from the renewal thread, never from the caller's).
  std::function<Status()> CommitCheck();
  // HeldCheck: no I/O; OK while the lease is ours with more than a renewal
  // interval left as of its last renewal. For frequent commit points (the
  // checkpoint of the run state).
  std::function<Status()> HeldCheck();

  // The lease as this holder last wrote it.
  control::LeaseRecord record() const { return lease_->record(); }
  // The holder whose expired (or gone) lease was taken over, if any.
  const std::optional<control::LeaseRecord>& previous() const {
    return previous_;
  }

 private:
  RunOwnership(std::string table, std::unique_ptr<control::Lease> lease,
               int64_t renew_micros);
  void Loop();
  // Records `why` as the loss (the first one wins) and wakes the loop.
  void MarkLost(const Status& why);
  Status Renewed(const Status& renewal);

  const std::string table_;
  const std::unique_ptr<control::Lease> lease_;
  const int64_t renew_micros_;
  std::optional<control::LeaseRecord> previous_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  Status lost_;                                 // GUARDED_BY(mu_)
  bool stop_ = false;                           // GUARDED_BY(mu_)
  bool released_ = false;                       // GUARDED_BY(mu_)
  std::function<void(const Status&)> on_lost_;  // GUARDED_BY(mu_)
  std::mutex join_mu_;                          // one joiner of thread_
  std::thread thread_;  // GUARDED_BY(join_mu_) once started
};

// The lease record as a RunOwner.
RunOwner ToRunOwner(const control::LeaseRecord& r);

// Marks `run_dir` as the directory of a run of the store `store_id`
// (writes run_dir/store: the id and a newline), or checks that it is.
// Empty `store_id`: nothing to do.
// Errors: those of CheckRunDirectoryStore; IOError.
Status ClaimRunDirectory(const std::string& run_dir,
                         const std::string& store_id);

}  // namespace godwit::migrate

#endif  // GODWIT_MIGRATE_CONTROLLER_LEASE_H_
