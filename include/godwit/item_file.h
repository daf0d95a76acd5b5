// DynamoDB-JSON lines files: one {"Item": {...}} per line, the format an AWS
// export to S3 writes, and what godwit import/export, backups and dead-letter
// files use.
//
//   file  := (line "\n")* [line]        a missing final "\n" is accepted
//   line  := {"Item": item}             see godwit/json.h; "\r\n" accepted;
//                                       blank lines are skipped
//
// Compression follows the file name: ".gz" (gzip, also concatenated members)
// and ".zst" (zstd, also several frames); anything else is plain text. "-"
// is stdin (reader) or stdout (writer), plain unless told otherwise.
//
// Memory stays bounded: data is read and written in 64 KiB chunks and a line
// is held only up to max_line_bytes; a longer line is an error naming its
// line number, and the reader moves on past it.
//
// Thread safety: a reader or writer is used by one thread at a time.
//
// Example:
//   ASSIGN_OR_RETURN(auto in, ItemFileReader::Open("orders.json.gz"));
//   Item item;
//   while (true) {
//     Result<bool> more = in->Next(&item);
//     if (!more.ok()) { if (more.status().IsInvalidArgument()) continue;
//                       return more.status(); }      // bad line vs bad file
//     if (!*more) break;
//     ...
//   }
#ifndef GODWIT_ITEM_FILE_H_
#define GODWIT_ITEM_FILE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "godwit/item.h"
#include "godwit/status.h"

namespace godwit {

enum class Compression : uint8_t { kNone, kGzip, kZstd };

// kGzip for "*.gz", kZstd for "*.zst", else kNone.
Compression CompressionForPath(std::string_view path);

class ItemFileReader {
 public:
  static constexpr size_t kDefaultMaxLineBytes = size_t{4} << 20;

  // Opens `path` ("-": stdin). `compression` overrides the file name's.
  // Errors: NotFound (no such file), IOError, InvalidArgument
  // (max_line_bytes == 0).
  static Result<std::unique_ptr<ItemFileReader>> Open(
      const std::string& path, size_t max_line_bytes = kDefaultMaxLineBytes,
      std::optional<Compression> compression = std::nullopt);

  virtual ~ItemFileReader() = default;

  // The next non-blank line, without its line end. `*line` stays valid until
  // the next call. Returns false at the end of the file.
  // Errors: InvalidArgument "line N: longer than M bytes" (the reader has
  // skipped that line; calling again continues after it); DataLoss for
  // corrupt or truncated compressed data; IOError. After DataLoss or IOError
  // the reader is finished.
  virtual Result<bool> NextLine(std::string_view* line) = 0;

  // The next item. Returns false at the end of the file.
  // Errors: InvalidArgument "line N: ..." for a line that is not a valid
  // export line (the reader moves past it: calling again continues); the
  // errors of NextLine otherwise.
  virtual Result<bool> Next(Item* item) = 0;

  // The number of the last line returned or rejected (1-based).
  virtual uint64_t line_number() const = 0;
  // Bytes read from the file so far (compressed bytes for .gz/.zst) and the
  // file's size (nullopt for stdin and pipes): for progress displays.
  virtual uint64_t bytes_read() const = 0;
  virtual std::optional<uint64_t> file_size() const = 0;
};

class ItemFileWriter {
 public:
  // Creates or truncates `path` ("-": stdout). `compression` overrides the
  // file name's. Errors: IOError.
  static Result<std::unique_ptr<ItemFileWriter>> Open(
      const std::string& path,
      std::optional<Compression> compression = std::nullopt);

  // WARNING: destroying a writer without Close() loses buffered lines and,
  // for .gz/.zst, leaves a truncated file.
  virtual ~ItemFileWriter() = default;

  // Appends {"Item":{...}} and "\n".
  virtual Status Write(const Item& item) = 0;
  // Appends `line` and "\n". REQUIRES: `line` has no "\n".
  virtual Status WriteLine(std::string_view line) = 0;
  // Flushes, ends the compressed stream, fsyncs and closes a file (stdout is
  // flushed, not closed). Errors: IOError.
  virtual Status Close() = 0;
  // Lines written so far.
  virtual uint64_t lines() const = 0;
};

// ---------------------------------------------------------------------------
// A DynamoDB export to S3, as it lies on disk once copied down (DynamoDB
// developer guide, "DynamoDB table export output format"): a folder with
//
//   manifest-summary.json    one JSON object: itemCount, outputFormat
//                            ("DYNAMODB_JSON"; "ION" is not read),
//                            exportType (FULL_EXPORT; incremental exports
//                            are not read), exportArn, tableArn,
//                            exportTime, manifestFilesS3Key, ...
//   manifest-files.json      JSON lines, one per data file: itemCount,
//                            md5Checksum (base64 MD5 of the file), etag
//                            (the S3 ETag), dataFileS3Key
//   *.checksum               optional: the MD5 of the manifest beside it
//                            (hex or base64)
//   data/*.json.gz           the data files: export lines (see above)
//
// A data file is found by its dataFileS3Key relative to the folder of
// manifestFilesS3Key (".../AWSDynamoDB/<id>/data/x.json.gz" ->
// "<dir>/data/x.json.gz"), else as data/<file name>.

struct S3ExportFile {
  std::string key;   // dataFileS3Key
  std::string path;  // the local file
  uint64_t item_count = 0;
  std::string md5_base64;  // md5Checksum
  std::string etag;        // a plain hex MD5 for single-part uploads
};

struct S3Export {
  std::string dir;
  std::string export_arn;
  std::string table_arn;
  std::string export_time;
  uint64_t item_count = 0;  // the summary's
  std::vector<S3ExportFile> files;
};

// True if `path` is an export folder (holds manifest-summary.json) or that
// file itself.
bool IsS3Export(const std::string& path);

// Reads and checks the manifests in `path` (the folder, or its
// manifest-summary.json). Errors, each naming the file: NotFound (no
// manifest); InvalidArgument (malformed JSON, a missing field, ION output,
// an incremental export); DataLoss (a manifest's .checksum does not match;
// the data files' item counts do not add up to the summary's).
Result<S3Export> OpenS3Export(const std::string& path);

// Checks one data file against its manifest entry, then reads it: its MD5
// must equal md5Checksum (and the ETag when that is a plain MD5), each
// line must be an export line, and the lines must number itemCount. Calls
// `fn` with each item and its line number (fn may be null: only check); an
// error from fn stops the read and is returned.
// Errors, each naming the file: NotFound; DataLoss (checksum or count
// mismatch, corrupt or truncated gzip); InvalidArgument "line N: ..." for
// a bad line; IOError.
Status ReadS3ExportFile(
    const S3ExportFile& f,
    const std::function<Status(Item&& item, uint64_t line)>& fn);

// Checks every data file of `e` as ReadS3ExportFile does and, if `schema`
// is not null, every item against it (ValidateItem); nothing else is done
// with the items. `progress` (may be null) gets the items checked so far.
// Returns the number of items. Errors: those of ReadS3ExportFile;
// InvalidArgument "<file>: line N: ..." for an item that does not fit.
Result<uint64_t> CheckS3Export(const S3Export& e, const KeySchema* schema,
                               const std::function<void(uint64_t)>& progress);

}  // namespace godwit

#endif  // GODWIT_ITEM_FILE_H_
