#include "migrate/controller_hooks.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

extern char** environ;

namespace godwit::migrate {
namespace {

constexpr size_t kMaxOutput = 64 * 1024;
// How often the hooks' thread looks at the run for its events.
constexpr auto kWatchEvery = std::chrono::milliseconds(200);

bool IsEvent(std::string_view name) {
  for (const char* e : kHookEvents) {
    if (name == e) return true;
  }
  return false;
}

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

}  // namespace

std::string HookRun::Describe(std::string_view event) const {
  if (!ran) return std::string();
  std::string out = "hook " + std::string(event);
  if (timed_out) {
    out += " timed out after " + Fixed(seconds, 1) + " s and was killed";
  } else {
    out += " exited " + std::to_string(exit_code) + " after " +
           Fixed(seconds, 1) + " s";
  }
  std::string text = output;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
    text.pop_back();
  }
  if (!text.empty()) out += ": " + text;
  return out;
}

Result<HookRun> RunHookProcess(const std::string& path,
                               const std::map<std::string, std::string>& env,
                               double timeout_seconds) {
  HookRun run;
  run.ran = true;
  // Everything the child needs is built before fork(): after it, only
  // async-signal-safe calls.
  std::vector<std::string> entries;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    std::string_view name = kv.substr(0, kv.find('='));
    if (env.count(std::string(name))) continue;  // ours win
    entries.emplace_back(kv);
  }
  for (const auto& [k, v] : env) entries.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (std::string& s : entries) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string arg0 = path;
  char* argv[] = {arg0.data(), nullptr};

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return Status::IOError("cannot run the hook " + path +
                           ": pipe: " + std::strerror(errno));
  }
  auto start = std::chrono::steady_clock::now();
  pid_t pid = ::fork();
  if (pid < 0) {
    int err = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    return Status::IOError("cannot run the hook " + path +
                           ": fork: " + std::strerror(err));
  }
  if (pid == 0) {
    ::setpgid(0, 0);  // its own group: a time-out kills its children too
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    ::dup2(fds[1], 1);
    ::dup2(fds[1], 2);
    ::execve(argv[0], argv, envp.data());
    const char msg[] = "godwit: cannot execute the hook\n";
    (void)!::write(2, msg, sizeof(msg) - 1);
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also from here: no race with the child's own
  ::close(fds[1]);
  auto deadline = start + std::chrono::duration_cast<std::chrono::nanoseconds>(
                              std::chrono::duration<double>(timeout_seconds));
  char buf[4096];
  bool open = true;
  while (open) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      run.timed_out = true;
      break;
    }
    struct pollfd p {
      fds[0], POLLIN, 0
    };
    int n =
        ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;
    ssize_t got = ::read(fds[0], buf, sizeof(buf));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      open = false;  // every writer closed it: the hook (and its children)
      break;
    }
    size_t room = kMaxOutput - std::min(kMaxOutput, run.output.size());
    run.output.append(buf, std::min(room, static_cast<size_t>(got)));
  }
  ::close(fds[0]);
  if (run.timed_out) ::kill(-pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!run.timed_out) {
    // Output closed; its children may still run: the limit holds for them.
    ::kill(-pid, SIGKILL);
  }
  run.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  if (WIFEXITED(status)) {
    run.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    run.exit_code = 128 + WTERMSIG(status);
  }
  return run;
}

Result<std::unique_ptr<ControllerHooks>> ControllerHooks::Open(
    std::string dir, double timeout_seconds, Migration* m, RunInfo info,
    RunPhase start_phase, std::function<void(const std::string&)> note) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return Status::InvalidArgument("--hooks " + dir + " is not a directory");
  }
  if (!(timeout_seconds > 0)) {
    return Status::InvalidArgument(
        "--hook-timeout must be a positive number of seconds");
  }
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (!IsEvent(name) && !name.starts_with(".")) {
      note("hooks: " + dir + "/" + name +
           " is not an event name and never runs (events: on-start, "
           "on-backfill-done, on-caught-up, on-before-cutover, on-cutover, "
           "on-rollback, on-failure, on-finish)");
    }
  }
  std::unique_ptr<ControllerHooks> h(new ControllerHooks(
      std::move(dir), timeout_seconds, m, std::move(info), std::move(note)));
  h->thread_ =
      std::thread([p = h.get(), start_phase] { p->Loop(start_phase); });
  return h;
}

