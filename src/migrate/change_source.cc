#include "migrate/change_source.h"

#include "migrate/capturer.h"

namespace godwit::migrate {

// ---------------------------------------------------------------- journal

JournalSource::JournalSource(Run* run, const Capturer* capture,
                             std::shared_ptr<Table> source)
    : run_(run), capture_(capture), source_(std::move(source)) {}

Status JournalSource::Open() {
  uint64_t offset = 0;
  run_->Read([&](const RunState& s) { offset = s.replay_offset; });
  if (offset < kJournalHeaderSize) {
    offset = kJournalHeaderSize;
    run_->Update([&](RunState& s) { s.replay_offset = offset; });
  }
  ASSIGN_OR_RETURN(reader_,
                   JournalReader::Open(run_->id().journal_path, offset));
  batch_end_ = offset;
  return Status::OK();
}

Status JournalSource::Read(size_t max, const std::optional<StreamMark>& hold,
                           std::vector<ChangeRecord>* out) {
  // Only what the capturer has made durable.
  uint64_t limit = capture_->synced_offset();
  while (out->size() < max) {
    if (!stash_) {
      std::vector<ChangeRecord> recs;
      RETURN_IF_ERROR(reader_->Read(limit, 1, &recs));
      if (recs.empty()) break;
      stash_ = std::move(recs.front());
      stash_end_ = reader_->offset();
    }
    // Verify holds replay at Q: the record waits in the stash.
    if (hold && hold->Holds(*stash_)) break;
    out->push_back(std::move(*stash_));
    stash_.reset();
    batch_end_ = stash_end_;
  }
  return Status::OK();
}

void JournalSource::Applied(const std::vector<ChangeRecord>& batch) {
  if (batch.empty()) return;
  uint64_t end = batch_end_;
  uint64_t seq = batch.back().sequence;
  run_->Update([&](RunState& s) {
    s.replay_offset = end;
    s.replayed_seq = seq;
    s.replayed += batch.size();
  });
}

Result<StreamMark> JournalSource::HeadAfter(
    std::chrono::steady_clock::time_point after, bool live) {
  StreamMark m;
  const auto give_up = std::chrono::steady_clock::now() + kLiveHeadWait;
  RETURN_IF_ERROR(run_->WaitUntil([&](const RunState&) {
    auto d = capture_->record_delay();
    std::optional<CaptureMark> h = capture_->head();
    if (h && h->at > after + d) {
      m.progress = h->offset;
      return true;
    }
    if (!live || std::chrono::steady_clock::now() < give_up) return false;
    std::optional<CaptureMark> r = capture_->last_read();
    if (!r || r->at <= after + d + kLiveReadSlack) return false;
    m.progress = r->offset;
    return true;
  }));
  return m;
}

bool JournalSource::Reached(const RunState& s, const StreamMark& mark) const {
  if (s.phase == RunPhase::kBackfill) return false;
  if (mark.by_sequence) {
    return s.captured_seq >= mark.sequence && s.replayed_seq >= mark.sequence;
  }
  return s.replay_offset >= mark.progress;
}

uint64_t JournalSource::Behind(const RunState& s) const {
  return s.captured > s.replayed ? s.captured - s.replayed : 0;
}

// ---------------------------------------------------------------- stream

TableStreamSource::TableStreamSource(Run* run, std::shared_ptr<Table> table)
    : run_(run), table_(std::move(table)) {}

Status TableStreamSource::Open(const StreamStart& start) {
  ASSIGN_OR_RETURN(std::unique_ptr<ShardedStreamReader> r,
                   OpenShardedStream(table_.get(), start));
  OpenWith(std::move(r));
  return Status::OK();
}

void TableStreamSource::OpenWith(std::unique_ptr<ShardedStreamReader> reader) {
  stash_.clear();
  reader_ = std::move(reader);
  read_.store(0);
  applied_.store(0);
  delay_ms_.store(reader_->record_delay().count());
  {
    MutexLock lock(&mark_mu_);
    head_.reset();
    read_mark_.reset();
  }
  StreamCursor c = reader_->cursor();
  run_->Update([&](RunState& s) { s.reverse_cursor = std::move(c); });
}

Status TableStreamSource::Read(size_t max,
                               const std::optional<StreamMark>& hold,
                               std::vector<ChangeRecord>* out) {
  if (stash_.empty()) {
    std::vector<ChangeRecord> recs;
    ReadInfo info;
    RETURN_IF_ERROR(reader_->Read(max, &recs, nullptr, &info));
    uint64_t read = read_.load() + recs.size();
    read_.store(read);
    for (ChangeRecord& r : recs) stash_.push_back(std::move(r));
    {
      MutexLock lock(&mark_mu_);
      if (info.caught_up_to && (!head_ || head_->at < *info.caught_up_to)) {
        head_ = HeadMark{*info.caught_up_to, read};
      }
      if (!read_mark_ || read_mark_->at < info.started) {
        read_mark_ = HeadMark{info.started, read};
      }
    }
    run_->Notify();
  }
  while (!stash_.empty() && out->size() < max &&
         (!hold || !hold->Holds(stash_.front()))) {
    out->push_back(std::move(stash_.front()));
    stash_.pop_front();
  }
  return Status::OK();
}

void TableStreamSource::Applied(const std::vector<ChangeRecord>& batch) {
  if (batch.empty()) return;
  uint64_t seq = batch.back().sequence;
  applied_.fetch_add(batch.size());
  // Only with nothing read left unapplied is the reader's cursor durable.
  std::optional<StreamCursor> c;
  if (stash_.empty()) c = reader_->cursor();
  run_->Update([&](RunState& s) {
    s.reverse_seq = seq;
    if (c) s.reverse_cursor = std::move(*c);
  });
}

std::optional<HeadMark> TableStreamSource::head() const {
  MutexLock lock(&mark_mu_);
  return head_;
}

Result<StreamMark> TableStreamSource::HeadAfter(
    std::chrono::steady_clock::time_point after, bool live) {
  StreamMark m;
  std::chrono::milliseconds delay(delay_ms_.load());
  const auto give_up = std::chrono::steady_clock::now() + kLiveHeadWait;
  RETURN_IF_ERROR(run_->WaitUntil([&](const RunState&) {
    MutexLock lock(&mark_mu_);
    if (head_ && head_->at > after + delay) {
      m.progress = head_->progress;
      return true;
    }
    if (!live || std::chrono::steady_clock::now() < give_up) return false;
    if (!read_mark_ || read_mark_->at <= after + delay + kLiveReadSlack) {
      return false;
    }
    m.progress = read_mark_->progress;
    return true;
  }));
  return m;
}

bool TableStreamSource::Reached(const RunState& s,
                                const StreamMark& mark) const {
  if (mark.by_sequence) return s.reverse_seq >= mark.sequence;
  return applied_.load() >= mark.progress;
}

uint64_t TableStreamSource::Behind(const RunState&) const {
  uint64_t r = read_.load(), a = applied_.load();
  return r > a ? r - a : 0;
}

}  // namespace godwit::migrate
