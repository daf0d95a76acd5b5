// The local store: tables and change streams in one RocksDB database.
//
// Byte formats: see the grammar at the top of format.cc.
//
// Write path (per table; see docs/formats/storage.md, "Commit protocol"):
//   writer threads   validate, encode the item, the key item and the
//                    storage key (outside any lock), then queue a
//                    PendingWrite on the table
//   the leader       the writer at the front of the queue takes up to
//                    max_group_writes queued writes, reads each old image
//                    (from the group's overlay, else RocksDB), checks
//                    conditions, assigns the next sequences, and puts items,
//                    change records and the table's stats record in ONE
//                    WriteBatch, written with one (fsync'ed) WAL append;
//                    then it wakes the group and hands leadership on.
// Only the leader of a table reads old images and writes, so conditional
// writes are atomic, sequences are dense and in commit order, and since each
// group becomes visible atomically after the previous one, every RocksDB
// view of a stream is a prefix: no reader sees n+1 before n, also across a
// crash (a WriteBatch is recovered whole or not at all).
#include "godwit/local_store.h"

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/sst_file_manager.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <thread>
#include <unordered_map>

#include "godwit/codec.h"
#include "store/local/disk_space.h"
#include "store/local/format.h"
#include "store/local/info_log.h"
#include "store/local/rocks_status.h"

namespace godwit {
namespace local {
namespace {

int64_t SystemMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// State shared by the store, its tables, snapshots and stream readers: the
// last of them to go closes the database.
struct Core {
  LocalStoreOptions opts;
  std::unique_ptr<rocksdb::DB> db;
  rocksdb::ColumnFamilyHandle* catalog = nullptr;  // "default"; owned here
  rocksdb::ColumnFamilyOptions cf_options;
  rocksdb::WriteOptions write_options;
  // Set when the disk was too full to open the database for writing: every
  // write gets read_only_error.
  bool read_only = false;
  Status read_only_error;
  rocksdb::FileLock* read_only_lock = nullptr;  // LOCK, held when read_only
  std::unique_ptr<DiskSpaceGuard> space;

  int64_t Now() const { return opts.clock ? opts.clock() : SystemMicros(); }

  // OK, or why a write of about `bytes` is refused now (Unavailable).
  Status AdmitWrite(size_t bytes) {
    if (read_only) return read_only_error;
    return space ? space->Admit(bytes) : Status::OK();
  }

  ~Core() {
    if (db) {
      if (catalog) db->DestroyColumnFamilyHandle(catalog);
      db->Close().PermitUncheckedError();
    }
    if (read_only_lock != nullptr) {
      rocksdb::Env::Default()
          ->UnlockFile(read_only_lock)
          .PermitUncheckedError();
    }
  }
};

Status ValidateTableName(const std::string& name) {
  if (name.size() < 3 || name.size() > 255) {
    return Status::InvalidArgument(
        "table name must be 3 to 255 characters: \"" + name + "\"");
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    if (!ok) {
      return Status::InvalidArgument(
          "table name may only contain a-z A-Z 0-9 _ . -: \"" + name + "\"");
    }
  }
  return Status::OK();
}

Status ValidateKeyAttribute(const KeyAttribute& a, std::string_view role) {
  if (a.name.empty() || a.name.size() > 255) {
    return Status::InvalidArgument(std::string(role) +
                                   " key name must be 1 to 255 bytes");
  }
  if (a.type != AttrType::kS && a.type != AttrType::kN &&
      a.type != AttrType::kB) {
    return Status::InvalidArgument(std::string(role) + " key \"" + a.name +
                                   "\" must be of type S, N or B");
  }
  return Status::OK();
}

Status ValidateSchema(const KeySchema& s) {
  RETURN_IF_ERROR(ValidateKeyAttribute(s.hash, "partition"));
  if (s.range) {
    RETURN_IF_ERROR(ValidateKeyAttribute(*s.range, "sort"));
    if (s.range->name == s.hash.name) {
      return Status::InvalidArgument(
          "partition and sort key must have different names");
    }
  }
  return Status::OK();
}

Status ValidateConsumerName(const std::string& name) {
  if (name.empty() || name.size() > 255) {
    return Status::InvalidArgument("consumer name must be 1 to 255 characters");
  }
  for (char c : name) {
    if (c < 0x21 || c > 0x7e) {
      return Status::InvalidArgument(
          "consumer name must be printable ASCII without spaces");
    }
  }
  return Status::OK();
}

// Like DynamoDB, a Query or Scan page stops after about 1 MiB of items
// (encoded), so that memory per page stays bounded whatever the limit.
constexpr size_t kMaxPageBytes = size_t{1} << 20;

Status TrimmedError(uint64_t wanted, uint64_t first) {
  return Status::DataLoss("stream position " + std::to_string(wanted) +
                          " was trimmed by retention; the oldest available "
                          "record is " +
                          std::to_string(first));
}

class LocalTable;

class LocalSnapshot final : public Snapshot {
 public:
  LocalSnapshot(std::shared_ptr<Core> core, const LocalTable* table,
                const rocksdb::Snapshot* snap, uint64_t sequence)
      : core_(std::move(core)), table_(table), snap_(snap), seq_(sequence) {}
  ~LocalSnapshot() override { core_->db->ReleaseSnapshot(snap_); }
  uint64_t sequence() const override { return seq_; }
  const LocalTable* table() const { return table_; }
  const rocksdb::Snapshot* rocks() const { return snap_; }

