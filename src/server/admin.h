// godwit serve's admin API: migrations hosted by the server. The server owns
// the store, so a migration of a table it serves runs in the server process:
// applications keep addressing the logical table name, which the server
// resolves through the pointer, and the fenced flip holds their writes
// inside the server (clients see added latency, never an error).
//
// Operations are POSTed like DynamoDB's, with X-Amz-Target
// "GodwitAdmin_20261121.<Op>" (server::kAdminTargetPrefix) and a JSON body
// in the controller's codec (godwit/controller.h, grammar in
// src/migrate/controller_json.cc and docs/formats/commands.md):
//
//   StartMigration    body: run-request  {"table": "Orders", "mode": "start",
//                                         "segments": 16, ...}
//                     200:  run-info     {"table": "Orders", "run_id": ...,
//                                         "source": ..., "destination": ...,
//                                         "phase": ..., "resumed": false}
//   MigrationCommand  body: table-command {"table": "Orders",
//                                          "command": {"command": "cutover",
//                                                      "force": true}}
//                     200:  result       {"reply": {...}} or
//                                        {"error": {"code", "message"}}
//                     After a finish or abandon the run leaves the host.
//
// Errors of the host itself are DynamoDB-shaped (HTTP 400):
// ValidationException (a body the codec refuses), ResourceNotFoundException
// (no run of the table here), ResourceInUseException (a run of the table is
// already hosted), MigrationException (the run cannot start or resume; the
// message says why). An error of a command is a result, not an HTTP error:
// the CLI gets the same typed answer as through the control files.
//
// Threads: Handle may be called from any number of server threads.
#ifndef GODWIT_SERVER_ADMIN_H_
#define GODWIT_SERVER_ADMIN_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "godwit/controller.h"
#include "godwit/server.h"

namespace godwit::server {

class AdminHost {
 public:
  // The pointers in `env` (the server's store and router) outlive the host.
  explicit AdminHost(ControllerEnv env);
  // Stops every hosted run; each resumes with the next StartMigration
  // {"mode": "resume"} or `godwit migrate TABLE --resume`.
  ~AdminHost();
  AdminHost(const AdminHost&) = delete;
  AdminHost& operator=(const AdminHost&) = delete;

  // HandlerOptions::admin: `op` is the name after kAdminTargetPrefix.
  HttpResult Handle(std::string_view op, std::string_view body);

 private:
  HttpResult Start(std::string_view body);
  HttpResult Command(std::string_view body);

  const ControllerEnv env_;
  std::mutex mu_;  // guards runs_; held while a run opens
  std::map<std::string, std::shared_ptr<Controller>> runs_;  // GUARDED_BY(mu_)
};

}  // namespace godwit::server

#endif  // GODWIT_SERVER_ADMIN_H_
