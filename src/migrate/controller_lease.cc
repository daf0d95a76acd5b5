// The run's lease, held by its controller (see controller_lease.h), and
// the mark of the store on a run's directory:
//
//   <state dir>/<Table>/store := store-id "\n"
//   store-id := "local:" absolute-directory
//             | "dynamodb:" endpoint " " region
//
// written once, before the run's first file (docs/formats/state-dir.md).
#include "migrate/controller_lease.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace godwit::migrate {
namespace {

Status ValidateOwnership(const OwnershipOptions& o) {
  if (!std::isfinite(o.lease_seconds) || o.lease_seconds <= 0 ||
      o.lease_seconds > 86400) {
    return Status::InvalidArgument(
        "the run lease must last from 0 to 86400 seconds (not included: 0)");
  }
  if (!std::isfinite(o.renew_seconds) || o.renew_seconds < 0 ||
      o.renew_seconds >= o.lease_seconds) {
    return Status::InvalidArgument(
        "the run lease's renewal interval must be shorter than the lease");
  }
  return Status::OK();
}

}  // namespace

Result<std::unique_ptr<RunOwnership>> RunOwnership::Acquire(
    Store* store, const std::string& table, const OwnershipOptions& o) {
  RETURN_IF_ERROR(ValidateOwnership(o));
  control::LeaseOptions lo;
  lo.duration_micros = static_cast<int64_t>(o.lease_seconds * 1e6);
  lo.clock = o.clock;
  lo.what = table + " is being migrated";
  if (o.exclusive_store) {
    // This process holds the store alone: a lease another process left in
    // it belongs to a process that is not running any more.
    const control::LeaseOwner self = control::ThisProcess();
    lo.owner_gone = [self](const control::LeaseRecord& r) {
      return !(r.owner == self);
    };
  }
  std::optional<control::LeaseRecord> previous;
  Result<std::unique_ptr<control::Lease>> lease =
      control::Lease::Acquire(store, table, kRunLeaseName, lo, &previous);
  if (!lease.ok()) {
    if (lease.status().code() != StatusCode::kFailedPrecondition) {
      return lease.status().WithContext("the run lease of " + table);
    }
    return Status::FailedPrecondition(
        std::string(lease.status().message()) +
        " (its owner renews it while it runs; if that process was killed, "
        "retry once the lease has expired)");
  }
  int64_t renew = o.renew_seconds > 0
                      ? static_cast<int64_t>(o.renew_seconds * 1e6)
                      : static_cast<int64_t>(o.lease_seconds * 1e6 / 3);
  std::unique_ptr<RunOwnership> r(
      new RunOwnership(table, std::move(*lease), std::max<int64_t>(renew, 1)));
  r->previous_ = std::move(previous);
  r->thread_ = std::thread([p = r.get()] { p->Loop(); });
  return r;
}

RunOwnership::RunOwnership(std::string table,
                           std::unique_ptr<control::Lease> lease,
                           int64_t renew_micros)
    : table_(std::move(table)),
      lease_(std::move(lease)),
      renew_micros_(renew_micros) {}

RunOwnership::~RunOwnership() { Release(); }

Status RunOwnership::OnLost(std::function<void(const Status&)> on_lost) {
  std::lock_guard lock(mu_);
  if (!lost_.ok()) return lost_;
  on_lost_ = std::move(on_lost);
  return Status::OK();
}

void RunOwnership::StopRenewal() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  std::lock_guard join(join_mu_);
  if (thread_.joinable()) thread_.join();
}

void RunOwnership::Release() {
  StopRenewal();
  {
    std::lock_guard lock(mu_);
    if (released_) return;
    released_ = true;
  }
  Status s = lease_->Release();  // Aborted if lost: nothing to delete
  (void)s;
}

Status RunOwnership::lost() const {
  std::lock_guard lock(mu_);
  return lost_;
}

void RunOwnership::MarkLost(const Status& why) {
  {
    std::lock_guard lock(mu_);
    if (!lost_.ok()) return;
    lost_ = Status::FailedPrecondition(
        "the run of " + table_ + " was lost to another owner: " +
        std::string(why.message()) + "; this process stopped driving it");
  }
  cv_.notify_all();
}

// The outcome of a renewal as a commit point sees it.
Status RunOwnership::Renewed(const Status& renewal) {
  if (renewal.ok()) return Status::OK();
  if (renewal.IsAborted()) {  // taken over or removed
    MarkLost(renewal);
    return lost();
  }
  // A transient error: the lease is still ours if enough of it is left.
  Status held = lease_->Held(renew_micros_);
  if (!held.ok()) {
    return Status::FailedPrecondition(
        std::string(held.message()) +
        " (renewing it failed: " + renewal.ToString() + ")");
  }
  return Status::OK();
}

std::function<Status()> RunOwnership::CommitCheck() {
  return [this]() -> Status {
    if (Status l = lost(); !l.ok()) return l;
    return Renewed(lease_->Renew());
  };
}

