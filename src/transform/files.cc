// Migration files: discovery, naming, checksums.
//
// A migration file name is  number "_" name ".lua"  with number 1 to 9
// decimal digits (leading zeros allowed and ignored: 0002 == 2) and name
// [A-Za-z0-9_-]+. Files sort by number as an integer. In a table's folder,
// *.json is data for godwit.read_json, names starting with '.' and
// sub-folders are skipped, and anything else is reported as "not a
// migration" (a .lua with a bad name is an error).
#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <system_error>

#include "godwit/transform.h"

namespace godwit {
namespace fs = std::filesystem;

std::string MigrationFile::id() const {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04lld", static_cast<long long>(number));
  return std::string(buf) + "_" + name;
}

Status ParseMigrationFileName(std::string_view file_name, int64_t* number,
                              std::string* name) {
  auto bad = [&](std::string_view why) {
    return Status::InvalidArgument(
        "bad migration file name \"" + std::string(file_name) +
        "\": " + std::string(why) +
        " (expected NNNN_name.lua, e.g. 0002_add_index.lua)");
  };
  constexpr std::string_view kExt = ".lua";
  if (file_name.size() <= kExt.size() ||
      file_name.substr(file_name.size() - kExt.size()) != kExt) {
    return bad("it does not end in .lua");
  }
  std::string_view stem = file_name.substr(0, file_name.size() - kExt.size());
  size_t digits = 0;
  while (digits < stem.size() && stem[digits] >= '0' && stem[digits] <= '9') {
    ++digits;
  }
  if (digits == 0) return bad("it does not start with a number");
  if (digits > 9) return bad("the number has more than 9 digits");
  if (digits >= stem.size() || stem[digits] != '_') {
    return bad("the number is not followed by '_'");
  }
  std::string_view rest = stem.substr(digits + 1);
  if (rest.empty()) return bad("the name after the number is empty");
  for (char c : rest) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return bad("the name may hold only letters, digits, '_' and '-'");
  }
  int64_t n = 0;
  for (size_t i = 0; i < digits; ++i) n = n * 10 + (stem[i] - '0');
  *number = n;
  name->assign(rest);
  return Status::OK();
}

std::string Sha256Hex(std::string_view bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 15]);
  }
  return out;
}

namespace {

Status ReadWholeFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!fs::exists(path, ec)) return Status::NotFound(path + ": no such file");
    return Status::IOError(path + ": cannot open");
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::IOError(path + ": read failed");
  *out = std::move(ss).str();
  return Status::OK();
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.substr(s.size() - suffix.size()) == suffix;
}

// Why `name` (in a table's migrations folder) is not a migration.
std::string NotAMigrationMessage(std::string_view name) {
  std::string msg =
      "not a migration: godwit ignores it (migrations are NNNN_name.lua, data "
      "for godwit.read_json is *.json)";
  int64_t number;
  std::string base;
  size_t lua = name.find(".lua");
  if (lua != std::string_view::npos &&
      ParseMigrationFileName(name.substr(0, lua + 4), &number, &base).ok()) {
    msg += "; a copy of migration " + std::string(name.substr(0, lua + 4)) +
           "? it does not run";
  }
  return msg;
}

}  // namespace

Result<MigrationFile> ReadMigrationFile(const std::string& path) {
  fs::path p(path);
  MigrationFile f;
  RETURN_IF_ERROR(
      ParseMigrationFileName(p.filename().string(), &f.number, &f.name)
          .WithContext(path));
  f.table = p.parent_path().filename().string();
  f.path = path;
  RETURN_IF_ERROR(ReadWholeFile(path, &f.source));
  f.sha256 = Sha256Hex(f.source);
  return f;
}

Result<MigrationFolder> ScanMigrationFolder(const std::string& dir,
                                            const std::string& table) {
  MigrationFolder out;
  fs::path folder = fs::path(dir) / table;
  std::error_code ec;
  if (!fs::exists(folder, ec)) return out;
  if (!fs::is_directory(folder, ec)) {
    return Status::InvalidArgument(folder.string() + ": not a directory");
  }
  std::vector<std::string> names;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end;
       it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.empty() || name[0] == '.') continue;  // editor and VCS files
    std::error_code ec2;
    if (it->is_directory(ec2)) continue;  // data for read_json
    bool lua = EndsWith(name, ".lua");
    bool regular = it->is_regular_file(ec2);
    if (lua && regular) {
      names.push_back(name);
    } else if (lua || !EndsWith(name, ".json")) {
      MigrationFinding f;
      f.kind = MigrationFinding::Kind::kNotAMigration;
      f.path = (folder / name).string();
      f.message = lua ? "not a regular file (a broken symlink?): godwit "
                        "ignores it"
                      : NotAMigrationMessage(name);
      out.findings.push_back(std::move(f));
    }
  }
  if (ec) return Status::IOError(folder.string() + ": " + ec.message());
  std::sort(names.begin(), names.end());  // stable messages, not the order
  std::sort(out.findings.begin(), out.findings.end(),
            [](const MigrationFinding& a, const MigrationFinding& b) {
              return a.path < b.path;
            });
  std::map<int64_t, std::string> seen;
  for (const std::string& name : names) {
    std::string path = (folder / name).string();
    ASSIGN_OR_RETURN(MigrationFile f, ReadMigrationFile(path));
    auto [it, inserted] = seen.emplace(f.number, path);
    if (!inserted) {
      return Status::InvalidArgument(
          "two migrations have number " + std::to_string(f.number) + ": " +
          it->second + " and " + path + " (renumber one of them)");
    }
    f.table = table;
    out.files.push_back(std::move(f));
  }
  std::sort(out.files.begin(), out.files.end(),
            [](const MigrationFile& a, const MigrationFile& b) {
              return a.number < b.number;
            });
  return out;
}

Result<std::vector<MigrationFile>> ListMigrations(const std::string& dir,
                                                  const std::string& table) {
  ASSIGN_OR_RETURN(MigrationFolder folder, ScanMigrationFolder(dir, table));
  return std::move(folder.files);
}

Result<std::vector<std::string>> ListMigrationTables(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return out;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.empty() || name[0] == '.') continue;
    std::error_code ec2;
    if (it->is_directory(ec2)) out.push_back(name);
  }
  if (ec) return Status::IOError(dir + ": " + ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace godwit
