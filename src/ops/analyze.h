// godwit analyze: what an operator should know about a table before
// migrating it, measured in one parallel segmented scan whose memory does
// not grow with the table (every summary is bounded; see sketch.h).
//
//   - items and bytes, by DynamoDB's item size rules (ItemSize);
//   - an item-size histogram, the largest items, those near the 400 KB limit;
//   - the hottest partition keys by items and by bytes (Space-Saving), the
//     number of partition keys (HyperLogLog) and a skew figure;
//   - the attribute inventory: each top-level attribute's types and how
//     often it is present; mixed types flagged;
//   - data-quality findings in key attributes and top-level string values
//     (S and SS members): edge white space, control and invisible
//     characters, text not in Unicode NFC, and keys that differ only by
//     normal form (text_check.h);
//   - and, from those figures, what a migration costs in DynamoDB capacity
//     units and how long it takes at a given budget (EstimateMigration).
//
// Example:
//   AnalyzeOptions o;
//   o.segments = 16; o.threads = 4;
//   ASSIGN_OR_RETURN(TableAnalysis a, AnalyzeTable(*table, o));
//   MigrationEstimate e = EstimateMigration(a, /*read=*/1000, /*write=*/500);
//   std::string json = AnalysisToJson(a);   // analysis.json, read back by
//                                           // AnalysisFromJson (plan, report)
#ifndef GODWIT_OPS_ANALYZE_H_
#define GODWIT_OPS_ANALYZE_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "godwit/item.h"
#include "godwit/status.h"
#include "godwit/store.h"

namespace godwit::ops {

struct AnalyzeOptions {
  int segments = 16;  // 1..1,000,000 scan segments
  int threads = 2;    // 1..256 scan threads
  size_t top = 10;    // hot keys, largest items shown (1..1000)
  // Counters of each heavy-hitter summary per thread (sketch.h): keys
  // heavier than 1/capacity of the table are always found.
  size_t sketch_capacity = 1024;
  // Distinct top-level attribute names tracked; further names are counted
  // together (attributes_untracked).
  size_t max_attributes = 1000;
  // Examples kept per data-quality finding.
  size_t examples = 3;
  // Keys not in NFC whose NFC form is then looked up (normal-form
  // collisions); more are counted, not looked up.
  size_t max_nfc_lookups = 1000;
  // About once a second from the calling thread: items and bytes so far.
  std::function<void(uint64_t items, uint64_t bytes)> on_progress;
  // Set: the scan stops and AnalyzeTable returns Cancelled.
  const std::atomic<bool>* cancel = nullptr;
  // Only scan and count the items (the rest of the result stays empty):
  // the plain scan analyze's cost is measured against.
  bool plain_scan = false;
};

// Item-size histogram edges in bytes: bucket i holds sizes in
// [kSizeEdges[i], kSizeEdges[i+1]); the last bucket is everything from
// 400 KB (over DynamoDB's limit: only a store that does not enforce it
// holds such items).
inline constexpr std::array<uint64_t, 16> kSizeEdges = {
    0,     128,   256,   512,    1024,   2048,   4096,   8192,
    16384, 32768, 65536, 131072, 262144, 327680, 368640, kMaxItemSize};
// 90% of DynamoDB's 400 KB item limit: items at or above it are "near".
inline constexpr uint64_t kNearLimitBytes = 368640;
// DynamoDB's per-partition throughput (developer guide, "Burst and adaptive
// capacity"): 3,000 read and 1,000 write units per second.
inline constexpr double kPartitionReadUnits = 3000;
inline constexpr double kPartitionWriteUnits = 1000;

struct SizedKey {
  std::string key;  // DynamoDB JSON of the item's key
  uint64_t bytes = 0;
};

struct HotKey {
  std::string key;     // DynamoDB JSON of the partition key value: {"S":"a"}
  uint64_t value = 0;  // items or bytes (an upper bound; see sketch.h)
  uint64_t error = 0;  // value - error <= true value
};

struct AttributeStats {
  std::string name;
  uint64_t items = 0;                  // items holding it
  std::array<uint64_t, 10> by_type{};  // indexed by AttrType
  bool key = false;                    // a key attribute
  // More than one type seen.
  bool mixed() const;
  // "S", "S 90% N 10%".
  std::string TypesText() const;
};

struct TextFinding {
  std::string attribute;
  std::string kind;  // TextIssueName, or "normal_form_collision"
  uint64_t count = 0;
  bool key = false;  // found in a key attribute
  // Examples: the item's key and the value as ShowText shows it.
  std::vector<std::pair<std::string, std::string>> examples;
};

struct TableAnalysis {
  std::string table;  // the physical table scanned
  std::string logical;
  KeySchema key_schema;
  int64_t analyzed_micros = 0;  // when (epoch microseconds)
  double seconds = 0;           // how long the scan took
  int segments = 0;
  int threads = 0;

