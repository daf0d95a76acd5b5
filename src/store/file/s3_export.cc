// A DynamoDB export to S3 on disk (see godwit/item_file.h):
//
//   manifest-summary.json := {"version": "2020-06-30", "exportArn": str,
//                             "tableArn": str, "exportTime": str,
//                             "manifestFilesS3Key": str, "itemCount": int,
//                             "outputFormat": "DYNAMODB_JSON" | "ION",
//                             ["exportType": "FULL_EXPORT" |
//                                            "INCREMENTAL_EXPORT"], ...}
//   manifest-files.json   := (entry "\n")*
//   entry                 := {"itemCount": int, "md5Checksum": base64,
//                             "etag": str, "dataFileS3Key": str}
//   data file             := gzip (see item_file.cc), export lines
//
// Members this reader does not use are ignored.
#include <openssl/evp.h>
#include <simdjson.h>

#include <filesystem>
#include <fstream>

#include "godwit/item_file.h"
#include "godwit/json.h"

namespace godwit {
namespace {

namespace fs = std::filesystem;
namespace dom = simdjson::dom;

Result<std::string> ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!fs::exists(path, ec)) return Status::NotFound("no file " + path);
    return Status::IOError("cannot read " + path);
  }
  return std::string((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
}

struct Md5 {
  std::string hex;
  std::string base64;
};

Md5 Md5Of(const unsigned char digest[16]) {
  Md5 m;
  static const char* kHex = "0123456789abcdef";
  for (int i = 0; i < 16; ++i) {
    m.hex += kHex[digest[i] >> 4];
    m.hex += kHex[digest[i] & 15];
  }
  Base64Encode(std::string_view(reinterpret_cast<const char*>(digest), 16),
               &m.base64);
  return m;
}

Result<Md5> Md5OfFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!fs::exists(path, ec)) {
      return Status::NotFound("the export's data file " + path + " is missing");
    }
    return Status::IOError("cannot read " + path);
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr || EVP_DigestInit_ex(ctx, EVP_md5(), nullptr) != 1) {
    EVP_MD_CTX_free(ctx);
    return Status::Internal("MD5 is not available");
  }
  std::vector<char> buf(1 << 16);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    std::streamsize n = in.gcount();
    if (n > 0) EVP_DigestUpdate(ctx, buf.data(), static_cast<size_t>(n));
  }
  if (in.bad()) {
    EVP_MD_CTX_free(ctx);
    return Status::IOError("cannot read " + path);
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, digest, &len);
  EVP_MD_CTX_free(ctx);
  return Md5Of(digest);
}

Md5 Md5OfString(std::string_view s) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(s.data(), s.size(), digest, &len, EVP_md5(), nullptr);
  return Md5Of(digest);
}

std::string Trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) {
    s.pop_back();
  }
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

// The manifest's .checksum, when there is one that holds an MD5.
Status CheckManifestChecksum(const std::string& manifest,
                             const std::string& content) {
  std::string sum_path =
      manifest.substr(0, manifest.size() - std::string(".json").size()) +
      ".checksum";
  Result<std::string> sum = ReadAll(sum_path);
  if (!sum.ok()) {
    return sum.status().IsNotFound() ? Status::OK() : sum.status();
  }
  std::string want = Trim(*sum);
  Md5 got = Md5OfString(content);
  const bool hex = want.size() == 32, b64 = want.size() == 24;
  if (!hex && !b64) return Status::OK();  // not an MD5: nothing to compare
  std::string lower = want;
  for (char& c : lower) c = static_cast<char>(std::tolower(c));
  if ((hex && lower == got.hex) || (b64 && want == got.base64)) {
    return Status::OK();
  }
  return Status::DataLoss(manifest + " does not match its checksum " +
                          sum_path + " (MD5 " + got.hex + ", expected " + want +
                          "): the export is damaged");
}

std::string Str(dom::object o, const char* f) {
  std::string_view v;
  if (o[f].get_string().get(v)) return "";
  return std::string(v);
}

}  // namespace

bool IsS3Export(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    return fs::exists(fs::path(path) / "manifest-summary.json", ec);
  }
  return fs::path(path).filename() == "manifest-summary.json";
}

