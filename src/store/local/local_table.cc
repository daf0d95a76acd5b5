// LocalTable: items (get, the group-commit write path), queries and scans,
// snapshots and the table's description. See local_table.h.
#include "store/local/local_table.h"

namespace godwit::local {

Result<std::string> LocalTable::ResumeAfter(const std::string& page_token,
                                            const std::optional<Key>& start_key,
                                            TokenKind kind) const {
  if (!page_token.empty() && start_key) {
    return Status::InvalidArgument(
        "set at most one of page_token and exclusive_start_key");
  }
  if (start_key) {
    RETURN_IF_ERROR(ValidateKey(*start_key));
    return StorageKey(*start_key);
  }
  if (page_token.empty()) return std::string();
  return DecodePageToken(kind, page_token);
}

Status LocalTable::ValidateKey(const Key& key) const {
  if (key.range.has_value() != schema_.range.has_value()) {
    return Status::InvalidArgument(
        schema_.range ? "key needs the sort key \"" + schema_.range->name + "\""
                      : std::string("table has no sort key"));
  }
  Item item = KeyToItem(key, schema_);
  return ExtractKey(item, schema_).status();
}

Result<std::optional<Item>> LocalTable::DecodeOld(
    const std::optional<std::string>& v) {
  if (!v) return std::optional<Item>();
  ASSIGN_OR_RETURN(Item item, DecodeItem(*v));
  return std::optional<Item>(std::move(item));
}

Status LocalTable::ReadCurrent(const std::string& storage_key,
                               std::optional<std::string>* out) {
  rocksdb::PinnableSlice v;
  rocksdb::Status s =
      core_->db->Get(rocksdb::ReadOptions(), items_cf_, storage_key, &v);
  if (s.IsNotFound()) {
    out->reset();
    return Status::OK();
  }
  RETURN_IF_ERROR(FromRocks(s, "read " + name_));
  *out = v.ToString();
  return Status::OK();
}

Result<std::optional<Item>> LocalTable::Get(const Key& key) {
  RETURN_IF_ERROR(ValidateKey(key));
  std::shared_lock drop_lock(drop_mu_);
  if (dropped_) return NotFoundError();
  std::optional<std::string> v;
  RETURN_IF_ERROR(ReadCurrent(StorageKey(key), &v));
  return DecodeOld(v);
}

static Status ValidateCondition(const Condition& cond) {
  if (cond.kind == Condition::Kind::kAttributeEquals &&
      cond.attribute.empty()) {
    return Status::InvalidArgument("condition needs an attribute name");
  }
  return Status::OK();
}

// Evaluates `cond` on the current encoded item (nullopt: absent).
static Status EvaluateCondition(const Condition& cond,
                                const std::optional<std::string>& current) {
  switch (cond.kind) {
    case Condition::Kind::kNone:
      return Status::OK();
    case Condition::Kind::kExists:
      if (!current)
        return Status::Aborted("condition failed: item does not exist");
      return Status::OK();
    case Condition::Kind::kNotExists:
      if (current) return Status::Aborted("condition failed: item exists");
      return Status::OK();
    case Condition::Kind::kAttributeEquals: {
      if (!current) {
        return Status::Aborted("condition failed: item does not exist");
      }
      ASSIGN_OR_RETURN(Item item, DecodeItem(*current));
      const AttributeValue* v = item.Find(cond.attribute);
      if (v == nullptr || !(*v == cond.value)) {
        return Status::Aborted("condition failed: " + cond.attribute +
                               " is not " + DebugString(cond.value));
      }
      return Status::OK();
    }
  }
  return Status::Internal("unknown condition kind");
}

Result<std::optional<Item>> LocalTable::Put(const Item& item,
                                            const Condition& cond) {
  RETURN_IF_ERROR(ValidateItem(item, &schema_));
  RETURN_IF_ERROR(ValidateCondition(cond));
  ASSIGN_OR_RETURN(Key key, ExtractKey(item, schema_));
  if (core_->opts.fault_injector) {
    RETURN_IF_ERROR(core_->opts.fault_injector->BeforeWrite(name_, "Put"));
  }
  PendingWrite w;
  WriteOp& op = w.ops.emplace_back();
  op.put = true;
  op.storage_key = StorageKey(key);
  EncodeItem(item, &op.value);
  EncodeItem(KeyToItem(key, schema_), &op.keys);
  // The item, and its change record (both images at most).
  RETURN_IF_ERROR(core_->AdmitWrite(3 * op.value.size() + op.keys.size()));
  op.cond = &cond;
  RETURN_IF_ERROR(Commit(&w));
  RETURN_IF_ERROR(op.status);
  return DecodeOld(op.old_value);
}

Result<std::optional<Item>> LocalTable::Delete(const Key& key,
                                               const Condition& cond) {
  return DeleteAsService(key, cond, ChangeOrigin::kUser);
}

Result<std::optional<Item>> LocalTable::DeleteAsService(const Key& key,
                                                        const Condition& cond,
                                                        ChangeOrigin origin) {
  RETURN_IF_ERROR(ValidateKey(key));
  RETURN_IF_ERROR(ValidateCondition(cond));
  if (core_->opts.fault_injector) {
    RETURN_IF_ERROR(core_->opts.fault_injector->BeforeWrite(name_, "Delete"));
  }
  PendingWrite w;
  WriteOp& op = w.ops.emplace_back();
  op.put = false;
  op.origin = origin;
  op.storage_key = StorageKey(key);
  EncodeItem(KeyToItem(key, schema_), &op.keys);
  // A tombstone and a change record (with the old image, not known yet).
  RETURN_IF_ERROR(core_->AdmitWrite(4096 + 2 * op.keys.size()));
  op.cond = &cond;
  RETURN_IF_ERROR(Commit(&w));
  RETURN_IF_ERROR(op.status);
  return DecodeOld(op.old_value);
}

Result<BatchWriteResult> LocalTable::BatchWrite(
    std::vector<WriteRequest> requests) {
  if (requests.empty() || requests.size() > kMaxBatchWriteItems) {
    return Status::InvalidArgument(
        "BatchWrite takes 1 to " + std::to_string(kMaxBatchWriteItems) +
        " requests, got " + std::to_string(requests.size()));
  }
  PendingWrite w;
  w.ops.resize(requests.size());
  std::unordered_map<std::string_view, size_t> seen;
  for (size_t i = 0; i < requests.size(); ++i) {
    WriteRequest& r = requests[i];
    WriteOp& op = w.ops[i];
    Key key;
    if (r.kind == WriteRequest::Kind::kPut) {
      Status s = ValidateItem(r.item, &schema_);
      if (!s.ok()) return s.WithContext("request " + std::to_string(i));
      ASSIGN_OR_RETURN(key, ExtractKey(r.item, schema_));
      EncodeItem(r.item, &op.value);
    } else {
      Status s = ValidateKey(r.key);
      if (!s.ok()) return s.WithContext("request " + std::to_string(i));
      key = r.key;
      op.put = false;
    }
    op.storage_key = StorageKey(key);
    EncodeItem(KeyToItem(key, schema_), &op.keys);
    auto [it, inserted] = seen.emplace(op.storage_key, i);
    if (!inserted) {
      return Status::InvalidArgument("BatchWrite requests " +
                                     std::to_string(it->second) + " and " +
                                     std::to_string(i) + " have the same key");
    }
  }
  size_t bytes = 0;
  for (const WriteOp& op : w.ops) bytes += 3 * op.value.size() + op.keys.size();
  RETURN_IF_ERROR(core_->AdmitWrite(bytes));
  BatchWriteResult result;
  if (core_->opts.fault_injector) {
    FaultInjector& f = *core_->opts.fault_injector;
    RETURN_IF_ERROR(f.BeforeWrite(name_, "BatchWrite"));
    size_t skip =
        std::min(f.UnprocessedCount(name_, requests.size()), requests.size());
    for (size_t i = requests.size() - skip; i < requests.size(); ++i) {
      result.unprocessed.push_back(std::move(requests[i]));
    }
    w.ops.resize(requests.size() - skip);
  }
  if (!w.ops.empty()) RETURN_IF_ERROR(Commit(&w));
  return result;
}

Status LocalTable::Commit(PendingWrite* w) {
  if (core_->read_only) return core_->read_only_error;
  std::shared_lock drop_lock(drop_mu_);
  if (dropped_) return NotFoundError();
  std::unique_lock lock(mu_);
  writers_.push_back(w);
  while (!w->done && w != writers_.front()) w->cv.wait(lock);
  if (w->done) return w->status;

  // This thread leads: take a group from the front of the queue. A stream
  // change always commits alone.
  std::vector<PendingWrite*> group;
  size_t max_group = std::max<size_t>(1, core_->opts.max_group_writes);
  for (PendingWrite* p : writers_) {
    if (!group.empty() &&
        (p->set_stream || group[0]->set_stream || group.size() >= max_group)) {
      break;
    }
    group.push_back(p);
  }
  lock.unlock();
  Status s = group[0]->set_stream ? ApplyStreamChange(*group[0]->set_stream,
                                                      group[0]->set_view_type)
                                  : ApplyGroup(group);
  lock.lock();
  for (PendingWrite* p : group) {
    writers_.pop_front();
    p->status = s;
    p->done = true;
    // Notified under mu_: the waiter cannot return (and destroy *p) before
    // we release mu_.
    if (p != w) p->cv.notify_one();
  }
  if (!writers_.empty()) writers_.front()->cv.notify_one();
  return w->status;
}

Status LocalTable::ApplyGroup(const std::vector<PendingWrite*>& group) {
  rocksdb::WriteBatch batch;
  TableStats st = leader_stats_;
  const bool stream = stream_enabled_.load();
  const int64_t now = std::max(core_->Now(), st.last_time_micros);
  // The group's own writes, by storage key (nullptr: deleted). Points into
  // the ops, which outlive this call.
  std::unordered_map<std::string_view, const std::string*> overlay;
  std::string record;
  bool changed = false;
  for (PendingWrite* w : group) {
    for (WriteOp& op : w->ops) {
      std::optional<std::string> old;
      if (auto it = overlay.find(op.storage_key); it != overlay.end()) {
        if (it->second) old = *it->second;
      } else {
        RETURN_IF_ERROR(ReadCurrent(op.storage_key, &old));
      }
      if (op.cond) {
        op.status = EvaluateCondition(*op.cond, old);
        if (!op.status.ok()) continue;
      }
      ChangeType type;
      if (op.put) {
        // DynamoDB: a put of an identical item is no change and emits no
        // record.
        if (old && *old == op.value) {
          op.old_value = std::move(old);
          continue;
        }
        type = old ? ChangeType::kModify : ChangeType::kInsert;
        batch.Put(items_cf_, op.storage_key, op.value);
        st.size_bytes += op.value.size();
        if (old) {
          st.size_bytes -= old->size();
        } else {
          ++st.item_count;
        }
        overlay[op.storage_key] = &op.value;
      } else {
        if (!old) continue;  // deleting an absent key: no change
        type = ChangeType::kRemove;
        batch.Delete(items_cf_, op.storage_key);
        st.size_bytes -= old->size();
        --st.item_count;
        overlay[op.storage_key] = nullptr;
      }
      ++st.last_sequence;
      if (stream) {
        record.clear();
        EncodeChangeRecord(
            type, now, op.keys, old ? *old : std::string_view(),
            op.put ? std::string_view(op.value) : std::string_view(), &record,
            op.origin);
        batch.Put(stream_cf_, StreamKey(st.last_sequence), record);
        st.stream_bytes += record.size();
      }
      op.old_value = std::move(old);
      changed = true;
    }
  }
  if (!changed) return Status::OK();
  st.last_time_micros = now;
  batch.Put(core_->catalog, StatsKey(id_), EncodeStats(st));
  // WARNING: if Write fails after the WAL append (e.g. the fsync failed),
  // the group may still be recovered on the next open although every writer
  // of it got an error; RocksDB stops accepting writes after such an error.
  RETURN_IF_ERROR(FromRocks(core_->db->Write(core_->write_options, &batch),
                            "write " + name_));
  leader_stats_ = st;
  {
    std::lock_guard l(stats_mu_);
    published_stats_ = st;
  }
  last_sequence_.store(st.last_sequence, std::memory_order_release);
  return Status::OK();
}

Result<Page> LocalTable::Query(const QueryOptions& opts) {
  if (opts.limit == 0) return Status::InvalidArgument("limit must be >= 1");
  if (!opts.hash.is(schema_.hash.type)) {
    return Status::InvalidArgument(
        "partition key " + schema_.hash.name + " must be of type " +
        std::string(AttrTypeName(schema_.hash.type)));
  }
  {
    // The partition key value must be a valid key (non-empty, not too long).
    Item item;
    item.Set(schema_.hash.name, opts.hash);
    RETURN_IF_ERROR(
        ExtractKey(item, KeySchema{schema_.hash, std::nullopt}).status());
  }
  const std::string prefix = PartitionPrefix(opts.hash);
  std::string lo = prefix;
  std::string hi = PrefixSuccessor(prefix);
  const RangeCondition& rc = opts.range;
  if (rc.op != RangeCondition::Op::kNone) {
    if (!schema_.range) {
      return Status::InvalidArgument("table " + name_ + " has no sort key");
    }
    AttrType t = schema_.range->type;
    auto check = [&](const AttributeValue& v) -> Status {
      if (!v.is(t)) {
        return Status::InvalidArgument(
            "sort key condition on " + schema_.range->name +
            " needs a value of type " + std::string(AttrTypeName(t)));
      }
      return Status::OK();
    };
    RETURN_IF_ERROR(check(rc.a));
    std::string va = prefix;
    AppendOrderedKeyBytes(rc.a, &va);
    using Op = RangeCondition::Op;
    switch (rc.op) {
      case Op::kEq:
        lo = va;
        hi = va + '\0';
        break;
      case Op::kLt:
        hi = va;
        break;
      case Op::kLe:
        hi = va + '\0';
        break;
      case Op::kGt:
        lo = va + '\0';
        break;
      case Op::kGe:
        lo = va;
        break;
      case Op::kBetween: {
        RETURN_IF_ERROR(check(rc.b));
        std::string vb = prefix;
        AppendOrderedKeyBytes(rc.b, &vb);
        if (va > vb) {
          return Status::InvalidArgument(
              "BETWEEN bounds are in the wrong order: " + DebugString(rc.a) +
              " > " + DebugString(rc.b));
        }
        lo = va;
        hi = vb + '\0';
        break;
      }
      case Op::kBeginsWith: {
        if (t == AttrType::kN) {
          return Status::InvalidArgument(
              "begins_with needs a sort key of type S or B");
        }
        // Ordered S/B bytes are the escaped bytes followed by 00 00; an
        // escaped prefix of the value is a prefix of the encoding.
        if (va.size() < prefix.size() + 2 || va[va.size() - 1] != '\0' ||
            va[va.size() - 2] != '\0') {
          return Status::Internal("unexpected ordered key encoding");
        }
        va.resize(va.size() - 2);
        lo = va;
        hi = PrefixSuccessor(va);
        break;
      }
      case Op::kNone:
        break;
    }
  }
  ASSIGN_OR_RETURN(std::string last,
                   ResumeAfter(opts.page_token, opts.exclusive_start_key,
                               TokenKind::kQuery));
  if (!last.empty()) {
    if (last.compare(0, prefix.size(), prefix) != 0) {
      return Status::InvalidArgument(
          "the start key does not belong to this partition key");
    }
    if (opts.forward) {
      lo = std::max(lo, last + '\0');
    } else {
      hi = std::min(hi, last);
    }
  }
  Page page;
  if (lo >= hi) return page;

  std::shared_lock drop_lock(drop_mu_);
  if (dropped_) return NotFoundError();
  rocksdb::Slice lo_slice(lo), hi_slice(hi);
  rocksdb::ReadOptions ro;
  ro.iterate_lower_bound = &lo_slice;
  ro.iterate_upper_bound = &hi_slice;
  std::unique_ptr<rocksdb::Iterator> it(core_->db->NewIterator(ro, items_cf_));
  if (opts.forward) {
    it->Seek(lo_slice);
  } else {
    it->SeekToLast();
  }
  std::string last_key;
  size_t page_bytes = 0;
  while (it->Valid() && page.items.size() < opts.limit &&
         page_bytes < kMaxPageBytes) {
    page_bytes += it->value().size();
    ASSIGN_OR_RETURN(Item item, DecodeItem(it->value().ToStringView()));
    page.items.push_back(std::move(item));
    last_key = it->key().ToString();
    if (opts.forward) {
      it->Next();
    } else {
      it->Prev();
    }
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "query " + name_));
  if (it->Valid()) {
    page.next_page_token = EncodePageToken(TokenKind::kQuery, last_key);
  }
  return page;
}

