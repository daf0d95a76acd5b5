#include "migrate/mapping.h"

namespace godwit::migrate {

Status MapItem(ItemMapper* mapper, Direction dir, const Item& in,
               const KeySchema& in_schema, std::string_view phase,
               ItemErrorSink* errors, std::vector<Item>* out,
               bool* item_error) {
  *item_error = false;
  out->clear();
  ItemError error;
  Status s = dir == Direction::kUp ? mapper->Up(in, out, &error)
                                   : mapper->Down(in, out, &error);
  if (s.ok()) return s;
  if (s.code() != StatusCode::kInvalidArgument) return s;
  out->clear();
  *item_error = true;
  return errors->OnItemError(phase, in, in_schema, error, s.message());
}

Status MapQuietly(ItemMapper* mapper, Direction dir, const Item& in,
                  std::vector<Item>* out) {
  out->clear();
  Status s = dir == Direction::kUp ? mapper->Up(in, out, nullptr)
                                   : mapper->Down(in, out, nullptr);
  if (!s.ok()) out->clear();
  return s;
}

}  // namespace godwit::migrate
