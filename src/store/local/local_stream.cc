// LocalTable: its change stream (turning it on and off, readers,
// consumers and their positions), retention, drop and flush. See local_table.h.
#include "store/local/local_table.h"

namespace godwit::local {

Status LocalTable::ApplyStreamChange(bool enabled,
                                     std::optional<StreamViewType> view) {
  std::lock_guard trim_lock(trim_mu_);
  TableMeta meta;
  {
    std::lock_guard l(stats_mu_);
    meta = meta_;
  }
  if (!enabled) view.reset();  // turning off keeps the type
  if (meta.stream_enabled == enabled &&
      (!view || *view == meta.stream_view_type)) {
    return Status::OK();
  }
  // An enabled stream whose view type alone changes keeps its records.
  const bool new_stream = enabled && !meta.stream_enabled;
  meta.stream_enabled = enabled;
  if (view) meta.stream_view_type = *view;
  rocksdb::WriteBatch batch;
  batch.Put(core_->catalog, TableMetaKey(name_), EncodeTableMeta(meta));
  StreamHorizon h = horizon_;
  if (new_stream) {
    // WARNING: a new stream. The records kept from before are discarded:
    // changes made while the stream was off have no record, so a reader of
    // the old stream must not continue into the new one (it gets DataLoss).
    h.first_sequence = leader_stats_.last_sequence + 1;
    h.trimmed_bytes = leader_stats_.stream_bytes;
    if (h.first_sequence > horizon_.first_sequence) {
      batch.DeleteRange(stream_cf_, StreamKey(horizon_.first_sequence),
                        StreamKey(h.first_sequence));
    }
    batch.Put(core_->catalog, HorizonKey(id_), EncodeHorizon(h));
  }
  RETURN_IF_ERROR(FromRocks(core_->db->Write(core_->write_options, &batch),
                            "update stream of " + name_));
  horizon_ = h;
  first_sequence_.store(h.first_sequence);
  {
    std::lock_guard l(stats_mu_);
    meta_ = meta;
  }
  stream_enabled_.store(enabled);
  return Status::OK();
}

Status LocalTable::SetStreamEnabled(bool enabled,
                                    std::optional<StreamViewType> view) {
  PendingWrite w;
  w.set_stream = enabled;
  w.set_view_type = view;
  return Commit(&w);
}

Result<std::unique_ptr<StreamReader>> LocalTable::OpenStream(
    const StreamPosition& pos) {
  std::shared_lock drop_lock(drop_mu_);
  if (dropped_) return NotFoundError();
  if (!stream_enabled_.load()) {
    return Status::FailedPrecondition("table " + name_ +
                                      " has no change stream");
  }
  uint64_t first = first_sequence_.load();
  uint64_t last = last_sequence_.load(std::memory_order_acquire);
  uint64_t position = 0;  // the last sequence "already read"
  switch (pos.kind) {
    case StreamPosition::Kind::kTrimHorizon:
      position = first - 1;
      break;
    case StreamPosition::Kind::kLatest:
      position = last;
      break;
    case StreamPosition::Kind::kAt:
      if (pos.sequence == 0) {
        return Status::InvalidArgument("sequences start at 1");
      }
      if (pos.sequence < first) return TrimmedError(pos.sequence, first);
      if (pos.sequence > last + 1) {
        return Status::OutOfRange("sequence " + std::to_string(pos.sequence) +
                                  " is past the end of the stream (latest " +
                                  std::to_string(last) + ")");
      }
      position = pos.sequence - 1;
      break;
    case StreamPosition::Kind::kAfter:
      if (pos.sequence + 1 < first)
        return TrimmedError(pos.sequence + 1, first);
      if (pos.sequence > last) {
        return Status::OutOfRange("sequence " + std::to_string(pos.sequence) +
                                  " is past the end of the stream (latest " +
                                  std::to_string(last) + ")");
      }
      position = pos.sequence;
      break;
  }
  return std::unique_ptr<StreamReader>(
      new LocalStreamReader(shared_from_this(), position));
}

Status LocalTable::ReadStream(uint64_t* position, size_t max,
                              std::vector<ChangeRecord>* out) {
  std::shared_lock drop_lock(drop_mu_);
  if (dropped_) return NotFoundError();
  uint64_t next = *position + 1;
  if (uint64_t first = first_sequence_.load(); next < first) {
    return TrimmedError(next, first);
  }
  if (max == 0) return Status::OK();
  std::string start = StreamKey(next);
  rocksdb::ReadOptions ro;
  std::unique_ptr<rocksdb::Iterator> it(core_->db->NewIterator(ro, stream_cf_));
  size_t n = 0;
  for (it->Seek(start); it->Valid() && n < max; it->Next(), ++n) {
    ASSIGN_OR_RETURN(uint64_t seq, ParseStreamKey(it->key().ToStringView()));
    if (seq != next) {
      // The records before `seq` are gone: trimmed while we looked.
      if (uint64_t first = first_sequence_.load(); next < first) {
        return TrimmedError(next, first);
      }
      return Status::DataLoss("stream of " + name_ + " has a gap: expected " +
                              std::to_string(next) + ", found " +
                              std::to_string(seq));
    }
    ASSIGN_OR_RETURN(ChangeRecord r,
                     DecodeChangeRecord(seq, it->value().ToStringView()));
    out->push_back(std::move(r));
    *position = next++;
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "read stream of " + name_));
  if (n == 0) {
    if (uint64_t first = first_sequence_.load(); next < first) {
      return TrimmedError(next, first);
    }
  }
  return Status::OK();
}

