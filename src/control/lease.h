// Leases in the control table: one owner of a thing at a time, wherever the
// contenders run (another process, another host), with a conditional write
// as the only arbiter. The record grammar is at the top of lease.cc and in
// docs/formats/lease.md.
//
// A lease names a resource (a logical table) and a thing of it ("run": the
// ownership of the table's migration run; later backfill segments and the
// stream capture, leased to several workers the same way). It has an owner,
// an expiry, and a random token drawn at each acquisition:
//
//   - Acquire: absent -> put if absent; present and expired (or its owner
//     known gone, LeaseOptions::owner_gone) -> take over with a put on the
//     condition that the token is still the one read (compare-and-swap: two
//     contenders taking over one expired lease cannot both win); present
//     and live -> refused, naming the owner.
//   - Renew: a put on the condition that the token is ours, with a new
//     expiry. A failed condition means the lease was taken over (or
//     removed): it is lost, and the holder must stop doing what it leased.
//   - Release: a delete on the condition that the token is ours.
//
// WARNING: a lease is only as good as the clocks that compare its expiry.
// The holder computes `expires` with its clock and a contender compares it
// with its own: the hosts' clocks must agree to well within the lease's
// duration (NTP keeps them within milliseconds). A holder must also stop
// before its lease expires when it cannot renew (see Held()).
//
// Threads: a Lease is thread-safe. The free functions are safe to call from
// many threads (the store is).
//
// Example:
//   LeaseOptions o;
//   o.what = "Orders is being migrated";
//   ASSIGN_OR_RETURN(std::unique_ptr<Lease> lease,
//                    Lease::Acquire(store, "Orders", "run", o));
//   ...
//   RETURN_IF_ERROR(lease->Renew());   // every duration / 3
//   ...
//   RETURN_IF_ERROR(lease->Release());
#ifndef GODWIT_CONTROL_LEASE_H_
#define GODWIT_CONTROL_LEASE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "godwit/status.h"
#include "godwit/store.h"

namespace godwit::control {

// Who holds a lease.
struct LeaseOwner {
  std::string host;  // the host name (gethostname)
  int64_t pid = 0;
  // Drawn at random once per process start: tells a process from an
  // earlier or later one with the same pid, on this host or another.
  std::string process;
  friend bool operator==(const LeaseOwner&, const LeaseOwner&) = default;
};
// This process (the same value for its whole life).
const LeaseOwner& ThisProcess();

// A lease as the control table records it.
struct LeaseRecord {
  std::string resource;  // "Orders"
  std::string name;      // "run"
  LeaseOwner owner;
  int64_t since_micros = 0;    // when the owner acquired it
  int64_t renewed_micros = 0;  // its last renewal (= since at first)
  int64_t expires_micros = 0;  // live while the clock is before this
  std::string token;           // random, drawn at each acquisition
  bool expired(int64_t now_micros) const {
    return now_micros >= expires_micros;
  }
};

// "host h, pid 1234, since 2026-12-03 15:01:02 UTC; the lease expires in
// 23 s" (or "expired 4 s ago").
std::string DescribeHolder(const LeaseRecord& r, int64_t now_micros);
// 2026-12-03 15:01:02 UTC.
std::string FormatUtc(int64_t micros);

struct LeaseOptions {
  // How long the lease lasts without a renewal (> 0).
  int64_t duration_micros = int64_t{30} * 1000000;
  // The wall clock, microseconds since the epoch. Unset: the system clock.
  // Tests inject one to expire leases without sleeping.
  std::function<int64_t()> clock;
  // The owner to record. Unset (empty host): ThisProcess().
  LeaseOwner owner;
  // Returns true when the holder of a live lease is known to be gone: it is
  // then taken over like an expired one (with the same compare-and-swap).
  // E.g. the embedded store is open in one process at a time, so a lease
  // another process left in it belongs to a process that no longer runs.
  // Unset: only expiry frees a lease.
  std::function<bool(const LeaseRecord&)> owner_gone;
  // The refusal's subject: "<what> by host h, pid 1234, since ...".
  // Empty: "lease <name> of <resource> is held".
  std::string what;
};

class Lease {
 public:
  // Takes the lease `name` of `resource` (creating the control table if
  // needed). If another holder's lease was taken over (expired, or its
  // owner gone), *previous says whose it was.
  // Errors: FailedPrecondition naming the holder while another holder's
  // lease is live (a lease is never re-entrant: a second Acquire in the same
  // process is refused too); InvalidArgument for an empty resource or name
  // or a duration <= 0; DataLoss for a damaged record; those of the store.
  static Result<std::unique_ptr<Lease>> Acquire(
      Store* store, const std::string& resource, const std::string& name,
      LeaseOptions options, std::optional<LeaseRecord>* previous = nullptr);

  // Does not release (a holder that must not release, e.g. one that lost
  // it, just drops it; Release() first to hand it over at once).
  ~Lease();
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;

  // Extends the lease to now + duration.
  // Errors: Aborted when the lease is lost (taken over or removed; the
  // message names the new holder if there is one); from then on every call
  // returns that error. Those of the store (transient: retry, while Held()).
  Status Renew();

  // OK while the lease is ours with at least `margin_micros` left before
  // its expiry as of the last successful renewal. No I/O. Errors: Aborted
  // once lost; FailedPrecondition when too little is left (the renewals
  // failed): the holder should stop before someone else takes over.
  Status Held(int64_t margin_micros) const;

  // Deletes the record if it is still ours. Idempotent.
  // Errors: Aborted if it was lost (nothing deleted); those of the store.
  Status Release();

  // The lease as last written or read by this holder.
  LeaseRecord record() const;
  const LeaseOptions& options() const { return opts_; }
  int64_t Now() const;

 private:
  Lease(Store* store, LeaseOptions opts, LeaseRecord rec);

  Store* const store_;
  const LeaseOptions opts_;
  std::mutex io_mu_;  // one Renew or Release at a time
  mutable std::mutex mu_;
  LeaseRecord rec_;        // GUARDED_BY(mu_)
  Status lost_;            // GUARDED_BY(mu_): non-OK once lost
  bool released_ = false;  // GUARDED_BY(mu_)
};

// The lease `name` of `resource`, live or expired, if there is a record.
// Errors: DataLoss for a damaged record; those of the store.
Result<std::optional<LeaseRecord>> ReadLease(Store* store,
                                             const std::string& resource,
                                             const std::string& name);

// Every lease record in the store (live or expired), by resource and name.
// A store without a control table has none.
Result<std::vector<LeaseRecord>> ListLeases(Store* store);

}  // namespace godwit::control

#endif  // GODWIT_CONTROL_LEASE_H_
