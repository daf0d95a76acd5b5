// The commands that drive a run: verify, cutover, rollback, finish,
// abandon and ctl. Each parses into a typed command (godwit/controller.h)
// and sends it to the controller of the run, wherever that is:
//
//   --server URL             the admin API of that `godwit serve`
//   a `godwit migrate` runs  its control files (cli/control_channel.h)
//   otherwise                a controller here: the store is opened, the
//                            run resumed, the command executed, the run
//                            stopped again (resumable)
//
// and renders the reply (cli/render.h). Only pause, resume and rate need a
// running migration.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cli/cli.h"
#include "cli/config.h"
#include "cli/control_channel.h"
#include "cli/render.h"
#include "cli/server_client.h"
#include "cli/session.h"
#include "godwit/controller.h"
#include "godwit/item_file.h"

namespace godwit::cli {
namespace {

// Sends `c` to the run of `table` (see the top of this file).
Result<Reply> SendCommand(const Context& ctx, const std::string& table,
                          const Command& c, double timeout_s) {
  if (!ctx.global.server_url.empty()) {
    return CommandOnServer(ctx, table, c, timeout_s);
  }
  ASSIGN_OR_RETURN(std::string run_dir, ResolveRunDir(ctx.global, table));
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
    // The migrate serving this directory must be driving this store's run.
    ASSIGN_OR_RETURN(std::string store_id, ResolveStoreId(ctx.global));
    RETURN_IF_ERROR(CheckRunDirectoryStore(run_dir, store_id));
    return SendControl(run_dir, c, timeout_s);
  }
  if (c.kind == CommandKind::kPause || c.kind == CommandKind::kResume ||
      c.kind == CommandKind::kRate) {
    return Status::FailedPrecondition(
        "no migration of " + table +
        " is running here (start it with `godwit migrate " + table +
        " --resume`; with `godwit serve`, add --server URL)");
  }
  if (!session.ok()) return session.status();
  RunRequest req;
  req.table = table;
  req.mode = OpenMode::kResume;
  ASSIGN_OR_RETURN(std::unique_ptr<Controller> controller,
                   Controller::Open(session->env(), req));
  Result<Reply> r = controller->Execute(c);
  controller->Stop();
  return r;
}

Outcome RunCommandOn(const Context& ctx, const std::string& table,
                     const Command& c, double timeout_s) {
  return PrintReply(SendCommand(ctx, table, c, timeout_s), ctx.global.json);
}

struct FinishArgs {
  std::string table;
  std::string export_path;
  bool drop_old = false;
};

Outcome RunFinish(const Context& ctx, const FinishArgs& a) {
  bool old_table_work = !a.export_path.empty() || a.drop_old;
  if (!ctx.global.server_url.empty() && old_table_work) {
    return Status::FailedPrecondition(
        "--export and --drop-old need the store: finish in the server "
        "without them, stop the server, then `godwit export` / `godwit table "
        "drop --physical` the old table");
  }
  // Remember the old table before the run ends.
  std::string old_table;
  if (old_table_work) {
    ASSIGN_OR_RETURN(std::string run_dir, ResolveRunDir(ctx.global, a.table));
    if (ControlOwner(run_dir)) {
      return Status::FailedPrecondition(
          "--export and --drop-old need the store: stop `godwit migrate " +
          a.table + "` first (Ctrl-C), then run finish");
    }
    ASSIGN_OR_RETURN(Session s, OpenSession(ctx));
    ASSIGN_OR_RETURN(std::optional<RunSummary> run,
                     FindRun(s.store.get(), a.table));
    if (!run || !run->unfinished()) {
      return Status::FailedPrecondition("no run of " + a.table +
                                        " in progress");
    }
    old_table = run->source;
  }
  Command finish;
  finish.kind = CommandKind::kFinish;
  Outcome done = RunCommandOn(ctx, a.table, finish, 600);
  if (!done.status.ok() || old_table.empty()) return done;
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
    RETURN_IF_ERROR(CheckDroppable(s.store.get(), old_table));
    RETURN_IF_ERROR(s.store->DropTable(old_table));
    std::fprintf(stderr, "dropped %s\n", old_table.c_str());
  }
  return Status::OK();
}

}  // namespace

void RegisterControlCommands(CLI::App& app, Context& ctx) {
  struct Args {
    std::string table;
    bool force = false;
  };
  // A command of one kind on TABLE, with --force where it takes one.
  auto command = [&app, &ctx](const char* name, const char* help,
                              CommandKind kind, double timeout_s) {
    auto args = std::make_shared<Args>();
    CLI::App* sub = app.add_subcommand(name, help);
    sub->add_option("table", args->table, "logical table")->required();
    if (kind == CommandKind::kCutover || kind == CommandKind::kRollback) {
      sub->add_flag("--force", args->force,
                    "flip even without a passing verify of this phase (the "
                    "report says what was skipped)");
    }
    sub->callback([&ctx, args, kind, timeout_s] {
      ctx.run = [&ctx, args, kind, timeout_s]() -> Outcome {
        Command c;
        c.kind = kind;
        c.force = args->force;
        return RunCommandOn(ctx, args->table, c, timeout_s);
      };
    });
  };
  command("verify",
          "Compare up(source) with the destination exactly (after cutover: "
          "down(destination) with the old table); exit 3 on any difference",
          CommandKind::kVerify, 3600);
  command("cutover",
          "Fenced flip of TABLE to the destination; reverse sync starts. "
          "Refused without a passing verify unless --force",
          CommandKind::kCutover, 3600);
  command("rollback",
          "Fenced flip of TABLE back to the old table; nothing is lost. "
          "Refused without a passing verify unless --force",
          CommandKind::kRollback, 3600);
  command("abandon",
          "End a run that is not cut over (or rolled back): stop it, drop "
          "the destination and the run's record; the source and its pointer "
          "stay as they are",
          CommandKind::kAbandon, 600);

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
      "Send a command to the run of TABLE: pause, resume, rate N (items/s) "
      "or rate unlimited, progress (also verify, cutover [--force], rollback "
      "[--force], finish, abandon, unpostpone: remove the run's "
      "--postpone-cutover-file)");
  ctl->add_option("table", *ctl_table, "logical table")->required();
  ctl->add_option("command", *ctl_words,
                  "pause | resume | rate N | rate unlimited | progress | ...")
      ->required();
  // --force, --verify-first: words of the command; --json after them: the
  // global flag.
  ctl->allow_extras();
  ctl->callback([&ctx, ctl, ctl_table, ctl_words] {
    std::vector<std::string> words = *ctl_words;
    for (const std::string& extra : ctl->remaining()) {
      if (extra == "--json") {
        ctx.global.json = true;  // `ctl T progress --json`, as before
      } else {
        words.push_back(extra);
      }
    }
    ctx.run = [&ctx, ctl_table, words]() -> Outcome {
      Result<Command> c = ParseCommandWords(words);
      if (!c.ok()) return Outcome(c.status(), kExitUsage);
      bool quick =
          c->kind == CommandKind::kPause || c->kind == CommandKind::kResume ||
          c->kind == CommandKind::kRate || c->kind == CommandKind::kProgress ||
          c->kind == CommandKind::kUnpostpone;
      return RunCommandOn(ctx, *ctl_table, *c, quick ? 30 : 3600);
    };
  });
}

}  // namespace godwit::cli
