// StreamLayout: see stream_layout.h for what a layout is. Its encoded form
// (also in docs/formats/stream-layout.md):
//
//   layout  := "L1" SP shards SP rotate_ms SP split_per_mille SP seed SP
//              epoch SP last_rotation_micros "\n" shard*
//   shard   := id SP parent SP hash_lo SP hash_hi SP first_seq SP last_seq
//              SP opened_micros SP closed_micros "\n"
//   parent  := "-" | id
//   last_seq, closed_micros := 0 while the shard is open
#include "server/stream_layout.h"

#include <xxhash.h>

#include <algorithm>
#include <charconv>
#include <cinttypes>
#include <cstdio>

#include "wire/stream_ids.h"

namespace godwit::server {
namespace {

uint64_t Mix(uint64_t a, uint64_t b) {
  uint64_t v[2] = {a, b};
  return XXH3_64bits(v, sizeof(v));
}

template <typename T>
bool ParseInt(std::string_view s, T* out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i <= line.size()) {
    size_t j = line.find(' ', i);
    if (j == std::string_view::npos) j = line.size();
    out.push_back(line.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

}  // namespace

Result<StreamLayout> StreamLayout::Start(const StreamLayoutOptions& opts,
                                         uint64_t first_seq,
                                         int64_t now_micros) {
  if (opts.shards < 1 || opts.shards > 1000) {
    return Status::InvalidArgument("stream shards must be 1..1000");
  }
  if (opts.rotate_micros < 0) {
    return Status::InvalidArgument("shard rotation period must be >= 0");
  }
  if (opts.split_per_mille < 0 || opts.split_per_mille > 1000) {
    return Status::InvalidArgument("split chance must be 0..1000 per mille");
  }
  StreamLayout l;
  l.opts_ = opts;
  l.last_rotation_micros_ = now_micros;
  // Equal hash ranges covering the whole 64-bit space.
  const unsigned __int128 space = static_cast<unsigned __int128>(1) << 64;
  for (int i = 0; i < opts.shards; ++i) {
    LayoutShard s;
    s.hash_lo = static_cast<uint64_t>(space * i / opts.shards);
    s.hash_hi = static_cast<uint64_t>(space * (i + 1) / opts.shards - 1);
    s.first_seq = first_seq;
    s.opened_micros = now_micros;
    s.id = opts.shards == 1 ? std::string(wire::kSingleShardId)
                            : l.NewId(now_micros, static_cast<uint64_t>(i));
    l.shards_.push_back(std::move(s));
  }
  return l;
}

std::string StreamLayout::NewId(int64_t now_micros, uint64_t salt) const {
  char buf[64];
  uint32_t tag = static_cast<uint32_t>(Mix(Mix(opts_.seed, epoch_), salt));
  std::snprintf(buf, sizeof(buf), "shardId-%020" PRId64 "-%08x",
                now_micros / 1000, tag);
  return buf;
}

Status StreamLayout::SetRotation(int64_t rotate_micros, int split_per_mille) {
  if (rotate_micros < 0) {
    return Status::InvalidArgument("shard rotation period must be >= 0");
  }
  if (split_per_mille < 0 || split_per_mille > 1000) {
    return Status::InvalidArgument("split chance must be 0..1000 per mille");
  }
  // The persisted form keeps milliseconds.
  opts_.rotate_micros = rotate_micros / 1000 * 1000;
  opts_.split_per_mille = split_per_mille;
  return Status::OK();
}

bool StreamLayout::RotationDue(int64_t now_micros) const {
  return opts_.rotate_micros > 0 &&
         now_micros - last_rotation_micros_ >= opts_.rotate_micros;
}

void StreamLayout::Rotate(uint64_t last_seq, int64_t now_micros) {
  ++epoch_;
  last_rotation_micros_ = now_micros;
  size_t open = 0;
  for (const LayoutShard& s : shards_) open += s.open();
  const size_t cap = 2 * static_cast<size_t>(opts_.shards);
  std::vector<LayoutShard> children;
  uint64_t salt = 0;
  for (LayoutShard& s : shards_) {
    if (!s.open()) continue;
    s.closed_micros = std::max<int64_t>(now_micros, s.opened_micros + 1);
    s.last_seq = std::max(last_seq, s.first_seq - 1);
    bool split = s.hash_hi > s.hash_lo && open < cap &&
                 Mix(Mix(opts_.seed, epoch_), s.hash_lo) % 1000 <
                     static_cast<uint64_t>(opts_.split_per_mille);
    auto child = [&](uint64_t lo, uint64_t hi) {
      LayoutShard c;
      c.parent = s.id;
      c.hash_lo = lo;
      c.hash_hi = hi;
      c.first_seq = s.last_seq + 1;
      c.opened_micros = s.closed_micros;
      c.id = NewId(now_micros, salt++);
      children.push_back(std::move(c));
    };
    if (split) {
      uint64_t mid = s.hash_lo + (s.hash_hi - s.hash_lo) / 2;
      child(s.hash_lo, mid);
      child(mid + 1, s.hash_hi);
      ++open;
    } else {
      child(s.hash_lo, s.hash_hi);
    }
  }
  for (LayoutShard& c : children) shards_.push_back(std::move(c));
}

const LayoutShard* StreamLayout::Find(uint64_t seq, uint64_t hash) const {
  for (const LayoutShard& s : shards_) {
    if (s.Holds(seq, hash)) return &s;
  }
  return nullptr;
}

const LayoutShard* StreamLayout::Get(std::string_view id) const {
  for (const LayoutShard& s : shards_) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

const LayoutShard* StreamLayout::OpenShardOf(uint64_t hash) const {
  for (const LayoutShard& s : shards_) {
    if (s.open() && hash >= s.hash_lo && hash <= s.hash_hi) return &s;
  }
  return nullptr;
}

size_t StreamLayout::Forget(int64_t cutoff_micros) {
  size_t before = shards_.size();
  shards_.erase(std::remove_if(shards_.begin(), shards_.end(),
                               [&](const LayoutShard& s) {
                                 return !s.open() &&
                                        s.closed_micros < cutoff_micros;
                               }),
                shards_.end());
  return before - shards_.size();
}

std::string StreamLayout::Encode() const {
  char head[256];
  std::snprintf(head, sizeof(head),
                "L1 %d %" PRId64 " %d %" PRIu64 " %" PRIu64 " %" PRId64 "\n",
                opts_.shards, opts_.rotate_micros / 1000, opts_.split_per_mille,
                opts_.seed, epoch_, last_rotation_micros_);
  std::string out = head;
  for (const LayoutShard& s : shards_) {
    char line[512];
    std::snprintf(line, sizeof(line),
                  "%s %s %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
                  " %" PRId64 " %" PRId64 "\n",
                  s.id.c_str(), s.parent.empty() ? "-" : s.parent.c_str(),
                  s.hash_lo, s.hash_hi, s.first_seq, s.open() ? 0 : s.last_seq,
                  s.opened_micros, s.closed_micros);
    out += line;
  }
  return out;
}

Result<StreamLayout> StreamLayout::Decode(std::string_view text) {
  StreamLayout l;
  int n = 0;
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(at, end - at);
    at = end + 1;
    ++n;
    auto bad = [&](std::string_view why) {
      return Status::DataLoss("stream layout line " + std::to_string(n) + ": " +
                              std::string(why));
    };
    std::vector<std::string_view> f = Fields(line);
    if (n == 1) {
      int64_t rotate_ms = 0;
      if (f.size() != 7 || f[0] != "L1" || !ParseInt(f[1], &l.opts_.shards) ||
          !ParseInt(f[2], &rotate_ms) ||
          !ParseInt(f[3], &l.opts_.split_per_mille) ||
          !ParseInt(f[4], &l.opts_.seed) || !ParseInt(f[5], &l.epoch_) ||
          !ParseInt(f[6], &l.last_rotation_micros_)) {
        return bad("not a layout header");
      }
      l.opts_.rotate_micros = rotate_ms * 1000;
      continue;
    }
    LayoutShard s;
    if (f.size() != 8 || f[0].rfind("shardId-", 0) != 0 ||
        !ParseInt(f[2], &s.hash_lo) || !ParseInt(f[3], &s.hash_hi) ||
        !ParseInt(f[4], &s.first_seq) || !ParseInt(f[5], &s.last_seq) ||
        !ParseInt(f[6], &s.opened_micros) ||
        !ParseInt(f[7], &s.closed_micros) || s.hash_lo > s.hash_hi ||
        s.closed_micros < 0 ||
        (s.closed_micros > 0 && s.last_seq + 1 < s.first_seq)) {
      return bad("not a shard");
    }
    s.id = std::string(f[0]);
    if (f[1] != "-") s.parent = std::string(f[1]);
    l.shards_.push_back(std::move(s));
  }
  if (n == 0) return Status::DataLoss("stream layout: empty");
  return l;
}

uint64_t StreamLayout::KeyHash(const AttributeValue& partition_key) {
  std::string bytes;
  AppendOrderedKeyBytes(partition_key, &bytes);
  return XXH3_64bits(bytes.data(), bytes.size());
}

}  // namespace godwit::server
