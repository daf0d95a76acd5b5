// What the commands share: opening the store, setting up a migration run
// (the session, the plan of a new or resumed run, its options), running one
// control command against a live migration, and the reports, in text and
// JSON. Used by the engine commands, the other store commands and by
// `godwit serve`, which hosts migrations of its own (cli/migration_host.h).
#ifndef GODWIT_CLI_RUN_COMMON_H_
#define GODWIT_CLI_RUN_COMMON_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "cli/cli.h"
#include "cli/config.h"
#include "godwit/migrate.h"
#include "godwit/remote_store.h"
#include "godwit/status.h"
#include "godwit/store.h"
#include "godwit/transform.h"
#include "transform/lua_mapper.h"

namespace godwit::cli {

int64_t NowMicros();
// 1234567 -> "1,234,567".
std::string Thousands(uint64_t v);
// Seconds as H:MM:SS ("-" if unknown).
std::string Duration(double seconds);
// Where a run of `table` keeps its journal, dead letters and control files.
std::string RunDir(const std::string& store_path, const std::string& table);

// The one way commands open the store of --store / godwit.toml.
struct StoreOpenOptions {
  bool create = false;  // create the store if missing
  // A long-lived process (migrate, serve) trims the streams as it goes; a
  // short command leaves retention alone.
  bool long_running = false;
  bool sync = true;  // fsync each group commit (LocalStoreOptions::sync)
};
// Errors: NotFound "no store at PATH (...)"; IOError when another process
// holds the store (the message says which kinds of process can).
Result<std::unique_ptr<Store>> OpenStore(const Context& ctx,
                                         StoreOpenOptions o = {});

// The settings of a remote endpoint, resolved as for `--store URL`:
// godwit.toml's [store] region and profile, then the environment, AWS_PROFILE
// and the ~/.aws files (ResolveRemoteSettings; placeholder keys for a
// non-AWS endpoint without credentials). `endpoint` empty: the remote store
// of --store / godwit.toml. `what` names the setting in errors ("--server";
// empty: none).
// Errors: InvalidArgument (not an http(s):// URL, or those of
// ResolveRemoteSettings and LoadConfig).
Result<RemoteStoreOptions> ResolveRemoteOptions(const GlobalOptions& global,
                                                const std::string& endpoint,
                                                const std::string& what);

// An opened store with the router applications write through.
struct Session {
  std::string store_path;
  bool remote = false;  // a DynamoDB endpoint (else the embedded store)
  Config config;
  std::unique_ptr<Store> store;
  std::unique_ptr<Router> router;
};
// Opens the store as a long-running process.
Result<Session> OpenSession(const Context& ctx, StoreOpenOptions o = {});

// The transform of a run: for a run in progress, the migrations it
// recorded (their files must be unchanged); else the pending migrations.
struct RunSetup {
  std::shared_ptr<const Transform> transform;
  std::unique_ptr<LuaMapperFactory> mappers;
  MigrationPlan plan;
  bool resuming = false;
};
Result<RunSetup> PrepareRun(const Session& s, const std::string& table);

// A transform that is not deterministic is refused before anything is
// written: run it twice on a sample of the source.
Status CheckDeterminism(const Session& s, const RunSetup& r);

// The options every run of `table` in this store has (run dir).
MigrateOptions BaseOptions(const Session& s, const std::string& table);

// Records the run's migrations in the ledger (MigrateOptions::on_finish).
std::function<Status(const MigrationPlan&, const MigrationProgress&)>
LedgerRecorder(Store* store);

// Runs one control command ("pause", "resume", "rate N", "progress",
// "verify", "cutover", "rollback", "finish"; " --json" anywhere asks for
// JSON) against a live migration; returns the exit code (0 done, 1 failed,
// 2 usage, 3 verify found differences) and fills *out with the report.
int RunCommand(Migration& m, const std::string& command, bool json,
               std::string* out);

std::string ProgressLine(const MigrationProgress& p);
std::string ProgressJson(const MigrationProgress& p);
// The inverse of ProgressJson. Errors: InvalidArgument.
Result<MigrationProgress> ProgressFromJson(std::string_view json);
std::string VerifyText(const VerifyReport& r);
std::string VerifyJson(const VerifyReport& r);
std::string FlipText(const char* what, const FlipReport& f);
std::string FlipJson(const char* what, const FlipReport& f);

}  // namespace godwit::cli

#endif  // GODWIT_CLI_RUN_COMMON_H_
