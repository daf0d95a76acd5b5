#include "cli/control_channel.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace godwit::cli {
namespace fs = std::filesystem;
namespace {

Status WriteAtomically(const fs::path& path, const std::string& data) {
  fs::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) return Status::IOError("cannot write " + tmp.string());
    f << data;
    if (!f.flush()) return Status::IOError("cannot write " + tmp.string());
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec)
    return Status::IOError("cannot rename " + tmp.string() + ": " +
                           ec.message());
  return Status::OK();
}

std::string ReadAll(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

Result<ControlServer> ControlServer::Open(const std::string& run_dir) {
  fs::path dir = fs::path(run_dir) / "ctl";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    return Status::IOError("cannot create " + dir.string() + ": " +
                           ec.message());
  // Requests left by a process that died are answered by nobody: drop them.
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    fs::remove(e.path(), ec);
  }
  RETURN_IF_ERROR(WriteAtomically(dir / "owner", std::to_string(getpid())));
  return ControlServer(dir.string());
}

ControlServer::~ControlServer() {
  if (dir_.empty()) return;
  std::error_code ec;
  fs::remove(fs::path(dir_) / "owner", ec);
}

std::vector<ControlServer::Request> ControlServer::Poll() {
  std::vector<Request> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir_, ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind("req-", 0) != 0 || name.size() < 5 ||
        name.find(".tmp") != std::string::npos) {
      continue;
    }
    std::string cmd = ReadAll(e.path());
    out.push_back(Request{name.substr(4), CommandFromJson(cmd)});
    fs::remove(e.path(), ec);
  }
  std::sort(out.begin(), out.end(),
            [](const Request& a, const Request& b) { return a.id < b.id; });
  return out;
}

void ControlServer::Respond(const std::string& id,
                            const Result<Reply>& result) {
  Status s = WriteAtomically(fs::path(dir_) / ("resp-" + id),
                             ResultToJson(result) + "\n");
  (void)s;  // the client times out and says so
}

std::optional<int> ControlOwner(const std::string& run_dir) {
  fs::path owner = fs::path(run_dir) / "ctl" / "owner";
  std::error_code ec;
  if (!fs::exists(owner, ec)) return std::nullopt;
  int pid = std::atoi(ReadAll(owner).c_str());
  if (pid <= 0 || kill(pid, 0) != 0) return std::nullopt;
  // A killed process that its parent has not reaped yet still answers
  // kill(0), but it is a zombie ("Z" after the command name in
  // /proc/PID/stat) and will never answer.
  std::string stat = ReadAll("/proc/" + std::to_string(pid) + "/stat");
  size_t paren = stat.rfind(')');
  if (paren != std::string::npos && paren + 2 < stat.size() &&
      stat[paren + 2] == 'Z') {
    return std::nullopt;
  }
  return pid;
}

Result<Reply> SendControl(const std::string& run_dir, const Command& command,
                          double timeout_s) {
  if (!ControlOwner(run_dir)) {
    return Status::Unavailable("no running migration serves " + run_dir);
  }
  fs::path dir = fs::path(run_dir) / "ctl";
  auto now = std::chrono::system_clock::now().time_since_epoch();
  std::string id =
      std::to_string(
          std::chrono::duration_cast<std::chrono::nanoseconds>(now).count()) +
      "-" + std::to_string(getpid());
  RETURN_IF_ERROR(
      WriteAtomically(dir / ("req-" + id), CommandToJson(command) + "\n"));
  fs::path resp = dir / ("resp-" + id);
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::duration<double>(timeout_s);
  std::error_code ec;
  while (std::chrono::steady_clock::now() < deadline) {
    if (fs::exists(resp, ec)) {
      std::string text = ReadAll(resp);
      fs::remove(resp, ec);
      return ResultFromJson(text);
    }
    if (!ControlOwner(run_dir)) {
      return Status::Unavailable("the migration serving " + run_dir +
                                 " stopped before answering");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return Status::DeadlineExceeded(
      "no answer to \"" + CommandLine(command) + "\" within " +
      std::to_string(static_cast<int>(timeout_s)) + " s");
}

}  // namespace godwit::cli
