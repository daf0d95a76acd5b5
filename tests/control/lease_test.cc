// Leases in the control table (src/control/lease.h) on the embedded store,
// with an injected clock: acquire, refuse naming the holder, renew, expire,
// take over (a compare-and-swap on the token), lose, release.
#include "control/lease.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <barrier>
#include <memory>
#include <thread>
#include <vector>

#include "control/control_table.h"
#include "godwit/local_store.h"
#include "testutil/temp_dir.h"

namespace godwit::control {
namespace {

// 2026-12-03 15:01:02 UTC.
constexpr int64_t kT0 = int64_t{1796310062} * 1000000;
constexpr int64_t kSecond = 1000000;

// A clock a test moves by hand; shared by the options that copy it.
struct FakeClock {
  std::shared_ptr<std::atomic<int64_t>> now =
      std::make_shared<std::atomic<int64_t>>(kT0);
  std::function<int64_t()> fn() const {
    auto n = now;
    return [n] { return n->load(); };
  }
  void Advance(int64_t micros) { now->fetch_add(micros); }
};

LeaseOwner Owner(const std::string& host, int64_t pid) {
  return LeaseOwner{host, pid, "p" + host + std::to_string(pid)};
}

class LeaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    LocalStoreOptions o;
    o.path = dir_.Join("store");
    o.sync = false;
    Result<std::unique_ptr<Store>> s = OpenLocalStore(o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
  }

  LeaseOptions Options(const LeaseOwner& owner) const {
    LeaseOptions o;
    o.duration_micros = 30 * kSecond;
    o.clock = clock_.fn();
    o.owner = owner;
    o.what = "Orders is being migrated";
    return o;
  }

  Result<std::unique_ptr<Lease>> Take(
      const LeaseOwner& owner, std::optional<LeaseRecord>* previous = nullptr) {
    return Lease::Acquire(store_.get(), "Orders", "run", Options(owner),
                          previous);
  }

  std::optional<LeaseRecord> Stored() {
    Result<std::optional<LeaseRecord>> r =
        ReadLease(store_.get(), "Orders", "run");
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::nullopt;
  }

