// The migration controller: the one place that composes a migration run and
// the one set of commands that drive it.
//
// A Controller opens a new run of a logical table or resumes the recorded
// one (plan -> resume checks -> determinism check -> Migration::Open with
// the ledger recorder), then executes typed Commands and answers typed
// Replies. `godwit migrate`, the `ctl/` control files of a running migrate,
// `godwit serve`'s admin API and the in-process fallback of `godwit verify`
// and friends all go through it; they only parse, serialise and render.
//
// Commands have two spellings, both defined here:
//   - a command line ("rate 500", "cutover --force"): ParseCommand;
//   - JSON (CommandToJson / CommandFromJson), with the replies in JSON too
//     (ResultToJson / ResultFromJson). The grammar is at the top of
//     src/migrate/controller_json.cc and in docs/formats/commands.md.
//
// Threads: a Controller is thread-safe. Execute runs one changing command at
// a time (pause, rate, verify, flips, finish, abandon wait for each other);
// `progress` never waits for them.
//
// Example:
//   ControllerEnv env{store, router, /*remote=*/false, "migrations",
//                     store_path + "/godwit-runs"};
//   RunRequest req;
//   req.table = "Orders";
//   ASSIGN_OR_RETURN(std::unique_ptr<Controller> c,
//                    Controller::Open(env, req));
//   RETURN_IF_ERROR(c->WaitCaughtUp());
//   ASSIGN_OR_RETURN(Command cmd, ParseCommand("verify"));
//   ASSIGN_OR_RETURN(Reply r, c->Execute(cmd));
//   if (r.differences()) ...
#ifndef GODWIT_CONTROLLER_H_
#define GODWIT_CONTROLLER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "godwit/migrate.h"
#include "godwit/status.h"
#include "godwit/store.h"

namespace godwit {

// ---------------------------------------------------------------------------
// Commands

enum class CommandKind : uint8_t {
  kPause = 1,   // hold backfill writes (replay keeps the destination in step)
  kResume,      // undo pause
  kRate,        // backfill rate limit
  kProgress,    // counters of the run
  kVerify,      // the exact comparison (Migration::Verify)
  kCutover,     // fenced flip to the destination
  kRollback,    // fenced flip back to the source
  kFinish,      // end a cut-over run, record the ledger
  kAbandon,     // end a run that is not cut over, drop the destination
  kUnpostpone,  // lift --postpone-cutover-file (removes the file)
};
// "pause", "resume", "rate", "progress", "verify", "cutover", "rollback",
// "finish", "abandon", "unpostpone".
std::string_view CommandName(CommandKind kind);
// The inverse of CommandName; nullopt for any other word.
std::optional<CommandKind> CommandKindFromName(std::string_view name);

struct Command {
  CommandKind kind = CommandKind::kProgress;
  // kRate: items/s, finite and > 0; 0 means unlimited (the word
  // "unlimited"). Anything else is refused.
  double rate = 0;
  // kCutover, kRollback: skip the engine's verify gate (FlipOptions::force).
  bool force = false;
  // kCutover: wait until replay has caught up, verify, and cut over only if
  // verify finds no difference (what `migrate --cutover` does). Not with
  // `force`.
  bool verify_first = false;

  friend bool operator==(const Command&, const Command&) = default;
};

// Parses a command line, words separated by blanks:
//   pause | resume | progress | verify | finish | abandon | unpostpone
//   rate N           N items/s, a positive number ("500", "1.5", "2e3")
//   rate unlimited   no limit
//   cutover [--force | --verify-first]
//   rollback [--force]
// Errors: InvalidArgument saying what is wrong and what is accepted
// (an unknown command, a rate that is not a positive number, a flag the
// command does not take, a word too many).
Result<Command> ParseCommand(std::string_view line);
// The same, from words already split (a command line's arguments).
Result<Command> ParseCommandWords(const std::vector<std::string>& words);
// The line ParseCommand reads back as `c`: "rate 500", "cutover --force".
std::string CommandLine(const Command& c);
// Checks the fields for `c.kind` (what ParseCommand and CommandFromJson
// enforce). Errors: InvalidArgument.
Status ValidateCommand(const Command& c);
// A rate as people write it: "500 items/s", "1.5 items/s", "unlimited".
std::string FormatRate(double items_per_second);

// ---------------------------------------------------------------------------
// Replies

struct Reply {
  CommandKind command = CommandKind::kProgress;
  // kPause, kResume: whether backfill is paused now.
  bool paused = false;
  // kRate: the rate in force now, items/s; 0 = unlimited.
  double rate = 0;
  // kProgress.
  std::optional<MigrationProgress> progress;
  // kVerify; kCutover with verify_first.
  std::optional<VerifyReport> verify;
  // kCutover, kRollback. Absent after verify_first found differences:
  // nothing was switched.
  std::optional<FlipReport> flip;
  // kCutover, kRollback: the flip was forced past the verify gate.
  bool forced = false;
  // kCutover: why the cutover was postponed (the operator's gates: the
  // postpone file, the lag bound, the on-before-cutover hook); nothing was
  // switched. Empty: not postponed.
  std::string postponed;

