// The snapshot (and scan) comparison of verifier.h.
#include "migrate/verifier.h"

#include <xxhash.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>

#include "godwit/codec.h"
#include "godwit/json.h"
#include "migrate/table_ops.h"
#include "util/mutex.h"

namespace godwit::migrate {
namespace {

constexpr size_t kBuckets = 4096;
constexpr int kScanSegments = 16;
constexpr size_t kScanPage = 500;

// Order-independent multiset hash: sum of 128-bit item hashes and a count.
struct Multiset {
  uint64_t lo = 0, hi = 0, count = 0;
  void Add(const Hash128& h) {
    uint64_t old = lo;
    lo += h.lo;
    hi += h.hi + (lo < old ? 1 : 0);
    ++count;
  }
  void Merge(const Multiset& o) {
    uint64_t old = lo;
    lo += o.lo;
    hi += o.hi + (lo < old ? 1 : 0);
    count += o.count;
  }
  bool operator==(const Multiset& o) const {
    return lo == o.lo && hi == o.hi && count == o.count;
  }
};

size_t BucketOf(std::string_view key_bytes) {
  return static_cast<size_t>(XXH3_64bits(key_bytes.data(), key_bytes.size()) %
                             kBuckets);
}

}  // namespace

Verifier::Verifier(MapperFactory* mappers, int threads)
    : mappers_(mappers), threads_(std::max(1, threads)) {}

Result<VerifyReport> Verifier::Compare(const Comparison& c,
                                       size_t max_reported) {
  return CompareScans(c, max_reported, nullptr);
}

Result<VerifyReport> Verifier::CompareScans(const Comparison& c,
                                            size_t max_reported,
                                            Suspects* suspects) {
  const KeySchema& from_schema = c.from->key_schema();
  const KeySchema& to_schema = c.to->key_schema();
  const int threads = threads_;

  // Runs on_item(item, mapper, worker) over every item of `t` at `snap`,
  // on `threads` threads.
  auto scan_all = [&](Table* t, const Snapshot* snap,
                      auto&& on_item) -> Status {
    std::atomic<int> next{0};
    std::vector<std::thread> ws;
    std::vector<Status> errs(static_cast<size_t>(threads));
    for (int w = 0; w < threads; ++w) {
      ws.emplace_back([&, w] {
        Result<std::unique_ptr<ItemMapper>> m = mappers_->NewMapper();
        if (!m.ok()) {
          errs[w] = m.status();
          return;
        }
        for (int seg = next++; seg < kScanSegments; seg = next++) {
          ScanOptions so;
          so.segment = seg;
          so.total_segments = kScanSegments;
          so.limit = kScanPage;
          so.snapshot = snap;
          do {
            Result<Page> page = t->Scan(so);
            if (!page.ok()) {
              errs[w] = page.status();
              return;
            }
            for (const Item& item : page->items) {
              Status s = on_item(item, m->get(), w);
              if (!s.ok()) {
                errs[w] = s;
                return;
              }
            }
            so.page_token = std::move(page->next_page_token);
          } while (!so.page_token.empty());
        }
      });
    }
    for (auto& w : ws) w.join();
    for (Status& s : errs) RETURN_IF_ERROR(s);
    return Status::OK();
  };

  // Pass 1: per-bucket multiset hashes of expected (mapped) and actual.
  std::vector<Multiset> expected(kBuckets), actual(kBuckets);
  std::atomic<uint64_t> from_count{0}, expected_count{0}, to_count{0},
      unmapped{0};
  // Each scanning thread sums into its own buckets: no lock per item.
  std::vector<std::vector<Multiset>> part(static_cast<size_t>(threads),
                                          std::vector<Multiset>(kBuckets));
  auto merge_parts = [&](std::vector<Multiset>* into) {
    for (std::vector<Multiset>& p : part) {
      for (size_t b = 0; b < kBuckets; ++b) {
        (*into)[b].Merge(p[b]);
        p[b] = Multiset{};
      }
    }
  };
  RETURN_IF_ERROR(
      scan_all(c.from, c.from_snapshot,
               [&](const Item& item, ItemMapper* m, int w) -> Status {
                 std::vector<Item> outs;
                 Status ms = MapQuietly(m, c.dir, item, &outs);
                 if (!ms.ok() && ms.code() != StatusCode::kInvalidArgument)
                   return ms;
                 if (!ms.ok())
                   ++unmapped;  // expects nothing; it is dead-lettered
                 std::vector<Multiset>& sums = part[static_cast<size_t>(w)];
                 for (const Item& o : outs) {
                   Result<std::string> kb = KeyBytes(o, to_schema);
                   if (!kb.ok()) continue;
                   sums[BucketOf(*kb)].Add(HashItem(o));
                   ++expected_count;
                 }
                 ++from_count;
                 return Status::OK();
               }));
  merge_parts(&expected);
  RETURN_IF_ERROR(scan_all(
      c.to, c.to_snapshot, [&](const Item& item, ItemMapper*, int w) -> Status {
        ASSIGN_OR_RETURN(std::string kb, KeyBytes(item, to_schema));
        part[static_cast<size_t>(w)][BucketOf(kb)].Add(HashItem(item));
        ++to_count;
        return Status::OK();
      }));
  merge_parts(&actual);
  VerifyReport report;
  report.source_items = from_count;
  report.expected_items = expected_count;
  report.destination_items = to_count;
  report.unmapped = unmapped;

  std::vector<bool> bad(kBuckets, false);
  bool any = false;
  for (size_t b = 0; b < kBuckets; ++b) {
    if (!(expected[b] == actual[b])) bad[b] = any = true;
  }
  if (!any) return report;

  // Pass 2: key -> hash in the mismatched buckets, both sides (and, for
  // suspects, the keys involved).
  Mutex merge_mu;
  std::map<std::string, Hash128> exp_keys, act_keys;
  std::map<std::string, uint64_t> exp_n, act_n;  // how many of each key
  std::set<std::string> twice;                   // keys produced or found twice
  Suspects found;
  RETURN_IF_ERROR(scan_all(c.from, c.from_snapshot,
                           [&](const Item& item, ItemMapper* m, int) -> Status {
                             std::vector<Item> outs;
                             (void)MapQuietly(m, c.dir, item, &outs);
                             for (const Item& o : outs) {
                               Result<std::string> kb = KeyBytes(o, to_schema);
                               if (!kb.ok() || !bad[BucketOf(*kb)]) continue;
                               Hash128 h = HashItem(o);
                               MutexLock lock(&merge_mu);
                               ++exp_n[*kb];
                               if (!exp_keys.emplace(*kb, h).second) {
                                 exp_keys[*kb] = h;
                                 twice.insert(*kb);
                               }
                               if (suspects != nullptr) {
                                 Suspect& sp = found[*kb];
                                 sp.to_key = *ExtractKey(o, to_schema);
                                 sp.from_keys.push_back(
                                     *ExtractKey(item, from_schema));
                               }
                             }
                             return Status::OK();
                           }));
  RETURN_IF_ERROR(scan_all(
      c.to, c.to_snapshot, [&](const Item& item, ItemMapper*, int) -> Status {
        ASSIGN_OR_RETURN(std::string kb, KeyBytes(item, to_schema));
        if (!bad[BucketOf(kb)]) return Status::OK();
        Hash128 h = HashItem(item);
        MutexLock lock(&merge_mu);
        ++act_n[kb];
        if (!act_keys.emplace(kb, h).second) twice.insert(kb);
        if (suspects != nullptr)
          found[kb].to_key = *ExtractKey(item, to_schema);
        return Status::OK();
      }));
  std::set<std::string> diff;
  for (auto& [k, h] : exp_keys) {
    auto it = act_keys.find(k);
    if (it == act_keys.end() || !(it->second == h)) diff.insert(k);
  }
  for (auto& [k, h] : act_keys) {
    if (exp_keys.count(k) == 0) diff.insert(k);
  }
  for (const std::string& k : twice) diff.erase(k);
  report.differences = diff.size() + twice.size();
  if (suspects != nullptr) {
    // Live tables: the two passes read different moments, so buckets that
    // differed in pass 1 but hold no differing key in pass 2 had a write in
    // flight. Keys seen twice are differences (collisions); the others are
    // re-checked.
    report.differences = twice.size();
    // The counts are of what is compared: pass 1's where it matched (equal
    // multisets have equal counts), pass 2's keys that agree (and the
    // collisions, as often as they occur); the suspects are counted once
    // re-checked (CompareLive). Pass 1's own counts may disagree only
    // because its scans read different moments.
    uint64_t exp_count = 0, act_count = 0;
    for (size_t b = 0; b < kBuckets; ++b) {
      if (bad[b]) continue;
      exp_count += expected[b].count;
      act_count += actual[b].count;
    }
    for (const auto& [k, n] : exp_n) exp_count += diff.count(k) == 0 ? n : 0;
    for (const auto& [k, n] : act_n) act_count += diff.count(k) == 0 ? n : 0;
    report.expected_items = exp_count;
    report.destination_items = act_count;
    for (const std::string& k : diff) suspects->emplace(k, std::move(found[k]));
    for (const std::string& k : twice) {
      if (report.first.size() >= max_reported) break;
      report.first.push_back({ItemToJson(KeyToItem(found[k].to_key, to_schema)),
                              "(two items map to this key)", ""});
    }
    return report;
  }
  if (report.differences == 0) {
    // Same keys and hashes but different multisets: duplicates (fan-out
    // collisions) hiding from the key maps. Count the buckets.
    for (bool b : bad) report.differences += b;
  }
  for (const std::string& k : twice) diff.insert(k);

  // Pass 3: the items of the first few differing keys.
  std::set<std::string> wanted;
  for (const std::string& k : diff) {
    if (wanted.size() >= max_reported) break;
    wanted.insert(k);
  }
  std::map<std::string, VerifyReport::Difference> shown;
  RETURN_IF_ERROR(scan_all(c.from, c.from_snapshot,
                           [&](const Item& item, ItemMapper* m, int) -> Status {
                             std::vector<Item> outs;
                             (void)MapQuietly(m, c.dir, item, &outs);
                             for (const Item& o : outs) {
                               Result<std::string> kb = KeyBytes(o, to_schema);
                               if (!kb.ok() || wanted.count(*kb) == 0) continue;
                               MutexLock lock(&merge_mu);
                               auto& d = shown[*kb];
                               d.key = KeyJson(o, to_schema);
                               d.expected = ItemToJson(o);
                             }
                             return Status::OK();
                           }));
  RETURN_IF_ERROR(scan_all(
      c.to, c.to_snapshot, [&](const Item& item, ItemMapper*, int) -> Status {
        ASSIGN_OR_RETURN(std::string kb, KeyBytes(item, to_schema));
        if (wanted.count(kb) == 0) return Status::OK();
        MutexLock lock(&merge_mu);
        auto& d = shown[kb];
        d.key = KeyJson(item, to_schema);
        d.actual = ItemToJson(item);
        return Status::OK();
      }));
  for (auto& [k, d] : shown) report.first.push_back(std::move(d));
  return report;
}

}  // namespace godwit::migrate
