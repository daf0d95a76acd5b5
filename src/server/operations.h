// The DynamoDB and DynamoDB Streams operations of godwit serve, over a
// Store: one member function per X-Amz-Target operation, the files split by
// concern (RocksDB's db_impl_*.cc way):
//
//   handler.cc     the operation table and the error boundary
//   tables.cc      CreateTable DescribeTable ListTables DeleteTable
//                  UpdateTable (+ run_guard.cc: streams runs need)
//   items.cc       PutItem GetItem DeleteItem UpdateItem
//   batches.cc     BatchWriteItem BatchGetItem
//   query_scan.cc  Query Scan
//   tables.cc also UpdateTimeToLive DescribeTimeToLive (ttl in StreamHub)
//   streams.cc     ListStreams DescribeStream GetShardIterator
//   stream_records.cc  GetRecords
//   stream_hub.cc  shard layouts, trim horizon, readers (+ stream_ttl.cc:
//                  Time to Live settings and the expirer)
//   capacity.cc    ReturnConsumedCapacity arithmetic
//   rmw.cc         the read-modify-write every item write goes through
//
// Each operation takes the request's fields and returns the response body
// or an error Status (wire/errors.h: a DynamoDB-typed one from a wire
// factory, or a plain one whose type follows its code); handler.cc turns
// it into bytes once.
//
// Thread safety: every operation may run on many threads at once.
#ifndef GODWIT_SERVER_OPERATIONS_H_
#define GODWIT_SERVER_OPERATIONS_H_

#include <memory>
#include <string>
#include <string_view>

#include "godwit/server.h"
#include "godwit/store.h"
#include "server/rmw.h"
#include "server/stream_hub.h"
#include "wire/json_reader.h"
#include "wire/table_description.h"

namespace godwit::server {

class Operations {
 public:
  // `store` must outlive the object.
  // The stream hub is opts.stream_hub, or one of its own over `store`.
  Operations(Store* store, HandlerOptions opts)
      : store_(store),
        opts_(std::move(opts)),
        hub_(opts_.stream_hub ? opts_.stream_hub
                              : MakeStreamHub(store, opts_)) {}

  using Fields = wire::Fields;

  // DynamoDB: tables.
  Result<std::string> CreateTable(const Fields& f);
  Result<std::string> DescribeTable(const Fields& f);
  Result<std::string> ListTables(const Fields& f);
  Result<std::string> DeleteTable(const Fields& f);
  Result<std::string> UpdateTable(const Fields& f);
  Result<std::string> UpdateTimeToLive(const Fields& f);
  Result<std::string> DescribeTimeToLive(const Fields& f);
  // DynamoDB: items.
  Result<std::string> PutItem(const Fields& f);
  Result<std::string> GetItem(const Fields& f);
  Result<std::string> DeleteItem(const Fields& f);
  Result<std::string> UpdateItem(const Fields& f);
  Result<std::string> BatchWriteItem(const Fields& f);
  Result<std::string> BatchGetItem(const Fields& f);
  Result<std::string> Query(const Fields& f) { return QueryOrScan(f, true); }
  Result<std::string> Scan(const Fields& f) { return QueryOrScan(f, false); }
  // DynamoDB Streams.
  Result<std::string> ListStreams(const Fields& f);
  Result<std::string> DescribeStream(const Fields& f);
  Result<std::string> GetShardIterator(const Fields& f);
  Result<std::string> GetRecords(const Fields& f);

  const HandlerOptions& options() const { return opts_; }
  StreamHub& hub() { return *hub_; }

 private:
  Result<std::string> QueryOrScan(const Fields& f, bool query);

  // The table, or ResourceNotFoundException.
  Result<std::shared_ptr<Table>> OpenTable(const std::string& name);
  // The description, or ResourceNotFoundException.
  Result<TableDescription> DescribeOrNotFound(const std::string& name);
  // `d` with godwit serve's ARNs and stream label, in TableStatus `status`.
  wire::DescribedTable Described(const TableDescription& d,
                                 std::string_view status) const;
  std::string StreamArnOf(const TableDescription& d) const;

  // A table's stream at one moment (StreamHub::Current).
  struct StreamSight {
    std::shared_ptr<Table> table;
    TableDescription desc;
    StreamHub::View view;
  };
  // Errors: ResourceNotFoundException (`missing` names what) for a table
  // that does not exist; the hub's.
  Result<StreamSight> SightStream(const std::string& table,
                                  const std::string& missing);

  Store* const store_;
  const HandlerOptions opts_;
  ReadModifyWrite rmw_;
  const std::shared_ptr<StreamHub> hub_;
};

}  // namespace godwit::server

#endif  // GODWIT_SERVER_OPERATIONS_H_
