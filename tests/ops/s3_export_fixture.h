// Writes a small DynamoDB export to S3 as it lies on disk once copied down
// (DynamoDB developer guide, "DynamoDB table export output format"):
// manifest-summary.json, manifest-files.json (JSON lines with itemCount,
// md5Checksum = base64 MD5 of the data file, etag = hex MD5 for a
// single-part upload, dataFileS3Key) and data/*.json.gz (gzip through
// zlib).
#ifndef GODWIT_TESTS_OPS_S3_EXPORT_FIXTURE_H_
#define GODWIT_TESTS_OPS_S3_EXPORT_FIXTURE_H_

#include <openssl/evp.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "godwit/json.h"

namespace godwit::test {

struct ExportFiles {
  std::string dir;
  std::vector<std::string> data_files;  // local paths
};

inline std::string FileMd5(const std::string& path, bool base64) {
  std::ifstream in(path, std::ios::binary);
  std::string data((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), d, &n, EVP_md5(), nullptr);
  if (base64) {
    std::string out;
    Base64Encode(std::string_view(reinterpret_cast<char*>(d), n), &out);
    return out;
  }
  std::string hex;
  for (unsigned i = 0; i < n; ++i) {
    char b[3];
    std::snprintf(b, sizeof(b), "%02x", d[i]);
    hex += b;
  }
  return hex;
}

// `files` data files of `per_file` items {pk: "f<i>-<k>", n: k}. Returns
// the export folder ("<root>/AWSDynamoDB/01700000000000-abcd1234").
inline ExportFiles WriteExport(const std::string& root, int files,
                               int per_file) {
  const std::string id = "01700000000000-abcd1234";
  const std::string prefix = "backups/AWSDynamoDB/" + id;
  ExportFiles out;
  out.dir = root + "/AWSDynamoDB/" + id;
  std::filesystem::create_directories(out.dir + "/data");
  std::string manifest;
  for (int f = 0; f < files; ++f) {
    std::string name = "file" + std::to_string(f) + ".json.gz";
    std::string path = out.dir + "/data/" + name;
    gzFile gz = gzopen(path.c_str(), "wb");
    for (int k = 0; k < per_file; ++k) {
      std::string line = "{\"Item\":{\"pk\":{\"S\":\"f" + std::to_string(f) +
                         "-" + std::to_string(k) + "\"},\"n\":{\"N\":\"" +
                         std::to_string(k) + "\"}}}\n";
      gzwrite(gz, line.data(), static_cast<unsigned>(line.size()));
    }
    gzclose(gz);
    out.data_files.push_back(path);
    manifest += "{\"itemCount\":" + std::to_string(per_file) +
                ",\"md5Checksum\":\"" + FileMd5(path, true) + "\",\"etag\":\"" +
                FileMd5(path, false) + "\",\"dataFileS3Key\":\"" + prefix +
                "/data/" + name + "\"}\n";
  }
  std::ofstream(out.dir + "/manifest-files.json") << manifest;
  std::ofstream(out.dir + "/manifest-summary.json")
      << "{\"version\":\"2020-06-30\",\"exportArn\":\"arn:aws:dynamodb:"
         "eu-west-1:123456789012:table/Events/export/"
      << id
      << "\",\"startTime\":\"2026-01-01T00:00:00.000Z\",\"endTime\":\"2026-"
         "01-01T00:05:00.000Z\",\"tableArn\":\"arn:aws:dynamodb:eu-west-1:"
         "123456789012:table/Events\",\"exportTime\":\"2026-01-01T00:00:00."
         "000Z\",\"s3Bucket\":\"bucket\",\"s3Prefix\":\"backups\","
         "\"manifestFilesS3Key\":\""
      << prefix << "/manifest-files.json\",\"billedSizeBytes\":0,"
      << "\"itemCount\":" << files * per_file
      << ",\"outputFormat\":\"DYNAMODB_JSON\",\"exportType\":\"FULL_EXPORT\"}";
  return out;
}

}  // namespace godwit::test

#endif  // GODWIT_TESTS_OPS_S3_EXPORT_FIXTURE_H_
