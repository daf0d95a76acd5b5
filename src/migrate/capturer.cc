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

Status Capturer::Open(bool on, std::unique_ptr<ShardedStreamReader> p0_reader) {
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
    if (p0_reader != nullptr) {
      reader_ = std::move(p0_reader);
    } else {
      ASSIGN_OR_RETURN(reader_,
                       OpenShardedStream(source_.get(),
                                         StreamStart::From(s.capture_cursor)));
    }
    delay_ms_.store(reader_->record_delay().count(), std::memory_order_release);
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
  std::vector<RecordOrigin> origins;
  ReadInfo info;
  RETURN_IF_ERROR(reader_->Read(kReadMax, &recs, &origins, &info));
  for (size_t i = 0; i < recs.size(); ++i) {
    RETURN_IF_ERROR(
        journal_->Append(recs[i], i < origins.size() ? &origins[i] : nullptr));
  }
  unsynced_ += recs.size();
  *idle = recs.empty();
  if (info.caught_up_to &&
      (!pending_head_ || *pending_head_ < *info.caught_up_to)) {
    pending_head_ = info.caught_up_to;
  }
  pending_read_ = info.started;
  // Sync when idle or every 20 ms: the journal's durability bounds how much
  // capture repeats after a crash, not correctness (the stream is pinned).
  if (unsynced_ > 0 &&
      (recs.empty() ||
       std::chrono::steady_clock::now() - last_sync_ > kSyncEvery)) {
    RETURN_IF_ERROR(SyncLocked());
  } else if (unsynced_ == 0 && pending_read_) {
    // Everything returned so far is durable already.
    Publish(pending_head_, *pending_read_, journal_->synced_offset());
    pending_head_.reset();
    pending_read_.reset();
  }
  return Status::OK();
}

void Capturer::Publish(
    std::optional<std::chrono::steady_clock::time_point> head,
    std::chrono::steady_clock::time_point read, uint64_t offset) {
  {
    MutexLock lock(&mark_mu_);
    if (head && (!head_ || head_->at < *head)) {
      head_ = CaptureMark{*head, offset};
    }
    if (!read_ || read_->at < read) read_ = CaptureMark{read, offset};
  }
  run_->Notify();
}

std::optional<CaptureMark> Capturer::last_read() const {
  MutexLock lock(&mark_mu_);
  return read_;
}

std::optional<CaptureMark> Capturer::head() const {
  MutexLock lock(&mark_mu_);
  return head_;
}

Status Capturer::SyncLocked() {
  RETURN_IF_ERROR(journal_->Sync());
  last_sync_ = std::chrono::steady_clock::now();
  uint64_t offset = journal_->synced_offset();
  uint64_t n = unsynced_;
  unsynced_ = 0;
  bool reading = reader_ != nullptr;
  uint64_t seq = reading ? reader_->position() : 0;
  // The cursor of exactly the records now in the journal up to `offset`:
  // every record the reader returned has been appended and synced.
  StreamCursor cursor;
  if (reading) cursor = reader_->cursor();
  // The run state takes the durable offset and its positions BEFORE replay
  // may read up to it: a checkpoint never saves a replay offset past the
  // journal offset it is saved with (docs/model.md, mutant 6: a resume
  // truncates the journal to journal_offset and captures again, and with
  // several shards the records may come back in another order).
  run_->Update([&](RunState& s) {
    s.journal_offset = offset;
    if (reading) s.capture_cursor = std::move(cursor);
    s.captured += n;
    if (reading && n > 0) s.captured_seq = seq;
  });
  synced_.store(offset, std::memory_order_release);
  if (pending_read_) {
    Publish(pending_head_, *pending_read_, offset);
    pending_head_.reset();
    pending_read_.reset();
  }
  return Status::OK();
}

void Capturer::SetEnabled(bool on) {
  MutexLock lock(&mu_);
  on_ = on;
}

Status Capturer::Reopen(const StreamStart& start) {
  MutexLock lock(&mu_);
  if (unsynced_ > 0) RETURN_IF_ERROR(SyncLocked());
  ASSIGN_OR_RETURN(std::unique_ptr<ShardedStreamReader> r,
                   OpenShardedStream(source_.get(), start));
  reader_ = std::move(r);
  delay_ms_.store(reader_->record_delay().count(), std::memory_order_release);
  pending_head_.reset();
  pending_read_.reset();
  {
    // Marks of the old reader say nothing about the new one.
    MutexLock mark(&mark_mu_);
    head_.reset();
    read_.reset();
  }
  StreamCursor cursor = reader_->cursor();
  run_->Update([&](RunState& s) { s.capture_cursor = std::move(cursor); });
  return Status::OK();
}

Status Capturer::SyncNow() {
  MutexLock lock(&mu_);
  if (journal_ == nullptr) return Status::OK();
  return SyncLocked();
}

}  // namespace godwit::migrate
