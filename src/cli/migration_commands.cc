// The migration commands: init, new, status, dry-run.
//
//   godwit init                    writes godwit.toml and migrations/
//   godwit new TABLE NAME          writes migrations/TABLE/NNNN_NAME.lua
//   godwit status [TABLE]          applied and pending migrations, active table
//   godwit dry-run TABLE [--limit N] [--sample]
//                                  transforms a sample through the pending
//                                  migrations and shows the diffs; writes
//                                  nothing
//
// Every command prints one JSON object with --json.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "cli/config.h"
#include "cli/session.h"
#include "control/ledger.h"
#include "godwit/controller.h"
#include "godwit/json.h"
#include "godwit/store.h"
#include "godwit/transform.h"
#include "transform/plan.h"

namespace godwit::cli {
namespace {

namespace fs = std::filesystem;

// ---- output helpers --------------------------------------------------------

void Out(const std::string& s) {
  std::fwrite(s.data(), 1, s.size(), stdout);
  std::fflush(stdout);
}

std::string FormatMicros(int64_t micros) {
  time_t secs = static_cast<time_t>(micros / 1000000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

struct Colors {
  bool on = false;
  const char* red() const { return on ? "\033[31m" : ""; }
  const char* green() const { return on ? "\033[32m" : ""; }
  const char* yellow() const { return on ? "\033[33m" : ""; }
  const char* bold() const { return on ? "\033[1m" : ""; }
  const char* dim() const { return on ? "\033[2m" : ""; }
  const char* reset() const { return on ? "\033[0m" : ""; }
};

bool ValidTableName(std::string_view s) {
  if (s.size() < 3 || s.size() > 255) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
  });
}

bool ValidMigrationName(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

// The store, or null if there is none yet, with *missing saying so (naming
// the path): status still shows the migration files.
Result<std::unique_ptr<Store>> OpenExistingStore(const Context& ctx,
                                                 std::string* missing) {
  Result<std::unique_ptr<Store>> s = OpenStore(ctx);
  if (!s.ok() && s.status().IsNotFound()) {
    *missing = std::string(s.status().message());
    return std::unique_ptr<Store>();
  }
  return s;
}

// The pending migrations that do not load: each file is compiled on its own
// (Transform::Create), then all of them together (what a run composes).
// Returns (migration id, or "composition", error) for each broken one.
std::vector<std::pair<std::string, Status>> BrokenMigrations(
    Store* store, const std::string& table,
    const std::vector<MigrationFile>& pending) {
  std::vector<std::pair<std::string, Status>> broken;
  TransformOptions opts;
  opts.run_id = "status";
  if (store != nullptr) {
    Result<std::string> physical = ResolveTable(store, table);
    if (physical.ok()) {
      Result<TableDescription> d = store->DescribeTable(*physical);
      if (d.ok()) opts.source_key_schema = d->key_schema;
    }
  }
  for (const MigrationFile& f : pending) {
    Result<std::shared_ptr<const Transform>> t = Transform::Create({f}, opts);
    if (!t.ok()) broken.emplace_back(f.id(), t.status());
  }
  if (broken.empty() && pending.size() > 1) {
    Result<std::shared_ptr<const Transform>> t =
        Transform::Create(pending, opts);
    if (!t.ok()) broken.emplace_back("composition", t.status());
  }
  return broken;
}

// ---- init ------------------------------------------------------------------

constexpr char kDefaultConfig[] =
    "# godwit settings. See docs/migrations.md.\n"
    "# Relative paths are relative to this file, not to where godwit runs.\n"
    "[store]\n"
    "kind = \"local\"\n"
    "path = \".godwit/data\"\n"
    "\n"
    "[migrations]\n"
    "dir = \"migrations\"\n"
    "\n"
    "[state]\n"
    "# Where each run keeps its journal, dead letters and control files (a\n"
    "# run of TABLE in <dir>/TABLE). A resume needs them: keep it on a disk\n"
    "# that outlives the process, and give every store its own. --state-dir\n"
    "# overrides it.\n"
    "dir = \".godwit/runs\"\n";

Status RunInit(const Context& ctx) {
  const std::string& config = ctx.global.config_path;
  std::error_code ec;
  if (fs::exists(config, ec)) {
    return Status::AlreadyExists(config +
                                 " exists; godwit init does not overwrite it");
  }
  fs::path base = fs::path(config).parent_path();
  fs::path migrations = base / "migrations";
  if (!base.empty()) fs::create_directories(base, ec);
  {
    std::ofstream out(config, std::ios::binary | std::ios::trunc);
    out << kDefaultConfig;
    if (!out) return Status::IOError(config + ": cannot write");
  }
  fs::create_directories(migrations, ec);
  if (ec) {
    return Status::IOError(migrations.string() + ": " + ec.message());
  }
  if (ctx.global.json) {
    Out("{\"config\":" + JsonQuoted(config) +
        ",\"migrations\":" + JsonQuoted(migrations.string()) + "}\n");
  } else {
    Out("wrote " + config + "\ncreated " + migrations.string() +
        "/\nnext: godwit new <Table> <name>\n");
  }
  return Status::OK();
}

// ---- new -------------------------------------------------------------------

struct NewArgs {
  std::string table;
  std::string name;
};

std::string Template(const std::string& table, const std::string& id,
                     const std::string& name) {
  return "-- Migration " + id + " of table " + table + R"(.
--
-- up(item, ctx) runs once for every item of the table, and again for every
-- change replayed from the table's stream while the migration runs. It must
-- be deterministic: the same item in, the same result out (math.random and
-- os.time are not available; use ctx.now). Return the item (changed or not),
-- a list of items (fan-out), or nil to drop the item (drops are counted).
--
-- Values: S string; N integer or float, or godwit.decimal when a float
-- would not be exact; B godwit.binary; BOOL boolean; NULL godwit.null;
-- M and L tables; SS/NS/BS godwit.set. Attributes up does not touch are
-- copied exactly as they are.
--
-- ctx: migration, table, run_id, now (the run's fixed clock, epoch seconds),
-- now_iso, data (what prepare returned) and log(...).
-- Reference: docs/migrations.md
return {
  description = ")" +
         name + R"(",

  -- The destination's key schema, if this migration changes the keys
  -- ("pk" is of type S; write "pk:N" or "pk:B" for other types):
  -- key_schema = { hash = "pk", range = "sk" },

  -- Runs once per run; its result is ctx.data. Paths are relative to this
  -- file.
  -- prepare = function(ctx) return godwit.read_json("lookup.json") end,

  up = function(item, ctx)
    -- item.newName = item.oldName
    -- item.oldName = nil
    return item
  end,

  -- The inverse of up: godwit uses it to keep the old table in step after
  -- cutover, so that a rollback loses no write.
  down = function(item, ctx)
    return item
  end,

  -- Checks each item up returns: true, or false and a reason. Items that
  -- fail go to the dead-letter file.
  -- validate = function(item)
  --   return item.pk ~= nil, "missing pk"
  -- end,
}
)";
}

Status RunNew(const Context& ctx, const NewArgs& a) {
  if (!ValidTableName(a.table)) {
    return Status::InvalidArgument(
        "bad table name \"" + a.table +
        "\": 3 to 255 characters of A-Z a-z 0-9 _ - .");
  }
  if (!ValidMigrationName(a.name)) {
    return Status::InvalidArgument("bad migration name \"" + a.name +
                                   "\": letters, digits, '_' and '-' only");
  }
  ASSIGN_OR_RETURN(Config cfg, LoadConfigOrDefault(ctx.global));
  ASSIGN_OR_RETURN(std::vector<MigrationFile> files,
                   ListMigrations(cfg.migrations_dir, a.table));
  MigrationFile f;
  f.table = a.table;
  f.name = a.name;
  f.number = files.empty() ? 1 : files.back().number + 1;
  fs::path dir = fs::path(cfg.migrations_dir) / a.table;
  fs::path path = dir / (f.id() + ".lua");
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::IOError(dir.string() + ": " + ec.message());
  if (fs::exists(path, ec)) {
    return Status::AlreadyExists(path.string() + " exists");
  }
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << Template(a.table, f.id(), a.name);
    if (!out) return Status::IOError(path.string() + ": cannot write");
  }
  if (ctx.global.json) {
    Out("{\"path\":" + JsonQuoted(path.string()) + ",\"number\":" +
        std::to_string(f.number) + ",\"id\":" + JsonQuoted(f.id()) + "}\n");
  } else {
    Out("wrote " + path.string() + "\n");
  }
  return Status::OK();
}

// ---- status ----------------------------------------------------------------

// The owner of a run in progress as JSON: null, or {"host", "pid",
// "process", "since", "expires", "expires_in_seconds", "live"} (times in
// ISO-8601 UTC; expires_in_seconds < 0 once expired).
std::string OwnerJson(const std::optional<RunOwner>& o, int64_t now) {
  if (!o) return "null";
  return "{\"host\":" + JsonQuoted(o->host) +
         ",\"pid\":" + std::to_string(o->pid) +
         ",\"process\":" + JsonQuoted(o->process) +
         ",\"since\":" + JsonQuoted(FormatMicros(o->since_micros)) +
         ",\"expires\":" + JsonQuoted(FormatMicros(o->expires_micros)) +
         ",\"expires_in_seconds\":" +
         std::to_string((o->expires_micros - now) / 1000000) +
         ",\"live\":" + (o->live(now) ? "true" : "false") + "}";
}

// "  owner    host h, pid 1234, since ...; the lease expires in 23 s".
std::string OwnerText(const std::string& table,
                      const std::optional<RunOwner>& o, int64_t now) {
  if (!o) {
    return "  owner    none: no process drives it (`godwit migrate " + table +
           " --resume` continues it)\n";
  }
  if (o->live(now)) return "  owner    " + o->Describe(now) + "\n";
  return "  owner    none: " + o->Describe(now) +
         " (that process stopped without releasing it; `godwit migrate " +
         table + " --resume` takes the run over)\n";
}

struct StatusArgs {
  std::string table;
};

Status RunStatus(const Context& ctx, const StatusArgs& a) {
  ASSIGN_OR_RETURN(Config cfg, LoadConfigOrDefault(ctx.global));
  std::vector<std::string> tables;
  if (!a.table.empty()) {
    tables.push_back(a.table);
  } else {
    ASSIGN_OR_RETURN(tables, ListMigrationTables(cfg.migrations_dir));
  }
  std::string missing;
  ASSIGN_OR_RETURN(std::unique_ptr<Store> store,
                   OpenExistingStore(ctx, &missing));
  Status first_error;
  std::string json = "{\"migrations_dir\":" + JsonQuoted(cfg.migrations_dir) +
                     ",\"store\":" + (store ? "true" : "false") +
                     ",\"tables\":[";
  std::string text;
  if (!store) {
    std::fprintf(stderr, "godwit: %s; showing the migration files only\n",
                 missing.c_str());
  }
  if (tables.empty()) {
    text += "no migrations in " + cfg.migrations_dir +
            "/ (write one with: godwit new <Table> <name>)\n";
  }
  for (size_t ti = 0; ti < tables.size(); ++ti) {
    const std::string& table = tables[ti];
    std::string active = table;
    std::vector<control::LedgerEntry> ledger;
    if (store) {
      ASSIGN_OR_RETURN(active, control::GetActiveTable(store.get(), table));
      ASSIGN_OR_RETURN(ledger, control::ReadLedger(store.get(), table));
    }
    Result<MigrationFolder> folder =
        ScanMigrationFolder(cfg.migrations_dir, table);
    Result<TablePlan> plan = folder.ok()
                                 ? PlanTable(table, folder->files, ledger)
                                 : Result<TablePlan>(folder.status());
    if (ti > 0) json += ",";
    json += "{\"table\":" + JsonQuoted(table) +
            ",\"active\":" + JsonQuoted(active) + ",\"applied\":[";
    text += table + "  (active table: " + active + ")\n";
    // The migration run in progress, if any (JSON: before "applied").
    size_t applied_at = json.rfind(",\"applied\":[");
    std::string run_json = ",\"run\":null";
    std::optional<RunSummary> run;
    if (store) {
      ASSIGN_OR_RETURN(run, FindRun(store.get(), table));
    }
    // Its owner: the process driving it now, if any (its lease).
    std::optional<RunOwner> owner;
    if (run && run->unfinished()) {
      ASSIGN_OR_RETURN(owner, FindRunOwner(store.get(), table));
    }
    if (run) {
      run_json = ",\"run\":{\"id\":" + JsonQuoted(run->run_id) + ",\"phase\":" +
                 JsonQuoted(std::string(RunPhaseName(run->phase))) +
                 ",\"source\":" + JsonQuoted(run->source) +
                 ",\"destination\":" + JsonQuoted(run->destination) +
                 ",\"p0\":" + std::to_string(run->p0) +
                 ",\"replayed_seq\":" + std::to_string(run->replayed_seq) +
                 ",\"errors\":" + std::to_string(run->errors) +
                 ",\"owner\":" + OwnerJson(owner, NowMicros()) + "}";
      text += "  run      " + run->run_id + "  " +
              std::string(RunPhaseName(run->phase)) + "  " + run->source +
              " -> " + run->destination + "  (replayed to sequence " +
              std::to_string(run->replayed_seq) + ", " +
              std::to_string(run->errors) + " item errors)\n";
      if (run->unfinished()) text += OwnerText(table, owner, NowMicros());
    }
    json.insert(applied_at, run_json);
    // Files of the folder that are not migrations (notes.txt, x.js,
    // 0003_x.lua.bak): godwit never runs them, which status says.
    std::string ignored_json = ",\"ignored\":[";
    if (folder.ok()) {
      bool first = true;
      for (const MigrationFinding& f : folder->findings) {
        if (f.kind != MigrationFinding::Kind::kNotAMigration) continue;
        ignored_json += std::string(first ? "" : ",") +
                        "{\"path\":" + JsonQuoted(f.path) +
                        ",\"message\":" + JsonQuoted(f.message) + "}";
        first = false;
        text += "  IGNORED  " + f.ToString() + "\n";
      }
    }
    ignored_json += "]";
    json.insert(json.rfind(",\"applied\":["), ignored_json);
    // Applied: from the ledger (the plan may have failed).
    for (size_t i = 0; i < ledger.size(); ++i) {
      const control::LedgerEntry& e = ledger[i];
      if (i > 0) json += ",";
      json += "{\"id\":" + JsonQuoted(e.id()) +
              ",\"number\":" + std::to_string(e.number) +
              ",\"name\":" + JsonQuoted(e.name) +
              ",\"sha256\":" + JsonQuoted(e.sha256) +
              ",\"applied_at\":" + JsonQuoted(FormatMicros(e.applied_micros)) +
              ",\"run\":" + JsonQuoted(e.run_id) +
              ",\"items_read\":" + std::to_string(e.items_read) +
              ",\"items_written\":" + std::to_string(e.items_written) +
              ",\"items_dropped\":" + std::to_string(e.items_dropped) +
              ",\"items_failed\":" + std::to_string(e.items_failed) + "}";
      text += "  applied  " + e.id() + "  " + FormatMicros(e.applied_micros) +
              "  run " + (e.run_id.empty() ? "-" : e.run_id) + "  read " +
              std::to_string(e.items_read) + ", written " +
              std::to_string(e.items_written) + ", dropped " +
              std::to_string(e.items_dropped) + ", failed " +
              std::to_string(e.items_failed) + "\n";
    }
    json += "],\"pending\":[";
    if (plan.ok()) {
      std::vector<std::pair<std::string, Status>> broken =
          BrokenMigrations(store.get(), table, plan->pending);
      auto error_of = [&](const std::string& id) -> const Status* {
        for (const auto& [bid, st] : broken) {
          if (bid == id) return &st;
        }
        return nullptr;
      };
      for (size_t i = 0; i < plan->pending.size(); ++i) {
        const MigrationFile& f = plan->pending[i];
        const Status* err = error_of(f.id());
        if (i > 0) json += ",";
        json += "{\"id\":" + JsonQuoted(f.id()) +
                ",\"number\":" + std::to_string(f.number) +
                ",\"name\":" + JsonQuoted(f.name) +
                ",\"path\":" + JsonQuoted(f.path) +
                ",\"sha256\":" + JsonQuoted(f.sha256) +
                ",\"error\":" + (err ? JsonQuoted(err->message()) : "null") +
                "}";
        if (err == nullptr) {
          text += "  pending  " + f.id() + "\n";
        } else {
          text += "  BROKEN   " + f.id() + "  " + std::string(err->message()) +
                  "\n";
        }
      }
      if (plan->pending.empty()) text += "  up to date\n";
      const Status* composed = error_of("composition");
      if (composed != nullptr) {
        text += "  BROKEN   the pending migrations together: " +
                std::string(composed->message()) + "\n";
      }
      json += "],\"error\":" +
              (composed ? JsonQuoted(composed->message()) : "null") + "}";
      if (!broken.empty() && first_error.ok()) {
        first_error = Status::InvalidArgument(
            std::to_string(broken.size()) + " pending migration" +
            (broken.size() == 1 ? " of " + table + " does"
                                : "s of " + table + " do") +
            " not load; the first: " + broken[0].first + ": " +
            std::string(broken[0].second.message()));
      }
    } else {
      json += "],\"error\":" + JsonQuoted(plan.status().message()) + "}";
      text += "  ERROR    " + std::string(plan.status().message()) + "\n";
      if (first_error.ok()) first_error = plan.status();
    }
  }
  json += "]}\n";
  Out(ctx.global.json ? json : text);
  return first_error;
}

// ---- dry-run ---------------------------------------------------------------

struct DryRunArgs {
  std::string table;
  size_t limit = 10;
  bool sample = false;
  uint64_t instruction_budget = 20'000'000;
};

// The items to transform: the first `limit` in storage order, or with
// `sample` one from each of `limit` scan segments (spread over the table).
Result<std::vector<Item>> ReadSample(Table& table, size_t limit, bool sample) {
  std::vector<Item> items;
  if (limit == 0) return items;
  if (!sample) {
    ScanOptions o;
    o.limit = limit;
    while (items.size() < limit) {
      ASSIGN_OR_RETURN(Page page, table.Scan(o));
      for (Item& it : page.items) {
        if (items.size() < limit) items.push_back(std::move(it));
      }
      if (page.next_page_token.empty()) break;
      o.page_token = page.next_page_token;
    }
    return items;
  }
  int segments = static_cast<int>(std::min<size_t>(limit, 1000));
  for (int s = 0; s < segments; ++s) {
    ScanOptions o;
    o.segment = s;
    o.total_segments = segments;
    o.limit = 1;
    ASSIGN_OR_RETURN(Page page, table.Scan(o));
    for (Item& it : page.items) items.push_back(std::move(it));
  }
  return items;
}

// Lines showing how `before` became `after`: "-" removed or old values,
// "+" added or new values; unchanged attributes are counted, not shown.
std::string DiffText(const Item& before, const Item& after, const Colors& c) {
  std::string out;
  size_t unchanged = 0;
  auto b = before.begin();
  auto a = after.begin();
  auto line = [&](char sign, const std::string& name, const AttributeValue& v) {
    out += std::string("    ") + (sign == '-' ? c.red() : c.green()) + sign +
           " " + name + ": " + DebugString(v) + c.reset() + "\n";
  };
  while (b != before.end() || a != after.end()) {
    if (a == after.end() || (b != before.end() && b->first < a->first)) {
      line('-', b->first, b->second);
      ++b;
    } else if (b == before.end() || a->first < b->first) {
      line('+', a->first, a->second);
      ++a;
    } else {
      if (b->second == a->second) {
        ++unchanged;
      } else {
        line('-', b->first, b->second);
        line('+', a->first, a->second);
      }
      ++a;
      ++b;
    }
  }
  out += std::string("    ") + c.dim() + std::to_string(unchanged) +
         " attribute" + (unchanged == 1 ? "" : "s") + " unchanged" + c.reset() +
         "\n";
  return out;
}

Status RunDryRun(const Context& ctx, const DryRunArgs& a) {
  ASSIGN_OR_RETURN(Config cfg, LoadConfigOrDefault(ctx.global));
  ASSIGN_OR_RETURN(std::unique_ptr<Store> store, OpenStore(ctx));
  ASSIGN_OR_RETURN(std::string physical, ResolveTable(store.get(), a.table));
  ASSIGN_OR_RETURN(std::shared_ptr<Table> table, store->GetTable(physical));
  ASSIGN_OR_RETURN(TablePlan plan,
                   LoadTablePlan(store.get(), cfg.migrations_dir, a.table));
  if (plan.pending.empty()) {
    if (ctx.global.json) {
      Out("{\"table\":" + JsonQuoted(a.table) +
          ",\"source\":" + JsonQuoted(physical) +
          ",\"pending\":[],\"items\":[],\"summary\":null}\n");
    } else {
      Out("nothing pending for " + a.table + "\n");
    }
    return Status::OK();
  }
  TransformOptions opts;
  opts.source_key_schema = table->key_schema();
  opts.run_id = "dry-run";
  opts.instruction_budget = a.instruction_budget;
  opts.log = [](std::string_view line) {
    std::fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data());
  };
  std::vector<std::string> ids;
  for (const MigrationFile& f : plan.pending) ids.push_back(f.id());
  ASSIGN_OR_RETURN(std::shared_ptr<const Transform> transform,
                   Transform::Create(plan.pending, opts));
  ASSIGN_OR_RETURN(std::unique_ptr<TransformWorker> worker,
                   transform->NewWorker());
  ASSIGN_OR_RETURN(std::vector<Item> items,
                   ReadSample(*table, a.limit, a.sample));
  {
    std::vector<Item> check(items.begin(),
                            items.begin() + std::min<size_t>(items.size(), 20));
    RETURN_IF_ERROR(worker->CheckDeterminism(check));
  }

