// Small operations on tables shared by the engine's phases: key bytes,
// batched writes with retries, the newest stream sequence, stream consumers.
#ifndef GODWIT_MIGRATE_TABLE_OPS_H_
#define GODWIT_MIGRATE_TABLE_OPS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "godwit/item.h"
#include "godwit/status.h"
#include "godwit/store.h"

namespace godwit::migrate {

// The memcmp-ordered bytes of a key (AppendOrderedKeyBytes).
std::string KeyBytes(const Key& key);
// The memcmp-ordered bytes of an item's key under `schema`.
// Errors: InvalidArgument if the item lacks a key attribute.
Result<std::string> KeyBytes(const Item& item, const KeySchema& schema);
// DynamoDB JSON of an item's key (the item's DebugString if it has none).
std::string KeyJson(const Item& item, const KeySchema& schema);

// Writes `batch` (at most kMaxBatchWriteItems entries, no key twice),
// re-sending unprocessed entries and retryable failures with exponential
// backoff, at most 12 times. Errors: the last failure; ResourceExhausted
// when entries stay unprocessed.
Status WriteBatchRetrying(Table* table, std::vector<WriteRequest> batch);

// The table's newest change sequence. Errors: those of Describe.
Result<uint64_t> LatestSequence(Table* table);

// Registers (or moves) the stream consumer `name` on `table` at
// `position`, so that retention keeps every later record. Backends without
// consumer registration (DynamoDB) rely on stream retention alone: OK.
Status PinStream(Table* table, const std::string& name, uint64_t position);

}  // namespace godwit::migrate

#endif  // GODWIT_MIGRATE_TABLE_OPS_H_