Result<S3Export> OpenS3Export(const std::string& path) {
  std::error_code ec;
  S3Export e;
  e.dir =
      fs::is_directory(path, ec) ? path : fs::path(path).parent_path().string();
  if (e.dir.empty()) e.dir = ".";
  const std::string summary_path = e.dir + "/manifest-summary.json";
  Result<std::string> summary = ReadAll(summary_path);
  if (!summary.ok()) {
    if (summary.status().IsNotFound()) {
      return Status::NotFound("no manifest-summary.json in " + e.dir +
                              ": not a DynamoDB export folder");
    }
    return summary.status();
  }
  RETURN_IF_ERROR(CheckManifestChecksum(summary_path, *summary));
  dom::parser parser;
  dom::object o;
  if (parser.parse(*summary).get_object().get(o)) {
    return Status::InvalidArgument(summary_path + ": not a JSON object");
  }
  uint64_t count;
  if (o["itemCount"].get_uint64().get(count)) {
    return Status::InvalidArgument(summary_path + ": no itemCount");
  }
  e.item_count = count;
  e.export_arn = Str(o, "exportArn");
  e.table_arn = Str(o, "tableArn");
  e.export_time = Str(o, "exportTime");
  std::string format = Str(o, "outputFormat");
  if (format != "DYNAMODB_JSON") {
    return Status::InvalidArgument(
        summary_path + ": outputFormat \"" + format +
        "\": godwit reads DYNAMODB_JSON exports only (export again with "
        "--export-format DYNAMODB_JSON)");
  }
  std::string type = Str(o, "exportType");
  if (!type.empty() && type != "FULL_EXPORT") {
    return Status::InvalidArgument(summary_path + ": exportType \"" + type +
                                   "\": godwit imports full exports only");
  }
  const std::string files_key = Str(o, "manifestFilesS3Key");
  const std::string files_path = e.dir + "/manifest-files.json";
  ASSIGN_OR_RETURN(std::string files, ReadAll(files_path));
  RETURN_IF_ERROR(CheckManifestChecksum(files_path, files));
  // Data file keys are relative to the folder of the files manifest's key.
  std::string prefix;
  if (size_t slash = files_key.rfind('/'); slash != std::string::npos) {
    prefix = files_key.substr(0, slash + 1);
  }
  uint64_t sum = 0, line_no = 0;
  size_t pos = 0;
  while (pos < files.size()) {
    size_t nl = files.find('\n', pos);
    if (nl == std::string::npos) nl = files.size();
    std::string_view line(files.data() + pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    auto bad = [&](const std::string& what) {
      return Status::InvalidArgument(files_path + ": line " +
                                     std::to_string(line_no) + ": " + what);
    };
    dom::object fo;
    if (parser.parse(line.data(), line.size()).get_object().get(fo)) {
      return bad("not a JSON object");
    }
    S3ExportFile f;
    if (fo["itemCount"].get_uint64().get(f.item_count)) {
      return bad("no itemCount");
    }
    f.key = Str(fo, "dataFileS3Key");
    f.md5_base64 = Str(fo, "md5Checksum");
    f.etag = Str(fo, "etag");
    if (f.key.empty()) return bad("no dataFileS3Key");
    if (f.md5_base64.empty()) return bad("no md5Checksum");
    std::string rel = !prefix.empty() && f.key.rfind(prefix, 0) == 0
                          ? f.key.substr(prefix.size())
                          : "data/" + fs::path(f.key).filename().string();
    if (rel.find("..") != std::string::npos) {
      return bad("dataFileS3Key \"" + f.key + "\" leaves the export folder");
    }
    f.path = e.dir + "/" + rel;
    if (!fs::exists(f.path, ec)) {
      rel = "data/" + fs::path(f.key).filename().string();
      if (fs::exists(e.dir + "/" + rel, ec)) f.path = e.dir + "/" + rel;
    }
    sum += f.item_count;
    e.files.push_back(std::move(f));
  }
  if (sum != e.item_count) {
    return Status::DataLoss(
        files_path + " lists " + std::to_string(sum) + " items in " +
        std::to_string(e.files.size()) + " files, but " + summary_path +
        " says " + std::to_string(e.item_count) + ": the export is damaged");
  }
  return e;
}

Status ReadS3ExportFile(
    const S3ExportFile& f,
    const std::function<Status(Item&& item, uint64_t line)>& fn) {
  ASSIGN_OR_RETURN(Md5 md5, Md5OfFile(f.path));
  if (md5.base64 != f.md5_base64) {
    return Status::DataLoss(f.path + ": MD5 " + md5.base64 +
                            " does not match the manifest's md5Checksum " +
                            f.md5_base64 + ": the file is damaged");
  }
  std::string etag = f.etag;
  if (etag.size() == 34 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, 32);
  }
  if (etag.size() == 32 &&
      etag.find_first_not_of("0123456789abcdef") == std::string::npos &&
      etag != md5.hex) {
    return Status::DataLoss(f.path + ": MD5 " + md5.hex +
                            " does not match the manifest's etag " + f.etag +
                            ": the file is damaged");
  }
  ASSIGN_OR_RETURN(std::unique_ptr<ItemFileReader> in,
                   ItemFileReader::Open(f.path));
  uint64_t n = 0;
  Item item;
  while (true) {
    Result<bool> more = in->Next(&item);
    if (!more.ok()) {
      std::string_view msg = more.status().message();
      if (msg.rfind(f.path, 0) == 0) return more.status();
      return Status(more.status().code(), f.path + ": " + std::string(msg));
    }
    if (!*more) break;
    ++n;
    if (fn) {
      Status s = fn(std::move(item), in->line_number());
      if (!s.ok()) return s;
      item = Item();
    }
  }
  if (n != f.item_count) {
    return Status::DataLoss(
        f.path + " holds " + std::to_string(n) + " items, the manifest says " +
        std::to_string(f.item_count) + ": the export is damaged");
  }
  return Status::OK();
}

Result<uint64_t> CheckS3Export(const S3Export& e, const KeySchema* schema,
                               const std::function<void(uint64_t)>& progress) {
  uint64_t checked = 0;
  for (const S3ExportFile& f : e.files) {
    RETURN_IF_ERROR(
        ReadS3ExportFile(f, [&](Item&& item, uint64_t line) -> Status {
          ++checked;
          if (progress) progress(checked);
          if (schema == nullptr) return Status::OK();
          Status v = ValidateItem(item, schema);
          if (v.ok()) return v;
          return Status::InvalidArgument(f.path + ": line " +
                                         std::to_string(line) + ": " +
                                         std::string(v.message()));
        }));
  }
  return checked;
}

}  // namespace godwit
