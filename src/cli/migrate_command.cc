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
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cli/cli.h"
#include "cli/control_channel.h"
#include "cli/progress.h"
#include "cli/render.h"
#include "cli/server_client.h"
#include "cli/session.h"
#include "godwit/controller.h"
#include "godwit/json.h"
#include "migrate/workload.h"  // --load: the Orders workload (rehearsals)
#include "ops/run_metrics.h"
#include "ops/timeline.h"

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
  std::string hooks_dir;
  double hook_timeout = 60;
  std::string postpone_file;
  int64_t max_lag_for_cutover = -1;  // < 0: no bound
  std::vector<std::string> wait_for_consumers;
  std::string metrics_listen;  // "" : no metrics
};

// How often `migrate --cutover` tries again a cutover the operator's gates
// postponed.
constexpr auto kPostponedRetry = std::chrono::seconds(5);

RunRequest ToRequest(const MigrateArgs& a) {
  RunRequest r;
  r.table = a.table;
  r.mode = a.resume ? OpenMode::kResume : OpenMode::kStart;
  r.segments = a.segments;
  r.threads = a.threads;
  r.rate = a.rate;
  r.max_errors = a.max_errors;
  if (a.fence_seconds >= 0) r.fence_seconds = a.fence_seconds;
  r.hooks_dir = a.hooks_dir;
  r.hook_timeout_seconds = a.hook_timeout;
  r.postpone_cutover_file = a.postpone_file;
  if (a.max_lag_for_cutover >= 0) {
    r.max_lag_for_cutover = static_cast<uint64_t>(a.max_lag_for_cutover);
  }
  r.wait_for_consumers = a.wait_for_consumers;
  return r;
}

// The command migrate --cutover sends once caught up.
Command VerifyThenCutover() {
  Command c;
  c.kind = CommandKind::kCutover;
  c.verify_first = true;
  return c;
}

// What this process saw of the run, for the summary at the end: progress
// samples (from an engine thread or a poll) and the replies it got.
class Watch {
 public:
  void Progress(const MigrationProgress& p) {
    std::lock_guard lock(mu_);
    t_.AddProgress(NowMicros(), p);
  }
  void Command(const godwit::Command& c, const Result<Reply>& r) {
    std::lock_guard lock(mu_);
    t_.AddCommand(NowMicros(), c, r, 0);
  }
  ops::RunFigures Figures() {
    std::lock_guard lock(mu_);
    return ops::Summarize(t_);
  }

 private:
  std::mutex mu_;
  ops::RunTimeline t_;  // GUARDED_BY(mu_)
};

