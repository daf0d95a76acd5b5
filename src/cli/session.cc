// See session.h.
#include "cli/session.h"

#include <signal.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "control/control_table.h"
#include "godwit/local_store.h"
#include "godwit/remote_store.h"

namespace godwit::cli {

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Thousands(uint64_t v) {
  std::string s = std::to_string(v);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(i, ",");
  return s;
}

std::string Duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "-";
  int s = static_cast<int>(seconds + 0.5);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%d:%02d:%02d", s / 3600, s / 60 % 60,
                s % 60);
  return buf;
}

namespace {
std::atomic<bool> g_interrupted{false};
void OnSignal(int) { g_interrupted.store(true); }
}  // namespace

void InstallSignalHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

bool Interrupted() { return g_interrupted.load(); }

std::string RunsDir(const std::string& store_path) {
  return store_path + "/godwit-runs";
}

Result<std::string> ResolveRunDir(const GlobalOptions& options,
                                  const std::string& table) {
  ASSIGN_OR_RETURN(std::string state_dir, ResolveStateDir(options));
  return state_dir + "/" + table;
}

Result<std::unique_ptr<Store>> OpenStore(const Context& ctx,
                                         StoreOpenOptions so) {
  ASSIGN_OR_RETURN(StoreTarget target, ResolveStore(ctx.global));
  if (target.remote) {
    ASSIGN_OR_RETURN(RemoteStoreOptions ro,
                     ResolveRemoteOptions(ctx.global, "", ""));
    return OpenRemoteStore(ro);
  }
  const std::string& path = target.path;
  LocalStoreOptions o;
  o.path = path;
  o.create_if_missing = so.create;
  o.sync = so.sync;
  if (so.min_free_bytes) o.min_free_bytes = *so.min_free_bytes;
  if (so.min_free_fraction) o.min_free_fraction = *so.min_free_fraction;
  if (!so.long_running) o.retention_interval_micros = 0;
  Result<std::unique_ptr<Store>> s = OpenLocalStore(o);
  if (!s.ok() && s.status().IsNotFound()) {
    return Status::NotFound(
        "no store at " + path +
        " (check --store and godwit.toml; `godwit table create`, `godwit "
        "import --hash` and `godwit serve` create one)");
  }
  return s;
}

Result<RemoteStoreOptions> ResolveRemoteOptions(const GlobalOptions& global,
                                                const std::string& endpoint,
                                                const std::string& what) {
  GlobalOptions g = global;
  if (!endpoint.empty()) {
    if (endpoint.rfind("http://", 0) != 0 &&
        endpoint.rfind("https://", 0) != 0) {
      return Status::InvalidArgument(
          what + " \"" + endpoint +
          "\" is not a URL: give http://HOST:PORT or https://...");
    }
    g.store_path = endpoint;  // resolved as `--store URL` is
  }
  ASSIGN_OR_RETURN(StoreTarget target, ResolveStore(g));
  if (!target.remote) {
    return Status::InvalidArgument("the store " + target.path +
                                   " is not a remote endpoint");
  }
  RemoteSettingsInput in;
  in.explicit_options.endpoint = target.endpoint;
  in.explicit_options.region = target.region;
  in.profile = target.profile;
  Result<RemoteStoreOptions> ro = ResolveRemoteSettings(in);
  if (!ro.ok() && !what.empty()) return ro.status().WithContext(what);
  return ro;
}

Result<std::string> ResolveTable(Store* store, const std::string& name) {
  return control::ResolveActiveTable(store, name);
}

Status CheckDroppable(Store* store, const std::string& physical) {
  ASSIGN_OR_RETURN(auto pointers, control::ListPointers(store));
  for (const auto& [logical, p] : pointers) {
    if (p.physical == physical && logical != physical) {
      return Status::FailedPrecondition("refusing to drop " + physical +
                                        ": it is the active table of " +
                                        logical + " (the pointer names it)");
    }
  }
  ASSIGN_OR_RETURN(std::vector<RunSummary> runs, ListRuns(store));
  for (const RunSummary& r : runs) {
    if (!r.unfinished()) continue;
    if (r.source == physical || r.destination == physical) {
      return Status::FailedPrecondition(
          "refusing to drop " + physical + ": the unfinished run " + r.run_id +
          " of " + r.table + " (" + std::string(RunPhaseName(r.phase)) +
          ") uses it as its " +
          (r.source == physical ? "source" : "destination") +
          "; finish it (`godwit finish " + r.table +
          "`) or abandon it (`godwit abandon " + r.table + "`) first");
    }
  }
  return Status::OK();
}

ControllerEnv Session::env() const {
  ControllerEnv e;
  e.store = store.get();
  e.router = router.get();
  e.remote = remote;
  e.migrations_dir = config.migrations_dir;
  e.runs_dir = state_dir;
  e.store_id = store_id;
  e.ownership = ownership;
  return e;
}

namespace {

// OwnershipOptions for a session: the embedded store is this process's
// alone; GODWIT_TEST_LEASE_SECONDS (tests) shortens the lease.
Result<OwnershipOptions> SessionOwnership(bool remote) {
  OwnershipOptions o;
  o.exclusive_store = !remote;
  if (const char* v = std::getenv(kTestLeaseSecondsEnv); v && *v) {
    char* end = nullptr;
    double s = std::strtod(v, &end);
    if (end == v || *end != '\0' || !std::isfinite(s) || s <= 0 || s > 86400) {
      return Status::InvalidArgument(std::string(kTestLeaseSecondsEnv) +
                                     " must be a number of seconds from 0 "
                                     "to 86400, not \"" +
                                     v + "\"");
    }
    o.lease_seconds = s;
  }
  return o;
}

}  // namespace

Result<std::string> ResolveStoreId(const GlobalOptions& options) {
  ASSIGN_OR_RETURN(StoreTarget t, ResolveStore(options));
  if (!t.remote) {
    std::error_code ec;
    std::filesystem::path p = std::filesystem::absolute(t.path, ec);
    if (ec) p = t.path;
    std::string dir = p.lexically_normal().string();
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    return "local:" + dir;
  }
  ASSIGN_OR_RETURN(RemoteStoreOptions ro,
                   ResolveRemoteOptions(options, "", ""));
  return "dynamodb:" + ro.endpoint + " " + ro.region;
}

Result<Session> OpenSession(const Context& ctx, StoreOpenOptions o) {
  Session s;
  ASSIGN_OR_RETURN(s.config, LoadConfigOrDefault(ctx.global));
  ASSIGN_OR_RETURN(StoreTarget target, ResolveStore(ctx.global));
  s.store_path = target.path;
  s.remote = target.remote;
  ASSIGN_OR_RETURN(s.state_dir, StateDirOf(target));
  ASSIGN_OR_RETURN(s.store_id, ResolveStoreId(ctx.global));
  ASSIGN_OR_RETURN(s.ownership, SessionOwnership(s.remote));
  o.long_running = true;
  ASSIGN_OR_RETURN(s.store, OpenStore(ctx, o));
  ASSIGN_OR_RETURN(s.router, NewRouter(s.store.get()));
  return s;
}

}  // namespace godwit::cli
