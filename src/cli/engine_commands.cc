// The migration engine's commands: migrate, verify, cutover, rollback,
// finish, load, ctl and demo.
//
// The embedded store belongs to one process. `godwit migrate` owns it for
// the whole run and serves the control channel (cli/control_channel.h);
// `verify`, `cutover`, `rollback`, `finish` and `ctl` are sent to that
// process when it runs, and otherwise open the store and resume the run
// themselves.
#include <signal.h>
#include <simdjson.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <thread>

#include "cli/cli.h"
#include "cli/config.h"
#include "cli/control_channel.h"
#include "cli/migration_host.h"
#include "cli/run_common.h"
#include "control/control_table.h"
#include "control/ledger.h"
#include "godwit/item_file.h"
#include "godwit/json.h"
#include "godwit/local_store.h"
#include "godwit/migrate.h"
#include "godwit/remote_store.h"
#include "godwit/transform.h"
#include "migrate/run_state.h"
#include "migrate/workload.h"
#include "transform/lua_mapper.h"
#include "transform/plan.h"

namespace godwit::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::atomic<bool> g_interrupted{false};

void OnSignal(int) { g_interrupted.store(true); }

void InstallSignalHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

// Progress on stderr: a line rewritten in place on a terminal, a line every
// 5 s otherwise, and with --json one JSON object per line every second
// (stdout keeps the results: verify and flip reports).
class ProgressPrinter {
 public:
  explicit ProgressPrinter(bool json) : tty_(isatty(2) != 0), json_(json) {}
  void Print(const MigrationProgress& p) {
    if (json_) {
      std::fprintf(stderr, "%s\n", ProgressJson(p).c_str());
      return;
    }
    std::string line = ProgressLine(p);
    if (tty_) {
      std::fprintf(stderr, "\r\033[K%s", line.c_str());
      dirty_ = true;
    } else if (Clock::now() - last_ >= std::chrono::seconds(5)) {
      last_ = Clock::now();
      std::fprintf(stderr, "%s\n", line.c_str());
    }
  }
  void Break() {
    if (dirty_) std::fprintf(stderr, "\n");
    dirty_ = false;
  }

 private:
  bool tty_;
  bool json_;
  bool dirty_ = false;
  Clock::time_point last_{};
};

// --------------------------------------------------------------- migrate

struct MigrateArgs {
  std::string table;
  int segments = 16;
  int threads = 2;
  double rate = 0;
  bool resume = false;
  bool cutover = false;
  size_t max_errors = 0;
  double load_rate = 0;
  int load_threads = 4;
  double fence_seconds = -1;  // < 0: kDefaultRemoteFence on a remote store
};

// The pointer fence on a remote store: applications that follow the pointer
// contract cache it for at most 5 s and time their writes out within 1 s.
constexpr double kDefaultRemoteFence = 6;

// ------------------------------------------------- migrations in a server

// POSTs a GodwitAdmin operation to --server, signed with the credentials
// and region `--store URL` would use; an error answer becomes a Status with
// the server's message.
Result<std::string> ServerCall(const Context& ctx, std::string_view op,
                               const std::string& body, double timeout_s) {
  ASSIGN_OR_RETURN(
      RemoteStoreOptions server,
      ResolveRemoteOptions(ctx.global, ctx.global.server_url, "--server"));
  ASSIGN_OR_RETURN(auto answer, AdminRequest(server, op, body, timeout_s));
  if (answer.first == 200) return std::move(answer.second);
  simdjson::dom::parser parser;
  simdjson::dom::object err;
  std::string_view type, message;
  if (parser.parse(answer.second).get(err) == simdjson::SUCCESS &&
      err["__type"].get(type) == simdjson::SUCCESS &&
      err["message"].get(message) == simdjson::SUCCESS) {
    type = type.substr(type.find('#') + 1);
    if (type == "MissingAuthenticationTokenException" ||
        type == "IncompleteSignatureException" ||
        type == "UnrecognizedClientException" ||
        type == "InvalidSignatureException") {
      return Status::FailedPrecondition(
          "authentication failed at " + ctx.global.server_url + ": " +
          std::string(type) + ": " + std::string(message) + " (access key " +
          server.credentials.access_key_id +
          ", source: " + server.credentials.source +
          "; a server started with --auth wants a key pair of its auth "
          "file: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "
          "AWS_PROFILE)");
    }
    StatusCode code = type == "ResourceNotFoundException"
                          ? StatusCode::kNotFound
                          : StatusCode::kFailedPrecondition;
    return Status(code, std::string(message) + " (" + std::string(type) +
                            " from " + ctx.global.server_url + ")");
  }
  return Status::Unavailable(ctx.global.server_url + " answered HTTP " +
                             std::to_string(answer.first) + ": " +
                             answer.second.substr(0, 200));
}

