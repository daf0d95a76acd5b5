// DynamoDB-JSON lines files (see godwit/item_file.h):
//
//   file  := (line "\n")* [line]
//   line  := {"Item": item} ["\r"]      blank (whitespace-only) lines skipped
//   .gz   := gzip member+               (RFC 1952; zlib inflate, auto header)
//   .zst  := zstd frame+                (libzstd streaming)
//
// Layers: a ByteSource (fd, or a decompressor over an fd) feeds a line
// splitter with a 64 KiB buffer; a ByteSink (fd, or a compressor over an fd)
// takes lines.
#include "godwit/item_file.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cstring>
#include <vector>

#include "godwit/json.h"

namespace godwit {

Compression CompressionForPath(std::string_view path) {
  auto ends = [&](std::string_view s) {
    return path.size() > s.size() && path.substr(path.size() - s.size()) == s;
  };
  if (ends(".gz")) return Compression::kGzip;
  if (ends(".zst")) return Compression::kZstd;
  return Compression::kNone;
}

namespace {

constexpr size_t kChunk = 64 * 1024;

std::string ErrnoText(int err) { return std::strerror(err); }

// ---- sources ---------------------------------------------------------------

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to n bytes into buf; 0 at the end.
  virtual Result<size_t> Read(char* buf, size_t n) = 0;
};

class FdSource final : public ByteSource {
 public:
  FdSource(int fd, bool owned, std::string name)
      : fd_(fd), owned_(owned), name_(std::move(name)) {}
  ~FdSource() override {
    if (owned_) ::close(fd_);
  }
  Result<size_t> Read(char* buf, size_t n) override {
    while (true) {
      ssize_t r = ::read(fd_, buf, n);
      if (r >= 0) {
        bytes_ += static_cast<uint64_t>(r);
        return static_cast<size_t>(r);
      }
      if (errno == EINTR) continue;
      return Status::IOError("read " + name_ + ": " + ErrnoText(errno));
    }
  }
  uint64_t bytes() const { return bytes_; }

 private:
  const int fd_;
  const bool owned_;
  const std::string name_;
  uint64_t bytes_ = 0;
};

class GzipSource final : public ByteSource {
 public:
  GzipSource(std::unique_ptr<FdSource> in, std::string name)
      : in_(std::move(in)), name_(std::move(name)), buf_(kChunk) {
    std::memset(&z_, 0, sizeof(z_));
    ok_ = inflateInit2(&z_, 15 + 32) == Z_OK;  // gzip or zlib header
  }
  ~GzipSource() override {
    if (ok_) inflateEnd(&z_);
  }
  Result<size_t> Read(char* out, size_t n) override {
    if (!ok_) return Status::Internal("zlib init failed");
    z_.next_out = reinterpret_cast<Bytef*>(out);
    z_.avail_out = static_cast<uInt>(n);
    while (z_.avail_out == n) {
      if (z_.avail_in == 0 && !eof_) {
        ASSIGN_OR_RETURN(size_t got, in_->Read(buf_.data(), buf_.size()));
        if (got == 0) {
          eof_ = true;
        } else {
          z_.next_in = reinterpret_cast<Bytef*>(buf_.data());
          z_.avail_in = static_cast<uInt>(got);
        }
      }
      const bool drained = z_.avail_in == 0 && eof_;
      if (drained && !in_member_) break;
      int r = inflate(&z_, Z_NO_FLUSH);
      if (r == Z_STREAM_END) {
        in_member_ = false;
        inflateReset(&z_);  // a further member may follow
        continue;
      }
      if (r != Z_OK && r != Z_BUF_ERROR) {
        return Status::DataLoss(
            name_ + ": corrupt gzip data: " +
            (z_.msg ? z_.msg : "error " + std::to_string(r)));
      }
      in_member_ = true;
      if (drained && z_.avail_out == n) {
        return Status::DataLoss(name_ + ": truncated gzip data");
      }
    }
    return n - z_.avail_out;
  }

