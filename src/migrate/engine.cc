// The migration engine: the composition of one run of one logical table
// behind Migration::Open (DESIGN.md, "The migration protocol"). The work is
// done by phase objects, each in its own file:
//
//   run.h            the run: identity, guarded progress, state machine
//   run_plan.h       planning or resuming a run, opening its tables
//   capturer.h       capture: source stream -> durable journal
//   backfiller.h     backfill: segment workers, scan -> up -> claim -> write
//   key_map.h        destination-key ownership, collision detection
//   change_fold.h    records -> per-target-key effects (pure)
//   change_applier.h effects -> claims, batched writes, releases
//   change_source.h  the journal (replay) and the destination's stream
//                    (reverse sync) behind one interface
//   sync_loop.h      the one sync loop for replay and reverse sync, and its
//                    gate (sync_gate.h)
//   verifier.h       comparisons over snapshots or live tables
//   run_verify.h     which comparison a phase needs, with the gate held
//   flips.h          cutover, rollback, finish (fenced)
//
// Threads (all started here, all ended by Stop()):
//   capture   Capturer::Loop
//   backfill  `threads` Backfiller::Worker threads, while backfilling
//   replay    SyncLoop::Loop over the journal
//   reverse   SyncLoop::Loop over the destination's stream
//   keeper    checkpoints the run state (one put) about every 100 ms when
//             it moved, acknowledges the stream consumer, reports progress
// Control operations (verify, cutover, rollback, finish) run on the
// caller's thread, one at a time (op_mu_).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "godwit/migrate.h"
#include "migrate/backfiller.h"
#include "migrate/capturer.h"
#include "migrate/change_applier.h"
#include "migrate/change_source.h"
#include "migrate/dead_letters.h"
#include "migrate/flips.h"
#include "migrate/key_map.h"
#include "migrate/router.h"
#include "migrate/run.h"
#include "migrate/run_plan.h"
#include "migrate/run_verify.h"
#include "migrate/sync_loop.h"
#include "migrate/verifier.h"
#include "util/mutex.h"
#include "util/rate_limiter.h"

namespace godwit {
namespace migrate {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kCheckpointEvery = std::chrono::milliseconds(100);

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
  RunPhase phase() const override { return run_->phase(); }
  Status error() const override { return run_->error(); }
  MigrationProgress progress() const override;
  Status WaitBackfill() override;
  Status WaitCaughtUp() override;
  Result<VerifyReport> Verify(size_t max_reported) override EXCLUDES(op_mu_);
  Result<FlipReport> Cutover(const FlipOptions& opts) override EXCLUDES(op_mu_);
  Result<FlipReport> Rollback(const FlipOptions& opts) override
      EXCLUDES(op_mu_);
  Status Finish() override EXCLUDES(op_mu_);
  Status Abandon() override EXCLUDES(op_mu_);
  void SetRate(double r) override { limiter_.SetRate(r); }
  void Pause(bool p) override { run_->Pause(p); }
  void Stop() override EXCLUDES(threads_mu_);

 private:
  Status Validate() const;
  // Renames the dead-letter file an earlier run left in the run directory.
  Status SetAsideDeadLetters(const std::string& run_id);
  void StartThreads() EXCLUDES(threads_mu_);
  // Ends every engine thread and joins it.
  void StopThreads() EXCLUDES(threads_mu_);
  void KeeperLoop();
  // One checkpoint: save the state if it moved, acknowledge the stream
  // consumer of the side being read.
  Status Checkpoint();

  RouterControl* const router_;
  Store* const store_;
  MapperFactory* const mappers_;
  MigrationPlan plan_;  // resolved by Init(), constant after
  const MigrateOptions opts_;
  RateLimiter limiter_;

