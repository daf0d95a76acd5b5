// `godwit migrate` on a terminal: the real binary runs under a pseudo
// terminal (forkpty), its bytes are replayed through a small terminal
// model (printing with autowrap, CR, LF, cursor up/down, erase line and
// screen), and the final screen must show the last progress bar once, the
// summary below it, and every other line (a dead-letter warning, "backfill
// done", "caught up", "stopped") whole, above it: the status redrawn in
// place never overwrites them.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "cli/cli_test_util.h"

namespace godwit {
namespace {

using test::Project;

// What a VT100-like terminal of `width` columns shows after some output.
class Screen {
 public:
  explicit Screen(int width) : width_(width) { rows_.emplace_back(); }

  void Feed(const std::string& bytes) {
    for (char ch : bytes) Byte(static_cast<unsigned char>(ch));
  }

  std::vector<std::string> Rows() const {
    std::vector<std::string> out;
    for (const auto& r : rows_) {
      std::string s;
      for (const std::string& cell : r) s += cell.empty() ? " " : cell;
      while (!s.empty() && s.back() == ' ') s.pop_back();
      out.push_back(s);
    }
    while (!out.empty() && out.back().empty()) out.pop_back();
    return out;
  }
  std::string Text() const {
    std::string t;
    for (const std::string& r : Rows()) t += r + "\n";
    return t;
  }

 private:
  void Row(int r) {
    while (static_cast<int>(rows_.size()) <= r) rows_.emplace_back();
  }
  void Put(const std::string& glyph) {
    if (col_ >= width_) {  // autowrap
      col_ = 0;
      ++row_;
    }
    Row(row_);
    auto& r = rows_[row_];
    if (static_cast<int>(r.size()) <= col_) r.resize(col_ + 1);
    r[col_] = glyph;
    ++col_;
  }
  void Csi(char final) {
    int n = params_.empty() ? 0 : std::atoi(params_.c_str());
    switch (final) {
      case 'A':
        row_ = std::max(0, row_ - std::max(1, n));
        break;
      case 'B':
        row_ += std::max(1, n);
        Row(row_);
        break;
      case 'G':
        col_ = std::max(0, n - 1);
        break;
      case 'K':  // erase to the end of the line (n = 0)
        Row(row_);
        if (static_cast<int>(rows_[row_].size()) > col_) {
          rows_[row_].resize(col_);
        }
        break;
      case 'J':  // erase to the end of the screen (n = 0)
        Row(row_);
        if (static_cast<int>(rows_[row_].size()) > col_) {
          rows_[row_].resize(col_);
        }
        rows_.resize(row_ + 1);
        break;
      default:  // m, h, l: attributes and modes, nothing on screen
        break;
    }
  }
  void Byte(unsigned char c) {
    if (state_ == 1) {  // after ESC
      state_ = c == '[' ? 2 : 0;
      params_.clear();
      return;
    }
    if (state_ == 2) {
      if ((c >= '0' && c <= '9') || c == ';' || c == '?') {
        params_ += static_cast<char>(c);
        return;
      }
      state_ = 0;
      Csi(static_cast<char>(c));
      return;
    }
    if (c == 0x1b) {
      state_ = 1;
    } else if (c == '\r') {
      col_ = 0;
    } else if (c == '\n') {
      ++row_;
      Row(row_);
    } else if (c == '\b') {
      col_ = std::max(0, col_ - 1);
    } else if (c >= 0x80 && c < 0xc0 && !utf8_.empty()) {
      utf8_ += static_cast<char>(c);
      if (--utf8_left_ == 0) {
        Put(utf8_);
        utf8_.clear();
      }
    } else if (c >= 0xc0) {
      utf8_ = std::string(1, static_cast<char>(c));
      utf8_left_ = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : 1;
    } else if (c >= 0x20) {
      Put(std::string(1, static_cast<char>(c)));
    }
  }

  const int width_;
  std::vector<std::vector<std::string>> rows_;
  int row_ = 0, col_ = 0;
  int state_ = 0;
  std::string params_, utf8_;
  int utf8_left_ = 0;
};

TEST(ScreenTest, ModelsTheMovesTheDisplayUses) {
  Screen s(10);
  s.Feed("hello\r\nstatus\r\nline2");
  s.Feed("\r\033[1A\033[J");  // clear the two status lines
  s.Feed("warn\r\nnew\r\nst2");
  EXPECT_EQ(s.Text(), "hello\nwarn\nnew\nst2\n");
  Screen w(4);
  w.Feed("abcdef");
  EXPECT_EQ(w.Text(), "abcd\nef\n");
}

// Fails on some items (n % 50 == 7), so that they go to the dead-letter
// file and migrate warns about them.
constexpr char kFailSome[] = R"(return {
  description = 'rename, failing on some items',
  up = function(item, ctx)
    if item.n % 50 == 7 then error('bad item ' .. item.pk) end
    item.modern, item.legacy = item.legacy, nil
    return item
  end,
  down = function(item, ctx)
    item.legacy, item.modern = item.modern, nil
    return item
  end,
}
)";

