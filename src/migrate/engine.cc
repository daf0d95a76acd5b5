// The migration engine: one run of one logical table (DESIGN.md, "The
// migration protocol"). Threads:
//
//   capture   source stream (from P0) -> journal; syncs, advances
//             captured_seq/journal_offset only past synced records
//   backfill  `threads` workers over `segments` scan segments: scan -> up ->
//             claim destination keys -> batch write; a segment's token
//             advances only after its page's writes were acknowledged
//   replay    once every segment is done: journal -> up -> destination, in
//             order; replay_offset advances only past applied records
//   reverse   after a cutover: destination stream -> down -> old table
//   keeper    checkpoints the run state (one put) and reports progress
//
// Why replay converges is in DESIGN.md: every journal record is applied
// after every backfill write, in per-key order, and each record deletes the
// destination keys that its old image produced and its new image does not.
//
// The key map. Two source items mapping to one destination key would make
// the copy silently lose one of them, so every destination key has an owner
// recorded in a key-map table (godwit_keymap.<destination>, k:B -> src:M).
// A claim by a different source is checked against the current source items
// (backfill reads are not a snapshot, so a stale read can look like a
// collision); if both still map to the key the run stops naming both keys.
//
// Control operations (verify, cutover, rollback, finish) are serialised by
// op_mu_. Each background loop does one step at a time under its own mutex
// (capture_mu_, replay_mu_, reverse_mu_), so a control operation that takes
// that mutex knows the loop is between steps and can reconfigure it.
#include <xxhash.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "control/control_table.h"
#include "godwit/codec.h"
#include "godwit/json.h"
#include "godwit/migrate.h"
#include "migrate/journal.h"
#include "migrate/router.h"
#include "migrate/run_state.h"
#include "util/crash_point.h"
#include "util/rate_limiter.h"

namespace godwit {

std::string_view RunPhaseName(RunPhase p) {
  switch (p) {
    case RunPhase::kBackfill:
      return "backfill";
    case RunPhase::kReplay:
      return "replay";
    case RunPhase::kCutOver:
      return "cut-over";
    case RunPhase::kRolledBack:
      return "rolled-back";
    case RunPhase::kFinished:
      return "finished";
  }
  return "unknown";
}

namespace migrate {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kScanPage = 200;
constexpr auto kIdleWait = std::chrono::milliseconds(2);
constexpr auto kCheckpointEvery = std::chrono::milliseconds(100);

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The memcmp-ordered bytes of a key.
std::string KeyBytes(const Key& key) {
  std::string out;
  AppendOrderedKeyBytes(key, &out);
  return out;
}

// The memcmp-ordered bytes of an item's key under `schema`.
Result<std::string> KeyBytes(const Item& item, const KeySchema& schema) {
  ASSIGN_OR_RETURN(Key key, ExtractKey(item, schema));
  return KeyBytes(key);
}

std::string KeyJson(const Item& item, const KeySchema& schema) {
  Result<Key> key = ExtractKey(item, schema);
  if (!key.ok()) return DebugString(item);
  return ItemToJson(KeyToItem(*key, schema));
}

// Next generation name: "Orders" -> "Orders.v2", "Orders.v3" -> "Orders.v4".
std::string NextGeneration(const std::string& logical,
                           const std::string& source) {
  int gen = 1;
  std::string prefix = logical + ".v";
  if (source.size() > prefix.size() && source.rfind(prefix, 0) == 0) {
    gen = std::atoi(source.c_str() + prefix.size());
  }
  return prefix + std::to_string(gen + 1);
}

std::string NewRunId() {
  std::random_device rd;
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%llx-%04x",
                static_cast<unsigned long long>(NowMicros()), rd() & 0xffff);
  return buf;
}

// Order-independent multiset hash: sum of 128-bit item hashes and a count.
struct Multiset {
  uint64_t lo = 0, hi = 0, count = 0;
  void Add(const Hash128& h) {
    uint64_t old = lo;
    lo += h.lo;
    hi += h.hi + (lo < old ? 1 : 0);
    ++count;
  }
  void Merge(const Multiset& o) {
    uint64_t old = lo;
    lo += o.lo;
    hi += o.hi + (lo < old ? 1 : 0);
    count += o.count;
  }
  bool operator==(const Multiset& o) const {
    return lo == o.lo && hi == o.hi && count == o.count;
  }
};

constexpr size_t kVerifyBuckets = 4096;

size_t BucketOf(std::string_view key_bytes) {
  return static_cast<size_t>(XXH3_64bits(key_bytes.data(), key_bytes.size()) %
                             kVerifyBuckets);
}

class MigrationImpl : public Migration {
 public:
  MigrationImpl(RouterControl* router, Store* store, MapperFactory* mappers,
                MigrationPlan plan, MigrateOptions opts)
      : router_(router),
        store_(store),
        mappers_(mappers),
        plan_(std::move(plan)),
        opts_(std::move(opts)),
        limiter_(opts_.rate) {}

  ~MigrationImpl() override { Stop(); }

  Status Init();

  const MigrationPlan& plan() const override { return plan_; }
  RunPhase phase() const override {
    std::lock_guard lock(mu_);
    return state_.phase;
  }
  Status error() const override { return fatal(); }
  MigrationProgress progress() const override;
  Status WaitBackfill() override;
  Status WaitCaughtUp() override;
  Result<VerifyReport> Verify(size_t max_reported) override;
  Result<FlipReport> Cutover(const FlipOptions& opts) override;
  Result<FlipReport> Rollback(const FlipOptions& opts) override;
  Status Finish() override;
  Status Abandon() override {
    return Status::Unimplemented("abandon is not implemented yet");
  }
  void SetRate(double r) override { limiter_.SetRate(r); }
  void Pause(bool p) override { paused_.store(p); }
  void Stop() override;

 private:
  // --- setup
  Status Plan(const Result<std::optional<RunState>>& loaded);
  Status OpenTables();
  void StartThreads();

  // --- loops
  void CaptureLoop();
  void BackfillWorker();
  // Replay and reverse sync: runs `step` under `mu` while `*on`, until the
  // run stops; an error stops the run.
  void SyncLoop(std::mutex* mu, const bool* on, const char* what,
                Status (MigrationImpl::*step)(ItemMapper*, bool*));
  void KeeperLoop();

  // --- steps
  Status CaptureStep(bool* idle);
  Status BackfillSegment(ItemMapper* mapper, int seg);
  Status ReplayStep(ItemMapper* mapper, bool* idle);
  Status ReverseStep(ItemMapper* mapper, bool* idle);
  // Applies change records in order: each deletes the target keys its old
  // image mapped to and its new image does not, and puts the new images.
  // Records are folded into one net effect per target key and written in
  // batches. `claim`: record key ownership (the forward direction).
  Status ApplyRecords(ItemMapper* mapper, bool up,
                      const std::vector<ChangeRecord>& recs, Table* target,
                      const KeySchema& source_schema, bool claim);
  // One destination key claimed by one source item.
  struct Claim {
    std::string key_bytes;
    const Item* out;         // the destination image
    const Item* source_key;  // the source item's key attributes
  };
  // Records ownership of every claimed key (one batch write of the key
  // map). Keys are locked by stripe while claimed, so concurrent backfill
  // workers cannot both take an unowned key.
  // Errors: FailedPrecondition for a real collision.
  Status ClaimKeys(ItemMapper* mapper, const std::vector<Claim>& claims);
  // Whether the current source item at `source_key` maps to `key_bytes`.
  Result<bool> MapsToKey(ItemMapper* mapper, const Item& source_key,
                         const std::string& key_bytes);
  void ReleaseKey(const std::string& key_bytes, const Item& source_key);
  // Maps `in` with up or down; item errors are dead-lettered and counted and
  // leave *out empty; returns non-OK only for errors that stop the run.
  Status MapItem(ItemMapper* mapper, bool up, const Item& in,
                 const KeySchema& in_schema, const char* phase,
                 std::vector<Item>* out, bool* item_error);
  Status WriteBatch(Table* table, std::vector<WriteRequest> batch);
  // Writes the item's dead letter; false if this key already had one.
  Result<bool> DeadLetter(const char* phase, const Item& item,
                          const KeySchema& schema, const ItemError& error);

  void Fail(const Status& s);
  Status fatal() const {
    std::lock_guard lock(mu_);
    return fatal_;
  }
  Status SaveState();
  // The table's newest change sequence. Errors: those of Describe.
  Result<uint64_t> LatestSequence(Table* t);
  // Registers (or moves) this run's stream consumer on `t` at `position`.
  // Backends without consumer registration rely on stream retention alone.
  Status PinStream(Table* t, uint64_t position);
  std::string ConsumerName() const { return "godwit-run-" + state_.run_id; }
  Status WaitUntil(const std::function<bool()>& done);
  Status DrainForward(uint64_t target);
  Status DrainReverse(uint64_t target);
  // Drains sync towards `t`'s latest sequence in rounds until fewer than
  // 200 records remain (at most 50 rounds).
  Status PreDrain(Table* t, bool reverse);
  // Sets the pointer of the logical table to "switching" (still on
  // `active`) and waits opts_.fence_seconds; the returned guard sets it back
  // to "active" unless dismissed (by a flip, which writes it anew).
  class Fence {
   public:
    Fence(Store* store, std::string logical, control::Pointer p)
        : store_(store), logical_(std::move(logical)), p_(std::move(p)) {}
    ~Fence() {
      if (!armed_) return;
      // The flip did not happen: writers may go on to the same table.
      Status s = control::SetPointer(store_, logical_, p_);
      if (!s.ok()) {
        std::fprintf(stderr,
                     "godwit: could not set the pointer of %s back to active "
                     "(%s); a resumed run does it\n",
                     logical_.c_str(), s.ToString().c_str());
      }
    }
    void Dismiss() { armed_ = false; }

