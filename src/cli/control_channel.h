// The control channel of a running `godwit migrate`: the embedded store
// belongs to one process, so `godwit cutover`, `godwit ctl pause`, ... sent
// while a migration runs are handed to that process through files in its run
// directory:
//
//   <run dir>/ctl/owner            the pid of the process that serves
//   <run dir>/ctl/req-<id>         one request: a command line
//                                  ("pause", "rate 500", "cutover", ...)
//   <run dir>/ctl/resp-<id>        the answer: exit code, newline, report
//
// Files are written to a temporary name and renamed, so a reader never sees
// half a file. The serving process polls the folder.
#ifndef GODWIT_CLI_CONTROL_CHANNEL_H_
#define GODWIT_CLI_CONTROL_CHANNEL_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

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
    std::string command;
  };
  // Requests waiting, oldest first.
  std::vector<Request> Poll();
  void Respond(const std::string& id, int exit_code, const std::string& text);

 private:
  explicit ControlServer(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;  // empty after a move
};

// The pid serving `run_dir`, if that process is alive.
std::optional<int> ControlOwner(const std::string& run_dir);

// Sends `command` and waits up to `timeout_s` for the answer.
// Errors: Unavailable if no process serves the run; DeadlineExceeded.
Result<std::pair<int, std::string>> SendControl(const std::string& run_dir,
                                                const std::string& command,
                                                double timeout_s);

}  // namespace godwit::cli

#endif  // GODWIT_CLI_CONTROL_CHANNEL_H_
