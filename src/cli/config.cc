// Reader of godwit.toml (the grammar is in config.h).
#include "cli/config.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <variant>

namespace godwit::cli {
namespace {

using Value = std::variant<std::string, int64_t, bool>;

struct Parser {
  std::string file;
  int line_no = 0;

  Status Error(const std::string& msg) const {
    return Status::InvalidArgument(file + ":" + std::to_string(line_no) + ": " +
                                   msg);
  }
};

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '-';
}

void SkipWs(std::string_view* s) {
  while (!s->empty() && (s->front() == ' ' || s->front() == '\t')) {
    s->remove_prefix(1);
  }
}

// The rest of a line after a value: whitespace and an optional comment.
Status ExpectEnd(const Parser& p, std::string_view rest) {
  SkipWs(&rest);
  if (!rest.empty() && rest.front() != '#') {
    return p.Error("unexpected text after the value: \"" + std::string(rest) +
                   "\"");
  }
  return Status::OK();
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

Result<Value> ParseValue(const Parser& p, std::string_view s) {
  if (s.empty()) return p.Error("missing value");
  if (s.front() == '"') {
    std::string out;
    size_t i = 1;
    for (; i < s.size() && s[i] != '"'; ++i) {
      char c = s[i];
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (++i >= s.size()) break;
      switch (s[i]) {
        case '"':
          out.push_back('"');
          break;
        case '\\':
          out.push_back('\\');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 'u': {
          if (i + 4 >= s.size()) return p.Error("bad \\u escape");
          uint32_t cp = 0;
          for (size_t j = i + 1; j <= i + 4; ++j) {
            char h = s[j];
            int d = (h >= '0' && h <= '9')   ? h - '0'
                    : (h >= 'a' && h <= 'f') ? h - 'a' + 10
                    : (h >= 'A' && h <= 'F') ? h - 'A' + 10
                                             : -1;
            if (d < 0) return p.Error("bad \\u escape");
            cp = cp * 16 + static_cast<uint32_t>(d);
          }
          if (cp >= 0xD800 && cp <= 0xDFFF) return p.Error("bad \\u escape");
          AppendUtf8(cp, &out);
          i += 4;
          break;
        }
        default:
          return p.Error(std::string("unknown escape \\") + s[i]);
      }
    }
    if (i >= s.size()) return p.Error("unterminated string");
    RETURN_IF_ERROR(ExpectEnd(p, s.substr(i + 1)));
    return Value(std::move(out));
  }
  if (s.front() == '\'') {
    size_t end = s.find('\'', 1);
    if (end == std::string_view::npos) return p.Error("unterminated string");
    RETURN_IF_ERROR(ExpectEnd(p, s.substr(end + 1)));
    return Value(std::string(s.substr(1, end - 1)));
  }
  size_t n = 0;
  while (n < s.size() && s[n] != ' ' && s[n] != '\t' && s[n] != '#') ++n;
  std::string_view tok = s.substr(0, n);
  RETURN_IF_ERROR(ExpectEnd(p, s.substr(n)));
  if (tok == "true") return Value(true);
  if (tok == "false") return Value(false);
  std::string_view digits = tok;
  bool negative = false;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  if (digits.empty() || digits.front() == '_' || digits.back() == '_') {
    return p.Error("unsupported value \"" + std::string(tok) +
                   "\" (use a \"string\", an integer, true or false)");
  }
  int64_t v = 0;
  char prev = 0;
  for (char c : digits) {
    if (c == '_' && prev != '_') {
      prev = c;
      continue;
    }
    if (c < '0' || c > '9') {
      return p.Error("unsupported value \"" + std::string(tok) +
                     "\" (use a \"string\", an integer, true or false)");
    }
    if (v > (INT64_MAX - (c - '0')) / 10) return p.Error("integer too large");
    v = v * 10 + (c - '0');
    prev = c;
  }
  return Value(negative ? -v : v);
}

std::string Resolve(const std::string& config_path, const std::string& value) {
  std::filesystem::path v(value);
  if (v.is_absolute()) return value;
  std::filesystem::path dir = std::filesystem::path(config_path).parent_path();
  if (dir.empty()) return value;
  return (dir / v).lexically_normal().string();
}

// `p` made absolute against the current directory now, so that it means
// the same whatever a process does later. "" stays "".
std::string Absolute(const std::string& p) {
  if (p.empty()) return p;
  std::error_code ec;
  std::filesystem::path a = std::filesystem::absolute(p, ec);
  if (ec) return p;
  std::string s = a.lexically_normal().string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

// Steps 1-4 of the state directory's resolution (config.h); "" for 5.
std::string StateDir(const GlobalOptions& options, const Config& cfg,
                     const StoreTarget& t) {
  if (!options.state_dir.empty()) return Absolute(options.state_dir);
  if (!cfg.state_dir.empty()) return cfg.state_dir;
  if (!t.remote) return Absolute(t.path + "/godwit-runs");
  if (cfg.store_kind == "dynamodb" && !cfg.store_path.empty()) {
    return Absolute(cfg.store_path + "/godwit-runs");
  }
  if (!cfg.source.empty()) {
    return Absolute(Resolve(cfg.source, ".godwit/runs"));
  }
  return "";
}

}  // namespace

Result<Config> LoadConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      return Status::NotFound("no settings file " + path);
    }
    return Status::IOError("cannot read " + path + ": " + std::strerror(errno));
  }
  Parser p{path};
  Config cfg;
  cfg.source = path;
  std::string section;
  std::set<std::string> seen;
  std::string line;
  while (std::getline(in, line)) {
    ++p.line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::string_view s = line;
    SkipWs(&s);
    if (s.empty() || s.front() == '#') continue;
    if (s.front() == '[') {
      size_t end = s.find(']');
      if (end == std::string_view::npos) return p.Error("unterminated section");
      std::string_view name = s.substr(1, end - 1);
      SkipWs(&name);
      while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) {
        name.remove_suffix(1);
      }
      RETURN_IF_ERROR(ExpectEnd(p, s.substr(end + 1)));
      if (name != "store" && name != "migrations" && name != "state") {
        return p.Error("unknown section [" + std::string(name) +
                       "] (known: [store], [migrations], [state])");
      }
      section = std::string(name);
      continue;
    }
    size_t n = 0;
    while (n < s.size() && IsNameChar(s[n])) ++n;
    if (n == 0) return p.Error("expected a [section] or name = value");
    std::string key(s.substr(0, n));
    std::string_view rest = s.substr(n);
    SkipWs(&rest);
    if (rest.empty() || rest.front() != '=') {
      return p.Error("expected '=' after \"" + key + "\"");
    }
    rest.remove_prefix(1);
    SkipWs(&rest);
    ASSIGN_OR_RETURN(Value v, ParseValue(p, rest));
    std::string full = section.empty() ? key : section + "." + key;
    if (!seen.insert(full).second) return p.Error("duplicate setting " + full);
    auto want_string = [&]() -> Result<std::string> {
      if (auto* str = std::get_if<std::string>(&v)) return *str;
      return p.Error(full + " must be a string");
    };
    if (full == "store.kind") {
      ASSIGN_OR_RETURN(cfg.store_kind, want_string());
      if (cfg.store_kind != "local" && cfg.store_kind != "dynamodb") {
        return p.Error("store.kind must be \"local\" or \"dynamodb\", not \"" +
                       cfg.store_kind + "\"");
      }
    } else if (full == "store.endpoint") {
      ASSIGN_OR_RETURN(cfg.store_endpoint, want_string());
    } else if (full == "store.region") {
      ASSIGN_OR_RETURN(cfg.store_region, want_string());
    } else if (full == "store.profile") {
      ASSIGN_OR_RETURN(cfg.store_profile, want_string());
    } else if (full == "store.path") {
      ASSIGN_OR_RETURN(std::string sp, want_string());
      if (sp.empty()) return p.Error("store.path is empty");
      cfg.store_path = Resolve(path, sp);
    } else if (full == "migrations.dir") {
      ASSIGN_OR_RETURN(std::string d, want_string());
      if (d.empty()) return p.Error("migrations.dir is empty");
      cfg.migrations_dir = Resolve(path, d);
    } else if (full == "state.dir") {
      ASSIGN_OR_RETURN(std::string d, want_string());
      if (d.empty()) return p.Error("state.dir is empty");
      cfg.state_dir = Absolute(Resolve(path, d));
    } else {
      return p.Error("unknown setting " + full);
    }
  }
  if (in.bad()) return Status::IOError("cannot read " + path);
  return cfg;
}

