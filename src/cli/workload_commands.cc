// Workloads: `godwit load` (generated Orders items written into a table)
// and `godwit demo` (a whole run with live writers on a scratch store,
// driven through the controller like every other run).
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cli/cli.h"
#include "cli/demo_migration.h"  // generated: kDemoMigration
#include "cli/render.h"
#include "cli/session.h"
#include "godwit/controller.h"
#include "godwit/local_store.h"
#include "migrate/workload.h"  // the Orders workload generator

namespace godwit::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

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
  // The store must exist (a typo in --store must not make a new one); the
  // table is created if missing.
  ASSIGN_OR_RETURN(Session s, OpenSession(ctx));
  if (!s.store->DescribeTable(a.table).ok()) {
    TableOptions t;
    t.key_schema = KeySchema{{"pk", AttrType::kS}, std::nullopt};
    RETURN_IF_ERROR(s.store->CreateTable(a.table, t));
  }
  ASSIGN_OR_RETURN(std::string active, ResolveTable(s.store.get(), a.table));
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
  while (!Interrupted() &&
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
  std::string migrations;  // "": the built-in copy of the example
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
  std::string migrations = a.migrations;
  if (migrations.empty()) {
    // The example migration is built into the binary (from
    // examples/migrations/Orders/0002_key_by_customer.lua), so that the demo
    // runs from any directory, installed or not.
    migrations = dir + "/migrations";
    std::error_code ec;
    fs::create_directories(migrations + "/Orders", ec);
    std::string path = migrations + "/Orders/0002_key_by_customer.lua";
    std::ofstream out(path, std::ios::trunc);
    out << kDemoMigration;
    if (ec || !out) return Status::IOError("cannot write " + path);
  }
  std::string migration = migrations + "/Orders/0002_key_by_customer.lua";
  if (!fs::exists(migration)) {
    return Status::NotFound("the demo's migration " + migration +
                            " is missing (--migrations DIR: a folder with "
                            "Orders/0002_key_by_customer.lua)");
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
      "hot customer\n",
      elapsed(), Thousands(a.items).c_str(),
      Thousands(static_cast<uint64_t>(a.items / seed_s)).c_str());

  // The run, through the controller as `godwit migrate` runs it.
  ControllerEnv env;
  env.store = store.get();
  env.router = router.get();
  env.migrations_dir = migrations;
  env.runs_dir = RunsDir(dctx.global.store_path);
  RunRequest req;
  req.table = "Orders";
  req.threads = a.threads;
  req.segments = 16;
  ASSIGN_OR_RETURN(std::unique_ptr<Controller> c, Controller::Open(env, req));
  const RunInfo& info = c->info();
  Migration& m = c->migration();

  // Writers that know both shapes: blue items, `up` of them once the
  // destination is active.
  migrate::LoadOptions lo;
  lo.threads = a.writers;
  lo.rate = a.write_rate;
  lo.existing = a.items;
  lo.hot_keys = 16;
  migrate::LoadGenerator load(router.get(), "Orders", info.source, c->mappers(),
                              lo);
  load.Start();
  std::printf(
      "[%5.1fs] migrating Orders -> %s through %s (P0 marked, capture on); "
      "%d writers started: inserts, updates, deletes at %s writes/s, 16 hot "
      "keys\n",
      elapsed(), info.destination.c_str(), migration.c_str(), a.writers,
      Thousands(static_cast<uint64_t>(a.write_rate)).c_str());
  auto fail = [&](Status s) {
    load.Stop();
    c->Stop();
    return s;
  };
  auto tb = Clock::now();
  while (m.phase() == RunPhase::kBackfill) {
    if (Status e = m.error(); !e.ok()) return fail(e);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  double backfill_s = std::chrono::duration<double>(Clock::now() - tb).count();
  MigrationProgress p = m.progress();
  std::printf(
      "[%5.1fs] backfill done: %s items in %.1f s (%s items/s), replay lag "
      "%s\n",
      elapsed(), Thousands(p.written).c_str(), backfill_s,
      Thousands(static_cast<uint64_t>(p.written / backfill_s)).c_str(),
      Thousands(p.replay_lag).c_str());
  if (Status s = c->WaitCaughtUp(); !s.ok()) return fail(s);
  std::printf("[%5.1fs] replay caught up (%s records replayed)\n", elapsed(),
              Thousands(m.progress().replayed).c_str());

  std::vector<std::string> summary;
  auto run = [&](CommandKind kind) -> Result<Reply> {
    Command cmd;
    cmd.kind = kind;
    return c->Execute(cmd);
  };
  auto verify = [&](const std::string& when) -> Status {
    ASSIGN_OR_RETURN(Reply r, run(CommandKind::kVerify));
    std::printf("[%5.1fs] %s", elapsed(), VerifyText(*r.verify).c_str());
    summary.push_back("verify " + when + ": " +
                      Thousands(r.verify->differences) + " differences");
    if (r.differences()) {
      return Status::Aborted("verify found differences " + when);
    }
    return Status::OK();
  };
  auto flip = [&](CommandKind kind) -> Status {
    ASSIGN_OR_RETURN(Reply r, run(kind));
    std::string what(CommandName(kind));
    std::printf("[%5.1fs] %s", elapsed(),
                FlipText(what, *r.flip, r.forced).c_str());
    char buf[160];
    std::snprintf(buf, sizeof(buf), "%s %s -> %s: write pause %.1f ms",
                  what.c_str(), r.flip->from_table.c_str(),
                  r.flip->to_table.c_str(), r.flip->write_pause_ms);
    summary.push_back(buf);
    std::this_thread::sleep_for(
        std::chrono::milliseconds(500));  // writers on the new side
    return Status::OK();
  };
  // Each flip is gated on a passing verify of the phase it leaves, with the
  // writers running: verify, cut over, verify (down(new) == old), roll
  // back, verify, cut over; then the writers stop and a last verify.
  if (Status s = verify("before cutover, writers running"); !s.ok()) {
    return fail(s);
  }
  if (Status s = flip(CommandKind::kCutover); !s.ok()) return fail(s);
  if (Status s = verify("after cutover, writers running"); !s.ok()) {
    return fail(s);
  }
  if (Status s = flip(CommandKind::kRollback); !s.ok()) return fail(s);
  if (Status s = verify("after rollback, writers running"); !s.ok()) {
    return fail(s);
  }
  if (Status s = flip(CommandKind::kCutover); !s.ok()) return fail(s);
  load.Stop();
  if (Status s = c->WaitCaughtUp(); !s.ok()) return fail(s);
  if (Status s = verify("final, writers stopped"); !s.ok()) return fail(s);

  // Every acknowledged write is in the new table, transformed.
  migrate::LoadStats ls = load.stats();
  ASSIGN_OR_RETURN(std::shared_ptr<Table> v2,
                   store->GetTable(info.destination));
  std::vector<std::string> examples;
  ASSIGN_OR_RETURN(uint64_t bad, load.CheckTable(v2.get(), false, &examples));
  std::printf(
      "[%5.1fs] acknowledged writes checked against %s: %s missing or wrong\n",
      elapsed(), info.destination.c_str(), Thousands(bad).c_str());
  for (const std::string& e : examples) std::printf("  %s\n", e.c_str());
  c->Stop();

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

void RegisterWorkloadCommands(CLI::App& app, Context& ctx) {
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
                   "folder with Orders/0002_key_by_customer.lua (default: the "
                   "example built into godwit)");
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
