// The change fold: change records of one table -> the net effect of each on
// the keys of the other table, through a migration's `up` (replay) or
// `down` (reverse sync). Pure: it reads and writes no store, so it is
// tested with a mapper alone.
//
// For a record with old image o and new image n, the fold deletes the
// target keys of map(o) that are not keys of map(n), and puts map(n).
// Records are folded in order; a later record's effect on a target key
// replaces an earlier one's (per-key order is the records' order). Why
// applying these effects after the backfill converges: DESIGN.md, "The
// migration protocol", step 5.
//
//   ChangeFold fold(mapper, Direction::kUp, source_schema, dest_schema,
//                   &dead_letters, "replay");
//   for (const ChangeRecord& r : batch) RETURN_IF_ERROR(fold.Add(r));
//   FoldResult effects = fold.Take();
#ifndef GODWIT_MIGRATE_CHANGE_FOLD_H_
#define GODWIT_MIGRATE_CHANGE_FOLD_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "godwit/item.h"
#include "godwit/migrate.h"
#include "godwit/store.h"
#include "migrate/mapping.h"

namespace godwit::migrate {

// The net effect of a batch of records on one target key.
struct KeyEffect {
  std::optional<Item> put;  // the image to put; nullopt: delete `key`
  Key key;                  // the target key
  Item source_key;          // the key attributes of the record's item
};

// Target key bytes (KeyBytes) -> its effect, in key-byte order.
using FoldResult = std::map<std::string, KeyEffect>;

class ChangeFold {
 public:
  // `source_schema` keys the records' images, `target_schema` the mapped
  // images. Item errors go to `errors` as errors of `phase`. Borrows all
  // arguments for its lifetime.
  ChangeFold(ItemMapper* mapper, Direction dir, const KeySchema& source_schema,
             const KeySchema& target_schema, ItemErrorSink* errors,
             std::string_view phase);

  // Folds one record. A new image that fails to map is an item error (sent
  // to `errors`): the record changes nothing, so the images its old image
  // produced stay. An old image that fails to map deletes nothing.
  // Errors: the mapper's non-item errors, `errors`' verdict, and
  // InvalidArgument for an image without the target key.
  Status Add(const ChangeRecord& rec);

  const FoldResult& effects() const { return effects_; }
  FoldResult Take() { return std::move(effects_); }

 private:
  ItemMapper* const mapper_;
  const Direction dir_;
  const KeySchema& source_schema_;
  const KeySchema& target_schema_;
  ItemErrorSink* const errors_;
  const std::string_view phase_;
  FoldResult effects_;
  std::vector<Item> old_out_, new_out_;  // reused
};

}  // namespace godwit::migrate

#endif  // GODWIT_MIGRATE_CHANGE_FOLD_H_
