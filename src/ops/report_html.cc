// See report_html.h. The page is built as one string: a <style>, the
// sections with inline <svg> charts, and a small <script> that shows the
// values under the pointer (the page reads fine without it).
#include "ops/report_html.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "godwit/json.h"

namespace godwit::ops {
namespace {

std::string Esc(std::string_view s) {
  std::string o;
  o.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        o += "&amp;";
        break;
      case '<':
        o += "&lt;";
        break;
      case '>':
        o += "&gt;";
        break;
      case '"':
        o += "&quot;";
        break;
      case '\'':
        o += "&#39;";
        break;
      default:
        o += c;
    }
  }
  return o;
}

std::string Num(double v, int digits = 1) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, std::isfinite(v) ? v : 0.0);
  return buf;
}

std::string Int(uint64_t v) {
  std::string s = std::to_string(v);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(i, ",");
  return s;
}

std::string Clock(int64_t micros) {
  time_t secs = static_cast<time_t>(micros / 1000000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

std::string Elapsed(double s) {
  int v = static_cast<int>(std::max(0.0, s) + 0.5);
  char buf[32];
  if (v >= 3600) {
    std::snprintf(buf, sizeof(buf), "%d:%02d:%02d", v / 3600, v / 60 % 60,
                  v % 60);
  } else {
    std::snprintf(buf, sizeof(buf), "%d:%02d", v / 60, v % 60);
  }
  return buf;
}

std::string Bytes(double b) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  int u = 0;
  while (b >= 1024 && u < 4) {
    b /= 1024;
    ++u;
  }
  return Num(b, u == 0 ? 0 : 1) + " " + units[u];
}

// A round step for about `n` ticks over [0, max].
double NiceStep(double max, int n) {
  if (max <= 0) return 1;
  double raw = max / n;
  double mag = std::pow(10, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (raw <= m * mag) return m * mag;
  }
  return 10 * mag;
}

constexpr const char* kColors[] = {"#2563eb", "#d97706", "#059669", "#dc2626",
                                   "#7c3aed"};
constexpr int kW = 760, kH = 240, kL = 64, kR = 16, kT = 28, kB = 34;

struct Frame {
  double max_x = 1, max_y = 1;
  double X(double x) const { return kL + (kW - kL - kR) * x / max_x; }
  double Y(double y) const { return kH - kB - (kH - kT - kB) * y / max_y; }
};

std::string Axes(const Frame& f, const std::string& title,
                 const std::string& unit) {
  std::string o = "<text class=\"title\" x=\"" + std::to_string(kL) +
                  "\" y=\"18\">" + Esc(title) + "</text>";
  double ys = NiceStep(f.max_y, 4);
  for (double y = 0; y <= f.max_y + 1e-9; y += ys) {
    std::string py = Num(f.Y(y));
    o += "<line class=\"grid\" x1=\"" + std::to_string(kL) + "\" x2=\"" +
         std::to_string(kW - kR) + "\" y1=\"" + py + "\" y2=\"" + py +
         "\"/><text class=\"tick\" x=\"" + std::to_string(kL - 6) + "\" y=\"" +
         Num(f.Y(y) + 4) + "\" text-anchor=\"end\">" +
         Esc(Num(y, ys < 1 ? 2 : 0)) + "</text>";
  }
  double xs = NiceStep(f.max_x, 6);
  for (double x = 0; x <= f.max_x + 1e-9; x += xs) {
    o += "<text class=\"tick\" x=\"" + Num(f.X(x)) + "\" y=\"" +
         std::to_string(kH - kB + 16) + "\" text-anchor=\"middle\">" +
         Elapsed(x) + "</text>";
  }
  o += "<text class=\"tick\" x=\"" + std::to_string(kW - kR) + "\" y=\"" +
       std::to_string(kH - 4) + "\" text-anchor=\"end\">time since start (" +
       Esc(unit) + ")</text>";
  return o;
}

std::string SeriesJson(const std::vector<Series>& series) {
  std::string o = "[";
  for (size_t i = 0; i < series.size(); ++i) {
    if (i) o += ",";
    o += "{\"name\":" + JsonQuoted(series[i].name) + ",\"points\":[";
    for (size_t k = 0; k < series[i].points.size(); ++k) {
      if (k) o += ",";
      o += "[" + Num(series[i].points[k].first, 2) + "," +
           Num(series[i].points[k].second, 2) + "]";
    }
    o += "]}";
  }
  return o + "]";
}

}  // namespace

