// Stream names and positions on the wire.
//
//   label      := YYYY "-" MM "-" DD "T" hh ":" mm ":" ss "." mmm
//                 (UTC, the table's creation time)
//   table-arn  := "arn:aws:dynamodb:" region ":" account ":table/" table
//   stream-arn := table-arn "/stream/" label
//                 accepted: "arn:" prefix ":table/" table "/stream/" label,
//                 table = the bytes between the first ":table/" and the
//                 first "/stream/" (not empty); region and account are read
//                 when prefix is "arn:" partition ":" service ":" region ":"
//                 account, else left empty
//   shard-id   := "shardId-00000000000000000001-00000001"  the single shard
//               | "shardId-" 20DIGIT "-" 8HEXDIG   a shard of a multi-shard
//                 or rotating stream (server/stream_layout.h: opened ms, tag)
//
//   shard-iterator := base64(payload)          (RFC 4648, padded, strict)
//   payload        := v1 | v2
//   v1             := "I1" US kind US sequence US table
//   v2             := "I2" US kind US sequence US shard-id US issued US
//                     reader US empties US table
//   kind           := "T"                      trim horizon (sequence "0")
//                   | "A"                      after sequence
//   sequence       := "0" | nonzero-digit *19DIGIT
//                     decimal, no leading zero, < 2^64 - 1 (the next
//                     record's sequence must exist: 2^64 - 1 would wrap to 0)
//   issued         := canonical decimal uint64: microseconds since the
//                     epoch when the iterator was made (expiry)
//   reader         := canonical decimal uint64: the iterator chain
//   empties        := canonical decimal < 2^32: empty pages in a row on
//                     the chain just before this iterator
//   shard-id (in v2) := 1*128 octets other than US
//   table          := 1*OCTET                  the rest of the payload
//   US             := %x1F
//   A v1 iterator names godwit serve's single shard and does not expire; it
//   is written only for an iterator that has no v2 field (tests, old
//   clients' iterators decoded and re-encoded). The table stays last, so
//   that a decoder of an older version refuses a newer payload by its tag
//   rather than misreading it.
//
//   sequence-number := 21DIGIT                 written by godwit serve:
//                                              the store's uint64, padded
//   accepted from clients: 1*40DIGIT whose value is below 2^64.
#include "wire/stream_ids.h"

#include <algorithm>
#include <cassert>
#include <cinttypes>
#include <cstdio>
#include <ctime>
#include <optional>
#include <vector>

#include "godwit/json.h"
#include "wire/errors.h"