Status LocalTable::CheckConsumerPosition(uint64_t position) {
  if (position + 1 < horizon_.first_sequence) {
    return TrimmedError(position + 1, horizon_.first_sequence);
  }
  uint64_t last = last_sequence_.load(std::memory_order_acquire);
  if (position > last) {
    return Status::OutOfRange("consumer position " + std::to_string(position) +
                              " is past the latest sequence " +
                              std::to_string(last));
  }
  return Status::OK();
}

Status LocalTable::RegisterStreamConsumer(const std::string& name,
                                          uint64_t position) {
  RETURN_IF_ERROR(ValidateConsumerName(name));
  if (core_->read_only) return core_->read_only_error;
  std::shared_lock drop_lock(drop_mu_);
  if (dropped_) return NotFoundError();
  if (!stream_enabled_.load()) {
    return Status::FailedPrecondition("table " + name_ +
                                      " has no change stream");
  }
  std::lock_guard l(trim_mu_);
  if (consumers_.count(name)) {
    return Status::AlreadyExists("stream consumer " + name + " of " + name_ +
                                 " exists");
  }
  RETURN_IF_ERROR(CheckConsumerPosition(position));
  RETURN_IF_ERROR(
      FromRocks(core_->db->Put(core_->write_options, core_->catalog,
                               ConsumerKey(id_, name), EncodeU64(position)),
                "register consumer"));
  consumers_[name] = position;
  return Status::OK();
}

Status LocalTable::AckStreamConsumer(const std::string& name,
                                     uint64_t position) {
  if (core_->read_only) return core_->read_only_error;
  std::shared_lock drop_lock(drop_mu_);
  if (dropped_) return NotFoundError();
  std::lock_guard l(trim_mu_);
  auto it = consumers_.find(name);
  if (it == consumers_.end()) {
    return Status::NotFound("stream consumer " + name + " of " + name_);
  }
  RETURN_IF_ERROR(CheckConsumerPosition(position));
  RETURN_IF_ERROR(
      FromRocks(core_->db->Put(core_->write_options, core_->catalog,
                               ConsumerKey(id_, name), EncodeU64(position)),
                "acknowledge consumer"));
  it->second = position;
  return Status::OK();
}

Status LocalTable::DropStreamConsumer(const std::string& name) {
  if (core_->read_only) return core_->read_only_error;
  std::shared_lock drop_lock(drop_mu_);
  if (dropped_) return NotFoundError();
  std::lock_guard l(trim_mu_);
  auto it = consumers_.find(name);
  if (it == consumers_.end()) {
    return Status::NotFound("stream consumer " + name + " of " + name_);
  }
  RETURN_IF_ERROR(
      FromRocks(core_->db->Delete(core_->write_options, core_->catalog,
                                  ConsumerKey(id_, name)),
                "drop consumer"));
  consumers_.erase(it);
  return Status::OK();
}

