#include "migrate/capturer.h"

#include <thread>

namespace godwit::migrate {
namespace {

constexpr auto kIdleWait = std::chrono::milliseconds(2);
constexpr auto kSyncEvery = std::chrono::milliseconds(20);
constexpr size_t kReadMax = 1000;

}  // namespace

Capturer::Capturer(Run* run, std::shared_ptr<Table> source)
    : run_(run), source_(std::move(source)) {}

Status Capturer::Open(bool on) {
  RunState s = run_->state();
  MutexLock lock(&mu_);
  // Bytes past the durable offset were never made durable by a checkpoint:
  // they are dropped, and captured again.
  ASSIGN_OR_RETURN(
      journal_, JournalWriter::Open(run_->id().journal_path, s.journal_offset));
  uint64_t durable = journal_->synced_offset();
  synced_.store(durable, std::memory_order_release);
  run_->Update([&](RunState& st) { st.journal_offset = durable; });
  last_sync_ = std::chrono::steady_clock::now();
  if (on) {
    ASSIGN_OR_RETURN(
        reader_, source_->OpenStream(StreamPosition::After(s.captured_seq)));
  }
  on_ = on;
  return Status::OK();
}

void Capturer::Loop() {
  while (!run_->stopping()) {
    bool idle = true;
    Status s = Step(&idle);
    if (!s.ok()) return run_->Fail(s.WithContext("capture"));
    if (idle) std::this_thread::sleep_for(kIdleWait);
  }
}

Status Capturer::Step(bool* idle) {
  MutexLock lock(&mu_);
  *idle = true;
  if (!on_) return Status::OK();
  std::vector<ChangeRecord> recs;
  RETURN_IF_ERROR(reader_->Read(kReadMax, &recs));
  for (const ChangeRecord& r : recs) RETURN_IF_ERROR(journal_->Append(r));
  unsynced_ += recs.size();
  *idle = recs.empty();
  // Sync when idle or every 20 ms: the journal's durability bounds how much
  // capture repeats after a crash, not correctness (the stream is pinned).
  if (unsynced_ > 0 &&
      (recs.empty() ||
       std::chrono::steady_clock::now() - last_sync_ > kSyncEvery)) {
    RETURN_IF_ERROR(SyncLocked());
  }
  return Status::OK();
}

Status Capturer::SyncLocked() {
  RETURN_IF_ERROR(journal_->Sync());
  last_sync_ = std::chrono::steady_clock::now();
  uint64_t offset = journal_->synced_offset();
  uint64_t n = unsynced_;
  unsynced_ = 0;
  bool reading = reader_ != nullptr;
  uint64_t seq = reading ? reader_->position() : 0;
  // The run state takes the durable offset and its positions BEFORE replay
  // may read up to it: a checkpoint never saves a replay offset past the
  // journal offset it is saved with (docs/model.md, mutant 6: a resume
  // truncates the journal to journal_offset and captures again, and with
  // several shards the records may come back in another order).
  run_->Update([&](RunState& s) {
    s.journal_offset = offset;
    s.captured += n;
    if (reading && n > 0) s.captured_seq = seq;
  });
  synced_.store(offset, std::memory_order_release);
  return Status::OK();
}

void Capturer::SetEnabled(bool on) {
  MutexLock lock(&mu_);
  on_ = on;
}

Status Capturer::ReopenAfter(const StreamMark& mark) {
  MutexLock lock(&mu_);
  if (unsynced_ > 0) RETURN_IF_ERROR(SyncLocked());
  ASSIGN_OR_RETURN(reader_,
                   source_->OpenStream(StreamPosition::After(mark.sequence)));
  return Status::OK();
}

Status Capturer::SyncNow() {
  MutexLock lock(&mu_);
  if (journal_ == nullptr) return Status::OK();
  return SyncLocked();
}

}  // namespace godwit::migrate