namespace godwit::wire {
namespace {

constexpr char kUs = '\x1f';
constexpr std::string_view kV1 = "I1";
constexpr std::string_view kV2 = "I2";

// Parses a canonical decimal uint64 (no sign, no leading zero, no
// overflow). nullopt otherwise.
std::optional<uint64_t> ParseCanonicalU64(std::string_view s) {
  if (s.empty() || s.size() > 20 || (s.size() > 1 && s[0] == '0')) {
    return std::nullopt;
  }
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

}  // namespace

std::string StreamLabel(int64_t created_micros) {
  time_t secs = static_cast<time_t>(created_micros / 1000000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03d",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec,
                static_cast<int>((created_micros / 1000) % 1000));
  return buf;
}

std::string TableArn(std::string_view region, std::string_view table,
                     std::string_view account) {
  std::string out = "arn:aws:dynamodb:";
  out += region;
  out += ':';
  out += account;
  out += ":table/";
  out += table;
  return out;
}

std::string StreamArn::Format() const {
  return TableArn(region, table, account) + "/stream/" + label;
}

Result<StreamArn> StreamArn::Parse(std::string_view arn) {
  constexpr std::string_view kTable = ":table/", kStream = "/stream/";
  size_t t = arn.find(kTable);
  size_t s = arn.find(kStream);
  if (!arn.starts_with("arn:") || t == std::string_view::npos ||
      s == std::string_view::npos || s <= t + kTable.size()) {
    return Validation("Invalid StreamArn");
  }
  StreamArn out;
  out.table = std::string(arn.substr(t + kTable.size(), s - t - kTable.size()));
  out.label = std::string(arn.substr(s + kStream.size()));
  out.region.clear();
  out.account.clear();
  // arn:partition:service:region:account
  std::vector<std::string_view> parts;
  std::string_view prefix = arn.substr(0, t);
  for (size_t colon; (colon = prefix.find(':')) != std::string_view::npos;) {
    parts.push_back(prefix.substr(0, colon));
    prefix.remove_prefix(colon + 1);
  }
  parts.push_back(prefix);
  if (parts.size() == 5) {
    out.region = std::string(parts[3]);
    out.account = std::string(parts[4]);
  }
  return out;
}

std::string EncodeShardIterator(const ShardIterator& it) {
  assert(it.after < UINT64_MAX);
  assert(!it.shard_id.empty() && it.shard_id.size() <= 128 &&
         it.shard_id.find(kUs) == std::string::npos);
  const bool v1 = it.shard_id == kSingleShardId && it.issued_micros == 0 &&
                  it.reader == 0 && it.empties == 0;
  std::string raw(v1 ? kV1 : kV2);
  raw += kUs;
  raw += it.kind == ShardIterator::Kind::kTrimHorizon ? 'T' : 'A';
  raw += kUs;
  raw += std::to_string(it.after);
  raw += kUs;
  if (!v1) {
    raw += it.shard_id;
    raw += kUs;
    raw += std::to_string(
        static_cast<uint64_t>(std::max<int64_t>(0, it.issued_micros)));
    raw += kUs;
    raw += std::to_string(it.reader);
    raw += kUs;
    raw += std::to_string(it.empties);
    raw += kUs;
  }
  raw += it.table;
  std::string out;
  Base64Encode(raw, &out);
  return out;
}

Result<ShardIterator> DecodeShardIterator(std::string_view text) {
  Status bad = Validation("Invalid ShardIterator");
  Result<std::string> raw = Base64Decode(text);
  if (!raw.ok()) return bad;
  std::string_view r = *raw;
  // version US kind US
  if (r.size() < 5 || (r.substr(0, 2) != kV1 && r.substr(0, 2) != kV2) ||
      r[2] != kUs || r[4] != kUs) {
    return bad;
  }
  const bool v2 = r.substr(0, 2) == kV2;
  ShardIterator it;
  if (r[3] == 'T') {
    it.kind = ShardIterator::Kind::kTrimHorizon;
  } else if (r[3] == 'A') {
    it.kind = ShardIterator::Kind::kAfter;
  } else {
    return bad;
  }
  r.remove_prefix(5);
  // The next field, up to a US; nullopt if there is none.
  auto field = [&r]() -> std::optional<std::string_view> {
    size_t us = r.find(kUs);
    if (us == std::string_view::npos) return std::nullopt;
    std::string_view f = r.substr(0, us);
    r.remove_prefix(us + 1);
    return f;
  };
  std::optional<std::string_view> f = field();
  if (!f) return bad;
  std::optional<uint64_t> seq = ParseCanonicalU64(*f);
  // 2^64 - 1 cannot be continued: the next sequence would wrap to 0.
  if (!seq || *seq == UINT64_MAX) return bad;
  it.after = *seq;
  if (v2) {
    std::optional<std::string_view> shard = field();
    if (!shard || shard->empty() || shard->size() > 128) return bad;
    it.shard_id = std::string(*shard);
    std::optional<std::string_view> issued = field(), reader = field(),
                                    empties = field();
    if (!issued || !reader || !empties) return bad;
    std::optional<uint64_t> i = ParseCanonicalU64(*issued);
    std::optional<uint64_t> rd = ParseCanonicalU64(*reader);
    std::optional<uint64_t> e = ParseCanonicalU64(*empties);
    if (!i || *i > static_cast<uint64_t>(INT64_MAX) || !rd || !e ||
        *e > UINT32_MAX) {
      return bad;
    }
    it.issued_micros = static_cast<int64_t>(*i);
    it.reader = *rd;
    it.empties = static_cast<uint32_t>(*e);
  }
  it.table = std::string(r);
  if (it.table.empty()) return bad;
  return it;
}

std::string SequenceNumberString(uint64_t seq) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%021" PRIu64, seq);
  return buf;
}

Result<uint64_t> ParseSequenceNumber(std::string_view s) {
  if (s.empty() || s.size() > 40) return Validation("Invalid SequenceNumber");
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return Validation("Invalid SequenceNumber");
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return Validation("Invalid SequenceNumber");
    v = v * 10 + d;
  }
  return v;
}

// ---- SequenceCodec
// -------------------------------------------------------------

Result<uint64_t> SequenceCodec::ToU64(std::string_view seq) {
  size_t i = 0;
  while (i + 1 < seq.size() && seq[i] == '0') ++i;
  seq.remove_prefix(i);
  if (seq.empty() || seq.size() > 40 ||
      seq.find_first_not_of("0123456789") != std::string_view::npos) {
    return Status::Unavailable("stream of " + table_ +
                               ": malformed sequence number \"" +
                               std::string(seq) + "\"");
  }
  std::string_view high, low = seq;
  if (seq.size() > 19) {
    high = seq.substr(0, seq.size() - 19);
    low = seq.substr(seq.size() - 19);
  }
  if (!known_) {
    high_ = std::string(high);
    known_ = true;
  } else if (high != high_) {
    return Status::FailedPrecondition(
        "stream of " + table_ + ": sequence number " + std::string(seq) +
        " is more than 10^19 away from the stream's first (" +
        (high_.empty() ? "0" : high_) +
        "...); godwit's positions cannot represent this stream");
  }
  uint64_t v = 0;
  for (char c : low) v = v * 10 + static_cast<uint64_t>(c - '0');
  return v;
}

std::string SequenceCodec::FromU64(uint64_t v) const {
  if (high_.empty()) return std::to_string(v);
  std::string low = std::to_string(v);
  return high_ + std::string(19 - low.size(), '0') + low;
}

}  // namespace godwit::wire
