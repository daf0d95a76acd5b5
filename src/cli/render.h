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

// Progress of a run on stderr: a line rewritten in place on a terminal, a
// line every 5 s otherwise, and with --json one JSON object per line each
// time (stdout keeps the results: verify and flip reports). Print may be
// called from an engine thread; calls must not overlap.
class ProgressPrinter {
 public:
  explicit ProgressPrinter(bool json);
  void Print(const MigrationProgress& p);
  // Ends a line rewritten in place, before other output.
  void Break();

 private:
  const bool tty_;
  const bool json_;
  bool dirty_ = false;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace godwit::cli

#endif  // GODWIT_CLI_RENDER_H_
