#include <cstdio>
#include <functional>
#include <iterator>
#include <optional>
#include <string_view>
#include <vector>

#include "cli/cli.h"
#include "godwit/controller.h"

#ifndef GODWIT_VERSION
#error "GODWIT_VERSION (the CMake project version) must be defined"
#endif

namespace godwit::cli {

const char kExitCodesHelp[] =
    "Exit codes: 0 done; 1 the command failed (the error is on stderr); 2 "
    "usage error (unknown command or option, bad argument); 3 verify found "
    "differences (verify, migrate --cutover), nothing was switched; 4 a "
    "cutover was postponed by the operator's gates (postpone file, lag "
    "bound, consumers behind, on-before-cutover hook), nothing was "
    "switched.";

namespace {

// Every command group, in --help order.
constexpr RegisterFn kGroups[] = {
    RegisterStoreCommands,     RegisterImportExportCommands,
    RegisterMigrationCommands, RegisterMigrateCommand,
    RegisterControlCommands,   RegisterConsumerCommands,
    RegisterAnalyzeCommand,    RegisterPlanCommand,
    RegisterReportCommand,     RegisterWorkloadCommands,
    RegisterServeCommands,
};

// Every subcommand registered (CLI11's get_subcommands() without a filter
// lists only the parsed ones).
std::vector<const CLI::App*> AllCommands(const CLI::App& app) {
  std::function<bool(const CLI::App*)> all = [](const CLI::App*) {
    return true;
  };
  return app.get_subcommands(all);
}

// The global options that take a value (the word after them is not a
// command).
bool TakesValue(std::string_view arg) {
  return arg == "--store" || arg == "--config" || arg == "--server" ||
         arg == "--state-dir";
}

// The first word that is not a global option, if it names no command:
// CLI11 would only say "A subcommand is required".
std::optional<std::string> UnknownCommand(const CLI::App& app, int argc,
                                          char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--") return std::nullopt;
    if (!a.empty() && a[0] == '-') {
      if (TakesValue(a)) ++i;
      continue;
    }
    for (const CLI::App* sub : AllCommands(app)) {
      if (sub->check_name(std::string(a))) return std::nullopt;
    }
    return std::string(a);
  }
  return std::nullopt;
}

}  // namespace

int Main(int argc, char** argv) {
  CLI::App app{
      "godwit: zero-downtime blue/green migrations for DynamoDB-style tables"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("godwit ") + GODWIT_VERSION,
                       "print the version and exit");
  app.footer(kExitCodesHelp);
  Context ctx;
  app.add_option("--store", ctx.global.store_path,
                 "store directory, dynamodb, or http(s)://HOST:PORT (default: "
                 "from godwit.toml, else ./.godwit/data)");
  app.add_option("--config", ctx.global.config_path, "settings file")
      ->capture_default_str();
  app.add_option("--state-dir", ctx.global.state_dir,
                 "where runs keep their journals, dead letters and control "
                 "files (default: godwit.toml's [state] dir; else inside the "
                 "embedded store, or .godwit/runs next to godwit.toml for a "
                 "remote store)");
  app.add_flag("--json", ctx.global.json, "print a JSON report for scripts");
  app.add_option("--server", ctx.global.server_url,
                 "URL of a `godwit serve` that hosts the migration: migrate, "
                 "verify, cutover, rollback, finish, abandon and ctl run "
                 "there (requests SigV4-signed with the AWS_* / ~/.aws "
                 "credentials, as for --store URL)");
  for (RegisterFn fn : kGroups) fn(app, ctx);

  if (std::optional<std::string> unknown = UnknownCommand(app, argc, argv)) {
    std::string names;
    for (const CLI::App* sub : AllCommands(app)) {
      names += (names.empty() ? "" : ", ") + sub->get_name();
    }
    std::fprintf(stderr,
                 "godwit: unknown command \"%s\" (commands: %s; see godwit "
                 "--help)\n",
                 unknown->c_str(), names.c_str());
    return kExitUsage;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every usage error exits 2.
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  if (!ctx.run) return kExitUsage;
  Outcome o = ctx.run();
  if (!o.status.ok() && ctx.global.json && ctx.json_errors) {
    std::fprintf(stderr, "%s\n", ResultToJson(Result<Reply>(o.status)).c_str());
  } else if (!o.status.ok()) {
    std::fprintf(stderr, "godwit: %s\n", o.status.ToString().c_str());
  }
  return o.exit_code;
}

}  // namespace godwit::cli
