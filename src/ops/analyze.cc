// See analyze.h. One accumulator per scan thread, merged at the end; each
// holds only bounded summaries (heavy-hitter sketches, a HyperLogLog, the
// N largest items, capped attribute and finding tables), so memory does not
// grow with the table.
#include "ops/analyze.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "godwit/json.h"
#include "ops/sketch.h"
#include "ops/text_check.h"

namespace godwit::ops {

bool AttributeStats::mixed() const {
  int types = 0;
  for (uint64_t n : by_type) types += n > 0 ? 1 : 0;
  return types > 1;
}

std::string AttributeStats::TypesText() const {
  std::string out;
  uint64_t total = 0;
  for (uint64_t n : by_type) total += n;
  for (size_t t = 0; t < by_type.size(); ++t) {
    if (by_type[t] == 0) continue;
    if (!out.empty()) out += " ";
    out += AttrTypeName(static_cast<AttrType>(t));
    if (mixed()) {
      char buf[32];
      std::snprintf(buf, sizeof(buf), " %.1f%%", 100.0 * by_type[t] / total);
      out += buf;
    }
  }
  return out;
}

std::string AnalysisPath(const std::string& run_dir) {
  return run_dir + "/analysis.json";
}

namespace {

using Clock = std::chrono::steady_clock;

std::string KeyJson(const Key& key, const KeySchema& schema) {
  return ItemToJson(KeyToItem(key, schema));
}

std::string ValueJson(const AttributeValue& v) {
  std::string out;
  WriteValueJson(v, &out);
  return out;
}

size_t BucketOf(uint64_t size) {
  auto it = std::upper_bound(kSizeEdges.begin(), kSizeEdges.end(), size);
  return static_cast<size_t>(it - kSizeEdges.begin()) - 1;
}

// A key whose strings are not in NFC, with its NFC form (looked up after
// the scan: if both exist, the table holds the same text twice).
struct NfcCandidate {
  std::string key_json;
  Key normalized;
  std::string attribute;  // the key attribute that was not in NFC
};

struct Accumulator {
  explicit Accumulator(const AnalyzeOptions& o, const KeySchema& schema)
      : opts(o),
        schema(schema),
        by_items(o.sketch_capacity),
        by_bytes(o.sketch_capacity) {}

  const AnalyzeOptions& opts;
  const KeySchema& schema;
  uint64_t items = 0, bytes = 0, write_units = 0;
  uint64_t min_size = UINT64_MAX, max_size = 0;
  std::array<uint64_t, kSizeEdges.size()> histogram{};
  uint64_t near = 0, over = 0;
  std::vector<SizedKey> largest;  // a min-heap by bytes
  HyperLogLog partitions;
  SpaceSaving by_items, by_bytes;
  std::map<std::string, AttributeStats> attributes;
  uint64_t untracked = 0;
  std::map<std::pair<std::string, std::string>, TextFinding> findings;
  std::vector<NfcCandidate> nfc;
  uint64_t nfc_skipped = 0;

  static bool Lighter(const SizedKey& a, const SizedKey& b) {
    return a.bytes > b.bytes;  // std heap functions: min-heap by bytes
  }

  bool IsKey(const std::string& name) const {
    return name == schema.hash.name ||
           (schema.range && name == schema.range->name);
  }

  void Finding(const std::string& attr, std::string_view kind, bool key,
               const Item& item, const std::string& shown) {
    TextFinding& f = findings[{attr, std::string(kind)}];
    if (f.count == 0) {
      f.attribute = attr;
      f.kind = std::string(kind);
      f.key = key;
    }
    ++f.count;
    if (f.examples.size() < opts.examples) {
      Result<Key> k = ExtractKey(item, schema);
      f.examples.emplace_back(k.ok() ? KeyJson(*k, schema) : DebugString(item),
                              shown);
    }
  }

  // Returns the issues of `s`, recording them.
  uint32_t CheckString(const std::string& attr, bool key, const Item& item,
                       const std::string& s) {
    uint32_t issues = CheckText(s);
    for (uint32_t bit = 1; bit < (1u << kTextIssueKinds); bit <<= 1) {
      if (issues & bit)
        Finding(attr, TextIssueName(bit), key, item, ShowText(s));
    }
    return issues;
  }