 private:
  const std::shared_ptr<Core> core_;
  const LocalTable* const table_;  // identity only, never dereferenced
  const rocksdb::Snapshot* const snap_;
  const uint64_t seq_;
};

// One write of a PendingWrite: a put or a delete of one key.
struct WriteOp {
  bool put = true;
  std::string storage_key;
  std::string value;  // put: the encoded item
  std::string keys;   // the encoded key item (for the change record)
  const Condition* cond = nullptr;
  ChangeOrigin origin = ChangeOrigin::kUser;  // kept in the change record
  // Set by the leader.
  Status status;                         // Aborted if the condition failed
  std::optional<std::string> old_value;  // the encoded previous item
};

// A caller waiting in a table's commit queue. Lives on the caller's stack.
struct PendingWrite {
  std::vector<WriteOp> ops;
  std::optional<bool> set_stream;  // a stream on/off change instead of ops
  // With set_stream == true: the view type to keep (nullopt: unchanged).
  std::optional<StreamViewType> set_view_type;
  // Protected by the table's mu_.
  Status status;
  bool done = false;
  std::condition_variable cv;
};

class LocalTable final : public Table,
                         public std::enable_shared_from_this<LocalTable> {
 public:
  LocalTable(std::shared_ptr<Core> core, TableMeta meta,
             rocksdb::ColumnFamilyHandle* items_cf,
             rocksdb::ColumnFamilyHandle* stream_cf, TableStats stats,
             StreamHorizon horizon, std::map<std::string, uint64_t> consumers)
      : core_(std::move(core)),
        id_(meta.id),
        name_(meta.name),
        schema_(meta.key_schema),
        items_cf_(items_cf),
        stream_cf_(stream_cf),
        leader_stats_(stats),
        last_sequence_(stats.last_sequence),
        stream_enabled_(meta.stream_enabled),
        meta_(std::move(meta)),
        published_stats_(stats),
        horizon_(horizon),
        first_sequence_(horizon.first_sequence),
        consumers_(std::move(consumers)) {}

  ~LocalTable() override {
    core_->db->DestroyColumnFamilyHandle(items_cf_).PermitUncheckedError();
    core_->db->DestroyColumnFamilyHandle(stream_cf_).PermitUncheckedError();
  }

  const std::string& name() const override { return name_; }
  const KeySchema& key_schema() const override { return schema_; }
  uint64_t id() const { return id_; }

  Result<std::optional<Item>> Get(const Key& key) override;
  Result<std::optional<Item>> Put(const Item& item,
                                  const Condition& cond) override;
  Result<std::optional<Item>> Delete(const Key& key,
                                     const Condition& cond) override;
  Result<std::optional<Item>> DeleteAsService(const Key& key,
                                              const Condition& cond,
                                              ChangeOrigin origin) override;
  Result<BatchWriteResult> BatchWrite(
      std::vector<WriteRequest> requests) override;
  Result<Page> Query(const QueryOptions& opts) override;
  Result<Page> Scan(const ScanOptions& opts) override;
  Result<std::unique_ptr<Snapshot>> GetSnapshot() override;
  Result<std::unique_ptr<StreamReader>> OpenStream(
      const StreamPosition& pos) override;
  Result<TableDescription> Describe() override;
  Status RegisterStreamConsumer(const std::string& name,
                                uint64_t position) override;
  Status AckStreamConsumer(const std::string& name, uint64_t position) override;
  Status DropStreamConsumer(const std::string& name) override;
  Result<std::vector<StreamConsumer>> ListStreamConsumers() override;

  // For the store.
  Status SetStreamEnabled(bool enabled,
                          std::optional<StreamViewType> view = std::nullopt);
  Status ApplyRetention(int64_t now);
  // Deletes the catalog records and drops the column families. Later calls
  // on this table return NotFound.
  Status Drop();
  Status Flush();
  // For stream readers: reads up to `max` records after *position.
  Status ReadStream(uint64_t* position, size_t max,
                    std::vector<ChangeRecord>* out);

 private:
  Status NotFoundError() const {
    return Status::NotFound("table " + name_ + " was dropped");
  }
  Status ValidateKey(const Key& key) const;
  // The storage key a page continues after: the page token's, or
  // exclusive_start_key's (at most one may be set); "" for the first page.
  Result<std::string> ResumeAfter(const std::string& page_token,
                                  const std::optional<Key>& start_key,
                                  TokenKind kind) const;
  Status Commit(PendingWrite* w);
  Status ApplyGroup(const std::vector<PendingWrite*>& group);
  Status ApplyStreamChange(bool enabled, std::optional<StreamViewType> view);
  Status ReadCurrent(const std::string& storage_key,
                     std::optional<std::string>* out);
  Status CheckConsumerPosition(uint64_t position);  // REQUIRES: trim_mu_
  Result<std::optional<Item>> DecodeOld(const std::optional<std::string>& v);

  // Constant after construction.
  const std::shared_ptr<Core> core_;
  const uint64_t id_;
  const std::string name_;
  const KeySchema schema_;
  rocksdb::ColumnFamilyHandle* const items_cf_;   // owned
  rocksdb::ColumnFamilyHandle* const stream_cf_;  // owned

  // Held shared by every operation, exclusively by Drop().
  std::shared_mutex drop_mu_;
  bool dropped_ = false;  // GUARDED_BY(drop_mu_)

  // The commit queue; its front is the leader.
  std::mutex mu_;
  std::deque<PendingWrite*> writers_;  // GUARDED_BY(mu_)

  // Owned by the current leader (leadership passes under mu_).
  TableStats leader_stats_;

  // Published by the leader after each commit.
  std::atomic<uint64_t> last_sequence_;
  std::atomic<bool> stream_enabled_;
  mutable std::mutex stats_mu_;
  TableMeta meta_;              // GUARDED_BY(stats_mu_)
  TableStats published_stats_;  // GUARDED_BY(stats_mu_)

  // Retention, stream re-enabling and consumers.
  std::mutex trim_mu_;
  StreamHorizon horizon_;                      // GUARDED_BY(trim_mu_)
  std::atomic<uint64_t> first_sequence_;       // == horizon_.first_sequence
  std::map<std::string, uint64_t> consumers_;  // GUARDED_BY(trim_mu_)
};

class LocalStreamReader final : public StreamReader {
 public:
  LocalStreamReader(std::shared_ptr<LocalTable> table, uint64_t position)
      : table_(std::move(table)), position_(position) {}
  Status Read(size_t max, std::vector<ChangeRecord>* out) override {
    return table_->ReadStream(&position_, max, out);
  }
  uint64_t position() const override { return position_; }

