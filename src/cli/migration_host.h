// Migrations inside `godwit serve`. The server owns the store, so a
// migration of a table it serves runs in the server process: applications
// keep addressing the logical table name, which the server resolves through
// the pointer (its handler serves the router's store), and the fenced
// cutover holds their writes inside the server: clients see added latency,
// never an error.
//
// The host answers godwit's own operations, POSTed like DynamoDB's with
// X-Amz-Target "GodwitAdmin_20261121.<Op>" and a JSON body:
//
//   StartMigration    {"TableName": "Orders", "Segments": 16, "Threads": 2,
//                      "Rate": 0, "MaxErrors": 0, "Resume": false}
//                  -> {"RunId": "...", "Source": "Orders",
//                      "Destination": "Orders.v2", "Phase": "backfill",
//                      "Resumed": false}
//   MigrationCommand  {"TableName": "Orders", "Command": "cutover",
//                      "Json": true}
//                  -> {"ExitCode": 0, "Output": "..."}
//                     Command: progress, pause, resume, rate N, verify,
//                     cutover, rollback, finish (cli/run_common.h RunCommand;
//                     ExitCode 3: verify found differences). After finish the
//                     run leaves the host.
//
// Errors are DynamoDB-shaped: ValidationException (bad body),
// ResourceNotFoundException (no run of the table here),
// ResourceInUseException (a run of the table is already hosted),
// godwit's MigrationException (the run cannot start or resume; the message
// says why).
//
// `godwit migrate --server URL TABLE`, `godwit cutover --server URL TABLE`,
// ... are the clients (AdminRequest below).
#ifndef GODWIT_CLI_MIGRATION_HOST_H_
#define GODWIT_CLI_MIGRATION_HOST_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "cli/run_common.h"
#include "godwit/remote_store.h"
#include "godwit/server.h"

namespace godwit::cli {

class MigrationHost {
 public:
  // `session` (the server's store and router) and `ctx` outlive the host.
  MigrationHost(const Session* session, const Context* ctx);
  // Stops every hosted run; each resumes with the next StartMigration
  // {"Resume": true} or `godwit migrate TABLE --resume`.
  ~MigrationHost();
  MigrationHost(const MigrationHost&) = delete;
  MigrationHost& operator=(const MigrationHost&) = delete;

  // HandlerOptions::admin. Thread-safe.
  server::HttpResult Handle(std::string_view op, std::string_view body);

 private:
  struct Run;
  server::HttpResult Start(std::string_view body);
  server::HttpResult Command(std::string_view body);

  const Session* session_;
  const Context* ctx_;
  std::mutex mu_;  // guards runs_
  std::map<std::string, std::shared_ptr<Run>> runs_;
};

// Client side: POSTs `body` as GodwitAdmin operation `op` to the server at
// `server.endpoint` ("http://127.0.0.1:8000"), SigV4-signed (service
// "dynamodb") with `server.credentials` and `server.region`, as the remote
// store signs (a server started with --auth checks them); returns the HTTP
// status and the body. Resolve `server` with ResolveRemoteOptions.
// Errors: Unavailable (cannot connect), DeadlineExceeded (no answer within
// `timeout_s`).
Result<std::pair<int, std::string>> AdminRequest(
    const RemoteStoreOptions& server, std::string_view op,
    const std::string& body, double timeout_s);

}  // namespace godwit::cli

#endif  // GODWIT_CLI_MIGRATION_HOST_H_