   private:
    Store* store_;
    std::string logical_;
    control::Pointer p_;  // as it was, "active"
    bool armed_ = true;
  };
  Result<std::unique_ptr<Fence>> FenceWriters(const std::string& active);
  // A key that differed in a compare: its key in the compared-to table and
  // the keys of the items of the mapped side that mapped to it.
  struct Suspect {
    Key to_key;
    std::vector<Key> from_keys;
  };
  using Suspects = std::map<std::string, Suspect>;  // by to-key bytes
  // Compares the mapped side `from` (mapped up if `up`, else down) with
  // `to`. With `suspects`, fills it with the differing keys instead of
  // reading the items of the first differences.
  Result<VerifyReport> Compare(Table* from, const Snapshot* from_snap, bool up,
                               Table* to, const Snapshot* to_snap,
                               size_t max_reported,
                               Suspects* suspects = nullptr);
  Result<VerifyReport> VerifyLive(Table* from, Table* to, bool cut_over,
                                  size_t max_reported);
  // Point re-checks of the keys a live compare found different.
  struct RecheckResult {
    std::map<std::string, VerifyReport::Difference> different;
    uint64_t unsettled = 0;  // never read quiet
  };
  Result<RecheckResult> Recheck(Table* from, Table* to, bool cut_over,
                                Suspects suspects);

  // Constant after Init().
  RouterControl* const router_;
  Store* const store_;
  MapperFactory* const mappers_;
  MigrationPlan plan_;
  const MigrateOptions opts_;
  std::shared_ptr<Table> source_, dest_, keymap_;
  std::string journal_path_, dead_letter_path_;

  RateLimiter limiter_;
  std::atomic<bool> paused_{false};
  std::atomic<bool> stop_{false};

  mutable std::mutex mu_;
  std::condition_variable cv_;
  RunState state_;                      // GUARDED_BY(mu_)
  Status fatal_;                        // GUARDED_BY(mu_)
  int next_segment_ = 0;                // GUARDED_BY(mu_)
  int segments_done_ = 0;               // GUARDED_BY(mu_)
  bool state_dirty_ = false;            // GUARDED_BY(mu_)
  uint64_t scanned_ = 0, written_ = 0;  // GUARDED_BY(mu_)

  std::mutex op_mu_;  // one control operation at a time

  std::mutex capture_mu_;
  bool capture_on_ = false;                       // GUARDED_BY(capture_mu_)
  std::unique_ptr<StreamReader> capture_reader_;  // GUARDED_BY(capture_mu_)
  std::unique_ptr<JournalWriter> journal_;        // GUARDED_BY(capture_mu_)
  Clock::time_point last_sync_;                   // GUARDED_BY(capture_mu_)
  uint64_t capture_unsynced_ = 0;                 // GUARDED_BY(capture_mu_)
  std::atomic<uint64_t> journal_synced_{0};

  std::mutex replay_mu_;
  bool replay_on_ = false;                        // GUARDED_BY(replay_mu_)
  std::unique_ptr<JournalReader> replay_reader_;  // GUARDED_BY(replay_mu_)
  // A record read but not applied because it is past replay_limit_, and the
  // journal offset just past it.
  std::optional<ChangeRecord> replay_stash_;  // GUARDED_BY(replay_mu_)
  uint64_t replay_stash_end_ = 0;             // GUARDED_BY(replay_mu_)
  // Sync applies records with sequence <= its limit (verify holds it at Q).
  std::atomic<uint64_t> replay_limit_{UINT64_MAX};
  std::atomic<uint64_t> reverse_limit_{UINT64_MAX};

  std::mutex reverse_mu_;
  bool reverse_on_ = false;                       // GUARDED_BY(reverse_mu_)
  std::unique_ptr<StreamReader> reverse_reader_;  // GUARDED_BY(reverse_mu_)
  std::deque<ChangeRecord> reverse_stash_;        // GUARDED_BY(reverse_mu_)

  static constexpr size_t kClaimStripes = 1024;
  std::mutex claim_mu_[kClaimStripes];

  std::mutex dead_mu_;
  std::unique_ptr<DeadLetterWriter> dead_letters_;  // GUARDED_BY(dead_mu_)

