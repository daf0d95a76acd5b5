// See timeline.h; the file's grammar is at the top of
// src/migrate/controller_timeline.cc.
#include "ops/timeline.h"

#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "godwit/json.h"
#include "migrate/controller_timeline.h"

namespace godwit::ops {
namespace {

namespace dom = simdjson::dom;

std::optional<RunPhase> PhaseOf(dom::object o, const char* f) {
  std::string_view s;
  if (o[f].get_string().get(s)) return std::nullopt;
  return RunPhaseFromName(s);
}

}  // namespace

std::string TimelinePath(const std::string& run_dir,
                         const std::string& run_id) {
  return migrate::ControllerTimeline::Path(run_dir, run_id);
}

void RunTimeline::AddProgress(int64_t t, const MigrationProgress& p) {
  if (!samples.empty() && samples.back().progress.phase != p.phase) {
    phases.push_back(PhaseChange{t, samples.back().progress.phase, p.phase});
  }
  samples.push_back(Sample{t, p});
}

void RunTimeline::AddCommand(int64_t t, const Command& c,
                             const Result<Reply>& r, double seconds) {
  CommandEvent e;
  e.t = t;
  e.command = c;
  e.result = r;
  e.seconds = seconds;
  commands.push_back(std::move(e));
}

int64_t RunTimeline::first_t() const {
  int64_t t = INT64_MAX;
  if (!samples.empty()) t = std::min(t, samples.front().t);
  if (!marks.empty()) t = std::min(t, marks.front().t);
  if (!commands.empty()) t = std::min(t, commands.front().t);
  return t == INT64_MAX ? 0 : t;
}

int64_t RunTimeline::last_t() const {
  int64_t t = 0;
  if (!samples.empty()) t = std::max(t, samples.back().t);
  if (!marks.empty()) t = std::max(t, marks.back().t);
  if (!commands.empty()) t = std::max(t, commands.back().t);
  return t;
}

Result<RunTimeline> ReadTimeline(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      return Status::NotFound("no timeline " + path);
    }
    return Status::IOError("cannot read " + path);
  }
  std::string content((std::istreambuf_iterator<char>(in)),
                      std::istreambuf_iterator<char>());
  RunTimeline tl;
  dom::parser parser;
  size_t pos = 0;
  uint64_t line_no = 0;
  while (pos < content.size()) {
    size_t nl = content.find('\n', pos);
    ++line_no;
    if (nl == std::string::npos) {  // torn last line
      ++tl.skipped_lines;
      break;
    }
    std::string_view line(content.data() + pos, nl - pos);
    pos = nl + 1;
    if (line.empty()) continue;
    auto fail = [&](const std::string& what) {
      return Status::DataLoss(path + ": line " + std::to_string(line_no) +
                              ": " + what);
    };
    dom::element doc;
    if (parser.parse(line.data(), line.size()).get(doc)) {
      return fail("not JSON");
    }
    dom::object o;
    int64_t t;
    std::string_view run, event;
    if (doc.get_object().get(o) || o["t"].get_int64().get(t) ||
        o["run"].get_string().get(run) || o["event"].get_string().get(event)) {
      return fail("not a timeline line (t, run, event)");
    }
    if (tl.run_id.empty()) tl.run_id = std::string(run);
    auto raw = [&](const char* f) -> std::string {
      dom::element e;
      if (o[f].get(e)) return "";
      return simdjson::minify(e);
    };
    if (event == "open") {
      std::string_view s;
      if (!o["table"].get_string().get(s)) tl.table = std::string(s);
      if (!o["source"].get_string().get(s)) tl.source = std::string(s);
      if (!o["destination"].get_string().get(s)) {
        tl.destination = std::string(s);
      }
      dom::array ms;
      if (!o["migrations"].get_array().get(ms)) {
        tl.migrations.clear();
        for (dom::element e : ms) {
          PlannedMigration pm;
          int64_t n = 0;
          std::string_view name, sha;
          dom::object mo;
          if (e.get_object().get(mo) || mo["number"].get_int64().get(n) ||
              mo["name"].get_string().get(name) ||
              mo["sha256"].get_string().get(sha)) {
            return fail("a migration of \"open\" is malformed");
          }
          pm.number = static_cast<int>(n);
          pm.name = std::string(name);
          pm.sha256 = std::string(sha);
          tl.migrations.push_back(std::move(pm));
        }
      }
      int64_t pid = 0;
      (void)o["pid"].get_int64().get(pid);
      tl.marks.push_back({t, "open", "process " + std::to_string(pid)});
    } else if (event == "progress" || event == "close") {
      Result<MigrationProgress> p = ProgressFromJson(raw("progress"));
      if (!p.ok()) return fail(std::string(p.status().message()));
      tl.AddProgress(t, *p);
      if (event == "close") tl.marks.push_back({t, "close", ""});
    } else if (event == "phase") {
      std::optional<RunPhase> from = PhaseOf(o, "from"), to = PhaseOf(o, "to");
      if (!from || !to) return fail("a phase change without from/to");
      // AddProgress notes changes between samples; keep the recorded one.
      if (tl.phases.empty() || tl.phases.back().to != *to) {
        tl.phases.push_back({t, *from, *to});
      }
    } else if (event == "command") {
      Result<Command> c = CommandFromJson(raw("command"));
      if (!c.ok()) return fail(std::string(c.status().message()));
      Result<Reply> r = ResultFromJson(raw("result"));
      double secs = 0;
      (void)o["seconds"].get_double().get(secs);
      tl.AddCommand(t, *c, r, secs);
    } else if (event == "error") {
      std::string_view msg;
      (void)o["error"]["message"].get_string().get(msg);
      tl.marks.push_back({t, "error", std::string(msg)});
    } else {
      ++tl.skipped_lines;
    }
  }
  // AddProgress may note a change the recorder noted too: keep one of each.
  std::stable_sort(tl.phases.begin(), tl.phases.end(),
                   [](const RunTimeline::PhaseChange& a,
                      const RunTimeline::PhaseChange& b) { return a.t < b.t; });
  std::vector<RunTimeline::PhaseChange> unique;
  for (const auto& p : tl.phases) {
    if (!unique.empty() && unique.back().to == p.to &&
        unique.back().from == p.from &&
        std::llabs(p.t - unique.back().t) < 5'000'000) {
      continue;
    }
    unique.push_back(p);
  }
  tl.phases = std::move(unique);
  return tl;
}

