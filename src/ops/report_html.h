// godwit report: one self-contained HTML file about a run (no network: the
// CSS, the script and the plots are inline; the plots are SVG drawn here,
// so they show even with scripts off). It holds:
//   - the run: table, source -> destination, migrations and their SHA-256;
//   - its figures (RunFigures) and the analyze figures when saved;
//   - plots over time: throughput (items copied and records replayed per
//     second), replay lag, write pauses of the flips, dead letters;
//   - the verify results, and the timeline of events.
#ifndef GODWIT_OPS_REPORT_HTML_H_
#define GODWIT_OPS_REPORT_HTML_H_

#include <optional>
#include <string>
#include <vector>

#include "ops/analyze.h"
#include "ops/timeline.h"

namespace godwit::ops {

// A series of points (seconds since the run's first event, value).
struct Series {
  std::string name;
  std::vector<std::pair<double, double>> points;
};

// The rate series of a timeline: items copied per second and records
// replayed per second between samples (counters that restart in a new
// process are not differenced across the restart).
std::vector<Series> ThroughputSeries(const RunTimeline& t);
Series LagSeries(const RunTimeline& t);
Series DeadLetterSeries(const RunTimeline& t);

// At most `max_points` points: the range is cut into buckets and each
// keeps its minimum and maximum, so that peaks survive.
Series Downsample(const Series& s, size_t max_points);

// An SVG line chart (inline in the report): one <path> per series, with a
// "M x y L x y ..." path of its points.
std::string SvgLineChart(const std::string& title, const std::string& unit,
                         const std::vector<Series>& series);

std::string RenderReportHtml(const RunTimeline& t, const RunFigures& f,
                             const std::optional<TableAnalysis>& analysis);

}  // namespace godwit::ops

#endif  // GODWIT_OPS_REPORT_HTML_H_
