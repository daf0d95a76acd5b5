#include "migrate/key_map.h"

#include <algorithm>
#include <functional>
#include <map>

#include "godwit/json.h"
#include "migrate/mapping.h"
#include "migrate/table_ops.h"

namespace godwit::migrate {
namespace {

// Holds a set of stripe locks, taken in address order (so that two claims
// never wait for each other in a cycle). The analysis cannot follow a lock
// set of run-time size; the stripes guard no member.
class StripeLocks {
 public:
  explicit StripeLocks(std::vector<Mutex*> mus) NO_THREAD_SAFETY_ANALYSIS
      : mus_(std::move(mus)) {
    std::sort(mus_.begin(), mus_.end());
    mus_.erase(std::unique(mus_.begin(), mus_.end()), mus_.end());
    for (Mutex* mu : mus_) mu->Lock();
  }
  ~StripeLocks() NO_THREAD_SAFETY_ANALYSIS {
    for (auto it = mus_.rbegin(); it != mus_.rend(); ++it) (*it)->Unlock();
  }
  StripeLocks(const StripeLocks&) = delete;
  StripeLocks& operator=(const StripeLocks&) = delete;

 private:
  std::vector<Mutex*> mus_;
};

Key MapKey(const std::string& key_bytes) {
  return Key{AttributeValue::B(key_bytes), std::nullopt};
}

}  // namespace

std::string KeyMap::TableName(const std::string& destination) {
  return "godwit_keymap." + destination;
}

KeyMap::KeyMap(std::shared_ptr<Table> table, std::shared_ptr<Table> source,
               KeySchema destination_schema)
    : table_(std::move(table)),
      source_(std::move(source)),
      destination_schema_(std::move(destination_schema)),
      same_schema_(destination_schema_ == source_->key_schema()) {}

bool KeyMap::Implicit(const std::string& key_bytes,
                      const Item& source_key) const {
  if (!same_schema_) return false;
  Result<std::string> own = KeyBytes(source_key, destination_schema_);
  return own.ok() && *own == key_bytes;
}

Result<bool> KeyMap::MapsToKey(ItemMapper* mapper, const Item& source_key,
                               const std::string& key_bytes) {
  ASSIGN_OR_RETURN(Key key, ExtractKey(source_key, source_->key_schema()));
  ASSIGN_OR_RETURN(std::optional<Item> cur, source_->Get(key));
  return cur && MapsItemToKey(mapper, *cur, key_bytes);
}

bool KeyMap::MapsItemToKey(ItemMapper* mapper, const Item& item,
                           const std::string& key_bytes) {
  std::vector<Item> outs;
  if (!MapQuietly(mapper, Direction::kUp, item, &outs).ok()) return false;
  for (const Item& o : outs) {
    Result<std::string> kb = KeyBytes(o, destination_schema_);
    if (kb.ok() && *kb == key_bytes) return true;
  }
  return false;
}

Status KeyMap::ClaimKeys(ItemMapper* mapper,
                         const std::vector<Claim>& all_claims) {
  std::vector<Claim> claims;
  for (const Claim& c : all_claims) {
    if (!Implicit(c.key_bytes, *c.source_key)) claims.push_back(c);
  }
  if (claims.empty()) return Status::OK();
  std::vector<Mutex*> stripes;
  stripes.reserve(claims.size());
  for (const Claim& c : claims) {
    stripes.push_back(
        &stripes_[std::hash<std::string>()(c.key_bytes) % kStripes]);
  }
  StripeLocks locks(std::move(stripes));

  // The current owners, in one batched read of the key map (one request
  // per 100 keys on a remote store).
  std::map<std::string, std::optional<Item>> stored;
  {
    std::vector<Key> keys;
    for (const Claim& c : claims) {
      if (stored.emplace(c.key_bytes, std::nullopt).second) {
        keys.push_back(MapKey(c.key_bytes));
      }
    }
    ASSIGN_OR_RETURN(std::vector<std::optional<Item>> got,
                     table_->BatchGet(keys));
    for (size_t i = 0; i < keys.size(); ++i) {
      stored[keys[i].hash.b()] = std::move(got[i]);
    }
  }
  // A key nobody claimed may still be a source item's own (implicit, never
  // recorded): those source items, in one batched read of the source.
  std::map<std::string, std::optional<Item>> implicit;
  if (same_schema_) {
    std::vector<Key> keys;
    for (const Claim& c : claims) {
      if (stored[c.key_bytes] || implicit.count(c.key_bytes) != 0) continue;
      ASSIGN_OR_RETURN(Key k, ExtractKey(*c.image, destination_schema_));
      implicit.emplace(c.key_bytes, std::nullopt);
      keys.push_back(std::move(k));
    }
    if (!keys.empty()) {
      ASSIGN_OR_RETURN(std::vector<std::optional<Item>> got,
                       source_->BatchGet(keys));
      for (size_t i = 0; i < keys.size(); ++i) {
        if (got[i]) implicit[KeyBytes(keys[i])] = std::move(got[i]);
      }
    }
  }
  std::map<std::string, const Item*> in_batch;  // key -> source key
  std::vector<WriteRequest> puts;
  for (const Claim& c : claims) {
    const Item* owner = nullptr;
    if (auto it = in_batch.find(c.key_bytes); it != in_batch.end()) {
      owner = it->second;
    } else {
      const std::optional<Item>& cur = stored[c.key_bytes];
      const AttributeValue* src = cur ? cur->Find("src") : nullptr;
      if (src != nullptr && src->is(AttrType::kM)) owner = &src->m();
    }
    if (owner != nullptr && *owner == *c.source_key) continue;  // ours already
    std::optional<Item> implicit_owner;  // its key attributes
    if (owner == nullptr) {
      auto it = implicit.find(c.key_bytes);
      if (it != implicit.end() && it->second &&
          MapsItemToKey(mapper, *it->second, c.key_bytes)) {
        ASSIGN_OR_RETURN(Key k, ExtractKey(*it->second, destination_schema_));
        implicit_owner = KeyToItem(k, destination_schema_);
        owner = &*implicit_owner;
      }
    }
    if (owner != nullptr) {
      // Another source item owns this key. Backfill reads are not a
      // snapshot, so check the two items as they are now (an implicit
      // owner was just read).
      bool a = implicit_owner.has_value();
      if (!a) {
        ASSIGN_OR_RETURN(a, MapsToKey(mapper, *owner, c.key_bytes));
      }
      bool b = false;
      if (a) {
        ASSIGN_OR_RETURN(b, MapsToKey(mapper, *c.source_key, c.key_bytes));
      }
      if (a && b) {
        return Status::FailedPrecondition(
            "two source items map to one destination key " +
            KeyJson(*c.image, destination_schema_) + ": " + ItemToJson(*owner) +
            " and " + ItemToJson(*c.source_key) +
            " (up must map distinct items to distinct keys; the active table "
            "was not written)");
      }
    }
    in_batch[c.key_bytes] = c.source_key;
    Item claim;
    claim.Set("k", AttributeValue::B(c.key_bytes));
    claim.Set("src", AttributeValue::M(*c.source_key));
    puts.push_back(WriteRequest::Put(std::move(claim)));
  }
  // A batch may not hold one key twice: keep the last claim of each key.
  std::map<std::string, size_t> last;
  for (size_t i = 0; i < puts.size(); ++i) {
    last[puts[i].item.Find("k")->b()] = i;
  }
  if (last.size() != puts.size()) {
    std::vector<WriteRequest> dedup;
    for (auto& [k, i] : last) dedup.push_back(std::move(puts[i]));
    puts = std::move(dedup);
  }
  for (size_t b = 0; b < puts.size(); b += kMaxBatchWriteItems) {
    size_t e = std::min(puts.size(), b + kMaxBatchWriteItems);
    std::vector<WriteRequest> batch(std::make_move_iterator(puts.begin() + b),
                                    std::make_move_iterator(puts.begin() + e));
    RETURN_IF_ERROR(WriteBatchRetrying(table_.get(), std::move(batch)));
  }
  return Status::OK();
}

Result<bool> KeyMap::Release(const std::string& key_bytes,
                             const Item& source_key) {
  if (Implicit(key_bytes, source_key)) return false;  // never recorded
  // Only the owner releases; a failed condition means someone else owns it.
  Result<std::optional<Item>> r = table_->Delete(
      MapKey(key_bytes),
      Condition::AttributeEquals("src", AttributeValue::M(source_key)));
  if (r.ok()) return r->has_value();
  if (r.status().code() == StatusCode::kAborted) return false;
  return r.status();
}

Result<std::optional<Item>> KeyMap::Owner(const std::string& key_bytes) {
  ASSIGN_OR_RETURN(std::optional<Item> row, table_->Get(MapKey(key_bytes)));
  if (!row) return std::optional<Item>();
  const AttributeValue* src = row->Find("src");
  if (src == nullptr || !src->is(AttrType::kM)) return std::optional<Item>();
  return std::optional<Item>(src->m());
}

}  // namespace godwit::migrate
