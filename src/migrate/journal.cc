// The run journal.
//
// File format (all integers little-endian), version 2:
//
//   journal  := header record*
//   header   := magic reserved:fixed32(=0)                        8 bytes
//   magic    := "GWJ2"  (version 1: "GWJ1")
//   record   := length:fixed32 crc:fixed32 payload[length]
//               crc = CRC-32 (zlib) of payload
//   payload  := sequence:varint64 time:zigzag-varint64 type:byte
//               keys:blob old:opt-blob new:opt-blob
//               shard:string seqno:string                 (version 2 only)
//   type     := 1 INSERT | 2 MODIFY | 3 REMOVE
//   blob     := len:varint64 bytes[len]        bytes = EncodeItem(...) (the
//                                              binary item codec)
//   opt-blob := 0x00 | 0x01 blob
//   string   := len:varint64 bytes[len]
//   shard    the id of the stream shard the record was read from
//   seqno    its SequenceNumber as the stream gives it (1..40 digits);
//            `sequence` is the store's uint64 of it (exact on the local
//            store, informational on a remote one)
//
// Version 1 journals (one shard, uint64 sequences) are still read: their
// records get shard "shard-0" (kSingleShardId) and seqno = sequence. A
// writer appending to an existing journal keeps its version.
//
// Records are appended in the order the capture reader returned them: each
// shard's in order, a parent's before its children's, shards interleaved
// (docs/formats/journal.md). A record is durable
// once Sync() returned after it; the run's checkpoint stores the durable
// offset, and on reopen everything past it is truncated (a torn tail from a
// crash is never read). Readers stop at the writer's synced offset.
#include "migrate/journal.h"

#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "godwit/codec.h"

namespace godwit::migrate {
namespace {

constexpr char kMagic1[4] = {'G', 'W', 'J', '1'};
constexpr char kMagic2[4] = {'G', 'W', 'J', '2'};
constexpr uint32_t kMaxRecordSize = 64u << 20;

void PutFixed32(std::string* out, uint32_t v) {
  char b[4];
  for (int i = 0; i < 4; ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  out->append(b, 4);
}

uint32_t GetFixed32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    v |= static_cast<uint32_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  }
  return v;
}

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

bool GetVarint(std::string_view* in, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift <= 63 && !in->empty(); shift += 7) {
    uint64_t byte = static_cast<unsigned char>(in->front());
    in->remove_prefix(1);
    result |= (byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      return true;
    }
  }
  return false;
}

void PutBlob(std::string* out, const Item& item) {
  std::string bytes;
  EncodeItem(item, &bytes);
  PutVarint(out, bytes.size());
  out->append(bytes);
}

Result<Item> GetBlob(std::string_view* in) {
  uint64_t len;
  if (!GetVarint(in, &len) || len > in->size()) {
    return Status::DataLoss("journal record: bad item length");
  }
  std::string_view bytes = in->substr(0, len);
  in->remove_prefix(len);
  return DecodeItem(bytes);
}

uint32_t Crc(std::string_view s) {
  return static_cast<uint32_t>(crc32(0,
                                     reinterpret_cast<const Bytef*>(s.data()),
                                     static_cast<uInt>(s.size())));
}

Status Errno(const std::string& what) {
  return Status::IOError(what + ": " + std::strerror(errno));
}

void PutString(std::string* out, std::string_view s) {
  PutVarint(out, s.size());
  out->append(s);
}

bool GetString(std::string_view* in, std::string* s) {
  uint64_t len;
  if (!GetVarint(in, &len) || len > in->size()) return false;
  s->assign(in->substr(0, len));
  in->remove_prefix(len);
  return true;
}

// The version of a journal header, 0 if it is not one.
int HeaderVersion(const char* header) {
  if (std::memcmp(header, kMagic2, 4) == 0) return 2;
  if (std::memcmp(header, kMagic1, 4) == 0) return 1;
  return 0;
}

}  // namespace

void EncodeChangeRecord(const ChangeRecord& rec, const RecordOrigin* origin,
                        std::string* out, int version) {
  PutVarint(out, rec.sequence);
  uint64_t t = static_cast<uint64_t>(rec.time_micros);
  PutVarint(out, (t << 1) ^ static_cast<uint64_t>(rec.time_micros >> 63));
  out->push_back(static_cast<char>(rec.type));
  PutBlob(out, rec.keys);
  for (const std::optional<Item>* img : {&rec.old_image, &rec.new_image}) {
    if (img->has_value()) {
      out->push_back(1);
      PutBlob(out, **img);
    } else {
      out->push_back(0);
    }
  }
  if (version >= 2) {
    PutString(out, origin != nullptr ? origin->shard_id : std::string());
    PutString(out, origin != nullptr ? origin->sequence_number.text()
                                     : std::string());
  }
}

