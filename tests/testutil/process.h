// Child processes for tests that run real programs (godwit, moto_server,
// boto3 scripts): start with the output to a log file, wait with a timeout,
// read the log.
#ifndef GODWIT_TESTUTIL_PROCESS_H_
#define GODWIT_TESTUTIL_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

namespace godwit::testing {

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

}  // namespace godwit::testing

#endif  // GODWIT_TESTUTIL_PROCESS_H_
