// The controller: the one composition of a run and the executor of typed
// commands (see godwit/controller.h).
#include "godwit/controller.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <mutex>

#include "control/consumers.h"
#include "control/control_table.h"
#include "control/ledger.h"
#include "godwit/transform.h"
#include "migrate/controller_hooks.h"
#include "migrate/controller_lease.h"
#include "migrate/controller_timeline.h"
#include "migrate/run_state.h"
#include "transform/lua_mapper.h"
#include "transform/plan.h"

namespace godwit {
namespace {

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Status ValidateRequest(const RunRequest& r) {
  if (r.table.empty()) return Status::InvalidArgument("no table given");
  if (r.segments < 1 || r.segments > (1 << 20)) {
    return Status::InvalidArgument("segments must be from 1 to 1048576, not " +
                                   std::to_string(r.segments));
  }
  if (r.threads < 1 || r.threads > 256) {
    return Status::InvalidArgument("threads must be from 1 to 256, not " +
                                   std::to_string(r.threads));
  }
  if (!std::isfinite(r.rate) || r.rate < 0 || r.rate > 1e9) {
    return Status::InvalidArgument(
        "rate must be a number of items/s from 0 (unlimited) to 1e9");
  }
  if (r.fence_seconds && (!std::isfinite(*r.fence_seconds) ||
                          *r.fence_seconds < 0 || *r.fence_seconds > 3600)) {
    return Status::InvalidArgument(
        "fence seconds must be a number from 0 to 3600");
  }
  for (const std::string& name : r.wait_for_consumers) {
    RETURN_IF_ERROR(control::ValidateConsumerName(name));
  }
  if (!std::isfinite(r.hook_timeout_seconds) || r.hook_timeout_seconds <= 0 ||
      r.hook_timeout_seconds > 86400) {
    return Status::InvalidArgument(
        "the hook time limit must be a number of seconds from 0 (excluded) to "
        "86400");
  }
  return Status::OK();
}

// What a run applies: the migrations a run in progress recorded (their
// files unchanged), or the table's pending ones.
struct Setup {
  std::shared_ptr<const Transform> transform;
  MigrationPlan plan;
  bool resuming = false;
  std::optional<migrate::RunState> state;
};

Result<Setup> Plan(const ControllerEnv& env, const std::string& table,
                   std::optional<migrate::RunState> state) {
  Setup r;
  r.state = std::move(state);
  std::vector<MigrationFile> files;
  std::string source;
  if (r.state && r.state->phase != RunPhase::kFinished) {
    r.resuming = true;
    ASSIGN_OR_RETURN(std::vector<MigrationFile> all,
                     ListMigrations(env.migrations_dir, table));
    for (const PlannedMigration& pm : r.state->migrations) {
      auto it = std::find_if(
          all.begin(), all.end(),
          [&](const MigrationFile& f) { return f.number == pm.number; });
      if (it == all.end()) {
        return Status::FailedPrecondition(
            "the run of " + table + " applies migration " +
            std::to_string(pm.number) + "_" + pm.name +
            ", whose file is gone from " + env.migrations_dir + "/" + table);
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
    source = r.state->source;
    r.plan.run_id = r.state->run_id;
    r.plan.started_micros = r.state->started_micros;
  } else {
    ASSIGN_OR_RETURN(TablePlan tp,
                     LoadTablePlan(env.store, env.migrations_dir, table));
    if (tp.pending.empty()) {
      return Status::FailedPrecondition("no pending migrations for " + table +
                                        " in " + env.migrations_dir + "/" +
                                        table);
    }
    files = std::move(tp.pending);
    ASSIGN_OR_RETURN(source, control::ResolveActiveTable(env.store, table));
    r.plan.started_micros = NowMicros();
  }
  ASSIGN_OR_RETURN(TableDescription desc, env.store->DescribeTable(source));
  TransformOptions topts;
  topts.source_key_schema = desc.key_schema;
  topts.run_id = r.plan.run_id;
  topts.now_micros = r.plan.started_micros;
  ASSIGN_OR_RETURN(r.transform, Transform::Create(files, topts));
  r.plan.logical_table = table;
  r.plan.destination_key_schema = r.transform->destination_key_schema();
  for (const MigrationFile& f : files) {
    r.plan.migrations.push_back(
        PlannedMigration{static_cast<int>(f.number), f.name, f.sha256});
  }
  return r;
}

// A transform that is not deterministic is refused before anything is
// written: it runs twice on a sample of the source.
Status CheckDeterminism(const ControllerEnv& env, const Setup& s) {
  ASSIGN_OR_RETURN(std::string source, control::ResolveActiveTable(
                                           env.store, s.plan.logical_table));
  ASSIGN_OR_RETURN(std::shared_ptr<Table> t, env.store->GetTable(source));
  ScanOptions so;
  so.limit = 64;
  ASSIGN_OR_RETURN(Page page, t->Scan(so));
  ASSIGN_OR_RETURN(std::unique_ptr<TransformWorker> w,
                   s.transform->NewWorker());
  return w->CheckDeterminism(page.items);
}

// MigrateOptions::on_finish: records the run's migrations in the ledger.
Status RecordLedger(Store* store, const MigrationPlan& plan,
                    const MigrationProgress& p) {
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
}

RunSummary Summarise(const migrate::RunState& s) {
  RunSummary r;
  r.table = s.logical;
  r.run_id = s.run_id;
  r.source = s.source;
  r.destination = s.destination;
  r.phase = s.phase;
  r.p0 = s.p0;
  r.replayed_seq = s.replayed_seq;
  r.errors = s.errors;
  return r;
}

}  // namespace

std::string RunDirectory(const ControllerEnv& env, const std::string& table) {
  return env.runs_dir + "/" + table;
}

double EffectiveFenceSeconds(const std::optional<double>& requested,
                             bool remote) {
  if (requested) return *requested;
  return remote ? kDefaultRemoteFenceSeconds : 0;
}

// Everything a controller owns. `migration` uses `mappers`, which use
// `transform`: declared in that order, destroyed in reverse. `ownership`
// (the run's lease) outlives them all.
struct Controller::Parts {
  std::unique_ptr<migrate::RunOwnership> ownership;
  ControllerEnv env;
  std::shared_ptr<const Transform> transform;
  std::unique_ptr<LuaMapperFactory> mappers;
  std::unique_ptr<Migration> migration;
  std::mutex mu;        // one changing command at a time
  bool paused = false;  // GUARDED_BY(mu)
  double rate = 0;      // GUARDED_BY(mu)
  std::atomic<bool> ended{false};
  std::atomic<bool> stopped{false};
  std::mutex stop_mu;  // serialises StopEngine; taken before `mu`
  // The run's time series (after `migration`: it samples it).
  std::unique_ptr<migrate::ControllerTimeline> timeline;
  // The operator's hooks and gates (RunRequest), after `migration` too.
  std::unique_ptr<migrate::ControllerHooks> hooks;  // null: no --hooks
  std::string postpone_file;
  std::optional<uint64_t> max_lag;
  std::vector<std::string> consumers;  // --wait-for-consumers
};

Controller::Controller(std::unique_ptr<Parts> parts)
    : parts_(std::move(parts)), migration_(parts_->migration.get()) {
  parts_->timeline = std::make_unique<migrate::ControllerTimeline>(
      RunDirectory(parts_->env, migration_->plan().logical_table), migration_);
}

Controller::~Controller() {
  Stop();
  // The renewal thread may stop the engine: it ends first. Then the
  // engine, whose destructor saves the run state once more under the
  // lease; `ownership`, destroyed last, releases the lease.
  parts_->ownership->StopRenewal();
  parts_->migration.reset();
}

// Stops the engine once, from Stop() or from the renewal thread when the
// lease is lost; a command in progress finishes first.
void Controller::StopEngine(Parts* p) {
  std::lock_guard stopping(p->stop_mu);
  if (p->stopped.exchange(true)) return;
  if (p->timeline) p->timeline->Stop();
  {
    std::lock_guard lock(p->mu);
    p->migration->Stop();
  }
  // The hooks queued (on-finish, ...) run, each within its time limit.
  if (p->hooks) p->hooks->Stop();
}

std::string Controller::CutoverPostponed(bool before_flip) {
  Parts* p = parts_.get();
  if (!before_flip) {
    std::error_code ec;
    if (!p->postpone_file.empty() &&
        std::filesystem::exists(p->postpone_file, ec)) {
      return "the postpone file " + p->postpone_file +
             " exists (remove it, or `godwit ctl " + info_.table +
             " unpostpone`)";
    }
    if (p->max_lag) {
      uint64_t lag = migration_->progress().replay_lag;
      if (lag > *p->max_lag) {
        return "replay is " + std::to_string(lag) +
               " records behind, more than --max-lag-for-cutover " +
               std::to_string(*p->max_lag);
      }
    }
    return ConsumersBehind();
  }
  if (!p->hooks) return std::string();
  migrate::HookRun h = p->hooks->RunNow("on-before-cutover");
  if (h.ok()) return std::string();
  return h.Describe("on-before-cutover");
}

// The downstream-completion gate: the flip point is the destination's
// newest sequence number now (replay goes on until the hold; the records
// it writes after now are the final drain's, bounded by
// --max-lag-for-cutover).
std::string Controller::ConsumersBehind() {
  Parts* p = parts_.get();
  if (p->consumers.empty()) return std::string();
  auto cannot = [&](const Status& s) {
    return "the consumers' acknowledgements could not be checked: " +
           s.ToString();
  };
  Result<TableDescription> d = p->env.store->DescribeTable(info_.destination);
  if (!d.ok()) return cannot(d.status());
  Result<std::string> behind = control::ConsumersBehind(
      p->env.store, info_.table, p->consumers, d->latest_sequence);
  if (!behind.ok()) return cannot(behind.status());
  return *behind;
}

Result<std::unique_ptr<Controller>> Controller::Open(const ControllerEnv& env,
                                                     const RunRequest& req) {
  if (env.store == nullptr || env.router == nullptr) {
    return Status::InvalidArgument("the controller needs a store and router");
  }
  RETURN_IF_ERROR(ValidateRequest(req));
  if (env.remote && !req.wait_for_consumers.empty()) {
    return Status::InvalidArgument(
        "--wait-for-consumers needs a stream with one sequence order (the "
        "embedded store, or a run hosted by godwit serve with --server); a "
        "remote store's stream has shards whose sequence numbers do not say "
        "that a consumer is done with every shard");
  }
  const std::string& table = req.table;
  // One owner per run: the lease first, before anything is read or written
  // (released if Open fails).
  ASSIGN_OR_RETURN(
      std::unique_ptr<migrate::RunOwnership> ownership,
      migrate::RunOwnership::Acquire(env.store, table, env.ownership));
  ASSIGN_OR_RETURN(std::optional<migrate::RunState> state,
                   migrate::LoadRunState(env.store, table));
  bool in_progress = state && state->phase != RunPhase::kFinished;
  if (req.mode == OpenMode::kResume && !in_progress) {
    return Status::FailedPrecondition(
        "no run of " + table + " in progress (start one with `godwit migrate " +
        table + "`)");
  }
  if (req.mode == OpenMode::kStart && in_progress) {
    return Status::FailedPrecondition(
        "a run of " + table + " is in progress (run " + state->run_id + ", " +
        std::string(RunPhaseName(state->phase)) +
        "): resume it (`godwit migrate " + table +
        " --resume`) or end it (`godwit abandon " + table + "`)");
  }
  ASSIGN_OR_RETURN(Setup setup, Plan(env, table, std::move(state)));
  // The phase before the engine's threads move it (the hooks' events).
  const RunPhase start_phase =
      setup.state ? setup.state->phase : RunPhase::kBackfill;
  if (!setup.resuming) RETURN_IF_ERROR(CheckDeterminism(env, setup));

  auto parts = std::make_unique<Parts>();
  parts->ownership = std::move(ownership);
  parts->env = env;
  parts->transform = setup.transform;
  parts->mappers = std::make_unique<LuaMapperFactory>(setup.transform);
  parts->rate = req.rate;
  MigrateOptions o;
  o.run_dir = RunDirectory(env, table);
  o.segments = req.segments;
  o.threads = req.threads;
  o.rate = req.rate;
  o.max_errors = static_cast<size_t>(req.max_errors);
  o.fence_seconds = EffectiveFenceSeconds(req.fence_seconds, env.remote);
  o.on_progress = req.on_progress;
  o.destination_stream = !req.wait_for_consumers.empty();
  Store* store = env.store;
  o.on_finish = [store](const MigrationPlan& plan, const MigrationProgress& p) {
    return RecordLedger(store, plan, p);
  };
  RETURN_IF_ERROR(migrate::ClaimRunDirectory(o.run_dir, env.store_id));
  // The engine's commit points check the lease: CommitCheck (a renewal)
  // before each flip, finish and abandon; HeldCheck before each save.
  o.commit_check = parts->ownership->CommitCheck();
  o.held_check = parts->ownership->HeldCheck();
  ASSIGN_OR_RETURN(parts->migration,
                   Migration::Open(env.router, env.store, parts->mappers.get(),
                                   setup.plan, o));
  std::unique_ptr<Controller> c(new Controller(std::move(parts)));
  // A lost lease stops the run from the renewal thread (a command in
  // progress finishes first; the engine's commit points refuse through
  // RunOwnership::CommitCheck / HeldCheck).
  Parts* p = c->parts_.get();
  RETURN_IF_ERROR(p->ownership->OnLost([p](const Status&) { StopEngine(p); }));
  const MigrationPlan& plan = c->migration_->plan();
  c->info_.table = table;
  c->info_.run_id = plan.run_id;
  c->info_.source = plan.source_table;
  c->info_.destination = plan.destination_table;
  c->info_.phase = c->migration_->phase();
  c->info_.resumed = setup.resuming;
  p->postpone_file = req.postpone_cutover_file;
  p->max_lag = req.max_lag_for_cutover;
  p->consumers = req.wait_for_consumers;
  if (!req.hooks_dir.empty()) {
    std::function<void(const std::string&)> note = req.on_note;
    if (!note) {
      note = [](const std::string& line) {
        std::fprintf(stderr, "godwit: %s\n", line.c_str());
      };
    }
    ASSIGN_OR_RETURN(p->hooks,
                     migrate::ControllerHooks::Open(
                         req.hooks_dir, req.hook_timeout_seconds, c->migration_,
                         c->info_, start_phase, std::move(note)));
  }
  return c;
}

MapperFactory* Controller::mappers() { return parts_->mappers.get(); }

bool Controller::ended() const { return parts_->ended.load(); }

void Controller::Stop() { StopEngine(parts_.get()); }

Status Controller::ownership() const { return parts_->ownership->lost(); }

std::optional<VerifyReport> Controller::last_verify() const {
  return parts_->timeline->latest().last_verify;
}

std::optional<FlipReport> Controller::last_flip() const {
  return parts_->timeline->latest().last_flip;
}

std::optional<RunOwner> Controller::taken_over_from() const {
  const std::optional<control::LeaseRecord>& p = parts_->ownership->previous();
  if (!p) return std::nullopt;
  return migrate::ToRunOwner(*p);
}

Status Controller::WaitCaughtUp() {
  RETURN_IF_ERROR(ownership());
  Status s = migration_->WaitCaughtUp();
  if (!s.ok()) RETURN_IF_ERROR(ownership());  // lost while waiting
  return s;
}

Result<Reply> Controller::Execute(const Command& c) {
  auto t0 = std::chrono::steady_clock::now();
  Result<Reply> r = ExecuteCommand(c);
  parts_->timeline->RecordCommand(
      c, r,
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count());
  return r;
}

Result<Reply> Controller::ExecuteCommand(const Command& c) {
  RETURN_IF_ERROR(ValidateCommand(c));
  const std::string& table = info_.table;
  auto unavailable = [&]() -> Status {
    RETURN_IF_ERROR(ownership());
    if (parts_->ended.load()) {
      return Status::FailedPrecondition("the run of " + table + " has ended (" +
                                        info_.run_id + ")");
    }
    if (parts_->stopped.load()) {
      return Status::FailedPrecondition("the run of " + table +
                                        " is stopped in this process");
    }
    return Status::OK();
  };
  Reply r;
  r.command = c.kind;
  if (c.kind == CommandKind::kProgress) {  // never waits for a command
    RETURN_IF_ERROR(unavailable());
    if (Status e = migration_->error(); !e.ok()) {
      return Status(e.code(), "the run stopped: " + std::string(e.message()));
    }
    r.progress = migration_->progress();
    return r;
  }
  std::lock_guard lock(parts_->mu);
  RETURN_IF_ERROR(unavailable());
  Migration& m = *migration_;
  switch (c.kind) {
    case CommandKind::kPause:
    case CommandKind::kResume:
      parts_->paused = c.kind == CommandKind::kPause;
      m.Pause(parts_->paused);
      r.paused = parts_->paused;
      return r;
    case CommandKind::kRate:
      parts_->rate = c.rate;
      m.SetRate(c.rate);
      r.rate = c.rate;
      return r;
    case CommandKind::kVerify: {
      ASSIGN_OR_RETURN(r.verify, m.Verify(kReportedDifferences));
      return r;
    }
    case CommandKind::kCutover:
    case CommandKind::kRollback: {
      const bool cutover = c.kind == CommandKind::kCutover;
      FlipOptions fo;
      fo.force = c.force;
      // The operator's gates hold a cutover whatever --force says (it
      // skips the verify gate only); the hook runs last, before the flip.
      if (cutover) {
        r.postponed = CutoverPostponed(/*before_flip=*/false);
        if (!r.postponed.empty()) return r;
      }
      if (c.verify_first) {
        RETURN_IF_ERROR(m.WaitCaughtUp());
        ASSIGN_OR_RETURN(r.verify, m.Verify(kReportedDifferences));
        if (!r.verify->ok()) return r;  // nothing switched
      }
      if (cutover) {
        r.postponed = CutoverPostponed(/*before_flip=*/true);
        if (!r.postponed.empty()) return r;
        ASSIGN_OR_RETURN(r.flip, m.Cutover(fo));
      } else {
        ASSIGN_OR_RETURN(r.flip, m.Rollback(fo));
      }
      r.forced = c.force;
      if (parts_->hooks) {
        char ms[32];
        std::snprintf(ms, sizeof(ms), "%.1f", r.flip->write_pause_ms);
        parts_->hooks->Post(cutover ? "on-cutover" : "on-rollback",
                            {{"GODWIT_WRITE_PAUSE_MS", ms}});
      }
      return r;
    }
    case CommandKind::kUnpostpone: {
      if (parts_->postpone_file.empty()) {
        return Status::FailedPrecondition(
            "the run of " + table +
            " has no postpone file (migrate --postpone-cutover-file)");
      }
      std::error_code ec;
      std::filesystem::remove(parts_->postpone_file, ec);
      if (ec) {
        return Status::IOError("cannot remove the postpone file " +
                               parts_->postpone_file + ": " + ec.message());
      }
      return r;
    }
    case CommandKind::kFinish:
      RETURN_IF_ERROR(m.Finish());
      parts_->ended.store(true);
      if (parts_->hooks) parts_->hooks->Post("on-finish");
      return r;
    case CommandKind::kAbandon:
      RETURN_IF_ERROR(m.Abandon());
      parts_->ended.store(true);
      return r;
    case CommandKind::kProgress:
      break;
  }
  return Status::Internal("unhandled command " +
                          std::string(CommandName(c.kind)));
}

// ------------------------------------------------------------------ runs

Result<std::optional<RunSummary>> FindRun(Store* store,
                                          const std::string& table) {
  ASSIGN_OR_RETURN(std::optional<migrate::RunState> s,
                   migrate::LoadRunState(store, table));
  if (!s) return std::optional<RunSummary>();
  return std::optional<RunSummary>(Summarise(*s));
}

Result<std::vector<RunSummary>> ListRuns(Store* store) {
  std::vector<RunSummary> out;
  Result<std::shared_ptr<Table>> t = store->GetTable(control::kControlTable);
  if (!t.ok()) {
    if (t.status().IsNotFound()) return out;
    return t.status();
  }
  ScanOptions so;
  while (true) {
    ASSIGN_OR_RETURN(Page page, (*t)->Scan(so));
    for (const Item& item : page.items) {
      const AttributeValue* pk = item.Find("pk");
      const AttributeValue* sk = item.Find("sk");
      if (pk == nullptr || sk == nullptr || !pk->is(AttrType::kS) ||
          !sk->is(AttrType::kS) || pk->s().rfind("run#", 0) != 0 ||
          sk->s() != "state") {
        continue;
      }
      ASSIGN_OR_RETURN(migrate::RunState s, migrate::RunStateFromItem(item));
      out.push_back(Summarise(s));
    }
    if (page.next_page_token.empty()) break;
    so.page_token = std::move(page.next_page_token);
  }
  std::sort(out.begin(), out.end(),
            [](const RunSummary& a, const RunSummary& b) {
              return a.table < b.table;
            });
  return out;
}

}  // namespace godwit