Result<ChangeRecord> DecodeChangeRecord(std::string_view in, int version,
                                        RecordOrigin* origin) {
  RecordOrigin scratch;
  if (origin == nullptr) origin = &scratch;
  ChangeRecord rec;
  uint64_t t;
  if (!GetVarint(&in, &rec.sequence) || !GetVarint(&in, &t) || in.empty()) {
    return Status::DataLoss("journal record: truncated header");
  }
  rec.time_micros = static_cast<int64_t>((t >> 1) ^ (~(t & 1) + 1));
  uint8_t type = static_cast<uint8_t>(in.front());
  in.remove_prefix(1);
  if (type < 1 || type > 3) {
    return Status::DataLoss("journal record: bad change type");
  }
  rec.type = static_cast<ChangeType>(type);
  ASSIGN_OR_RETURN(rec.keys, GetBlob(&in));
  for (std::optional<Item>* img : {&rec.old_image, &rec.new_image}) {
    if (in.empty()) return Status::DataLoss("journal record: truncated");
    char flag = in.front();
    in.remove_prefix(1);
    if (flag == 1) {
      ASSIGN_OR_RETURN(Item item, GetBlob(&in));
      *img = std::move(item);
    } else if (flag != 0) {
      return Status::DataLoss("journal record: bad image flag");
    }
  }
  if (version >= 2) {
    std::string seq;
    if (!GetString(&in, &origin->shard_id) || !GetString(&in, &seq)) {
      return Status::DataLoss("journal record: truncated shard or sequence");
    }
    if (!seq.empty()) {
      Result<SequenceNumber> n = SequenceNumber::Parse(seq);
      if (!n.ok()) {
        return Status::DataLoss("journal record: bad sequence number \"" + seq +
                                "\"");
      }
      origin->sequence_number = *n;
    }
  } else {
    origin->shard_id = kSingleShardId;
    if (rec.sequence > 0) {
      origin->sequence_number = SequenceNumber::FromU64(rec.sequence);
    }
  }
  if (!in.empty()) return Status::DataLoss("journal record: trailing bytes");
  return rec;
}

JournalWriter::JournalWriter(std::FILE* f, uint64_t offset, int version)
    : file_(f),
      version_(version),
      write_offset_(offset),
      synced_offset_(offset) {}

JournalWriter::~JournalWriter() {
  if (file_ != nullptr) std::fclose(file_);
}

Result<std::unique_ptr<JournalWriter>> JournalWriter::Open(
    const std::string& path, uint64_t durable_offset) {
  std::FILE* f = std::fopen(path.c_str(), "r+b");
  if (f == nullptr && errno == ENOENT) f = std::fopen(path.c_str(), "w+b");
  if (f == nullptr) return Errno("open journal " + path);
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> guard(f, std::fclose);
  if (std::fseek(f, 0, SEEK_END) != 0) return Errno("seek journal " + path);
  long size = std::ftell(f);
  if (size < 0) return Errno("size of journal " + path);
  int version = 2;
  if (size == 0) {
    if (durable_offset > kJournalHeaderSize) {
      return Status::DataLoss(
          "journal " + path + " is empty but the " + "checkpoint says " +
          std::to_string(durable_offset) + " bytes were durable");
    }
    std::string header(kMagic2, 4);
    PutFixed32(&header, 0);
    if (std::fwrite(header.data(), 1, header.size(), f) != header.size() ||
        std::fflush(f) != 0 || fsync(fileno(f)) != 0) {
      return Errno("write journal header " + path);
    }
    size = static_cast<long>(kJournalHeaderSize);
  } else {
    char header[kJournalHeaderSize];
    if (std::fseek(f, 0, SEEK_SET) != 0 ||
        std::fread(header, 1, sizeof(header), f) != sizeof(header) ||
        HeaderVersion(header) == 0) {
      return Status::DataLoss("journal " + path + ": bad header");
    }
    version = HeaderVersion(header);
  }
  if (durable_offset < kJournalHeaderSize) durable_offset = kJournalHeaderSize;
  if (static_cast<uint64_t>(size) < durable_offset) {
    return Status::DataLoss("journal " + path + " has " + std::to_string(size) +
                            " bytes, fewer than the durable offset " +
                            std::to_string(durable_offset));
  }
  if (static_cast<uint64_t>(size) > durable_offset) {
    std::fflush(f);
    if (ftruncate(fileno(f), static_cast<off_t>(durable_offset)) != 0) {
      return Errno("truncate journal " + path);
    }
  }
  if (std::fseek(f, static_cast<long>(durable_offset), SEEK_SET) != 0) {
    return Errno("seek journal " + path);
  }
  guard.release();
  return std::unique_ptr<JournalWriter>(
      new JournalWriter(f, durable_offset, version));
}