Result<Page> LocalTable::Scan(const ScanOptions& opts) {
  if (opts.total_segments < 1 || opts.total_segments > 1000000) {
    return Status::InvalidArgument("total_segments must be 1 to 1000000");
  }
  if (opts.segment < 0 || opts.segment >= opts.total_segments) {
    return Status::InvalidArgument("segment must be in [0, total_segments)");
  }
  if (opts.limit == 0) return Status::InvalidArgument("limit must be >= 1");
  const rocksdb::Snapshot* snap = nullptr;
  if (opts.snapshot != nullptr) {
    auto* ls = dynamic_cast<const LocalSnapshot*>(opts.snapshot);
    if (ls == nullptr || ls->table() != this) {
      return Status::InvalidArgument("snapshot is not of table " + name_);
    }
    snap = ls->rocks();
  }
  HashRange range = SegmentRange(opts.segment, opts.total_segments);
  std::string lo, hi;
  PutFixed64BE(range.lo, &lo);
  if (!range.hi_unbounded) PutFixed64BE(range.hi, &hi);
  ASSIGN_OR_RETURN(
      std::string last,
      ResumeAfter(opts.page_token, opts.exclusive_start_key, TokenKind::kScan));
  if (!last.empty()) {
    if (last.size() < 8 || last < lo || (!hi.empty() && last >= hi)) {
      return Status::InvalidArgument(
          "the start key does not belong to segment " +
          std::to_string(opts.segment) + " of " +
          std::to_string(opts.total_segments));
    }
    lo = last + '\0';
  }
  std::shared_lock drop_lock(drop_mu_);
  if (dropped_) return NotFoundError();
  rocksdb::Slice lo_slice(lo), hi_slice(hi);
  rocksdb::ReadOptions ro;
  ro.snapshot = snap;
  ro.iterate_lower_bound = &lo_slice;
  if (!hi.empty()) ro.iterate_upper_bound = &hi_slice;
  std::unique_ptr<rocksdb::Iterator> it(core_->db->NewIterator(ro, items_cf_));
  Page page;
  std::string last_key;
  size_t page_bytes = 0;
  for (it->Seek(lo_slice); it->Valid() && page.items.size() < opts.limit &&
                           page_bytes < kMaxPageBytes;
       it->Next()) {
    page_bytes += it->value().size();
    ASSIGN_OR_RETURN(Item item, DecodeItem(it->value().ToStringView()));
    page.items.push_back(std::move(item));
    last_key = it->key().ToString();
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "scan " + name_));
  if (it->Valid()) {
    page.next_page_token = EncodePageToken(TokenKind::kScan, last_key);
  }
  return page;
}

