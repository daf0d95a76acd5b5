// Leases in the control table (see lease.h).
//
// The record (also docs/formats/lease.md), one item of `godwit_control`:
//
//   key      := pk:S = "lease#" resource    sk:S = name
//   resource := a logical table name ("Orders")
//   name     := "run"                       the ownership of the table's run
//               (later: "segment#<i>", "capture", ...)
//   item     := key host:S pid:N process:S since:N renewed:N expires:N
//               token:S
//   host     := the holder's host name
//   pid      := the holder's process id (decimal)
//   process  := 16 lowercase hex digits, drawn at random once per process
//               start (tells a process from another with the same pid)
//   since    := microseconds since the Unix epoch (UTC) when the holder
//               acquired the lease; kept by renewals
//   renewed  := microseconds since the epoch of the last renewal
//   expires  := microseconds since the epoch; the lease is live while a
//               reader's clock is before it
//   token    := 32 lowercase hex digits, drawn at random at each
//               acquisition; every change by the holder is conditional on
//               it (ConditionExpression token = :t on DynamoDB)
//
// Other attributes are ignored (a later version may add some). A record is
// written only with a condition: absent (a first acquisition), token = the
// token read (a take-over of an expired lease), token = ours (a renewal);
// and deleted only on token = ours (a release).
#include "control/lease.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <random>
#include <tuple>

#include "control/control_table.h"

namespace godwit::control {
namespace {

constexpr char kLeasePrefix[] = "lease#";

std::string LeasePk(const std::string& resource) {
  return kLeasePrefix + resource;
}

int64_t SystemMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string RandomHex(int bytes) {
  static std::mutex mu;
  static std::random_device device;
  static std::mt19937_64 gen([] {
    std::seed_seq seq{device(),
                      device(),
                      device(),
                      device(),
                      static_cast<unsigned>(getpid()),
                      static_cast<unsigned>(SystemMicros())};
    return std::mt19937_64(seq);
  }());
  std::string out;
  std::lock_guard lock(mu);
  for (int i = 0; i < bytes; i += 8) {
    uint64_t v = gen();
    char buf[17];
    std::snprintf(buf, sizeof(buf), "%016" PRIx64, v);
    out.append(buf, std::min(16, 2 * (bytes - i)));
  }
  return out;
}

Item ToItem(const LeaseRecord& r) {
  Item item;
  item.Set("pk", AttributeValue::S(LeasePk(r.resource)));
  item.Set("sk", AttributeValue::S(r.name));
  item.Set("host", AttributeValue::S(r.owner.host));
  item.Set("pid", Num(r.owner.pid));
  item.Set("process", AttributeValue::S(r.owner.process));
  item.Set("since", Num(r.since_micros));
  item.Set("renewed", Num(r.renewed_micros));
  item.Set("expires", Num(r.expires_micros));
  item.Set("token", AttributeValue::S(r.token));
  return item;
}

Result<LeaseRecord> FromItem(const Item& item) {
  LeaseRecord r;
  auto s = [&](std::string_view name, std::string* out) {
    const AttributeValue* v = item.Find(name);
    if (v == nullptr || !v->is(AttrType::kS)) return false;
    *out = v->s();
    return true;
  };
  auto n = [&](std::string_view name, int64_t* out) {
    const AttributeValue* v = item.Find(name);
    if (v == nullptr || !v->is(AttrType::kN)) return false;
    std::optional<int64_t> i = v->n().ToInt64();
    if (!i) return false;
    *out = *i;
    return true;
  };
  std::string pk;
  if (!s("pk", &pk) || pk.rfind(kLeasePrefix, 0) != 0 || !s("sk", &r.name)) {
    return Status::DataLoss("control table: not a lease record: " +
                            DebugString(item));
  }
  r.resource = pk.substr(sizeof(kLeasePrefix) - 1);
  if (!s("host", &r.owner.host) || !n("pid", &r.owner.pid) ||
      !s("process", &r.owner.process) || !n("since", &r.since_micros) ||
      !n("renewed", &r.renewed_micros) || !n("expires", &r.expires_micros) ||
      !s("token", &r.token) || r.token.empty()) {
    return Status::DataLoss(
        "control table: the lease record " + pk + " / " + r.name +
        " lacks host, pid, process, since, renewed, expires or token (delete "
        "it if no process holds it): " +
        DebugString(item));
  }
  return r;
}

std::string Seconds(int64_t micros) {
  // Whole seconds, rounded up: "expires in 1 s" until it has expired.
  int64_t s = (micros + 999999) / 1000000;
  return std::to_string(s) + " s";
}

std::string Describe(const LeaseRecord& r) {
  return "lease " + r.name + " of " + r.resource;
}

}  // namespace

const LeaseOwner& ThisProcess() {
  // Drawn once per process; a forked child draws its own.
  static std::mutex mu;
  static LeaseOwner owner;
  std::lock_guard lock(mu);
  if (owner.pid != static_cast<int64_t>(getpid())) {
    char host[256] = {};
    if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') {
      std::snprintf(host, sizeof(host), "unknown-host");
    }
    owner.host = host;
    owner.pid = static_cast<int64_t>(getpid());
    owner.process = RandomHex(8);
  }
  return owner;
}

