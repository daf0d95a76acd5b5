// The client of `godwit serve`'s admin API (src/server/admin.h): what
// `godwit --server URL migrate|verify|cutover|rollback|finish|abandon|ctl`
// send. Bodies and answers are the controller's codec (godwit/controller.h),
// so a command reaches the server's controller exactly as it reaches a
// running migrate through its control files.
#ifndef GODWIT_CLI_SERVER_CLIENT_H_
#define GODWIT_CLI_SERVER_CLIENT_H_

#include <string>
#include <string_view>
#include <utility>

#include "cli/cli.h"
#include "godwit/controller.h"
#include "godwit/remote_store.h"
#include "godwit/status.h"

namespace godwit::cli {

// POSTs `body` as GodwitAdmin operation `op` to the server at
// `server.endpoint` ("http://127.0.0.1:8000"), SigV4-signed (service
// "dynamodb") with `server.credentials` and `server.region`, as the remote
// store signs (a server started with --auth checks them); returns the HTTP
// status and the body. Resolve `server` with ResolveRemoteOptions.
// Errors: Unavailable (cannot connect), DeadlineExceeded (no answer within
// `timeout_s`).
Result<std::pair<int, std::string>> AdminRequest(
    const RemoteStoreOptions& server, std::string_view op,
    const std::string& body, double timeout_s);

// Starts or resumes (req.mode) the run of req.table in the server of
// ctx.global.server_url. Errors: the server's (FailedPrecondition for a run
// that cannot start, with its message; ResourceInUse... as
// FailedPrecondition), those of AdminRequest.
Result<RunInfo> StartOnServer(const Context& ctx, const RunRequest& req,
                              double timeout_s);

// Executes `c` on the run of `table` hosted by the server: the reply, or
// the command's error. Errors also: NotFound (no run of `table` there),
// FailedPrecondition (authentication refused, naming the key), those of
// AdminRequest.
Result<Reply> CommandOnServer(const Context& ctx, const std::string& table,
                              const Command& c, double timeout_s);

}  // namespace godwit::cli

#endif  // GODWIT_CLI_SERVER_CLIENT_H_