Status JournalWriter::Append(const ChangeRecord& rec,
                             const RecordOrigin* origin) {
  buf_.clear();
  buf_.resize(8);
  EncodeChangeRecord(rec, origin, &buf_, version_);
  uint32_t len = static_cast<uint32_t>(buf_.size() - 8);
  std::string_view payload(buf_.data() + 8, len);
  std::string head;
  PutFixed32(&head, len);
  PutFixed32(&head, Crc(payload));
  std::memcpy(buf_.data(), head.data(), 8);
  if (std::fwrite(buf_.data(), 1, buf_.size(), file_) != buf_.size()) {
    return Errno("append to journal");
  }
  write_offset_ += buf_.size();
  return Status::OK();
}

Status JournalWriter::Sync() {
  if (std::fflush(file_) != 0 || fdatasync(fileno(file_)) != 0) {
    return Errno("sync journal");
  }
  synced_offset_.store(write_offset_, std::memory_order_release);
  return Status::OK();
}

JournalReader::JournalReader(std::FILE* f, uint64_t offset, int version)
    : file_(f), offset_(offset), version_(version) {}

JournalReader::~JournalReader() {
  if (file_ != nullptr) std::fclose(file_);
}

Result<std::unique_ptr<JournalReader>> JournalReader::Open(
    const std::string& path, uint64_t offset) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return Errno("open journal " + path);
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> guard(f, std::fclose);
  char header[kJournalHeaderSize];
  int version = 0;
  if (std::fread(header, 1, sizeof(header), f) == sizeof(header)) {
    version = HeaderVersion(header);
  }
  if (version == 0) return Status::DataLoss("journal " + path + ": bad header");
  if (offset < kJournalHeaderSize) offset = kJournalHeaderSize;
  guard.release();
  return std::unique_ptr<JournalReader>(new JournalReader(f, offset, version));
}

Status JournalReader::Read(uint64_t limit_offset, size_t max,
                           std::vector<ChangeRecord>* out,
                           std::vector<RecordOrigin>* origins) {
  size_t n = 0;
  while (n < max && offset_ + 8 <= limit_offset) {
    char head[8];
    // The file grows while we read it: clear a sticky EOF, and seek only
    // when the stdio position is not already at offset_.
    std::clearerr(file_);
    if (file_pos_ != offset_ &&
        std::fseek(file_, static_cast<long>(offset_), SEEK_SET) != 0) {
      return Errno("seek journal to " + std::to_string(offset_));
    }
    file_pos_ = offset_;
    if (std::fread(head, 1, 8, file_) != 8) {
      file_pos_ = UINT64_MAX;
      return Errno("read journal at " + std::to_string(offset_));
    }
    uint32_t len = GetFixed32(head);
    uint32_t crc = GetFixed32(head + 4);
    if (len > kMaxRecordSize || offset_ + 8 + len > limit_offset) {
      return Status::DataLoss("journal: bad record length " +
                              std::to_string(len) + " at offset " +
                              std::to_string(offset_));
    }
    file_pos_ += 8;
    buf_.resize(len);
    if (std::fread(buf_.data(), 1, len, file_) != len) {
      file_pos_ = UINT64_MAX;
      return Errno("read journal at " + std::to_string(offset_));
    }
    file_pos_ += len;
    if (Crc(buf_) != crc) {
      return Status::DataLoss("journal: checksum mismatch at offset " +
                              std::to_string(offset_));
    }
    RecordOrigin origin;
    Result<ChangeRecord> rec = DecodeChangeRecord(buf_, version_, &origin);
    if (!rec.ok()) {
      return rec.status().WithContext("at offset " + std::to_string(offset_));
    }
    out->push_back(std::move(rec).value());
    if (origins != nullptr) origins->push_back(std::move(origin));
    offset_ += 8 + len;
    ++n;
  }
  return Status::OK();
}

}  // namespace godwit::migrate
