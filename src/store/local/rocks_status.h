// RocksDB statuses become godwit statuses here, at the edge.
#ifndef GODWIT_STORE_LOCAL_ROCKS_STATUS_H_
#define GODWIT_STORE_LOCAL_ROCKS_STATUS_H_

#include <rocksdb/status.h>

#include <string_view>

#include "godwit/status.h"

namespace godwit::local {

// OK -> OK; IOError "no space" (ENOSPC, a space limit) -> Unavailable
// (retryable); other IOError -> IOError; Corruption -> DataLoss; Busy,
// TryAgain, TimedOut, Incomplete, ShutdownInProgress -> Unavailable
// (retryable); NotFound -> NotFound; InvalidArgument -> InvalidArgument;
// NotSupported -> Unimplemented; Aborted -> Aborted; anything else -> Internal.
// The message is "context: rocksdb message".
Status FromRocks(const rocksdb::Status& s, std::string_view context);

}  // namespace godwit::local

#endif  // GODWIT_STORE_LOCAL_ROCKS_STATUS_H_
