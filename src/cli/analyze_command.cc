// godwit analyze TABLE: what a table holds, measured in one parallel scan
// with bounded memory (src/ops/analyze.h), and what migrating it costs at
// a capacity budget. The analysis is saved in the table's run directory
// for `godwit plan` and `godwit report`.
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>

#include "cli/cli.h"
#include "cli/config.h"
#include "cli/render.h"
#include "cli/session.h"
#include "godwit/json.h"
#include "ops/analyze.h"

namespace godwit::cli {

Result<ops::TableAnalysis> AnalyzeAndSave(const Context& ctx, Store* store,
                                          const AnalyzeRequest& req,
                                          std::string* saved_path) {
  saved_path->clear();
  ASSIGN_OR_RETURN(std::string physical, ResolveTable(store, req.table));
  ASSIGN_OR_RETURN(std::shared_ptr<Table> table, store->GetTable(physical));
  ops::AnalyzeOptions o;
  o.segments = req.segments;
  o.threads = req.threads;
  o.top = req.top;
  o.plain_scan = req.plain_scan;
  static std::atomic<bool> cancel{false};
  InstallSignalHandlers();
  const bool tty = !ctx.global.json && ::isatty(2) == 1;
  bool shown = false;
  uint64_t total = 0;
  if (Result<TableDescription> d = table->Describe(); d.ok()) {
    total = d->item_count;
  }
  o.on_progress = [&](uint64_t items, uint64_t bytes) {
    if (Interrupted()) cancel.store(true);
    if (!tty) return;
    std::string line = "\ranalyzing " + physical + ": " + Thousands(items);
    if (total > 0) line += "/" + Thousands(total);
    line += " items, " + Thousands(bytes / (1024 * 1024)) + " MiB\033[K";
    std::fputs(line.c_str(), stderr);
    shown = true;
  };
  o.cancel = &cancel;
  Result<ops::TableAnalysis> r = ops::AnalyzeTable(*table, o);
  if (shown) std::fputs("\r\033[K", stderr);
  if (!r.ok()) return r.status();
  r->logical = req.table;
  if (!req.save || req.plain_scan) return r;
  ASSIGN_OR_RETURN(std::string dir, ResolveRunDir(ctx.global, req.table));
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError("cannot create " + dir + ": " + ec.message());
  std::string path = ops::AnalysisPath(dir);
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << ops::AnalysisToJson(*r) << "\n";
    out.close();
    if (!out) return Status::IOError("cannot write " + tmp);
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Status::IOError("cannot write " + path + ": " + ec.message());
  *saved_path = path;
  return r;
}

namespace {

struct AnalyzeArgs {
  AnalyzeRequest req;
  bool time_scan = false;
  double read_capacity = 0;
  double write_capacity = 0;
};

Status RunAnalyze(const Context& ctx, const AnalyzeArgs& a) {
  ASSIGN_OR_RETURN(std::unique_ptr<Store> store, OpenStore(ctx));
  std::string saved;
  // --time-scan: a plain scan with the same segments and threads before
  // and after the analysis (the faster counts), to show what the analysis
  // adds to it (BENCHMARKS.md).
  std::optional<double> plain_seconds;
  if (a.time_scan) {
    AnalyzeRequest plain = a.req;
    plain.plain_scan = true;
    std::string unused;
    ASSIGN_OR_RETURN(ops::TableAnalysis p,
                     AnalyzeAndSave(ctx, store.get(), plain, &unused));
    plain_seconds = p.seconds;
  }
  ASSIGN_OR_RETURN(ops::TableAnalysis an,
                   AnalyzeAndSave(ctx, store.get(), a.req, &saved));
  if (a.time_scan) {  // again, after: both warm; the faster one counts
    AnalyzeRequest plain = a.req;
    plain.plain_scan = true;
    std::string unused;
    ASSIGN_OR_RETURN(ops::TableAnalysis p,
                     AnalyzeAndSave(ctx, store.get(), plain, &unused));
    plain_seconds = std::min(*plain_seconds, p.seconds);
  }
  ops::MigrationEstimate e =
      ops::EstimateMigration(an, a.read_capacity, a.write_capacity);
  std::string out;
  if (ctx.global.json) {
    out = "{\"analysis\":" + ops::AnalysisToJson(an) +
          ",\"estimate\":" + ops::EstimateToJson(e) +
          ",\"saved\":" + (saved.empty() ? "null" : JsonQuoted(saved)) +
          (plain_seconds
               ? ",\"plain_scan_seconds\":" + std::to_string(*plain_seconds)
               : std::string()) +
          "}\n";
  } else {
    out = AnalysisText(an) + "\n" + EstimateText(e);
    if (plain_seconds) {
      char buf[160];
      std::snprintf(buf, sizeof(buf),
                    "\ntimed: a plain scan (same segments and threads) took "
                    "%.2f s, the analysis %.2f s (%.2fx)\n",
                    *plain_seconds, an.seconds,
                    *plain_seconds > 0 ? an.seconds / *plain_seconds : 0.0);
      out += buf;
    }
    if (!saved.empty()) {
      out += "\nsaved to " + saved +
             " (used by `godwit plan` and `godwit "
             "report`)\n";
    }
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  return Status::OK();
}

}  // namespace

void RegisterAnalyzeCommand(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<AnalyzeArgs>();
  CLI::App* an = app.add_subcommand(
      "analyze",
      "Measure TABLE in one parallel scan (bounded memory): sizes, largest "
      "items, hot partition keys, attribute types, data-quality findings, "
      "and the capacity and time a migration takes; writes nothing but "
      "the saved analysis");
  an->add_option("table", a->req.table, "logical table")->required();
  an->add_option("--segments", a->req.segments, "parallel scan segments")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  an->add_option("--threads", a->req.threads, "scan threads")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  an->add_option("--top", a->req.top, "hot keys and largest items shown")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  an->add_option("--read-capacity", a->read_capacity,
                 "read units/s the migration may use, for the estimate")
      ->check(CLI::NonNegativeNumber);
  an->add_option("--write-capacity", a->write_capacity,
                 "write units/s the migration may use, for the estimate")
      ->check(CLI::NonNegativeNumber);
  an->add_flag(
      "--no-save", [a](int64_t) { a->req.save = false; },
      "do not save the analysis in the table's run directory");
  an->add_flag("--time-scan", a->time_scan,
               "also time a plain scan of the table (same segments and "
               "threads, before and after the analysis) and say what the "
               "analysis costs on top of it");
  an->callback([&ctx, a] {
    ctx.json_errors = true;
    ctx.run = [&ctx, a] { return RunAnalyze(ctx, *a); };
  });
}

}  // namespace godwit::cli