Result<Config> LoadConfigOrDefault(const GlobalOptions& options) {
  Result<Config> cfg = LoadConfig(options.config_path);
  if (cfg.ok()) return cfg;
  if (cfg.status().IsNotFound()) return Config{};
  return cfg.status();
}

Result<StoreTarget> ResolveStore(const GlobalOptions& options) {
  ASSIGN_OR_RETURN(Config cfg, LoadConfigOrDefault(options));
  StoreTarget t;
  const std::string& flag = options.store_path;
  bool url = flag.rfind("http://", 0) == 0 || flag.rfind("https://", 0) == 0;
  if (size_t scheme = flag.find("://"); !url && scheme != std::string::npos) {
    return Status::InvalidArgument(
        "unknown scheme \"" + flag.substr(0, scheme) + "\" in --store " + flag +
        ": give a directory (the embedded store), dynamodb, or an http:// or "
        "https:// endpoint");
  }
  if (!flag.empty() && !url && flag != "dynamodb") {
    t.path = flag;  // a directory: the embedded store
  } else if (flag.empty() && cfg.store_kind == "local") {
    t.path = cfg.store_path.empty() ? "./.godwit/data" : cfg.store_path;
  } else {
    t.remote = true;
    t.endpoint = url ? flag : cfg.store_endpoint;
    t.region = cfg.store_region;
    t.profile = cfg.store_profile;
  }
  t.state_dir = StateDir(options, cfg, t);
  return t;
}

Result<std::string> StateDirOf(const StoreTarget& t) {
  if (!t.state_dir.empty()) return t.state_dir;
  return Status::FailedPrecondition(
      "no state directory for runs on the remote store" +
      (t.endpoint.empty() ? std::string() : " " + t.endpoint) +
      ": a run keeps its journal, dead letters and control files there, and "
      "a resume needs them. Give --state-dir DIR, or [state] dir = \"...\" "
      "in godwit.toml (relative to the file; `godwit init` writes one). "
      "godwit never picks one from the directory a command starts in");
}

Result<std::string> ResolveStateDir(const GlobalOptions& options) {
  ASSIGN_OR_RETURN(StoreTarget t, ResolveStore(options));
  return StateDirOf(t);
}

Result<std::string> ResolveStorePath(const GlobalOptions& options) {
  ASSIGN_OR_RETURN(StoreTarget t, ResolveStore(options));
  return t.path;
}

}  // namespace godwit::cli