  std::vector<std::thread> threads_;
  Clock::time_point started_ = Clock::now();
  double rate_recent_ = 0;  // GUARDED_BY(mu_)
};

// ---------------------------------------------------------------- setup

Status MigrationImpl::Init() {
  if (opts_.segments < 1 || opts_.segments > 100000) {
    return Status::InvalidArgument("--segments must be 1..100000");
  }
  if (opts_.threads < 1 || opts_.threads > 256) {
    return Status::InvalidArgument("--threads must be 1..256");
  }
  if (opts_.run_dir.empty()) {
    return Status::InvalidArgument("run directory not set");
  }
  std::error_code ec;
  std::filesystem::create_directories(opts_.run_dir, ec);
  if (ec) {
    return Status::IOError("cannot create run directory " + opts_.run_dir +
                           ": " + ec.message());
  }
  journal_path_ = opts_.run_dir + "/journal.gwj";
  dead_letter_path_ = opts_.run_dir + "/dead-letter.jsonl";
  RETURN_IF_ERROR(Plan(LoadRunState(store_, plan_.logical_table)));
  RETURN_IF_ERROR(OpenTables());

  // Journal: truncate to the durable offset; capture resumes after the last
  // durable record.
  ASSIGN_OR_RETURN(journal_,
                   JournalWriter::Open(journal_path_, state_.journal_offset));
  state_.journal_offset = journal_->synced_offset();
  journal_synced_ = state_.journal_offset;
  if (state_.replay_offset < kJournalHeaderSize) {
    state_.replay_offset = kJournalHeaderSize;
  }
  ASSIGN_OR_RETURN(replay_reader_,
                   JournalReader::Open(journal_path_, state_.replay_offset));
  last_sync_ = Clock::now();

  // Which loops run is decided by the phase.
  switch (state_.phase) {
    case RunPhase::kBackfill:
    case RunPhase::kReplay:
    case RunPhase::kRolledBack: {
      ASSIGN_OR_RETURN(
          capture_reader_,
          source_->OpenStream(StreamPosition::After(state_.captured_seq)));
      capture_on_ = true;
      replay_on_ = state_.phase != RunPhase::kBackfill;
      break;
    }
    case RunPhase::kCutOver: {
      ASSIGN_OR_RETURN(
          reverse_reader_,
          dest_->OpenStream(StreamPosition::After(state_.reverse_seq)));
      reverse_on_ = true;
      break;
    }
    case RunPhase::kFinished:
      return Status::FailedPrecondition("the run of " + plan_.logical_table +
                                        " is finished");
  }
  for (const SegmentState& s : state_.segments) segments_done_ += s.done;
  if (state_.phase == RunPhase::kBackfill &&
      segments_done_ == static_cast<int>(state_.segments.size())) {
    state_.phase = RunPhase::kReplay;
    replay_on_ = true;
  }
  RETURN_IF_ERROR(SaveState());
  StartThreads();
  return Status::OK();
}

Status MigrationImpl::Plan(const Result<std::optional<RunState>>& loaded) {
  if (!loaded.ok()) return loaded.status();
  ASSIGN_OR_RETURN(std::optional<control::Pointer> ptr,
                   control::GetPointer(store_, plan_.logical_table));
  std::string active = ptr ? ptr->physical : plan_.logical_table;

  if (loaded->has_value() && (*loaded)->phase != RunPhase::kFinished) {
    // Resume. The pointer is the truth about which side is active: a crash
    // between saving the state and flipping leaves the state ahead of it.
    state_ = **loaded;
    if (ptr && ptr->state == "switching" && ptr->run == state_.run_id) {
      // A flip fenced the writers and did not finish: let them go on.
      control::Pointer p = *ptr;
      p.state = "active";
      RETURN_IF_ERROR(control::SetPointer(store_, plan_.logical_table, p));
    }
    if (!plan_.destination_table.empty() &&
        plan_.destination_table != state_.destination) {
      return Status::FailedPrecondition(
          "a run of " + plan_.logical_table + " into " + state_.destination +
          " is in progress; resume it or roll it back first");
    }
    if (active == state_.destination) {
      state_.phase = RunPhase::kCutOver;
    } else if (active == state_.source) {
      if (state_.phase == RunPhase::kCutOver) state_.phase = RunPhase::kReplay;
    } else {
      return Status::FailedPrecondition(
          "the active table of " + plan_.logical_table + " is " + active +
          ", neither the run's source " + state_.source +
          " nor its destination " + state_.destination);
    }
    plan_.source_table = state_.source;
    plan_.destination_table = state_.destination;
    plan_.destination_key_schema = state_.destination_key_schema;
    if (plan_.migrations.empty()) plan_.migrations = state_.migrations;
    plan_.run_id = state_.run_id;
    plan_.started_micros = state_.started_micros;
    return Status::OK();
  }

  // A new run.
  if (!plan_.source_table.empty() && plan_.source_table != active) {
    return Status::FailedPrecondition("the active table of " +
                                      plan_.logical_table + " is " + active +
                                      ", not " + plan_.source_table);
  }
  plan_.source_table = active;
  if (plan_.destination_table.empty()) {
    plan_.destination_table = NextGeneration(plan_.logical_table, active);
  }
  if (plan_.destination_table == active ||
      plan_.destination_table == plan_.logical_table) {
    return Status::FailedPrecondition(
        "refusing to migrate into " + plan_.destination_table +
        ": it is the active table of " + plan_.logical_table);
  }
  Result<TableDescription> existing =
      store_->DescribeTable(plan_.destination_table);
  if (existing.ok()) {
    return Status::FailedPrecondition(
        "destination table " + plan_.destination_table +
        " already exists and was not created by this run; godwit only "
        "writes into a table it created (drop it, or finish the earlier run)");
  }
  if (!existing.status().IsNotFound()) return existing.status();

  ASSIGN_OR_RETURN(TableDescription src,
                   store_->DescribeTable(plan_.source_table));
  if (!src.stream_enabled) {
    return Status::FailedPrecondition(
        "source table " + plan_.source_table +
        " has no change stream; enable it first (a copy without the stream "
        "would lose the writes made during the copy)");
  }
  if (plan_.destination_key_schema.hash.name.empty()) {
    plan_.destination_key_schema = src.key_schema;
  }

  state_ = RunState{};
  state_.run_id = plan_.run_id.empty() ? NewRunId() : plan_.run_id;
  state_.logical = plan_.logical_table;
  state_.source = plan_.source_table;
  state_.destination = plan_.destination_table;
  state_.destination_key_schema = plan_.destination_key_schema;
  state_.phase = RunPhase::kBackfill;
  // Mark P0 before the first scan read: every change after it reaches the
  // journal. (Earlier is always safe; later would lose writes.)
  state_.p0 = src.latest_sequence;
  state_.captured_seq = state_.p0;
  state_.replayed_seq = state_.p0;
  state_.segments.resize(static_cast<size_t>(opts_.segments));
  state_.migrations = plan_.migrations;
  state_.started_micros =
      plan_.started_micros != 0 ? plan_.started_micros : NowMicros();
  plan_.run_id = state_.run_id;
  plan_.started_micros = state_.started_micros;
  // The state is saved before the destination is created: a resumed run
  // knows the destination is its own.
  RETURN_IF_ERROR(SaveState());
  // Pin the source stream at P0 so that retention keeps every record until
  // the journal has it.
  ASSIGN_OR_RETURN(std::shared_ptr<Table> src_table,
                   store_->GetTable(state_.source));
  return PinStream(src_table.get(), state_.p0);
}

Status MigrationImpl::OpenTables() {
  ASSIGN_OR_RETURN(source_, store_->GetTable(state_.source));
  TableOptions dopts;
  dopts.key_schema = state_.destination_key_schema;
  // The destination's stream stays off until the flip: nothing reads it
  // before reverse sync, and backfill writes need no change records.
  dopts.stream_enabled = false;
  // The source's secondary indexes and billing mode go with it (stores
  // that have none report none). A local index must share the table's
  // partition key: after a re-key it becomes a global index.
  ASSIGN_OR_RETURN(TableDescription src_desc, source_->Describe());
  dopts.billing = src_desc.billing;
  dopts.read_capacity = src_desc.read_capacity;
  dopts.write_capacity = src_desc.write_capacity;
  for (SecondaryIndex ix : src_desc.indexes) {
    if (ix.kind == SecondaryIndex::Kind::kLocal &&
        ix.key_schema.hash.name != dopts.key_schema.hash.name) {
      ix.kind = SecondaryIndex::Kind::kGlobal;
      std::fprintf(stderr,
                   "godwit: the local index %s of %s is keyed on %s, which is "
                   "not the partition key of %s: it is created there as a "
                   "global index\n",
                   ix.name.c_str(), state_.source.c_str(),
                   ix.key_schema.hash.name.c_str(), state_.destination.c_str());
    }
    dopts.indexes.push_back(std::move(ix));
  }
  Status s = store_->CreateTable(state_.destination, dopts);
  if (!s.ok() && s.code() != StatusCode::kAlreadyExists) return s;
  ASSIGN_OR_RETURN(dest_, store_->GetTable(state_.destination));
  TableOptions kopts;
  kopts.key_schema = KeySchema{{"k", AttrType::kB}, std::nullopt};
  kopts.stream_enabled = false;
  std::string keymap = "godwit_keymap." + state_.destination;
  s = store_->CreateTable(keymap, kopts);
  if (!s.ok() && s.code() != StatusCode::kAlreadyExists) return s;
  ASSIGN_OR_RETURN(keymap_, store_->GetTable(keymap));
  return Status::OK();
}

void MigrationImpl::StartThreads() {
  started_ = Clock::now();
  threads_.emplace_back([this] { CaptureLoop(); });
  threads_.emplace_back([this] {
    SyncLoop(&replay_mu_, &replay_on_, "replay", &MigrationImpl::ReplayStep);
  });
  threads_.emplace_back([this] {
    SyncLoop(&reverse_mu_, &reverse_on_, "reverse sync",
             &MigrationImpl::ReverseStep);
  });
  threads_.emplace_back([this] { KeeperLoop(); });
  bool backfill;
  {
    std::lock_guard lock(mu_);
    backfill = state_.phase == RunPhase::kBackfill;
  }
  if (backfill) {
    for (int i = 0; i < opts_.threads; ++i) {
      threads_.emplace_back([this] { BackfillWorker(); });
    }
  }
}

void MigrationImpl::Stop() {
  stop_.store(true);
  cv_.notify_all();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
  {
    std::lock_guard lock(capture_mu_);
    if (journal_) {
      Status s = journal_->Sync();
      (void)s;
    }
  }
  {
    std::lock_guard lock(mu_);
    if (journal_) state_.journal_offset = journal_->synced_offset();
  }
  (void)SaveState();
  std::lock_guard lock(dead_mu_);
  dead_letters_.reset();
}

void MigrationImpl::Fail(const Status& s) {
  {
    std::lock_guard lock(mu_);
    if (fatal_.ok()) fatal_ = s;
  }
  stop_.store(true);
  cv_.notify_all();
}

Status MigrationImpl::SaveState() {
  RunState copy;
  {
    std::lock_guard lock(mu_);
    copy = state_;
    state_dirty_ = false;
  }
  return SaveRunState(store_, copy);
}

Status MigrationImpl::PinStream(Table* t, uint64_t position) {
  Status s = t->RegisterStreamConsumer(ConsumerName(), position);
  if (s.code() == StatusCode::kAlreadyExists) {
    s = t->AckStreamConsumer(ConsumerName(), position);
  }
  if (s.code() == StatusCode::kUnimplemented) return Status::OK();
  return s;
}

Result<uint64_t> MigrationImpl::LatestSequence(Table* t) {
  ASSIGN_OR_RETURN(TableDescription d, t->Describe());
  return d.latest_sequence;
}

Status MigrationImpl::WaitUntil(const std::function<bool()>& done) {
  std::unique_lock lock(mu_);
  while (!done()) {
    if (!fatal_.ok()) return fatal_;
    if (stop_.load()) return Status::Cancelled("the run was stopped");
    cv_.wait_for(lock, std::chrono::milliseconds(5));
  }
  return fatal_;
}

// ---------------------------------------------------------------- capture

void MigrationImpl::CaptureLoop() {
  while (!stop_.load()) {
    bool idle = true;
    Status s;
    {
      std::lock_guard lock(capture_mu_);
      if (capture_on_) s = CaptureStep(&idle);
    }
    if (!s.ok()) return Fail(s.WithContext("capture"));
    if (idle) std::this_thread::sleep_for(kIdleWait);
  }
}

// REQUIRES: capture_mu_ held.
Status MigrationImpl::CaptureStep(bool* idle) {
  std::vector<ChangeRecord> recs;
  RETURN_IF_ERROR(capture_reader_->Read(1000, &recs));
  for (const ChangeRecord& r : recs) RETURN_IF_ERROR(journal_->Append(r));
  uint64_t& unsynced = capture_unsynced_;
  unsynced += recs.size();
  *idle = recs.empty();
  // Sync when idle or every 20 ms: the journal's durability bounds how much
  // capture repeats after a crash, not correctness (the stream is pinned).
  if (unsynced > 0 && (recs.empty() || Clock::now() - last_sync_ >
                                           std::chrono::milliseconds(20))) {
    RETURN_IF_ERROR(journal_->Sync());
    last_sync_ = Clock::now();
    journal_synced_.store(journal_->synced_offset());
    uint64_t seq = capture_reader_->position();
    {
      std::lock_guard lock(mu_);
      state_.journal_offset = journal_->synced_offset();
      state_.captured += unsynced;
      state_.captured_seq = seq;
      state_dirty_ = true;
    }
    unsynced = 0;
    cv_.notify_all();
  }
  return Status::OK();
}

// ---------------------------------------------------------------- backfill

void MigrationImpl::BackfillWorker() {
  Result<std::unique_ptr<ItemMapper>> mapper = mappers_->NewMapper();
  if (!mapper.ok()) return Fail(mapper.status());
  while (!stop_.load()) {
    int seg = -1;
    {
      std::lock_guard lock(mu_);
      while (next_segment_ < static_cast<int>(state_.segments.size()) &&
             state_.segments[next_segment_].done) {
        ++next_segment_;
      }
      if (next_segment_ < static_cast<int>(state_.segments.size())) {
        seg = next_segment_++;
      }
    }
    if (seg < 0) return;
    Status s = BackfillSegment(mapper->get(), seg);
    if (!s.ok()) {
      if (s.code() != StatusCode::kCancelled) Fail(s);
      return;
    }
  }
}

Status MigrationImpl::BackfillSegment(ItemMapper* mapper, int seg) {
  const KeySchema& src_schema = source_->key_schema();
  std::string token;
  {
    std::lock_guard lock(mu_);
    token = state_.segments[seg].token;
  }
  std::vector<Item> outs;
  while (true) {
    while (paused_.load() && !stop_.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (stop_.load()) return Status::Cancelled("stopped");
    ScanOptions so;
    so.segment = seg;
    so.total_segments = static_cast<int>(state_.segments.size());
    so.limit = kScanPage;
    so.page_token = token;
    ASSIGN_OR_RETURN(Page page, source_->Scan(so));
    // Map the page: images and the source keys they come from.
    std::vector<Item> images;
    std::vector<Item> src_keys;
    std::vector<size_t> image_src;  // image i comes from src_keys[image_src[i]]
    for (const Item& item : page.items) {
      outs.clear();
      bool item_error = false;
      RETURN_IF_ERROR(MapItem(mapper, true, item, src_schema, "backfill", &outs,
                              &item_error));
      if (item_error) continue;
      if (outs.empty()) {
        std::lock_guard lock(mu_);
        ++state_.dropped;
        continue;
      }
      ASSIGN_OR_RETURN(Key src_key, ExtractKey(item, src_schema));
      src_keys.push_back(KeyToItem(src_key, src_schema));
      for (Item& out : outs) {
        images.push_back(std::move(out));
        image_src.push_back(src_keys.size() - 1);
      }
    }
    // Claim and write in batches: key map first, then the destination.
    uint64_t written = images.size();
    for (size_t b = 0; b < images.size(); b += kMaxBatchWriteItems) {
      size_t e = std::min(images.size(), b + kMaxBatchWriteItems);
      std::vector<Claim> claims;
      std::vector<WriteRequest> batch;
      for (size_t i = b; i < e; ++i) {
        ASSIGN_OR_RETURN(std::string kb,
                         KeyBytes(images[i], state_.destination_key_schema));
        claims.push_back(
            Claim{std::move(kb), &images[i], &src_keys[image_src[i]]});
      }
      RETURN_IF_ERROR(ClaimKeys(mapper, claims));
      for (size_t i = b; i < e; ++i) {
        batch.push_back(WriteRequest::Put(std::move(images[i])));
      }
      limiter_.Acquire(static_cast<double>(batch.size()));
      RETURN_IF_ERROR(WriteBatch(dest_.get(), std::move(batch)));
    }
    // The page's writes are acknowledged: the segment may move past it.
    bool all_done = false;
    {
      std::lock_guard lock(mu_);
      SegmentState& st = state_.segments[seg];
      st.token = page.next_page_token;
      st.scanned += page.items.size();
      st.written += written;
      scanned_ += page.items.size();
      written_ += written;
      if (page.next_page_token.empty()) {
        st.done = true;
        ++segments_done_;
        all_done = segments_done_ == static_cast<int>(state_.segments.size());
        if (all_done) state_.phase = RunPhase::kReplay;
      }
      state_dirty_ = true;
    }
    if (page.next_page_token.empty()) {
      if (all_done) {
        RETURN_IF_ERROR(SaveState());
        std::lock_guard lock(replay_mu_);
        replay_on_ = true;
      }
      cv_.notify_all();
      return Status::OK();
    }
    token = std::move(page.next_page_token);
  }
}

Status MigrationImpl::WriteBatch(Table* table,
                                 std::vector<WriteRequest> batch) {
  int attempt = 0;
  while (!batch.empty()) {
    // A failed call writes nothing; keep the batch to send it again.
    Result<BatchWriteResult> r = table->BatchWrite(batch);
    if (!r.ok()) {
      if (!r.status().retryable() || ++attempt > 12) return r.status();
      std::this_thread::sleep_for(
          std::chrono::milliseconds(1 << std::min(attempt, 8)));
      continue;
    }
    batch = std::move(r->unprocessed);
    if (!batch.empty()) {
      if (++attempt > 12) {
        return Status::ResourceExhausted(
            "batch write: entries still "
            "unprocessed after 12 attempts");
      }
      std::this_thread::sleep_for(
          std::chrono::milliseconds(1 << std::min(attempt, 8)));
    }
  }
  return Status::OK();
}

// ---------------------------------------------------------------- mapping

Status MigrationImpl::MapItem(ItemMapper* mapper, bool up, const Item& in,
                              const KeySchema& in_schema, const char* phase,
                              std::vector<Item>* out, bool* item_error) {
  *item_error = false;
  out->clear();
  ItemError error;
  Status s = up ? mapper->Up(in, out, &error) : mapper->Down(in, out, &error);
  if (s.ok()) return s;
  if (s.code() != StatusCode::kInvalidArgument) return s;
  out->clear();
  *item_error = true;
  ASSIGN_OR_RETURN(bool first, DeadLetter(phase, in, in_schema, error));
  if (!first) return Status::OK();  // counted when it was first written
  uint64_t errors;
  {
    std::lock_guard lock(mu_);
    errors = ++state_.errors;
    state_dirty_ = true;
  }
  if (errors > opts_.max_errors) {
    return Status::Aborted("more than " + std::to_string(opts_.max_errors) +
                           " item errors (--max-errors); the items and "
                           "reasons are in " +
                           dead_letter_path_ +
                           "; last: " + std::string(s.message()));
  }
  return Status::OK();
}

Result<bool> MigrationImpl::DeadLetter(const char* phase, const Item& item,
                                       const KeySchema& schema,
                                       const ItemError& error) {
  std::lock_guard lock(dead_mu_);
  if (dead_letters_ == nullptr) {
    ASSIGN_OR_RETURN(dead_letters_,
                     DeadLetterWriter::Open(
                         dead_letter_path_,
                         DeadLetterSource{state_.run_id, plan_.logical_table}));
  }
  ASSIGN_OR_RETURN(bool wrote,
                   dead_letters_->Write(phase, item, schema, error));
  RETURN_IF_ERROR(dead_letters_->Flush());
  return wrote;
}

Result<bool> MigrationImpl::MapsToKey(ItemMapper* mapper,
                                      const Item& source_key,
                                      const std::string& key_bytes) {
  ASSIGN_OR_RETURN(Key key, ExtractKey(source_key, source_->key_schema()));
  ASSIGN_OR_RETURN(std::optional<Item> cur, source_->Get(key));
  if (!cur) return false;
  std::vector<Item> outs;
  if (!mapper->Up(*cur, &outs, nullptr).ok()) return false;
  for (const Item& o : outs) {
    Result<std::string> kb = KeyBytes(o, state_.destination_key_schema);
    if (kb.ok() && *kb == key_bytes) return true;
  }
  return false;
}

Status MigrationImpl::ClaimKeys(ItemMapper* mapper,
                                const std::vector<Claim>& claims) {
  std::vector<size_t> stripes;
  for (const Claim& c : claims) {
    stripes.push_back(std::hash<std::string>()(c.key_bytes) % kClaimStripes);
  }
  std::sort(stripes.begin(), stripes.end());
  stripes.erase(std::unique(stripes.begin(), stripes.end()), stripes.end());
  std::vector<std::unique_lock<std::mutex>> locks;
  for (size_t st : stripes) locks.emplace_back(claim_mu_[st]);

  // The current owners, in one batched read of the key map (one request
  // per 100 keys on a remote store).
  std::map<std::string, std::optional<Item>> stored;
  {
    std::vector<Key> keys;
    for (const Claim& c : claims) {
      if (stored.emplace(c.key_bytes, std::nullopt).second) {
        keys.push_back(Key{AttributeValue::B(c.key_bytes), std::nullopt});
      }
    }
    ASSIGN_OR_RETURN(std::vector<std::optional<Item>> got,
                     keymap_->BatchGet(keys));
    for (size_t i = 0; i < keys.size(); ++i) {
      stored[keys[i].hash.b()] = std::move(got[i]);
    }
  }
  std::map<std::string, const Item*> in_batch;  // key -> source key
  std::vector<WriteRequest> puts;
  for (const Claim& c : claims) {
    const Item* owner = nullptr;
    if (auto it = in_batch.find(c.key_bytes); it != in_batch.end()) {
      owner = it->second;
    } else {
      const std::optional<Item>& cur = stored[c.key_bytes];
      const AttributeValue* src = cur ? cur->Find("src") : nullptr;
      if (src != nullptr && src->is(AttrType::kM)) owner = &src->m();
    }
    if (owner != nullptr && *owner == *c.source_key) continue;  // ours already
    if (owner != nullptr) {
      // Another source item claimed this key. Backfill reads are not a
      // snapshot, so check the two items as they are now.
      ASSIGN_OR_RETURN(bool a, MapsToKey(mapper, *owner, c.key_bytes));
      ASSIGN_OR_RETURN(bool b, MapsToKey(mapper, *c.source_key, c.key_bytes));
      if (a && b) {
        return Status::FailedPrecondition(
            "two source items map to one destination key " +
            KeyJson(*c.out, state_.destination_key_schema) + ": " +
            ItemToJson(*owner) + " and " + ItemToJson(*c.source_key) +
            " (up must map distinct items to distinct keys; the active table "
            "was not written)");
      }
    }
    in_batch[c.key_bytes] = c.source_key;
    Item claim;
    claim.Set("k", AttributeValue::B(c.key_bytes));
    claim.Set("src", AttributeValue::M(*c.source_key));
    puts.push_back(WriteRequest::Put(std::move(claim)));
  }
  // A batch may not hold one key twice: keep the last claim of each key.
  std::map<std::string, size_t> last;
  for (size_t i = 0; i < puts.size(); ++i) {
    last[puts[i].item.Find("k")->b()] = i;
  }
  if (last.size() != puts.size()) {
    std::vector<WriteRequest> dedup;
    for (auto& [k, i] : last) dedup.push_back(std::move(puts[i]));
    puts = std::move(dedup);
  }
  if (puts.empty()) return Status::OK();
  return WriteBatch(keymap_.get(), std::move(puts));
}

void MigrationImpl::ReleaseKey(const std::string& key_bytes,
                               const Item& source_key) {
  Key k{AttributeValue::B(key_bytes), std::nullopt};
  // Only the owner releases; a failed condition means someone else owns it.
  Result<std::optional<Item>> r = keymap_->Delete(
      k, Condition::AttributeEquals("src", AttributeValue::M(source_key)));
  (void)r;
}

Status MigrationImpl::ApplyRecords(ItemMapper* mapper, bool up,
                                   const std::vector<ChangeRecord>& recs,
                                   Table* target,
                                   const KeySchema& source_schema, bool claim) {
  const KeySchema& target_schema = target->key_schema();
  const char* phase = up ? "replay" : "reverse-sync";
  // The net effect of the records on each target key, in record order (a
  // later record's effect replaces an earlier one's: per-key order holds).
  struct Effect {
    std::optional<Item> put;  // nullopt: delete `key`
    Key key;
    const Item* source_key = nullptr;
  };
  std::map<std::string, Effect> effects;
  std::vector<Item> old_out, new_out;
  for (const ChangeRecord& rec : recs) {
    bool err = false;
    old_out.clear();
    new_out.clear();
    if (rec.old_image) {
      RETURN_IF_ERROR(MapItem(mapper, up, *rec.old_image, source_schema, phase,
                              &old_out, &err));
    }
    if (rec.new_image) {
      RETURN_IF_ERROR(MapItem(mapper, up, *rec.new_image, source_schema, phase,
                              &new_out, &err));
      if (err) continue;  // dead-lettered; the old images stay
    }
    std::set<std::string> new_keys;
    for (Item& n : new_out) {
      ASSIGN_OR_RETURN(std::string kb, KeyBytes(n, target_schema));
      new_keys.insert(kb);
      effects[std::move(kb)] = Effect{std::move(n), Key{}, &rec.keys};
    }
    for (const Item& o : old_out) {
      ASSIGN_OR_RETURN(std::string kb, KeyBytes(o, target_schema));
      if (new_keys.count(kb) != 0) continue;
      ASSIGN_OR_RETURN(Key key, ExtractKey(o, target_schema));
      effects[std::move(kb)] = Effect{std::nullopt, std::move(key), &rec.keys};
    }
  }
  // Claim the keys about to be written, then write, then release the keys
  // deleted. A crash in between is repaired by applying the records again.
  std::vector<std::pair<const std::string*, Effect*>> order;
  for (auto& [kb, e] : effects) order.emplace_back(&kb, &e);
  for (size_t b = 0; b < order.size(); b += kMaxBatchWriteItems) {
    size_t e = std::min(order.size(), b + kMaxBatchWriteItems);
    std::vector<Claim> claims;
    std::vector<WriteRequest> batch;
    for (size_t i = b; i < e; ++i) {
      Effect& eff = *order[i].second;
      if (eff.put) {
        if (claim)
          claims.push_back(Claim{*order[i].first, &*eff.put, eff.source_key});
      } else {
        batch.push_back(WriteRequest::Delete(std::move(eff.key)));
      }
    }
    if (!claims.empty()) RETURN_IF_ERROR(ClaimKeys(mapper, claims));
    for (size_t i = b; i < e; ++i) {
      Effect& eff = *order[i].second;
      if (eff.put) batch.push_back(WriteRequest::Put(std::move(*eff.put)));
    }
    RETURN_IF_ERROR(WriteBatch(target, std::move(batch)));
    if (claim) {
      for (size_t i = b; i < e; ++i) {
        Effect& eff = *order[i].second;
        if (!eff.put.has_value()) ReleaseKey(*order[i].first, *eff.source_key);
      }
    }
  }
  return Status::OK();
}

// ---------------------------------------------------------------- replay

void MigrationImpl::SyncLoop(std::mutex* mu, const bool* on, const char* what,
                             Status (MigrationImpl::*step)(ItemMapper*,
                                                           bool*)) {
  Result<std::unique_ptr<ItemMapper>> mapper = mappers_->NewMapper();
  if (!mapper.ok()) return Fail(mapper.status());
  while (!stop_.load()) {
    bool idle = true;
    Status s;
    {
      std::lock_guard lock(*mu);
      if (*on && !paused_.load()) s = (this->*step)(mapper->get(), &idle);
    }
    if (!s.ok()) return Fail(s.WithContext(what));
    if (idle) std::this_thread::sleep_for(kIdleWait);
  }
}

// REQUIRES: replay_mu_ held.
Status MigrationImpl::ReplayStep(ItemMapper* mapper, bool* idle) {
  const KeySchema& src_schema = source_->key_schema();
  uint64_t limit = journal_synced_.load();
  std::vector<ChangeRecord> batch;
  uint64_t end_offset = 0;
  while (batch.size() < 256) {
    if (!replay_stash_) {
      std::vector<ChangeRecord> recs;
      RETURN_IF_ERROR(replay_reader_->Read(limit, 1, &recs));
      if (recs.empty()) break;
      replay_stash_ = std::move(recs.front());
      replay_stash_end_ = replay_reader_->offset();
    }
    // Verify holds replay at Q: the record waits in the stash.
    if (replay_stash_->sequence > replay_limit_.load()) break;
    batch.push_back(std::move(*replay_stash_));
    replay_stash_.reset();
    end_offset = replay_stash_end_;
  }
  if (batch.empty()) return Status::OK();
  *idle = false;
  RETURN_IF_ERROR(
      ApplyRecords(mapper, true, batch, dest_.get(), src_schema, true));
  {
    std::lock_guard lock(mu_);
    // Past the batch only now that all of it is applied.
    state_.replay_offset = end_offset;
    state_.replayed_seq = batch.back().sequence;
    state_.replayed += batch.size();
    state_dirty_ = true;
  }
  cv_.notify_all();
  return Status::OK();
}

// ---------------------------------------------------------------- reverse

// REQUIRES: reverse_mu_ held.
Status MigrationImpl::ReverseStep(ItemMapper* mapper, bool* idle) {
  if (reverse_stash_.empty()) {
    std::vector<ChangeRecord> recs;
    RETURN_IF_ERROR(reverse_reader_->Read(256, &recs));
    for (ChangeRecord& r : recs) reverse_stash_.push_back(std::move(r));
  }
  std::vector<ChangeRecord> batch;
  while (!reverse_stash_.empty() &&
         reverse_stash_.front().sequence <= reverse_limit_.load()) {
    batch.push_back(std::move(reverse_stash_.front()));
    reverse_stash_.pop_front();
  }
  if (batch.empty()) return Status::OK();
  *idle = false;
  RETURN_IF_ERROR(ApplyRecords(mapper, false, batch, source_.get(),
                               state_.destination_key_schema, false));
  {
    std::lock_guard lock(mu_);
    state_.reverse_seq = batch.back().sequence;
    state_dirty_ = true;
  }
  cv_.notify_all();
  return Status::OK();
}

// ---------------------------------------------------------------- keeper

void MigrationImpl::KeeperLoop() {
  auto last_report = Clock::now();
  uint64_t last_written = 0;
  auto last_rate_at = Clock::now();
  while (!stop_.load()) {
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, kCheckpointEvery, [&] { return stop_.load(); });
    }
    if (stop_.load()) break;
    bool dirty;
    {
      std::lock_guard lock(mu_);
      dirty = state_dirty_;
      auto now = Clock::now();
      double dt = std::chrono::duration<double>(now - last_rate_at).count();
      if (dt >= 1.0) {
        rate_recent_ = static_cast<double>(written_ - last_written) / dt;
        last_written = written_;
        last_rate_at = now;
      }
    }
    if (dirty) {
      Status s = SaveState();
      if (!s.ok()) return Fail(s.WithContext("checkpoint"));
      // Release stream records the checkpoint no longer needs.
      uint64_t captured, reversed;
      RunPhase ph;
      {
        std::lock_guard lock(mu_);
        captured = state_.captured_seq;
        reversed = state_.reverse_seq;
        ph = state_.phase;
      }
      Status a = ph == RunPhase::kCutOver
                     ? dest_->AckStreamConsumer(ConsumerName(), reversed)
                     : source_->AckStreamConsumer(ConsumerName(), captured);
      // OutOfRange: the store publishes its latest sequence just after the
      // records are readable; the next checkpoint acks again.
      if (!a.ok() && a.code() != StatusCode::kUnimplemented &&
          a.code() != StatusCode::kOutOfRange && !a.IsNotFound()) {
        return Fail(a.WithContext("stream consumer"));
      }
    }
    if (opts_.on_progress &&
        Clock::now() - last_report >= std::chrono::seconds(1)) {
      last_report = Clock::now();
      opts_.on_progress(progress());
    }
  }
}

