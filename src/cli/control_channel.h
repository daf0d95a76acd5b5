// The control channel of a running `godwit migrate`: the embedded store
// belongs to one process, so `godwit cutover`, `godwit ctl pause`, ... sent
// while a migration runs are handed to that process through files in its run
// directory:
//
//   <run dir>/ctl/owner            the pid of the process that serves
//   <run dir>/ctl/req-<id>         one request: a command in the
//                                  controller's JSON ({"command": "rate",
//                                  "rate": 500}; godwit/controller.h)
//   <run dir>/ctl/resp-<id>        the answer: a result in the same codec
//                                  ({"reply": {...}} or {"error": {...}})
//
//   id := <nanoseconds since the epoch>-<client pid>
//
// The grammar of the JSON is at the top of src/migrate/controller_json.cc
// (and docs/formats/commands.md). Files are written to a temporary name
// (<name>.tmp) and renamed, so a reader never sees half a file. The serving
// process polls the folder; a request it cannot decode is answered with the
// decoding error. The channel only carries commands: the controller of the
// serving process executes them.
#ifndef GODWIT_CLI_CONTROL_CHANNEL_H_
#define GODWIT_CLI_CONTROL_CHANNEL_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "godwit/controller.h"
#include "godwit/status.h"

namespace godwit::cli {

class ControlServer {
 public:
  // Creates the folder and the owner file (this process's pid).
  static Result<ControlServer> Open(const std::string& run_dir);
  ControlServer(ControlServer&&) = default;
  ~ControlServer();

  struct Request {
    std::string id;
    Result<Command> command;  // the decoding error if it does not decode
  };
  // Requests waiting, oldest first.
  std::vector<Request> Poll();
  // Answers request `id` (a client waiting for it reads it).
  void Respond(const std::string& id, const Result<Reply>& result);

 private:
  explicit ControlServer(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;  // empty after a move
};

// The pid serving `run_dir`, if that process is alive.
std::optional<int> ControlOwner(const std::string& run_dir);

// Sends `command` and waits up to `timeout_s` for the answer: the serving
// controller's reply, or its error.
// Errors: Unavailable if no process serves the run, or it stopped before
// answering; DeadlineExceeded; DataLoss for an answer that does not decode;
// the command's own errors.
Result<Reply> SendControl(const std::string& run_dir, const Command& command,
                          double timeout_s);

}  // namespace godwit::cli

#endif  // GODWIT_CLI_CONTROL_CHANNEL_H_
