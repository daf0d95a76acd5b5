// See sketch.h.
#include "ops/sketch.h"

#include <xxhash.h>

#include <algorithm>
#include <bit>
#include <cmath>

namespace godwit::ops {

SpaceSaving::SpaceSaving(size_t capacity)
    : capacity_(capacity == 0 ? 1 : capacity) {
  counters_.reserve(capacity_);
  heap_.reserve(capacity_);
  position_.reserve(capacity_);
}

void SpaceSaving::Swap(size_t a, size_t b) {
  std::swap(heap_[a], heap_[b]);
  position_[heap_[a]] = a;
  position_[heap_[b]] = b;
}

void SpaceSaving::SiftUp(size_t pos) {
  while (pos > 0) {
    size_t parent = (pos - 1) / 2;
    if (counters_[heap_[parent]].weight <= counters_[heap_[pos]].weight) break;
    Swap(parent, pos);
    pos = parent;
  }
}

void SpaceSaving::SiftDown(size_t pos) {
  const size_t n = heap_.size();
  while (true) {
    size_t l = 2 * pos + 1, r = l + 1, least = pos;
    if (l < n && counters_[heap_[l]].weight < counters_[heap_[least]].weight) {
      least = l;
    }
    if (r < n && counters_[heap_[r]].weight < counters_[heap_[least]].weight) {
      least = r;
    }
    if (least == pos) return;
    Swap(pos, least);
    pos = least;
  }
}

void SpaceSaving::Add(std::string_view key, uint64_t weight) {
  total_ += weight;
  auto it = index_.find(std::string(key));
  if (it != index_.end()) {
    counters_[it->second].weight += weight;
    SiftDown(position_[it->second]);
    return;
  }
  if (counters_.size() < capacity_) {
    size_t i = counters_.size();
    counters_.push_back(Entry{std::string(key), weight, 0});
    heap_.push_back(i);
    position_.push_back(heap_.size() - 1);
    index_.emplace(std::string(key), i);
    SiftUp(heap_.size() - 1);
    return;
  }
  // Replace the lightest counter: the new key inherits its weight as error.
  evicted_ = true;
  size_t i = heap_[0];
  Entry& e = counters_[i];
  index_.erase(e.key);
  e.key.assign(key);
  e.error = e.weight;
  e.weight += weight;
  index_.emplace(e.key, i);
  SiftDown(0);
}

void SpaceSaving::Merge(const SpaceSaving& other) {
  // A key missing from a full summary may have had up to its minimum.
  auto floor_of = [](const SpaceSaving& s) -> uint64_t {
    if (s.counters_.size() < s.capacity_ || s.heap_.empty()) return 0;
    return s.counters_[s.heap_[0]].weight;
  };
  const uint64_t mine_floor = floor_of(*this);
  const uint64_t other_floor = floor_of(other);
  std::unordered_map<std::string, Entry> all;
  for (const Entry& e : counters_) all.emplace(e.key, e);
  for (const Entry& e : other.counters_) {
    auto it = all.find(e.key);
    if (it == all.end()) {
      all.emplace(e.key,
                  Entry{e.key, e.weight + mine_floor, e.error + mine_floor});
    } else {
      it->second.weight += e.weight;
      it->second.error += e.error;
    }
  }
  for (Entry& e : counters_) {
    if (!other.index_.count(e.key)) {
      Entry& m = all[e.key];
      m.weight += other_floor;
      m.error += other_floor;
    }
  }
  std::vector<Entry> merged;
  merged.reserve(all.size());
  for (auto& [k, e] : all) merged.push_back(std::move(e));
  std::sort(merged.begin(), merged.end(), [](const Entry& a, const Entry& b) {
    return a.weight != b.weight ? a.weight > b.weight : a.key < b.key;
  });
  const bool evicted = evicted_ || other.evicted_ || merged.size() > capacity_;
  if (merged.size() > capacity_) merged.resize(capacity_);
  uint64_t total = total_ + other.total_;
  counters_.clear();
  heap_.clear();
  position_.clear();
  index_.clear();
  for (Entry& e : merged) {
    size_t i = counters_.size();
    index_.emplace(e.key, i);
    counters_.push_back(std::move(e));
    heap_.push_back(i);
    position_.push_back(i);
  }
  for (size_t i = heap_.size() / 2 + 1; i-- > 0;) {
    if (i < heap_.size()) SiftDown(i);
  }
  total_ = total;
  evicted_ = evicted;
}

std::vector<SpaceSaving::Entry> SpaceSaving::Top(size_t n) const {
  std::vector<Entry> out = counters_;
  std::sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) {
    return a.weight != b.weight ? a.weight > b.weight : a.key < b.key;
  });
  if (out.size() > n) out.resize(n);
  return out;
}

// ---------------------------------------------------------------- HLL

HyperLogLog::HyperLogLog() : registers_(size_t{1} << kPrecision, 0) {}

void HyperLogLog::AddHash(uint64_t hash) {
  const size_t index = hash >> (64 - kPrecision);
  const uint64_t rest = hash << kPrecision;
  const int rank = rest == 0 ? 64 - kPrecision + 1 : std::countl_zero(rest) + 1;
  if (registers_[index] < rank) registers_[index] = static_cast<uint8_t>(rank);
}

void HyperLogLog::Add(std::string_view bytes) {
  AddHash(XXH3_64bits(bytes.data(), bytes.size()));
}

void HyperLogLog::Merge(const HyperLogLog& other) {
  for (size_t i = 0; i < registers_.size(); ++i) {
    registers_[i] = std::max(registers_[i], other.registers_[i]);
  }
}

uint64_t HyperLogLog::Estimate() const {
  const double m = static_cast<double>(registers_.size());
  double sum = 0;
  size_t zeros = 0;
  for (uint8_t r : registers_) {
    sum += std::ldexp(1.0, -r);
    if (r == 0) ++zeros;
  }
  const double alpha = 0.7213 / (1 + 1.079 / m);
  double e = alpha * m * m / sum;
  if (e <= 2.5 * m && zeros > 0) e = m * std::log(m / zeros);
  return static_cast<uint64_t>(std::llround(e));
}

}  // namespace godwit::ops
