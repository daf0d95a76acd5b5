// Crash points for crash tests: CrashPoint("cutover.flipped") kills the
// process with SIGKILL when the environment variable GODWIT_CRASH_POINT
// names that point (read once). Costs one load and compare otherwise.
#ifndef GODWIT_UTIL_CRASH_POINT_H_
#define GODWIT_UTIL_CRASH_POINT_H_

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace godwit {

inline void CrashPoint(const char* name) {
  static const std::string armed = [] {
    const char* v = std::getenv("GODWIT_CRASH_POINT");
    return std::string(v != nullptr ? v : "");
  }();
  if (!armed.empty() && armed == name) kill(getpid(), SIGKILL);
}

}  // namespace godwit

#endif  // GODWIT_UTIL_CRASH_POINT_H_