 private:
  const std::shared_ptr<LocalTable> table_;
  uint64_t position_;
};

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

Status ValidateCondition(const Condition& cond) {
  if (cond.kind == Condition::Kind::kAttributeEquals &&
      cond.attribute.empty()) {
    return Status::InvalidArgument("condition needs an attribute name");
  }
  return Status::OK();
}

// Evaluates `cond` on the current encoded item (nullopt: absent).
Status EvaluateCondition(const Condition& cond,
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

Result<std::string> GetCatalog(Core& core, std::string_view key) {
  std::string v;
  rocksdb::Status s = core.db->Get(rocksdb::ReadOptions(), core.catalog,
                                   rocksdb::Slice(key.data(), key.size()), &v);
  if (s.IsNotFound()) return Status::NotFound("catalog record missing");
  RETURN_IF_ERROR(FromRocks(s, "read catalog"));
  return v;
}

class LocalStoreImpl final : public LocalStore {
 public:
  explicit LocalStoreImpl(std::shared_ptr<Core> core)
      : core_(std::move(core)) {}
  ~LocalStoreImpl() override {
    {
      std::lock_guard l(retention_mu_);
      stop_ = true;
    }
    retention_cv_.notify_all();
    if (retention_thread_.joinable()) retention_thread_.join();
  }

  // Reads the catalog and builds the tables from the open column families
  // (taking the handles it uses out of *handles; the caller releases the
  // rest), and drops orphaned column families.
  Status Load(std::map<std::string, rocksdb::ColumnFamilyHandle*>* handles);
  void StartRetention();

  Status CreateTable(const std::string& name,
                     const TableOptions& opts) override;
  Status DropTable(const std::string& name) override;
  Result<std::vector<std::string>> ListTables() override;
  Result<TableDescription> DescribeTable(const std::string& name) override;
  Result<std::shared_ptr<Table>> GetTable(const std::string& name) override;
  Status UpdateStream(const std::string& name, bool enabled) override;
  Status UpdateStreamSpecification(const std::string& name, bool enabled,
                                   StreamViewType view_type) override;
  Status RunRetention() override;
  Status Flush() override;
  Status WriteStatus() override {
    if (core_->read_only) return core_->read_only_error;
    if (core_->space && core_->space->Refresh()) {
      return core_->space->LowSpaceError();
    }
    return Status::OK();
  }

 private:
  Result<std::shared_ptr<LocalTable>> Find(const std::string& name);

  const std::shared_ptr<Core> core_;
  std::mutex mu_;  // serializes catalog changes
  std::map<std::string, std::shared_ptr<LocalTable>>
      tables_;                  // GUARDED_BY(mu_)
  uint64_t next_table_id_ = 1;  // GUARDED_BY(mu_)

  std::mutex retention_mu_;
  std::condition_variable retention_cv_;
  bool stop_ = false;  // GUARDED_BY(retention_mu_)
  std::thread retention_thread_;
};

Result<std::shared_ptr<LocalTable>> LocalStoreImpl::Find(
    const std::string& name) {
  std::lock_guard l(mu_);
  auto it = tables_.find(name);
  if (it == tables_.end()) {
    return Status::NotFound("table " + name + " does not exist");
  }
  return it->second;
}

Status LocalStoreImpl::CreateTable(const std::string& name,
                                   const TableOptions& opts) {
  RETURN_IF_ERROR(ValidateTableName(name));
  RETURN_IF_ERROR(ValidateSchema(opts.key_schema));
  RETURN_IF_ERROR(core_->AdmitWrite(64 * 1024));
  // Billing (opts.billing, capacities) means nothing here and is ignored.
  if (!opts.indexes.empty()) {
    return Status::Unimplemented(
        "the local store has no secondary indexes: cannot create table " +
        name + " with index " + opts.indexes.front().name +
        (opts.indexes.size() > 1
             ? " (and " + std::to_string(opts.indexes.size() - 1) + " more)"
             : "") +
        "; create it without indexes, or use a remote store (DynamoDB)");
  }
  std::lock_guard l(mu_);
  if (tables_.count(name)) {
    return Status::AlreadyExists("table " + name + " exists");
  }
  TableMeta meta;
  meta.id = next_table_id_;
  meta.name = name;
  meta.key_schema = opts.key_schema;
  meta.stream_enabled = opts.stream_enabled;
  meta.stream_view_type = opts.stream_view_type;
  meta.created_micros = core_->Now();
  rocksdb::DB& db = *core_->db;
  rocksdb::ColumnFamilyHandle* items = nullptr;
  rocksdb::ColumnFamilyHandle* stream = nullptr;
  RETURN_IF_ERROR(FromRocks(
      db.CreateColumnFamily(core_->cf_options, ItemsCfName(meta.id), &items),
      "create table " + name));
  rocksdb::Status rs =
      db.CreateColumnFamily(core_->cf_options, StreamCfName(meta.id), &stream);
  TableStats stats;
  StreamHorizon horizon;
  if (rs.ok()) {
    rocksdb::WriteBatch batch;
    batch.Put(core_->catalog, TableMetaKey(name), EncodeTableMeta(meta));
    batch.Put(core_->catalog, StatsKey(meta.id), EncodeStats(stats));
    batch.Put(core_->catalog, HorizonKey(meta.id), EncodeHorizon(horizon));
    batch.Put(core_->catalog, kNextTableIdKey, EncodeU64(meta.id + 1));
    rs = db.Write(core_->write_options, &batch);
  }
  if (!rs.ok()) {
    for (auto* h : {items, stream}) {
      if (h == nullptr) continue;
      db.DropColumnFamily(h).PermitUncheckedError();
      db.DestroyColumnFamilyHandle(h).PermitUncheckedError();
    }
    return FromRocks(rs, "create table " + name);
  }
  ++next_table_id_;
  tables_[name] =
      std::make_shared<LocalTable>(core_, std::move(meta), items, stream, stats,
                                   horizon, std::map<std::string, uint64_t>());
  return Status::OK();
}

Status LocalStoreImpl::DropTable(const std::string& name) {
  std::lock_guard l(mu_);
  auto it = tables_.find(name);
  if (it == tables_.end()) {
    return Status::NotFound("table " + name + " does not exist");
  }
  std::shared_ptr<LocalTable> t = it->second;
  tables_.erase(it);
  return t->Drop();
}

Result<std::vector<std::string>> LocalStoreImpl::ListTables() {
  std::lock_guard l(mu_);
  std::vector<std::string> out;
  for (const auto& [n, t] : tables_) out.push_back(n);
  return out;
}

Result<TableDescription> LocalStoreImpl::DescribeTable(
    const std::string& name) {
  ASSIGN_OR_RETURN(std::shared_ptr<LocalTable> t, Find(name));
  return t->Describe();
}

Result<std::shared_ptr<Table>> LocalStoreImpl::GetTable(
    const std::string& name) {
  ASSIGN_OR_RETURN(std::shared_ptr<LocalTable> t, Find(name));
  return std::shared_ptr<Table>(std::move(t));
}

Status LocalStoreImpl::UpdateStream(const std::string& name, bool enabled) {
  ASSIGN_OR_RETURN(std::shared_ptr<LocalTable> t, Find(name));
  return t->SetStreamEnabled(enabled);
}

Status LocalStoreImpl::UpdateStreamSpecification(const std::string& name,
                                                 bool enabled,
                                                 StreamViewType view_type) {
  ASSIGN_OR_RETURN(std::shared_ptr<LocalTable> t, Find(name));
  return t->SetStreamEnabled(enabled, view_type);
}

Status LocalStoreImpl::RunRetention() {
  std::vector<std::shared_ptr<LocalTable>> tables;
  {
    std::lock_guard l(mu_);
    for (const auto& [n, t] : tables_) tables.push_back(t);
  }
  const int64_t now = core_->Now();
  Status first_error;
  for (const auto& t : tables) {
    Status s = t->ApplyRetention(now);
    if (!s.ok() && first_error.ok()) first_error = s;
  }
  return first_error;
}

Status LocalStoreImpl::Flush() {
  std::vector<std::shared_ptr<LocalTable>> tables;
  {
    std::lock_guard l(mu_);
    for (const auto& [n, t] : tables_) tables.push_back(t);
  }
  for (const auto& t : tables) RETURN_IF_ERROR(t->Flush());
  if (core_->read_only) return Status::OK();
  return FromRocks(core_->db->Flush(rocksdb::FlushOptions(), core_->catalog),
                   "flush catalog");
}

void LocalStoreImpl::StartRetention() {
  const int64_t interval = core_->opts.retention_interval_micros;
  if (interval <= 0 || core_->read_only) return;
  retention_thread_ = std::thread([this, interval] {
    std::unique_lock l(retention_mu_);
    while (!stop_) {
      retention_cv_.wait_for(l, std::chrono::microseconds(interval));
      if (stop_) break;
      l.unlock();
      // Errors are retried at the next interval; RunRetention() reports them
      // to callers that need them.
      Status ignored = RunRetention();
      (void)ignored;
      l.lock();
    }
  });
}

Status LocalStoreImpl::Load(
    std::map<std::string, rocksdb::ColumnFamilyHandle*>* handles) {
  Core& core = *core_;
  // Format version and next table id.
  Result<std::string> version = GetCatalog(core, kVersionKey);
  if (!version.ok() && !version.status().IsNotFound()) return version.status();
  if (!version.ok()) {
    if (!handles->empty()) {
      return Status::DataLoss("store catalog has no format version");
    }
    rocksdb::WriteBatch batch;
    batch.Put(core.catalog, kVersionKey, EncodeU64(kFormatVersion));
    batch.Put(core.catalog, kNextTableIdKey, EncodeU64(1));
    RETURN_IF_ERROR(
        FromRocks(core.db->Write(core.write_options, &batch), "init catalog"));
  } else {
    ASSIGN_OR_RETURN(uint64_t v, DecodeU64(*version));
    if (v != kFormatVersion) {
      return Status::FailedPrecondition(
          "store format version " + std::to_string(v) +
          " is not supported (this build reads version " +
          std::to_string(kFormatVersion) + ")");
    }
  }
  ASSIGN_OR_RETURN(std::string next_raw, GetCatalog(core, kNextTableIdKey));
  ASSIGN_OR_RETURN(next_table_id_, DecodeU64(next_raw));

  // The tables of the catalog.
  std::vector<TableMeta> metas;
  {
    std::unique_ptr<rocksdb::Iterator> it(
        core.db->NewIterator(rocksdb::ReadOptions(), core.catalog));
    std::string prefix(1, kTableMetaTag);
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix);
         it->Next()) {
      ASSIGN_OR_RETURN(TableMeta m,
                       DecodeTableMeta(it->value().ToStringView()));
      metas.push_back(std::move(m));
    }
    RETURN_IF_ERROR(FromRocks(it->status(), "read catalog"));
  }
  std::set<uint64_t> ids;
  for (TableMeta& m : metas) {
    ids.insert(m.id);
    auto items = handles->find(ItemsCfName(m.id));
    auto stream = handles->find(StreamCfName(m.id));
    if (items == handles->end() || stream == handles->end()) {
      return Status::DataLoss("the catalog names table " + m.name +
                              " but its column families are missing");
    }
    Result<std::string> stats_raw = GetCatalog(core, StatsKey(m.id));
    Result<std::string> horizon_raw = GetCatalog(core, HorizonKey(m.id));
    if (!stats_raw.ok() || !horizon_raw.ok()) {
      return Status::DataLoss("catalog of table " + m.name +
                              " lacks its stats or stream horizon");
    }
    ASSIGN_OR_RETURN(TableStats stats, DecodeStats(*stats_raw));
    ASSIGN_OR_RETURN(StreamHorizon horizon, DecodeHorizon(*horizon_raw));
    std::map<std::string, uint64_t> consumers;
    {
      std::unique_ptr<rocksdb::Iterator> it(
          core.db->NewIterator(rocksdb::ReadOptions(), core.catalog));
      std::string prefix = ConsumerPrefix(m.id);
      for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix);
           it->Next()) {
        ASSIGN_OR_RETURN(uint64_t pos, DecodeU64(it->value().ToStringView()));
        consumers[it->key().ToString().substr(prefix.size())] = pos;
      }
      RETURN_IF_ERROR(FromRocks(it->status(), "read catalog"));
    }
    std::string name = m.name;
    tables_[name] = std::make_shared<LocalTable>(
        core_, std::move(m), items->second, stream->second, stats, horizon,
        std::move(consumers));
    handles->erase(items);
    handles->erase(stream);
  }
  // Column families no catalog record names: the leftovers of a create or
  // drop interrupted by a crash (create writes the catalog after creating
  // them, drop deletes it before dropping them).
  for (auto& [n, h] : *handles) {
    bool is_stream;
    std::optional<uint64_t> id = ParseCfName(n, &is_stream);
    if (!id || ids.count(*id) || *id >= next_table_id_ + 1) {
      return Status::FailedPrecondition("unknown column family \"" + n +
                                        "\" in store " + core.opts.path);
    }
    if (core.read_only) continue;  // dropped when opened for writing
    // WARNING: deletes data. Only reached for column families of godwit's
    // naming scheme whose table is not in the catalog (see above).
    RETURN_IF_ERROR(
        FromRocks(core.db->DropColumnFamily(h), "drop orphan " + n));
  }
  return Status::OK();
}

}  // namespace
}  // namespace local