  void Add(const Item& item) {
    const uint64_t size = ItemSize(item);
    ++items;
    bytes += size;
    write_units += std::max<uint64_t>(1, (size + 1023) / 1024);
    min_size = std::min(min_size, size);
    max_size = std::max(max_size, size);
    ++histogram[BucketOf(size)];
    if (size >= kNearLimitBytes) ++near;
    if (size > kMaxItemSize) ++over;
    if (largest.size() < opts.top || size > largest.front().bytes) {
      Result<Key> k = ExtractKey(item, schema);
      SizedKey sk{k.ok() ? KeyJson(*k, schema) : DebugString(item), size};
      if (largest.size() < opts.top) {
        largest.push_back(std::move(sk));
        std::push_heap(largest.begin(), largest.end(), Lighter);
      } else {
        std::pop_heap(largest.begin(), largest.end(), Lighter);
        largest.back() = std::move(sk);
        std::push_heap(largest.begin(), largest.end(), Lighter);
      }
    }
    if (const AttributeValue* pk = item.Find(schema.hash.name);
        pk != nullptr && (pk->is(AttrType::kS) || pk->is(AttrType::kN) ||
                          pk->is(AttrType::kB))) {
      std::string ordered;
      AppendOrderedKeyBytes(*pk, &ordered);
      partitions.Add(ordered);
      std::string shown = ValueJson(*pk);
      by_items.Add(shown, 1);
      by_bytes.Add(shown, size);
    }
    bool key_not_nfc = false;
    for (const auto& [name, v] : item) {
      auto it = attributes.find(name);
      if (it == attributes.end()) {
        if (attributes.size() >= opts.max_attributes) {
          ++untracked;
          continue;
        }
        it = attributes.emplace(name, AttributeStats{}).first;
        it->second.name = name;
        it->second.key = IsKey(name);
      }
      AttributeStats& st = it->second;
      ++st.items;
      ++st.by_type[static_cast<size_t>(v.type())];
      if (v.is(AttrType::kS)) {
        uint32_t issues = CheckString(name, st.key, item, v.s());
        if (st.key && (issues & kNotNfc)) key_not_nfc = true;
      } else if (v.is(AttrType::kSS)) {
        for (const std::string& m : v.ss()) CheckString(name, false, item, m);
      }
    }
    if (key_not_nfc) {
      if (nfc.size() >= opts.max_nfc_lookups) {
        ++nfc_skipped;
        return;
      }
      Result<Key> k = ExtractKey(item, schema);
      if (!k.ok()) return;
      Key n = *k;
      auto normalize = [](AttributeValue* v) {
        if (!v->is(AttrType::kS)) return;
        if (std::optional<std::string> s = NfcOf(v->s())) {
          *v = AttributeValue::S(std::move(*s));
        }
      };
      normalize(&n.hash);
      if (n.range) normalize(&*n.range);
      std::string attr =
          n.hash != k->hash ? schema.hash.name : schema.range->name;
      nfc.push_back(
          NfcCandidate{KeyJson(*k, schema), std::move(n), std::move(attr)});
    }
  }

  void Merge(Accumulator& o) {
    items += o.items;
    bytes += o.bytes;
    write_units += o.write_units;
    min_size = std::min(min_size, o.min_size);
    max_size = std::max(max_size, o.max_size);
    for (size_t i = 0; i < histogram.size(); ++i)
      histogram[i] += o.histogram[i];
    near += o.near;
    over += o.over;
    for (SizedKey& k : o.largest) {
      if (largest.size() < opts.top) {
        largest.push_back(std::move(k));
        std::push_heap(largest.begin(), largest.end(), Lighter);
      } else if (k.bytes > largest.front().bytes) {
        std::pop_heap(largest.begin(), largest.end(), Lighter);
        largest.back() = std::move(k);
        std::push_heap(largest.begin(), largest.end(), Lighter);
      }
    }
    partitions.Merge(o.partitions);
    by_items.Merge(o.by_items);
    by_bytes.Merge(o.by_bytes);
    for (auto& [name, st] : o.attributes) {
      auto it = attributes.find(name);
      if (it == attributes.end()) {
        if (attributes.size() >= opts.max_attributes) {
          untracked += st.items;
          continue;
        }
        attributes.emplace(name, st);
        continue;
      }
      it->second.items += st.items;
      for (size_t t = 0; t < st.by_type.size(); ++t) {
        it->second.by_type[t] += st.by_type[t];
      }
    }
    untracked += o.untracked;
    for (auto& [k, f] : o.findings) {
      TextFinding& mine = findings[k];
      if (mine.count == 0) {
        mine = std::move(f);
        continue;
      }
      mine.count += f.count;
      for (auto& e : f.examples) {
        if (mine.examples.size() < opts.examples) {
          mine.examples.push_back(std::move(e));
        }
      }
    }
    for (NfcCandidate& c : o.nfc) {
      if (nfc.size() < opts.max_nfc_lookups) {
        nfc.push_back(std::move(c));
      } else {
        ++nfc_skipped;
      }
    }
    nfc_skipped += o.nfc_skipped;
  }
};

Status ValidateOptions(const AnalyzeOptions& o) {
  if (o.segments < 1 || o.segments > 1000000) {
    return Status::InvalidArgument("segments must be from 1 to 1000000, not " +
                                   std::to_string(o.segments));
  }
  if (o.threads < 1 || o.threads > 256) {
    return Status::InvalidArgument("threads must be from 1 to 256, not " +
                                   std::to_string(o.threads));
  }
  if (o.top < 1 || o.top > 1000) {
    return Status::InvalidArgument("top must be from 1 to 1000, not " +
                                   std::to_string(o.top));
  }
  if (o.sketch_capacity < o.top) {
    return Status::InvalidArgument("sketch capacity must be at least top");
  }
  return Status::OK();
}

// One scan call, retrying what the store says to retry.
Result<Page> ScanWithRetry(Table& t, const ScanOptions& so) {
  for (int attempt = 0;; ++attempt) {
    Result<Page> p = t.Scan(so);
    if (p.ok() || !p.status().retryable() || attempt >= 8) return p;
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::min(2000, 25 << attempt)));
  }
}

}  // namespace