Result<std::vector<std::string>> ListTimelines(const std::string& run_dir) {
  std::vector<std::pair<int64_t, std::string>> found;
  std::error_code ec;
  std::filesystem::directory_iterator it(run_dir, ec);
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory) {
      return std::vector<std::string>();
    }
    return Status::IOError("cannot list " + run_dir + ": " + ec.message());
  }
  for (const auto& entry : it) {
    std::string name = entry.path().filename().string();
    const std::string prefix = "timeline-", suffix = ".jsonl";
    if (name.size() <= prefix.size() + suffix.size() ||
        name.rfind(prefix, 0) != 0 ||
        name.substr(name.size() - suffix.size()) != suffix) {
      continue;
    }
    std::string id =
        name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
    std::ifstream in(entry.path());
    std::string first;
    std::getline(in, first);
    int64_t t = 0;
    size_t at = first.find("\"t\":");
    if (at != std::string::npos) t = std::atoll(first.c_str() + at + 4);
    found.emplace_back(t, id);
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> ids;
  for (auto& [t, id] : found) ids.push_back(std::move(id));
  return ids;
}

RunFigures Summarize(const RunTimeline& tl) {
  RunFigures f;
  const int64_t t0 = tl.first_t();
  f.seconds = (tl.last_t() - t0) / 1e6;
  for (const RunTimeline::Mark& m : tl.marks) {
    if (m.what == "open") ++f.processes;
    if (m.what == "error") f.errors.push_back(m.detail);
  }
  // Counters restart in each process that opens the run (the engine counts
  // from its checkpoints): take the largest seen.
  int64_t backfill_start = 0, backfill_end = 0;
  for (const RunTimeline::Sample& s : tl.samples) {
    const MigrationProgress& p = s.progress;
    f.phase = p.phase;
    f.scanned = std::max(f.scanned, p.scanned);
    f.copied = std::max(f.copied, p.written);
    f.dropped = std::max(f.dropped, p.dropped);
    f.dead_letters = std::max(f.dead_letters, p.errors);
    f.replayed = std::max(f.replayed, p.replayed);
    f.max_lag = std::max(f.max_lag, p.replay_lag);
    f.final_lag = p.replay_lag;
    if (p.phase == RunPhase::kBackfill) {
      if (backfill_start == 0) {
        backfill_start = s.t - static_cast<int64_t>(p.elapsed_seconds * 1e6);
      }
      f.peak_rate = std::max(f.peak_rate, p.items_per_second);
    } else if (backfill_end == 0 && backfill_start != 0) {
      backfill_end = s.t;
    }
  }
  for (const RunTimeline::PhaseChange& c : tl.phases) {
    if (c.from == RunPhase::kBackfill && c.to != RunPhase::kBackfill) {
      if (backfill_end == 0 || c.t < backfill_end) backfill_end = c.t;
    }
  }
  if (backfill_start == 0 && !tl.samples.empty()) {
    const auto& s = tl.samples.front();
    backfill_start =
        s.t - static_cast<int64_t>(s.progress.elapsed_seconds * 1e6);
  }
  if (backfill_end > backfill_start && backfill_start > 0) {
    f.backfill_seconds = (backfill_end - backfill_start) / 1e6;
    f.backfill_rate = f.copied / f.backfill_seconds;
  }
  int64_t paused_at = 0;
  for (const RunTimeline::CommandEvent& c : tl.commands) {
    if (!c.result.ok()) {
      ++f.failed_commands;
      continue;
    }
    const Reply& r = *c.result;
    if (r.verify) f.verifies.push_back({c.t, *r.verify});
    if (r.flip) {
      f.flips.push_back(
          {c.t, std::string(CommandName(c.command.kind)), *r.flip, r.forced});
      f.longest_write_pause_ms =
          std::max(f.longest_write_pause_ms, r.flip->write_pause_ms);
    }
    if (c.command.kind == CommandKind::kPause) {
      ++f.pauses;
      if (paused_at == 0) paused_at = c.t;
    } else if (c.command.kind == CommandKind::kResume && paused_at != 0) {
      f.paused_seconds += (c.t - paused_at) / 1e6;
      paused_at = 0;
    }
  }
  if (paused_at != 0) f.paused_seconds += (tl.last_t() - paused_at) / 1e6;
  // A watcher's first sample comes after the run opened: the engine's own
  // clock of the last process says how long it has run.
  if (!tl.samples.empty()) {
    f.seconds = std::max(f.seconds, tl.samples.back().progress.elapsed_seconds);
  }
  return f;
}