  test::TempDir dir_;
  std::unique_ptr<Store> store_;
  FakeClock clock_;
};

TEST_F(LeaseTest, AcquireRenewRelease) {
  Result<std::unique_ptr<Lease>> a = Take(Owner("h1", 1234));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  std::optional<LeaseRecord> rec = Stored();
  ASSERT_TRUE(rec.has_value());
  EXPECT_EQ(rec->resource, "Orders");
  EXPECT_EQ(rec->name, "run");
  EXPECT_EQ(rec->owner, Owner("h1", 1234));
  EXPECT_EQ(rec->since_micros, kT0);
  EXPECT_EQ(rec->renewed_micros, kT0);
  EXPECT_EQ(rec->expires_micros, kT0 + 30 * kSecond);
  EXPECT_EQ(rec->token.size(), 32u);
  EXPECT_EQ(rec->token, (*a)->record().token);
  EXPECT_TRUE((*a)->Held(10 * kSecond).ok());

  // Renewal: the expiry moves, `since` and the token stay.
  clock_.Advance(10 * kSecond);
  ASSERT_TRUE((*a)->Renew().ok());
  rec = Stored();
  ASSERT_TRUE(rec.has_value());
  EXPECT_EQ(rec->since_micros, kT0);
  EXPECT_EQ(rec->renewed_micros, kT0 + 10 * kSecond);
  EXPECT_EQ(rec->expires_micros, kT0 + 40 * kSecond);
  EXPECT_EQ(rec->token, (*a)->record().token);

  ASSERT_TRUE((*a)->Release().ok());
  EXPECT_FALSE(Stored().has_value());
  EXPECT_TRUE((*a)->Release().ok());  // idempotent
  EXPECT_EQ((*a)->Renew().code(), StatusCode::kFailedPrecondition);
  // Released: anyone takes it at once.
  EXPECT_TRUE(Take(Owner("h2", 99)).ok());
}

TEST_F(LeaseTest, LiveLeaseIsRefusedNamingItsHolder) {
  Result<std::unique_ptr<Lease>> a = Take(Owner("h1", 1234));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  clock_.Advance(7 * kSecond);
  Result<std::unique_ptr<Lease>> b = Take(Owner("h2", 77));
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(b.status().message(),
            "Orders is being migrated by host h1, pid 1234, since 2026-12-03 "
            "15:01:02 UTC; the lease expires in 23 s");
  // Not re-entrant: the same owner is refused as well (two controllers of
  // one process must not share a run).
  EXPECT_EQ(Take(Owner("h1", 1234)).status().code(),
            StatusCode::kFailedPrecondition);
  // The refused contenders changed nothing.
  EXPECT_EQ(Stored()->token, (*a)->record().token);
  // Without `what`, the refusal names the lease.
  LeaseOptions o = Options(Owner("h3", 5));
  o.what.clear();
  EXPECT_NE(Lease::Acquire(store_.get(), "Orders", "run", o)
                .status()
                .message()
                .find("lease run of Orders is held by host h1, pid 1234"),
            std::string::npos);
  // A lease of another name or resource is another lease.
  EXPECT_TRUE(Lease::Acquire(store_.get(), "Orders", "segment#3", o).ok());
  EXPECT_TRUE(Lease::Acquire(store_.get(), "Users", "run", o).ok());
}

TEST_F(LeaseTest, ExpiredLeaseIsTakenOverAndItsHolderLosesIt) {
  Result<std::unique_ptr<Lease>> a = Take(Owner("h1", 1234));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  std::string token_a = (*a)->record().token;
  // One microsecond before the expiry it is still live.
  clock_.Advance(30 * kSecond - 1);
  EXPECT_FALSE(Take(Owner("h2", 77)).ok());
  clock_.Advance(1);
  std::optional<LeaseRecord> previous;
  Result<std::unique_ptr<Lease>> b = Take(Owner("h2", 77), &previous);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  ASSERT_TRUE(previous.has_value());
  EXPECT_EQ(previous->owner, Owner("h1", 1234));
  EXPECT_EQ(previous->token, token_a);
  EXPECT_NE((*b)->record().token, token_a);
  EXPECT_EQ((*b)->record().since_micros, kT0 + 30 * kSecond);

  // The old holder's renewal fails: it lost the lease, and says to whom.
  Status r = (*a)->Renew();
  EXPECT_EQ(r.code(), StatusCode::kAborted) << r.ToString();
  EXPECT_NE(r.message().find("was lost: it was taken over by host h2, pid 77"),
            std::string::npos)
      << r.ToString();
  EXPECT_EQ((*a)->Renew().code(), StatusCode::kAborted);  // for good
  EXPECT_EQ((*a)->Held(0).code(), StatusCode::kAborted);
  // Its release deletes nothing of the new holder's.
  EXPECT_EQ((*a)->Release().code(), StatusCode::kAborted);
  ASSERT_TRUE(Stored().has_value());
  EXPECT_EQ(Stored()->token, (*b)->record().token);
  EXPECT_TRUE((*b)->Renew().ok());
}

TEST_F(LeaseTest, HeldFailsWhenRenewalsStopBeforeTheExpiry) {
  Result<std::unique_ptr<Lease>> a = Take(Owner("h1", 1234));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  clock_.Advance(19 * kSecond);
  EXPECT_TRUE((*a)->Held(10 * kSecond).ok());
  clock_.Advance(1 * kSecond);  // 10 s left: not more than the margin
  Status h = (*a)->Held(10 * kSecond);
  EXPECT_EQ(h.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(h.message().find("expires in 10 s"), std::string::npos)
      << h.ToString();
  // No one took it: a late renewal still succeeds (the token is ours).
  clock_.Advance(15 * kSecond);
  EXPECT_TRUE((*a)->Renew().ok());
  EXPECT_TRUE((*a)->Held(10 * kSecond).ok());
}

// The take-over is a compare-and-swap on the token read: a contender whose
// read is stale (another took the lease over between its read and its
// write) fails its write, reads again and is refused. The clock, read
// between the two, is the sync point.
TEST_F(LeaseTest, TwoContendersForAnExpiredLeaseCannotBothWin) {
  ASSERT_TRUE(Take(Owner("dead", 1)).ok());
  clock_.Advance(60 * kSecond);
  Result<std::unique_ptr<Lease>> b = Status::Internal("not run");
  LeaseOptions c_opts = Options(Owner("c", 3));
  int calls = 0;
  c_opts.clock = [&] {
    if (calls++ == 0) b = Take(Owner("b", 2));  // between C's read and write
    return clock_.now->load();
  };
  Result<std::unique_ptr<Lease>> c =
      Lease::Acquire(store_.get(), "Orders", "run", c_opts);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(c.status().message().find("by host b, pid 2"), std::string::npos)
      << c.status().ToString();
  EXPECT_GE(calls, 2);  // C read again after its write failed
  EXPECT_EQ(Stored()->token, (*b)->record().token);
}

// The same race with threads: contenders released together at an expired
// lease, many times; exactly one wins each time.
TEST_F(LeaseTest, RacingTakeOversHaveOneWinner) {
  constexpr int kThreads = 6;
  constexpr int kRounds = 40;
  ASSERT_TRUE(Take(Owner("dead", 1)).ok());
  for (int round = 0; round < kRounds; ++round) {
    clock_.Advance(60 * kSecond);  // whoever holds it has expired
    std::barrier start(kThreads);
    std::atomic<int> won{0}, refused{0}, other{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        Result<std::unique_ptr<Lease>> l =
            Take(Owner("t" + std::to_string(i), 100 + i));
        if (l.ok()) {
          ++won;
        } else if (l.status().code() == StatusCode::kFailedPrecondition) {
          ++refused;
        } else {
          ++other;
        }
      });
    }
    for (std::thread& t : threads) t.join();
    ASSERT_EQ(won.load(), 1) << "round " << round;
    ASSERT_EQ(refused.load(), kThreads - 1) << "round " << round;
    ASSERT_EQ(other.load(), 0);
  }
}