std::vector<Series> ThroughputSeries(const RunTimeline& t) {
  Series copied{"items copied/s", {}}, replayed{"records replayed/s", {}};
  const int64_t t0 = t.first_t();
  for (size_t i = 1; i < t.samples.size(); ++i) {
    const auto& a = t.samples[i - 1];
    const auto& b = t.samples[i];
    double dt = (b.t - a.t) / 1e6;
    if (dt <= 0) continue;
    double x = (b.t - t0) / 1e6;
    // A new process starts its counters from its checkpoints: no rate
    // across a restart (a counter going down).
    if (b.progress.written >= a.progress.written &&
        b.progress.elapsed_seconds >= a.progress.elapsed_seconds) {
      copied.points.emplace_back(
          x, (b.progress.written - a.progress.written) / dt);
    }
    if (b.progress.replayed >= a.progress.replayed &&
        b.progress.elapsed_seconds >= a.progress.elapsed_seconds) {
      replayed.points.emplace_back(
          x, (b.progress.replayed - a.progress.replayed) / dt);
    }
  }
  return {copied, replayed};
}

Series LagSeries(const RunTimeline& t) {
  Series s{"replay lag (records)", {}};
  const int64_t t0 = t.first_t();
  for (const auto& p : t.samples) {
    s.points.emplace_back((p.t - t0) / 1e6,
                          static_cast<double>(p.progress.replay_lag));
  }
  return s;
}

Series DeadLetterSeries(const RunTimeline& t) {
  Series s{"dead letters", {}};
  const int64_t t0 = t.first_t();
  for (const auto& p : t.samples) {
    s.points.emplace_back((p.t - t0) / 1e6,
                          static_cast<double>(p.progress.errors));
  }
  return s;
}

Series Downsample(const Series& s, size_t max_points) {
  if (s.points.size() <= max_points || max_points < 4) return s;
  Series out{s.name, {}};
  const size_t buckets = max_points / 2;
  const double x0 = s.points.front().first, x1 = s.points.back().first;
  const double width = (x1 - x0) / buckets;
  size_t i = 0;
  for (size_t b = 0; b < buckets && i < s.points.size(); ++b) {
    double end = b + 1 == buckets ? x1 + 1 : x0 + width * (b + 1);
    size_t lo = i, hi = i;
    for (; i < s.points.size() && s.points[i].first < end; ++i) {
      if (s.points[i].second < s.points[lo].second) lo = i;
      if (s.points[i].second > s.points[hi].second) hi = i;
    }
    if (i == lo && lo == hi) continue;  // an empty bucket
    out.points.push_back(s.points[std::min(lo, hi)]);
    if (lo != hi) out.points.push_back(s.points[std::max(lo, hi)]);
  }
  return out;
}

std::string SvgLineChart(const std::string& title, const std::string& unit,
                         const std::vector<Series>& series) {
  Frame f;
  for (const Series& s : series) {
    for (const auto& [x, y] : s.points) {
      f.max_x = std::max(f.max_x, x);
      f.max_y = std::max(f.max_y, y);
    }
  }
  f.max_y *= 1.05;
  std::string o = "<svg class=\"chart\" viewBox=\"0 0 " + std::to_string(kW) +
                  " " + std::to_string(kH) + "\" role=\"img\" aria-label=\"" +
                  Esc(title) + "\" data-series='" + Esc(SeriesJson(series)) +
                  "' data-maxx=\"" + Num(f.max_x, 3) + "\">";
  o += Axes(f, title, unit);
  for (size_t i = 0; i < series.size(); ++i) {
    const Series& s = series[i];
    std::string d;
    for (size_t k = 0; k < s.points.size(); ++k) {
      d += (k ? " L" : "M") + Num(f.X(s.points[k].first)) + "," +
           Num(f.Y(s.points[k].second));
    }
    if (s.points.size() == 1) d += " h0";  // a dot (round caps)
    const char* color = kColors[i % 5];
    if (!d.empty()) {
      o += "<path class=\"line\" data-name=\"" + Esc(s.name) + "\" d=\"" + d +
           "\" stroke=\"" + color + "\"/>";
    }
    o += "<text class=\"legend\" x=\"" + std::to_string(kW - kR - 190) +
         "\" y=\"" + std::to_string(18 + 14 * static_cast<int>(i)) +
         "\" fill=\"" + color + "\">" + Esc(s.name) + "</text>";
  }
  o += "<line class=\"cursor\" x1=\"0\" x2=\"0\" y1=\"" + std::to_string(kT) +
       "\" y2=\"" + std::to_string(kH - kB) + "\" visibility=\"hidden\"/>";
  return o + "</svg>";
}

