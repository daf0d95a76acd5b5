// Migrations in Lua: migration files, the Lua runtime that runs them on
// items, and the composition of several pending migrations into one pass.
//
// A migration is a file migrations/<Table>/<NNNN>_<name>.lua whose chunk
// returns a table (docs/migrations.md has the full reference):
//
//   return {
//     description = "Key orders by customer",
//     key_schema  = { hash = "pk", range = "sk" },  -- optional; "pk:N" types
//     indexes  = { byStatus = { hash = "status", range = "createdAt",
//                               projection = "ALL" } },  -- optional
//     prepare  = function(ctx) return godwit.read_json("x.json") end,  -- opt.
//     up       = function(item, ctx) ... return item end,  -- item|{...}|nil
//     down     = function(item, ctx) ... return item end,  -- optional
//     validate = function(item) return true end,           -- optional
//   }
//
// Any other field is an error (a misspelled `valdiate` must not be silently
// ignored). Files sort by their number (2_a.lua < 10_b.lua), never as text.
//
// Threads. A Transform is immutable after Create and may be shared by any
// number of threads. Each thread makes its own TransformWorker (one Lua
// state, reused for every item); a worker is used by one thread at a time.
//
// What `godwit status` calls, per table:
//   ASSIGN_OR_RETURN(MigrationFolder folder,
//                    ScanMigrationFolder("migrations", "Orders"));
//   // folder.findings: files in the folder that are not migrations
//   ... PlanTable(...) -> pending ...
//   ASSIGN_OR_RETURN(std::vector<MigrationFinding> problems,
//                    CheckPendingMigrations(plan.pending, TransformOptions{}));
//   for (const MigrationFinding& f : problems) print(f.ToString());
//
// Example:
//   ASSIGN_OR_RETURN(auto files, ListMigrations("migrations", "Orders"));
//   ASSIGN_OR_RETURN(auto t, Transform::Create(std::move(files), opts));
//   ASSIGN_OR_RETURN(auto worker, t->NewWorker());
//   RETURN_IF_ERROR(worker->CheckDeterminism(sample));
//   ItemOutcome out = worker->Up(std::move(item));
//   switch (out.kind) { ... }
#ifndef GODWIT_TRANSFORM_H_
#define GODWIT_TRANSFORM_H_

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "godwit/item.h"
#include "godwit/status.h"
#include "godwit/store.h"

namespace godwit {

// ---------------------------------------------------------------------------
// Migration files

// One migration file, read from disk.
struct MigrationFile {
  std::string table;   // the folder's name: the logical table
  int64_t number = 0;  // from the file name; "0002_x.lua" -> 2
  std::string name;    // "0002_key_by_customer.lua" -> "key_by_customer"
  std::string path;    // the file's path (as found under the migrations dir)
  std::string source;  // the file's bytes
  std::string sha256;  // lowercase hex SHA-256 of source

  // "0002_key_by_customer": the number with at least 4 digits, '_', the name.
  std::string id() const;
};

// Splits "0002_key_by_customer.lua" into number 2 and "key_by_customer".
// The name must be [A-Za-z0-9_-]+, the number 1 to 9 digits.
// Errors: InvalidArgument saying what is wrong with the name.
Status ParseMigrationFileName(std::string_view file_name, int64_t* number,
                              std::string* name);

// Something `godwit status` reports about one file of a table's migrations
// folder.
struct MigrationFinding {
  enum class Kind : uint8_t {
    // A file that is neither a migration (NNNN_name.lua) nor data for
    // godwit.read_json (*.json): "0003_x.lua.bak", "notes.txt", "x.js".
    // godwit ignores it; the finding says so.
    kNotAMigration,
    // A migration that cannot run as it is: a syntax error, a chunk that
    // does not return a table, no `up`, an unknown field, a bad key_schema
    // or index, a failing prepare. One finding per problem.
    kProblem,
  };
  Kind kind = Kind::kProblem;
  std::string path;     // the file
  int line = 0;         // the line, when Lua gives one (1-based); else 0
  std::string message;  // what is wrong, without the path and line