Result<TableAnalysis> AnalyzeTable(Table& table, const AnalyzeOptions& o) {
  RETURN_IF_ERROR(ValidateOptions(o));
  const KeySchema schema = table.key_schema();
  const auto t0 = Clock::now();
  const int threads = std::min(o.threads, o.segments);
  std::vector<std::unique_ptr<Accumulator>> acc;
  for (int i = 0; i < threads; ++i) {
    acc.push_back(std::make_unique<Accumulator>(o, schema));
  }
  std::atomic<int> next_segment{0};
  std::atomic<uint64_t> items_seen{0}, bytes_seen{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  std::condition_variable cv;
  int running = threads;  // GUARDED_BY(mu)
  Status first_error;     // GUARDED_BY(mu)
  auto stop_requested = [&] {
    return failed.load() || (o.cancel != nullptr && o.cancel->load());
  };
  auto worker = [&](Accumulator* a) {
    Status s;
    while (s.ok() && !stop_requested()) {
      int seg = next_segment.fetch_add(1);
      if (seg >= o.segments) break;
      ScanOptions so;
      so.segment = seg;
      so.total_segments = o.segments;
      while (!stop_requested()) {
        Result<Page> page = ScanWithRetry(table, so);
        if (!page.ok()) {
          s = page.status();
          break;
        }
        uint64_t b0 = a->bytes;
        if (o.plain_scan) {
          a->items += page->items.size();
        } else {
          for (const Item& item : page->items) a->Add(item);
        }
        items_seen.fetch_add(page->items.size());
        bytes_seen.fetch_add(a->bytes - b0);
        if (page->next_page_token.empty()) break;
        so.page_token = std::move(page->next_page_token);
      }
    }
    std::lock_guard lock(mu);
    if (!s.ok() && first_error.ok()) {
      first_error = s;
      failed.store(true);
    }
    --running;
    cv.notify_all();
  };
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i) pool.emplace_back(worker, acc[i].get());
  {
    std::unique_lock lock(mu);
    auto last = Clock::now();
    while (running > 0) {
      cv.wait_for(lock, std::chrono::milliseconds(200));
      if (o.on_progress && Clock::now() - last >= std::chrono::seconds(1)) {
        last = Clock::now();
        lock.unlock();
        o.on_progress(items_seen.load(), bytes_seen.load());
        lock.lock();
      }
    }
  }
  for (std::thread& t : pool) t.join();
  if (!first_error.ok()) return first_error;
  if (o.cancel != nullptr && o.cancel->load()) {
    return Status::Cancelled("analyze interrupted");
  }
  if (o.plain_scan) {
    TableAnalysis r;
    r.table = r.logical = table.name();
    r.key_schema = schema;
    r.segments = o.segments;
    r.threads = threads;
    for (const auto& a : acc) r.items += a->items;
    r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    return r;
  }
  for (int i = 1; i < threads; ++i) acc[0]->Merge(*acc[i]);
  Accumulator& a = *acc[0];

  TableAnalysis r;
  r.table = table.name();
  r.logical = table.name();
  r.key_schema = schema;
  r.analyzed_micros = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  r.segments = o.segments;
  r.threads = threads;
  r.items = a.items;
  r.bytes = a.bytes;
  r.min_item_bytes = a.items ? a.min_size : 0;
  r.max_item_bytes = a.max_size;
  r.read_units = (a.bytes + 4095) / 4096;
  r.write_units = a.write_units;
  r.size_histogram = a.histogram;
  r.near_limit_items = a.near;
  r.over_limit_items = a.over;
  r.largest = std::move(a.largest);
  std::sort(r.largest.begin(), r.largest.end(),
            [](const SizedKey& x, const SizedKey& y) {
              return x.bytes != y.bytes ? x.bytes > y.bytes : x.key < y.key;
            });
  r.partitions = a.partitions.Estimate();
  // HyperLogLog may count a few fewer keys than the sketch holds exactly.
  if (a.by_items.exact()) {
    r.partitions = std::min<uint64_t>(r.partitions, a.items);
    r.partitions =
        std::max<uint64_t>(r.partitions, a.by_items.Top(SIZE_MAX).size());
  }
  r.hot_exact = a.by_items.exact() && a.by_bytes.exact();
  // Once the summaries have evicted keys, a listed key is only known to
  // hold between value - error and value: list the keys that certainly
  // hold more than a mean key (the rest is noise of the summary).
  const double parts = std::max<double>(1, static_cast<double>(r.partitions));
  const double mean_items = r.items / parts, mean_bytes = r.bytes / parts;
  for (const SpaceSaving::Entry& e : a.by_items.Top(o.top)) {
    if (a.by_items.exact() || e.weight - e.error > mean_items) {
      r.hot_by_items.push_back(HotKey{e.key, e.weight, e.error});
    }
  }
  for (const SpaceSaving::Entry& e : a.by_bytes.Top(o.top)) {
    if (a.by_bytes.exact() || e.weight - e.error > mean_bytes) {
      r.hot_by_bytes.push_back(HotKey{e.key, e.weight, e.error});
    }
  }
  if (r.items > 0) {
    // The certain share of the hottest key over a mean key's (at least 1).
    r.skew = r.hot_by_items.empty() ? 1
                                    : std::max(1.0, (r.hot_by_items[0].value -
                                                     r.hot_by_items[0].error) /
                                                        mean_items);
  }
  for (auto& [name, st] : a.attributes) r.attributes.push_back(st);
  r.attributes_untracked = a.untracked;
  // Normal-form collisions: the NFC spelling of a key that is not in NFC
  // is in the table too.
  std::map<std::string, TextFinding> collisions;
  for (const NfcCandidate& c : a.nfc) {
    Result<std::optional<Item>> got = table.Get(c.normalized);
    if (!got.ok()) return got.status();
    if (!got->has_value()) continue;
    TextFinding& f = collisions[c.attribute];
    f.attribute = c.attribute;
    f.kind = "normal_form_collision";
    f.key = true;
    ++f.count;
    if (f.examples.size() < o.examples) {
      f.examples.emplace_back(c.key_json, KeyJson(c.normalized, schema));
    }
  }
  for (auto& [k, f] : a.findings) r.findings.push_back(std::move(f));
  for (auto& [k, f] : collisions) r.findings.push_back(std::move(f));
  std::stable_sort(r.findings.begin(), r.findings.end(),
                   [](const TextFinding& x, const TextFinding& y) {
                     if (x.key != y.key) return x.key;
                     return x.attribute < y.attribute;
                   });
  r.nfc_lookups_skipped = a.nfc_skipped;
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return r;
}

MigrationEstimate EstimateMigration(const TableAnalysis& a,
                                    double read_capacity,
                                    double write_capacity) {
  MigrationEstimate e;
  e.read_capacity = read_capacity > 0 ? read_capacity : 0;
  e.write_capacity = write_capacity > 0 ? write_capacity : 0;
  e.backfill_read_units = a.read_units;
  e.backfill_write_units = a.write_units;
  e.verify_read_units = 2 * a.read_units;
  double reads = e.read_capacity > 0 ? a.read_units / e.read_capacity : 0;
  double writes = e.write_capacity > 0 ? a.write_units / e.write_capacity : 0;
  e.backfill_seconds = std::max(reads, writes);
  if (e.backfill_seconds > 0)
    e.bottleneck = reads >= writes ? "reads" : "writes";
  e.verify_seconds =
      e.read_capacity > 0 ? e.verify_read_units / e.read_capacity : 0;
  if (!a.hot_by_bytes.empty()) {
    // Bytes of the hottest key as write units (items of at most 1 KB would
    // round up; the byte figure is the lower bound).
    e.hot_partition_seconds =
        std::ceil(a.hot_by_bytes[0].value / 1024.0) / kPartitionWriteUnits;
  }
  return e;
}

}  // namespace godwit::ops
