// A godwit project in a temporary folder for tests that run the real
// binary (GODWIT_BINARY): godwit.toml, a migration of table Events that
// renames an attribute (up and down exact inverses), the table seeded, and
// helpers to run commands, a background `godwit migrate` and a `godwit
// serve`.
#ifndef GODWIT_TESTS_CLI_CLI_TEST_UTIL_H_
#define GODWIT_TESTS_CLI_CLI_TEST_UTIL_H_

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "cli/cli.h"
#include "godwit/controller.h"
#include "testutil/process.h"
#include "testutil/temp_dir.h"

extern char** environ;

namespace godwit::test {

inline constexpr char kRenameMigration[] = R"(return {
  description = 'rename legacy to modern',
  up = function(item, ctx)
    item.modern, item.legacy = item.legacy, nil
    return item
  end,
  down = function(item, ctx)
    item.legacy, item.modern = item.modern, nil
    return item
  end,
}
)";

struct CmdResult {
  int code = -1;
  std::string out;
  std::string err;
};

class Project {
 public:
  // `name`: a sub-folder of `root`.
  Project(const TempDir& root, const std::string& name)
      : dir_(root.Join(name)) {
    std::filesystem::create_directories(dir_ + "/migrations/Events");
    std::ofstream(dir_ + "/godwit.toml")
        << "[store]\nkind = \"local\"\npath = \"store\"\n[migrations]\n"
           "dir = \"migrations\"\n";
  }
  const std::string& dir() const { return dir_; }
  std::string Join(const std::string& name) const { return dir_ + "/" + name; }
  std::string store() const { return Join("store"); }
  std::string RunDir() const { return store() + "/godwit-runs/Events"; }

  void WriteMigration(const std::string& file, const std::string& text) {
    std::ofstream(Join("migrations/Events/" + file)) << text;
  }

  // Table Events (pk:S) with `items` items {pk, n, legacy}, and the rename
  // migration pending.
  void Seed(int items) {
    WriteMigration("0002_rename_legacy.lua", kRenameMigration);
    std::ofstream seed(Join("seed.jsonl"));
    for (int k = 0; k < items; ++k) {
      seed << "{\"Item\":{\"pk\":{\"S\":\"k" << k << "\"},\"n\":{\"N\":\"" << k
           << "\"},\"legacy\":{\"S\":\"L" << k << "\"}}}\n";
    }
    seed.close();
    CmdResult r =
        Run({"import", "Events", Join("seed.jsonl"), "--hash", "pk:S"});
    ASSERT_EQ(r.code, 0) << r.err;
  }

  // Runs godwit (with --config of this project, in its folder) and waits
  // up to `timeout_s`.
  CmdResult Run(std::vector<std::string> args, double timeout_s = 300) {
    int n = counter_++;
    std::string out = Join(".run" + std::to_string(n) + ".out");
    std::string err = Join(".run" + std::to_string(n) + ".err");
    pid_t pid = Start(std::move(args), out, err);
    CmdResult r;
    r.code = WaitExit(pid, timeout_s);
    r.out = ReadFile(out);
    r.err = ReadFile(err);
    return r;
  }

  // Starts godwit in the background, stdout and stderr to `log`.
  pid_t Start(std::vector<std::string> args, const std::string& out,
              const std::string& err = "") {
    std::vector<std::string> all = {GODWIT_BINARY, "--config",
                                    Join("godwit.toml")};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (err.empty()) {
      posix_spawn_file_actions_adddup2(&fa, 1, 2);
    } else {
      posix_spawn_file_actions_addopen(&fa, 2, err.c_str(),
                                       O_WRONLY | O_CREAT | O_TRUNC, 0644);
    }
    posix_spawn_file_actions_addchdir_np(&fa, dir_.c_str());
    pid_t pid = -1;
    int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    EXPECT_EQ(rc, 0) << "spawn " << argv[0];
    return rc == 0 ? pid : -1;
  }

  // `godwit migrate ARGS` in the background, once its run is open (the
  // control files are served).
  pid_t StartMigrate(std::vector<std::string> args) {
    std::filesystem::remove(RunDir() + "/ctl/owner");
    args.insert(args.begin(), "migrate");
    pid_t pid = Start(args, Join("migrate.log"));
    for (int i = 0; i < 2400; ++i) {
      if (std::filesystem::exists(RunDir() + "/ctl/owner")) return pid;
      if (waitpid(pid, nullptr, WNOHANG) == pid) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "migrate did not open its run\n"
                  << ReadFile(Join("migrate.log"));
    return -1;
  }

  // `godwit serve` on a free port; the URL, or "" (a failure is added).
  std::string StartServe(pid_t* pid) {
    std::string port_file = Join("port");
    std::filesystem::remove(port_file);
    *pid = Start({"serve", "--listen", "127.0.0.1:0", "--port-file", port_file,
                  "--no-sync"},
                 Join("serve.log"));
    for (int i = 0; i < 1200 && !std::filesystem::exists(port_file); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (!std::filesystem::exists(port_file)) {
      ADD_FAILURE() << "serve did not start\n" << ReadFile(Join("serve.log"));
      return "";
    }
    return "http://127.0.0.1:" + std::to_string(std::stoi(ReadFile(port_file)));
  }

  // SIGINT (a clean stop) and the exit code.
  static int Stop(pid_t pid) {
    if (pid <= 0) return -1;
    kill(pid, SIGINT);
    return WaitExit(pid, 120);
  }

  // A Context for the CLI library's clients (SendControl, CommandOnServer).
  cli::Context ClientContext(const std::string& server_url = "") const {
    cli::Context ctx;
    ctx.global.config_path = Join("godwit.toml");
    ctx.global.store_path = store();
    ctx.global.server_url = server_url;
    return ctx;
  }

 private:
  std::string dir_;
  int counter_ = 0;
};

}  // namespace godwit::test

#endif  // GODWIT_TESTS_CLI_CLI_TEST_UTIL_H_
