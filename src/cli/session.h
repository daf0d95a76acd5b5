// What the commands share to reach a store: opening the store of --store /
// godwit.toml (and refusing to create one by accident), the settings of a
// remote endpoint, and a session (store, router and the controller's
// environment) for the commands that run migrations.
#ifndef GODWIT_CLI_SESSION_H_
#define GODWIT_CLI_SESSION_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "cli/cli.h"
#include "cli/config.h"
#include "godwit/controller.h"
#include "godwit/migrate.h"
#include "godwit/remote_store.h"
#include "godwit/status.h"
#include "godwit/store.h"

namespace godwit::cli {

int64_t NowMicros();
// 1234567 -> "1,234,567".
std::string Thousands(uint64_t v);
// Seconds as H:MM:SS ("-" if unknown).
std::string Duration(double seconds);
// The embedded store's default state directory: <store path>/godwit-runs
// (see StoreTarget in cli/config.h for the state directory in force).
std::string RunsDir(const std::string& store_path);
// The directory of the run of `table`: <state directory>/<table>.
// Errors: those of ResolveStateDir (a remote store with none).
Result<std::string> ResolveRunDir(const GlobalOptions& options,
                                  const std::string& table);
// ControllerEnv::store_id of the store of --store / godwit.toml:
// "local:<absolute directory>" or "dynamodb:<endpoint> <region>".
// Errors: those of ResolveStore and ResolveRemoteOptions.
Result<std::string> ResolveStoreId(const GlobalOptions& options);

// Environment variable, FOR TESTS ONLY: the run lease's duration in
// seconds (default 30), so that a test can have a killed owner's lease
// expire in a moment. Renewed every third of it.
inline constexpr char kTestLeaseSecondsEnv[] = "GODWIT_TEST_LEASE_SECONDS";

// SIGINT and SIGTERM set a flag (Interrupted) instead of killing the
// process, so that a long command stops its run cleanly (resumable).
void InstallSignalHandlers();
bool Interrupted();

// The one way commands open the store of --store / godwit.toml.
struct StoreOpenOptions {
  // Create the embedded store if it is missing. Only the commands that
  // create something may: init, table create, import into a new table,
  // serve. Every other command on a missing store fails naming the path,
  // so that a typo in --store does not make a new, empty store.
  bool create = false;
  // A long-lived process (migrate, serve) trims the streams as it goes; a
  // short command leaves retention alone.
  bool long_running = false;
  bool sync = true;  // fsync each group commit (LocalStoreOptions::sync)
  // The embedded store's free-space watermark (serve's --min-free-space);
  // unset: LocalStoreOptions' default.
  std::optional<uint64_t> min_free_bytes;
  std::optional<double> min_free_fraction;
};
// Errors: NotFound "no store at PATH (...)"; InvalidArgument for an
// unknown --store scheme (ResolveStore); IOError when another process holds
// the store (the message says which kinds of process can).
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

// Table names on the command line are logical names: the one resolution
// every command uses. Returns the physical table `name` means now (after a
// cutover of Orders, "Orders" is "Orders.v2"); a name with no pointer is
// its own table.
Result<std::string> ResolveTable(Store* store, const std::string& name);

// Refuses to drop `physical` while something depends on it.
// Errors: FailedPrecondition naming it when a pointer names it (it is the
// active table of a logical table) or an unfinished run uses it (as source
// or destination).
Status CheckDroppable(Store* store, const std::string& physical);

// An opened store with the router applications write through.
struct Session {
  std::string store_path;      // the embedded store's directory ("" if remote)
  bool remote = false;         // a DynamoDB endpoint (else the embedded store)
  std::string state_dir;       // where runs keep their files (absolute)
  std::string store_id;        // ControllerEnv::store_id
  OwnershipOptions ownership;  // the run leases of the controllers
  Config config;
  std::unique_ptr<Store> store;
  std::unique_ptr<Router> router;
  // Where the controller runs migrations of this store.
  ControllerEnv env() const;
};
// Opens the store as a long-running process.
// Errors: those of OpenStore; FailedPrecondition for a remote store without
// a state directory (ResolveStateDir); InvalidArgument for a bad
// GODWIT_TEST_LEASE_SECONDS.
Result<Session> OpenSession(const Context& ctx, StoreOpenOptions o = {});

}  // namespace godwit::cli

#endif  // GODWIT_CLI_SESSION_H_
