// Bounded-memory summaries of a stream of keys, mergeable so that each scan
// thread keeps its own and the results are combined at the end:
//
//   - SpaceSaving: the heaviest keys (by count or by a weight such as bytes)
//     with at most `capacity` counters (Metwally, Agrawal, El Abbadi,
//     "Efficient computation of frequent and top-k elements in data
//     streams", 2005), merged as in Agarwal et al., "Mergeable summaries"
//     (2012). Every key whose true weight exceeds total/capacity is kept;
//     a kept key's reported weight is an upper bound, at most `error` over
//     the truth. While fewer than `capacity` distinct keys have been seen,
//     the weights are exact (error 0).
//   - HyperLogLog: the number of distinct keys, in 2^14 one-byte registers
//     (about 0.8% standard error; Flajolet et al. 2007, with linear counting
//     for small cardinalities).
//
// Thread safety: none; one summary per thread, Merge at the end.
#ifndef GODWIT_OPS_SKETCH_H_
#define GODWIT_OPS_SKETCH_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace godwit::ops {

class SpaceSaving {
 public:
  struct Entry {
    std::string key;
    uint64_t weight = 0;  // an upper bound of the key's true weight
    uint64_t error = 0;   // weight - error <= true weight <= weight
  };

  // REQUIRES: capacity >= 1.
  explicit SpaceSaving(size_t capacity);

  // Adds `weight` to `key`.
  void Add(std::string_view key, uint64_t weight = 1);
  // Combines `other` into this summary (same capacity or not); the result
  // keeps this summary's capacity.
  void Merge(const SpaceSaving& other);

  // The `n` heaviest entries, heaviest first (ties by key).
  std::vector<Entry> Top(size_t n) const;
  // Sum of all weights added (exact).
  uint64_t total() const { return total_; }
  size_t capacity() const { return capacity_; }
  // True while every key seen has its own counter (the weights are exact).
  bool exact() const { return !evicted_; }

 private:
  // An indexed min-heap over counters_ by weight: heap_[0] is the lightest.
  void SiftDown(size_t pos);
  void SiftUp(size_t pos);
  void Swap(size_t a, size_t b);

  size_t capacity_;
  uint64_t total_ = 0;
  bool evicted_ = false;
  std::vector<Entry> counters_;
  std::vector<size_t> heap_;      // indexes into counters_
  std::vector<size_t> position_;  // counters_[i] is at heap_[position_[i]]
  std::unordered_map<std::string, size_t> index_;
};

class HyperLogLog {
 public:
  static constexpr int kPrecision = 14;
  HyperLogLog();
  void AddHash(uint64_t hash);
  void Add(std::string_view bytes);
  void Merge(const HyperLogLog& other);
  uint64_t Estimate() const;

 private:
  std::vector<uint8_t> registers_;
};

}  // namespace godwit::ops

#endif  // GODWIT_OPS_SKETCH_H_
