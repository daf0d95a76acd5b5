// Child processes for tests that run real programs (godwit, moto_server,
// boto3 scripts): start with the output to a log file, wait with a timeout,
// read the log.
#ifndef GODWIT_TESTUTIL_PROCESS_H_
#define GODWIT_TESTUTIL_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace godwit::test {

// The whole file ("" if it cannot be read).
std::string ReadFile(const std::string& path);

// Starts `args` (looked up in PATH) with stdout and stderr to `log`.
// `env` non-empty: the child's environment is this process's without any
// AWS_* variable, plus `env` ("NAME=VALUE"). Returns the pid, or -1 (and
// says why on stderr).
pid_t Spawn(std::vector<std::string> args, const std::string& log,
            std::vector<std::string> env = {});

// Waits up to `timeout_s` for `pid`: its exit code (128 + signal if
// killed), or -1 after killing it when the time is up (or for pid <= 0).
int WaitExit(pid_t pid, double timeout_s);

// True if `python3 -c 'import MODULE'` succeeds.
bool HasPythonModule(const std::string& module);

// A loopback TCP port free at the time of the call (0 if none).
uint16_t FreeLoopbackPort();
// True if something accepts connections on 127.0.0.1:port.
bool AcceptsOnLoopback(uint16_t port);

// The moto_server to run: $GODWIT_MOTO_SERVER, else the usual install
// places, else one on PATH; "" if there is none.
std::string MotoBinary();

// moto_server in its own process group on a free loopback port; stopped by
// pid (SIGTERM, then SIGKILL to the group: it does not always stop on
// SIGTERM).
class MotoServer {
 public:
  MotoServer() = default;
  MotoServer(const MotoServer&) = delete;
  MotoServer& operator=(const MotoServer&) = delete;
  ~MotoServer();
  // Starts `binary` with its output to `log` ("" for /dev/null) and waits
  // up to 30 s for it to listen. False if it exits or does not listen.
  bool Start(const std::string& binary, const std::string& log);
  uint16_t port() const { return port_; }
  std::string endpoint() const {
    return "http://127.0.0.1:" + std::to_string(port_);
  }

 private:
  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

}  // namespace godwit::test

#endif  // GODWIT_TESTUTIL_PROCESS_H_