// The summary at the end of migrate, below the last progress status.
void PrintSummary(ProgressDisplay& display, Watch& watch, bool json) {
  display.Close();
  ops::RunFigures f = watch.Figures();
  std::string text = json ? "{\"summary\":" + ops::FiguresToJson(f) + "}\n"
                          : RunFiguresText(f);
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

// Prints the reply of VerifyThenCutover; differences exit 3, a postponed
// cutover 4.
Outcome ReportCutover(const Result<Reply>& r, bool json,
                      const std::string& table, bool in_server,
                      ProgressDisplay& display) {
  if (!r.ok()) return Outcome(r.status());
  display.Print(stdout, RenderReply(*r, json));
  if (!r->postponed.empty()) {
    return Outcome(
        Status::Aborted("the cutover of " + table +
                        " was postponed; the run goes on: `godwit cutover " +
                        table + "` once the gates allow"),
        kExitPostponed);
  }
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
  if (!a.hooks_dir.empty() || !a.postpone_file.empty() ||
      a.max_lag_for_cutover >= 0 || !a.metrics_listen.empty()) {
    return Status::InvalidArgument(
        "--hooks, --postpone-cutover-file, --max-lag-for-cutover and "
        "--metrics-listen act on this host; a run hosted by --server has none "
        "(run migrate without --server to use them)");
  }
  ASSIGN_OR_RETURN(RunInfo info, StartOnServer(ctx, ToRequest(a), 600));
  ProgressDisplay display(ctx.global.json);
  Watch watch;
  display.Print(stderr, ctx.global.json
                            ? "{\"run\":" + RunInfoToJson(info) + "}\n"
                            : ctx.global.server_url + ": " + RunInfoText(info));
  Command progress;
  progress.kind = CommandKind::kProgress;
  while (!Interrupted()) {
    ASSIGN_OR_RETURN(Reply r, CommandOnServer(ctx, a.table, progress, 60));
    if (!r.progress) return Status::DataLoss("a progress reply without it");
    display.Update(*r.progress);
    watch.Progress(*r.progress);
    if (r.progress->phase != RunPhase::kBackfill &&
        r.progress->replay_lag == 0) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  if (Interrupted()) {
    display.Print(stderr, "detached; the migration goes on in the server\n");
    PrintSummary(display, watch, ctx.global.json);
    return Status::OK();
  }
  if (!a.cutover) {
    display.Print(stderr,
                  "caught up; the server keeps the destination in "
                  "step: `godwit --server " +
                      ctx.global.server_url + " cutover " + a.table +
                      "` switches\n");
    PrintSummary(display, watch, ctx.global.json);
    return Status::OK();
  }
  Command cut = VerifyThenCutover();
  Result<Reply> r = CommandOnServer(ctx, a.table, cut, 3600);
  watch.Command(cut, r);
  Outcome o =
      ReportCutover(r, ctx.global.json, a.table, /*in_server=*/true, display);
  PrintSummary(display, watch, ctx.global.json);
  return o;
}

Outcome RunMigrate(const Context& ctx, const MigrateArgs& a) {
  InstallSignalHandlers();
  if (!ctx.global.server_url.empty()) return RunMigrateOnServer(ctx, a);
  ASSIGN_OR_RETURN(Session s, OpenSession(ctx));
  // Declared before the run: the engine calls on_progress until the
  // controller stops.
  ProgressDisplay display(ctx.global.json);
  Watch watch;
  RunRequest req = ToRequest(a);
  req.on_progress = [&display, &watch](const MigrationProgress& p) {
    display.Update(p);
    watch.Progress(p);
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
  display.Print(stderr, ctx.global.json
                            ? "{\"run\":" + RunInfoToJson(c->info()) + "}\n"
                            : RunInfoText(c->info()));
  if (std::optional<RunOwner> was = c->taken_over_from()) {
    display.Print(stderr,
                  std::string("took the run over from its previous owner: ") +
                      was->Describe(NowMicros()) + "\n");
  }
  std::unique_ptr<ops::MetricsServer> metrics;  // goes before the controller
  if (!a.metrics_listen.empty()) {
    ASSIGN_OR_RETURN(metrics, ops::MetricsServer::Start(
                                  a.metrics_listen,
                                  std::make_shared<ops::RunMetrics>(c.get())));
    display.Print(stderr,
                  ctx.global.json
                      ? "{\"metrics\":" + JsonQuoted(metrics->url()) + "}\n"
                      : "metrics: " + metrics->url() + "\n");
  }

  auto stop = [&](Outcome result) -> Outcome {
    if (load) load->Stop();
    c->Stop();
    // The status and the summary end on the run's last state.
    MigrationProgress last = c->migration().progress();
    display.Update(last);
    watch.Progress(last);
    PrintSummary(display, watch, ctx.global.json);
    return result;
  };
  auto serve = [&] {
    for (const ControlServer::Request& r : control.Poll()) {
      Result<Reply> reply = r.command.ok() ? c->Execute(*r.command)
                                           : Result<Reply>(r.command.status());
      if (r.command.ok()) watch.Command(*r.command, reply);
      control.Respond(r.id, reply);
    }
  };
  auto say = [&](const std::string& text, const std::string& json) {
    display.Print(stderr, ctx.global.json ? json + "\n" : text + "\n");
  };
  Migration& m = c->migration();
  bool cut_over = m.phase() == RunPhase::kCutOver;
  bool backfill_said = m.phase() != RunPhase::kBackfill;
  bool caught_up_said = false;
  std::string postponed_said;
  auto next_cutover = std::chrono::steady_clock::now();
  uint64_t dead_letters_said = 0;
  auto dead_letters_checked = std::chrono::steady_clock::now();
  auto dead_letters_warned = dead_letters_checked;
  while (!Interrupted()) {
    serve();
    // Another process took the run over (this one could not renew its
    // lease in time): the controller stopped the run; say so and exit.
    if (Status e = c->ownership(); !e.ok()) return stop(e);
    if (Status e = m.error(); !e.ok()) return stop(e);
    if (c->ended()) break;
    RunPhase ph = m.phase();
    if (std::chrono::steady_clock::now() - dead_letters_checked >=
        std::chrono::seconds(1)) {
      dead_letters_checked = std::chrono::steady_clock::now();
      uint64_t dead = m.progress().errors;
      // The first at once, then at most every 10 s while more come.
      if (dead > dead_letters_said &&
          (dead_letters_said == 0 ||
           dead_letters_checked - dead_letters_warned >=
               std::chrono::seconds(10))) {
        dead_letters_warned = dead_letters_checked;
        std::string file = RunDirectory(env, a.table) + "/dead-letter.jsonl";
        say("warning: " + Thousands(dead) + " item" + (dead == 1 ? "" : "s") +
                " could not be migrated and went to the dead-letter file " +
                file + " (--max-errors " + std::to_string(a.max_errors) + ")",
            "{\"warning\":{\"dead_letters\":" + std::to_string(dead) +
                ",\"file\":" + JsonQuoted(file) + "}}");
        dead_letters_said = dead;
      }
    }
    if (ph != RunPhase::kBackfill && !backfill_said) {
      backfill_said = true;
      MigrationProgress p = m.progress();
      watch.Progress(p);
      char secs[32];
      std::snprintf(secs, sizeof(secs), "%.1f", p.elapsed_seconds);
      say("backfill done: " + Thousands(p.scanned) + " items read, " +
              Thousands(p.written) + " written, " + secs +
              " s after this process opened the run",
          "{\"backfill_done\":" + ProgressToJson(p) + "}");
    }
    if (ph != RunPhase::kBackfill && !caught_up_said &&
        m.progress().replay_lag == 0) {
      caught_up_said = true;
      std::string text = "caught up: " + c->info().destination + " is in step";
      if (!a.cutover && ph != RunPhase::kCutOver) {
        text += "\nkeeping it in step; `godwit cutover " + a.table +
                "` switches, Ctrl-C stops (resumable)";
      }
      say(text, "{\"caught_up\":" + JsonQuoted(c->info().destination) + "}");
    }
    if (a.cutover && cut_over && !load) {
      // Resumed after the flip: bring reverse sync up to date and stop.
      if (Status w = c->WaitCaughtUp(); !w.ok()) return stop(w);
      break;
    }
    if (a.cutover && !cut_over && ph != RunPhase::kBackfill &&
        std::chrono::steady_clock::now() >= next_cutover) {
      Command cut = VerifyThenCutover();
      Result<Reply> r = c->Execute(cut);
      watch.Command(cut, r);
      if (r.ok() && !r->postponed.empty()) {
        // The operator's gates hold it: try again in a while.
        if (r->postponed != postponed_said) {
          postponed_said = r->postponed;
          say("cutover postponed: " + r->postponed + "; trying again every " +
                  std::to_string(kPostponedRetry.count()) + " s",
              "{\"postponed\":" + JsonQuoted(r->postponed) + "}");
        }
        next_cutover = std::chrono::steady_clock::now() + kPostponedRetry;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        continue;
      }
      Outcome o = ReportCutover(r, ctx.global.json, a.table,
                                /*in_server=*/false, display);
      if (!o.status.ok()) return stop(std::move(o));
      cut_over = true;
      if (!load) break;  // the job is done; reverse sync resumes with --resume
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (Interrupted()) {
    display.Print(stderr, "stopped; resume with `godwit migrate " + a.table +
                              " --resume`\n");
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
  mig->add_option("--hooks", a->hooks_dir,
                  "a directory of executables run at the run's events "
                  "(on-start, on-backfill-done, on-caught-up, "
                  "on-before-cutover: a non-zero exit postpones the cutover, "
                  "on-cutover, on-rollback, on-failure, on-finish) with the "
                  "run's figures in GODWIT_* variables");
  mig->add_option("--hook-timeout", a->hook_timeout,
                  "seconds a hook may run before its process group is killed")
      ->capture_default_str();
  mig->add_option("--postpone-cutover-file", a->postpone_file,
                  "no cutover while this file exists (`godwit ctl TABLE "
                  "unpostpone` removes it); --cutover waits");
  mig->add_option("--max-lag-for-cutover", a->max_lag_for_cutover,
                  "no cutover while replay is more than this many records "
                  "behind");
  mig->add_option("--wait-for-consumers", a->wait_for_consumers,
                  "no cutover until each named consumer of the destination's "
                  "stream has acknowledged its newest record (`godwit "
                  "consumer ack`); NAME,NAME or the option repeated")
      ->delimiter(',');
  mig->add_option("--metrics-listen", a->metrics_listen,
                  "serve Prometheus metrics of the run at "
                  "http://HOST:PORT/metrics (port 0: any free one; the URL "
                  "is printed)");
  mig->callback([&ctx, a] {
    ctx.json_errors = true;
    ctx.run = [&ctx, a] { return RunMigrate(ctx, *a); };
  });
}

}  // namespace godwit::cli
