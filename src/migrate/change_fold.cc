#include "migrate/change_fold.h"

#include <set>

#include "migrate/table_ops.h"

namespace godwit::migrate {

ChangeFold::ChangeFold(ItemMapper* mapper, Direction dir,
                       const KeySchema& source_schema,
                       const KeySchema& target_schema, ItemErrorSink* errors,
                       std::string_view phase)
    : mapper_(mapper),
      dir_(dir),
      source_schema_(source_schema),
      target_schema_(target_schema),
      errors_(errors),
      phase_(phase) {}

Status ChangeFold::Add(const ChangeRecord& rec) {
  bool err = false;
  old_out_.clear();
  new_out_.clear();
  if (rec.old_image) {
    RETURN_IF_ERROR(MapItem(mapper_, dir_, *rec.old_image, source_schema_,
                            phase_, errors_, &old_out_, &err));
  }
  if (rec.new_image) {
    RETURN_IF_ERROR(MapItem(mapper_, dir_, *rec.new_image, source_schema_,
                            phase_, errors_, &new_out_, &err));
    if (err) return Status::OK();  // dead-lettered; the old images stay
  }
  std::set<std::string> new_keys;
  for (Item& n : new_out_) {
    ASSIGN_OR_RETURN(Key key, ExtractKey(n, target_schema_));
    std::string kb = KeyBytes(key);
    new_keys.insert(kb);
    effects_[std::move(kb)] = KeyEffect{std::move(n), std::move(key), rec.keys};
  }
  for (const Item& o : old_out_) {
    ASSIGN_OR_RETURN(Key key, ExtractKey(o, target_schema_));
    std::string kb = KeyBytes(key);
    if (new_keys.count(kb) != 0) continue;
    effects_[std::move(kb)] = KeyEffect{std::nullopt, std::move(key), rec.keys};
  }
  return Status::OK();
}

}  // namespace godwit::migrate
