// Commands as text (see godwit/controller.h). The grammar of a line:
//
//   line     := blank* verb (blank+ argument)* blank*
//   verb     := "pause" | "resume" | "progress" | "verify" | "finish"
//             | "abandon" | "unpostpone" | "rate" | "cutover" | "rollback"
//   argument := for rate:      number | "unlimited"   (exactly one)
//               for cutover:   "--force" | "--verify-first"  (at most one)
//               for rollback:  "--force"
//   number   := a decimal floating-point literal ("500", "1.5", "2e3")
//               from 0.001 to 1e9
#include <charconv>
#include <cmath>
#include <sstream>

#include "godwit/controller.h"

namespace godwit {
namespace {

constexpr double kMaxRate = 1e9;
constexpr double kMinRate = 0.001;

constexpr struct {
  CommandKind kind;
  std::string_view name;
} kNames[] = {
    {CommandKind::kPause, "pause"},
    {CommandKind::kResume, "resume"},
    {CommandKind::kRate, "rate"},
    {CommandKind::kProgress, "progress"},
    {CommandKind::kVerify, "verify"},
    {CommandKind::kCutover, "cutover"},
    {CommandKind::kRollback, "rollback"},
    {CommandKind::kFinish, "finish"},
    {CommandKind::kAbandon, "abandon"},
    {CommandKind::kUnpostpone, "unpostpone"},
};

constexpr std::string_view kUsage =
    "pause, resume, rate N (items/s) | rate unlimited, progress, verify, "
    "cutover [--force], rollback [--force], finish, abandon, unpostpone";

Status Usage(std::string what) {
  return Status::InvalidArgument(std::move(what) +
                                 " (commands: " + std::string(kUsage) + ")");
}

// A positive items/s value, or "unlimited" (0).
Result<double> ParseRate(std::string_view word) {
  if (word == "unlimited") return 0.0;
  double v = 0;
  const char* end = word.data() + word.size();
  auto [ptr, ec] = std::from_chars(word.data(), end, v);
  if (word.empty() || ec != std::errc() || ptr != end || !std::isfinite(v)) {
    return Status::InvalidArgument(
        "rate needs a positive number of items per second, or \"unlimited\"; "
        "\"" +
        std::string(word) + "\" is not a number");
  }
  if (v <= 0) {
    return Status::InvalidArgument(
        "rate needs a positive number of items per second, or \"unlimited\" "
        "to remove the limit; got " +
        std::string(word));
  }
  if (v < kMinRate) {
    return Status::InvalidArgument("rate " + std::string(word) +
                                   " is less than 0.001 items per second");
  }
  if (v > kMaxRate) {
    return Status::InvalidArgument("rate " + std::string(word) +
                                   " is more than 1e9 items per second; give "
                                   "\"unlimited\" for no limit");
  }
  return v;
}

}  // namespace

std::string_view CommandName(CommandKind kind) {
  for (const auto& n : kNames) {
    if (n.kind == kind) return n.name;
  }
  return "unknown";
}

std::optional<CommandKind> CommandKindFromName(std::string_view name) {
  for (const auto& n : kNames) {
    if (n.name == name) return n.kind;
  }
  return std::nullopt;
}

std::string FormatRate(double items_per_second) {
  if (items_per_second == 0) return "unlimited";
  char buf[64];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), items_per_second,
                                 std::chars_format::fixed);
  if (ec != std::errc()) return "?";
  return std::string(buf, ptr) + " items/s";
}

Status ValidateCommand(const Command& c) {
  if (!CommandKindFromName(CommandName(c.kind))) {
    return Usage("unknown command number " +
                 std::to_string(static_cast<int>(c.kind)));
  }
  std::string name(CommandName(c.kind));
  if (c.kind == CommandKind::kRate) {
    if (!std::isfinite(c.rate) || c.rate < 0 || c.rate > kMaxRate ||
        (c.rate != 0 && c.rate < kMinRate)) {
      return Status::InvalidArgument(
          "rate needs a number of items per second from 0.001 to 1e9, or "
          "unlimited");
    }
  } else if (c.rate != 0) {
    return Usage(name + " takes no rate");
  }
  if (c.force && c.kind != CommandKind::kCutover &&
      c.kind != CommandKind::kRollback) {
    return Usage(name + " takes no --force (only cutover and rollback do)");
  }
  if (c.verify_first && c.kind != CommandKind::kCutover) {
    return Usage(name + " takes no --verify-first (only cutover does)");
  }
  if (c.verify_first && c.force) {
    return Usage(
        "cutover takes --force or --verify-first, not both: --force skips "
        "the verify that --verify-first runs");
  }
  return Status::OK();
}

Result<Command> ParseCommandWords(const std::vector<std::string>& words) {
  if (words.empty()) return Usage("no command given");
  std::optional<CommandKind> kind = CommandKindFromName(words[0]);
  if (!kind) return Usage("unknown command \"" + words[0] + "\"");
  Command c;
  c.kind = *kind;
  size_t next = 1;
  if (c.kind == CommandKind::kRate) {
    if (words.size() < 2) {
      return Status::InvalidArgument(
          "rate needs a number of items per second, e.g. `rate 500`, or "
          "`rate unlimited`");
    }
    ASSIGN_OR_RETURN(c.rate, ParseRate(words[1]));
    next = 2;
  }
  for (; next < words.size(); ++next) {
    const std::string& w = words[next];
    if (w == "--force" && !c.force) {
      c.force = true;
    } else if (w == "--verify-first" && !c.verify_first) {
      c.verify_first = true;
    } else {
      return Usage("unexpected \"" + w + "\" after " + words[0]);
    }
  }
  RETURN_IF_ERROR(ValidateCommand(c));
  return c;
}

Result<Command> ParseCommand(std::string_view line) {
  std::vector<std::string> words;
  std::istringstream in{std::string(line)};
  for (std::string w; in >> w;) words.push_back(std::move(w));
  return ParseCommandWords(words);
}

std::string CommandLine(const Command& c) {
  std::string out(CommandName(c.kind));
  if (c.kind == CommandKind::kRate) {
    if (c.rate == 0) {
      out += " unlimited";
    } else {
      std::string r = FormatRate(c.rate);
      out += " " + r.substr(0, r.find(' '));
    }
  }
  if (c.force) out += " --force";
  if (c.verify_first) out += " --verify-first";
  return out;
}

}  // namespace godwit