// Runs a control command in the server; returns the exit code and report.
Result<std::pair<int, std::string>> ServerCommand(const Context& ctx,
                                                  const std::string& table,
                                                  const std::string& command,
                                                  bool json, double timeout_s) {
  ASSIGN_OR_RETURN(
      std::string out,
      ServerCall(ctx, "MigrationCommand",
                 "{\"TableName\":" + JsonQuoted(table) +
                     ",\"Command\":" + JsonQuoted(command) +
                     ",\"Json\":" + (json ? "true" : "false") + "}",
                 timeout_s));
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  int64_t code;
  std::string_view text;
  if (parser.parse(out).get(obj) != simdjson::SUCCESS ||
      obj["ExitCode"].get(code) != simdjson::SUCCESS ||
      obj["Output"].get(text) != simdjson::SUCCESS) {
    return Status::Internal("unexpected answer from " + ctx.global.server_url +
                            ": " + out.substr(0, 200));
  }
  return std::make_pair(static_cast<int>(code), std::string(text));
}

// `godwit --server URL migrate TABLE`: starts (or resumes) the run in the
// server, follows its progress until it has caught up, and with --cutover
// verifies and cuts over there. The run stays in the server: this process
// may stop at any time.
Status RunMigrateOnServer(const Context& ctx, const MigrateArgs& a) {
  if (a.load_rate > 0) {
    return Status::InvalidArgument(
        "--load runs writers inside this process; with --server, write "
        "through the server's DynamoDB API instead");
  }
  char opts[256];
  std::snprintf(opts, sizeof(opts),
                ",\"Segments\":%d,\"Threads\":%d,\"Rate\":%.3f,"
                "\"MaxErrors\":%zu,\"Resume\":%s}",
                a.segments, a.threads, a.rate, a.max_errors,
                a.resume ? "true" : "false");
  ASSIGN_OR_RETURN(
      std::string started,
      ServerCall(ctx, "StartMigration",
                 "{\"TableName\":" + JsonQuoted(a.table) + opts, 600));
  std::fprintf(stderr, "%s: %s\n", ctx.global.server_url.c_str(),
               started.c_str());
  ProgressPrinter printer(ctx.global.json);
  while (!g_interrupted.load()) {
    ASSIGN_OR_RETURN(auto answer,
                     ServerCommand(ctx, a.table, "progress", true, 60));
    if (answer.first != 0) return Status::Aborted(answer.second);
    ASSIGN_OR_RETURN(MigrationProgress p, ProgressFromJson(answer.second));
    printer.Print(p);
    if (p.phase != RunPhase::kBackfill && p.replay_lag == 0) break;
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  printer.Break();
  if (g_interrupted.load()) {
    std::fprintf(stderr, "detached; the migration goes on in the server\n");
    return Status::OK();
  }
  if (!a.cutover) {
    std::fprintf(stderr,
                 "caught up; the server keeps the destination in step: "
                 "`godwit --server %s cutover %s` switches\n",
                 ctx.global.server_url.c_str(), a.table.c_str());
    return Status::OK();
  }
  for (const char* step : {"verify", "cutover"}) {
    ASSIGN_OR_RETURN(auto answer,
                     ServerCommand(ctx, a.table, step, ctx.global.json, 3600));
    std::fputs(answer.second.c_str(), answer.first == 0 ? stdout : stderr);
    if (answer.first == 3) {
      return Status::FailedPrecondition(
          "verify found differences; not cutting over");
    }
    if (answer.first != 0)
      return Status::Aborted(std::string(step) + " failed");
  }
  return Status::OK();
}

Status RunMigrate(const Context& ctx, const MigrateArgs& a) {
  InstallSignalHandlers();
  if (!ctx.global.server_url.empty()) return RunMigrateOnServer(ctx, a);
  ASSIGN_OR_RETURN(Session s, OpenSession(ctx));
  ASSIGN_OR_RETURN(RunSetup r, PrepareRun(s, a.table));
  if (a.resume && !r.resuming) {
    return Status::FailedPrecondition("no run of " + a.table + " to resume");
  }
  if (!a.resume && r.resuming) {
    return Status::FailedPrecondition("a run of " + a.table +
                                      " is in progress; continue it with "
                                      "`godwit migrate " +
                                      a.table + " --resume`");
  }
  if (!r.resuming) RETURN_IF_ERROR(CheckDeterminism(s, r));

  ProgressPrinter printer(ctx.global.json);
  MigrateOptions o = BaseOptions(s, a.table);
  o.segments = a.segments;
  o.threads = a.threads;
  o.rate = a.rate;
  o.max_errors = a.max_errors;
  o.fence_seconds = a.fence_seconds >= 0 ? a.fence_seconds
                    : s.remote           ? kDefaultRemoteFence
                                         : 0;
  o.on_progress = [&printer](const MigrationProgress& p) { printer.Print(p); };
  o.on_finish = LedgerRecorder(s.store.get());
  ASSIGN_OR_RETURN(std::unique_ptr<Migration> m,
                   Migration::Open(s.router.get(), s.store.get(),
                                   r.mappers.get(), r.plan, o));
  ASSIGN_OR_RETURN(ControlServer control, ControlServer::Open(o.run_dir));

  std::unique_ptr<migrate::LoadGenerator> load;
  if (a.load_rate > 0) {
    migrate::LoadOptions lo;
    lo.threads = a.load_threads;
    lo.rate = a.load_rate;
    lo.track = false;
    ASSIGN_OR_RETURN(TableDescription d,
                     s.store->DescribeTable(m->plan().source_table));
    lo.existing = d.item_count;
    lo.seed = static_cast<uint64_t>(NowMicros());
    load = std::make_unique<migrate::LoadGenerator>(
        s.router.get(), a.table, m->plan().source_table, r.mappers.get(), lo);
    load->Start();
  }
  std::fprintf(stderr, "%s run %s: %s -> %s (%s)\n",
               r.resuming ? "resuming" : "starting", m->plan().run_id.c_str(),
               m->plan().source_table.c_str(),
               m->plan().destination_table.c_str(),
               std::string(RunPhaseName(m->phase())).c_str());

  auto stop = [&](Status result) -> Status {
    printer.Break();
    if (load) load->Stop();
    m->Stop();
    return result;
  };
  auto serve = [&] {
    for (const ControlServer::Request& req : control.Poll()) {
      std::string text;
      int code = RunCommand(*m, req.command, ctx.global.json, &text);
      control.Respond(req.id, code, text);
    }
  };
  bool cut_over = m->phase() == RunPhase::kCutOver;
  bool backfill_said = m->phase() != RunPhase::kBackfill;
  bool caught_up_said = false;
  while (!g_interrupted.load()) {
    serve();
    if (Status e = m->error(); !e.ok()) return stop(e);
    RunPhase ph = m->phase();
    if (ph == RunPhase::kFinished) break;
    if (ph != RunPhase::kBackfill && !backfill_said) {
      backfill_said = true;
      MigrationProgress p = m->progress();
      printer.Break();
      if (ctx.global.json) {
        std::fprintf(stderr, "{\"backfill_done\":%s}\n",
                     ProgressJson(p).c_str());
      } else {
        std::fprintf(stderr,
                     "backfill done: %s items read, %s written, %.1f s after "
                     "this process opened the run\n",
                     Thousands(p.scanned).c_str(), Thousands(p.written).c_str(),
                     p.elapsed_seconds);
      }
    }
    if (ph != RunPhase::kBackfill && !caught_up_said &&
        m->progress().replay_lag == 0) {
      caught_up_said = true;
      printer.Break();
      std::fprintf(stderr, "caught up: %s is in step\n",
                   m->plan().destination_table.c_str());
      if (!a.cutover && ph != RunPhase::kCutOver) {
        std::fprintf(stderr,
                     "keeping it in step; `godwit cutover %s` switches, Ctrl-C "
                     "stops (resumable)\n",
                     a.table.c_str());
      }
    }
    if (a.cutover && cut_over && !load) {
      // Resumed after the flip: bring reverse sync up to date and stop.
      if (Status w = m->WaitCaughtUp(); !w.ok()) return stop(w);
      break;
    }
    if (a.cutover && !cut_over && ph != RunPhase::kBackfill) {
      if (Status w = m->WaitCaughtUp(); !w.ok()) return stop(w);
      Result<VerifyReport> v = m->Verify(10);
      if (!v.ok()) return stop(v.status());
      printer.Break();
      std::fputs((ctx.global.json ? VerifyJson(*v) : VerifyText(*v)).c_str(),
                 stdout);
      if (!v->ok()) {
        return stop(Status::FailedPrecondition(
            "verify found differences; not cutting over (the run is kept: "
            "fix and `godwit migrate " +
            a.table + " --resume`)"));
      }
      Result<FlipReport> f = m->Cutover();
      if (!f.ok()) return stop(f.status());
      std::fputs(
          (ctx.global.json ? FlipJson("cutover", *f) : FlipText("cutover", *f))
              .c_str(),
          stdout);
      std::fflush(stdout);
      cut_over = true;
      if (!load) break;  // the job is done; reverse sync resumes with --resume
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  Status result = Status::OK();
  if (g_interrupted.load()) {
    printer.Break();
    std::fprintf(stderr, "stopped; resume with `godwit migrate %s --resume`\n",
                 a.table.c_str());
  }
  return stop(result);
}

// --------------------------------------------------------------- control

// Sends `command` to the migration serving TABLE, or, if none runs, opens
// the store, resumes the run and does it here.
Status RunControl(const Context& ctx, const std::string& table,
                  const std::string& command, double timeout_s) {
  if (!ctx.global.server_url.empty()) {
    ASSIGN_OR_RETURN(auto answer, ServerCommand(ctx, table, command,
                                                ctx.global.json, timeout_s));
    std::fputs(answer.second.c_str(),
               answer.first == 0 || answer.first == 3 ? stdout : stderr);
    if (answer.first == 3) return Status::Aborted("verify found differences");
    if (answer.first != 0) return Status::Aborted(command + " failed");
    return Status::OK();
  }
  ASSIGN_OR_RETURN(std::string store_path, ResolveStorePath(ctx.global));
  std::string run_dir = RunDir(store_path, table);
  std::string text;
  int code;
  Result<Session> session = Status::Unavailable("not opened");
  if (!ControlOwner(run_dir)) {
    session = OpenSession(ctx);
    // The store is locked by a `migrate` that is still starting: wait for it
    // to serve its control channel.
    for (int i = 0; i < 200 && !session.ok() &&
                    session.status().code() == StatusCode::kIOError &&
                    !ControlOwner(run_dir);
         ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  if (ControlOwner(run_dir)) {
    ASSIGN_OR_RETURN(
        auto answer,
        SendControl(run_dir, command + (ctx.global.json ? " --json" : ""),
                    timeout_s));
    code = answer.first;
    text = std::move(answer.second);
  } else {
    if (command.rfind("pause", 0) == 0 || command.rfind("resume", 0) == 0 ||
        command.rfind("rate", 0) == 0) {
      return Status::FailedPrecondition(
          "no migration of " + table +
          " is running (start it with `godwit migrate " + table +
          " --resume`)");
    }
    if (!session.ok()) return session.status();
    Session& s = *session;
    ASSIGN_OR_RETURN(RunSetup r, PrepareRun(s, table));
    if (!r.resuming) {
      return Status::FailedPrecondition("no run of " + table + " in progress");
    }
    MigrateOptions o = BaseOptions(s, table);
    o.on_finish = LedgerRecorder(s.store.get());
    ASSIGN_OR_RETURN(std::unique_ptr<Migration> m,
                     Migration::Open(s.router.get(), s.store.get(),
                                     r.mappers.get(), r.plan, o));
    code = RunCommand(*m, command, ctx.global.json, &text);
    m->Stop();
  }
  std::fputs(text.c_str(), code == 0 || code == 3 ? stdout : stderr);
  if (code == 3) return Status::Aborted("verify found differences");
  if (code != 0) return Status::Aborted(command + " failed");
  return Status::OK();
}

struct FinishArgs {
  std::string table;
  std::string export_path;
  bool drop_old = false;
};

Status RunFinish(const Context& ctx, const FinishArgs& a) {
  if (!ctx.global.server_url.empty() &&
      (!a.export_path.empty() || a.drop_old)) {
    return Status::FailedPrecondition(
        "--export and --drop-old need the store: finish in the server "
        "without them, stop the server, then `godwit export` / `godwit table "
        "drop` the old table");
  }
  // Remember the old table before the run ends.
  std::string old_table;
  {
    ASSIGN_OR_RETURN(std::string store_path, ResolveStorePath(ctx.global));
    if (ControlOwner(RunDir(store_path, a.table)) &&
        (!a.export_path.empty() || a.drop_old)) {
      return Status::FailedPrecondition(
          "--export and --drop-old need the store: stop `godwit migrate " +
          a.table + "` first (Ctrl-C), then run finish");
    }
  }
  if (!a.export_path.empty() || a.drop_old) {
    ASSIGN_OR_RETURN(Session s, OpenSession(ctx));
    ASSIGN_OR_RETURN(std::optional<migrate::RunState> st,
                     migrate::LoadRunState(s.store.get(), a.table));
    if (!st) return Status::FailedPrecondition("no run of " + a.table);
    old_table = st->source;
  }
  RETURN_IF_ERROR(RunControl(ctx, a.table, "finish", 600));
  if (old_table.empty()) return Status::OK();
  ASSIGN_OR_RETURN(Session s, OpenSession(ctx));
  if (!a.export_path.empty()) {
    ASSIGN_OR_RETURN(std::shared_ptr<Table> t, s.store->GetTable(old_table));
    ASSIGN_OR_RETURN(std::unique_ptr<ItemFileWriter> w,
                     ItemFileWriter::Open(a.export_path));
    ScanOptions so;
    so.limit = 1000;
    do {
      ASSIGN_OR_RETURN(Page page, t->Scan(so));
      for (const Item& item : page.items) RETURN_IF_ERROR(w->Write(item));
      so.page_token = std::move(page.next_page_token);
    } while (!so.page_token.empty());
    RETURN_IF_ERROR(w->Close());
    std::fprintf(stderr, "exported %s (%s items) to %s\n", old_table.c_str(),
                 Thousands(w->lines()).c_str(), a.export_path.c_str());
  }
  if (a.drop_old) {
    RETURN_IF_ERROR(s.store->DropTable(old_table));
    std::fprintf(stderr, "dropped %s\n", old_table.c_str());
  }
  return Status::OK();
}

// --------------------------------------------------------------- load

struct LoadArgs {
  std::string table;
  double rate = 1000;
  double duration = 10;
  std::string mix = "2:6:2";
  uint64_t hot_keys = 16;
  int threads = 4;
  uint64_t seed_items = 0;
  size_t item_bytes = 0;
};

Result<std::array<int, 3>> ParseMix(const std::string& mix) {
  std::array<int, 3> w{};
  if (std::sscanf(mix.c_str(), "%d:%d:%d", &w[0], &w[1], &w[2]) != 3 ||
      w[0] < 0 || w[1] < 0 || w[2] < 0 || w[0] + w[1] + w[2] == 0) {
    return Status::InvalidArgument(
        "--mix must be insert:update:delete weights, e.g. 2:6:2, got \"" + mix +
        "\"");
  }
  return w;
}

Status RunLoad(const Context& ctx, const LoadArgs& a) {
  InstallSignalHandlers();
  ASSIGN_OR_RETURN(auto mix, ParseMix(a.mix));
  ASSIGN_OR_RETURN(Session s, OpenSession(ctx, {.create = true}));
  if (!s.store->DescribeTable(a.table).ok()) {
    TableOptions t;
    t.key_schema = KeySchema{{"pk", AttrType::kS}, std::nullopt};
    RETURN_IF_ERROR(s.store->CreateTable(a.table, t));
  }
  ASSIGN_OR_RETURN(std::string active,
                   control::ResolveActiveTable(s.store.get(), a.table));
  if (active != a.table) {
    return Status::FailedPrecondition(
        "load writes generated Orders items in their original shape; " +
        a.table + " is cut over to " + active);
  }
  ASSIGN_OR_RETURN(std::shared_ptr<Table> t, s.store->GetTable(a.table));
  if (a.seed_items > 0) {
    RETURN_IF_ERROR(
        migrate::SeedOrders(t.get(), a.seed_items, 2, a.item_bytes));
    std::fprintf(stderr, "seeded %s orders\n", Thousands(a.seed_items).c_str());
  }
  ASSIGN_OR_RETURN(TableDescription d, t->Describe());
  migrate::LoadOptions lo;
  lo.threads = a.threads;
  lo.rate = a.rate;
  lo.duration_s = a.duration;
  lo.insert = mix[0];
  lo.update = mix[1];
  lo.remove = mix[2];
  lo.hot_keys = a.hot_keys;
  lo.existing = d.item_count;
  lo.track = false;
  lo.seed = static_cast<uint64_t>(NowMicros());
  migrate::LoadGenerator load(s.router.get(), a.table, a.table, nullptr, lo);
  auto t0 = Clock::now();
  load.Start();
  while (!g_interrupted.load() &&
         std::chrono::duration<double>(Clock::now() - t0).count() <
             a.duration) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  load.Stop();
  double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  migrate::LoadStats st = load.stats();
  uint64_t total = st.inserts + st.updates + st.deletes;
  if (ctx.global.json) {
    std::printf(
        "{\"inserts\":%llu,\"updates\":%llu,\"deletes\":%llu,\"errors\":%llu,"
        "\"seconds\":%.3f,\"writes_per_second\":%.1f}\n",
        (unsigned long long)st.inserts, (unsigned long long)st.updates,
        (unsigned long long)st.deletes, (unsigned long long)st.errors, secs,
        total / secs);
  } else {
    std::printf(
        "load: %s writes in %.1f s (%s/s): %s inserts, %s updates, %s deletes, "
        "%s errors\n",
        Thousands(total).c_str(), secs,
        Thousands(static_cast<uint64_t>(total / secs)).c_str(),
        Thousands(st.inserts).c_str(), Thousands(st.updates).c_str(),
        Thousands(st.deletes).c_str(), Thousands(st.errors).c_str());
  }
  if (st.errors > 0) return Status::Aborted("load: " + st.last_error);
  return Status::OK();
}

// --------------------------------------------------------------- demo

struct DemoArgs {
  std::string dir;
  std::string migrations = "examples/migrations";
  uint64_t items = 200000;
  double write_rate = 2000;
  int writers = 4;
  int threads = 2;
  bool keep = false;
};

Status RunDemo(const Context& ctx, const DemoArgs& a) {
  auto t_start = Clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(Clock::now() - t_start).count();
  };
  std::string dir = a.dir;
  bool scratch = dir.empty();
  if (scratch) {
    std::string tmpl =
        (fs::temp_directory_path() / "godwit-demo-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr)
      return Status::IOError("cannot create a scratch folder");
    dir = tmpl;
  }
  struct Cleanup {
    std::string dir;
    bool keep;
    ~Cleanup() {
      std::error_code ec;
      if (!keep) fs::remove_all(dir, ec);
    }
  } cleanup{dir, a.keep || !scratch};
  std::string migration = a.migrations + "/Orders/0002_key_by_customer.lua";
  if (!fs::exists(migration)) {
    return Status::NotFound(
        "the demo's migration " + migration +
        " is missing (run from the repository, or --migrations DIR)");
  }
  Context dctx = ctx;
  dctx.global.store_path = dir + "/data";
  LocalStoreOptions so;
  so.path = dctx.global.store_path;
  so.sync = false;  // a scratch store: no fsync (a killed process still loses
                    // nothing)
  ASSIGN_OR_RETURN(std::unique_ptr<Store> store, OpenLocalStore(so));
  ASSIGN_OR_RETURN(std::unique_ptr<Router> router, NewRouter(store.get()));
  std::printf("godwit demo: scratch store %s\n", dir.c_str());

  TableOptions topts;
  topts.key_schema = KeySchema{{"pk", AttrType::kS}, std::nullopt};
  RETURN_IF_ERROR(store->CreateTable("Orders", topts));
  ASSIGN_OR_RETURN(std::shared_ptr<Table> orders, store->GetTable("Orders"));
  auto t0 = Clock::now();
  RETURN_IF_ERROR(migrate::SeedOrders(orders.get(), a.items, 2));
  double seed_s = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf(
      "[%5.1fs] seeded %s Orders items (%s items/s); about 10%% belong to one "
      "hot "
      "customer\n",
      elapsed(), Thousands(a.items).c_str(),
      Thousands(static_cast<uint64_t>(a.items / seed_s)).c_str());

  ASSIGN_OR_RETURN(MigrationFile file, ReadMigrationFile(migration));
  TransformOptions xo;
  xo.source_key_schema = topts.key_schema;
  xo.now_micros = NowMicros();
  ASSIGN_OR_RETURN(std::shared_ptr<const Transform> transform,
                   Transform::Create({file}, xo));
  LuaMapperFactory mappers(transform);
  {
    ScanOptions sc;
    sc.limit = 64;
    ASSIGN_OR_RETURN(Page sample, orders->Scan(sc));
    ASSIGN_OR_RETURN(std::unique_ptr<TransformWorker> w,
                     transform->NewWorker());
    RETURN_IF_ERROR(w->CheckDeterminism(sample.items));
  }

  migrate::LoadOptions lo;
  lo.threads = a.writers;
  lo.rate = a.write_rate;
  lo.existing = a.items;
  lo.hot_keys = 16;
  migrate::LoadGenerator load(router.get(), "Orders", "Orders", &mappers, lo);
  load.Start();
  std::printf(
      "[%5.1fs] %d writers started: inserts, updates, deletes at %s writes/s, "
      "16 hot keys\n",
      elapsed(), a.writers,
      Thousands(static_cast<uint64_t>(a.write_rate)).c_str());

  MigrationPlan plan;
  plan.logical_table = "Orders";
  plan.destination_key_schema = transform->destination_key_schema();
  plan.migrations.push_back(
      {static_cast<int>(file.number), file.name, file.sha256});
  plan.started_micros = xo.now_micros;
  MigrateOptions mo;
  mo.run_dir = RunDir(dctx.global.store_path, "Orders");
  mo.threads = a.threads;
  mo.segments = 16;
  ASSIGN_OR_RETURN(
      std::unique_ptr<Migration> m,
      Migration::Open(router.get(), store.get(), &mappers, plan, mo));
  std::printf(
      "[%5.1fs] migrating Orders -> %s through %s (P0 marked, capture on)\n",
      elapsed(), m->plan().destination_table.c_str(), file.id().c_str());
  auto tb = Clock::now();
  while (true) {
    Status e = m->error();
    if (!e.ok()) {
      load.Stop();
      m->Stop();
      return e;
    }
    if (m->phase() != RunPhase::kBackfill) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  double backfill_s = std::chrono::duration<double>(Clock::now() - tb).count();
  MigrationProgress p = m->progress();
  std::printf(
      "[%5.1fs] backfill done: %s items in %.1f s (%s items/s), replay lag "
      "%s\n",
      elapsed(), Thousands(p.written).c_str(), backfill_s,
      Thousands(static_cast<uint64_t>(p.written / backfill_s)).c_str(),
      Thousands(p.replay_lag).c_str());
  auto fail = [&](Status s) {
    load.Stop();
    m->Stop();
    return s;
  };
  if (Status s = m->WaitCaughtUp(); !s.ok()) return fail(s);
  std::printf("[%5.1fs] replay caught up (%s records replayed)\n", elapsed(),
              Thousands(m->progress().replayed).c_str());

  std::vector<std::string> summary;
  auto verify = [&](const char* when) -> Status {
    Result<VerifyReport> v = m->Verify(5);
    if (!v.ok()) return v.status();
    std::printf("[%5.1fs] %s", elapsed(), VerifyText(*v).c_str());
    summary.push_back(std::string(when) + ": " + Thousands(v->differences) +
                      " differences");
    if (!v->ok())
      return Status::Aborted("verify found differences " + std::string(when));
    return Status::OK();
  };
  auto flip = [&](bool cutover) -> Status {
    Result<FlipReport> f = cutover ? m->Cutover() : m->Rollback();
    if (!f.ok()) return f.status();
    std::printf("[%5.1fs] %s", elapsed(),
                FlipText(cutover ? "cutover" : "rollback", *f).c_str());
    char buf[128];
    std::snprintf(buf, sizeof(buf), "%s %s -> %s: write pause %.1f ms",
                  cutover ? "cutover" : "rollback", f->from_table.c_str(),
                  f->to_table.c_str(), f->write_pause_ms);
    summary.push_back(buf);
    std::this_thread::sleep_for(
        std::chrono::milliseconds(500));  // writers on the new side
    return Status::OK();
  };
  // The checks after each flip (down(new) == old with writers running) are
  // in the engine tests; the demo verifies with writers running, flips three
  // times, and verifies at the end, to keep within its two minutes.
  if (Status s = verify("before cutover, writers running"); !s.ok())
    return fail(s);
  if (Status s = flip(true); !s.ok()) return fail(s);
  if (Status s = flip(false); !s.ok()) return fail(s);
  if (Status s = flip(true); !s.ok()) return fail(s);
  load.Stop();
  if (Status s = m->WaitCaughtUp(); !s.ok()) return fail(s);
  if (Status s = verify("final, writers stopped"); !s.ok()) return fail(s);

  // Every acknowledged write is in the new table, transformed.
  migrate::LoadStats ls = load.stats();
  ASSIGN_OR_RETURN(std::shared_ptr<Table> v2,
                   store->GetTable(m->plan().destination_table));
  std::vector<std::string> examples;
  ASSIGN_OR_RETURN(uint64_t bad, load.CheckTable(v2.get(), false, &examples));
  std::printf(
      "[%5.1fs] acknowledged writes checked against %s: %s missing or wrong\n",
      elapsed(), m->plan().destination_table.c_str(), Thousands(bad).c_str());
  for (const std::string& e : examples) std::printf("  %s\n", e.c_str());
  m->Stop();

  std::printf("\nsummary\n");
  std::printf(
      "  items              %s seeded; %s writes during the run (%s inserts, "
      "%s "
      "updates, %s deletes, %s errors)\n",
      Thousands(a.items).c_str(),
      Thousands(ls.inserts + ls.updates + ls.deletes).c_str(),
      Thousands(ls.inserts).c_str(), Thousands(ls.updates).c_str(),
      Thousands(ls.deletes).c_str(), Thousands(ls.errors).c_str());
  std::printf("  backfill           %.1f s, %s items/s with %d threads\n",
              backfill_s,
              Thousands(static_cast<uint64_t>(p.written / backfill_s)).c_str(),
              a.threads);
  std::printf("  longest write      %.1f ms (a write held by a flip)\n",
              ls.max_latency_ms);
  for (const std::string& s : summary) std::printf("  %s\n", s.c_str());
  std::printf("  acknowledged       %s wrong or missing\n",
              Thousands(bad).c_str());
  std::printf("  total              %.1f s\n", elapsed());
  if (bad > 0 || ls.errors > 0)
    return Status::Aborted("the demo found lost writes");
  return Status::OK();
}

}  // namespace

void RegisterEngineCommands(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<MigrateArgs>();
  CLI::App* mig = app.add_subcommand(
      "migrate",
      "Copy TABLE through its pending migrations into the next generation "
      "while "
      "writes go on, then keep it in step (or cut over with --cutover)");
  mig->add_option("table", a->table, "logical table")->required();
  mig->add_option("--segments", a->segments, "parallel scan segments")
      ->capture_default_str();
  mig->add_option("--threads", a->threads, "backfill worker threads")
      ->capture_default_str();
  mig->add_option("--rate", a->rate, "backfill items/s (0 = unlimited)")
      ->capture_default_str();
  mig->add_flag("--resume", a->resume,
                "continue the run in progress after a stop or crash");
  mig->add_flag("--cutover", a->cutover,
                "verify and cut over by itself once caught up");
  mig->add_option("--max-errors", a->max_errors,
                  "item errors tolerated (dead-lettered)")
      ->capture_default_str();
  mig->add_option("--load", a->load_rate,
                  "rehearsal: also write generated Orders items at this rate "
                  "(writes/s) through the router during the run");
  mig->add_option("--load-threads", a->load_threads,
                  "writer threads for --load")
      ->capture_default_str();
  mig->add_option(
      "--fence-seconds", a->fence_seconds,
      "before each flip, set the pointer to \"switching\" and wait this "
      "long, so that applications following the pointer contract hold "
      "their writes (default: 6 on a remote store, 0 on the embedded one, "
      "where writers go through godwit)");
  mig->callback(
      [&ctx, a] { ctx.run = [&ctx, a] { return RunMigrate(ctx, *a); }; });

  auto control_cmd = [&app, &ctx](const char* name, const char* help,
                                  const char* command, double timeout) {
    auto table = std::make_shared<std::string>();
    CLI::App* c = app.add_subcommand(name, help);
    c->add_option("table", *table, "logical table")->required();
    c->callback([&ctx, table, command, timeout] {
      ctx.run = [&ctx, table, command, timeout] {
        return RunControl(ctx, *table, command, timeout);
      };
    });
  };
  control_cmd("verify",
              "Compare up(source) with the destination exactly (after cutover: "
              "down(destination) with the old table); exit 1 on any difference",
              "verify", 3600);
  control_cmd("cutover",
              "Fenced flip of TABLE to the destination; reverse sync starts",
              "cutover", 3600);
  control_cmd("rollback",
              "Fenced flip of TABLE back to the old table; nothing is lost",
              "rollback", 3600);

  auto f = std::make_shared<FinishArgs>();
  CLI::App* fin = app.add_subcommand(
      "finish", "End a cut-over run: stop reverse sync, record the ledger");
  fin->add_option("table", f->table, "logical table")->required();
  fin->add_option(
      "--export", f->export_path,
      "export the old table to FILE (DynamoDB-JSON lines; .gz/.zst)");
  fin->add_flag("--drop-old", f->drop_old, "drop the old table afterwards");
  fin->callback(
      [&ctx, f] { ctx.run = [&ctx, f] { return RunFinish(ctx, *f); }; });

  auto ctl_table = std::make_shared<std::string>();
  auto ctl_words = std::make_shared<std::vector<std::string>>();
  CLI::App* ctl = app.add_subcommand(
      "ctl",
      "Change a running migration: pause, resume, rate N (items/s), progress");
  ctl->add_option("table", *ctl_table, "logical table")->required();
  ctl->add_option("command", *ctl_words, "pause | resume | rate N | progress")
      ->required();
  ctl->callback([&ctx, ctl_table, ctl_words] {
    ctx.run = [&ctx, ctl_table, ctl_words] {
      std::string cmd;
      for (const std::string& w : *ctl_words)
        cmd += (cmd.empty() ? "" : " ") + w;
      return RunControl(ctx, *ctl_table, cmd, 30);
    };
  });

  auto l = std::make_shared<LoadArgs>();
  CLI::App* ld = app.add_subcommand(
      "load",
      "Write generated Orders items (inserts, updates, deletes) into TABLE");
  ld->add_option("table", l->table, "table (created keyed by pk:S if missing)")
      ->required();
  ld->add_option("--rate", l->rate, "writes/s")->capture_default_str();
  ld->add_option("--duration", l->duration, "seconds")->capture_default_str();
  ld->add_option("--mix", l->mix, "insert:update:delete weights")
      ->capture_default_str();
  ld->add_option("--hot-keys", l->hot_keys,
                 "keys that get a third of the updates")
      ->capture_default_str();
  ld->add_option("--threads", l->threads, "writer threads")
      ->capture_default_str();
  ld->add_option("--seed-items", l->seed_items, "first insert this many orders")
      ->capture_default_str();
  ld->add_option("--item-bytes", l->item_bytes,
                 "pad each seeded order to about this size (0: no padding)")
      ->check(CLI::Range(size_t{0}, kMaxItemSize))
      ->capture_default_str();
  ld->callback([&ctx, l] { ctx.run = [&ctx, l] { return RunLoad(ctx, *l); }; });

  auto d = std::make_shared<DemoArgs>();
  CLI::App* demo =
      app.add_subcommand("demo",
                         "The demo: seed Orders, run live writers, migrate "
                         "(re-key by customer), verify, "
                         "cut over, roll back, cut over again, and check every "
                         "acknowledged write");
  demo->add_option("--dir", d->dir,
                   "keep the store here (default: a scratch folder, removed)");
  demo->add_option("--migrations", d->migrations,
                   "folder with Orders/0002_key_by_customer.lua")
      ->capture_default_str();
  demo->add_option("--items", d->items, "Orders items to seed")
      ->capture_default_str();
  demo->add_option("--write-rate", d->write_rate, "writes/s during the run")
      ->capture_default_str();
  demo->add_option("--writers", d->writers, "writer threads")
      ->capture_default_str();
  demo->add_option("--threads", d->threads, "backfill threads")
      ->capture_default_str();
  demo->add_flag("--keep", d->keep, "keep the scratch store");
  demo->callback(
      [&ctx, d] { ctx.run = [&ctx, d] { return RunDemo(ctx, *d); }; });
}

}  // namespace godwit::cli
