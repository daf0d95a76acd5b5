// `godwit serve` (the GODWIT_BINARY build) as a child process on a store
// of its own and a free port, observed through /proc: for the tests of what
// the process does under attack or on a full disk.
#ifndef GODWIT_TESTS_SERVER_SERVE_PROCESS_H_
#define GODWIT_TESTS_SERVER_SERVE_PROCESS_H_

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "server/raw_http.h"
#include "testutil/process.h"
#include "testutil/temp_dir.h"

namespace godwit::test {

// A `godwit serve` child on its own store and a free port.
class ServeProcess {
 public:
  // `prefix`: run through `sh -c` with this before exec (e.g. "ulimit -n
  // 64"); `store`: the store directory ("": dir/store); `flags`: more serve
  // flags. The child's ASan keeps no quarantine (see
  // hardening_process_test.cc). Check ok() (else log()).
  ServeProcess(const TempDir& dir, const std::string& prefix,
               std::vector<std::string> flags, std::string store = "")
      : log_(dir.Join("serve.log")) {
    namespace fs = std::filesystem;
    if (store.empty()) store = dir.Join("store");
    std::string port_file = dir.Join("port");
    // GODWIT_SERVE_BINARY: another build to run (e.g. the one before a
    // change, to measure what the change did).
    const char* binary = std::getenv("GODWIT_SERVE_BINARY");
    std::vector<std::string> args = {"sh",
                                     "-c",
                                     prefix + " && exec \"$0\" \"$@\"",
                                     binary != nullptr ? binary : GODWIT_BINARY,
                                     "serve",
                                     "--store",
                                     store,
                                     "--listen",
                                     "127.0.0.1:0",
                                     "--port-file",
                                     port_file,
                                     "--no-sync"};
    args.insert(args.end(), flags.begin(), flags.end());
    std::string asan =
        "detect_leaks=0:quarantine_size_mb=0:"
        "allocator_release_to_os_interval_ms=200";
    if (const char* o = std::getenv("ASAN_OPTIONS")) {
      asan = std::string(o) + ":" + asan;
    }
    pid_ = Spawn(args, log_, {"ASAN_OPTIONS=" + asan});
    for (int i = 0; i < 1200 && !fs::exists(port_file); ++i) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (fs::exists(port_file)) port_ = std::stoi(ReadFile(port_file));
  }
  ~ServeProcess() { Stop(); }
  // SIGTERM; the exit code.
  int Stop() {
    if (pid_ <= 0) return -1;
    kill(pid_, SIGTERM);
    int rc = WaitExit(pid_, 60);
    pid_ = -1;
    return rc;
  }
  bool ok() const { return pid_ > 0 && port_ != 0; }
  pid_t pid() const { return pid_; }
  uint16_t port() const { return static_cast<uint16_t>(port_); }
  std::string log() const { return ReadFile(log_); }

  // VmRSS or VmHWM of /proc/PID/status, in bytes.
  uint64_t Status(const std::string& field) const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind(field + ":", 0) == 0) {
        return std::stoull(line.substr(field.size() + 1)) * 1024;
      }
    }
    return 0;
  }
  // utime + stime of /proc/PID/stat, in seconds.
  double CpuSeconds() const {
    std::string stat = ReadFile("/proc/" + std::to_string(pid_) + "/stat");
    size_t close = stat.rfind(')');
    if (close == std::string::npos) return -1;
    std::istringstream in(stat.substr(close + 2));
    std::string field;
    long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && in >> field; ++i) {
      if (i == 14) utime = std::stoll(field);
      if (i == 15) stime = std::stoll(field);
    }
    return static_cast<double>(utime + stime) /
           static_cast<double>(sysconf(_SC_CLK_TCK));
  }
  size_t OpenFds() const {
    namespace fs = std::filesystem;
    size_t n = 0;
    std::error_code ec;
    for (auto it = fs::directory_iterator(
             "/proc/" + std::to_string(pid_) + "/fd", ec);
         !ec && it != fs::directory_iterator(); it.increment(ec)) {
      ++n;
    }
    return n;
  }

 private:
  std::string log_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// True if GET / is answered 200 within `timeout`.
inline bool Healthy(uint16_t port, std::chrono::milliseconds timeout) {
  int fd = raw_http::Connect(port);
  if (fd < 0) return false;
  bool ok = raw_http::SendAll(fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  auto r = ok ? raw_http::ReadResponse(fd, timeout) : std::nullopt;
  ::close(fd);
  return r && r->status == 200;
}

}  // namespace godwit::test

#endif  // GODWIT_TESTS_SERVER_SERVE_PROCESS_H_