std::function<Status()> RunOwnership::HeldCheck() {
  return [this]() -> Status {
    if (Status l = lost(); !l.ok()) return l;
    Status held = lease_->Held(renew_micros_);
    if (held.IsAborted()) {
      MarkLost(held);
      return lost();
    }
    return held;
  };
}

void RunOwnership::Loop() {
  using Clock = std::chrono::steady_clock;
  const auto interval = std::chrono::microseconds(renew_micros_);
  // After a failed renewal, try again sooner (but not in a tight loop).
  const auto retry = std::min<Clock::duration>(
      interval, std::chrono::duration_cast<Clock::duration>(
                    std::chrono::milliseconds(500)));
  auto next = Clock::now() + interval;
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait_until(lock, next, [&] { return stop_ || !lost_.ok(); });
    if (stop_) return;
    if (lost_.ok()) {
      lock.unlock();
      Status s = lease_->Renew();
      if (s.IsAborted()) {
        MarkLost(s);
      } else if (!s.ok()) {
        // Could not renew. Stop before the lease could expire: from then
        // on another process may take the run over.
        Status held = lease_->Held(renew_micros_);
        if (!held.ok()) {
          MarkLost(Status::FailedPrecondition("could not renew its lease (" +
                                              s.ToString() + "), and " +
                                              std::string(held.message())));
        }
      }
      lock.lock();
      next = Clock::now() + (s.ok() ? interval : retry);
      if (lost_.ok()) continue;
    }
    // Lost: stop the run (once), then wait for Release().
    Status why = lost_;
    std::function<void(const Status&)> on_lost = on_lost_;
    lock.unlock();
    if (on_lost) on_lost(why);
    lock.lock();
    cv_.wait(lock, [&] { return stop_; });
    return;
  }
}

namespace {

constexpr char kStoreMark[] = "/store";

// The id recorded in `run_dir`, or nullopt if there is none.
Result<std::optional<std::string>> ReadStoreMark(const std::string& run_dir) {
  const std::string path = run_dir + kStoreMark;
  std::ifstream in(path);
  if (!in) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      return std::optional<std::string>();
    }
    return Status::IOError("cannot read " + path + ": " + std::strerror(errno));
  }
  std::string id;
  std::getline(in, id);
  return std::optional<std::string>(id);
}

}  // namespace

Status ClaimRunDirectory(const std::string& run_dir,
                         const std::string& store_id) {
  if (store_id.empty()) return Status::OK();
  RETURN_IF_ERROR(CheckRunDirectoryStore(run_dir, store_id));
  ASSIGN_OR_RETURN(std::optional<std::string> id, ReadStoreMark(run_dir));
  if (id) return Status::OK();
  std::error_code ec;
  std::filesystem::create_directories(run_dir, ec);
  if (ec) {
    return Status::IOError("cannot create run directory " + run_dir + ": " +
                           ec.message());
  }
  // Written whole, then renamed: a crash leaves no half of it.
  const std::string path = run_dir + kStoreMark;
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << store_id << "\n";
    out.flush();
    if (!out) return Status::IOError("cannot write " + tmp);
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Status::IOError("cannot rename " + tmp + ": " + ec.message());
  return Status::OK();
}

RunOwner ToRunOwner(const control::LeaseRecord& r) {
  RunOwner o;
  o.host = r.owner.host;
  o.pid = r.owner.pid;
  o.process = r.owner.process;
  o.since_micros = r.since_micros;
  o.renewed_micros = r.renewed_micros;
  o.expires_micros = r.expires_micros;
  return o;
}

}  // namespace godwit::migrate

namespace godwit {

Status CheckRunDirectoryStore(const std::string& run_dir,
                              const std::string& store_id) {
  if (store_id.empty()) return Status::OK();
  ASSIGN_OR_RETURN(std::optional<std::string> id,
                   migrate::ReadStoreMark(run_dir));
  if (!id || *id == store_id) return Status::OK();
  return Status::FailedPrecondition(
      "the run directory " + run_dir + " belongs to a run on another store (" +
      *id + "), not this one (" + store_id +
      "): give each store its own state directory (--state-dir or [state] "
      "dir in godwit.toml); if that store moved here, or its run is over, "
      "delete " +
      run_dir + migrate::kStoreMark + " to hand the directory to this store");
}

std::string RunOwner::Describe(int64_t now_micros) const {
  control::LeaseRecord r;
  r.owner = control::LeaseOwner{host, pid, process};
  r.since_micros = since_micros;
  r.renewed_micros = renewed_micros;
  r.expires_micros = expires_micros;
  return control::DescribeHolder(r, now_micros);
}

Result<std::optional<RunOwner>> FindRunOwner(Store* store,
                                             const std::string& table) {
  ASSIGN_OR_RETURN(std::optional<control::LeaseRecord> r,
                   control::ReadLease(store, table, migrate::kRunLeaseName));
  if (!r) return std::optional<RunOwner>();
  return std::optional<RunOwner>(migrate::ToRunOwner(*r));
}

}  // namespace godwit