std::string FormatUtc(int64_t micros) {
  std::time_t secs = static_cast<std::time_t>(micros / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02d %02d:%02d:%02d UTC",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec);
  return buf;
}

std::string DescribeHolder(const LeaseRecord& r, int64_t now_micros) {
  std::string out = "host " + r.owner.host + ", pid " +
                    std::to_string(r.owner.pid) + ", since " +
                    FormatUtc(r.since_micros) + "; the lease ";
  if (r.expired(now_micros)) {
    out += "expired " + Seconds(now_micros - r.expires_micros) + " ago";
  } else {
    out += "expires in " + Seconds(r.expires_micros - now_micros);
  }
  return out;
}

Result<std::unique_ptr<Lease>> Lease::Acquire(
    Store* store, const std::string& resource, const std::string& name,
    LeaseOptions opts, std::optional<LeaseRecord>* previous) {
  if (resource.empty() || name.empty()) {
    return Status::InvalidArgument("a lease needs a resource and a name");
  }
  if (opts.duration_micros <= 0) {
    return Status::InvalidArgument("a lease's duration must be > 0");
  }
  if (opts.owner.host.empty()) opts.owner = ThisProcess();
  if (!opts.clock) opts.clock = SystemMicros;
  if (previous != nullptr) previous->reset();
  RETURN_IF_ERROR(EnsureControlTable(store));
  ASSIGN_OR_RETURN(std::shared_ptr<Table> t, store->GetTable(kControlTable));
  const Key key = ControlKey(LeasePk(resource), name);
  std::string tried;  // the token of our last conditional put
  for (int attempt = 0; attempt < 8; ++attempt) {
    ASSIGN_OR_RETURN(std::optional<Item> item, t->Get(key));
    std::optional<LeaseRecord> held;
    if (item) {
      ASSIGN_OR_RETURN(LeaseRecord r, FromItem(*item));
      if (r.token == tried) {
        // Our put went through, though its answer said otherwise (a
        // retried request whose first attempt had succeeded).
        return std::unique_ptr<Lease>(new Lease(store, std::move(opts), r));
      }
      held = std::move(r);
    }
    const int64_t now = opts.clock();
    if (held && !held->expired(now) &&
        !(opts.owner_gone && opts.owner_gone(*held))) {
      std::string what =
          opts.what.empty() ? Describe(*held) + " is held" : opts.what;
      return Status::FailedPrecondition(what + " by " +
                                        DescribeHolder(*held, now));
    }
    LeaseRecord mine;
    mine.resource = resource;
    mine.name = name;
    mine.owner = opts.owner;
    mine.since_micros = now;
    mine.renewed_micros = now;
    mine.expires_micros = now + opts.duration_micros;
    mine.token = RandomHex(16);
    tried = mine.token;
    Condition cond = held ? Condition::AttributeEquals(
                                "token", AttributeValue::S(held->token))
                          : Condition::NotExists();
    Result<std::optional<Item>> put = t->Put(ToItem(mine), cond);
    if (put.ok()) {
      if (previous != nullptr) *previous = std::move(held);
      return std::unique_ptr<Lease>(new Lease(store, std::move(opts), mine));
    }
    if (!put.status().IsAborted()) return put.status();
    // Another contender wrote in between: read what it wrote.
  }
  return Status::Aborted("the lease " + name + " of " + resource +
                         " kept changing while it was being acquired");
}

Lease::Lease(Store* store, LeaseOptions opts, LeaseRecord rec)
    : store_(store), opts_(std::move(opts)), rec_(std::move(rec)) {}

Lease::~Lease() = default;

int64_t Lease::Now() const { return opts_.clock(); }

LeaseRecord Lease::record() const {
  std::lock_guard lock(mu_);
  return rec_;
}

Status Lease::Renew() {
  std::lock_guard io(io_mu_);
  LeaseRecord next;
  {
    std::lock_guard lock(mu_);
    if (!lost_.ok()) return lost_;
    if (released_) {
      return Status::FailedPrecondition("the " + Describe(rec_) +
                                        " was released");
    }
    next = rec_;
  }
  const int64_t now = Now();
  next.renewed_micros = now;
  next.expires_micros = now + opts_.duration_micros;
  ASSIGN_OR_RETURN(std::shared_ptr<Table> t, store_->GetTable(kControlTable));
  Result<std::optional<Item>> put = t->Put(
      ToItem(next),
      Condition::AttributeEquals("token", AttributeValue::S(next.token)));
  if (put.ok()) {
    std::lock_guard lock(mu_);
    rec_ = std::move(next);
    return Status::OK();
  }
  if (!put.status().IsAborted()) return put.status();
  // The token is not ours any more: say who has it now.
  Result<std::optional<LeaseRecord>> now_held =
      ReadLease(store_, next.resource, next.name);
  std::string why;
  if (now_held.ok() && now_held->has_value()) {
    why = "taken over by " + DescribeHolder(**now_held, Now());
  } else if (now_held.ok()) {
    why = "removed from the control table";
  } else {
    why = "taken over (the record cannot be read: " +
          now_held.status().ToString() + ")";
  }
  std::lock_guard lock(mu_);
  lost_ = Status::Aborted("the " + Describe(next) + " was lost: it was " + why);
  return lost_;
}

Status Lease::Held(int64_t margin_micros) const {
  std::lock_guard lock(mu_);
  if (!lost_.ok()) return lost_;
  if (released_) {
    return Status::FailedPrecondition("the " + Describe(rec_) +
                                      " was released");
  }
  const int64_t now = Now();
  if (now + margin_micros >= rec_.expires_micros) {
    return Status::FailedPrecondition(
        "the " + Describe(rec_) + " was last renewed at " +
        FormatUtc(rec_.renewed_micros) + " and " +
        (rec_.expired(now)
             ? "has expired"
             : "expires in " + Seconds(rec_.expires_micros - now)) +
        ": its holder cannot be sure it still holds it");
  }
  return Status::OK();
}

Status Lease::Release() {
  std::lock_guard io(io_mu_);
  LeaseRecord rec;
  {
    std::lock_guard lock(mu_);
    if (released_) return Status::OK();
    if (!lost_.ok()) return lost_;
    rec = rec_;
  }
  ASSIGN_OR_RETURN(std::shared_ptr<Table> t, store_->GetTable(kControlTable));
  Result<std::optional<Item>> del = t->Delete(
      ControlKey(LeasePk(rec.resource), rec.name),
      Condition::AttributeEquals("token", AttributeValue::S(rec.token)));
  if (!del.ok() && !del.status().IsAborted()) return del.status();
  if (!del.ok()) {
    ASSIGN_OR_RETURN(std::optional<LeaseRecord> now_held,
                     ReadLease(store_, rec.resource, rec.name));
    if (now_held) {  // another holder's: not ours to delete
      std::lock_guard lock(mu_);
      lost_ = Status::Aborted("the " + Describe(rec) +
                              " was lost: it was taken over by " +
                              DescribeHolder(*now_held, Now()));
      return lost_;
    }
    // Gone already (a retried delete whose first attempt went through).
  }
  std::lock_guard lock(mu_);
  released_ = true;
  return Status::OK();
}

Result<std::optional<LeaseRecord>> ReadLease(Store* store,
                                             const std::string& resource,
                                             const std::string& name) {
  Result<std::shared_ptr<Table>> t = store->GetTable(kControlTable);
  if (!t.ok()) {
    if (t.status().IsNotFound()) return std::optional<LeaseRecord>();
    return t.status();
  }
  ASSIGN_OR_RETURN(std::optional<Item> item,
                   (*t)->Get(ControlKey(LeasePk(resource), name)));
  if (!item) return std::optional<LeaseRecord>();
  ASSIGN_OR_RETURN(LeaseRecord r, FromItem(*item));
  return std::optional<LeaseRecord>(std::move(r));
}

Result<std::vector<LeaseRecord>> ListLeases(Store* store) {
  std::vector<LeaseRecord> out;
  Result<std::shared_ptr<Table>> t = store->GetTable(kControlTable);
  if (!t.ok()) {
    if (t.status().IsNotFound()) return out;
    return t.status();
  }
  ScanOptions so;
  while (true) {
    ASSIGN_OR_RETURN(Page page, (*t)->Scan(so));
    for (const Item& item : page.items) {
      const AttributeValue* pk = item.Find("pk");
      if (pk == nullptr || !pk->is(AttrType::kS) ||
          pk->s().rfind(kLeasePrefix, 0) != 0) {
        continue;
      }
      ASSIGN_OR_RETURN(LeaseRecord r, FromItem(item));
      out.push_back(std::move(r));
    }
    if (page.next_page_token.empty()) break;
    so.page_token = std::move(page.next_page_token);
  }
  std::sort(
      out.begin(), out.end(), [](const LeaseRecord& a, const LeaseRecord& b) {
        return std::tie(a.resource, a.name) < std::tie(b.resource, b.name);
      });
  return out;
}

}  // namespace godwit::control
