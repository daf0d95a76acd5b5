#include "migrate/sync_loop.h"

#include <chrono>
#include <thread>

namespace godwit::migrate {
namespace {

constexpr auto kIdleWait = std::chrono::milliseconds(2);
constexpr size_t kBatch = 256;

}  // namespace

SyncLoop::SyncLoop(Run* run, ChangeSource* source, Applier* applier,
                   MapperFactory* mappers)
    : run_(run), source_(source), applier_(applier), mappers_(mappers) {}

void SyncLoop::Loop() {
  Result<std::unique_ptr<ItemMapper>> mapper = mappers_->NewMapper();
  if (!mapper.ok()) return run_->Fail(mapper.status());
  while (!run_->stopping()) {
    bool idle = true;
    Status s = Step(mapper->get(), &idle);
    if (!s.ok()) {
      return run_->Fail(s.WithContext(std::string(source_->name())));
    }
    if (idle) std::this_thread::sleep_for(kIdleWait);
  }
}

Status SyncLoop::Step(ItemMapper* mapper, bool* idle) {
  MutexLock lock(&mu_);
  *idle = true;
  if (!on_ || run_->paused()) return Status::OK();
  std::vector<ChangeRecord> batch;
  RETURN_IF_ERROR(source_->Read(kBatch, hold_, &batch));
  if (batch.empty()) return Status::OK();
  *idle = false;
  RETURN_IF_ERROR(applier_->Apply(mapper, batch));
  // Past the batch only now that all of it is applied.
  source_->Applied(batch);
  run_->Notify();
  return Status::OK();
}

void SyncLoop::SetEnabled(bool on) {
  MutexLock lock(&mu_);
  on_ = on;
}

bool SyncLoop::enabled() const {
  MutexLock lock(&mu_);
  return on_;
}

void SyncLoop::Freeze() {
  MutexLock lock(&mu_);
  hold_ = source_->AppliedMark();
}

void SyncLoop::HoldAt(const StreamMark& mark) {
  MutexLock lock(&mu_);
  hold_ = mark;
}

void SyncLoop::Release() {
  MutexLock lock(&mu_);
  hold_.reset();
}

Status SyncLoop::WaitApplied(const StreamMark& mark) {
  return run_->WaitUntil(
      [&](const RunState& s) { return source_->Reached(s, mark); });
}

Result<StreamMark> SyncLoop::CatchUp() {
  ASSIGN_OR_RETURN(StreamMark latest, source_->UpstreamLatest());
  RETURN_IF_ERROR(WaitApplied(latest));
  return latest;
}

Status SyncLoop::DrainUntilBehind(uint64_t small) {
  for (int round = 0; round < 50; ++round) {
    RETURN_IF_ERROR(CatchUp().status());
    ASSIGN_OR_RETURN(uint64_t lag, Lag());
    if (lag <= small) break;
  }
  return Status::OK();
}

Result<uint64_t> SyncLoop::Lag() {
  ASSIGN_OR_RETURN(StreamMark latest, source_->UpstreamLatest());
  uint64_t lag = 0;
  run_->Read([&](const RunState& s) { lag = source_->Behind(s, latest); });
  return lag;
}

Status SyncLoop::BetweenSteps(const std::function<Status()>& fn) {
  MutexLock lock(&mu_);
  return fn();
}

}  // namespace godwit::migrate
