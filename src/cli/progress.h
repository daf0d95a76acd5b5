// The progress of a run as `godwit migrate` shows it on stderr:
//
//   - on a terminal, a status area of two lines at the bottom, redrawn in
//     place: the phase, a bar with the percent done, items/s, ETA, replay
//     lag, dead letters. Every other line of output is printed above it
//     and the status redrawn below: lines given to Print, and everything
//     any part of the process writes to stderr (the engine's warnings, Lua
//     logs), which the display captures through a pipe while it is open;
//   - when stderr is not a terminal, a plain progress line every 5 s;
//   - with --json, one JSON object per progress sample (the controller's
//     progress JSON).
//
// Close() draws the status a last time and leaves it on the screen, then
// gives stderr back.
//
// WARNING: on a terminal, stderr goes through the display's pipe until
// Close(); a process that dies abruptly can lose the last lines written to
// stderr before it died.
//
// Thread safety: Update may be called from an engine thread while the
// main thread calls Print; all methods are safe to call from any thread.
#ifndef GODWIT_CLI_PROGRESS_H_
#define GODWIT_CLI_PROGRESS_H_

#include <chrono>
#include <cstdio>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "godwit/migrate.h"

namespace godwit::cli {

class ProgressDisplay {
 public:
  enum class Mode { kTerminal, kLines, kJson };

  // kJson with `json`, else kTerminal when stderr is a terminal, else
  // kLines.
  explicit ProgressDisplay(bool json);
  ~ProgressDisplay();
  ProgressDisplay(const ProgressDisplay&) = delete;
  ProgressDisplay& operator=(const ProgressDisplay&) = delete;

  Mode mode() const { return mode_; }

  // A new progress sample.
  void Update(const MigrationProgress& p);
  // Writes `text` (whole lines) to `stream` (stdout or stderr) above the
  // status.
  void Print(FILE* stream, const std::string& text);
  // The last status stays on the screen; stderr is given back. Idempotent.
  void Close();

  // The status lines for `p`, `width` columns at most (the terminal's
  // width; lines are cut, never wrapped). `replay_rate`: journal records
  // applied per second lately.
  static std::vector<std::string> StatusLines(const MigrationProgress& p,
                                              double replay_rate, size_t width);

 private:
  void CaptureStderr();
  void ReadCaptured();
  void ClearLocked();
  void DrawLocked();
  void WriteTerm(const std::string& s);  // REQUIRES: mu_ held
  size_t Width() const;

  const Mode mode_;
  std::mutex mu_;
  int term_fd_ = -1;  // the terminal (stderr before capture)
  int pipe_fd_ = -1;  // read end of the capture pipe
  std::thread reader_;
  bool closed_ = false;  // GUARDED_BY(mu_)
  size_t drawn_ = 0;     // status lines on screen   GUARDED_BY(mu_)
  std::optional<MigrationProgress> last_;            // GUARDED_BY(mu_)
  double replay_rate_ = 0;                           // GUARDED_BY(mu_)
  std::chrono::steady_clock::time_point last_at_{};  // GUARDED_BY(mu_)
  std::chrono::steady_clock::time_point line_at_{};  // GUARDED_BY(mu_)
};

}  // namespace godwit::cli

#endif  // GODWIT_CLI_PROGRESS_H_