TEST_F(LeaseTest, OwnerKnownGoneIsTakenOverBeforeTheExpiry) {
  ASSERT_TRUE(Take(Owner("h1", 1234)).ok());
  LeaseOptions o = Options(Owner("h1", 5678));
  o.owner_gone = [](const LeaseRecord& r) { return r.owner.pid == 1234; };
  std::optional<LeaseRecord> previous;
  Result<std::unique_ptr<Lease>> b =
      Lease::Acquire(store_.get(), "Orders", "run", o, &previous);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  ASSERT_TRUE(previous.has_value());
  EXPECT_EQ(previous->owner.pid, 1234);
  // Its own lease is not "gone" to it.
  EXPECT_FALSE(Lease::Acquire(store_.get(), "Orders", "run", o).ok());
}

TEST_F(LeaseTest, RemovedLeaseIsLost) {
  Result<std::unique_ptr<Lease>> a = Take(Owner("h1", 1234));
  ASSERT_TRUE(a.ok());
  auto t = store_->GetTable(kControlTable);
  ASSERT_TRUE(t.ok());
  ASSERT_TRUE((*t)->Delete(ControlKey("lease#Orders", "run")).ok());
  Status r = (*a)->Renew();
  EXPECT_EQ(r.code(), StatusCode::kAborted);
  EXPECT_NE(r.message().find("removed"), std::string::npos) << r.ToString();
  // No record was written back.
  EXPECT_FALSE(Stored().has_value());
}

TEST_F(LeaseTest, DamagedRecordIsDataLossNamingIt) {
  ASSERT_TRUE(EnsureControlTable(store_.get()).ok());
  auto t = store_->GetTable(kControlTable);
  ASSERT_TRUE(t.ok());
  Item item;
  item.Set("pk", AttributeValue::S("lease#Orders"));
  item.Set("sk", AttributeValue::S("run"));
  item.Set("host", AttributeValue::S("h1"));
  ASSERT_TRUE((*t)->Put(item).ok());
  Result<std::unique_ptr<Lease>> a = Take(Owner("h2", 1));
  EXPECT_EQ(a.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(a.status().message().find("lease#Orders / run"), std::string::npos)
      << a.status().ToString();
}

TEST_F(LeaseTest, BadArgumentsAreRefused) {
  LeaseOptions o = Options(Owner("h", 1));
  EXPECT_TRUE(
      Lease::Acquire(store_.get(), "", "run", o).status().IsInvalidArgument());
  o.duration_micros = 0;
  EXPECT_TRUE(Lease::Acquire(store_.get(), "Orders", "run", o)
                  .status()
                  .IsInvalidArgument());
}

TEST_F(LeaseTest, ListLeasesAndThisProcess) {
  ASSERT_TRUE(ListLeases(store_.get()).ok());  // no control table yet
  EXPECT_TRUE(ListLeases(store_.get())->empty());
  LeaseOptions o;  // the system clock and this process
  o.duration_micros = 30 * kSecond;
  Result<std::unique_ptr<Lease>> users =
      Lease::Acquire(store_.get(), "Users", "run", o);
  ASSERT_TRUE(users.ok()) << users.status().ToString();
  ASSERT_TRUE(Take(Owner("h1", 1)).ok());
  Result<std::vector<LeaseRecord>> all = ListLeases(store_.get());
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].resource, "Orders");
  EXPECT_EQ((*all)[1].resource, "Users");
  const LeaseOwner& me = ThisProcess();
  EXPECT_EQ((*all)[1].owner, me);
  EXPECT_EQ(me.pid, static_cast<int64_t>(getpid()));
  EXPECT_FALSE(me.host.empty());
  EXPECT_EQ(me.process.size(), 16u);
  EXPECT_EQ(ThisProcess().process, me.process);  // drawn once
}

TEST(LeaseFormatTest, DescribeHolder) {
  LeaseRecord r;
  r.owner = LeaseOwner{"h", 42, "x"};
  r.since_micros = kT0;
  r.expires_micros = kT0 + 30 * kSecond;
  EXPECT_EQ(DescribeHolder(r, kT0 + 1),
            "host h, pid 42, since 2026-12-03 15:01:02 UTC; the lease "
            "expires in 30 s");
  EXPECT_EQ(DescribeHolder(r, kT0 + 34 * kSecond),
            "host h, pid 42, since 2026-12-03 15:01:02 UTC; the lease "
            "expired 4 s ago");
}

}  // namespace
}  // namespace godwit::control
