// godwit report TABLE [--run ID] [--html FILE]: the figures of a run from
// its timeline (recorded by the controller in the table's run directory,
// src/migrate/controller_timeline.h), as text, JSON, or one self-contained
// HTML file with plots (src/ops/report_html.h). Reads files only: it works
// while `godwit migrate` runs and holds the store.
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "cli/cli.h"
#include "cli/config.h"
#include "cli/render.h"
#include "cli/session.h"
#include "godwit/json.h"
#include "ops/analyze.h"
#include "ops/report_html.h"
#include "ops/timeline.h"

namespace godwit::cli {
namespace {

struct ReportArgs {
  std::string table;
  std::string run;
  std::string html;
};

Status WriteFileAtomically(const std::string& path, const std::string& data) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << data;
    out.close();
    if (!out) return Status::IOError("cannot write " + tmp);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Status::IOError("cannot write " + path + ": " + ec.message());
  return Status::OK();
}

Status RunReport(const Context& ctx, const ReportArgs& a) {
  ASSIGN_OR_RETURN(const std::string dir, ResolveRunDir(ctx.global, a.table));
  ASSIGN_OR_RETURN(std::vector<std::string> runs, ops::ListTimelines(dir));
  std::string run = a.run;
  if (run.empty()) {
    if (runs.empty()) {
      return Status::NotFound("no run of " + a.table + " is recorded in " +
                              dir + " (runs record their timeline there)");
    }
    run = runs.back();
  } else if (std::find(runs.begin(), runs.end(), run) == runs.end()) {
    std::string known;
    for (const std::string& r : runs) known += (known.empty() ? "" : ", ") + r;
    return Status::NotFound(
        "no run " + run + " of " + a.table + " in " + dir +
        (known.empty() ? "" : " (recorded: " + known + ")"));
  }
  ASSIGN_OR_RETURN(ops::RunTimeline tl,
                   ops::ReadTimeline(ops::TimelinePath(dir, run)));
  ops::RunFigures f = ops::Summarize(tl);
  std::optional<ops::TableAnalysis> analysis;
  {
    std::ifstream in(ops::AnalysisPath(dir), std::ios::binary);
    if (in) {
      std::string content((std::istreambuf_iterator<char>(in)),
                          std::istreambuf_iterator<char>());
      Result<ops::TableAnalysis> r = ops::AnalysisFromJson(content);
      if (!r.ok()) return r.status().WithContext(ops::AnalysisPath(dir));
      analysis = std::move(*r);
    }
  }
  if (!a.html.empty()) {
    RETURN_IF_ERROR(
        WriteFileAtomically(a.html, ops::RenderReportHtml(tl, f, analysis)));
  }
  std::string out;
  if (ctx.global.json) {
    out = "{\"table\":" + JsonQuoted(a.table) + ",\"run\":" + JsonQuoted(run) +
          ",\"figures\":" + ops::FiguresToJson(f) +
          ",\"html\":" + (a.html.empty() ? "null" : JsonQuoted(a.html)) + "}\n";
  } else {
    out = "run " + run + " of " + a.table + ": " + tl.source + " -> " +
          tl.destination + "\n" + RunFiguresText(f);
    if (!a.html.empty()) out += "wrote " + a.html + "\n";
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  return Status::OK();
}

}  // namespace

void RegisterReportCommand(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<ReportArgs>();
  CLI::App* r = app.add_subcommand(
      "report",
      "The figures of a run of TABLE from its recorded timeline; --html "
      "writes one self-contained page with plots (throughput, lag, write "
      "pauses, dead letters), verify results, the saved analysis and the "
      "run's events");
  r->add_option("table", a->table, "logical table")->required();
  r->add_option("--run", a->run, "run id (default: the latest recorded)");
  r->add_option("--html", a->html, "write the HTML report to FILE");
  r->callback([&ctx, a] {
    ctx.json_errors = true;
    ctx.run = [&ctx, a] { return RunReport(ctx, *a); };
  });
}

}  // namespace godwit::cli
