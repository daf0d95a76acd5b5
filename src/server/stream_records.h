// Stream records on the wire, and which shard a record is of: shared by
// streams.cc (GetShardIterator) and stream_records.cc (GetRecords).
#ifndef GODWIT_SERVER_STREAM_RECORDS_H_
#define GODWIT_SERVER_STREAM_RECORDS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "godwit/status.h"
#include "godwit/store.h"
#include "server/stream_layout.h"

namespace godwit::server {

// The hash that places a record (StreamLayout::KeyHash of its partition
// key; 0 if the record lacks it).
uint64_t RecordHash(const ChangeRecord& r, const KeySchema& schema);

// Whether record `seq` of `table` (described by `d`) is one of `shard`'s:
// false for a record of another shard, or no record at `seq`.
// Errors: the store's (DataLoss when `seq` was trimmed).
Result<bool> RecordInShard(Table& table, const TableDescription& d,
                           const LayoutShard& shard, uint64_t seq);

// The Record object of the GetRecords response (with userIdentity for a
// Time to Live deletion).
std::string RecordJson(const ChangeRecord& r, const std::string& table,
                       StreamViewType vt, std::string_view region);

}  // namespace godwit::server

#endif  // GODWIT_SERVER_STREAM_RECORDS_H_