TEST(ProgressPtyTest, BarRedrawsInPlaceBelowWholeLinesAndEndsWithSummary) {
  test::TempDir root;
  Project p(root, "p");
  constexpr int kItems = 3000;
  ASSERT_NO_FATAL_FAILURE(p.Seed(kItems));
  p.WriteMigration("0002_rename_legacy.lua", kFailSome);

  constexpr int kWidth = 100;
  struct winsize ws {};
  ws.ws_col = kWidth;
  ws.ws_row = 40;
  int master = -1;
  std::string bin = GODWIT_BINARY, config = p.Join("godwit.toml");
  pid_t pid = forkpty(&master, nullptr, nullptr, &ws);
  ASSERT_GE(pid, 0) << "forkpty failed";
  if (pid == 0) {
    if (chdir(p.dir().c_str()) != 0) _exit(126);
    execl(bin.c_str(), bin.c_str(), "--config", config.c_str(), "migrate",
          "Events", "--max-errors", "1000", "--rate", "1500", "--segments", "4",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  Screen screen(kWidth);
  std::string raw;
  bool interrupted = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(4);
  char buf[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    struct pollfd pfd {
      master, POLLIN, 0
    };
    int r = poll(&pfd, 1, 200);
    if (r > 0) {
      ssize_t n = read(master, buf, sizeof(buf));
      if (n <= 0) break;  // EIO: the child has gone
      raw.append(buf, static_cast<size_t>(n));
      screen.Feed(std::string(buf, static_cast<size_t>(n)));
    }
    if (!interrupted && screen.Text().find("caught up") != std::string::npos) {
      kill(pid, SIGINT);  // Ctrl-C: a clean stop
      interrupted = true;
    }
  }
  // The terminal closes before the process has quite ended.
  int status = 0;
  bool ended = false;
  for (int i = 0; i < 600 && !ended; ++i) {
    ended = waitpid(pid, &status, WNOHANG) == pid;
    if (!ended) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!ended) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    FAIL() << "migrate did not end\n" << screen.Text();
  }
  close(master);
  ASSERT_TRUE(interrupted) << screen.Text();
  ASSERT_TRUE(WIFEXITED(status)) << screen.Text();
  EXPECT_EQ(WEXITSTATUS(status), 0) << screen.Text();

  const std::string text = screen.Text();
  std::vector<std::string> rows = screen.Rows();
  // The status was redrawn in place (many draws, one bar left).
  size_t draws = 0;
  for (size_t at = raw.find("\033[J"); at != std::string::npos;
       at = raw.find("\033[J", at + 1)) {
    ++draws;
  }
  EXPECT_GE(draws, 2u) << "the status was never redrawn\n" << text;
  int bars = 0, bar_row = -1;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].find(" [=") != std::string::npos ||
        rows[i].find(" [>") != std::string::npos) {
      ++bars;
      bar_row = static_cast<int>(i);
    }
  }
  EXPECT_EQ(bars, 1) << text;
  ASSERT_GE(bar_row, 0) << text;
  EXPECT_NE(rows[bar_row].find("%"), std::string::npos) << text;
  EXPECT_NE(rows[bar_row + 1].find("lag "), std::string::npos) << text;
  EXPECT_NE(rows[bar_row + 1].find("dead letters 60"), std::string::npos)
      << text;
  // The summary is below the bar.
  int summary_row = -1;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i] == "summary") summary_row = static_cast<int>(i);
  }
  ASSERT_GT(summary_row, bar_row) << text;
  EXPECT_NE(text.find("60 dead letters"), std::string::npos) << text;
  EXPECT_NE(text.find("copied"), std::string::npos) << text;
  // The warning is whole, above the bar: the dead letters' count and file
  // are on the screen as printed (a long line wraps, it is not cut).
  std::string joined;
  int warning_row = -1;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].rfind("warning: ", 0) == 0 && warning_row < 0) {
      warning_row = static_cast<int>(i);
    }
    if (warning_row >= 0 && static_cast<int>(i) >= warning_row) {
      joined += rows[i];
      if (rows[i].size() < static_cast<size_t>(kWidth)) break;
    }
  }
  ASSERT_GE(warning_row, 0) << text;
  EXPECT_LT(warning_row, bar_row);
  EXPECT_NE(joined.find("could not be migrated and went to the dead-letter "
                        "file " +
                        p.RunDir() + "/dead-letter.jsonl (--max-errors 1000)"),
            std::string::npos)
      << joined << "\n---\n"
      << text;
  for (const char* line : {"backfill done: ", "caught up: Events.v2 is in step",
                           "stopped; resume with `godwit migrate Events "
                           "--resume`"}) {
    bool found = false;
    for (int i = 0; i < bar_row; ++i) found |= rows[i].rfind(line, 0) == 0;
    EXPECT_TRUE(found) << line << "\n" << text;
  }
}

}  // namespace
}  // namespace godwit