std::string FiguresToJson(const RunFigures& f) {
  auto num = [](double v) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.6g", std::isfinite(v) ? v : 0.0);
    return std::string(buf);
  };
  std::string o = "{\"seconds\":" + num(f.seconds) +
                  ",\"phase\":" + JsonQuoted(RunPhaseName(f.phase)) +
                  ",\"scanned\":" + std::to_string(f.scanned) +
                  ",\"copied\":" + std::to_string(f.copied) +
                  ",\"dropped\":" + std::to_string(f.dropped) +
                  ",\"dead_letters\":" + std::to_string(f.dead_letters) +
                  ",\"replayed\":" + std::to_string(f.replayed) +
                  ",\"backfill_seconds\":" + num(f.backfill_seconds) +
                  ",\"backfill_items_per_second\":" + num(f.backfill_rate) +
                  ",\"peak_items_per_second\":" + num(f.peak_rate) +
                  ",\"max_replay_lag\":" + std::to_string(f.max_lag) +
                  ",\"final_replay_lag\":" + std::to_string(f.final_lag) +
                  ",\"verifies\":[";
  for (size_t i = 0; i < f.verifies.size(); ++i) {
    if (i) o += ",";
    o += "{\"t\":" + std::to_string(f.verifies[i].t) +
         ",\"verify\":" + VerifyReportToJson(f.verifies[i].report) + "}";
  }
  o += "],\"flips\":[";
  for (size_t i = 0; i < f.flips.size(); ++i) {
    if (i) o += ",";
    o += "{\"t\":" + std::to_string(f.flips[i].t) +
         ",\"command\":" + JsonQuoted(f.flips[i].what) +
         ",\"flip\":" + FlipReportToJson(f.flips[i].report) +
         ",\"forced\":" + (f.flips[i].forced ? "true" : "false") + "}";
  }
  o += "],\"longest_write_pause_ms\":" + num(f.longest_write_pause_ms) +
       ",\"pauses\":" + std::to_string(f.pauses) +
       ",\"paused_seconds\":" + num(f.paused_seconds) +
       ",\"failed_commands\":" + std::to_string(f.failed_commands) +
       ",\"processes\":" + std::to_string(f.processes) + ",\"errors\":[";
  for (size_t i = 0; i < f.errors.size(); ++i) {
    if (i) o += ",";
    o += JsonQuoted(f.errors[i]);
  }
  return o + "]}";
}

}  // namespace godwit::ops
