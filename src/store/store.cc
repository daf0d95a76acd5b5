// Backend-independent parts of the store interface: names and the default
// implementations of the optional calls.
#include "godwit/store.h"

#include <string>

namespace godwit {

std::string_view ChangeTypeName(ChangeType t) {
  switch (t) {
    case ChangeType::kInsert:
      return "INSERT";
    case ChangeType::kModify:
      return "MODIFY";
    case ChangeType::kRemove:
      return "REMOVE";
  }
  return "UNKNOWN";
}

Result<std::vector<std::optional<Item>>> Table::BatchGet(
    const std::vector<Key>& keys) {
  std::vector<std::optional<Item>> out;
  out.reserve(keys.size());
  for (const Key& k : keys) {
    ASSIGN_OR_RETURN(std::optional<Item> item, Get(k));
    out.push_back(std::move(item));
  }
  return out;
}

Status Table::RegisterStreamConsumer(const std::string& name,
                                     uint64_t position) {
  return Status::Unimplemented(
      "stream consumers are not supported by this store");
}

Status Table::AckStreamConsumer(const std::string& name, uint64_t position) {
  return Status::Unimplemented(
      "stream consumers are not supported by this store");
}

Status Table::DropStreamConsumer(const std::string& name) {
  return Status::Unimplemented(
      "stream consumers are not supported by this store");
}

Result<std::vector<StreamConsumer>> Table::ListStreamConsumers() {
  return Status::Unimplemented(
      "stream consumers are not supported by this store");
}

Status Store::UpdateStream(const std::string& name, bool enabled) {
  return Status::Unimplemented("UpdateStream is not supported by this store");
}

}  // namespace godwit
