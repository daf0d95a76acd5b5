// godwit migrate: opens (or resumes) a run through the controller and keeps
// it going until it has caught up (or, with --cutover, has verified and cut
// over), serving the control files of the run meanwhile; with --server the
// run is opened in `godwit serve` and followed from here.
//
// The embedded store belongs to one process: `godwit migrate` owns it for
// the whole run and serves the `ctl/` control files (cli/control_channel.h),
// through which `verify`, `cutover`, ... reach this process's controller.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "cli/cli.h"
#include "cli/control_channel.h"
#include "cli/render.h"
#include "cli/server_client.h"
#include "cli/session.h"
#include "godwit/controller.h"
#include "migrate/workload.h"  // --load: the Orders workload (rehearsals)

namespace godwit::cli {
namespace {

struct MigrateArgs {
  std::string table;
  int segments = 16;
  int threads = 2;
  double rate = 0;
  bool resume = false;
  bool cutover = false;
  uint64_t max_errors = 0;
  double load_rate = 0;
  int load_threads = 4;
  double fence_seconds = -1;  // < 0: the store's default
};

RunRequest ToRequest(const MigrateArgs& a) {
  RunRequest r;
  r.table = a.table;
  r.mode = a.resume ? OpenMode::kResume : OpenMode::kStart;
  r.segments = a.segments;
  r.threads = a.threads;
  r.rate = a.rate;
  r.max_errors = a.max_errors;
  if (a.fence_seconds >= 0) r.fence_seconds = a.fence_seconds;
  return r;
}

// The command migrate --cutover sends once caught up.
Command VerifyThenCutover() {
  Command c;
  c.kind = CommandKind::kCutover;
  c.verify_first = true;
  return c;
}

// Prints the reply of VerifyThenCutover; differences exit 3.
Outcome ReportCutover(const Result<Reply>& r, bool json,
                      const std::string& table, bool in_server) {
  if (!r.ok()) return Outcome(r.status());
  std::string text = RenderReply(*r, json);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
  if (!r->differences()) return Outcome(Status::OK());
  return Outcome(
      Status::FailedPrecondition(
          in_server ? "verify found differences; not cutting over (the run "
                      "goes on in the server: fix and verify again)"
                    : "verify found differences; not cutting over (the run "
                      "is kept: fix and `godwit migrate " +
                          table + " --resume`)"),
      kExitDifferences);
}

// `godwit --server URL migrate TABLE`: starts (or resumes) the run in the
// server, follows its progress until it has caught up, and with --cutover
// has it verify and cut over there. The run stays in the server: this
// process may stop at any time.
Outcome RunMigrateOnServer(const Context& ctx, const MigrateArgs& a) {
  if (a.load_rate > 0) {
    return Status::InvalidArgument(
        "--load runs writers inside this process; with --server, write "
        "through the server's DynamoDB API instead");
  }
  ASSIGN_OR_RETURN(RunInfo info, StartOnServer(ctx, ToRequest(a), 600));
  std::fprintf(stderr, "%s: %s", ctx.global.server_url.c_str(),
               RunInfoText(info).c_str());
  ProgressPrinter printer(ctx.global.json);
  Command progress;
  progress.kind = CommandKind::kProgress;
  while (!Interrupted()) {
    ASSIGN_OR_RETURN(Reply r, CommandOnServer(ctx, a.table, progress, 60));
    if (!r.progress) return Status::DataLoss("a progress reply without it");
    printer.Print(*r.progress);
    if (r.progress->phase != RunPhase::kBackfill &&
        r.progress->replay_lag == 0) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  printer.Break();
  if (Interrupted()) {
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
  return ReportCutover(CommandOnServer(ctx, a.table, VerifyThenCutover(), 3600),
                       ctx.global.json, a.table, /*in_server=*/true);
}

Outcome RunMigrate(const Context& ctx, const MigrateArgs& a) {
  InstallSignalHandlers();
  if (!ctx.global.server_url.empty()) return RunMigrateOnServer(ctx, a);
  ASSIGN_OR_RETURN(Session s, OpenSession(ctx));
  ProgressPrinter printer(ctx.global.json);
  RunRequest req = ToRequest(a);
  req.on_progress = [&printer](const MigrationProgress& p) {
    printer.Print(p);
  };
  ControllerEnv env = s.env();
  ASSIGN_OR_RETURN(std::unique_ptr<Controller> c, Controller::Open(env, req));
  ASSIGN_OR_RETURN(ControlServer control,
                   ControlServer::Open(RunDirectory(env, a.table)));

  std::unique_ptr<migrate::LoadGenerator> load;
  if (a.load_rate > 0) {
    migrate::LoadOptions lo;
    lo.threads = a.load_threads;
    lo.rate = a.load_rate;
    lo.track = false;
    ASSIGN_OR_RETURN(TableDescription d,
                     s.store->DescribeTable(c->info().source));
    lo.existing = d.item_count;
    lo.seed = static_cast<uint64_t>(NowMicros());
    load = std::make_unique<migrate::LoadGenerator>(
        s.router.get(), a.table, c->info().source, c->mappers(), lo);
    load->Start();
  }
  std::fputs(RunInfoText(c->info()).c_str(), stderr);
  if (std::optional<RunOwner> was = c->taken_over_from()) {
    std::fprintf(stderr, "took the run over from its previous owner: %s\n",
                 was->Describe(NowMicros()).c_str());
  }

  auto stop = [&](Outcome result) -> Outcome {
    printer.Break();
    if (load) load->Stop();
    c->Stop();
    return result;
  };
  auto serve = [&] {
    for (const ControlServer::Request& r : control.Poll()) {
      control.Respond(r.id, r.command.ok() ? c->Execute(*r.command)
                                           : Result<Reply>(r.command.status()));
    }
  };
  Migration& m = c->migration();
  bool cut_over = m.phase() == RunPhase::kCutOver;
  bool backfill_said = m.phase() != RunPhase::kBackfill;
  bool caught_up_said = false;
  while (!Interrupted()) {
    serve();
    // Another process took the run over (this one could not renew its
    // lease in time): the controller stopped the run; say so and exit.
    if (Status e = c->ownership(); !e.ok()) return stop(e);
    if (Status e = m.error(); !e.ok()) return stop(e);
    if (c->ended()) break;
    RunPhase ph = m.phase();
    if (ph != RunPhase::kBackfill && !backfill_said) {
      backfill_said = true;
      MigrationProgress p = m.progress();
      printer.Break();
      if (ctx.global.json) {
        std::fprintf(stderr, "{\"backfill_done\":%s}\n",
                     ProgressToJson(p).c_str());
      } else {
        std::fprintf(stderr,
                     "backfill done: %s items read, %s written, %.1f s after "
                     "this process opened the run\n",
                     Thousands(p.scanned).c_str(), Thousands(p.written).c_str(),
                     p.elapsed_seconds);
      }
    }
    if (ph != RunPhase::kBackfill && !caught_up_said &&
        m.progress().replay_lag == 0) {
      caught_up_said = true;
      printer.Break();
      std::fprintf(stderr, "caught up: %s is in step\n",
                   c->info().destination.c_str());
      if (!a.cutover && ph != RunPhase::kCutOver) {
        std::fprintf(stderr,
                     "keeping it in step; `godwit cutover %s` switches, Ctrl-C "
                     "stops (resumable)\n",
                     a.table.c_str());
      }
    }
    if (a.cutover && cut_over && !load) {
      // Resumed after the flip: bring reverse sync up to date and stop.
      if (Status w = c->WaitCaughtUp(); !w.ok()) return stop(w);
      break;
    }
    if (a.cutover && !cut_over && ph != RunPhase::kBackfill) {
      Result<Reply> r = c->Execute(VerifyThenCutover());
      printer.Break();
      Outcome o = ReportCutover(r, ctx.global.json, a.table,
                                /*in_server=*/false);
      if (!o.status.ok()) return stop(std::move(o));
      cut_over = true;
      if (!load) break;  // the job is done; reverse sync resumes with --resume
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (Interrupted()) {
    printer.Break();
    std::fprintf(stderr, "stopped; resume with `godwit migrate %s --resume`\n",
                 a.table.c_str());
  }
  return stop(Status::OK());
}

}  // namespace

void RegisterMigrateCommand(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<MigrateArgs>();
  CLI::App* mig = app.add_subcommand(
      "migrate",
      "Copy TABLE through its pending migrations into the next generation "
      "while writes go on, then keep it in step (or cut over with --cutover)");
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
                "once caught up, verify and cut over by itself (exit 3 if "
                "verify finds differences)");
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
}

}  // namespace godwit::cli