  // "path:line: message", or "path: message" without a line.
  std::string ToString() const;
};

// A table's migrations folder.
struct MigrationFolder {
  std::vector<MigrationFile> files;        // the migrations, by number
  std::vector<MigrationFinding> findings;  // kNotAMigration, by path
};

// The migrations of `table`: every NNNN_name.lua file in <dir>/<table>/,
// sorted by number, plus a kNotAMigration finding for every other file but
// *.json (data for read_json). Names starting with '.' (editor files) and
// sub-folders (data for read_json) are skipped. A missing folder is empty.
// Errors: InvalidArgument naming the file for a badly named .lua file, and
// naming both files for a duplicated number; IOError if a file cannot be
// read.
Result<MigrationFolder> ScanMigrationFolder(const std::string& dir,
                                            const std::string& table);

// ScanMigrationFolder's files (the findings dropped). Same errors.
Result<std::vector<MigrationFile>> ListMigrations(const std::string& dir,
                                                  const std::string& table);

// The sub-folders of `dir` (the tables that have migrations), sorted.
// A missing `dir` is an empty list. Errors: IOError.
Result<std::vector<std::string>> ListMigrationTables(const std::string& dir);

// Reads one migration file (its name must parse). The table is the name of
// the folder holding it. Errors: InvalidArgument, IOError, NotFound.
Result<MigrationFile> ReadMigrationFile(const std::string& path);

// Lowercase hex SHA-256 (64 digits).
std::string Sha256Hex(std::string_view bytes);

// ---------------------------------------------------------------------------
// The runtime

// How an item is shown to Lua.
enum class ItemViewMode : uint8_t {
  // A proxy table: an attribute is converted to Lua when first read, and
  // only attributes read or assigned are converted back; the others are
  // moved through natively. The default.
  kLazy,
  // Every attribute is converted to Lua before `up` and back after it.
  // Slower; kept to measure the difference (bench) and as a cross-check.
  kFull,
};

struct TransformOptions {
  // Names items in error messages and dead letters (the source's keys).
  // Empty hash name: messages show the item's first attributes instead.
  KeySchema source_key_schema;
  // The run: passed to Lua as ctx.run_id.
  std::string run_id;
  // The run's fixed clock, microseconds since the epoch, as ctx.now
  // (seconds), ctx.now_micros and ctx.now_iso. 0: the time of Create().
  int64_t now_micros = 0;
  // Lua VM instructions one call of up/down/validate may run before it fails
  // (checked every 1000 instructions).
  uint64_t instruction_budget = 20'000'000;
  // Bytes one worker's Lua state may hold; an allocation past it fails the
  // call with "memory limit ... exceeded".
  size_t memory_limit_bytes = 256u << 20;
  ItemViewMode view = ItemViewMode::kLazy;
  // Receives ctx.log(...) and print(...) lines, prefixed with the migration
  // id. Called from worker threads: must be thread safe. Null: discarded.
  std::function<void(std::string_view)> log;
};

// What happened to one source item.
struct ItemOutcome {
  enum class Kind : uint8_t {
    kOk,       // items holds 1 or more items
    kDropped,  // every branch of `up` returned nil
    kFailed,   // a Lua error, a wrong return type, an unstorable value
    kInvalid,  // `validate` said no, or the item breaks DynamoDB's rules
  };
  Kind kind = Kind::kOk;
  std::vector<Item> items;  // kOk only
  // kFailed and kInvalid:
  std::string migration;  // id of the migration at fault, e.g. "0003_split"
  std::string reason;     // one paragraph, names the item's key
  std::string traceback;  // Lua's stack traceback, if any

