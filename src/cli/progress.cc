// See progress.h. Terminal output is plain ANSI: "\r", cursor up
// ("ESC[nA"), erase to the end of the screen ("ESC[J"), cursor hide/show
// ("ESC[?25l" / "ESC[?25h"). The cursor rests at the end of the last
// status line, so that clearing the status is: column 0, up, erase.
#include "cli/progress.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>

#include "cli/render.h"
#include "cli/session.h"
#include "godwit/controller.h"

namespace godwit::cli {
namespace {

constexpr size_t kBarWidth = 30;

std::string Bar(double fraction) {
  fraction = std::clamp(fraction, 0.0, 1.0);
  size_t full = static_cast<size_t>(fraction * kBarWidth);
  std::string bar = "[" + std::string(full, '=');
  if (full < kBarWidth) bar += ">" + std::string(kBarWidth - full - 1, ' ');
  return bar + "]";
}

std::string Percent(double fraction) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%5.1f%%",
                100 * std::clamp(fraction, 0.0, 1.0));
  return buf;
}

void WriteAll(int fd, const std::string& s) {
  const char* p = s.data();
  size_t left = s.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    p += n;
    left -= static_cast<size_t>(n);
  }
}

}  // namespace

std::vector<std::string> ProgressDisplay::StatusLines(
    const MigrationProgress& p, double replay_rate, size_t width) {
  std::string phase(RunPhaseName(p.phase));
  phase.resize(std::max<size_t>(phase.size(), 11), ' ');
  std::string one = phase, two(11, ' ');
  if (p.phase == RunPhase::kBackfill) {
    double fraction =
        p.estimated_total > 0
            ? static_cast<double>(p.scanned) / p.estimated_total
            : (p.segments_total > 0
                   ? static_cast<double>(p.segments_done) / p.segments_total
                   : 0);
    one +=
        Bar(fraction) + " " + Percent(fraction) + "  " + Thousands(p.scanned);
    if (p.estimated_total > 0) one += "/" + Thousands(p.estimated_total);
    one += " items  " + Thousands(static_cast<uint64_t>(p.items_per_second)) +
           " items/s";
    if (p.items_per_second > 0 && p.estimated_total > p.scanned) {
      one += "  ETA " +
             Duration((p.estimated_total - p.scanned) / p.items_per_second);
    }
  } else {
    // Backfill is done: the bar shows how much of the journal is applied.
    double total = static_cast<double>(p.replayed + p.replay_lag);
    double fraction = total > 0 ? p.replayed / total : 1;
    one += Bar(fraction) + " " + Percent(fraction) + "  copied " +
           Thousands(p.written) + "  replayed " + Thousands(p.replayed) + "  " +
           Thousands(static_cast<uint64_t>(replay_rate)) + " records/s";
    if (p.replay_lag > 0 && replay_rate > 0) {
      one += "  ETA " + Duration(p.replay_lag / replay_rate);
    }
  }
  two += "lag " + Thousands(p.replay_lag) + "  dead letters " +
         Thousands(p.errors);
  if (p.dropped > 0) two += "  dropped " + Thousands(p.dropped);
  two += "  segments " + std::to_string(p.segments_done) + "/" +
         std::to_string(p.segments_total) + "  elapsed " +
         Duration(p.elapsed_seconds);
  std::vector<std::string> lines = {one, two};
  const size_t cut = width > 1 ? width - 1 : 79;
  for (std::string& l : lines) {
    if (l.size() > cut) l.resize(cut);
  }
  return lines;
}

ProgressDisplay::ProgressDisplay(bool json)
    : mode_(json ? Mode::kJson
                 : (::isatty(2) ? Mode::kTerminal : Mode::kLines)) {
  if (mode_ == Mode::kTerminal) CaptureStderr();
}

ProgressDisplay::~ProgressDisplay() { Close(); }

void ProgressDisplay::CaptureStderr() {
  std::fflush(stderr);
  term_fd_ = ::fcntl(2, F_DUPFD_CLOEXEC, 3);
  int p[2];
  if (term_fd_ < 0 || ::pipe2(p, O_CLOEXEC) != 0) {
    if (term_fd_ < 0) term_fd_ = 2;
    return;  // no capture: lines written by others may cross the status
  }
  ::dup2(p[1], 2);  // fd 2 (not close-on-exec) writes into the pipe
  ::close(p[1]);
  pipe_fd_ = p[0];
  WriteAll(term_fd_, "\033[?25l");  // hide the cursor while drawing
  reader_ = std::thread([this] { ReadCaptured(); });
}