ControllerHooks::ControllerHooks(std::string dir, double timeout_seconds,
                                 Migration* m, RunInfo info,
                                 std::function<void(const std::string&)> note)
    : dir_(std::move(dir)),
      timeout_seconds_(timeout_seconds),
      m_(m),
      info_(std::move(info)),
      note_(std::move(note)) {}

ControllerHooks::~ControllerHooks() { Stop(); }

std::map<std::string, std::string> ControllerHooks::Figures() const {
  MigrationProgress p = m_->progress();
  return {
      {"GODWIT_TABLE", info_.table},
      {"GODWIT_RUN_ID", info_.run_id},
      {"GODWIT_SOURCE", info_.source},
      {"GODWIT_DESTINATION", info_.destination},
      {"GODWIT_PHASE", std::string(RunPhaseName(p.phase))},
      {"GODWIT_SCANNED", std::to_string(p.scanned)},
      {"GODWIT_WRITTEN", std::to_string(p.written)},
      {"GODWIT_DEAD_LETTERS", std::to_string(p.errors)},
      {"GODWIT_ESTIMATED_TOTAL", std::to_string(p.estimated_total)},
      {"GODWIT_CAPTURED", std::to_string(p.captured)},
      {"GODWIT_REPLAYED", std::to_string(p.replayed)},
      {"GODWIT_REPLAY_LAG", std::to_string(p.replay_lag)},
      {"GODWIT_ITEMS_PER_SECOND", Fixed(p.items_per_second, 1)},
      {"GODWIT_ELAPSED_SECONDS", Fixed(p.elapsed_seconds, 1)},
  };
}

HookRun ControllerHooks::RunNow(
    std::string_view event, const std::map<std::string, std::string>& extra) {
  std::string path = dir_ + "/" + std::string(event);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return HookRun();
  HookRun failed;
  failed.ran = true;
  failed.exit_code = 126;
  if (::access(path.c_str(), X_OK) != 0) {
    failed.output = path + " is not executable";
    note_(failed.Describe(event));
    return failed;
  }
  std::map<std::string, std::string> env = Figures();
  env["GODWIT_EVENT"] = std::string(event);
  for (const auto& [k, v] : extra) env[k] = v;
  Result<HookRun> r = RunHookProcess(path, env, timeout_seconds_);
  if (!r.ok()) {
    failed.output = r.status().ToString();
    note_(failed.Describe(event));
    return failed;
  }
  note_(r->Describe(event));
  return *r;
}

void ControllerHooks::Post(std::string event,
                           std::map<std::string, std::string> extra) {
  MutexLock lock(&mu_);
  if (stopping_) return;
  queue_.push_back(Event{std::move(event), std::move(extra)});
  cv_.SignalAll();
}

void ControllerHooks::Stop() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    cv_.SignalAll();
  }
  if (thread_.joinable()) thread_.join();
}

void ControllerHooks::Loop(RunPhase start_phase) {
  bool backfill_done = start_phase != RunPhase::kBackfill;
  bool caught_up = false;
  bool failed = false;
  std::deque<Event> todo;
  todo.push_back(Event{"on-start", {}});
  while (true) {
    for (Event& e : todo) RunNow(e.name, e.extra);
    todo.clear();
    // The run's own events, as they happen.
    MigrationProgress p = m_->progress();
    if (!backfill_done && p.phase != RunPhase::kBackfill) {
      backfill_done = true;
      todo.push_back(Event{"on-backfill-done", {}});
    }
    if (!caught_up && p.phase != RunPhase::kBackfill && p.replay_lag == 0) {
      caught_up = true;
      todo.push_back(Event{"on-caught-up", {}});
    }
    if (Status e = m_->error(); !failed && !e.ok()) {
      failed = true;
      todo.push_back(Event{"on-failure", {{"GODWIT_ERROR", e.ToString()}}});
    }
    if (!todo.empty()) continue;
    MutexLock lock(&mu_);
    if (queue_.empty() && !stopping_) cv_.WaitFor(&mu_, kWatchEvery);
    while (!queue_.empty()) {
      todo.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    if (todo.empty() && stopping_) return;
  }
}

}  // namespace godwit::migrate
