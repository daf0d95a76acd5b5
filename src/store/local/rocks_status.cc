#include "store/local/rocks_status.h"

#include <string>

namespace godwit::local {

Status FromRocks(const rocksdb::Status& s, std::string_view context) {
  if (s.ok()) return Status::OK();
  std::string msg(context);
  msg += ": ";
  msg += s.ToString();
  if (s.IsNoSpace() || s.subcode() == rocksdb::Status::kSpaceLimit) {
    // ENOSPC inside RocksDB (the watermark was not enough, or is off).
    // RocksDB stops writes and resumes them once space is back (its
    // SstFileManager polls): retryable.
    msg +=
        " (no space left on the store's file system: writes resume once "
        "space is freed)";
    return Status::Unavailable(std::move(msg));
  }
  switch (s.code()) {
    case rocksdb::Status::kIOError:
      return Status::IOError(std::move(msg));
    case rocksdb::Status::kCorruption:
      return Status::DataLoss(std::move(msg));
    case rocksdb::Status::kBusy:
    case rocksdb::Status::kTryAgain:
    case rocksdb::Status::kTimedOut:
    case rocksdb::Status::kIncomplete:
    case rocksdb::Status::kShutdownInProgress:
      return Status::Unavailable(std::move(msg));
    case rocksdb::Status::kNotFound:
      return Status::NotFound(std::move(msg));
    case rocksdb::Status::kInvalidArgument:
      return Status::InvalidArgument(std::move(msg));
    case rocksdb::Status::kNotSupported:
      return Status::Unimplemented(std::move(msg));
    case rocksdb::Status::kAborted:
      return Status::Aborted(std::move(msg));
    default:
      return Status::Internal(std::move(msg));
  }
}

}  // namespace godwit::local