  // Verify ran and found differences (or items it could not map).
  bool differences() const { return verify.has_value() && !verify->ok(); }
};
// Differences a verify reply shows with both sides, at most.
inline constexpr size_t kReportedDifferences = 10;

// ---------------------------------------------------------------------------
// Opening a run

enum class OpenMode : uint8_t {
  kStart,   // a new run; refused while a run of the table is in progress
  kResume,  // the run in progress; refused if there is none
};

struct RunRequest {
  std::string table;  // the logical table
  OpenMode mode = OpenMode::kStart;
  int segments = 16;        // 1..2^20
  int threads = 2;          // 1..256
  double rate = 0;          // backfill items/s; 0 = unlimited
  uint64_t max_errors = 0;  // item errors tolerated (dead-lettered)
  // Seconds each flip fences writers outside this process
  // (MigrateOptions::fence_seconds). Unset: 6 on a remote store (writers
  // that follow the pointer contract cache it for at most 5 s and time out
  // within 1 s), 0 on the embedded one (every writer goes through godwit).
  std::optional<double> fence_seconds;
  // About once a second from an engine thread. Not serialised.
  std::function<void(const MigrationProgress&)> on_progress;

  // The operator's hooks and cutover gates (docs/operations.md, "Hooks and
  // cutover gates"). They act on this host, so they are not serialised: a
  // run hosted by `godwit serve` has none.
  //
  // Executables named after the run's events (on-start, on-backfill-done,
  // on-caught-up, on-before-cutover, on-cutover, on-rollback, on-failure,
  // on-finish), run with GODWIT_* figures; "" : none.
  std::string hooks_dir;
  double hook_timeout_seconds = 60;  // then the hook's process group is killed
  // No cutover while this file exists (`unpostpone` removes it); "" : none.
  std::string postpone_cutover_file;
  // No cutover while replay is more than this many records behind.
  std::optional<uint64_t> max_lag_for_cutover;
  // Downstream completion: no cutover until each of these consumers of the
  // destination's stream has acknowledged (`godwit consumer ack`, a record
  // of the control table: src/control/consumers.h) every record up to the
  // stream's newest sequence number when the gate is checked. Needs a
  // stream with one sequence order (the embedded store, `godwit serve`).
  std::vector<std::string> wait_for_consumers;
  // One line per hook run and per problem of a hook; unset: stderr.
  std::function<void(const std::string&)> on_note;
};

// What Open opened.
struct RunInfo {
  std::string table;
  std::string run_id;
  std::string source;
  std::string destination;
  RunPhase phase = RunPhase::kBackfill;
  bool resumed = false;  // an existing run (else a new one)
};

// Run ownership (docs/engine.md "Ownership"): every controller holds the
// lease "run" of its table in the control table (pk "lease#<Table>", sk
// "run"; docs/formats/lease.md) from Open until it is destroyed, so that one
// process at a time drives a run, wherever it runs. A second Open of the run,
// in this process or any other, is refused while the lease is live, naming its
// owner; a lease whose owner was killed is taken over once it has expired.
struct OwnershipOptions {
  // How long the lease lasts unless renewed: the most a run stays blocked
  // after its owner was killed (> 0, <= 86400).
  double lease_seconds = 30;
  // How often the controller renews it; 0: lease_seconds / 3. Less than
  // lease_seconds. A controller that cannot renew its lease stops the run
  // a renewal interval before the lease could expire.
  double renew_seconds = 0;
  // The store is open in this process alone (the embedded store's lock):
  // a lease another process left in it is taken over at once, since that
  // process cannot be running. Never for a store other processes reach.
  bool exclusive_store = false;
  // The wall clock, microseconds since the Unix epoch; unset: the system
  // clock. Tests inject one to expire leases without sleeping. Lease
  // expiries are compared across hosts: their clocks must agree to well
  // within lease_seconds.
  std::function<int64_t()> clock;
};

// The owner of a run: the holder of its lease (OwnershipOptions).
struct RunOwner {
  std::string host;
  int64_t pid = 0;
  std::string process;         // random, drawn once per process start
  int64_t since_micros = 0;    // when it took the run (Unix epoch, UTC)
  int64_t renewed_micros = 0;  // its last renewal
  int64_t expires_micros = 0;  // live while the clock is before this
  bool live(int64_t now_micros) const { return now_micros < expires_micros; }
  // "host h, pid 1234, since 2026-12-03 15:01:02 UTC; the lease expires in
  // 23 s" (or "expired 5 s ago").
  std::string Describe(int64_t now_micros) const;
};

// Where runs happen. Every pointer must outlive the controllers opened
// with it.
struct ControllerEnv {
  Store* store = nullptr;      // the physical store
  Router* router = nullptr;    // over `store`; applications write through it
  bool remote = false;         // a DynamoDB-API store (fence default)
  std::string migrations_dir;  // holds <table>/<NNNN>_<name>.lua
  // A run of T keeps its journal, dead letters and control files in
  // runs_dir/T (RunDirectory): the state directory. It must not depend on
  // the directory a command starts in (the CLI resolves it from
  // --state-dir / godwit.toml, src/cli/config.h).
  std::string runs_dir;
  // Names the store: "local:<absolute directory>" for the embedded store,
  // "dynamodb:<endpoint> <region>" for a remote one. Open records it in the
  // run's directory (RunDirectory/store) and refuses a directory that holds
  // another store's run, so that two stores sharing a state directory never
  // mix their journals. Empty: not checked.
  std::string store_id;
  OwnershipOptions ownership;
};
std::string RunDirectory(const ControllerEnv& env, const std::string& table);

// The check Open makes of a run's directory, without writing: OK if
// `run_dir`/store is absent or names `store_id` (or `store_id` is empty).
// Errors: FailedPrecondition naming both stores and what to do; IOError.
Status CheckRunDirectoryStore(const std::string& run_dir,
                              const std::string& store_id);

// The fence a run gets: `requested`, else the store's default.
double EffectiveFenceSeconds(const std::optional<double>& requested,
                             bool remote);
inline constexpr double kDefaultRemoteFenceSeconds = 6;

class Controller {
 public:
  // Opens the run of `req.table`:
  //   - ownership: the run's lease is taken before anything else (a new
  //     run and a resume alike), renewed from a thread of the controller's
  //     own, and held until the controller is destroyed;
  //   - plan: for kStart the table's pending migrations (their files
  //     compiled; the source is the table the pointer names); for kResume
  //     the migrations the run recorded, whose files must be unchanged;
  //   - kStart only: the transform must be deterministic on a sample of
  //     the source (run twice);
  //   - the run's directory must be this store's (env.store_id), and is
  //     marked so;
  //   - Migration::Open with the options, the fence default and the ledger
  //     recorder (the applied migrations are recorded when the run
  //     finishes).
  // Errors: InvalidArgument (bad options; a migration that does not
  // compile, naming it); FailedPrecondition ("Orders is being migrated by
  // host h, pid 1234, since ...; the lease expires in 23 s" while another
  // controller holds the run's lease; kStart while a run is in progress,
  // kResume with none, no pending migrations, a changed or missing migration
  // file of a resumed run, a transform that is not deterministic); those of
  // Migration::Open and the store.
  static Result<std::unique_ptr<Controller>> Open(const ControllerEnv& env,
                                                  const RunRequest& req);
  // Stop(), then releases the run's lease.
  ~Controller();
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  const RunInfo& info() const { return info_; }
  Migration& migration() { return *migration_; }
  // The run's mappers (up/down of its migrations), e.g. for a workload
  // that writes both shapes.
  MapperFactory* mappers();

