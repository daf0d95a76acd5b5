// See run_common.h.
#include "cli/run_common.h"

#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "control/control_table.h"
#include "control/ledger.h"
#include "godwit/json.h"
#include "godwit/local_store.h"
#include "godwit/remote_store.h"
#include "migrate/run_state.h"
#include "transform/plan.h"

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

std::string RunDir(const std::string& store_path, const std::string& table) {
  return store_path + "/godwit-runs/" + table;
}

// --------------------------------------------------------------- session

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
  if (!so.long_running) o.retention_interval_micros = 0;
  Result<std::unique_ptr<Store>> s = OpenLocalStore(o);
  if (!s.ok() && s.status().IsNotFound()) {
    return Status::NotFound("no store at " + path +
                            " (create a table first: godwit table create)");
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

Result<Session> OpenSession(const Context& ctx, StoreOpenOptions o) {
  Session s;
  ASSIGN_OR_RETURN(s.config, LoadConfigOrDefault(ctx.global));
  ASSIGN_OR_RETURN(StoreTarget target, ResolveStore(ctx.global));
  s.store_path = target.path;
  s.remote = target.remote;
  o.long_running = true;
  ASSIGN_OR_RETURN(s.store, OpenStore(ctx, o));
  ASSIGN_OR_RETURN(s.router, NewRouter(s.store.get()));
  return s;
}

Result<RunSetup> PrepareRun(const Session& s, const std::string& table) {
  RunSetup r;
  ASSIGN_OR_RETURN(std::optional<migrate::RunState> state,
                   migrate::LoadRunState(s.store.get(), table));
  std::vector<MigrationFile> files;
  std::string source;
  if (state && state->phase != RunPhase::kFinished) {
    r.resuming = true;
    ASSIGN_OR_RETURN(std::vector<MigrationFile> all,
                     ListMigrations(s.config.migrations_dir, table));
    for (const PlannedMigration& pm : state->migrations) {
      auto it = std::find_if(
          all.begin(), all.end(),
          [&](const MigrationFile& f) { return f.number == pm.number; });
      if (it == all.end()) {
        return Status::FailedPrecondition(
            "the run of " + table + " applies migration " +
            std::to_string(pm.number) + "_" + pm.name +
            ", whose file is gone from " + s.config.migrations_dir + "/" +
            table);
      }
      if (it->sha256 != pm.sha256) {
        return Status::FailedPrecondition(
            "migration file " + it->path +
            " changed since the run started (SHA-256 " +
            it->sha256.substr(0, 12) + "..., the run has " +
            pm.sha256.substr(0, 12) + "...); restore it, or roll the run back");
      }
      files.push_back(*it);
    }
    source = state->source;
    r.plan.run_id = state->run_id;
    r.plan.started_micros = state->started_micros;
  } else {
    ASSIGN_OR_RETURN(
        TablePlan tp,
        LoadTablePlan(s.store.get(), s.config.migrations_dir, table));
    if (tp.pending.empty()) {
      return Status::FailedPrecondition("no pending migrations for " + table +
                                        " in " + s.config.migrations_dir + "/" +
                                        table);
    }
    files = std::move(tp.pending);
    ASSIGN_OR_RETURN(source, control::ResolveActiveTable(s.store.get(), table));
    r.plan.started_micros = NowMicros();
  }
  ASSIGN_OR_RETURN(TableDescription desc, s.store->DescribeTable(source));
  TransformOptions topts;
  topts.source_key_schema = desc.key_schema;
  topts.run_id = r.plan.run_id;
  topts.now_micros = r.plan.started_micros;
  ASSIGN_OR_RETURN(r.transform, Transform::Create(files, topts));
  r.mappers = std::make_unique<LuaMapperFactory>(r.transform);
  r.plan.logical_table = table;
  r.plan.destination_key_schema = r.transform->destination_key_schema();
  for (const MigrationFile& f : files) {
    r.plan.migrations.push_back(
        PlannedMigration{static_cast<int>(f.number), f.name, f.sha256});
  }
  return r;
}

Status CheckDeterminism(const Session& s, const RunSetup& r) {
  ASSIGN_OR_RETURN(
      std::string source,
      control::ResolveActiveTable(s.store.get(), r.plan.logical_table));
  ASSIGN_OR_RETURN(std::shared_ptr<Table> t, s.store->GetTable(source));
  ScanOptions so;
  so.limit = 64;
  ASSIGN_OR_RETURN(Page page, t->Scan(so));
  ASSIGN_OR_RETURN(std::unique_ptr<TransformWorker> w,
                   r.transform->NewWorker());
  return w->CheckDeterminism(page.items);
}

MigrateOptions BaseOptions(const Session& s, const std::string& table) {
  MigrateOptions o;
  o.run_dir = RunDir(s.store_path, table);
  return o;
}

std::function<Status(const MigrationPlan&, const MigrationProgress&)>
LedgerRecorder(Store* store) {
  return
      [store](const MigrationPlan& plan, const MigrationProgress& p) -> Status {
        for (const PlannedMigration& m : plan.migrations) {
          control::LedgerEntry e;
          e.table = plan.logical_table;
          e.number = m.number;
          e.name = m.name;
          e.sha256 = m.sha256;
          e.applied_micros = NowMicros();
          e.run_id = plan.run_id;
          e.items_read = p.scanned;
          e.items_written = p.written;
          e.items_dropped = p.dropped;
          e.items_failed = p.errors;
          RETURN_IF_ERROR(control::RecordMigration(store, e));
        }
        return Status::OK();
      };
}

// --------------------------------------------------------------- reports

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

std::string ProgressJson(const MigrationProgress& p) {
  std::ostringstream o;
  o << "{\"phase\":\"" << RunPhaseName(p.phase)
    << "\",\"scanned\":" << p.scanned << ",\"written\":" << p.written
    << ",\"dropped\":" << p.dropped << ",\"errors\":" << p.errors
    << ",\"estimated_total\":" << p.estimated_total
    << ",\"segments_done\":" << p.segments_done
    << ",\"segments_total\":" << p.segments_total
    << ",\"captured\":" << p.captured << ",\"replayed\":" << p.replayed
    << ",\"replay_lag\":" << p.replay_lag << std::fixed;
  o.precision(1);
  o << ",\"items_per_second\":" << p.items_per_second;
  o.precision(3);
  o << ",\"elapsed_seconds\":" << p.elapsed_seconds << "}";
  return o.str();
}

Result<MigrationProgress> ProgressFromJson(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  if (parser.parse(json.data(), json.size()).get(obj) != simdjson::SUCCESS) {
    return Status::InvalidArgument("progress is not a JSON object: " +
                                   std::string(json.substr(0, 200)));
  }
  MigrationProgress p;
  std::string_view phase;
  bool ok = obj["phase"].get(phase) == simdjson::SUCCESS;
  bool known = false;
  for (RunPhase ph :
       {RunPhase::kBackfill, RunPhase::kReplay, RunPhase::kCutOver,
        RunPhase::kRolledBack, RunPhase::kFinished}) {
    if (RunPhaseName(ph) == phase) {
      p.phase = ph;
      known = true;
    }
  }
  auto u64 = [&](const char* name, uint64_t* out) {
    ok = ok && obj[name].get(*out) == simdjson::SUCCESS;
  };
  auto f64 = [&](const char* name, double* out) {
    ok = ok && obj[name].get(*out) == simdjson::SUCCESS;
  };
  u64("scanned", &p.scanned);
  u64("written", &p.written);
  u64("dropped", &p.dropped);
  u64("errors", &p.errors);
  u64("estimated_total", &p.estimated_total);
  u64("captured", &p.captured);
  u64("replayed", &p.replayed);
  u64("replay_lag", &p.replay_lag);
  uint64_t done = 0, total = 0;
  u64("segments_done", &done);
  u64("segments_total", &total);
  p.segments_done = static_cast<int>(done);
  p.segments_total = static_cast<int>(total);
  f64("items_per_second", &p.items_per_second);
  f64("elapsed_seconds", &p.elapsed_seconds);
  if (!ok || !known) {
    return Status::InvalidArgument(
        "progress lacks a field or has an unknown "
        "phase: " +
        std::string(json.substr(0, 200)));
  }
  return p;
}

std::string VerifyText(const VerifyReport& r) {
  std::ostringstream o;
  o << "verify: " << (r.ok() ? "OK" : "DIFFERENCES") << " at sequence "
    << r.sequence << ": " << Thousands(r.source_items) << " items mapped to "
    << Thousands(r.expected_items) << ", destination holds "
    << Thousands(r.destination_items) << ", " << Thousands(r.differences)
    << " differences";
  if (r.unmapped > 0)
    o << ", " << Thousands(r.unmapped) << " items not mapped (dead letters)";
  if (r.unsettled > 0)
    o << ", " << Thousands(r.unsettled)
      << " keys written during every re-check (not compared: verify again)";
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

std::string VerifyJson(const VerifyReport& r) {
  std::ostringstream o;
  o << "{\"ok\":" << (r.ok() ? "true" : "false")
    << ",\"sequence\":" << r.sequence << ",\"source_items\":" << r.source_items
    << ",\"expected_items\":" << r.expected_items
    << ",\"destination_items\":" << r.destination_items
    << ",\"differences\":" << r.differences << ",\"unmapped\":" << r.unmapped
    << ",\"unsettled\":" << r.unsettled << ",\"seconds\":" << r.seconds
    << ",\"first\":[";
  for (size_t i = 0; i < r.first.size(); ++i) {
    const auto& d = r.first[i];
    if (i > 0) o << ",";
    o << "{\"key\":" << d.key
      << ",\"expected\":" << (d.expected.empty() ? "null" : d.expected)
      << ",\"actual\":" << (d.actual.empty() ? "null" : d.actual) << "}";
  }
  o << "]}\n";
  return o.str();
}

std::string FlipText(const char* what, const FlipReport& f) {
  char buf[256];
  std::snprintf(buf, sizeof(buf), "%s: %s -> %s, longest write pause %.1f ms\n",
                what, f.from_table.c_str(), f.to_table.c_str(),
                f.write_pause_ms);
  return buf;
}

std::string FlipJson(const char* what, const FlipReport& f) {
  char buf[512];
  std::snprintf(
      buf, sizeof(buf),
      "{\"action\":\"%s\",\"from\":%s,\"to\":%s,\"write_pause_ms\":%.3f}\n",
      what, JsonQuoted(f.from_table).c_str(), JsonQuoted(f.to_table).c_str(),
      f.write_pause_ms);
  return buf;
}

int RunCommand(Migration& m, const std::string& command, bool json,
               std::string* out) {
  if (command.find(" --json") != std::string::npos)
    json = true;  // from `ctl --json`
  std::istringstream in(command);
  std::string verb;
  in >> verb;
  if (verb == "pause" || verb == "resume") {
    m.Pause(verb == "pause");
    *out = json ? "{\"paused\":" +
                      std::string(verb == "pause" ? "true" : "false") + "}\n"
                : verb + "d\n";
    return 0;
  }
  if (verb == "rate") {
    double r = -1;
    in >> r;
    if (r < 0) {
      *out = "rate needs a number of items per second (0 = unlimited)\n";
      return 2;
    }
    m.SetRate(r);
    *out = json ? "{\"rate\":" + std::to_string(r) + "}\n"
                : "rate set to " + std::to_string(r) + " items/s\n";
    return 0;
  }
  if (verb == "progress") {
    if (Status e = m.error(); !e.ok()) {
      *out = "the run stopped: " + e.ToString() + "\n";
      return 1;
    }
    MigrationProgress p = m.progress();
    *out = (json ? ProgressJson(p) : ProgressLine(p)) + "\n";
    return 0;
  }
  if (verb == "verify") {
    Result<VerifyReport> r = m.Verify(10);
    if (!r.ok()) {
      *out = r.status().ToString() + "\n";
      return 1;
    }
    *out = json ? VerifyJson(*r) : VerifyText(*r);
    return r->ok() ? 0 : 3;
  }
  if (verb == "cutover" || verb == "rollback") {
    Result<FlipReport> f = verb == "cutover" ? m.Cutover() : m.Rollback();
    if (!f.ok()) {
      *out = f.status().ToString() + "\n";
      return 1;
    }
    *out = json ? FlipJson(verb.c_str(), *f) : FlipText(verb.c_str(), *f);
    return 0;
  }
  if (verb == "finish") {
    Status s = m.Finish();
    *out = s.ok() ? "finished\n" : s.ToString() + "\n";
    return s.ok() ? 0 : 1;
  }
  *out = "unknown command \"" + verb +
         "\" (pause, resume, rate N, progress, verify, cutover, rollback, "
         "finish)\n";
  return 2;
}

}  // namespace godwit::cli