MigrationProgress MigrationImpl::progress() const {
  MigrationProgress p;
  uint64_t replayed_seq;
  {
    std::lock_guard lock(mu_);
    p.phase = state_.phase;
    for (const SegmentState& s : state_.segments) {
      p.scanned += s.scanned;
      p.written += s.written;
    }
    p.dropped = state_.dropped;
    p.errors = state_.errors;
    p.segments_done = segments_done_;
    p.segments_total = static_cast<int>(state_.segments.size());
    p.captured = state_.captured;
    p.replayed = state_.replayed;
    p.items_per_second = rate_recent_;
    replayed_seq = p.phase == RunPhase::kCutOver ? state_.reverse_seq
                                                 : state_.replayed_seq;
  }
  p.elapsed_seconds =
      std::chrono::duration<double>(Clock::now() - started_).count();
  Table* side = p.phase == RunPhase::kCutOver ? dest_.get() : source_.get();
  Result<TableDescription> d = side->Describe();
  if (d.ok()) {
    uint64_t latest = d->latest_sequence;
    p.replay_lag = latest > replayed_seq ? latest - replayed_seq : 0;
    if (p.phase != RunPhase::kCutOver) p.estimated_total = d->item_count;
  }
  return p;
}

// ---------------------------------------------------------------- waits

