#include "server/rmw.h"

#include <algorithm>

namespace godwit::server {

size_t ReadModifyWrite::StripeOf(const std::string& name,
                                 const Key& key) const {
  std::string s = name;
  s.push_back('\0');
  AppendOrderedKeyBytes(key, &s);
  return std::hash<std::string>{}(s) % kStripes;
}

Status ReadModifyWrite::Locked(
    Table& table, const std::string& name, const std::vector<const Key*>& keys,
    const std::function<Status(Table& physical)>& fn) {
  std::vector<size_t> idx;
  idx.reserve(keys.size());
  for (const Key* k : keys) idx.push_back(StripeOf(name, *k));
  std::sort(idx.begin(), idx.end());
  idx.erase(std::unique(idx.begin(), idx.end()), idx.end());
  for (size_t i : idx) stripes_[i].lock();
  Status s = table.WithStableTable(fn);
  for (auto it = idx.rbegin(); it != idx.rend(); ++it) stripes_[*it].unlock();
  return s;
}

Result<ReadModifyWrite::Outcome> ReadModifyWrite::Run(Table& table,
                                                      const std::string& name,
                                                      const Key& key, bool read,
                                                      const Decide& decide) {
  Outcome out;
  RETURN_IF_ERROR(Locked(table, name, {&key}, [&](Table& physical) -> Status {
    std::optional<Item> current;
    if (read) {
      ASSIGN_OR_RETURN(current, physical.Get(key));
    }
    ASSIGN_OR_RETURN(Write w, decide(current ? &*current : nullptr));
    switch (w.kind) {
      case Write::Kind::kNone:
        out.old = std::move(current);
        return Status::OK();
      case Write::Kind::kPut: {
        // Where the read saw nothing, nothing may have appeared since.
        Condition cond =
            read && !current ? Condition::NotExists() : Condition::None();
        ASSIGN_OR_RETURN(out.old, physical.Put(w.item, cond));
        break;
      }
      case Write::Kind::kDelete:
        ASSIGN_OR_RETURN(out.old, physical.Delete(key));
        break;
    }
    out.wrote = true;
    return Status::OK();
  }));
  return out;
}

Result<BatchWriteResult> ReadModifyWrite::RunBatch(
    Table& table, const std::string& name, std::vector<WriteRequest> writes) {
  std::vector<Key> keys;
  keys.reserve(writes.size());
  for (const WriteRequest& w : writes) {
    if (w.kind == WriteRequest::Kind::kPut) {
      ASSIGN_OR_RETURN(Key k, ExtractKey(w.item, table.key_schema()));
      keys.push_back(std::move(k));
    } else {
      keys.push_back(w.key);
    }
  }
  std::vector<const Key*> ptrs;
  for (const Key& k : keys) ptrs.push_back(&k);
  BatchWriteResult out;
  RETURN_IF_ERROR(Locked(table, name, ptrs, [&](Table& physical) -> Status {
    ASSIGN_OR_RETURN(out, physical.BatchWrite(std::move(writes)));
    return Status::OK();
  }));
  return out;
}

}  // namespace godwit::server