Result<std::vector<StreamConsumer>> LocalTable::ListStreamConsumers() {
  std::shared_lock drop_lock(drop_mu_);
  if (dropped_) return NotFoundError();
  std::lock_guard l(trim_mu_);
  std::vector<StreamConsumer> out;
  for (const auto& [n, p] : consumers_) out.push_back({n, p});
  return out;
}

Status LocalTable::ApplyRetention(int64_t now) {
  const int64_t max_age = core_->opts.stream_retention_micros;
  const uint64_t max_bytes = core_->opts.stream_retention_bytes;
  if (max_age <= 0 && max_bytes == 0) return Status::OK();
  if (core_->read_only) return Status::OK();  // trimmed once writable
  std::shared_lock drop_lock(drop_mu_);
  if (dropped_) return Status::OK();
  std::lock_guard l(trim_mu_);
  const uint64_t first = horizon_.first_sequence;
  uint64_t limit = last_sequence_.load(std::memory_order_acquire);
  for (const auto& [n, p] : consumers_) limit = std::min(limit, p);
  if (limit < first) return Status::OK();
  uint64_t written;
  {
    std::lock_guard sl(stats_mu_);
    written = published_stats_.stream_bytes;
  }
  const uint64_t live = written - horizon_.trimmed_bytes;
  std::string lo = StreamKey(first), hi = StreamKey(limit + 1);
  rocksdb::Slice hi_slice(hi);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &hi_slice;
  std::unique_ptr<rocksdb::Iterator> it(core_->db->NewIterator(ro, stream_cf_));
  uint64_t cut = first;
  uint64_t bytes = 0;
  for (it->Seek(lo); it->Valid(); it->Next()) {
    ASSIGN_OR_RETURN(uint64_t seq, ParseStreamKey(it->key().ToStringView()));
    if (seq != cut) break;  // never trim past a gap
    ASSIGN_OR_RETURN(int64_t t,
                     DecodeChangeRecordTime(it->value().ToStringView()));
    bool too_old = max_age > 0 && t < now - max_age;
    bool too_big = max_bytes > 0 && live - bytes > max_bytes;
    if (!too_old && !too_big) break;
    bytes += it->value().size();
    cut = seq + 1;
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "retention of " + name_));
  it.reset();
  if (cut == first) return Status::OK();
  StreamHorizon h{cut, horizon_.trimmed_bytes + bytes};
  rocksdb::WriteBatch batch;
  batch.DeleteRange(stream_cf_, lo, StreamKey(cut));
  batch.Put(core_->catalog, HorizonKey(id_), EncodeHorizon(h));
  RETURN_IF_ERROR(FromRocks(core_->db->Write(core_->write_options, &batch),
                            "retention of " + name_));
  horizon_ = h;
  first_sequence_.store(cut);
  return Status::OK();
}

Status LocalTable::Drop() {
  if (core_->read_only) return core_->read_only_error;
  std::unique_lock drop_lock(drop_mu_);
  if (dropped_) return NotFoundError();
  rocksdb::WriteBatch batch;
  batch.Delete(core_->catalog, TableMetaKey(name_));
  batch.Delete(core_->catalog, StatsKey(id_));
  batch.Delete(core_->catalog, HorizonKey(id_));
  {
    std::lock_guard l(trim_mu_);
    for (const auto& [n, p] : consumers_) {
      batch.Delete(core_->catalog, ConsumerKey(id_, n));
    }
  }
  // The catalog goes first: a crash before the column families are dropped
  // leaves orphans, which the next open drops.
  RETURN_IF_ERROR(FromRocks(core_->db->Write(core_->write_options, &batch),
                            "drop " + name_));
  dropped_ = true;
  RETURN_IF_ERROR(FromRocks(core_->db->DropColumnFamily(items_cf_),
                            "drop items of " + name_));
  RETURN_IF_ERROR(FromRocks(core_->db->DropColumnFamily(stream_cf_),
                            "drop stream of " + name_));
  return Status::OK();
}

Status LocalTable::Flush() {
  std::shared_lock drop_lock(drop_mu_);
  if (dropped_ || core_->read_only) return Status::OK();
  rocksdb::FlushOptions fo;
  return FromRocks(core_->db->Flush(fo, {items_cf_, stream_cf_}),
                   "flush " + name_);
}

}  // namespace godwit::local
