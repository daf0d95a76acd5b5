#include "migrate/change_applier.h"

#include <algorithm>

#include "migrate/table_ops.h"

namespace godwit::migrate {

ChangeApplier::ChangeApplier(Direction dir, KeySchema source_schema,
                             std::shared_ptr<Table> target, KeyMap* keys,
                             ItemErrorSink* errors, std::string phase)
    : dir_(dir),
      source_schema_(std::move(source_schema)),
      target_(std::move(target)),
      keys_(keys),
      errors_(errors),
      phase_(std::move(phase)) {}

Status ChangeApplier::Apply(ItemMapper* mapper,
                            const std::vector<ChangeRecord>& records) {
  ChangeFold fold(mapper, dir_, source_schema_, target_->key_schema(), errors_,
                  phase_);
  for (const ChangeRecord& rec : records) RETURN_IF_ERROR(fold.Add(rec));
  return WriteEffects(mapper, fold.Take());
}

Status ChangeApplier::WriteEffects(ItemMapper* mapper, FoldResult effects) {
  std::vector<std::pair<const std::string*, KeyEffect*>> order;
  order.reserve(effects.size());
  for (auto& [kb, e] : effects) order.emplace_back(&kb, &e);
  for (size_t b = 0; b < order.size(); b += kMaxBatchWriteItems) {
    size_t e = std::min(order.size(), b + kMaxBatchWriteItems);
    std::vector<KeyMap::Claim> claims;
    std::vector<WriteRequest> batch;
    for (size_t i = b; i < e; ++i) {
      KeyEffect& eff = *order[i].second;
      if (eff.put) {
        if (keys_ != nullptr) {
          claims.push_back(
              KeyMap::Claim{*order[i].first, &*eff.put, &eff.source_key});
        }
      } else {
        batch.push_back(WriteRequest::Delete(eff.key));
      }
    }
    if (!claims.empty()) RETURN_IF_ERROR(keys_->ClaimKeys(mapper, claims));
    for (size_t i = b; i < e; ++i) {
      KeyEffect& eff = *order[i].second;
      if (eff.put) batch.push_back(WriteRequest::Put(std::move(*eff.put)));
    }
    RETURN_IF_ERROR(WriteBatchRetrying(target_.get(), std::move(batch)));
    if (keys_ != nullptr) {
      for (size_t i = b; i < e; ++i) {
        KeyEffect& eff = *order[i].second;
        if (eff.put.has_value()) continue;
        // Only the owner releases; a failure leaves a stale claim.
        (void)keys_->Release(*order[i].first, eff.source_key);
      }
    }
  }
  return Status::OK();
}

}  // namespace godwit::migrate
