// The local store: tables and change streams in one RocksDB database. This
// file: the store (its catalog, opening and recovery, the retention
// thread); the tables are local_table.h (the write path is described
// there), their items local_table.cc, their streams local_stream.cc.
//
// Byte formats: see the grammar at the top of format.cc.
#include "store/local/local_table.h"

namespace godwit {
namespace local {
namespace {

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