Result<std::unique_ptr<LocalStore>> LocalStore::Open(
    const LocalStoreOptions& opts) {
  using namespace local;
  namespace fs = std::filesystem;
  if (opts.path.empty()) return Status::InvalidArgument("store path is empty");
  auto core = std::make_shared<Core>();
  core->opts = opts;
  std::error_code ec;
  const bool exists = fs::exists(fs::path(opts.path) / "CURRENT", ec);
  if (!exists) {
    if (!opts.create_if_missing) {
      return Status::NotFound("no store at " + opts.path);
    }
    fs::create_directories(opts.path, ec);
    if (ec) {
      return Status::IOError("cannot create store directory " + opts.path +
                             ": " + ec.message());
    }
  }

  if (opts.min_free_bytes > 0 || opts.min_free_fraction > 0) {
    core->space = std::make_unique<DiskSpaceGuard>(
        DiskSpaceGuard::Options{.path = opts.path,
                                .min_free_bytes = opts.min_free_bytes,
                                .min_free_fraction = opts.min_free_fraction});
  }

  rocksdb::DBOptions dbo;
  dbo.create_if_missing = opts.create_if_missing;
  dbo.db_write_buffer_size = opts.write_buffer_bytes;
  dbo.max_total_wal_size = 4 * opts.write_buffer_bytes;
  dbo.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  // Our own LOG writer: RocksDB's aborts the process on its next line after
  // a write to LOG failed (a full disk; see info_log.h).
  dbo.info_log = NewInfoLog(opts.path, dbo.info_log_level);
  // RocksDB stops writes after ENOSPC; with an SstFileManager it watches
  // free space and resumes them by itself once there is room again.
  dbo.sst_file_manager.reset(
      rocksdb::NewSstFileManager(rocksdb::Env::Default(), dbo.info_log));
  // Opening writes as little as it can (no flush of the recovered log), so
  // that a nearly full disk still opens for writing.
  dbo.avoid_flush_during_recovery = true;
  dbo.max_background_jobs = 2;

  rocksdb::BlockBasedTableOptions bbt;
  bbt.block_cache = rocksdb::NewLRUCache(opts.block_cache_bytes);
  bbt.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  // Index and filter blocks go through the block cache (bounded) instead of
  // being held beside it, where they grow with the data and memory would
  // follow the table's size. Partitioned, so each cached piece is small;
  // the top level and L0's stay pinned.
  bbt.index_type = rocksdb::BlockBasedTableOptions::kTwoLevelIndexSearch;
  bbt.partition_filters = true;
  bbt.cache_index_and_filter_blocks = true;
  bbt.cache_index_and_filter_blocks_with_high_priority = true;
  bbt.pin_l0_filter_and_index_blocks_in_cache = true;
  bbt.pin_top_level_index_and_filter = true;
  rocksdb::ColumnFamilyOptions& cfo = core->cf_options;
  cfo.table_factory.reset(rocksdb::NewBlockBasedTableFactory(bbt));
  cfo.write_buffer_size = std::min<size_t>(opts.write_buffer_bytes, 32 << 20);
  core->write_options.sync = opts.sync;

  std::vector<std::string> names;
  if (exists) {
    RETURN_IF_ERROR(
        FromRocks(rocksdb::DB::ListColumnFamilies(dbo, opts.path, &names),
                  "open store " + opts.path));
  } else {
    names.push_back(rocksdb::kDefaultColumnFamilyName);
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& n : names) descriptors.emplace_back(n, cfo);
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status rs =
      rocksdb::DB::Open(dbo, opts.path, descriptors, &handles, &raw);
  if (!rs.ok() && exists && rs.IsNoSpace()) {
    // Too full to open for writing (RocksDB writes a new MANIFEST, OPTIONS
    // and log file when it opens): serve reads. A read-only RocksDB does not
    // take the LOCK file, so take it here: one process at a time still.
    handles.clear();
    raw = nullptr;
    rocksdb::Status ro = rocksdb::Env::Default()->LockFile(
        opts.path + "/LOCK", &core->read_only_lock);
    if (ro.ok()) {
      ro = rocksdb::DB::OpenForReadOnly(dbo, opts.path, descriptors, &handles,
                                        &raw);
    }
    if (ro.ok()) {
      core->read_only = true;
      Result<FsSpace> fs = StatFileSystem(opts.path);
      core->read_only_error = Status::Unavailable(
          "store " + opts.path + " was opened read-only because its disk " +
          "was full (" + (fs.ok() ? HumanBytes(fs->free_bytes) : "?") +
          " free): writes are refused until it is reopened with space "
          "freed; reads go on. Opening for writing failed: " +
          rs.ToString());
      rs = ro;
    }
  }
  RETURN_IF_ERROR(FromRocks(rs, "open store " + opts.path));
  core->db.reset(raw);
  std::map<std::string, rocksdb::ColumnFamilyHandle*> by_name;
  for (auto* h : handles) {
    if (h->GetName() == rocksdb::kDefaultColumnFamilyName) {
      core->catalog = h;
    } else {
      by_name[h->GetName()] = h;
    }
  }
  auto store = std::make_unique<LocalStoreImpl>(core);
  Status s = store->Load(&by_name);
  // The handles no table took.
  for (auto& [n, h] : by_name) {
    core->db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  }
  if (!s.ok()) return s;
  store->StartRetention();
  return std::unique_ptr<LocalStore>(std::move(store));
}

Result<std::unique_ptr<Store>> OpenLocalStore(const LocalStoreOptions& opts) {
  ASSIGN_OR_RETURN(std::unique_ptr<LocalStore> s, LocalStore::Open(opts));
  return std::unique_ptr<Store>(std::move(s));
}

}  // namespace godwit
