// The remote store's classes, shared by its files (split by concern):
//   remote_store.cc   the Store: tables (create, drop, list, describe,
//                     stream on/off), the stream tails behind
//                     latest_sequence, OpenRemoteStore
//   remote_items.cc   the Table: items, batches, Query, Scan
//   remote_stream.cc  the StreamReader over DynamoDB Streams
//   client.cc         HTTP, signing, retries, error mapping
// Requests are built and answers read with the wire layer (src/wire/):
// its JSON builder, table description codec, stream ids and error table.
//
// Thread safety: RemoteStoreImpl and RemoteTable may be used from many
// threads; a RemoteStreamReader by one thread at a time.
#ifndef GODWIT_REMOTE_REMOTE_INTERNAL_H_
#define GODWIT_REMOTE_REMOTE_INTERNAL_H_

#include <simdjson.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "godwit/remote_store.h"
#include "godwit/store.h"
#include "remote/client.h"
#include "wire/stream_ids.h"
#include "wire/table_description.h"

namespace godwit::remote {

namespace dom = simdjson::dom;

// A parsed response. The parser owns the document.
struct Doc {
  dom::parser parser;
  dom::element root;
};

// Parses an answer of `op`. Errors: Unavailable (a malformed body is the
// endpoint's fault, and may be transient).
Status Parse(const std::string& body, std::string_view op, Doc* d);
// An item of an answer; errors name `what`.
Result<Item> ItemOf(dom::element el, std::string_view what);

// ---- streams ---------------------------------------------------------------

// Reads one table's stream, shards parent first, siblings merged by
// sequence (see docs/remote.md, "Streams").
class RemoteStreamReader : public StreamReader {
 public:
  RemoteStreamReader(Client* c, std::string table, std::string arn)
      : client_(c), table_(table), arn_(std::move(arn)), codec_(table) {}

  // Positions the reader. Errors: DataLoss when `pos` is older than the
  // oldest record kept; the client's errors.
  Status Init(const StreamPosition& pos);
  Status Read(size_t max, std::vector<ChangeRecord>* out) override;
  uint64_t position() const override { return position_; }

 private:
  struct Shard {
    std::string id, parent, start, end;
    std::string iterator;
    std::string last_seq;  // the last record read (text)
    bool done = false;
  };

  Status RefreshShards();
  Status Place(Shard* s);
  Status NewIterator(Shard* s);
  Status Trimmed(const Status& s);
  Result<std::string> GetRecords(const Shard& s, size_t max);
  Status ReadShard(Shard* s, size_t max, std::vector<ChangeRecord>* out);

  Client* client_;
  std::string table_, arn_;
  wire::SequenceCodec codec_;
  std::map<std::string, Shard> shards_;
  uint64_t after_ = 0, position_ = 0;
  bool latest_ = false, refresh_ = false;
};

// ---- tables
// ------------------------------------------------------------------

class RemoteStoreImpl;

class RemoteTable : public Table {
 public:
  RemoteTable(RemoteStoreImpl* store, std::string name, KeySchema ks)
      : store_(store), name_(std::move(name)), ks_(std::move(ks)) {}
  const std::string& name() const override { return name_; }
  const KeySchema& key_schema() const override { return ks_; }

  Result<std::optional<Item>> Get(const Key& key) override;
  Result<std::vector<std::optional<Item>>> BatchGet(
      const std::vector<Key>& keys) override;
  Result<std::optional<Item>> Put(const Item& item,
                                  const Condition& cond) override;
  Result<std::optional<Item>> Delete(const Key& key,
                                     const Condition& cond) override;
  Result<BatchWriteResult> BatchWrite(
      std::vector<WriteRequest> requests) override;
  Result<Page> Query(const QueryOptions& opts) override;
  Result<Page> Scan(const ScanOptions& opts) override;
  Result<std::unique_ptr<Snapshot>> GetSnapshot() override {
    return Status::Unimplemented("DynamoDB has no snapshots: table " + name_ +
                                 " is compared by consistent scans instead");
  }
  Result<std::unique_ptr<StreamReader>> OpenStream(
      const StreamPosition& pos) override;
  Result<TableDescription> Describe() override;

 private:
  Result<Page> ReadPage(const std::string& op, std::string body);
  Client* client();
  RemoteStoreImpl* store_;
  std::string name_;
  KeySchema ks_;
};

class RemoteStoreImpl : public Store {
 public:
  explicit RemoteStoreImpl(const RemoteStoreOptions& o) : client_(o) {}
  Client* client() { return &client_; }

  Status CreateTable(const std::string& name,
                     const TableOptions& opts) override;
  Status DropTable(const std::string& name) override;
  Result<std::vector<std::string>> ListTables() override;
  Result<TableDescription> DescribeTable(const std::string& name) override;
  Result<std::shared_ptr<Table>> GetTable(const std::string& name) override;
  Status UpdateStream(const std::string& name, bool enabled) override;

  // The table as DescribeTable answers it (status, stream ARN, indexes'
  // state), without latest_sequence. Errors: NotFound.
  Result<wire::DescribedTable> DescribeRaw(const std::string& name);

 private:
  struct Tail {
    std::mutex mu;
    std::string arn;
    std::unique_ptr<RemoteStreamReader> reader;
    uint64_t latest = 0;
  };

  // The newest sequence of the table's stream, read by the table's tail
  // reader (0 if the stream has never had a record).
  Result<uint64_t> LatestSequence(const wire::DescribedTable& d);
  // Describes `name` until `done` (backing off, up to table_wait_seconds).
  Status WaitFor(
      const std::string& name,
      const std::function<bool(const Result<wire::DescribedTable>&)>& done);

  Client client_;
  std::mutex tails_mu_;
  std::map<std::string, std::shared_ptr<Tail>> tails_;  // GUARDED_BY(tails_mu_)
};

}  // namespace godwit::remote

#endif  // GODWIT_REMOTE_REMOTE_INTERNAL_H_