  Colors c;
  c.on = !ctx.global.json && ::isatty(1) == 1;
  TransformStats stats;
  std::string json = "{\"table\":" + JsonQuoted(a.table) +
                     ",\"source\":" + JsonQuoted(physical) + ",\"pending\":[";
  for (size_t i = 0; i < ids.size(); ++i) {
    json += (i ? "," : "") + JsonQuoted(ids[i]);
  }
  json += "],\"destination_key_schema\":" +
          JsonQuoted(transform->destination_key_schema().ToString()) +
          ",\"items\":[";
  std::string text = std::string(c.bold()) + "dry run of " + a.table + " (" +
                     physical + ") through ";
  for (size_t i = 0; i < ids.size(); ++i) text += (i ? " -> " : "") + ids[i];
  text += std::string(c.reset()) + "\n\n";
  const KeySchema& src_schema = table->key_schema();
  for (size_t i = 0; i < items.size(); ++i) {
    const Item& before = items[i];
    ItemOutcome out = worker->Up(before);
    stats.Add(out);
    std::string key = DescribeItemKey(before, src_schema);
    if (i > 0) json += ",";
    json += "{\"key\":" + JsonQuoted(key) +
            ",\"outcome\":" + JsonQuoted(ItemOutcomeKindName(out.kind)) +
            ",\"before\":" + ItemToJson(before) + ",\"after\":[";
    for (size_t k = 0; k < out.items.size(); ++k) {
      json += (k ? "," : "") + ItemToJson(out.items[k]);
    }
    json += "]";
    if (!out.ok() && out.kind != ItemOutcome::Kind::kDropped) {
      json += ",\"migration\":" + JsonQuoted(out.migration) +
              ",\"reason\":" + JsonQuoted(out.reason) +
              ",\"traceback\":" + JsonQuoted(out.traceback);
    }
    json += "}";
    text += std::string(c.yellow()) + "@ " + key + c.reset();
    switch (out.kind) {
      case ItemOutcome::Kind::kOk:
        if (out.items.size() == 1) {
          text += "\n" + DiffText(before, out.items[0], c);
        } else {
          text +=
              "  fan-out into " + std::to_string(out.items.size()) + " items\n";
          for (size_t k = 0; k < out.items.size(); ++k) {
            text += "  item " + std::to_string(k + 1) + ":\n" +
                    DiffText(before, out.items[k], c);
          }
        }
        break;
      case ItemOutcome::Kind::kDropped:
        text += "  dropped (up returned nil)\n";
        break;
      case ItemOutcome::Kind::kFailed:
      case ItemOutcome::Kind::kInvalid:
        text +=
            std::string("  ") + c.red() +
            (out.kind == ItemOutcome::Kind::kFailed ? "FAILED" : "INVALID") +
            " in " + out.migration + c.reset() + ": " + out.reason + "\n";
        if (!out.traceback.empty()) text += "    " + out.traceback + "\n";
        break;
    }
    text += "\n";
  }
  std::string summary = "{\"items\":" + std::to_string(stats.items_in) +
                        ",\"out\":" + std::to_string(stats.items_out) +
                        ",\"dropped\":" + std::to_string(stats.dropped) +
                        ",\"fanned_out\":" + std::to_string(stats.fanned_out) +
                        ",\"failed\":" + std::to_string(stats.failed) +
                        ",\"invalid\":" + std::to_string(stats.invalid) + "}";
  json += "],\"summary\":" + summary + "}\n";
  text += std::string(c.bold()) + std::to_string(stats.items_in) +
          " items -> " + std::to_string(stats.items_out) + " items" +
          c.reset() + ": " + std::to_string(stats.dropped) + " dropped, " +
          std::to_string(stats.fanned_out) + " fanned out, " +
          std::to_string(stats.failed) + " failed, " +
          std::to_string(stats.invalid) + " invalid. Nothing was written.\n";
  Out(ctx.global.json ? json : text);
  if (stats.errors() > 0) {
    return Status::FailedPrecondition(
        std::to_string(stats.errors()) + " of " +
        std::to_string(stats.items_in) +
        " items failed or were invalid in the dry run");
  }
  return Status::OK();
}

}  // namespace

