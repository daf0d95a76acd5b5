#include "migrate/table_ops.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "godwit/json.h"

namespace godwit::migrate {

std::string KeyBytes(const Key& key) {
  std::string out;
  AppendOrderedKeyBytes(key, &out);
  return out;
}

Result<std::string> KeyBytes(const Item& item, const KeySchema& schema) {
  ASSIGN_OR_RETURN(Key key, ExtractKey(item, schema));
  return KeyBytes(key);
}

std::string KeyJson(const Item& item, const KeySchema& schema) {
  Result<Key> key = ExtractKey(item, schema);
  if (!key.ok()) return DebugString(item);
  return ItemToJson(KeyToItem(*key, schema));
}

Status WriteBatchRetrying(Table* table, std::vector<WriteRequest> batch) {
  int attempt = 0;
  auto backoff = [&attempt] {
    std::this_thread::sleep_for(
        std::chrono::milliseconds(1 << std::min(attempt, 8)));
  };
  while (!batch.empty()) {
    // A failed call writes nothing; keep the batch to send it again.
    Result<BatchWriteResult> r = table->BatchWrite(batch);
    if (!r.ok()) {
      if (!r.status().retryable() || ++attempt > 12) return r.status();
      backoff();
      continue;
    }
    batch = std::move(r->unprocessed);
    if (!batch.empty()) {
      if (++attempt > 12) {
        return Status::ResourceExhausted(
            "batch write: entries still unprocessed after 12 attempts");
      }
      backoff();
    }
  }
  return Status::OK();
}

Result<uint64_t> LatestSequence(Table* table) {
  ASSIGN_OR_RETURN(TableDescription d, table->Describe());
  return d.latest_sequence;
}

Status PinStream(Table* table, const std::string& name, uint64_t position) {
  Status s = table->RegisterStreamConsumer(name, position);
  if (s.code() == StatusCode::kAlreadyExists) {
    s = table->AckStreamConsumer(name, position);
  }
  if (s.code() == StatusCode::kUnimplemented) return Status::OK();
  return s;
}

}  // namespace godwit::migrate