  bool ok() const { return kind == Kind::kOk; }
};
std::string_view ItemOutcomeKindName(ItemOutcome::Kind kind);  // "ok", ...

// Why one item could not be transformed: what a dead letter records (the
// failure half of an ItemOutcome).
struct ItemError {
  ItemOutcome::Kind kind = ItemOutcome::Kind::kFailed;  // kFailed | kInvalid
  std::string migration;  // id of the migration at fault, e.g. "0003_split"
  std::string reason;
  std::string traceback;
};
// REQUIRES: outcome.kind is kFailed or kInvalid.
ItemError ItemErrorOf(const ItemOutcome& outcome);

// What Create learned about one migration.
struct MigrationInfo {
  std::string id;  // "0002_key_by_customer"
  std::string table;
  std::string path;
  std::string sha256;
  std::string description;
  std::optional<KeySchema> key_schema;  // if the file declares one
  // If the file declares `indexes`: the destination's secondary indexes,
  // sorted by name (an empty list: none).
  std::optional<std::vector<SecondaryIndex>> indexes;
  bool has_down = false;
  bool has_validate = false;
  bool has_prepare = false;
};

class TransformWorker;

// The composition of a table's pending migrations: up = up_n ∘ … ∘ up_1,
// down = down_1 ∘ … ∘ down_n. Fan-out and drops flow through: each item an
// up returns goes through the next up; an item is dropped when every branch
// returns nil.
class Transform {
 public:
  // Compiles every file in a scratch Lua state (and runs `prepare`) so that
  // broken files fail here.
  // REQUIRES: `migrations` sorted by number, all of one table.
  // Errors (InvalidArgument): every problem of the first broken file, one
  // per line, each naming the file (and the line where Lua gives one): a
  // Lua syntax error, a chunk that does not return a table, a missing or
  // non-function `up`, an unknown field (naming the known ones), a bad
  // key_schema or indexes, a failing prepare (with traceback); and indexes
  // that do not fit the destination key schema (a local index on another
  // hash key). An empty list is InvalidArgument too.
  static Result<std::shared_ptr<const Transform>> Create(
      std::vector<MigrationFile> migrations, TransformOptions options);

  const std::vector<MigrationInfo>& migrations() const { return infos_; }
  const std::vector<MigrationFile>& files() const { return files_; }
  const TransformOptions& options() const { return options_; }
  // The key schema the last migration declaring one declares, else the
  // source's.
  KeySchema destination_key_schema() const;
  // The secondary indexes the last migration declaring `indexes` declares
  // (sorted by name; empty: the destination has none), else nullopt: no
  // pending migration says, so the source's indexes carry over.
  std::optional<std::vector<SecondaryIndex>> destination_indexes() const;

  // A worker for the calling thread. Errors: as Create.
  Result<std::unique_ptr<TransformWorker>> NewWorker() const;

  Transform(const Transform&) = delete;
  Transform& operator=(const Transform&) = delete;

 private:
  friend Result<std::vector<MigrationFinding>> CheckPendingMigrations(
      const std::vector<MigrationFile>& pending,
      const TransformOptions& options);
  Transform() = default;
  std::weak_ptr<const Transform> self_;
  std::vector<MigrationFile> files_;
  std::vector<MigrationInfo> infos_;
  TransformOptions options_;
};

// Checks a table's pending migrations the way `godwit status` shows them:
// each file is compiled, its chunk run, its table checked and its prepare
// run, as Transform::Create does, but every problem of every file is
// returned (Create stops at the first broken file), one finding per
// problem: a syntax error (with its line), `return 42`, no `up`, a field
// that is not a migration's (`valdiate`), a bad key_schema or indexes, a
// failing prepare. When every file loads, the composed result is checked
// too (indexes against the destination key schema, when
// options.source_key_schema or a key_schema says what it is).
// Findings are in file order, a file's in the order found. Empty: all
// pending migrations would load. `options` as for Create (a default
// TransformOptions will do; its source_key_schema enables the key checks).
// Runs each file's chunk and prepare, so a prepare's read_json reads its
// file; nothing else is read or written.
// Errors: InvalidArgument if `pending` is not sorted by number or mixes
// tables; ResourceExhausted or InvalidArgument if no Lua state can be made.
Result<std::vector<MigrationFinding>> CheckPendingMigrations(
    const std::vector<MigrationFile>& pending, const TransformOptions& options);

// One thread's Lua state with every migration of a Transform loaded. Not
// thread safe; reuse it for many items.
class TransformWorker {
 public:
  ~TransformWorker();
  TransformWorker(const TransformWorker&) = delete;
  TransformWorker& operator=(const TransformWorker&) = delete;

