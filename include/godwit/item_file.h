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
#include <memory>
#include <optional>
#include <string>
#include <string_view>

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

}  // namespace godwit

#endif  // GODWIT_ITEM_FILE_H_