Status MigrationImpl::WaitBackfill() {
  return WaitUntil([&] { return state_.phase != RunPhase::kBackfill; });
}

Status MigrationImpl::DrainForward(uint64_t target) {
  return WaitUntil([&] {
    return state_.phase != RunPhase::kBackfill &&
           state_.captured_seq >= target && state_.replayed_seq >= target;
  });
}

Status MigrationImpl::DrainReverse(uint64_t target) {
  return WaitUntil([&] { return state_.reverse_seq >= target; });
}

Status MigrationImpl::PreDrain(Table* t, bool reverse) {
  constexpr uint64_t kSmallLag = 200;
  for (int round = 0; round < 50; ++round) {
    ASSIGN_OR_RETURN(uint64_t latest, LatestSequence(t));
    RETURN_IF_ERROR(reverse ? DrainReverse(latest) : DrainForward(latest));
    uint64_t applied;
    {
      std::lock_guard lock(mu_);
      applied = reverse ? state_.reverse_seq : state_.replayed_seq;
    }
    ASSIGN_OR_RETURN(uint64_t now, LatestSequence(t));
    if (now <= applied + kSmallLag) break;
  }
  return Status::OK();
}

Status MigrationImpl::WaitCaughtUp() {
  RETURN_IF_ERROR(WaitBackfill());
  if (phase() == RunPhase::kCutOver) {
    ASSIGN_OR_RETURN(uint64_t latest, LatestSequence(dest_.get()));
    return DrainReverse(latest);
  }
  ASSIGN_OR_RETURN(uint64_t latest, LatestSequence(source_.get()));
  return DrainForward(latest);
}