namespace {

// The flips' write pauses: a stem per flip at its time, its height the
// pause.
std::string SvgPauses(const RunTimeline& t, const RunFigures& f) {
  Frame fr;
  fr.max_x = std::max(1.0, (t.last_t() - t.first_t()) / 1e6);
  for (const auto& fl : f.flips) {
    fr.max_y = std::max(fr.max_y, fl.report.write_pause_ms);
  }
  fr.max_y *= 1.15;
  Series s{"write pause (ms)", {}};
  std::string o = "<svg class=\"chart\" viewBox=\"0 0 " + std::to_string(kW) +
                  " " + std::to_string(kH) +
                  "\" role=\"img\" aria-label=\"write pauses\"";
  std::string d, labels;
  for (const auto& fl : f.flips) {
    double x = (fl.t - t.first_t()) / 1e6;
    s.points.emplace_back(x, fl.report.write_pause_ms);
    d += "M" + Num(fr.X(x)) + "," + Num(fr.Y(0)) + " L" + Num(fr.X(x)) + "," +
         Num(fr.Y(fl.report.write_pause_ms)) + " ";
    labels += "<circle cx=\"" + Num(fr.X(x)) + "\" cy=\"" +
              Num(fr.Y(fl.report.write_pause_ms)) +
              "\" r=\"4\" fill=\"#dc2626\"/><text class=\"tick\" x=\"" +
              Num(fr.X(x) + 6) + "\" y=\"" +
              Num(fr.Y(fl.report.write_pause_ms) - 4) + "\">" + Esc(fl.what) +
              " " + Num(fl.report.write_pause_ms) + " ms</text>";
  }
  o += " data-series='" + Esc(SeriesJson({s})) + "' data-maxx=\"" +
       Num(fr.max_x, 3) + "\">" + Axes(fr, "Write pauses of the flips", "m:ss");
  if (!d.empty()) {
    o += "<path class=\"stem\" data-name=\"write pause (ms)\" d=\"" + d +
         "\" stroke=\"#dc2626\"/>";
  } else {
    o += "<text class=\"tick\" x=\"" + std::to_string(kW / 2) + "\" y=\"" +
         std::to_string(kH / 2) +
         "\" text-anchor=\"middle\">no flip in this run</text>";
  }
  o += labels;
  o += "<line class=\"cursor\" x1=\"0\" x2=\"0\" y1=\"" + std::to_string(kT) +
       "\" y2=\"" + std::to_string(kH - kB) + "\" visibility=\"hidden\"/>";
  return o + "</svg>";
}

// The analysis' item-size histogram: one path of bars.
std::string SvgHistogram(const TableAnalysis& a) {
  const int n = static_cast<int>(kSizeEdges.size());
  uint64_t max = 1;
  for (uint64_t v : a.size_histogram) max = std::max(max, v);
  const double bw = static_cast<double>(kW - kL - kR) / n;
  std::string d, ticks;
  auto y = [&](double v) {
    return kH - kB -
           (kH - kT - kB) *
               (v > 0 ? std::log10(1 + v) / std::log10(1 + max) : 0);
  };
  for (int i = 0; i < n; ++i) {
    double x0 = kL + bw * i + 2, x1 = kL + bw * (i + 1) - 2;
    double top = y(static_cast<double>(a.size_histogram[i]));
    d += "M" + Num(x0) + "," + Num(kH - kB) + " L" + Num(x0) + "," + Num(top) +
         " L" + Num(x1) + "," + Num(top) + " L" + Num(x1) + "," + Num(kH - kB) +
         " Z ";
    if (a.size_histogram[i] > 0) {
      ticks += "<text class=\"tick\" x=\"" + Num((x0 + x1) / 2) + "\" y=\"" +
               Num(top - 4) + "\" text-anchor=\"middle\">" +
               Int(a.size_histogram[i]) + "</text>";
    }
    if (i % 2 == 0) {
      ticks += "<text class=\"tick\" x=\"" + Num(x0) + "\" y=\"" +
               std::to_string(kH - kB + 16) + "\">" +
               Bytes(static_cast<double>(kSizeEdges[i])) + "</text>";
    }
  }
  return "<svg class=\"chart\" viewBox=\"0 0 " + std::to_string(kW) + " " +
         std::to_string(kH) +
         "\" role=\"img\" aria-label=\"item sizes\"><text class=\"title\" "
         "x=\"" +
         std::to_string(kL) +
         "\" y=\"18\">Item sizes (items per bucket, log scale)</text><path "
         "class=\"bars\" data-name=\"items\" d=\"" +
         d + "\"/>" + ticks + "</svg>";
}

std::string Row(std::initializer_list<std::string> cells, bool head = false) {
  std::string o = "<tr>";
  for (const std::string& c : cells) {
    o += head ? "<th>" + c + "</th>" : "<td>" + c + "</td>";
  }
  return o + "</tr>";
}

std::string ResultText(const RunTimeline::CommandEvent& c) {
  if (!c.result.ok()) return "error: " + Esc(c.result.status().message());
  const Reply& r = *c.result;
  std::string o;
  if (r.verify) {
    o += std::string(r.verify->ok() ? "verify OK" : "verify DIFFERENCES") +
         ": " + Int(r.verify->differences) + " differences, " +
         Int(r.verify->destination_items) + " items";
  }
  if (r.flip) {
    if (!o.empty()) o += "; ";
    o += Esc(r.flip->from_table) + " &rarr; " + Esc(r.flip->to_table) +
         ", write pause " + Num(r.flip->write_pause_ms) + " ms" +
         (r.forced ? " (forced)" : "");
  }
  if (c.command.kind == CommandKind::kPause ||
      c.command.kind == CommandKind::kResume) {
    o += r.paused ? "paused" : "resumed";
  }
  if (c.command.kind == CommandKind::kRate) {
    o += r.rate == 0 ? "unlimited" : Num(r.rate, 0) + " items/s";
  }
  return o.empty() ? "done" : o;
}

constexpr char kStyle[] = R"(
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;max-width:820px;color:#111827;padding:0 1em}
h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.15em;margin-top:2em;border-bottom:1px solid #e5e7eb}
table{border-collapse:collapse;width:100%;margin:.5em 0}td,th{text-align:left;padding:3px 8px;border-bottom:1px solid #f3f4f6;vertical-align:top}
th{color:#6b7280;font-weight:600}.num{text-align:right;font-variant-numeric:tabular-nums}
code{font-size:12px;word-break:break-all}.ok{color:#059669;font-weight:600}.bad{color:#dc2626;font-weight:600}
.muted{color:#6b7280}svg.chart{width:100%;height:auto;background:#fff;border:1px solid #e5e7eb;border-radius:6px;margin:.5em 0}
.chart .line{fill:none;stroke-width:1.8;stroke-linecap:round}.chart .stem{fill:none;stroke-width:3}.chart .bars{fill:#93c5fd;stroke:#2563eb}
.chart .grid{stroke:#f3f4f6}.chart .tick{font-size:11px;fill:#6b7280}.chart .title{font-size:13px;font-weight:600;fill:#111827}
.chart .legend{font-size:12px}.chart .cursor{stroke:#9ca3af;stroke-dasharray:3 3}
#tip{position:fixed;pointer-events:none;background:#111827;color:#fff;padding:4px 8px;border-radius:4px;font-size:12px;display:none;white-space:pre}
)";

// Shows the values nearest the pointer on a chart.
constexpr char kScript[] = R"(
(function () {
  var tip = document.getElementById('tip');
  document.querySelectorAll('svg.chart[data-series]').forEach(function (svg) {
    var series = JSON.parse(svg.getAttribute('data-series'));
    var maxx = parseFloat(svg.getAttribute('data-maxx')) || 1;
    var cursor = svg.querySelector('.cursor');
    svg.addEventListener('mousemove', function (ev) {
      var box = svg.getBoundingClientRect();
      var vx = (ev.clientX - box.left) * 760 / box.width;
      var x = (vx - 64) / (760 - 64 - 16) * maxx;
      var lines = ['t+' + x.toFixed(1) + ' s'];
      series.forEach(function (s) {
        var best = null;
        s.points.forEach(function (p) {
          if (best === null || Math.abs(p[0] - x) < Math.abs(best[0] - x)) best = p;
        });
        if (best !== null) lines.push(s.name + ': ' + best[1].toLocaleString());
      });
      if (cursor) {
        cursor.setAttribute('x1', vx); cursor.setAttribute('x2', vx);
        cursor.setAttribute('visibility', 'visible');
      }
      tip.textContent = lines.join('\n');
      tip.style.left = (ev.clientX + 12) + 'px';
      tip.style.top = (ev.clientY + 12) + 'px';
      tip.style.display = 'block';
    });
    svg.addEventListener('mouseleave', function () {
      tip.style.display = 'none';
      if (cursor) cursor.setAttribute('visibility', 'hidden');
    });
  });
  document.body.setAttribute('data-ready', 'true');
})();
)";

std::string AnalysisSection(const TableAnalysis& a) {
  std::string o = "<h2>Analysis of " + Esc(a.table) +
                  "</h2><p class=\"muted\">" + "measured " +
                  Clock(a.analyzed_micros) + " in " + Num(a.seconds) + " s (" +
                  std::to_string(a.segments) + " segments, " +
                  std::to_string(a.threads) + " threads)</p><table>";
  o += Row({"items", "<span class=\"num\">" + Int(a.items) + "</span>"});
  o += Row({"size (DynamoDB rules)", Bytes(static_cast<double>(a.bytes)) +
                                         " (" + Int(a.bytes) + " bytes)"});
  o += Row({"item size",
            "min " + Bytes(a.min_item_bytes) + ", mean " +
                Bytes(a.items ? static_cast<double>(a.bytes) / a.items : 0) +
                ", max " + Bytes(a.max_item_bytes)});
  o += Row({"near the 400 KB limit", Int(a.near_limit_items) + " items"});
  o += Row({"partition keys", "about " + Int(a.partitions) + ", skew " +
                                  Num(a.skew) +
                                  " (the hottest key's items over the mean)"});
  o +=
      Row({"capacity units", Int(a.read_units) + " to read (4 KB each), " +
                                 Int(a.write_units) + " to write (1 KB each)"});
  o += "</table>" + SvgHistogram(a);
  o += "<table>" + Row({"hottest partition keys", "items", "bytes"}, true);
  for (size_t i = 0; i < a.hot_by_items.size(); ++i) {
    uint64_t bytes = 0;
    for (const HotKey& b : a.hot_by_bytes) {
      if (b.key == a.hot_by_items[i].key) bytes = b.value;
    }
    o += Row({"<code>" + Esc(a.hot_by_items[i].key) + "</code>",
              Int(a.hot_by_items[i].value),
              bytes ? Bytes(static_cast<double>(bytes)) : "-"});
  }
  o += "</table><table>" + Row({"largest items", "size"}, true);
  for (const SizedKey& k : a.largest) {
    o += Row({"<code>" + Esc(k.key) + "</code>", Bytes(k.bytes)});
  }
  o += "</table><table>" + Row({"attribute", "present", "types"}, true);
  for (const AttributeStats& s : a.attributes) {
    o +=
        Row({Esc(s.name) + (s.key ? " <span class=\"muted\">(key)</span>" : ""),
             Num(a.items ? 100.0 * s.items / a.items : 0) + "%",
             Esc(s.TypesText()) +
                 (s.mixed() ? " <span class=\"bad\">mixed</span>" : "")});
  }
  o += "</table>";
  if (!a.findings.empty()) {
    o += "<table>" + Row({"data quality", "values", "example"}, true);
    for (const TextFinding& f : a.findings) {
      std::string ex;
      if (!f.examples.empty()) {
        ex = "<code>" + Esc(f.examples[0].first) + "</code> " +
             Esc(f.examples[0].second);
      }
      o += Row({Esc(f.attribute) + (f.key ? " (key)" : "") + ": " + Esc(f.kind),
                Int(f.count), ex});
    }
    o += "</table>";
  }
  return o;
}

}  // namespace

std::string RenderReportHtml(const RunTimeline& t, const RunFigures& f,
                             const std::optional<TableAnalysis>& analysis) {
  const int64_t t0 = t.first_t();
  std::string o =
      "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
      "<title>godwit run " +
      Esc(t.run_id) + " of " + Esc(t.table) + "</title><style>" + kStyle +
      "</style></head><body><div id=\"tip\"></div>";
  o += "<h1>Run " + Esc(t.run_id) + " of " + Esc(t.table) + "</h1>";
  o += "<p>" + Esc(t.source) + " &rarr; " + Esc(t.destination) +
       " &middot; started " + (t0 ? Clock(t0) : "-") + " &middot; " +
       Elapsed(f.seconds) + " recorded &middot; phase <b>" +
       Esc(RunPhaseName(f.phase)) + "</b></p>";
  o += "<table>" + Row({"migration", "SHA-256"}, true);
  for (const PlannedMigration& m : t.migrations) {
    char id[32];
    std::snprintf(id, sizeof(id), "%04d_", m.number);
    o += Row({id + Esc(m.name), "<code>" + Esc(m.sha256) + "</code>"});
  }
  o += "</table><h2>Figures</h2><table>";
  o += Row({"items", Int(f.scanned) + " read, " + Int(f.copied) + " copied, " +
                         Int(f.dropped) + " dropped, " + Int(f.dead_letters) +
                         " dead letters"});
  o += Row({"backfill", f.backfill_seconds > 0
                            ? Num(f.backfill_seconds) + " s, " +
                                  Int(static_cast<uint64_t>(f.backfill_rate)) +
                                  " items/s (peak " +
                                  Int(static_cast<uint64_t>(f.peak_rate)) + ")"
                            : "not finished in the recorded time"});
  o += Row({"replay", Int(f.replayed) + " records; lag at most " +
                          Int(f.max_lag) + ", last " + Int(f.final_lag)});
  o += Row({"write pauses",
            f.flips.empty()
                ? "no flip"
                : "longest " + Num(f.longest_write_pause_ms) + " ms over " +
                      std::to_string(f.flips.size()) + " flips"});
  o += Row({"pauses", std::to_string(f.pauses) + " (" + Num(f.paused_seconds) +
                          " s paused)"});
  o += Row({"processes", std::to_string(f.processes) + " opened the run; " +
                             std::to_string(f.failed_commands) +
                             " commands failed"});
  o += "</table>";
  for (const std::string& e : f.errors) {
    o += "<p class=\"bad\">the run stopped: " + Esc(e) + "</p>";
  }
  o += "<h2>Over time</h2>";
  std::vector<Series> tp = ThroughputSeries(t);
  for (Series& s : tp) s = Downsample(s, 1500);
  o += SvgLineChart("Throughput (per second)", "m:ss", tp);
  o += SvgLineChart("Replay lag (records)", "m:ss",
                    {Downsample(LagSeries(t), 1500)});
  o += SvgPauses(t, f);
  o += SvgLineChart("Dead letters (items that could not be migrated)", "m:ss",
                    {Downsample(DeadLetterSeries(t), 1500)});
  o += "<h2>Verify</h2>";
  if (f.verifies.empty()) {
    o += "<p class=\"muted\">no verify recorded</p>";
  } else {
    o += "<table>" +
         Row({"at", "result", "compared", "differences", "took"}, true);
    for (const auto& v : f.verifies) {
      o += Row({"t+" + Elapsed((v.t - t0) / 1e6),
                v.report.ok() ? "<span class=\"ok\">OK</span>"
                              : "<span class=\"bad\">DIFFERENCES</span>",
                Int(v.report.source_items) + " source, " +
                    Int(v.report.destination_items) + " destination",
                Int(v.report.differences) +
                    (v.report.unmapped
                         ? " (+" + Int(v.report.unmapped) + " unmapped)"
                         : ""),
                Num(v.report.seconds) + " s"});
    }
    o += "</table>";
  }
  if (analysis) o += AnalysisSection(*analysis);
  o += "<h2>Timeline</h2><table>" + Row({"at", "event", ""}, true);
  struct Ev {
    int64_t t;
    std::string what, detail;
  };
  std::vector<Ev> evs;
  for (const auto& m : t.marks) evs.push_back({m.t, m.what, Esc(m.detail)});
  for (const auto& p : t.phases) {
    evs.push_back({p.t, "phase",
                   std::string(RunPhaseName(p.from)) + " &rarr; " +
                       std::string(RunPhaseName(p.to))});
  }
  for (const auto& c : t.commands) {
    evs.push_back({c.t, Esc(CommandLine(c.command)), ResultText(c)});
  }
  std::stable_sort(evs.begin(), evs.end(),
                   [](const Ev& a, const Ev& b) { return a.t < b.t; });
  for (const Ev& e : evs) {
    o += Row({"t+" + Elapsed((e.t - t0) / 1e6), e.what, e.detail});
  }
  o += "</table><p class=\"muted\">godwit report &middot; " +
       std::to_string(t.samples.size()) + " samples";
  if (t.skipped_lines) {
    o += ", " + std::to_string(t.skipped_lines) + " lines skipped";
  }
  o += "</p><script>" + std::string(kScript) + "</script></body></html>\n";
  return o;
}

}  // namespace godwit::ops