 private:
  std::unique_ptr<FdSource> in_;
  const std::string name_;
  std::vector<char> buf_;
  z_stream z_;
  bool ok_ = false;
  bool eof_ = false;
  bool in_member_ = false;  // inside a member that has not ended
};

class ZstdSource final : public ByteSource {
 public:
  ZstdSource(std::unique_ptr<FdSource> in, std::string name)
      : in_(std::move(in)),
        name_(std::move(name)),
        buf_(ZSTD_DStreamInSize()),
        d_(ZSTD_createDStream()) {}
  ~ZstdSource() override { ZSTD_freeDStream(d_); }
  Result<size_t> Read(char* out, size_t n) override {
    if (d_ == nullptr) return Status::Internal("zstd init failed");
    ZSTD_outBuffer ob{out, n, 0};
    while (ob.pos == 0) {
      if (ib_.pos == ib_.size && !eof_) {
        ASSIGN_OR_RETURN(size_t got, in_->Read(buf_.data(), buf_.size()));
        if (got == 0) {
          eof_ = true;
        } else {
          ib_ = ZSTD_inBuffer{buf_.data(), got, 0};
        }
      }
      const bool drained = ib_.pos == ib_.size && eof_;
      if (drained && !in_frame_) break;
      size_t r = ZSTD_decompressStream(d_, &ob, &ib_);
      if (ZSTD_isError(r)) {
        return Status::DataLoss(name_ +
                                ": corrupt zstd data: " + ZSTD_getErrorName(r));
      }
      in_frame_ = r != 0;
      if (drained && ob.pos == 0) {
        if (in_frame_) return Status::DataLoss(name_ + ": truncated zstd data");
        break;
      }
    }
    return ob.pos;
  }

 private:
  std::unique_ptr<FdSource> in_;
  const std::string name_;
  std::vector<char> buf_;
  ZSTD_DStream* d_;
  ZSTD_inBuffer ib_{nullptr, 0, 0};
  bool eof_ = false;
  bool in_frame_ = false;
};

class ReaderImpl final : public ItemFileReader {
 public:
  ReaderImpl(std::unique_ptr<ByteSource> src, FdSource* raw, size_t max_line,
             std::optional<uint64_t> size)
      : src_(std::move(src)),
        raw_(raw),
        max_line_(max_line),
        size_(size),
        buf_(kChunk) {}

  Result<bool> NextLine(std::string_view* line) override {
    while (true) {
      ASSIGN_OR_RETURN(bool more, RawLine());
      if (!more) return false;
      if (too_long_) {
        return Status::InvalidArgument("line " + std::to_string(line_no_) +
                                       ": longer than " +
                                       std::to_string(max_line_) + " bytes");
      }
      if (!line_.empty() && line_.back() == '\r') line_.pop_back();
      if (line_.find_first_not_of(" \t\r") == std::string::npos) continue;
      *line = line_;
      return true;
    }
  }

  Result<bool> Next(Item* item) override {
    std::string_view line;
    ASSIGN_OR_RETURN(bool more, NextLine(&line));
    if (!more) return false;
    Result<Item> parsed = parser_.ParseItemLine(line);
    if (!parsed.ok()) {
      return Status::InvalidArgument("line " + std::to_string(line_no_) + ": " +
                                     std::string(parsed.status().message()));
    }
    *item = std::move(parsed).value();
    return true;
  }

  uint64_t line_number() const override { return line_no_; }
  uint64_t bytes_read() const override { return raw_->bytes(); }
  std::optional<uint64_t> file_size() const override { return size_; }

 private:
  // Reads the next line into line_ (or sets too_long_). False at the end.
  Result<bool> RawLine() {
    if (failed_) return Status::FailedPrecondition("reader failed before");
    line_.clear();
    too_long_ = false;
    bool any = false;
    while (true) {
      if (pos_ == len_) {
        if (eof_) break;
        Result<size_t> got = src_->Read(buf_.data(), buf_.size());
        if (!got.ok()) {
          failed_ = true;
          return got.status();
        }
        pos_ = 0;
        len_ = *got;
        if (len_ == 0) eof_ = true;
        continue;
      }
      any = true;
      const char* start = buf_.data() + pos_;
      const void* nl = std::memchr(start, '\n', len_ - pos_);
      size_t take = nl ? static_cast<const char*>(nl) - start : len_ - pos_;
      if (!too_long_) {
        if (line_.size() + take > max_line_) {
          too_long_ = true;
          line_.clear();
          line_.shrink_to_fit();
        } else {
          line_.append(start, take);
        }
      }
      pos_ += take;
      if (nl) {
        ++pos_;
        break;
      }
    }
    if (!any) return false;
    ++line_no_;
    return true;
  }

