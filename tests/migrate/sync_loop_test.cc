// The sync loop and its gate, over a fake change source and a fake
// applier: a hold at Q lets exactly the changes up to Q through, waits end
// when the loop has applied them, and a release lets the rest through.
#include "migrate/sync_loop.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "testutil/fake_rekey_mapper.h"
#include "testutil/status_testing.h"
#include "util/mutex.h"

namespace godwit::migrate {
namespace {

// Changes 1..n of an upstream, all readable at once.
class FakeChangeSource : public ChangeSource {
 public:
  explicit FakeChangeSource(uint64_t n) : n_(n) {}
  std::string_view name() const override { return "fake-sync"; }
  Status Read(size_t max, const std::optional<StreamMark>& hold,
              std::vector<ChangeRecord>* out) override {
    while (out->size() < max && next_ <= n_ &&
           (!hold || next_ <= hold->sequence)) {
      ChangeRecord r;
      r.sequence = next_++;
      out->push_back(std::move(r));
    }
    return Status::OK();
  }
  void Applied(const std::vector<ChangeRecord>& batch) override {
    applied_.store(batch.back().sequence);
  }
  StreamMark AppliedMark() const override { return {applied_.load()}; }
  Result<StreamMark> UpstreamLatest() override { return StreamMark{n_}; }
  bool Reached(const RunState&, const StreamMark& m) const override {
    return applied_.load() >= m.sequence;
  }
  uint64_t Behind(const RunState&, const StreamMark& m) const override {
    return m.sequence > applied_ ? m.sequence - applied_ : 0;
  }

 private:
  const uint64_t n_;
  uint64_t next_ = 1;  // the loop's thread only
  std::atomic<uint64_t> applied_{0};
};

// Records the sequences it applied, in order.
class FakeApplier : public Applier {
 public:
  Status Apply(ItemMapper*, const std::vector<ChangeRecord>& recs) override {
    MutexLock lock(&mu_);
    for (const ChangeRecord& r : recs) applied_.push_back(r.sequence);
    return Status::OK();
  }
  // "1-5" for 1,2,3,4,5; "" for none; "gap" if not consecutive from 1.
  std::string Applied() {
    MutexLock lock(&mu_);
    for (size_t i = 0; i < applied_.size(); ++i) {
      if (applied_[i] != i + 1) return "gap";
    }
    if (applied_.empty()) return "";
    return "1-" + std::to_string(applied_.size());
  }

 private:
  Mutex mu_;
  std::vector<uint64_t> applied_ GUARDED_BY(mu_);
};

class SyncLoopTest : public ::testing::Test {
 protected:
  SyncLoopTest()
      : run_(nullptr, RunIdentity{}, RunState{}),
        source_(10),
        loop_(&run_, &source_, &applier_, &mappers_) {
    loop_.SetEnabled(true);
  }

  // Steps on this thread until a step applies nothing.
  void StepUntilIdle() {
    test::FakeReKeyMapper mapper({});
    for (bool idle = false; !idle;) ASSERT_OK(loop_.Step(&mapper, &idle));
  }

  migrate::Run run_;
  FakeChangeSource source_;
  FakeApplier applier_;
  test::FakeReKeyMapperFactory mappers_;
  SyncLoop loop_;
};

TEST_F(SyncLoopTest, AHoldAtQAppliesExactlyUpToQ) {
  loop_.HoldAt(StreamMark{5});
  StepUntilIdle();
  EXPECT_EQ(applier_.Applied(), "1-5");
  StepUntilIdle();  // still held
  EXPECT_EQ(applier_.Applied(), "1-5");
  ASSERT_OK(loop_.WaitApplied(StreamMark{5}));
  loop_.Release();
  StepUntilIdle();
  EXPECT_EQ(applier_.Applied(), "1-10");
}

TEST_F(SyncLoopTest, FreezeHoldsSyncWhereItIs) {
  loop_.HoldAt(StreamMark{3});
  StepUntilIdle();
  loop_.Release();
  loop_.Freeze();  // at 3, what is applied
  StepUntilIdle();
  EXPECT_EQ(applier_.Applied(), "1-3");
  loop_.HoldAt(StreamMark{4});
  StepUntilIdle();
  EXPECT_EQ(applier_.Applied(), "1-4");
}

TEST_F(SyncLoopTest, ADisabledLoopAppliesNothing) {
  loop_.SetEnabled(false);
  StepUntilIdle();
  EXPECT_EQ(applier_.Applied(), "");
  loop_.SetEnabled(true);
  StepUntilIdle();
  EXPECT_EQ(applier_.Applied(), "1-10");
}

TEST_F(SyncLoopTest, WaitAppliedEndsWhenTheLoopThreadHasApplied) {
  loop_.HoldAt(StreamMark{7});
  std::thread t([this] { loop_.Loop(); });
  ASSERT_OK(loop_.WaitApplied(StreamMark{7}));
  // Between two steps the loop has applied exactly up to the hold.
  ASSERT_OK(loop_.BetweenSteps([&]() -> Status {
    EXPECT_EQ(applier_.Applied(), "1-7");
    return Status::OK();
  }));
  loop_.Release();
  Result<StreamMark> caught_up = loop_.CatchUp();
  ASSERT_OK(caught_up.status());
  EXPECT_EQ(caught_up->sequence, 10u);
  EXPECT_EQ(applier_.Applied(), "1-10");
  run_.RequestStop();
  t.join();
}

TEST_F(SyncLoopTest, WaitAppliedReturnsTheRunsErrorOrCancelled) {
  loop_.Freeze();
  Status waited;
  std::thread w([&] { waited = loop_.WaitApplied(StreamMark{3}); });
  run_.Fail(Status::IOError("disk full"));
  w.join();
  EXPECT_EQ(waited.code(), StatusCode::kIOError) << waited.ToString();

  migrate::Run stopped(nullptr, RunIdentity{}, RunState{});
  FakeChangeSource source(10);
  SyncLoop loop(&stopped, &source, &applier_, &mappers_);
  stopped.RequestStop();
  EXPECT_EQ(loop.WaitApplied(StreamMark{3}).code(), StatusCode::kCancelled);
}

}  // namespace
}  // namespace godwit::migrate