  // Executes `c` (validated first). A verify that finds differences is a
  // reply (Reply::differences()), not an error.
  // Errors: InvalidArgument (an invalid command); FailedPrecondition when
  // the run has ended (finish, abandon) or the engine refuses (the verify
  // gate of a flip, finish before cutover, abandon after it); `progress`
  // returns the error that stopped the run's background work, prefixed
  // "the run stopped: "; those of the engine.
  Result<Reply> Execute(const Command& c);

  // Blocks until replay has applied everything captured so far.
  Status WaitCaughtUp();
  // True once the run has ended (finished or abandoned).
  bool ended() const;
  // Stops the run's threads (the run stays resumable unless it ended);
  // commands fail afterwards. The lease is held until the controller is
  // destroyed. Idempotent.
  void Stop();

  // OK while this controller owns the run. Once its lease is lost (taken
  // over by another process after this one could not renew it in time, or
  // not renewable before it could expire), the run's threads are stopped
  // and this returns FailedPrecondition "the run of T was lost to another
  // owner: ..."; every command returns it too.
  Status ownership() const;
  // The previous owner whose lease Open took over (it had expired, or on
  // the embedded store its process was gone), if any.
  std::optional<RunOwner> taken_over_from() const;
  // The last verify and flip this process executed (metrics, reports).
  std::optional<VerifyReport> last_verify() const;
  std::optional<FlipReport> last_flip() const;