  // Built by Init(), constant after.
  std::unique_ptr<Run> run_;
  RunTables tables_;
  std::unique_ptr<KeyMap> keys_;
  std::unique_ptr<DeadLetters> dead_letters_;
  std::unique_ptr<Capturer> capture_;
  std::unique_ptr<JournalSource> journal_;
  std::unique_ptr<TableStreamSource> reverse_source_;
  std::unique_ptr<ChangeApplier> replay_applier_;
  std::unique_ptr<ChangeApplier> reverse_applier_;
  std::unique_ptr<SyncLoop> replay_;
  std::unique_ptr<SyncLoop> reverse_;
  std::unique_ptr<Backfiller> backfill_;
  std::unique_ptr<Verifier> verifier_;
  std::unique_ptr<RunVerifier> run_verifier_;
  std::unique_ptr<Flips> flips_;
  Clock::time_point started_ = Clock::now();

  Mutex op_mu_;  // one control operation at a time
  Mutex threads_mu_;
  std::vector<std::thread> threads_ GUARDED_BY(threads_mu_);
};

// ---------------------------------------------------------------- setup

Status MigrationImpl::Validate() const {
  if (opts_.segments < 1 || opts_.segments > 100000) {
    return Status::InvalidArgument("--segments must be 1..100000");
  }
  if (opts_.threads < 1 || opts_.threads > 256) {
    return Status::InvalidArgument("--threads must be 1..256");
  }
  if (opts_.run_dir.empty()) {
    return Status::InvalidArgument("run directory not set");
  }
  return Status::OK();
}

Status MigrationImpl::Init() {
  RETURN_IF_ERROR(Validate());
  std::error_code ec;
  std::filesystem::create_directories(opts_.run_dir, ec);
  if (ec) {
    return Status::IOError("cannot create run directory " + opts_.run_dir +
                           ": " + ec.message());
  }
  bool resumed = false;
  std::unique_ptr<ShardedStreamReader> p0_reader;
  ASSIGN_OR_RETURN(RunState state,
                   PlanRun(store_, &plan_, opts_, &resumed, &p0_reader));
  if (state.phase == RunPhase::kFinished) {
    return Status::FailedPrecondition("the run of " + plan_.logical_table +
                                      " is finished");
  }
  if (!resumed) RETURN_IF_ERROR(SetAsideDeadLetters(state.run_id));
  ASSIGN_OR_RETURN(tables_,
                   OpenRunTables(store_, state, opts_.destination_stream));
  if (tables_.destination_created && resumed) {
    // Dropped behind the run's back (by hand): the table is new and empty,
    // whatever the run's checkpoints say, so no earlier verify holds.
    std::fprintf(stderr,
                 "godwit: the destination %s of the run of %s was missing and "
                 "is created anew; the copy in it is incomplete (verify "
                 "shows what is missing; abandon the run and start again to "
                 "copy everything)\n",
                 state.destination.c_str(), state.logical.c_str());
    state.last_verify.reset();
  }
  RunIdentity id = RunIdentity::Of(state, opts_.run_dir);
  run_ = std::make_unique<Run>(store_, std::move(id), std::move(state));
  Run* run = run_.get();
  run->SetOwnershipChecks(opts_.commit_check, opts_.held_check);

  keys_ = std::make_unique<KeyMap>(tables_.keymap, tables_.source,
                                   run->id().destination_key_schema);
  dead_letters_ = std::make_unique<DeadLetters>(run, opts_.max_errors);
  capture_ = std::make_unique<Capturer>(run, tables_.source);
  journal_ =
      std::make_unique<JournalSource>(run, capture_.get(), tables_.source);
  reverse_source_ =
      std::make_unique<TableStreamSource>(run, tables_.destination);
  replay_applier_ = std::make_unique<ChangeApplier>(
      Direction::kUp, tables_.source->key_schema(), tables_.destination,
      keys_.get(), dead_letters_.get(), "replay");
  reverse_applier_ = std::make_unique<ChangeApplier>(
      Direction::kDown, run->id().destination_key_schema, tables_.source,
      nullptr, dead_letters_.get(), "reverse-sync");
  replay_ = std::make_unique<SyncLoop>(run, journal_.get(),
                                       replay_applier_.get(), mappers_);
  reverse_ = std::make_unique<SyncLoop>(run, reverse_source_.get(),
                                        reverse_applier_.get(), mappers_);
  backfill_ = std::make_unique<Backfiller>(
      run, tables_.source, tables_.destination, keys_.get(), mappers_,
      dead_letters_.get(), &limiter_, [this] { replay_->SetEnabled(true); });
  verifier_ = std::make_unique<Verifier>(mappers_, opts_.threads);
  run_verifier_ = std::make_unique<RunVerifier>(
      run, tables_.source, tables_.destination, replay_.get(), reverse_.get(),
      verifier_.get());
  flips_ = std::make_unique<Flips>(
      FlipParts{run, router_, store_, tables_.source, tables_.destination,
                capture_.get(), replay_.get(), reverse_.get(),
                reverse_source_.get(), opts_.fence_seconds});

  // Which loops run is decided by the phase.
  RunPhase ph = run->phase();
  bool forward = ph != RunPhase::kCutOver;
  RETURN_IF_ERROR(capture_->Open(forward, std::move(p0_reader)));
  RETURN_IF_ERROR(journal_->Open());
  if (forward) {
    if (ph == RunPhase::kBackfill &&
        run->segments_done() ==
            static_cast<int>(run->state().segments.size())) {
      RETURN_IF_ERROR(run->MoveTo(RunPhase::kReplay));
      ph = RunPhase::kReplay;
    }
    replay_->SetEnabled(ph != RunPhase::kBackfill);
  } else {
    RETURN_IF_ERROR(
        reverse_source_->Open(StreamStart::From(run->state().reverse_cursor)));
    reverse_->SetEnabled(true);
  }
  RETURN_IF_ERROR(run->Save());
  StartThreads();
  return Status::OK();
}

void MigrationImpl::StartThreads() {
  MutexLock lock(&threads_mu_);
  started_ = Clock::now();
  threads_.emplace_back([this] { capture_->Loop(); });
  threads_.emplace_back([this] { replay_->Loop(); });
  threads_.emplace_back([this] { reverse_->Loop(); });
  threads_.emplace_back([this] { KeeperLoop(); });
  if (run_->phase() == RunPhase::kBackfill) {
    for (int i = 0; i < opts_.threads; ++i) {
      threads_.emplace_back([this] { backfill_->Worker(); });
    }
  }
}

void MigrationImpl::StopThreads() {
  run_->RequestStop();
  std::vector<std::thread> threads;
  {
    MutexLock lock(&threads_mu_);
    threads.swap(threads_);
  }
  for (std::thread& t : threads) {
    if (t.joinable()) t.join();
  }
}

void MigrationImpl::Stop() {
  if (run_ == nullptr) return;  // Init failed before the run existed
  StopThreads();
  (void)capture_->SyncNow();
  (void)run_->Save();  // nothing after an abandon (the run is retired)
  dead_letters_->Close();
}

Status MigrationImpl::SetAsideDeadLetters(const std::string& run_id) {
  // A new run counts its own bad items: the dead letters of an earlier run
  // in this directory would hide them (one line per key and phase).
  std::string path = opts_.run_dir + "/dead-letter.jsonl";
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return Status::OK();
  std::string kept = opts_.run_dir + "/dead-letter.before-" + run_id + ".jsonl";
  std::filesystem::rename(path, kept, ec);
  if (ec) {
    return Status::IOError("cannot rename the dead-letter file " + path +
                           " of an earlier run: " + ec.message());
  }
  return Status::OK();
}

// ---------------------------------------------------------------- keeper

Status MigrationImpl::Checkpoint() {
  if (!run_->dirty()) return Status::OK();
  RETURN_IF_ERROR(run_->Save().WithContext("checkpoint"));
  // Release stream records the checkpoint no longer needs.
  RunState s = run_->state();
  const std::string& consumer = run_->id().consumer;
  Status a =
      s.phase == RunPhase::kCutOver
          ? tables_.destination->AckStreamConsumer(consumer, s.reverse_seq)
          : tables_.source->AckStreamConsumer(consumer, s.captured_seq);
  // OutOfRange: the store publishes its latest sequence just after the
  // records are readable; the next checkpoint acks again.
  if (!a.ok() && a.code() != StatusCode::kUnimplemented &&
      a.code() != StatusCode::kOutOfRange && !a.IsNotFound()) {
    return a.WithContext("stream consumer");
  }
  return Status::OK();
}

void MigrationImpl::KeeperLoop() {
  auto last_report = Clock::now();
  uint64_t last_written = 0;
  auto last_rate_at = Clock::now();
  while (!run_->stopping()) {
    run_->SleepFor(kCheckpointEvery);
    if (run_->stopping()) break;
    auto now = Clock::now();
    double dt = std::chrono::duration<double>(now - last_rate_at).count();
    if (dt >= 1.0) {
      uint64_t written = run_->written_here();
      run_->set_recent_rate(static_cast<double>(written - last_written) / dt);
      last_written = written;
      last_rate_at = now;
    }
    Status s = Checkpoint();
    if (!s.ok()) return run_->Fail(s);
    if (opts_.on_progress &&
        Clock::now() - last_report >= std::chrono::seconds(1)) {
      last_report = Clock::now();
      opts_.on_progress(progress());
    }
  }
}

MigrationProgress MigrationImpl::progress() const {
  MigrationProgress p;
  RunState s = run_->state();
  p.phase = s.phase;
  for (const SegmentState& seg : s.segments) {
    p.scanned += seg.scanned;
    p.written += seg.written;
  }
  p.dropped = s.dropped;
  p.errors = s.errors;
  p.segments_done = run_->segments_done();
  p.segments_total = static_cast<int>(s.segments.size());
  p.captured = s.captured;
  p.replayed = s.replayed;
  p.items_per_second = run_->recent_rate();
  p.elapsed_seconds =
      std::chrono::duration<double>(Clock::now() - started_).count();
  bool cut_over = p.phase == RunPhase::kCutOver;
  // The lag: records read from the upstream's stream (into the journal, or
  // by reverse sync) and not applied yet. There is no "newest sequence" of
  // a stream of many shards to count from.
  const ChangeSource* src =
      cut_over ? static_cast<ChangeSource*>(reverse_source_.get())
               : journal_.get();
  p.replay_lag = src->Behind(s);
  if (!cut_over) {
    Result<TableDescription> d = tables_.source->Describe();
    if (d.ok()) p.estimated_total = d->item_count;
  }
  return p;
}

// ---------------------------------------------------------------- waits

Status MigrationImpl::WaitBackfill() {
  return run_->WaitUntil(
      [](const RunState& s) { return s.phase != RunPhase::kBackfill; });
}

Status MigrationImpl::WaitCaughtUp() {
  RETURN_IF_ERROR(WaitBackfill());
  SyncLoop* sync =
      phase() == RunPhase::kCutOver ? reverse_.get() : replay_.get();
  return sync->CatchUp().status();
}

// ---------------------------------------------------------------- control

Result<VerifyReport> MigrationImpl::Verify(size_t max_reported) {
  MutexLock op(&op_mu_);
  RETURN_IF_ERROR(WaitBackfill());
  return run_verifier_->Verify(max_reported);
}

Result<FlipReport> MigrationImpl::Cutover(const FlipOptions& opts) {
  MutexLock op(&op_mu_);
  if (phase() == RunPhase::kBackfill) RETURN_IF_ERROR(WaitBackfill());
  return flips_->Cutover(opts);
}

Result<FlipReport> MigrationImpl::Rollback(const FlipOptions& opts) {
  MutexLock op(&op_mu_);
  return flips_->Rollback(opts);
}

Status MigrationImpl::Abandon() {
  MutexLock op(&op_mu_);
  RETURN_IF_ERROR(flips_->CheckAbandon());
  StopThreads();
  (void)capture_->SyncNow();
  dead_letters_->Close();
  return flips_->Abandon();
}

Status MigrationImpl::Finish() {
  MutexLock op(&op_mu_);
  return flips_->Finish([this]() -> Status {
    if (!opts_.on_finish) return Status::OK();
    return opts_.on_finish(plan_, progress());
  });
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