Result<std::unique_ptr<Snapshot>> LocalTable::GetSnapshot() {
  std::shared_lock drop_lock(drop_mu_);
  if (dropped_) return NotFoundError();
  const rocksdb::Snapshot* snap = core_->db->GetSnapshot();
  // The stats record is written in the same batch as every change, so read
  // at the snapshot it names exactly the last sequence the snapshot holds.
  rocksdb::ReadOptions ro;
  ro.snapshot = snap;
  std::string v;
  rocksdb::Status s = core_->db->Get(ro, core_->catalog, StatsKey(id_), &v);
  Result<TableStats> stats = Status::Internal("unset");
  if (s.ok()) {
    stats = DecodeStats(v);
  } else {
    stats = FromRocks(s, "snapshot of " + name_);
  }
  if (!stats.ok()) {
    core_->db->ReleaseSnapshot(snap);
    return stats.status();
  }
  return std::unique_ptr<Snapshot>(
      new LocalSnapshot(core_, this, snap, stats->last_sequence));
}

Result<TableDescription> LocalTable::Describe() {
  std::shared_lock drop_lock(drop_mu_);
  if (dropped_) return NotFoundError();
  TableDescription d;
  d.name = name_;
  d.key_schema = schema_;
  {
    std::lock_guard l(stats_mu_);
    d.item_count = published_stats_.item_count;
    d.size_bytes = published_stats_.size_bytes;
    d.latest_sequence = published_stats_.last_sequence;
    d.stream_enabled = meta_.stream_enabled;
    d.stream_view_type = meta_.stream_view_type;
    d.created_micros = meta_.created_micros;
  }
  d.stream_first_sequence = first_sequence_.load();
  return d;
}

}  // namespace godwit::local