// ---------------------------------------------------------------- verify

Result<VerifyReport> MigrationImpl::Verify(size_t max_reported) {
  std::lock_guard op(op_mu_);
  RETURN_IF_ERROR(WaitBackfill());
  auto t0 = Clock::now();
  bool cut_over = phase() == RunPhase::kCutOver;
  Table* from = cut_over ? dest_.get() : source_.get();
  Table* to = cut_over ? source_.get() : dest_.get();
  std::mutex& sync_mu = cut_over ? reverse_mu_ : replay_mu_;
  std::atomic<uint64_t>& limit = cut_over ? reverse_limit_ : replay_limit_;
  // Freeze sync where it is, snapshot the mapped side at Q, let sync apply
  // exactly the records up to Q, snapshot the other side, compare.
  {
    std::lock_guard lock(sync_mu);
    std::lock_guard l(mu_);
    limit.store(cut_over ? state_.reverse_seq : state_.replayed_seq);
  }
  Result<std::unique_ptr<Snapshot>> from_snap = from->GetSnapshot();
  if (from_snap.status().code() == StatusCode::kUnimplemented) {
    limit.store(UINT64_MAX);  // no Q to hold sync at
    ASSIGN_OR_RETURN(VerifyReport report,
                     VerifyLive(from, to, cut_over, max_reported));
    report.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    return report;
  }
  std::unique_ptr<Snapshot> to_snap;
  uint64_t q = 0;
  Status drained = from_snap.status();
  if (drained.ok()) {
    q = (*from_snap)->sequence();
    limit.store(q);
    drained = WaitUntil([&] {
      return cut_over ? state_.reverse_seq >= q
                      : state_.captured_seq >= q && state_.replayed_seq >= q;
    });
  }
  if (drained.ok()) {
    // Sync applied everything <= Q and, held by the limit, nothing more.
    std::lock_guard lock(sync_mu);
    Result<std::unique_ptr<Snapshot>> s = to->GetSnapshot();
    if (s.ok()) {
      to_snap = std::move(*s);
    } else {
      drained = s.status();
    }
  }
  limit.store(UINT64_MAX);
  RETURN_IF_ERROR(drained);
  ASSIGN_OR_RETURN(VerifyReport report,
                   Compare(from, from_snap->get(), !cut_over, to, to_snap.get(),
                           max_reported));
  report.sequence = q;
  report.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return report;
}

// Stores without snapshots (DynamoDB): compare consistent scans of both
// sides after sync has passed the newest record of the mapped side. A key
// that differs may have been written between the two scans, so each one is
// then re-checked with point reads (Recheck).
Result<VerifyReport> MigrationImpl::VerifyLive(Table* from, Table* to,
                                               bool cut_over,
                                               size_t max_reported) {
  ASSIGN_OR_RETURN(uint64_t target, LatestSequence(from));
  RETURN_IF_ERROR(cut_over ? DrainReverse(target) : DrainForward(target));
  Suspects suspects;
  ASSIGN_OR_RETURN(
      VerifyReport report,
      Compare(from, nullptr, !cut_over, to, nullptr, max_reported, &suspects));
  report.sequence = target;
  if (suspects.empty()) return report;  // clean, or collisions (counted)
  ASSIGN_OR_RETURN(RecheckResult still,
                   Recheck(from, to, cut_over, std::move(suspects)));
  report.differences += still.different.size();
  report.unsettled = still.unsettled;
  for (auto& [k, d] : still.different) {
    if (report.first.size() >= max_reported) break;
    report.first.push_back(std::move(d));
  }
  return report;
}

// Each attempt reads the suspects' mapped-side items, lets sync pass the
// newest record of that side, reads the other side, then the mapped side
// again. Where the mapped side did not change in between, the other side's
// read came after sync had applied that very state, so the two must be
// equal; if they are, the key is clean. Over kAttempts attempts (spaced
// out, so that a hot key gets quiet moments), a key found unequal while
// quiet and never equal is a difference; a key never quiet is unsettled.
// Keys the other side's item maps back to (its inverse mapping) join the
// key's mapped-side keys: an item written after the scan.
Result<MigrationImpl::RecheckResult> MigrationImpl::Recheck(Table* from,
                                                            Table* to,
                                                            bool cut_over,
                                                            Suspects suspects) {
  constexpr int kAttempts = 10;
  const KeySchema& from_schema = from->key_schema();
  const KeySchema& to_schema = to->key_schema();
  ASSIGN_OR_RETURN(std::unique_ptr<ItemMapper> m, mappers_->NewMapper());
  auto map = [&](const Item& in, bool forward, std::vector<Item>* out) {
    out->clear();
    Status s = forward != cut_over ? m->Up(in, out, nullptr)
                                   : m->Down(in, out, nullptr);
    if (!s.ok()) out->clear();
  };
  auto same = [](const std::optional<Item>& a, const std::optional<Item>& b) {
    return a.has_value() == b.has_value() &&
           (!a || HashItem(*a) == HashItem(*b));
  };
  std::map<std::string, VerifyReport::Difference> shown;
  for (int attempt = 0; attempt < kAttempts && !suspects.empty(); ++attempt) {
    if (attempt > 0) {
      std::this_thread::sleep_for(
          std::chrono::milliseconds(std::min(20 << attempt, 1000)));
    }
    std::vector<Key> from_keys, to_keys;
    std::map<std::string, size_t> from_index;  // key bytes -> from_keys
    for (auto& [kb, sp] : suspects) {
      to_keys.push_back(sp.to_key);
      for (const Key& k : sp.from_keys) {
        std::string b = KeyBytes(k);
        if (from_index.emplace(b, from_keys.size()).second) {
          from_keys.push_back(k);
        }
      }
    }
    ASSIGN_OR_RETURN(std::vector<std::optional<Item>> before,
                     from->BatchGet(from_keys));
    ASSIGN_OR_RETURN(uint64_t target, LatestSequence(from));
    RETURN_IF_ERROR(cut_over ? DrainReverse(target) : DrainForward(target));
    ASSIGN_OR_RETURN(std::vector<std::optional<Item>> actual,
                     to->BatchGet(to_keys));
    ASSIGN_OR_RETURN(std::vector<std::optional<Item>> after,
                     from->BatchGet(from_keys));
    size_t i = 0;
    for (auto it = suspects.begin(); it != suspects.end(); ++i) {
      const std::string& kb = it->first;
      Suspect& sp = it->second;
      bool stable = true;
      std::optional<Item> expected;
      std::vector<Item> outs;
      for (const Key& k : sp.from_keys) {
        size_t at = from_index[KeyBytes(k)];
        if (!same(before[at], after[at])) stable = false;
        if (!after[at]) continue;
        map(*after[at], true, &outs);
        for (Item& o : outs) {
          Result<std::string> okb = KeyBytes(o, to_schema);
          if (okb.ok() && *okb == kb) expected = std::move(o);
        }
      }
      if (actual[i]) {
        map(*actual[i], false, &outs);
        for (const Item& o : outs) {
          Result<Key> k = ExtractKey(o, from_schema);
          if (!k.ok() || from_index.count(KeyBytes(*k)) != 0) continue;
          sp.from_keys.push_back(*k);  // read in the next attempt
          stable = false;
        }
      }
      if (stable && same(expected, actual[i])) {
        shown.erase(kb);
        it = suspects.erase(it);
        continue;
      }
      if (!stable) {
        ++it;
        continue;
      }
      VerifyReport::Difference& d = shown[kb];  // unequal while quiet
      d.key = ItemToJson(KeyToItem(sp.to_key, to_schema));
      d.expected = expected ? ItemToJson(*expected) : "";
      d.actual = actual[i] ? ItemToJson(*actual[i]) : "";
      ++it;
    }
  }
  RecheckResult result;
  result.different = std::move(shown);
  result.unsettled = suspects.size() - result.different.size();
  return result;
}

