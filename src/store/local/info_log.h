// RocksDB's info log for the local store: lines appended to <store>/LOG with
// plain write(2) calls whose errors are ignored.
//
// Why not RocksDB's own logger: once a write to its LOG file failed (a full
// disk), its next write trips an assertion inside RocksDB (Debian builds it
// with assertions on) and aborts the process. A log line is not worth the
// process: here a line that cannot be written is dropped.
//
// The file is capped: at open, a LOG over kMaxBytes becomes LOG.old.
#ifndef GODWIT_STORE_LOCAL_INFO_LOG_H_
#define GODWIT_STORE_LOCAL_INFO_LOG_H_

#include <rocksdb/env.h>

#include <memory>
#include <string>

namespace godwit::local {

// A logger writing to `dir`/LOG at `level` and above. Never fails: if the
// file cannot be opened, lines are dropped.
std::shared_ptr<rocksdb::Logger> NewInfoLog(const std::string& dir,
                                            rocksdb::InfoLogLevel level);

}  // namespace godwit::local

#endif  // GODWIT_STORE_LOCAL_INFO_LOG_H_