void RegisterMigrationCommands(CLI::App& app, Context& ctx) {
  auto new_args = std::make_shared<NewArgs>();
  auto status_args = std::make_shared<StatusArgs>();
  auto dry_args = std::make_shared<DryRunArgs>();
  Context* c = &ctx;

  CLI::App* init =
      app.add_subcommand("init", "write godwit.toml and a migrations/ folder");
  init->callback([c] { c->run = [c] { return RunInit(*c); }; });

  CLI::App* nw = app.add_subcommand(
      "new", "write migrations/TABLE/NNNN_NAME.lua from a template");
  nw->add_option("table", new_args->table, "logical table")->required();
  nw->add_option("name", new_args->name, "migration name, e.g. add_index")
      ->required();
  nw->callback([c, new_args] {
    c->run = [c, new_args] { return RunNew(*c, *new_args); };
  });

  CLI::App* st = app.add_subcommand(
      "status",
      "applied and pending migrations (broken ones with their error: exit "
      "1; files that are not migrations: named), the run in progress and "
      "its owner, and the active table");
  st->add_option("table", status_args->table,
                 "one logical table (default: all)");
  st->callback([c, status_args] {
    c->run = [c, status_args] { return RunStatus(*c, *status_args); };
  });

  CLI::App* dry = app.add_subcommand(
      "dry-run",
      "transform a sample through the pending migrations and show the "
      "changes; writes nothing");
  dry->add_option("table", dry_args->table, "logical table")->required();
  dry->add_option("--limit", dry_args->limit, "items to transform")
      ->capture_default_str();
  dry->add_flag("--sample", dry_args->sample,
                "spread the items over the table (one per scan segment) "
                "instead of taking the first ones");
  dry->add_option("--instruction-budget", dry_args->instruction_budget,
                  "Lua instructions one call may run")
      ->capture_default_str();
  dry->callback([c, dry_args] {
    c->run = [c, dry_args] { return RunDryRun(*c, *dry_args); };
  });
}

}  // namespace godwit::cli
