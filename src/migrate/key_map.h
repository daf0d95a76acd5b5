// The key map: which source item owns each destination key.
//
// Two source items mapping to one destination key would make the copy
// silently lose one of them, so every destination key written by backfill
// or replay is claimed by its source item in a key-map table
// (godwit_keymap.<destination>, k:B -> src:M, see docs/formats/run-state.md).
// A claim by a different source item is checked against the source items as
// they are now (backfill reads are not a snapshot, so a stale read can look
// like a collision); if both still map to the key, the claim fails naming
// both source keys.
//
// Keys kept by their own item are implicit. When the destination has the
// source's key schema and an image has its source item's key (a
// key-preserving transform: renamed attributes, reshaped values), the
// source table itself says who owns the key: nothing is read or written in
// the key map for it, so such a copy costs what a plain copy costs
// (docs/engine.md, "The key map"). A claim of a key that is not the
// claimant's own (a re-key) then also checks the source item whose own key
// it is: if that item maps to the key too, it is a collision. The one
// collision found later, by verify, not here: a source item created at key
// K after another item was re-keyed onto K (verify finds the overwritten
// image, and a cutover needs a passing verify).
//
// Thread safety: Claim and Release may run concurrently from any threads;
// keys are locked by stripe while claimed, so two claims of one unowned key
// cannot both take it.
#ifndef GODWIT_MIGRATE_KEY_MAP_H_
#define GODWIT_MIGRATE_KEY_MAP_H_

#include <memory>
#include <string>
#include <vector>

#include "godwit/item.h"
#include "godwit/migrate.h"
#include "godwit/store.h"
#include "util/mutex.h"

namespace godwit::migrate {

class KeyMap {
 public:
  // The key-map table of a destination.
  static std::string TableName(const std::string& destination);

  // `table`: the key-map table (key schema k:B); `source`: the source table
  // (collisions are checked against its current items); `destination_schema`
  // keys the destination images.
  KeyMap(std::shared_ptr<Table> table, std::shared_ptr<Table> source,
         KeySchema destination_schema);
  KeyMap(const KeyMap&) = delete;
  KeyMap& operator=(const KeyMap&) = delete;

  // One destination key claimed by one source item. Borrowed pointers.
  struct Claim {
    std::string key_bytes;   // KeyBytes of the destination key
    const Item* image;       // the destination image
    const Item* source_key;  // the source item's key attributes
  };

  // Records the ownership of every claimed key that is not implicit (one
  // batched read and one batched write of the key-map table; none when
  // every key is implicit). A key already owned by the same
  // source item is left as it is; a key owned by another source item is
  // taken over if that item no longer maps to it (read from the source now,
  // mapped with `mapper`'s up).
  // Errors: FailedPrecondition for a real collision, naming the destination
  // key and both source keys; the store's errors.
  Status ClaimKeys(ItemMapper* mapper, const std::vector<Claim>& claims);

  // Releases `key_bytes` if `source_key` owns it. Returns true if it did,
  // false if another source item (or none) owns it, or the key is
  // `source_key`'s own (implicit: nothing to release).
  // Errors: the store's.
  Result<bool> Release(const std::string& key_bytes, const Item& source_key);

  // The owner of `key_bytes` (its source key), or nullopt.
  Result<std::optional<Item>> Owner(const std::string& key_bytes);

  Table* table() const { return table_.get(); }

 private:
  // Whether `key_bytes` is the key of `source_key` itself (same schemas).
  bool Implicit(const std::string& key_bytes, const Item& source_key) const;
  // Whether `item` (a source item) maps to `key_bytes`.
  bool MapsItemToKey(ItemMapper* mapper, const Item& item,
                     const std::string& key_bytes);
  // Whether the current source item at `source_key` maps to `key_bytes`.
  Result<bool> MapsToKey(ItemMapper* mapper, const Item& source_key,
                         const std::string& key_bytes);

  const std::shared_ptr<Table> table_;
  const std::shared_ptr<Table> source_;
  const KeySchema destination_schema_;
  // The destination's key schema is the source's: implicit keys exist.
  const bool same_schema_;

  // Lock stripes over destination keys. They guard rows of the key-map
  // table, not memory: a claim holds the stripes of its keys from its read
  // to its write.
  static constexpr size_t kStripes = 1024;
  Mutex stripes_[kStripes];
};

}  // namespace godwit::migrate

#endif  // GODWIT_MIGRATE_KEY_MAP_H_