 private:
  struct Parts;
  explicit Controller(std::unique_ptr<Parts> parts);
  static void StopEngine(Parts* p);
  // Why a cutover must wait (the operator's gates), or "": before the
  // verify, the postpone file and the lag bound; just before the flip
  // (before_flip), the on-before-cutover hook.
  std::string CutoverPostponed(bool before_flip);
  // The --wait-for-consumers part of it.
  std::string ConsumersBehind();
  // Execute without recording the command in the run's timeline.
  Result<Reply> ExecuteCommand(const Command& c);
  std::unique_ptr<Parts> parts_;
  Migration* migration_ = nullptr;  // owned by parts_
  RunInfo info_;
};

// ---------------------------------------------------------------------------
// Runs recorded in a store

// The checkpoint of a run as the control table records it.
struct RunSummary {
  std::string table;  // logical
  std::string run_id;
  std::string source;
  std::string destination;
  RunPhase phase = RunPhase::kBackfill;
  uint64_t p0 = 0;            // the source sequence marked before the copy
  uint64_t replayed_seq = 0;  // the last source sequence applied
  uint64_t errors = 0;        // dead-lettered items
  bool unfinished() const { return phase != RunPhase::kFinished; }
};
// The run of `table`, if one is recorded. Errors: those of the store;
// DataLoss for a damaged record.
Result<std::optional<RunSummary>> FindRun(Store* store,
                                          const std::string& table);
// Every run recorded in `store`, by table.
Result<std::vector<RunSummary>> ListRuns(Store* store);

// The lease of the run of `table`, live or expired; nullopt when no
// controller holds it (none did, or the last one released it).
// Errors: those of the store; DataLoss for a damaged record.
Result<std::optional<RunOwner>> FindRunOwner(Store* store,
                                             const std::string& table);

// ---------------------------------------------------------------------------
// JSON (grammar: src/migrate/controller_json.cc, docs/formats/commands.md)

std::string CommandToJson(const Command& c);
// Errors: InvalidArgument naming the field (malformed JSON, an unknown
// command or field, a value ValidateCommand refuses).
Result<Command> CommandFromJson(std::string_view json);

// A command addressed to the run of a table (the admin API's body).
std::string TableCommandToJson(const std::string& table, const Command& c);
// The table and the command, or the command's own decoding error (an
// answer to send back, as the control files do). Errors: InvalidArgument
// for a malformed envelope (no table, no command object, another field).
struct TableCommand {
  std::string table;
  Result<Command> command;
};
Result<TableCommand> TableCommandFromJson(std::string_view json);

std::string ReplyToJson(const Reply& r);
// Errors: InvalidArgument naming the field.
Result<Reply> ReplyFromJson(std::string_view json);

// The outcome of a command: {"reply": ...} or {"error": {"code", "message"}}.
std::string ResultToJson(const Result<Reply>& r);
// The reply, or the error the document carries (same code and message).
// A malformed document: DataLoss naming the field.
Result<Reply> ResultFromJson(std::string_view json);

std::string ProgressToJson(const MigrationProgress& p);
Result<MigrationProgress> ProgressFromJson(std::string_view json);
std::string VerifyReportToJson(const VerifyReport& r);
std::string FlipReportToJson(const FlipReport& f);

std::string RunRequestToJson(const RunRequest& r);  // without on_progress
Result<RunRequest> RunRequestFromJson(std::string_view json);
std::string RunInfoToJson(const RunInfo& i);
Result<RunInfo> RunInfoFromJson(std::string_view json);

// The phase named RunPhaseName(p); nullopt for another name.
std::optional<RunPhase> RunPhaseFromName(std::string_view name);

}  // namespace godwit

#endif  // GODWIT_CONTROLLER_H_
