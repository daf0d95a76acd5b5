// The verifier: compares one table mapped through `up` or `down` with
// another table, over snapshots (exact) or live tables.
//
// Over snapshots: an order-independent multiset hash of the expected items
// (the mapped side's images) and of the actual items, per bucket of the
// target key (4096 buckets); mismatched buckets are narrowed to their keys,
// and the first differences are read with both sides.
//
// Live (stores without snapshots, DynamoDB): the same comparison of two
// scans, which read different moments, so a key that differs is then
// re-checked with point reads after sync has passed the upstream's newest
// change (verifier_live.cc); keys never quiet enough to compare are
// reported as unsettled. The counts reported are those of what was
// compared, so they agree whenever every key compared equal.
//
// A Verifier holds no state between calls; it starts `threads` scanning
// threads per pass, each with its own mapper.
#ifndef GODWIT_MIGRATE_VERIFIER_H_
#define GODWIT_MIGRATE_VERIFIER_H_

#include <map>
#include <string>
#include <vector>

#include "godwit/migrate.h"
#include "godwit/store.h"
#include "migrate/mapping.h"
#include "migrate/sync_gate.h"

namespace godwit::migrate {

// One comparison: `from` mapped in direction `dir` against `to`. Snapshots
// are both set (exact) or both null (live).
struct Comparison {
  Table* from = nullptr;
  const Snapshot* from_snapshot = nullptr;
  Direction dir = Direction::kUp;
  Table* to = nullptr;
  const Snapshot* to_snapshot = nullptr;
};

class Verifier {
 public:
  Verifier(MapperFactory* mappers, int threads);

  // Compares the snapshots of `c` (both must be set), or, with null
  // snapshots, two scans as they come (only exact while nothing writes).
  // Fills at most `max_reported` differences with both sides.
  // Errors: the store's and the mapper's (other than item errors, which
  // count as unmapped).
  Result<VerifyReport> Compare(const Comparison& c, size_t max_reported);

  // Compares live tables: Compare's scans, then point re-checks of the
  // keys that differed. `gate` is the sync that carries changes from the
  // upstream table; `upstream_is_from`: whether that is c.from (the
  // mapped side) or c.to.
  Result<VerifyReport> CompareLive(const Comparison& c, bool upstream_is_from,
                                   SyncGate* gate, size_t max_reported);

  // A key that differed in a live compare: its key in `to` and the keys of
  // the items of `from` that mapped to it.
  struct Suspect {
    Key to_key;
    std::vector<Key> from_keys;
  };
  using Suspects = std::map<std::string, Suspect>;  // by to-key bytes

 private:
  // Compare; with `suspects`, collects the differing keys there instead of
  // reading the first differences (live tables).
  Result<VerifyReport> CompareScans(const Comparison& c, size_t max_reported,
                                    Suspects* suspects);

  struct RecheckResult {
    std::map<std::string, VerifyReport::Difference> different;
    uint64_t unsettled = 0;  // never read quiet
    // Of the keys compared (clean or different): how many were present on
    // the expected side, and on the actual side.
    uint64_t expected_present = 0;
    uint64_t actual_present = 0;
  };
  Result<RecheckResult> Recheck(const Comparison& c, bool upstream_is_from,
                                SyncGate* gate, Suspects suspects);

  MapperFactory* const mappers_;
  const int threads_;
};

}  // namespace godwit::migrate

#endif  // GODWIT_MIGRATE_VERIFIER_H_
