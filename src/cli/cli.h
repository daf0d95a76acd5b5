// The command line: one function per command group registers its
// subcommands on the CLI11 app. A subcommand's callback stores the work to
// run in Context::run; Main() runs it after parsing and returns its exit code.
//
// Exit codes are stable (scripts depend on them) and listed in `godwit
// --help` and README.md; see ExitCode.
#ifndef GODWIT_CLI_CLI_H_
#define GODWIT_CLI_CLI_H_

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>

#include "godwit/status.h"
#include "godwit/store.h"
#include "ops/analyze.h"

namespace godwit::cli {

enum ExitCode : int {
  kExitOk = 0,      // done
  kExitFailed = 1,  // the command failed; the error is on stderr
  // The command line is wrong: an unknown command or option, a missing
  // argument, a control command that does not parse (`ctl T rate abc`).
  kExitUsage = 2,
  // verify (or migrate --cutover) found differences; nothing was switched.
  kExitDifferences = 3,
  // A cutover the operator's gates postponed (postpone file, lag bound,
  // on-before-cutover hook): nothing was switched.
  kExitPostponed = 4,
};
// The --help footer that lists them.
extern const char kExitCodesHelp[];

// What a command's work returns: its status and the exit code for it.
struct Outcome {
  // OK: kExitOk; an error: kExitFailed.
  Outcome(Status s)  // NOLINT: implicit by design, commands return Status
      : status(std::move(s)), exit_code(status.ok() ? kExitOk : kExitFailed) {}
  Outcome(Status s, int code) : status(std::move(s)), exit_code(code) {}
  Status status;
  int exit_code;
};

// Options every command sees.
struct GlobalOptions {
  std::string store_path;  // empty: godwit.toml's, else ./.godwit/data
  // Where runs keep their journals, dead letters and control files; empty:
  // godwit.toml's [state] dir, else the default (cli/config.h).
  std::string state_dir;
  std::string config_path = "godwit.toml";
  bool json = false;  // machine-readable output
  // Set: migration commands go to the `godwit serve` at this URL, which
  // hosts the migration (src/server/admin.h).
  std::string server_url;
};

struct Context {
  GlobalOptions global;
  // Set by commands whose errors, with --json, are printed as JSON on
  // stderr ({"error": {"code": ..., "message": ...}}, the controller's
  // result JSON) instead of "godwit: message".
  bool json_errors = false;
  // Set by the chosen subcommand's callback.
  std::function<Outcome()> run;
};

// Command groups. Each adds its subcommands to `app`.
using RegisterFn = void (*)(CLI::App& app, Context& ctx);
// table, put, get, delete, scan
void RegisterStoreCommands(CLI::App& app, Context& ctx);
// import, export
void RegisterImportExportCommands(CLI::App& app, Context& ctx);
// init, new, status, dry-run
void RegisterMigrationCommands(CLI::App& app, Context& ctx);
// migrate
void RegisterMigrateCommand(CLI::App& app, Context& ctx);
// verify, cutover, rollback, finish, abandon, ctl
void RegisterControlCommands(CLI::App& app, Context& ctx);
// consumer ack, consumer list
void RegisterConsumerCommands(CLI::App& app, Context& ctx);
// load, demo
void RegisterWorkloadCommands(CLI::App& app, Context& ctx);
// analyze, plan, report: the operator's tools (src/ops)
void RegisterAnalyzeCommand(CLI::App& app, Context& ctx);
void RegisterPlanCommand(CLI::App& app, Context& ctx);
void RegisterReportCommand(CLI::App& app, Context& ctx);
// serve
void RegisterServeCommands(CLI::App& app, Context& ctx);

// What `analyze` and `plan --analyze` share: scan the active table of
// `logical` in the store of `ctx` and save the analysis where `report` and
// `plan` find it (<runs dir>/<logical>/analysis.json) unless `save` is
// false. `segments`, `threads`, `top` as for ops::AnalyzeOptions. Shows a
// progress line on a terminal. *saved_path: where it was saved ("" if not).
struct AnalyzeRequest {
  std::string table;  // logical
  int segments = 16;
  int threads = 2;
  size_t top = 10;
  bool save = true;
  bool plain_scan = false;  // only scan and count (AnalyzeOptions)
};
Result<ops::TableAnalysis> AnalyzeAndSave(const Context& ctx, Store* store,
                                          const AnalyzeRequest& req,
                                          std::string* saved_path);

// Entry point for main() and for tests.
int Main(int argc, char** argv);

}  // namespace godwit::cli

#endif  // GODWIT_CLI_CLI_H_