Result<VerifyReport> MigrationImpl::Compare(Table* from,
                                            const Snapshot* from_snap, bool up,
                                            Table* to, const Snapshot* to_snap,
                                            size_t max_reported,
                                            Suspects* suspects) {
  const KeySchema& from_schema = from->key_schema();
  const KeySchema& to_schema = to->key_schema();
  const int segments = 16;
  const int threads = std::max(1, opts_.threads);

  // Pass 1: per-bucket multiset hashes of expected (mapped) and actual.
  std::vector<Multiset> expected(kVerifyBuckets), actual(kVerifyBuckets);
  std::mutex merge_mu;
  VerifyReport report;
  std::atomic<int> next{0};
  Status first_error;
  auto scan_all = [&](Table* t, const Snapshot* snap,
                      auto&& on_item) -> Status {
    // Runs on_item(item, mapper) over every item of t at snap, in parallel.
    next = 0;
    std::vector<std::thread> ws;
    std::vector<Status> errs(static_cast<size_t>(threads));
    for (int w = 0; w < threads; ++w) {
      ws.emplace_back([&, w] {
        Result<std::unique_ptr<ItemMapper>> m = mappers_->NewMapper();
        if (!m.ok()) {
          errs[w] = m.status();
          return;
        }
        for (int seg = next++; seg < segments; seg = next++) {
          ScanOptions so;
          so.segment = seg;
          so.total_segments = segments;
          so.limit = 500;
          so.snapshot = snap;
          do {
            Result<Page> page = t->Scan(so);
            if (!page.ok()) {
              errs[w] = page.status();
              return;
            }
            for (const Item& item : page->items) {
              Status s = on_item(item, m->get(), w);
              if (!s.ok()) {
                errs[w] = s;
                return;
              }
            }
            so.page_token = std::move(page->next_page_token);
          } while (!so.page_token.empty());
        }
      });
    }
    for (auto& w : ws) w.join();
    for (Status& s : errs) RETURN_IF_ERROR(s);
    return Status::OK();
  };

  auto map_item = [&](ItemMapper* m, const Item& in, std::vector<Item>* out) {
    out->clear();
    Status s = up ? m->Up(in, out, nullptr) : m->Down(in, out, nullptr);
    if (!s.ok()) out->clear();  // an item error: expected nothing; it shows
    return s;
  };

  std::atomic<uint64_t> from_count{0}, expected_count{0}, to_count{0},
      unmapped{0};
  // Each scanning thread sums into its own buckets: no lock per item.
  std::vector<std::vector<Multiset>> part(
      static_cast<size_t>(threads), std::vector<Multiset>(kVerifyBuckets));
  auto merge_parts = [&](std::vector<Multiset>* into) {
    for (std::vector<Multiset>& p : part) {
      for (size_t b = 0; b < kVerifyBuckets; ++b) {
        (*into)[b].Merge(p[b]);
        p[b] = Multiset{};
      }
    }
  };
  RETURN_IF_ERROR(scan_all(
      from, from_snap, [&](const Item& item, ItemMapper* m, int w) -> Status {
        std::vector<Item> outs;
        Status ms = map_item(m, item, &outs);
        if (!ms.ok() && ms.code() != StatusCode::kInvalidArgument) return ms;
        if (!ms.ok()) ++unmapped;
        std::vector<Multiset>& sums = part[static_cast<size_t>(w)];
        for (const Item& o : outs) {
          Result<std::string> kb = KeyBytes(o, to_schema);
          if (!kb.ok()) continue;
          sums[BucketOf(*kb)].Add(HashItem(o));
          ++expected_count;
        }
        ++from_count;
        return Status::OK();
      }));
  merge_parts(&expected);
  RETURN_IF_ERROR(scan_all(
      to, to_snap, [&](const Item& item, ItemMapper*, int w) -> Status {
        ASSIGN_OR_RETURN(std::string kb, KeyBytes(item, to_schema));
        part[static_cast<size_t>(w)][BucketOf(kb)].Add(HashItem(item));
        ++to_count;
        return Status::OK();
      }));
  merge_parts(&actual);
  report.source_items = from_count;
  report.expected_items = expected_count;
  report.destination_items = to_count;
  report.unmapped = unmapped;

  std::vector<bool> bad(kVerifyBuckets, false);
  bool any = false;
  for (size_t b = 0; b < kVerifyBuckets; ++b) {
    if (!(expected[b] == actual[b])) bad[b] = any = true;
  }
  if (!any) return report;

  // Pass 2: key -> hash in the mismatched buckets, both sides (and, for
  // suspects, the keys involved).
  std::map<std::string, Hash128> exp_keys, act_keys;
  std::set<std::string> twice;  // keys produced or found twice
  Suspects found;
  RETURN_IF_ERROR(scan_all(
      from, from_snap, [&](const Item& item, ItemMapper* m, int) -> Status {
        std::vector<Item> outs;
        (void)map_item(m, item, &outs);
        for (const Item& o : outs) {
          Result<std::string> kb = KeyBytes(o, to_schema);
          if (!kb.ok() || !bad[BucketOf(*kb)]) continue;
          Hash128 h = HashItem(o);
          std::lock_guard lock(merge_mu);
          if (!exp_keys.emplace(*kb, h).second) {
            exp_keys[*kb] = h;
            twice.insert(*kb);
          }
          if (suspects != nullptr) {
            Suspect& sp = found[*kb];
            sp.to_key = *ExtractKey(o, to_schema);
            sp.from_keys.push_back(*ExtractKey(item, from_schema));
          }
        }
        return Status::OK();
      }));
  RETURN_IF_ERROR(
      scan_all(to, to_snap, [&](const Item& item, ItemMapper*, int) -> Status {
        ASSIGN_OR_RETURN(std::string kb, KeyBytes(item, to_schema));
        if (!bad[BucketOf(kb)]) return Status::OK();
        Hash128 h = HashItem(item);
        std::lock_guard lock(merge_mu);
        if (!act_keys.emplace(kb, h).second) twice.insert(kb);
        if (suspects != nullptr)
          found[kb].to_key = *ExtractKey(item, to_schema);
        return Status::OK();
      }));
  std::set<std::string> diff;
  for (auto& [k, h] : exp_keys) {
    auto it = act_keys.find(k);
    if (it == act_keys.end() || !(it->second == h)) diff.insert(k);
  }
  for (auto& [k, h] : act_keys) {
    if (exp_keys.count(k) == 0) diff.insert(k);
  }
  for (const std::string& k : twice) diff.erase(k);
  report.differences = diff.size() + twice.size();
  if (suspects != nullptr) {
    // Live tables: the two passes read different moments, so buckets that
    // differed in pass 1 but hold no differing key in pass 2 had a write in
    // flight. Keys seen twice are differences (collisions); the others are
    // re-checked.
    report.differences = twice.size();
    for (const std::string& k : diff) suspects->emplace(k, std::move(found[k]));
    for (const std::string& k : twice) {
      if (report.first.size() >= max_reported) break;
      report.first.push_back({ItemToJson(KeyToItem(found[k].to_key, to_schema)),
                              "(two items map to this key)", ""});
    }
    return report;
  }
  if (report.differences == 0) {
    // Same keys and hashes but different multisets: duplicates (fan-out
    // collisions) hiding from the key maps. Count the buckets.
    for (bool b : bad) report.differences += b;
  }
  for (const std::string& k : twice) diff.insert(k);

  // Pass 3: the items of the first few differing keys.
  std::set<std::string> wanted;
  for (const std::string& k : diff) {
    if (wanted.size() >= max_reported) break;
    wanted.insert(k);
  }
  std::map<std::string, VerifyReport::Difference> shown;
  RETURN_IF_ERROR(scan_all(from, from_snap,
                           [&](const Item& item, ItemMapper* m, int) -> Status {
                             std::vector<Item> outs;
                             (void)map_item(m, item, &outs);
                             for (const Item& o : outs) {
                               Result<std::string> kb = KeyBytes(o, to_schema);
                               if (!kb.ok() || wanted.count(*kb) == 0) continue;
                               std::lock_guard lock(merge_mu);
                               auto& d = shown[*kb];
                               d.key = KeyJson(o, to_schema);
                               d.expected = ItemToJson(o);
                             }
                             return Status::OK();
                           }));
  RETURN_IF_ERROR(
      scan_all(to, to_snap, [&](const Item& item, ItemMapper*, int) -> Status {
        ASSIGN_OR_RETURN(std::string kb, KeyBytes(item, to_schema));
        if (wanted.count(kb) == 0) return Status::OK();
        std::lock_guard lock(merge_mu);
        auto& d = shown[kb];
        d.key = KeyJson(item, to_schema);
        d.actual = ItemToJson(item);
        return Status::OK();
      }));
  for (auto& [k, d] : shown) report.first.push_back(std::move(d));
  return report;
}

