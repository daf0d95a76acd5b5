// See admin.h.
#include "server/admin.h"

#include <cstdio>

namespace godwit::server {
namespace {

HttpResult Error(std::string_view type, std::string_view message) {
  return {400, ErrorBody(type, message)};
}

}  // namespace

AdminHost::AdminHost(ControllerEnv env) : env_(std::move(env)) {}

AdminHost::~AdminHost() {
  std::lock_guard lock(mu_);
  for (auto& [table, run] : runs_) run->Stop();
}

HttpResult AdminHost::Handle(std::string_view op, std::string_view body) {
  if (op == "StartMigration") return Start(body);
  if (op == "MigrationCommand") return Command(body);
  return Error("UnknownOperationException",
               "Unknown operation GodwitAdmin." + std::string(op));
}

HttpResult AdminHost::Start(std::string_view body) {
  Result<RunRequest> req = RunRequestFromJson(body);
  if (!req.ok()) return Error("ValidationException", req.status().message());
  // One start at a time: the check for a hosted run and the insertion must
  // not interleave with another start of the same table.
  std::lock_guard lock(mu_);
  if (runs_.count(req->table) > 0) {
    return Error("ResourceInUseException", "a migration of " + req->table +
                                               " already runs in this server");
  }
  Result<std::unique_ptr<Controller>> c = Controller::Open(env_, *req);
  if (!c.ok()) return Error("MigrationException", c.status().ToString());
  const RunInfo& info = (*c)->info();
  std::fprintf(stderr, "godwit serve: %s migration %s: %s -> %s\n",
               info.resumed ? "resumed" : "started", info.run_id.c_str(),
               info.source.c_str(), info.destination.c_str());
  std::string out = RunInfoToJson(info);
  runs_[req->table] = std::move(*c);
  return {200, std::move(out)};
}

HttpResult AdminHost::Command(std::string_view body) {
  Result<TableCommand> req = TableCommandFromJson(body);
  if (!req.ok()) return Error("ValidationException", req.status().message());
  const std::string& table = req->table;
  std::shared_ptr<Controller> run;
  {
    std::lock_guard lock(mu_);
    auto it = runs_.find(table);
    if (it == runs_.end()) {
      return Error("ResourceNotFoundException",
                   "no migration of " + table +
                       " runs in this server (start or resume it with "
                       "`godwit --server URL migrate " +
                       table + " [--resume]`)");
    }
    run = it->second;
  }
  // A command that does not decode is answered like one that fails, as
  // the control files answer it.
  Result<Reply> reply = req->command.ok()
                            ? run->Execute(*req->command)
                            : Result<Reply>(req->command.status());
  if (run->ended()) {
    std::lock_guard lock(mu_);
    auto it = runs_.find(table);
    if (it != runs_.end() && it->second == run) runs_.erase(it);
  }
  return {200, ResultToJson(reply)};
}

}  // namespace godwit::server