  uint64_t items = 0;
  uint64_t bytes = 0;  // sum of ItemSize
  uint64_t min_item_bytes = 0;
  uint64_t max_item_bytes = 0;
  // Capacity units: a strongly consistent scan reads one unit per 4 KB of
  // items (sizes summed); writing each item takes one unit per 1 KB of it,
  // rounded up per item (DynamoDB developer guide, "Read/write capacity
  // mode": read and write request units).
  uint64_t read_units = 0;
  uint64_t write_units = 0;
  std::array<uint64_t, kSizeEdges.size()> size_histogram{};
  uint64_t near_limit_items = 0;  // >= kNearLimitBytes
  uint64_t over_limit_items = 0;  // > kMaxItemSize
  std::vector<SizedKey> largest;  // the `top` largest, largest first

  uint64_t partitions = 0;  // distinct partition keys (HyperLogLog)
  // The hot-key figures are exact (fewer distinct keys than the summaries
  // hold). Otherwise only keys certain to hold more than a mean key are
  // listed, with their bounds.
  bool hot_exact = false;
  std::vector<HotKey> hot_by_items;
  std::vector<HotKey> hot_by_bytes;
  // Items of the hottest partition key (its certain count) over the mean
  // per partition key: 1 even, 100 when the hottest holds 100 times its
  // share; 1 when no key stands out.
  double skew = 0;

  std::vector<AttributeStats> attributes;  // by name
  uint64_t attributes_untracked = 0;  // values of names past max_attributes

  std::vector<TextFinding> findings;  // by attribute, then kind
  uint64_t nfc_lookups_skipped = 0;
};

// Scans `table` (the one given: resolve a logical name first) and sums it
// up. Errors: InvalidArgument (options out of range); Cancelled; those of
// the scan (retryable ones are retried with backoff, 8 times).
Result<TableAnalysis> AnalyzeTable(Table& table, const AnalyzeOptions& o);

// What a migration of an analysed table costs and takes.
struct MigrationEstimate {
  double read_capacity = 0;           // budget, units/s; 0: none given
  double write_capacity = 0;          // budget, units/s; 0: none given
  uint64_t backfill_read_units = 0;   // scanning the source once
  uint64_t backfill_write_units = 0;  // writing every item once
  // Verify scans the source and the destination (assumed of the same size:
  // a transform that changes sizes changes this).
  uint64_t verify_read_units = 0;
  // Seconds at the budget (0 when no budget bounds it): the backfill is
  // bounded by the slower of its reads and writes; verify by reads.
  double backfill_seconds = 0;
  double verify_seconds = 0;
  std::string bottleneck;  // "reads", "writes", or "" without a budget
  // The hottest partition key's items are written one after another by
  // one scan segment: at kPartitionWriteUnits they take at least this long
  // if the destination keeps the partition key (0 without data).
  double hot_partition_seconds = 0;
};
MigrationEstimate EstimateMigration(const TableAnalysis& a,
                                    double read_capacity,
                                    double write_capacity);

// The saved form (docs/formats/analysis.md), and back.
std::string AnalysisToJson(const TableAnalysis& a);
// Errors: InvalidArgument naming the field.
Result<TableAnalysis> AnalysisFromJson(std::string_view json);
std::string EstimateToJson(const MigrationEstimate& e);

// Where `godwit analyze` keeps the analysis of `table`: <run
// dir>/analysis.json.
std::string AnalysisPath(const std::string& run_dir);

}  // namespace godwit::ops

#endif  // GODWIT_OPS_ANALYZE_H_