void ProgressDisplay::ReadCaptured() {
  std::string pending;
  char buf[4096];
  while (true) {
    ssize_t n = ::read(pipe_fd_, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pending.append(buf, static_cast<size_t>(n));
    size_t nl = pending.rfind('\n');
    if (nl == std::string::npos) continue;
    std::string lines = pending.substr(0, nl + 1);
    pending.erase(0, nl + 1);
    std::lock_guard lock(mu_);
    ClearLocked();
    WriteTerm(lines);
    DrawLocked();
  }
  if (!pending.empty()) {
    std::lock_guard lock(mu_);
    ClearLocked();
    WriteTerm(pending + "\n");
    DrawLocked();
  }
}

size_t ProgressDisplay::Width() const {
  struct winsize ws {};
  if (term_fd_ >= 0 && ::ioctl(term_fd_, TIOCGWINSZ, &ws) == 0 &&
      ws.ws_col > 0) {
    return ws.ws_col;
  }
  return 80;
}

void ProgressDisplay::WriteTerm(const std::string& s) {
  WriteAll(term_fd_ >= 0 ? term_fd_ : 2, s);
}

void ProgressDisplay::ClearLocked() {
  if (drawn_ == 0) return;
  std::string s = "\r";
  if (drawn_ > 1) s += "\033[" + std::to_string(drawn_ - 1) + "A";
  s += "\033[J";
  WriteTerm(s);
  drawn_ = 0;
}

void ProgressDisplay::DrawLocked() {
  if (!last_ || closed_) return;
  std::vector<std::string> lines = StatusLines(*last_, replay_rate_, Width());
  std::string s;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i) s += "\n";
    s += lines[i];
  }
  WriteTerm(s);
  drawn_ = lines.size();
}

void ProgressDisplay::Update(const MigrationProgress& p) {
  if (mode_ == Mode::kJson) {
    std::string line = ProgressToJson(p) + "\n";
    std::lock_guard lock(mu_);
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
    return;
  }
  auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mu_);
  if (closed_) return;
  if (mode_ == Mode::kLines) {
    if (line_at_ == std::chrono::steady_clock::time_point{} ||
        now - line_at_ >= std::chrono::seconds(5)) {
      line_at_ = now;
      std::fprintf(stderr, "%s\n", ProgressLine(p).c_str());
      std::fflush(stderr);
    }
    last_ = p;
    return;
  }
  if (last_ && last_at_ != std::chrono::steady_clock::time_point{}) {
    double dt = std::chrono::duration<double>(now - last_at_).count();
    if (dt > 0.2 && p.replayed >= last_->replayed) {
      double rate = (p.replayed - last_->replayed) / dt;
      replay_rate_ = replay_rate_ == 0 ? rate : 0.5 * replay_rate_ + 0.5 * rate;
    }
  }
  last_at_ = now;
  last_ = p;
  ClearLocked();
  DrawLocked();
}

void ProgressDisplay::Print(FILE* stream, const std::string& text) {
  if (mode_ != Mode::kTerminal || pipe_fd_ < 0) {
    std::lock_guard lock(mu_);
    std::fwrite(text.data(), 1, text.size(), stream);
    std::fflush(stream);
    return;
  }
  std::lock_guard lock(mu_);
  ClearLocked();
  if (stream == stderr) {
    WriteTerm(text);
  } else {
    std::fwrite(text.data(), 1, text.size(), stream);
    std::fflush(stream);
  }
  DrawLocked();
}

void ProgressDisplay::Close() {
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
  }
  if (mode_ == Mode::kTerminal && pipe_fd_ >= 0) {
    std::fflush(stderr);
    ::dup2(term_fd_, 2);  // closes the pipe's last write end
    if (reader_.joinable()) reader_.join();
    ::close(pipe_fd_);
    pipe_fd_ = -1;
  }
  std::lock_guard lock(mu_);
  if (mode_ == Mode::kTerminal) {
    ClearLocked();
    DrawLocked();
    std::string end = drawn_ > 0 ? "\n" : "";
    WriteTerm(end + "\033[?25h");
    drawn_ = 0;
  }
  closed_ = true;
  if (term_fd_ > 2) ::close(term_fd_);
  term_fd_ = -1;
}

}  // namespace godwit::cli
