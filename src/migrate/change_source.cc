#include "migrate/change_source.h"

#include "migrate/capturer.h"
#include "migrate/table_ops.h"

namespace godwit::migrate {

Result<StreamMark> LatestMark(Table* table) {
  ASSIGN_OR_RETURN(uint64_t seq, LatestSequence(table));
  return StreamMark{seq};
}

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
    if (hold && stash_->sequence > hold->sequence) break;
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

StreamMark JournalSource::AppliedMark() const {
  StreamMark m;
  run_->Read([&](const RunState& s) { m.sequence = s.replayed_seq; });
  return m;
}

Result<StreamMark> JournalSource::UpstreamLatest() {
  return LatestMark(source_.get());
}

bool JournalSource::Reached(const RunState& s, const StreamMark& mark) const {
  return s.phase != RunPhase::kBackfill && s.captured_seq >= mark.sequence &&
         s.replayed_seq >= mark.sequence;
}

uint64_t JournalSource::Behind(const RunState& s,
                               const StreamMark& latest) const {
  return latest.sequence > s.replayed_seq ? latest.sequence - s.replayed_seq
                                          : 0;
}

// ---------------------------------------------------------------- stream

TableStreamSource::TableStreamSource(Run* run, std::shared_ptr<Table> table)
    : run_(run), table_(std::move(table)) {}

Status TableStreamSource::Open(const StreamMark& after) {
  stash_.clear();
  ASSIGN_OR_RETURN(reader_,
                   table_->OpenStream(StreamPosition::After(after.sequence)));
  return Status::OK();
}

Status TableStreamSource::Read(size_t max,
                               const std::optional<StreamMark>& hold,
                               std::vector<ChangeRecord>* out) {
  if (stash_.empty()) {
    std::vector<ChangeRecord> recs;
    RETURN_IF_ERROR(reader_->Read(max, &recs));
    for (ChangeRecord& r : recs) stash_.push_back(std::move(r));
  }
  while (!stash_.empty() && out->size() < max &&
         (!hold || stash_.front().sequence <= hold->sequence)) {
    out->push_back(std::move(stash_.front()));
    stash_.pop_front();
  }
  return Status::OK();
}

void TableStreamSource::Applied(const std::vector<ChangeRecord>& batch) {
  if (batch.empty()) return;
  uint64_t seq = batch.back().sequence;
  run_->Update([&](RunState& s) { s.reverse_seq = seq; });
}

StreamMark TableStreamSource::AppliedMark() const {
  StreamMark m;
  run_->Read([&](const RunState& s) { m.sequence = s.reverse_seq; });
  return m;
}

Result<StreamMark> TableStreamSource::UpstreamLatest() {
  return LatestMark(table_.get());
}

bool TableStreamSource::Reached(const RunState& s,
                                const StreamMark& mark) const {
  return s.reverse_seq >= mark.sequence;
}

}  // namespace godwit::migrate

namespace godwit::migrate {

uint64_t TableStreamSource::Behind(const RunState& s,
                                   const StreamMark& latest) const {
  return latest.sequence > s.reverse_seq ? latest.sequence - s.reverse_seq : 0;
}

}  // namespace godwit::migrate
