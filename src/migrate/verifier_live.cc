// The live comparison of verifier.h: scans, then point re-checks.
#include <algorithm>
#include <chrono>
#include <thread>

#include "godwit/codec.h"
#include "godwit/json.h"
#include "migrate/table_ops.h"
#include "migrate/verifier.h"

namespace godwit::migrate {
namespace {

Direction Inverse(Direction d) {
  return d == Direction::kUp ? Direction::kDown : Direction::kUp;
}

bool Same(const std::optional<Item>& a, const std::optional<Item>& b) {
  return a.has_value() == b.has_value() && (!a || HashItem(*a) == HashItem(*b));
}

}  // namespace

// Stores without snapshots: compare scans of both sides after sync has
// passed the upstream's newest change. A key that differs may have been
// written between the two scans, so each one is then re-checked with
// point reads (Recheck).
Result<VerifyReport> Verifier::CompareLive(const Comparison& c,
                                           bool upstream_is_from,
                                           SyncGate* gate,
                                           size_t max_reported) {
  ASSIGN_OR_RETURN(StreamMark caught_up, gate->CatchUp());
  Suspects suspects;
  ASSIGN_OR_RETURN(VerifyReport report,
                   CompareScans(c, max_reported, &suspects));
  report.sequence = caught_up.sequence;
  if (suspects.empty()) return report;  // clean, or collisions (counted)
  ASSIGN_OR_RETURN(RecheckResult still,
                   Recheck(c, upstream_is_from, gate, std::move(suspects)));
  report.differences += still.different.size();
  report.unsettled = still.unsettled;
  // The re-checked keys count as last compared; unsettled ones were never
  // compared and count on neither side (they make the report not OK).
  report.expected_items += still.expected_present;
  report.destination_items += still.actual_present;
  for (auto& [k, d] : still.different) {
    if (report.first.size() >= max_reported) break;
    report.first.push_back(std::move(d));
  }
  return report;
}

// Each attempt reads the suspects' items on the upstream side, lets sync
// pass the upstream's newest change, reads the other (downstream) side,
// then the upstream side again. Where the upstream did not change in
// between, the downstream read came after sync had applied that very
// state, so the two must correspond; if they do, the key is clean. Over
// kAttempts attempts (spaced out, so that a hot key gets quiet moments), a
// key found unequal while quiet and never equal is a difference; a key
// never quiet is unsettled. Keys of `from` that the `to` item maps back to
// (the inverse mapping) join the key's `from` keys: an item written after
// the scan.
Result<Verifier::RecheckResult> Verifier::Recheck(const Comparison& c,
                                                  bool upstream_is_from,
                                                  SyncGate* gate,
                                                  Suspects suspects) {
  constexpr int kAttempts = 10;
  const KeySchema& from_schema = c.from->key_schema();
  const KeySchema& to_schema = c.to->key_schema();
  ASSIGN_OR_RETURN(std::unique_ptr<ItemMapper> m, mappers_->NewMapper());
  RecheckResult result;
  std::map<std::string, VerifyReport::Difference> shown;
  for (int attempt = 0; attempt < kAttempts && !suspects.empty(); ++attempt) {
    if (attempt > 0) {
      std::this_thread::sleep_for(
          std::chrono::milliseconds(std::min(20 << attempt, 1000)));
    }
    std::vector<Key> from_keys, to_keys;
    std::map<std::string, size_t> from_index;  // key bytes -> from_keys
    for (auto& [kb, sp] : suspects) {
      to_keys.push_back(sp.to_key);
      for (const Key& k : sp.from_keys) {
        std::string b = KeyBytes(k);
        if (from_index.emplace(b, from_keys.size()).second) {
          from_keys.push_back(k);
        }
      }
    }
    Table* up = upstream_is_from ? c.from : c.to;
    const std::vector<Key>& up_keys = upstream_is_from ? from_keys : to_keys;
    Table* down = upstream_is_from ? c.to : c.from;
    const std::vector<Key>& down_keys = upstream_is_from ? to_keys : from_keys;
    ASSIGN_OR_RETURN(std::vector<std::optional<Item>> before,
                     up->BatchGet(up_keys));
    RETURN_IF_ERROR(gate->CatchUp().status());
    ASSIGN_OR_RETURN(std::vector<std::optional<Item>> downstream,
                     down->BatchGet(down_keys));
    ASSIGN_OR_RETURN(std::vector<std::optional<Item>> after,
                     up->BatchGet(up_keys));
    const std::vector<std::optional<Item>>& from_items =
        upstream_is_from ? after : downstream;
    const std::vector<std::optional<Item>>& to_items =
        upstream_is_from ? downstream : after;
    size_t i = 0;
    std::vector<Item> outs;
    for (auto it = suspects.begin(); it != suspects.end(); ++i) {
      const std::string& kb = it->first;
      Suspect& sp = it->second;
      bool stable = true;
      if (!upstream_is_from && !Same(before[i], after[i])) stable = false;
      std::optional<Item> expected;
      for (const Key& k : sp.from_keys) {
        size_t at = from_index[KeyBytes(k)];
        if (upstream_is_from && !Same(before[at], after[at])) stable = false;
        if (!from_items[at]) continue;
        (void)MapQuietly(m.get(), c.dir, *from_items[at], &outs);
        for (Item& o : outs) {
          Result<std::string> okb = KeyBytes(o, to_schema);
          if (okb.ok() && *okb == kb) expected = std::move(o);
        }
      }
      const std::optional<Item>& actual = to_items[i];
      if (actual) {
        (void)MapQuietly(m.get(), Inverse(c.dir), *actual, &outs);
        for (const Item& o : outs) {
          Result<Key> k = ExtractKey(o, from_schema);
          if (!k.ok() || from_index.count(KeyBytes(*k)) != 0) continue;
          sp.from_keys.push_back(*k);  // read in the next attempt
          stable = false;
        }
      }
      if (stable && Same(expected, actual)) {
        if (expected) {
          ++result.expected_present;
          ++result.actual_present;
        }
        shown.erase(kb);
        it = suspects.erase(it);
        continue;
      }
      if (!stable) {
        ++it;
        continue;
      }
      VerifyReport::Difference& d = shown[kb];  // unequal while quiet
      d.key = ItemToJson(KeyToItem(sp.to_key, to_schema));
      d.expected = expected ? ItemToJson(*expected) : "";
      d.actual = actual ? ItemToJson(*actual) : "";
      ++it;
    }
  }
  for (const auto& [kb, d] : shown) {
    result.expected_present += !d.expected.empty();
    result.actual_present += !d.actual.empty();
  }
  result.different = std::move(shown);
  result.unsettled = suspects.size() - result.different.size();
  return result;
}

}  // namespace godwit::migrate
