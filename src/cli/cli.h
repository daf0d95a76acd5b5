// The command line: one function per command group registers its
// subcommands on the CLI11 app. A subcommand's callback stores the work to
// run in Context::run; Main() runs it after parsing and returns its exit code.
//
// Exit codes: 0 success, 1 the command failed (the error is printed on
// stderr), 2 usage error (CLI11 prints it).
#ifndef GODWIT_CLI_CLI_H_
#define GODWIT_CLI_CLI_H_

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>

#include "godwit/status.h"

namespace godwit {
class Store;
}

namespace godwit::cli {

// Options every command sees.
struct GlobalOptions {
  std::string store_path;  // empty: godwit.toml's, else ./.godwit/data
  std::string config_path = "godwit.toml";
  bool json = false;  // machine-readable output
  // Set: migration commands go to the `godwit serve` at this URL, which
  // hosts the migration (cli/migration_host.h).
  std::string server_url;
};

struct Context {
  GlobalOptions global;
  // Set by the chosen subcommand's callback.
  std::function<Status()> run;
};

// Command groups. Each adds its subcommands to `app`.
using RegisterFn = void (*)(CLI::App& app, Context& ctx);
void RegisterStoreCommands(
    CLI::App& app,
    Context& ctx);  // table, put, get, delete, scan, import, export
void RegisterMigrationCommands(CLI::App& app,
                               Context& ctx);  // init, new, status, dry-run
void RegisterEngineCommands(CLI::App& app,
                            Context& ctx);  // migrate, verify, cutover,
                                            // rollback, finish, ctl, load, demo
void RegisterServeCommands(CLI::App& app, Context& ctx);  // serve

// Entry point for main() and for tests.
int Main(int argc, char** argv);

}  // namespace godwit::cli

#endif  // GODWIT_CLI_CLI_H_