  std::unique_ptr<ByteSource> src_;
  FdSource* raw_;  // the file under src_ (may be src_ itself)
  const size_t max_line_;
  const std::optional<uint64_t> size_;
  std::vector<char> buf_;
  size_t pos_ = 0;
  size_t len_ = 0;
  bool eof_ = false;
  bool failed_ = false;
  bool too_long_ = false;
  std::string line_;
  uint64_t line_no_ = 0;
  JsonParser parser_;
};

// ---- sinks -----------------------------------------------------------------

class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual Status Write(std::string_view data) = 0;
  // Ends the stream and closes. Called once.
  virtual Status Finish() = 0;
};

class FdSink final : public ByteSink {
 public:
  FdSink(int fd, bool owned, std::string name)
      : fd_(fd), owned_(owned), name_(std::move(name)) {}
  ~FdSink() override {
    if (owned_ && fd_ >= 0) ::close(fd_);
  }
  Status Write(std::string_view data) override {
    while (!data.empty()) {
      ssize_t r = ::write(fd_, data.data(), data.size());
      if (r < 0) {
        if (errno == EINTR) continue;
        return Status::IOError("write " + name_ + ": " + ErrnoText(errno));
      }
      data.remove_prefix(static_cast<size_t>(r));
    }
    return Status::OK();
  }
  Status Finish() override {
    if (!owned_) return Status::OK();
    if (::fsync(fd_) != 0 && errno != EINVAL && errno != EROFS) {
      return Status::IOError("fsync " + name_ + ": " + ErrnoText(errno));
    }
    int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) {
      return Status::IOError("close " + name_ + ": " + ErrnoText(errno));
    }
    return Status::OK();
  }

 private:
  int fd_;
  const bool owned_;
  const std::string name_;
};

class GzipSink final : public ByteSink {
 public:
  GzipSink(std::unique_ptr<ByteSink> out, std::string name)
      : out_(std::move(out)), name_(std::move(name)), buf_(kChunk) {
    std::memset(&z_, 0, sizeof(z_));
    ok_ = deflateInit2(&z_, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) ==
          Z_OK;
  }
  ~GzipSink() override {
    if (ok_) deflateEnd(&z_);
  }
  Status Write(std::string_view data) override { return Run(data, Z_NO_FLUSH); }
  Status Finish() override {
    RETURN_IF_ERROR(Run({}, Z_FINISH));
    return out_->Finish();
  }

 private:
  Status Run(std::string_view data, int flush) {
    if (!ok_) return Status::Internal("zlib init failed");
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z_.avail_in = static_cast<uInt>(data.size());
    while (true) {
      z_.next_out = reinterpret_cast<Bytef*>(buf_.data());
      z_.avail_out = static_cast<uInt>(buf_.size());
      int r = deflate(&z_, flush);
      if (r == Z_STREAM_ERROR) return Status::Internal(name_ + ": deflate");
      size_t have = buf_.size() - z_.avail_out;
      if (have) RETURN_IF_ERROR(out_->Write({buf_.data(), have}));
      if (flush == Z_FINISH ? r == Z_STREAM_END
                            : (z_.avail_in == 0 && z_.avail_out != 0)) {
        return Status::OK();
      }
    }
  }

  std::unique_ptr<ByteSink> out_;
  const std::string name_;
  std::vector<char> buf_;
  z_stream z_;
  bool ok_ = false;
};

class ZstdSink final : public ByteSink {
 public:
  ZstdSink(std::unique_ptr<ByteSink> out, std::string name)
      : out_(std::move(out)),
        name_(std::move(name)),
        buf_(ZSTD_CStreamOutSize()),
        c_(ZSTD_createCCtx()) {
    if (c_) ZSTD_CCtx_setParameter(c_, ZSTD_c_compressionLevel, 3);
  }
  ~ZstdSink() override { ZSTD_freeCCtx(c_); }
  Status Write(std::string_view data) override {
    return Run(data, ZSTD_e_continue);
  }
  Status Finish() override {
    RETURN_IF_ERROR(Run({}, ZSTD_e_end));
    return out_->Finish();
  }

 private:
  Status Run(std::string_view data, ZSTD_EndDirective mode) {
    if (c_ == nullptr) return Status::Internal("zstd init failed");
    ZSTD_inBuffer in{data.data(), data.size(), 0};
    while (true) {
      ZSTD_outBuffer ob{buf_.data(), buf_.size(), 0};
      size_t r = ZSTD_compressStream2(c_, &ob, &in, mode);
      if (ZSTD_isError(r)) {
        return Status::Internal(name_ + ": zstd: " + ZSTD_getErrorName(r));
      }
      if (ob.pos) RETURN_IF_ERROR(out_->Write({buf_.data(), ob.pos}));
      if (mode == ZSTD_e_end ? r == 0 : in.pos == in.size) {
        return Status::OK();
      }
    }
  }

