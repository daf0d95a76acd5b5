// godwit plan TABLE: what `godwit migrate TABLE` would do, without doing
// it: the source and destination tables, the pending migrations composed
// into one pass (each with its SHA-256), the key and index changes, the
// checks the run makes, and the estimate from `analyze` figures (a saved
// analysis, or --analyze to measure now). Nothing is written (but the
// analysis --analyze saves).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/cli.h"
#include "cli/config.h"
#include "cli/render.h"
#include "cli/session.h"
#include "godwit/controller.h"
#include "godwit/json.h"
#include "godwit/transform.h"
#include "ops/analyze.h"
#include "transform/plan.h"

namespace godwit::cli {
namespace {

struct PlanArgs {
  AnalyzeRequest analyze;
  bool run_analyze = false;
  double read_capacity = 0;
  double write_capacity = 0;
};

// The engine's name for the next generation (engine.cc NextGeneration):
// "Orders" -> "Orders.v2", "Orders.v3" -> "Orders.v4".
std::string NextGeneration(const std::string& logical,
                           const std::string& source) {
  int gen = 1;
  std::string prefix = logical + ".v";
  if (source.size() > prefix.size() && source.rfind(prefix, 0) == 0) {
    gen = std::atoi(source.c_str() + prefix.size());
  }
  return prefix + std::to_string(gen + 1);
}

std::string IndexText(const SecondaryIndex& ix) {
  return ix.name + " (" +
         (ix.kind == SecondaryIndex::Kind::kGlobal ? "global" : "local") +
         ", " + ix.key_schema.ToString() + ", " + ix.projection + ")";
}

std::string IndexJson(const SecondaryIndex& ix) {
  return "{\"name\":" + JsonQuoted(ix.name) + ",\"kind\":" +
         (ix.kind == SecondaryIndex::Kind::kGlobal ? "\"global\""
                                                   : "\"local\"") +
         ",\"key_schema\":" + JsonQuoted(ix.key_schema.ToString()) +
         ",\"projection\":" + JsonQuoted(ix.projection) + "}";
}

struct Check {
  std::string name;
  std::string status;  // "passed", "failed", "will run"
  std::string detail;
};

Status RunPlan(const Context& ctx, const PlanArgs& a) {
  const std::string& table = a.analyze.table;
  ASSIGN_OR_RETURN(Config cfg, LoadConfigOrDefault(ctx.global));
  ASSIGN_OR_RETURN(std::unique_ptr<Store> store, OpenStore(ctx));
  ASSIGN_OR_RETURN(std::string source, ResolveTable(store.get(), table));
  ASSIGN_OR_RETURN(TableDescription src, store->DescribeTable(source));
  ASSIGN_OR_RETURN(std::optional<RunSummary> run, FindRun(store.get(), table));
  const bool in_progress = run && run->unfinished();
  ASSIGN_OR_RETURN(TablePlan tp,
                   LoadTablePlan(store.get(), cfg.migrations_dir, table));

  std::string text, json;
  std::ostringstream t;
  t << "plan for " << table << "\n";
  json = "{\"table\":" + JsonQuoted(table) +
         ",\"source\":" + JsonQuoted(source) +
         ",\"source_items\":" + std::to_string(src.item_count) +
         ",\"source_key_schema\":" + JsonQuoted(src.key_schema.ToString()) +
         ",\"source_stream\":" + (src.stream_enabled ? "true" : "false");
  if (in_progress) {
    t << "  a run is in progress: " << run->run_id << " ("
      << RunPhaseName(run->phase) << ", " << run->source << " -> "
      << run->destination << "); `godwit migrate " << table
      << " --resume` continues it, `godwit abandon " << table << "` ends it\n";
    json += ",\"run_in_progress\":{\"id\":" + JsonQuoted(run->run_id) +
            ",\"phase\":" + JsonQuoted(RunPhaseName(run->phase)) + "}";
  } else {
    json += ",\"run_in_progress\":null";
  }
  if (tp.pending.empty()) {
    t << "  nothing pending in " << cfg.migrations_dir << "/" << table
      << ": migrate has nothing to do\n";
    json += ",\"pending\":[]}\n";
    std::string out = ctx.global.json ? json : t.str();
    std::fwrite(out.data(), 1, out.size(), stdout);
    return Status::OK();
  }
  TransformOptions topts;
  topts.source_key_schema = src.key_schema;
  topts.run_id = "plan";
  ASSIGN_OR_RETURN(std::shared_ptr<const Transform> transform,
                   Transform::Create(tp.pending, topts));
  const std::string dest = NextGeneration(table, source);
  KeySchema dkey = transform->destination_key_schema();
  std::optional<std::vector<SecondaryIndex>> dix =
      transform->destination_indexes();

  t << "  source       " << source << " (key " << src.key_schema.ToString()
    << ", about " << Thousands(src.item_count) << " items, stream "
    << (src.stream_enabled ? "on" : "OFF") << ")\n";
  t << "  destination  " << dest << " (created by the run)\n";
  t << "  migrations   " << tp.pending.size()
    << " pending, composed into one pass (up = up_n ... up_1):\n";
  json += ",\"destination\":" + JsonQuoted(dest) + ",\"pending\":[";
  for (size_t i = 0; i < tp.pending.size(); ++i) {
    const MigrationFile& f = tp.pending[i];
    const MigrationInfo& info = transform->migrations()[i];
    t << "    " << f.id() << "  sha256 " << f.sha256 << "\n";
    if (!info.description.empty()) t << "      " << info.description << "\n";
    t << "      down: " << (info.has_down ? "yes" : "NO (no reverse sync)")
      << ", validate: " << (info.has_validate ? "yes" : "no") << "\n";
    if (i) json += ",";
    json += "{\"id\":" + JsonQuoted(f.id()) +
            ",\"path\":" + JsonQuoted(f.path) +
            ",\"sha256\":" + JsonQuoted(f.sha256) +
            ",\"description\":" + JsonQuoted(info.description) +
            ",\"has_down\":" + (info.has_down ? "true" : "false") + "}";
  }
  json += "]";
  const bool rekey = !(dkey == src.key_schema);
  t << "  key          "
    << (rekey ? src.key_schema.ToString() + " -> " + dkey.ToString() +
                    " (re-keyed)"
              : dkey.ToString() + " (unchanged)")
    << "\n";
  json += ",\"destination_key_schema\":" + JsonQuoted(dkey.ToString()) +
          ",\"rekey\":" + (rekey ? "true" : "false");
  std::vector<SecondaryIndex> out_ix;
  if (dix) {
    out_ix = *dix;
  } else {
    out_ix = src.indexes;
  }
  t << "  indexes      ";
  if (!dix)
    t << "carried over from the source";
  else
    t << "declared by the migrations";
  t << ": ";
  if (out_ix.empty()) t << "none";
  for (size_t i = 0; i < out_ix.size(); ++i) {
    t << (i ? ", " : "") << IndexText(out_ix[i]);
  }
  t << "\n";
  for (const SecondaryIndex& ix : src.indexes) {
    bool kept = false;
    for (const SecondaryIndex& o : out_ix) kept = kept || o.name == ix.name;
    if (!kept) t << "    dropped: " << IndexText(ix) << "\n";
  }
  json += ",\"indexes_from\":" +
          std::string(dix ? "\"migrations\"" : "\"source\"") +
          ",\"source_indexes\":[";
  for (size_t i = 0; i < src.indexes.size(); ++i) {
    json += (i ? "," : "") + IndexJson(src.indexes[i]);
  }
  json += "],\"destination_indexes\":[";
  for (size_t i = 0; i < out_ix.size(); ++i) {
    json += (i ? "," : "") + IndexJson(out_ix[i]);
  }
  json += "]";

  // The checks: the determinism check runs now on the sample migrate
  // uses (reads only); the others run during the migration.
  std::vector<Check> checks;
  {
    Check c{"determinism", "passed",
            "up runs twice on a sample of 64 source items; migrate refuses "
            "to start if the two runs differ"};
    ASSIGN_OR_RETURN(std::shared_ptr<Table> st, store->GetTable(source));
    ScanOptions so;
    so.limit = 64;
    ASSIGN_OR_RETURN(Page page, st->Scan(so));
    ASSIGN_OR_RETURN(std::unique_ptr<TransformWorker> w,
                     transform->NewWorker());
    if (Status s = w->CheckDeterminism(page.items); !s.ok()) {
      c.status = "failed";
      c.detail = std::string(s.message());
    } else {
      c.detail = "passed now on " + std::to_string(page.items.size()) +
                 " items; " + c.detail;
    }
    checks.push_back(std::move(c));
  }
  checks.push_back(
      {"stream", src.stream_enabled ? "passed" : "failed",
       src.stream_enabled
           ? "the source's change stream is on: writes during the copy are "
             "captured from P0 and replayed"
           : "the source has no change stream: migrate cannot capture the "
             "writes made during the copy"});
  checks.push_back(
      {"collisions", "will run",
       std::string("every destination key is claimed in the key map "
                   "godwit_keymap.") +
           dest +
           ": two source items that map to one destination key stop the "
           "run (dead-lettered up to --max-errors)" +
           (rekey ? "; this run re-keys, so collisions are possible" : "")});
  checks.push_back({"verify", "will run",
                    "the exact comparison of up(source) with the "
                    "destination at one source sequence"});
  checks.push_back({"cutover gate", "will run",
                    "cutover and rollback need a passing verify of the "
                    "phase (--force skips it, and the report says so)"});
  t << "  checks:\n";
  json += ",\"checks\":[";
  for (size_t i = 0; i < checks.size(); ++i) {
    t << "    " << checks[i].name << ": " << checks[i].status << " - "
      << checks[i].detail << "\n";
    json += std::string(i ? "," : "") +
            "{\"name\":" + JsonQuoted(checks[i].name) +
            ",\"status\":" + JsonQuoted(checks[i].status) +
            ",\"detail\":" + JsonQuoted(checks[i].detail) + "}";
  }
  json += "]";

  // The estimate: measured now, or from the saved analysis.
  std::optional<ops::TableAnalysis> an;
  std::string an_from;
  if (a.run_analyze) {
    std::string saved;
    ASSIGN_OR_RETURN(ops::TableAnalysis r,
                     AnalyzeAndSave(ctx, store.get(), a.analyze, &saved));
    an = std::move(r);
    an_from = "measured now";
  } else {
    ASSIGN_OR_RETURN(std::string dir, ResolveRunDir(ctx.global, table));
    std::string path = ops::AnalysisPath(dir);
    std::ifstream in(path, std::ios::binary);
    if (in) {
      std::string content((std::istreambuf_iterator<char>(in)),
                          std::istreambuf_iterator<char>());
      Result<ops::TableAnalysis> r = ops::AnalysisFromJson(content);
      if (!r.ok()) return r.status().WithContext(path);
      an = std::move(*r);
      double minutes = (NowMicros() - an->analyzed_micros) / 6e7;
      char age[64];
      if (minutes < 120) {
        std::snprintf(age, sizeof(age), "%.0f minutes old", minutes);
      } else {
        std::snprintf(age, sizeof(age), "%.1f hours old", minutes / 60);
      }
      an_from = "saved " + path + ", " + age;
      if (an->table != source) {
        an_from += "; it measured " + an->table + ", not " + source;
      }
    }
  }
  if (an) {
    ops::MigrationEstimate e =
        ops::EstimateMigration(*an, a.read_capacity, a.write_capacity);
    t << "  estimate (" << an_from << "; " << Thousands(an->items)
      << " items):\n";
    std::istringstream lines(EstimateText(e));
    for (std::string l; std::getline(lines, l);) t << "    " << l << "\n";
    json += ",\"analysis_from\":" + JsonQuoted(an_from) +
            ",\"estimate\":" + ops::EstimateToJson(e);
    if (an->findings.size() > 0) {
      t << "    the analysis found " << an->findings.size()
        << " data-quality findings (godwit analyze " << table
        << " shows them)\n";
    }
  } else {
    t << "  estimate: no saved analysis; `godwit analyze " << table
      << "` or `godwit plan " << table << " --analyze` measures the table\n";
    json += ",\"analysis_from\":null,\"estimate\":null";
  }
  t << "nothing was written\n";
  json += "}\n";
  std::string out = ctx.global.json ? json : t.str();
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  for (const Check& c : checks) {
    if (c.status == "failed") {
      return Status::FailedPrecondition("plan: the " + c.name +
                                        " check fails: " + c.detail);
    }
  }
  return Status::OK();
}

}  // namespace

void RegisterPlanCommand(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<PlanArgs>();
  CLI::App* p = app.add_subcommand(
      "plan",
      "Show what `migrate TABLE` would do (tables, migrations and their "
      "SHA-256, key and index changes, checks, estimate); writes nothing");
  p->add_option("table", a->analyze.table, "logical table")->required();
  p->add_flag("--analyze", a->run_analyze,
              "measure the table now (as `godwit analyze`, and save it) "
              "instead of using the saved analysis");
  p->add_option("--read-capacity", a->read_capacity,
                "read units/s the migration may use, for the estimate")
      ->check(CLI::NonNegativeNumber);
  p->add_option("--write-capacity", a->write_capacity,
                "write units/s the migration may use, for the estimate")
      ->check(CLI::NonNegativeNumber);
  p->add_option("--segments", a->analyze.segments,
                "scan segments for --analyze")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  p->add_option("--threads", a->analyze.threads, "scan threads for --analyze")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  p->callback([&ctx, a] {
    ctx.json_errors = true;
    ctx.run = [&ctx, a] { return RunPlan(ctx, *a); };
  });
}

}  // namespace godwit::cli
