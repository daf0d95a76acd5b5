// The three ways a command reaches a run's controller give the same typed
// replies and the same exit codes: the `ctl/` control files of a running
// `godwit migrate`, the admin API of `godwit serve`, and a controller in
// the command's own process (no migrate running).
#include <gtest/gtest.h>

#include <chrono>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli/control_channel.h"
#include "cli/server_client.h"
#include "cli_test_util.h"
#include "godwit/controller.h"

namespace godwit {
namespace {

using test::CmdResult;
using test::Project;
using test::ReadFile;

constexpr int kItems = 200;

// A reply or an error, as something comparable across transports: the
// parts that do not depend on timing.
std::string Canonical(const Result<Reply>& r) {
  if (!r.ok()) return "error " + r.status().ToString();
  std::string s = "reply " + std::string(CommandName(r->command));
  if (r->command == CommandKind::kPause || r->command == CommandKind::kResume) {
    s += r->paused ? " paused" : " running";
  }
  if (r->command == CommandKind::kRate) s += " rate=" + FormatRate(r->rate);
  if (r->progress) {
    const MigrationProgress& p = *r->progress;
    s += " progress phase=" + std::string(RunPhaseName(p.phase)) +
         " scanned=" + std::to_string(p.scanned) +
         " written=" + std::to_string(p.written) +
         " dropped=" + std::to_string(p.dropped) +
         " errors=" + std::to_string(p.errors) +
         " lag=" + std::to_string(p.replay_lag);
  }
  if (r->verify) {
    const VerifyReport& v = *r->verify;
    s += " verify ok=" + std::to_string(v.ok()) +
         " source=" + std::to_string(v.source_items) +
         " expected=" + std::to_string(v.expected_items) +
         " destination=" + std::to_string(v.destination_items) +
         " differences=" + std::to_string(v.differences) +
         " unmapped=" + std::to_string(v.unmapped);
  }
  if (r->flip) {
    s += " flip " + r->flip->from_table + "->" + r->flip->to_table +
         " forced=" + std::to_string(r->forced);
  }
  return s;
}

Command Parse(const std::string& line) {
  Result<Command> c = ParseCommand(line);
  EXPECT_TRUE(c.ok()) << line << ": " << c.status().ToString();
  return c.ok() ? *c : Command{};
}

// Waits until `send(progress)` says the run has caught up.
template <typename Send>
void WaitCaughtUp(Send send, const std::string& what) {
  for (int i = 0; i < 600; ++i) {
    Result<Reply> r = send(Parse("progress"));
    ASSERT_TRUE(r.ok()) << what << ": " << r.status().ToString();
    if (r->progress->phase != RunPhase::kBackfill &&
        r->progress->replay_lag == 0) {
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  FAIL() << what << " never caught up";
}

// The commands every transport can carry, in order, through a run's
// life. "finish" before the cutover is refused (the same error everywhere).
const std::vector<std::string> kRunLife = {
    "verify",   "finish", "cutover",         "verify",
    "rollback", "verify", "cutover --force", "finish"};
// And those that need a running migration.
const std::vector<std::string> kLiveOnly = {"pause", "resume", "rate 250",
                                            "rate unlimited", "progress"};

TEST(ControlTransportTest, SameRepliesThroughControlFilesAdminApiAndInProcess) {
  test::TempDir root;
  Project files(root, "files"), admin(root, "admin"), local(root, "local");
  for (Project* p : {&files, &admin, &local}) {
    ASSERT_NO_FATAL_FAILURE(p->Seed(kItems));
  }
  // A hand-made command the parser would refuse: every receiver checks it.
  Command bad_rate;
  bad_rate.kind = CommandKind::kRate;
  bad_rate.rate = -1;

  // The control files of a running migrate.
  pid_t migrate = files.StartMigrate({"Events"});
  ASSERT_GT(migrate, 0);
  auto via_files = [&](const Command& c) {
    return cli::SendControl(files.RunDir(), c, 300);
  };
  // The admin API of godwit serve.
  pid_t serve = -1;
  std::string url = admin.StartServe(&serve);
  ASSERT_FALSE(url.empty());
  cli::Context actx = admin.ClientContext(url);
  RunRequest req;
  req.table = "Events";
  req.segments = 4;
  Result<RunInfo> info = cli::StartOnServer(actx, req, 300);
  ASSERT_TRUE(info.ok()) << info.status().ToString()
                         << ReadFile(admin.Join("serve.log"));
  EXPECT_EQ(info->destination, "Events.v2");
  auto via_admin = [&](const Command& c) {
    return cli::CommandOnServer(actx, "Events", c, 300);
  };
  ASSERT_NO_FATAL_FAILURE(WaitCaughtUp(via_files, "migrate"));
  ASSERT_NO_FATAL_FAILURE(WaitCaughtUp(via_admin, "serve"));

  EXPECT_EQ(Canonical(via_files(bad_rate)), Canonical(via_admin(bad_rate)));
  EXPECT_NE(Canonical(via_files(bad_rate)).find("error InvalidArgument"),
            std::string::npos)
      << Canonical(via_files(bad_rate));
  for (const std::string& line : kLiveOnly) {
    std::string a = Canonical(via_files(Parse(line)));
    EXPECT_EQ(a, Canonical(via_admin(Parse(line)))) << line;
    EXPECT_EQ(a.rfind("reply ", 0), 0u) << line << ": " << a;
  }
  std::vector<std::string> replies;
  for (const std::string& line : kRunLife) {
    std::string a = Canonical(via_files(Parse(line)));
    EXPECT_EQ(a, Canonical(via_admin(Parse(line)))) << line;
    replies.push_back(a);
  }
  EXPECT_EQ(Project::Stop(migrate), 0) << ReadFile(files.Join("migrate.log"));
  EXPECT_EQ(Project::Stop(serve), 0) << ReadFile(admin.Join("serve.log"));
  // The run ended through both: a new command finds no run.
  EXPECT_NE(via_admin(Parse("progress")).status().code(), StatusCode::kOk);

  // In this process: run `migrate` until it has caught up, stop it, then
  // each command resumes the run, executes, and stops it again. The JSON a
  // command prints is the reply.
  migrate = local.StartMigrate({"Events"});
  ASSERT_NO_FATAL_FAILURE(WaitCaughtUp(
      [&](const Command& c) {
        return cli::SendControl(local.RunDir(), c, 300);
      },
      "local migrate"));
  EXPECT_EQ(Project::Stop(migrate), 0) << ReadFile(local.Join("migrate.log"));
  for (size_t i = 0; i < kRunLife.size(); ++i) {
    std::vector<std::string> args = {"--json", "ctl", "Events"};
    std::istringstream words(kRunLife[i]);
    for (std::string w; words >> w;) args.push_back(w);
    CmdResult r = local.Run(args);
    std::string got;
    if (r.code == 0) {
      got = Canonical(ReplyFromJson(r.out));
    } else {
      EXPECT_EQ(r.code, 1) << kRunLife[i];
      EXPECT_EQ(r.err.rfind("godwit: ", 0), 0u) << r.err;
      got = "error " + r.err.substr(8, r.err.size() - 9);  // no newline
    }
    EXPECT_EQ(got, replies[i]) << kRunLife[i];
  }
  // Without a running migrate there is nothing to pause.
  CmdResult r = local.Run({"ctl", "Events", "pause"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("no migration of Events is running"), std::string::npos)
      << r.err;
}

// `verify` exited 1 for differences and for every other error alike.
// Differences exit 3 through every transport, and so does `migrate
// --cutover`, which then does not switch; a control command that does not
// parse exits 2 before it is sent anywhere.
TEST(ControlTransportTest, VerifyDifferencesExitThreeOnEveryTransport) {
  test::TempDir root;
  Project p(root, "p");
  ASSERT_NO_FATAL_FAILURE(p.Seed(kItems));
  pid_t migrate = p.StartMigrate({"Events"});
  ASSERT_NO_FATAL_FAILURE(WaitCaughtUp(
      [&](const Command& c) { return cli::SendControl(p.RunDir(), c, 300); },
      "migrate"));
  ASSERT_EQ(Project::Stop(migrate), 0) << ReadFile(p.Join("migrate.log"));
  // An item in the destination that no source item maps to.
  CmdResult r = p.Run(
      {"put", "Events.v2", R"({"pk":{"S":"zz-extra"},"modern":{"S":"x"}})"});
  ASSERT_EQ(r.code, 0) << r.err;

  // In this process.
  r = p.Run({"verify", "Events"});
  EXPECT_EQ(r.code, cli::kExitDifferences) << r.out << r.err;
  EXPECT_NE(r.out.find("verify: DIFFERENCES"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" 1 differences"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("verify found differences"), std::string::npos) << r.err;
  r = p.Run({"--json", "verify", "Events"});
  EXPECT_EQ(r.code, cli::kExitDifferences);
  Result<Reply> reply = ReplyFromJson(r.out);
  ASSERT_TRUE(reply.ok()) << reply.status().ToString() << r.out;
  EXPECT_TRUE(reply->differences());
  // Another error is not a difference.
  r = p.Run({"verify", "Nope"});
  EXPECT_EQ(r.code, cli::kExitFailed) << r.err;

  // Through the control files of a running migrate.
  migrate = p.StartMigrate({"Events", "--resume"});
  r = p.Run({"verify", "Events"});
  EXPECT_EQ(r.code, cli::kExitDifferences) << r.out << r.err;
  r = p.Run({"ctl", "Events", "rate", "abc"});
  EXPECT_EQ(r.code, cli::kExitUsage);
  EXPECT_NE(r.err.find("\"abc\" is not a number"), std::string::npos) << r.err;
  r = p.Run({"ctl", "Events", "rate", "500"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "rate set to 500 items/s\n");
  ASSERT_EQ(Project::Stop(migrate), 0) << ReadFile(p.Join("migrate.log"));
  // migrate --cutover verifies first and does not switch.
  r = p.Run({"migrate", "Events", "--resume", "--cutover"});
  EXPECT_EQ(r.code, cli::kExitDifferences) << r.out << r.err;
  EXPECT_NE(r.err.find("not cutting over"), std::string::npos) << r.err;

  // Through the admin API of godwit serve.
  pid_t serve = -1;
  std::string url = p.StartServe(&serve);
  ASSERT_FALSE(url.empty());
  r = p.Run({"--server", url, "migrate", "Events", "--resume", "--cutover"});
  EXPECT_EQ(r.code, cli::kExitDifferences) << r.out << r.err;
  EXPECT_NE(r.out.find("verify: DIFFERENCES"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("cutover:"), std::string::npos) << r.out;
  r = p.Run({"--server", url, "verify", "Events"});
  EXPECT_EQ(r.code, cli::kExitDifferences) << r.out << r.err;
  r = p.Run({"--server", url, "ctl", "Events", "rate", "0"});
  EXPECT_EQ(r.code, cli::kExitUsage);
  r = p.Run({"--server", url, "ctl", "Events", "rate", "unlimited"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "rate limit removed (unlimited)\n");
  EXPECT_EQ(Project::Stop(serve), 0) << ReadFile(p.Join("serve.log"));
  // Nothing switched anywhere.
  r = p.Run({"status", "Events"});
  EXPECT_NE(r.out.find("active table: Events)"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace godwit
