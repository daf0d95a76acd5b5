// Sequence numbers and stream cursors; the cursor grammar is in
// include/godwit/stream_cursor.h and docs/formats/stream-cursor.md.
#include "godwit/stream_cursor.h"

#include <algorithm>

namespace godwit {
namespace {

constexpr size_t kMaxDigits = 40;
constexpr size_t kMaxShardId = 128;

bool ValidShardId(std::string_view id) {
  if (id.empty() || id.size() > kMaxShardId || id == "-") return false;
  for (char c : id) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '.' || c == ':' ||
              c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

SequenceNumber SequenceNumber::FromU64(uint64_t v) {
  SequenceNumber s;
  if (v != 0) s.digits_ = std::to_string(v);
  return s;
}

Result<SequenceNumber> SequenceNumber::Parse(std::string_view text) {
  if (text.empty()) {
    return Status::InvalidArgument("empty sequence number");
  }
  if (text.find_first_not_of("0123456789") != std::string_view::npos) {
    return Status::InvalidArgument("sequence number \"" + std::string(text) +
                                   "\" is not a decimal number");
  }
  size_t i = text.find_first_not_of('0');
  if (i == std::string_view::npos) {
    return Status::InvalidArgument("sequence number 0 is not a record's");
  }
  if (text.size() - i > kMaxDigits) {
    return Status::InvalidArgument("sequence number \"" + std::string(text) +
                                   "\" has more than 40 digits");
  }
  SequenceNumber s;
  s.digits_ = std::string(text.substr(i));
  return s;
}

std::optional<uint64_t> SequenceNumber::ToU64() const {
  if (digits_.empty() || digits_.size() > 20) return std::nullopt;
  uint64_t v = 0;
  for (char c : digits_) {
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

std::strong_ordering SequenceNumber::operator<=>(
    const SequenceNumber& o) const {
  if (digits_.size() != o.digits_.size()) {
    return digits_.size() <=> o.digits_.size();
  }
  int c = digits_.compare(o.digits_);
  return c < 0   ? std::strong_ordering::less
         : c > 0 ? std::strong_ordering::greater
                 : std::strong_ordering::equal;
}

const ShardPosition* StreamCursor::Find(std::string_view shard_id) const {
  auto it = std::lower_bound(shards_.begin(), shards_.end(), shard_id,
                             [](const ShardPosition& p, std::string_view id) {
                               return p.shard_id < id;
                             });
  if (it == shards_.end() || it->shard_id != shard_id) return nullptr;
  return &*it;
}

ShardPosition& StreamCursor::At(std::string_view shard_id) {
  auto it = std::lower_bound(shards_.begin(), shards_.end(), shard_id,
                             [](const ShardPosition& p, std::string_view id) {
                               return p.shard_id < id;
                             });
  if (it == shards_.end() || it->shard_id != shard_id) {
    ShardPosition p;
    p.shard_id = std::string(shard_id);
    it = shards_.insert(it, std::move(p));
  }
  return *it;
}

void StreamCursor::Erase(std::string_view shard_id) {
  shards_.erase(std::remove_if(shards_.begin(), shards_.end(),
                               [&](const ShardPosition& p) {
                                 return p.shard_id == shard_id;
                               }),
                shards_.end());
}

std::string StreamCursor::Encode() const {
  std::string out = "C1";
  for (const ShardPosition& p : shards_) {
    out += '\n';
    out += p.shard_id;
    out += ' ';
    out += p.parent_shard_id.empty() ? "-" : p.parent_shard_id;
    out += ' ';
    out += p.last.empty() ? "-" : p.last.text();
    out += p.done ? " 1" : " 0";
  }
  return out;
}

Result<StreamCursor> StreamCursor::Decode(std::string_view text) {
  auto bad = [](int line, std::string_view why) {
    return Status::DataLoss("stream cursor line " + std::to_string(line) +
                            ": " + std::string(why));
  };
  StreamCursor c;
  size_t at = 0;
  int line = 0;
  while (at <= text.size()) {
    size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    std::string_view l = text.substr(at, end - at);
    at = end + 1;
    ++line;
    if (line == 1) {
      if (l != "C1") return bad(line, "not a stream cursor (no \"C1\")");
      continue;
    }
    std::string_view f[4];
    size_t i = 0;
    int n = 0;
    for (; n < 4 && i <= l.size(); ++n) {
      size_t j = l.find(' ', i);
      if (j == std::string_view::npos) j = l.size();
      f[n] = l.substr(i, j - i);
      i = j + 1;
    }
    if (n != 4 || i <= l.size()) return bad(line, "not 4 fields");
    if (!ValidShardId(f[0])) return bad(line, "bad shard id");
    ShardPosition p;
    p.shard_id = std::string(f[0]);
    if (f[1] != "-") {
      if (!ValidShardId(f[1])) return bad(line, "bad parent shard id");
      p.parent_shard_id = std::string(f[1]);
    }
    if (f[2] != "-") {
      Result<SequenceNumber> s = SequenceNumber::Parse(f[2]);
      if (!s.ok()) return bad(line, s.status().message());
      if (s->text() != f[2]) return bad(line, "sequence with leading zeros");
      p.last = *s;
    }
    if (f[3] != "0" && f[3] != "1") return bad(line, "done is not 0 or 1");
    p.done = f[3] == "1";
    if (!c.shards_.empty() && c.shards_.back().shard_id >= p.shard_id) {
      return bad(line, "shards not sorted, or a shard listed twice");
    }
    c.shards_.push_back(std::move(p));
  }
  if (line == 0) return bad(1, "empty");
  return c;
}

}  // namespace godwit
