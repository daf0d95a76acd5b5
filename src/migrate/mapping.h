// Mapping one item with a migration's `up` or `down`, and where the errors
// of single items go (the run's dead-letter file, counted against
// --max-errors).
#ifndef GODWIT_MIGRATE_MAPPING_H_
#define GODWIT_MIGRATE_MAPPING_H_

#include <string_view>
#include <vector>

#include "godwit/item.h"
#include "godwit/migrate.h"
#include "godwit/status.h"
#include "godwit/transform.h"

namespace godwit::migrate {

// Forward (`up`: source -> destination) or back (`down`).
enum class Direction : uint8_t { kUp, kDown };

// Where an item that could not be mapped goes.
class ItemErrorSink {
 public:
  virtual ~ItemErrorSink() = default;
  // `item` (keyed by `schema`) failed to map in `phase` ("backfill",
  // "replay", "reverse-sync") with `error`; `reason` is the mapper's
  // message. Returns OK to go on; non-OK stops the run (e.g. Aborted when
  // more than --max-errors items failed). Thread-safe.
  virtual Status OnItemError(std::string_view phase, const Item& item,
                             const KeySchema& schema, const ItemError& error,
                             std::string_view reason) = 0;
};

// Maps `in` with `mapper` in direction `dir` into *out (cleared first).
// An item error (the mapper's InvalidArgument) goes to `errors`, leaves
// *out empty and sets *item_error; the result is then `errors`' verdict.
// Any other mapper error is returned (it stops the run).
Status MapItem(ItemMapper* mapper, Direction dir, const Item& in,
               const KeySchema& in_schema, std::string_view phase,
               ItemErrorSink* errors, std::vector<Item>* out, bool* item_error);

// Maps without reporting: an item error leaves *out empty and is returned
// (InvalidArgument); the caller only needs the images.
Status MapQuietly(ItemMapper* mapper, Direction dir, const Item& in,
                  std::vector<Item>* out);

}  // namespace godwit::migrate

#endif  // GODWIT_MIGRATE_MAPPING_H_
