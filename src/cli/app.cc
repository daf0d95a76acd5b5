#include <cstdio>
#include <iterator>

#include "cli/cli.h"

namespace godwit::cli {
namespace {

// Every command group, in --help order.
constexpr RegisterFn kGroups[] = {
    RegisterStoreCommands,
    RegisterMigrationCommands,
    RegisterEngineCommands,
    RegisterServeCommands,
};

}  // namespace

int Main(int argc, char** argv) {
  CLI::App app{
      "godwit: zero-downtime blue/green migrations for DynamoDB-style tables"};
  app.require_subcommand(1);
  Context ctx;
  app.add_option("--store", ctx.global.store_path,
                 "store directory (default: from godwit.toml, else "
                 "./.godwit/data)");
  app.add_option("--config", ctx.global.config_path, "settings file")
      ->capture_default_str();
  app.add_flag("--json", ctx.global.json, "print a JSON report for scripts");
  app.add_option("--server", ctx.global.server_url,
                 "URL of a `godwit serve` that hosts the migration: migrate, "
                 "verify, cutover, rollback, finish and ctl run there "
                 "(requests SigV4-signed with the AWS_* / ~/.aws "
                 "credentials, as for --store URL)");
  for (RegisterFn fn : kGroups) fn(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every usage error exits 2.
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (!ctx.run) return 2;
  Status s = ctx.run();
  if (!s.ok()) {
    std::fprintf(stderr, "godwit: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}

}  // namespace godwit::cli