  // Runs the composed `up`, each migration's `validate` on its own outputs,
  // and DynamoDB's item rules (ValidateItem with the destination key schema)
  // on the final items. Never throws; every failure is in the outcome.
  ItemOutcome Up(Item item);
  // The composed `down` (last migration first), each `validate` skipped,
  // DynamoDB's item rules checked with the source key schema.
  // A migration without `down` makes every call kFailed.
  ItemOutcome Down(Item item);

  // Transforms each item of `sample` twice and compares the results.
  // Errors: FailedPrecondition naming the migration and the item if two runs
  // differ, or if `up` called a function that breaks determinism
  // (math.random, os.time, os.clock, os.date). Item errors that are not about
  // determinism are not reported here (Up reports them).
  Status CheckDeterminism(const std::vector<Item>& sample);

  // Bytes the Lua state holds now.
  size_t memory_in_use() const;

  struct Impl;  // opaque

 private:
  friend class Transform;
  explicit TransformWorker(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// ---------------------------------------------------------------------------
// Counting and dead letters

// Counts of a run (or a dry run). Plain data; not thread safe.
struct TransformStats {
  uint64_t items_in = 0;    // source items transformed
  uint64_t items_out = 0;   // destination items produced
  uint64_t dropped = 0;     // source items `up` dropped (returned nil)
  uint64_t fanned_out = 0;  // source items that produced 2 or more items
  uint64_t failed = 0;      // kFailed
  uint64_t invalid = 0;     // kInvalid
  uint64_t errors() const { return failed + invalid; }
  // Adds one outcome.
  void Add(const ItemOutcome& outcome);
};

// Where dead letters come from: fields of every line.
struct DeadLetterSource {
  std::string run_id;  // empty outside a run (dry-run)
  std::string table;   // the logical table
};

// Appends dead letters to a file, one JSON object per line (the grammar is
// at the top of dead_letter.cc and in docs/migrations.md):
//   {"run":"...","table":"Orders","phase":"backfill",
//    "migration":"0002_x","kind":"failed","reason":"...",
//    "traceback":"...","key":{<DynamoDB-JSON of the source key>},
//    "item":{<the source item>}}
// A source key gets at most one line per phase and file: Open reads the
// lines already there, so a resumed run neither appends a key twice nor
// counts it twice.
// Not thread safe: share one behind a mutex.
class DeadLetterWriter {
 public:
  // Opens `path` for appending (created if missing) and reads the keys
  // already in it. Errors: IOError; DataLoss naming the line if an existing
  // line is not a dead letter.
  static Result<std::unique_ptr<DeadLetterWriter>> Open(
      const std::string& path, DeadLetterSource source = {});
  ~DeadLetterWriter();

  // Writes one line unless this file already has one for the same source
  // key (picked out of `item` by `key_schema`; the whole item if the key
  // attributes are missing) in the same `phase`. Returns whether it wrote.
  // Errors: IOError.
  Result<bool> Write(std::string_view phase, const Item& item,
                     const KeySchema& key_schema, const ItemError& error);
  // Flushes to the OS. Errors: IOError.
  Status Flush();
  // Lines this writer appended.
  uint64_t written() const { return written_; }

 private:
  DeadLetterWriter(std::FILE* f, std::string path, DeadLetterSource source);
  std::FILE* file_;
  std::string path_;
  DeadLetterSource source_;
  std::set<std::string> seen_;  // phase + '\0' + key bytes
  uint64_t written_ = 0;
};

// One dead-letter line without its newline (exposed for tests and tools).
std::string DeadLetterLine(const DeadLetterSource& source,
                           std::string_view phase, const Item& item,
                           const KeySchema& key_schema, const ItemError& error);

// "pk=ORDER#1 sk=2024" (S and N bare, B base64), or the start of the item's
// DebugString if the key attributes are missing.
std::string DescribeItemKey(const Item& item, const KeySchema& key_schema);

}  // namespace godwit

#endif  // GODWIT_TRANSFORM_H_