// ---------------------------------------------------------------- flips

Result<FlipReport> MigrationImpl::Cutover(const FlipOptions& opts) {
  std::lock_guard op(op_mu_);
  RunPhase ph = phase();
  if (ph == RunPhase::kBackfill) RETURN_IF_ERROR(WaitBackfill());
  ph = phase();
  if (ph != RunPhase::kReplay && ph != RunPhase::kRolledBack) {
    return Status::FailedPrecondition("cannot cut over in phase " +
                                      std::string(RunPhaseName(ph)));
  }
  // Turn the destination's stream on now (reverse sync reads it only from
  // the flip on), and drain the lag before holding writes, in rounds until
  // what is left is small: the pause is only the last round's.
  RETURN_IF_ERROR(store_->UpdateStream(state_.destination, true));
  RETURN_IF_ERROR(PreDrain(source_.get(), false));
  FlipReport report;
  report.from_table = state_.source;
  report.to_table = state_.destination;
  ASSIGN_OR_RETURN(std::unique_ptr<Fence> fence, FenceWriters(state_.source));
  ASSIGN_OR_RETURN(std::unique_ptr<WriteHold> hold,
                   router_->HoldWrites(plan_.logical_table));
  CrashPoint("cutover.held");
  uint64_t replayed_before;
  {
    std::lock_guard lock(mu_);
    replayed_before = state_.replayed;
  }
  // With writes held the source cannot change: drain to its last record.
  ASSIGN_OR_RETURN(uint64_t target, LatestSequence(source_.get()));
  RETURN_IF_ERROR(DrainForward(target));
  {
    std::lock_guard lc(capture_mu_);
    std::lock_guard lr(replay_mu_);
    capture_on_ = false;
    replay_on_ = false;
  }
  ASSIGN_OR_RETURN(uint64_t reverse_start, LatestSequence(dest_.get()));
  RETURN_IF_ERROR(PinStream(dest_.get(), reverse_start));
  uint64_t epoch = 0;
  ASSIGN_OR_RETURN(std::optional<control::Pointer> ptr,
                   control::GetPointer(store_, plan_.logical_table));
  if (ptr) epoch = ptr->epoch;
  {
    std::lock_guard lock(mu_);
    state_.phase = RunPhase::kCutOver;
    state_.forward_stop_seq = target;
    state_.reverse_seq = reverse_start;
    report.drained_records = state_.replayed - replayed_before;
  }
  // Save the state before the flip: the pointer is the commit point, and a
  // resumed run trusts the pointer over the state.
  RETURN_IF_ERROR(SaveState());
  CrashPoint("cutover.saved");
  {
    std::lock_guard lr(reverse_mu_);
    ASSIGN_OR_RETURN(reverse_reader_,
                     dest_->OpenStream(StreamPosition::After(reverse_start)));
    reverse_on_ = true;
  }
  control::Pointer np{state_.destination, epoch + 1, "active", state_.run_id};
  RETURN_IF_ERROR(router_->Flip(plan_.logical_table, np, hold.get()));
  if (fence) fence->Dismiss();
  CrashPoint("cutover.flipped");
  report.write_pause_ms = hold->held_ms();
  hold.reset();  // writes go on, to the destination
  return report;
}

Result<std::unique_ptr<MigrationImpl::Fence>> MigrationImpl::FenceWriters(
    const std::string& active) {
  if (opts_.fence_seconds <= 0) return std::unique_ptr<Fence>();
  ASSIGN_OR_RETURN(std::optional<control::Pointer> ptr,
                   control::GetPointer(store_, plan_.logical_table));
  control::Pointer p =
      ptr ? *ptr : control::Pointer{active, 0, "active", state_.run_id};
  p.state = "active";
  auto fence = std::make_unique<Fence>(store_, plan_.logical_table, p);
  control::Pointer switching = p;
  switching.state = "switching";
  switching.run = state_.run_id;
  RETURN_IF_ERROR(control::SetPointer(store_, plan_.logical_table, switching));
  CrashPoint("flip.switching");
  std::this_thread::sleep_for(
      std::chrono::duration<double>(opts_.fence_seconds));
  return fence;
}

Result<FlipReport> MigrationImpl::Rollback(const FlipOptions& opts) {
  std::lock_guard op(op_mu_);
  if (phase() != RunPhase::kCutOver) {
    return Status::FailedPrecondition(
        "rollback needs a cut-over run; the run of " + plan_.logical_table +
        " is in phase " + std::string(RunPhaseName(phase())));
  }
  RETURN_IF_ERROR(PreDrain(dest_.get(), true));
  FlipReport report;
  report.from_table = state_.destination;
  report.to_table = state_.source;
  ASSIGN_OR_RETURN(std::unique_ptr<Fence> fence,
                   FenceWriters(state_.destination));
  ASSIGN_OR_RETURN(std::unique_ptr<WriteHold> hold,
                   router_->HoldWrites(plan_.logical_table));
  CrashPoint("rollback.held");
  ASSIGN_OR_RETURN(uint64_t target, LatestSequence(dest_.get()));
  RETURN_IF_ERROR(DrainReverse(target));
  {
    std::lock_guard lr(reverse_mu_);
    reverse_on_ = false;
  }
  // Forward capture resumes after everything reverse sync wrote into the
  // source (those records must not flow forward again).
  ASSIGN_OR_RETURN(uint64_t restart, LatestSequence(source_.get()));
  uint64_t epoch = 0;
  ASSIGN_OR_RETURN(std::optional<control::Pointer> ptr,
                   control::GetPointer(store_, plan_.logical_table));
  if (ptr) epoch = ptr->epoch;
  {
    RETURN_IF_ERROR(PinStream(source_.get(), restart));
    std::lock_guard lc(capture_mu_);
    ASSIGN_OR_RETURN(capture_reader_,
                     source_->OpenStream(StreamPosition::After(restart)));
    std::lock_guard lock(mu_);
    state_.phase = RunPhase::kRolledBack;
    state_.captured_seq = restart;
    state_.replayed_seq = restart;
  }
  RETURN_IF_ERROR(SaveState());
  CrashPoint("rollback.saved");
  control::Pointer np{state_.source, epoch + 1, "active", state_.run_id};
  RETURN_IF_ERROR(router_->Flip(plan_.logical_table, np, hold.get()));
  if (fence) fence->Dismiss();
  CrashPoint("rollback.flipped");
  {
    std::lock_guard lc(capture_mu_);
    capture_on_ = true;
  }
  {
    std::lock_guard lr(replay_mu_);
    replay_on_ = true;
  }
  report.write_pause_ms = hold->held_ms();
  hold.reset();
  return report;
}

Status MigrationImpl::Finish() {
  std::lock_guard op(op_mu_);
  if (phase() != RunPhase::kCutOver) {
    return Status::FailedPrecondition(
        "finish needs a cut-over run (cut over first, or roll back and "
        "abandon); the run of " +
        plan_.logical_table + " is in phase " +
        std::string(RunPhaseName(phase())));
  }
  ASSIGN_OR_RETURN(uint64_t latest, LatestSequence(dest_.get()));
  RETURN_IF_ERROR(DrainReverse(latest));
  {
    std::lock_guard lr(reverse_mu_);
    reverse_on_ = false;
  }
  if (opts_.on_finish) RETURN_IF_ERROR(opts_.on_finish(plan_, progress()));
  {
    std::lock_guard lock(mu_);
    state_.phase = RunPhase::kFinished;
  }
  RETURN_IF_ERROR(SaveState());
  // The stream consumers and the key map only served this run.
  (void)source_->DropStreamConsumer(ConsumerName());
  (void)dest_->DropStreamConsumer(ConsumerName());
  Status s = store_->DropTable(keymap_->name());
  if (!s.ok() && !s.IsNotFound()) return s;
  return Status::OK();
}

}  // namespace

Result<std::unique_ptr<Migration>> OpenMigration(RouterControl* router,
                                                 Store* store,
                                                 MapperFactory* mappers,
                                                 const MigrationPlan& plan,
                                                 const MigrateOptions& opts) {
  auto m = std::make_unique<MigrationImpl>(router, store, mappers, plan, opts);
  RETURN_IF_ERROR(m->Init());
  return std::unique_ptr<Migration>(std::move(m));
}

}  // namespace migrate

Result<std::unique_ptr<Migration>> Migration::Open(Router* router, Store* store,
                                                   MapperFactory* mappers,
                                                   const MigrationPlan& plan,
                                                   const MigrateOptions& opts) {
  auto* rc = dynamic_cast<migrate::RouterControl*>(router);
  if (rc == nullptr) {
    return Status::InvalidArgument(
        "Migration::Open needs a router from NewRouter");
  }
  return migrate::OpenMigration(rc, store, mappers, plan, opts);
}

}  // namespace godwit
