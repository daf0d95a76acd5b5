// One owner per run: the controller's lease (src/migrate/controller_lease.h)
// on the embedded store. A second Open is refused naming the owner; an
// expired lease (its owner killed) is taken over; a lost lease stops the
// run and every later command says so; the lease goes when the controller
// does; the commit-point checks handed to the engine.
#include "migrate/controller_lease.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "control/control_table.h"
#include "control/lease.h"
#include "godwit/controller.h"
#include "godwit/local_store.h"
#include "testutil/temp_dir.h"

namespace godwit {
namespace {

constexpr int64_t kSecond = 1000000;

constexpr char kRename[] = R"(return {
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

// Fails every write to the control table while `on`.
class ControlWriteFaults : public FaultInjector {
 public:
  std::atomic<bool> on{false};
  Status BeforeWrite(std::string_view table, std::string_view) override {
    if (on.load() && table == control::kControlTable) {
      return Status::Unavailable("injected: the control table is down");
    }
    return Status::OK();
  }
};

// Waits up to 20 s for `done`.
template <typename F>
bool Eventually(F done) {
  for (int i = 0; i < 2000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

class ControllerLeaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    faults_ = std::make_shared<ControlWriteFaults>();
    LocalStoreOptions o;
    o.path = dir_.Join("store");
    o.sync = false;
    o.fault_injector = faults_;
    Result<std::unique_ptr<Store>> s = OpenLocalStore(o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
    Result<std::unique_ptr<Router>> r = NewRouter(store_.get());
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    router_ = std::move(*r);
    TableOptions t;
    t.key_schema = KeySchema{{"pk", AttrType::kS}, std::nullopt};
    ASSERT_TRUE(store_->CreateTable("Events", t).ok());
    auto table = store_->GetTable("Events");
    ASSERT_TRUE(table.ok());
    for (int i = 0; i < 50; ++i) {
      Item item;
      item.Set("pk", AttributeValue::S("k" + std::to_string(i)));
      item.Set("legacy", AttributeValue::S("L" + std::to_string(i)));
      ASSERT_TRUE((*table)->Put(item).ok());
    }
    std::filesystem::create_directories(dir_.Join("migrations/Events"));
    std::ofstream(dir_.Join("migrations/Events/0002_rename.lua")) << kRename;
  }

  ControllerEnv Env() {
    ControllerEnv e;
    e.store = store_.get();
    e.router = router_.get();
    e.migrations_dir = dir_.Join("migrations");
    e.runs_dir = dir_.Join("runs");
    e.ownership.clock = [this] { return now_.load(); };
    return e;
  }

  static RunRequest Request(OpenMode mode) {
    RunRequest r;
    r.table = "Events";
    r.mode = mode;
    r.segments = 2;
    r.threads = 1;
    return r;
  }

  // A run in progress that no process drives (opened, then closed).
  void LeaveRunInProgress() {
    Result<std::unique_ptr<Controller>> c =
        Controller::Open(Env(), Request(OpenMode::kStart));
    ASSERT_TRUE(c.ok()) << c.status().ToString();
  }

  // What a process killed with SIGKILL leaves: its live lease.
  void PlantLease(const std::string& host, int64_t pid) {
    control::LeaseOptions o;
    o.duration_micros = 30 * kSecond;
    o.clock = [this] { return now_.load(); };
    o.owner = control::LeaseOwner{host, pid, "killed"};
    Result<std::unique_ptr<control::Lease>> l =
        control::Lease::Acquire(store_.get(), "Events", "run", o);
    ASSERT_TRUE(l.ok()) << l.status().ToString();
    // Dropped without a release, as a killed process drops it.
  }

  std::optional<RunOwner> Owner() {
    Result<std::optional<RunOwner>> o = FindRunOwner(store_.get(), "Events");
    EXPECT_TRUE(o.ok()) << o.status().ToString();
    return o.ok() ? *o : std::nullopt;
  }

  test::TempDir dir_;
  std::shared_ptr<ControlWriteFaults> faults_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Router> router_;
  // 2026-12-03 15:01:02 UTC, moved by hand.
  std::atomic<int64_t> now_{int64_t{1796310062} * kSecond};
};

TEST_F(ControllerLeaseTest, SecondOpenIsRefusedNamingTheOwner) {
  Result<std::unique_ptr<Controller>> a =
      Controller::Open(Env(), Request(OpenMode::kStart));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  std::optional<RunOwner> owner = Owner();
  ASSERT_TRUE(owner.has_value());
  EXPECT_EQ(owner->pid, static_cast<int64_t>(getpid()));
  EXPECT_EQ(owner->host, control::ThisProcess().host);
  const std::string expected =
      "Events is being migrated by host " + control::ThisProcess().host +
      ", pid " + std::to_string(getpid()) +
      ", since 2026-12-03 15:01:02 UTC; the lease expires in 30 s";
  // A resume and a new start alike, even in the same process.
  for (OpenMode mode : {OpenMode::kResume, OpenMode::kStart}) {
    Result<std::unique_ptr<Controller>> b =
        Controller::Open(Env(), Request(mode));
    ASSERT_FALSE(b.ok());
    EXPECT_EQ(b.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ(b.status().message().rfind(expected, 0), 0u)
        << b.status().ToString();
  }
  // The first one is unaffected.
  Command progress;
  EXPECT_TRUE((*a)->Execute(progress).ok());
  EXPECT_TRUE((*a)->ownership().ok());
  // Stopped, it still holds the run; destroyed, it lets go.
  (*a)->Stop();
  EXPECT_FALSE(Controller::Open(Env(), Request(OpenMode::kResume)).ok());
  a->reset();
  EXPECT_FALSE(Owner().has_value());
  Result<std::unique_ptr<Controller>> b =
      Controller::Open(Env(), Request(OpenMode::kResume));
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_TRUE((*b)->info().resumed);
  EXPECT_FALSE((*b)->taken_over_from().has_value());  // it was released
}

TEST_F(ControllerLeaseTest, ExpiredLeaseOfAKilledOwnerIsTakenOver) {
  LeaveRunInProgress();
  PlantLease("elsewhere", 4242);
  now_ += 7 * kSecond;
  Result<std::unique_ptr<Controller>> c =
      Controller::Open(Env(), Request(OpenMode::kResume));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find(
                "Events is being migrated by host elsewhere, pid 4242, since "
                "2026-12-03 15:01:02 UTC; the lease expires in 23 s"),
            std::string::npos)
      << c.status().ToString();
  now_ += 23 * kSecond;  // expired
  c = Controller::Open(Env(), Request(OpenMode::kResume));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  std::optional<RunOwner> owner = Owner();
  ASSERT_TRUE(owner.has_value());
  EXPECT_EQ(owner->pid, static_cast<int64_t>(getpid()));
  EXPECT_EQ(owner->since_micros, now_.load());
  std::optional<RunOwner> was = (*c)->taken_over_from();
  ASSERT_TRUE(was.has_value());
  EXPECT_EQ(was->host, "elsewhere");
  EXPECT_EQ(was->pid, 4242);
  EXPECT_FALSE(was->live(now_.load()));
}

TEST_F(ControllerLeaseTest, ExclusiveStoreTakesOverAnotherProcesssLeaseAtOnce) {
  LeaveRunInProgress();
  PlantLease("elsewhere", 4242);  // live for 30 s
  ControllerEnv env = Env();
  env.ownership.exclusive_store = true;
  Result<std::unique_ptr<Controller>> c =
      Controller::Open(env, Request(OpenMode::kResume));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  // A controller of this very process is still refused.
  Result<std::unique_ptr<Controller>> again =
      Controller::Open(env, Request(OpenMode::kResume));
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.status().message().find("pid " + std::to_string(getpid())),
            std::string::npos)
      << again.status().ToString();
}

TEST_F(ControllerLeaseTest, FailedOpenReleasesTheLease) {
  Result<std::unique_ptr<Controller>> c =
      Controller::Open(Env(), Request(OpenMode::kResume));  // no run
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("no run of Events in progress"),
            std::string::npos);
  EXPECT_FALSE(Owner().has_value());
}

// Another process took the run over (this one's renewals stopped working
// long enough for its lease to expire): the renewal thread finds the lease
// lost, stops the run, and every later command returns why.
TEST_F(ControllerLeaseTest, LostLeaseStopsTheRun) {
  ControllerEnv env = Env();
  env.ownership.clock = nullptr;  // the system clock
  env.ownership.lease_seconds = 30;
  env.ownership.renew_seconds = 0.02;
  Result<std::unique_ptr<Controller>> c =
      Controller::Open(env, Request(OpenMode::kStart));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_TRUE((*c)->WaitCaughtUp().ok());
  // The thief's clock is an hour ahead: to it, the lease has expired.
  control::LeaseOptions thief;
  thief.clock = [] {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
               .count() +
           int64_t{3600} * kSecond;
  };
  thief.owner = control::LeaseOwner{"thief", 666, "t"};
  Result<std::unique_ptr<control::Lease>> stolen =
      control::Lease::Acquire(store_.get(), "Events", "run", thief);
  ASSERT_TRUE(stolen.ok()) << stolen.status().ToString();

  ASSERT_TRUE(Eventually([&] { return !(*c)->ownership().ok(); }));
  Status lost = (*c)->ownership();
  EXPECT_EQ(lost.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(lost.message().find("the run of Events was lost to another owner"),
            std::string::npos)
      << lost.ToString();
  EXPECT_NE(lost.message().find("taken over by host thief, pid 666"),
            std::string::npos)
      << lost.ToString();
  Command progress;
  Result<Reply> r = (*c)->Execute(progress);
  EXPECT_EQ(r.status().ToString(), lost.ToString());
  Command pause;
  pause.kind = CommandKind::kPause;
  EXPECT_EQ((*c)->Execute(pause).status().ToString(), lost.ToString());
  EXPECT_EQ((*c)->WaitCaughtUp().ToString(), lost.ToString());
  // Destroying it leaves the new owner's lease alone.
  c->reset();
  std::optional<RunOwner> owner = Owner();
  ASSERT_TRUE(owner.has_value());
  EXPECT_EQ(owner->host, "thief");
}

// A holder that cannot renew stops a renewal interval before its lease
// could expire, rather than run on while another process may take over.
TEST_F(ControllerLeaseTest, UnrenewableLeaseStopsTheRunBeforeItExpires) {
  ControllerEnv env = Env();
  env.ownership.clock = nullptr;
  env.ownership.lease_seconds = 0.6;
  env.ownership.renew_seconds = 0.2;
  Result<std::unique_ptr<Controller>> c =
      Controller::Open(env, Request(OpenMode::kStart));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  faults_->on = true;
  ASSERT_TRUE(Eventually([&] { return !(*c)->ownership().ok(); }));
  Status lost = (*c)->ownership();
  EXPECT_NE(lost.message().find("could not renew its lease"), std::string::npos)
      << lost.ToString();
  EXPECT_NE(lost.message().find("injected: the control table is down"),
            std::string::npos)
      << lost.ToString();
  // No one else holds it: nothing was taken over, the record just expires.
  std::optional<RunOwner> owner = Owner();
  ASSERT_TRUE(owner.has_value());
  EXPECT_EQ(owner->pid, static_cast<int64_t>(getpid()));
  faults_->on = false;
}

// The checks the controller hands to the engine's commit points.
TEST_F(ControllerLeaseTest, CommitChecks) {
  OwnershipOptions o;
  o.clock = [this] { return now_.load(); };
  o.lease_seconds = 30;
  o.renew_seconds = 10;  // real time: the thread stays out of the way
  Result<std::unique_ptr<migrate::RunOwnership>> own =
      migrate::RunOwnership::Acquire(store_.get(), "Events", o);
  ASSERT_TRUE(own.ok()) << own.status().ToString();
  std::function<Status()> commit = (*own)->CommitCheck();
  std::function<Status()> held = (*own)->HeldCheck();
  EXPECT_TRUE(held().ok());
  now_ += 21 * kSecond;  // 9 s left: less than a renewal interval
  EXPECT_EQ(held().code(), StatusCode::kFailedPrecondition);
  // A commit point renews: a whole lease from now.
  ASSERT_TRUE(commit().ok());
  EXPECT_EQ((*own)->record().expires_micros, now_.load() + 30 * kSecond);
  EXPECT_TRUE(held().ok());
  // A transient error with time left passes; without, it does not.
  faults_->on = true;
  EXPECT_TRUE(commit().ok());
  now_ += 25 * kSecond;
  EXPECT_EQ(commit().code(), StatusCode::kFailedPrecondition);
  faults_->on = false;
  // Taken over: both checks fail with the loss, for good.
  now_ += 10 * kSecond;  // expired
  control::LeaseOptions thief;
  thief.clock = [this] { return now_.load(); };
  thief.owner = control::LeaseOwner{"thief", 666, "t"};
  ASSERT_TRUE(
      control::Lease::Acquire(store_.get(), "Events", "run", thief).ok());
  Status c = commit();
  EXPECT_EQ(c.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(c.message().find("lost to another owner"), std::string::npos)
      << c.ToString();
  EXPECT_EQ(held().ToString(), c.ToString());
  EXPECT_EQ((*own)->lost().ToString(), c.ToString());
  // A lost lease's on_lost is refused: it is too late to arm it.
  EXPECT_FALSE((*own)->OnLost([](const Status&) {}).ok());
}

// Two stores sharing a state directory would mix their runs' journals: a
// run's directory records its store, and another store's run is refused.
TEST_F(ControllerLeaseTest, RunDirectoryOfAnotherStoreIsRefused) {
  ControllerEnv env = Env();
  env.store_id = "local:/data/a";
  {
    Result<std::unique_ptr<Controller>> c =
        Controller::Open(env, Request(OpenMode::kStart));
    ASSERT_TRUE(c.ok()) << c.status().ToString();
  }
  const std::string run_dir = RunDirectory(env, "Events");
  std::ifstream mark(run_dir + "/store");
  std::string line;
  std::getline(mark, line);
  EXPECT_EQ(line, "local:/data/a");
  EXPECT_TRUE(CheckRunDirectoryStore(run_dir, "local:/data/a").ok());
  // The same store resumes.
  {
    Result<std::unique_ptr<Controller>> c =
        Controller::Open(env, Request(OpenMode::kResume));
    ASSERT_TRUE(c.ok()) << c.status().ToString();
  }
  env.store_id = "local:/data/copy";
  Result<std::unique_ptr<Controller>> c =
      Controller::Open(env, Request(OpenMode::kResume));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(c.status().message().find(
                "belongs to a run on another store (local:/data/a), not this "
                "one (local:/data/copy)"),
            std::string::npos)
      << c.status().ToString();
  EXPECT_EQ(CheckRunDirectoryStore(run_dir, "local:/data/copy").code(),
            StatusCode::kFailedPrecondition);
  EXPECT_FALSE(Owner().has_value());  // the refused open let the lease go
  // Handed over by deleting the mark, as the message says.
  std::filesystem::remove(run_dir + "/store");
  c = Controller::Open(env, Request(OpenMode::kResume));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
}

TEST_F(ControllerLeaseTest, BadOwnershipOptionsAreRefused) {
  ControllerEnv env = Env();
  env.ownership.lease_seconds = 0;
  EXPECT_TRUE(Controller::Open(env, Request(OpenMode::kStart))
                  .status()
                  .IsInvalidArgument());
  env.ownership.lease_seconds = 10;
  env.ownership.renew_seconds = 10;
  EXPECT_TRUE(Controller::Open(env, Request(OpenMode::kStart))
                  .status()
                  .IsInvalidArgument());
}

}  // namespace
}  // namespace godwit
