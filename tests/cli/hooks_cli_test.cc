// The operator's cutover gates and hooks through the command line:
// `migrate --cutover` waits while its postpone file exists (retrying), a
// `ctl ... cutover` meanwhile exits 4 (postponed, nothing switched),
// `ctl ... unpostpone` lifts the hold, and the hooks run at the cutover.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "cli/cli.h"
#include "cli_test_util.h"

namespace godwit {
namespace {

namespace fs = std::filesystem;
using test::CmdResult;
using test::Project;
using test::ReadFile;

TEST(HooksCliTest, APostponedCutoverWaitsUntilLiftedAndHooksRun) {
  test::TempDir root;
  Project p(root, "proj");
  p.Seed(300);
  fs::create_directories(p.Join("hooks"));
  for (const char* event : {"on-before-cutover", "on-cutover"}) {
    std::string path = p.Join(std::string("hooks/") + event);
    std::ofstream(path) << "#!/bin/sh\necho \"$GODWIT_EVENT $GODWIT_TABLE "
                           "$GODWIT_DESTINATION\" >> "
                        << p.Join("hooks.log") << "\n";
    ::chmod(path.c_str(), 0755);
  }
  std::string hold = p.Join("hold");
  std::ofstream(hold) << "until the indexer is ready\n";

  pid_t pid = p.StartMigrate({"Events", "--cutover", "--hooks", p.Join("hooks"),
                              "--postpone-cutover-file", hold});
  ASSERT_GT(pid, 0);
  std::string log;
  for (int i = 0; i < 1200; ++i) {
    log = ReadFile(p.Join("migrate.log"));
    if (log.find("cutover postponed: the postpone file") != std::string::npos) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_NE(
      log.find("cutover postponed: the postpone file " + hold + " exists"),
      std::string::npos)
      << log;
  EXPECT_EQ(waitpid(pid, nullptr, WNOHANG), 0) << "migrate must wait";
  // A cutover asked meanwhile is postponed too: exit 4, nothing switched.
  CmdResult r = p.Run({"ctl", "Events", "cutover", "--force"}, 120);
  EXPECT_EQ(r.code, cli::kExitPostponed) << r.out << r.err;
  EXPECT_NE(r.out.find("cutover postponed: "), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(p.Join("hooks.log")));  // no hook ran: held first
  // Lifted: migrate cuts over by itself (within its 5 s retry) and exits 0.
  r = p.Run({"ctl", "Events", "unpostpone"}, 120);
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_FALSE(fs::exists(hold));
  EXPECT_EQ(test::WaitExit(pid, 120), 0) << ReadFile(p.Join("migrate.log"));
  // on-cutover runs on the hooks' thread, before migrate exits.
  EXPECT_EQ(ReadFile(p.Join("hooks.log")),
            "on-before-cutover Events Events.v2\n"
            "on-cutover Events Events.v2\n");
  r = p.Run({"table", "describe", "Events"}, 120);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("Events.v2"), std::string::npos) << r.out;
}

TEST(HooksCliTest, GatesAreRefusedThroughAServer) {
  test::TempDir root;
  Project p(root, "proj");
  CmdResult r = p.Run({"--server", "http://127.0.0.1:9", "migrate", "Events",
                       "--postpone-cutover-file", p.Join("hold")},
                      60);
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("act on this host"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace godwit
