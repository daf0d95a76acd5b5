// The change applier: writes a fold's effects to the target table, in
// batches: claim the keys about to be put (forward direction only), write
// the puts and deletes, release the keys deleted. A crash in between is
// repaired by applying the same records again (each step is idempotent).
#ifndef GODWIT_MIGRATE_CHANGE_APPLIER_H_
#define GODWIT_MIGRATE_CHANGE_APPLIER_H_

#include <memory>
#include <string>
#include <vector>

#include "godwit/migrate.h"
#include "godwit/store.h"
#include "migrate/change_fold.h"
#include "migrate/key_map.h"
#include "migrate/mapping.h"

namespace godwit::migrate {

// What the sync loop applies its batches with.
class Applier {
 public:
  virtual ~Applier() = default;
  // Applies `records` (in order) to the target. Called by one thread at a
  // time, with its own mapper. Errors stop the run.
  virtual Status Apply(ItemMapper* mapper,
                       const std::vector<ChangeRecord>& records) = 0;
};

class ChangeApplier : public Applier {
 public:
  // Maps records of a table keyed by `source_schema` in direction `dir`
  // into `target`. `keys`: the key map to claim and release destination
  // keys in (forward direction), or null. Item errors go to `errors` as
  // errors of `phase`. Borrows `keys` and `errors`.
  ChangeApplier(Direction dir, KeySchema source_schema,
                std::shared_ptr<Table> target, KeyMap* keys,
                ItemErrorSink* errors, std::string phase);

  // Folds `records` (ChangeFold) and writes the effects (WriteEffects).
  Status Apply(ItemMapper* mapper,
               const std::vector<ChangeRecord>& records) override;

  // Writes `effects` to the target, kMaxBatchWriteItems keys at a time:
  // claims, then one batch write, then releases. A failed release is not
  // an error (a stale claim only costs a collision check later).
  // Errors: a collision (FailedPrecondition), the store's.
  Status WriteEffects(ItemMapper* mapper, FoldResult effects);

 private:
  const Direction dir_;
  const KeySchema source_schema_;
  const std::shared_ptr<Table> target_;
  KeyMap* const keys_;
  ItemErrorSink* const errors_;
  const std::string phase_;
};

}  // namespace godwit::migrate

#endif  // GODWIT_MIGRATE_CHANGE_APPLIER_H_