  std::unique_ptr<ByteSink> out_;
  const std::string name_;
  std::vector<char> buf_;
  ZSTD_CCtx* c_;
};

class WriterImpl final : public ItemFileWriter {
 public:
  explicit WriterImpl(std::unique_ptr<ByteSink> sink) : sink_(std::move(sink)) {
    buf_.reserve(kChunk + 1024);
  }
  Status Write(const Item& item) override {
    RETURN_IF_ERROR(Check());
    WriteItemLine(item, &buf_);
    buf_.push_back('\n');
    ++lines_;
    return MaybeFlush();
  }
  Status WriteLine(std::string_view line) override {
    RETURN_IF_ERROR(Check());
    buf_.append(line);
    buf_.push_back('\n');
    ++lines_;
    return MaybeFlush();
  }
  Status Close() override {
    RETURN_IF_ERROR(Check());
    closed_ = true;
    if (!buf_.empty()) {
      Status s = sink_->Write(buf_);
      buf_.clear();
      if (!s.ok()) {
        Status ignored = sink_->Finish();
        (void)ignored;
        return s;
      }
    }
    return sink_->Finish();
  }
  uint64_t lines() const override { return lines_; }

 private:
  Status Check() const {
    if (closed_) return Status::FailedPrecondition("writer is closed");
    return Status::OK();
  }
  Status MaybeFlush() {
    if (buf_.size() < kChunk) return Status::OK();
    Status s = sink_->Write(buf_);
    buf_.clear();
    return s;
  }

  std::unique_ptr<ByteSink> sink_;
  std::string buf_;
  uint64_t lines_ = 0;
  bool closed_ = false;
};

}  // namespace

Result<std::unique_ptr<ItemFileReader>> ItemFileReader::Open(
    const std::string& path, size_t max_line_bytes,
    std::optional<Compression> compression) {
  if (max_line_bytes == 0) {
    return Status::InvalidArgument("max_line_bytes must be >= 1");
  }
  Compression c = compression.value_or(path == "-" ? Compression::kNone
                                                   : CompressionForPath(path));
  int fd = 0;
  bool owned = false;
  std::optional<uint64_t> size;
  std::string name = path == "-" ? "stdin" : path;
  if (path != "-") {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      int err = errno;
      if (err == ENOENT) return Status::NotFound("no such file: " + path);
      return Status::IOError("open " + path + ": " + ErrnoText(err));
    }
    owned = true;
    struct stat st;
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
      size = static_cast<uint64_t>(st.st_size);
    }
  }
  auto raw = std::make_unique<FdSource>(fd, owned, name);
  FdSource* raw_ptr = raw.get();
  std::unique_ptr<ByteSource> src;
  switch (c) {
    case Compression::kNone:
      src = std::move(raw);
      break;
    case Compression::kGzip:
      src = std::make_unique<GzipSource>(std::move(raw), name);
      break;
    case Compression::kZstd:
      src = std::make_unique<ZstdSource>(std::move(raw), name);
      break;
  }
  return std::unique_ptr<ItemFileReader>(
      new ReaderImpl(std::move(src), raw_ptr, max_line_bytes, size));
}

Result<std::unique_ptr<ItemFileWriter>> ItemFileWriter::Open(
    const std::string& path, std::optional<Compression> compression) {
  Compression c = compression.value_or(path == "-" ? Compression::kNone
                                                   : CompressionForPath(path));
  std::unique_ptr<ByteSink> sink;
  std::string name = path == "-" ? "stdout" : path;
  if (path == "-") {
    sink = std::make_unique<FdSink>(1, false, name);
  } else {
    int fd =
        ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
      return Status::IOError("create " + path + ": " + ErrnoText(errno));
    }
    sink = std::make_unique<FdSink>(fd, true, name);
  }
  switch (c) {
    case Compression::kNone:
      break;
    case Compression::kGzip:
      sink = std::make_unique<GzipSink>(std::move(sink), name);
      break;
    case Compression::kZstd:
      sink = std::make_unique<ZstdSink>(std::move(sink), name);
      break;
  }
  return std::unique_ptr<ItemFileWriter>(new WriterImpl(std::move(sink)));
}

}  // namespace godwit
