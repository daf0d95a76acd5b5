// How the CLI shows the controller's replies, in text and JSON: the one
// place that renders them, whichever transport brought them (the
// controller in this process, the `ctl/` control files of a running
// migrate, the admin API of `godwit serve`). JSON output is the
// controller's codec (godwit/controller.h), one object per line.
#ifndef GODWIT_CLI_RENDER_H_
#define GODWIT_CLI_RENDER_H_

#include <chrono>
#include <string>

#include "cli/cli.h"
#include "godwit/controller.h"
#include "godwit/migrate.h"
#include "ops/analyze.h"
#include "ops/timeline.h"

namespace godwit::cli {

// One line: phase, counts, rate, ETA, lag.
std::string ProgressLine(const MigrationProgress& p);
// "verify: OK at sequence N: ... 0 differences (...)" and the first
// differences with both sides.
std::string VerifyText(const VerifyReport& r);
// "cutover: A -> B, longest write pause 1.2 ms".
std::string FlipText(std::string_view what, const FlipReport& f, bool forced);
// "starting run R: A -> B (backfill)".
std::string RunInfoText(const RunInfo& i);

// The reply as shown to people (lines ending in '\n'), or with `json` the
// codec's JSON of the reply and a newline.
std::string RenderReply(const Reply& r, bool json);

// The exit code of a reply: kExitDifferences when its verify found
// differences, else kExitOk.
int ExitCodeOf(const Reply& r);

// Prints the outcome of a command: the reply on stdout, or its error (by
// the returned Outcome, on stderr); the exit code as ExitCodeOf, 1 for an
// error.
Outcome PrintReply(const Result<Reply>& r, bool json);

// `godwit analyze`'s report for people: sizes, histogram, largest items,
// hot partition keys, attributes, data-quality findings, capacity.
std::string AnalysisText(const ops::TableAnalysis& a);
// What a migration of the analysed table costs and takes at the budget.
std::string EstimateText(const ops::MigrationEstimate& e);

// The figures of a run at its end (what `godwit migrate` prints below its
// progress): items, backfill rate, lag, verify results, flips and their
// write pauses, pauses; lines ending in '\n'.
std::string RunFiguresText(const ops::RunFigures& f);

}  // namespace godwit::cli

#endif  // GODWIT_CLI_RENDER_H_
