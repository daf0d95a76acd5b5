// The remote store's classes, shared by its files (split by concern):
//   remote_store.cc   the Store: tables (create, drop, list, describe,
//                     stream on/off), OpenRemoteStore
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

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "godwit/remote_store.h"
#include "godwit/store.h"
#include "godwit/stream.h"
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

// How a stream reader calls the Streams API: `op` ("GetRecords") with a JSON
// body; the answer's body, or the error as the client maps it (errors carry
// their DynamoDB type: wire::ErrorTypeOf). The store passes its client;
// tests pass a fake Streams API.
using StreamsCall =
    std::function<Result<std::string>(std::string_view op, const std::string&)>;

struct StreamReaderOptions {
  int empty_pages_at_head =
      3;  // RemoteStoreOptions::stream_empty_pages_at_head
  // GetRecords of one shard: at most K + 1 in a burst, one more per
  // idle_poll on average (0: no pacing).
  std::chrono::milliseconds idle_poll{250};
  std::chrono::milliseconds record_delay{1000};
  // The shard listing is refreshed when a shard ends and at least this often.
  std::chrono::milliseconds refresh_every{10000};
  // A Read that finds nothing keeps polling (idle_poll apart) for the head
  // for at most this long.
  std::chrono::milliseconds max_read_wait{2000};
  static StreamReaderOptions Of(const RemoteStoreOptions& o);
};

// Reads one table's stream: every shard with its own iterator and position,
// parents before children (see remote_stream.cc and docs/remote.md,
// "Streams"). One reader per shard at a time.
class RemoteStreamReader : public StreamReader, public ShardedStreamReader {
 public:
  RemoteStreamReader(StreamsCall call, std::string table, std::string arn,
                     StreamReaderOptions opts = {})
      : call_(std::move(call)),
        table_(table),
        arn_(std::move(arn)),
        opts_(opts),
        codec_(table) {}

  // Positions the reader. Errors: DataLoss when a position is no longer in
  // the stream (trimmed, or a shard not done that is no longer listed);
  // the client's errors.
  Status Init(const StreamStart& start);
  // The single-number positions: TrimHorizon and Latest as above; At and
  // After are exact for a one-shard stream only (each shard resumes after
  // the number; kept for servers and tools, never used by the engine).
  Status Init(const StreamPosition& pos);

  Status Read(size_t max, std::vector<ChangeRecord>* out) override;
  Status Read(size_t max, std::vector<ChangeRecord>* out,
              std::vector<RecordOrigin>* origins, ReadInfo* info) override;
  // The largest sequence returned so far (as a uint64, wire::SequenceCodec).
  uint64_t position() const override { return position_; }
  StreamCursor cursor() const override;
  std::chrono::milliseconds record_delay() const override {
    return opts_.record_delay;
  }

  // For tests: GetRecords and GetShardIterator calls so far.
  uint64_t get_records_calls() const { return get_records_calls_; }
  uint64_t iterator_calls() const { return iterator_calls_; }

 private:
  using Clock = std::chrono::steady_clock;
  struct Shard {
    std::string id, parent, start, end;
    std::string iterator;
    SequenceNumber last;  // the last record read
    bool done = false;
    bool latest = false;  // to start at LATEST (nothing read yet)
    // Head detection: the request times of the current run of consecutive
    // empty pages (the last K of them), and the first of the last K when
    // the run reached K (the shard was read to its head after it).
    std::deque<Clock::time_point> recent;
    std::optional<Clock::time_point> head_since;
    // GetRecords pacing: a token bucket of K + 1 calls, refilled one per
    // idle_poll (4 calls a second; DynamoDB allows 5 per shard).
    double tokens = -1;  // -1: full (not used yet)
    Clock::time_point refilled{};
    // The last page had records but was not full: the next call waits for
    // a full bucket, so that the page after it can be followed at once by
    // K empty pages (the head shows while writes pause for a moment).
    bool wait_full = false;
    // This call started a burst (a full bucket after wait_full): a page of
    // records now does not end it.
    bool in_burst = false;
  };

  Status RefreshShards();
  bool Eligible(const Shard& s) const;
  Status NewIterator(Shard* s);
  Status Lost(const Shard& s, const Status& cause, std::string_view what);
  Result<std::string> GetRecords(const Shard& s, size_t max);
  // One page of `s`. *got: records appended.
  Status ReadShard(Shard* s, size_t max, std::vector<ChangeRecord>* out,
                   std::vector<RecordOrigin>* origins, size_t* got);
  // The oldest head_since of the shards that are not done, if all have one.
  std::optional<Clock::time_point> HeadMark() const;
  // Takes a GetRecords token of `s` if one is there; else says when.
  bool TakeToken(Shard* s, Clock::time_point now,
                 Clock::time_point* next) const;

  StreamsCall call_;
  std::string table_, arn_;
  StreamReaderOptions opts_;
  wire::SequenceCodec codec_;
  std::map<std::string, Shard> shards_;
  uint64_t position_ = 0;
  // Where shards listed for the first time start: kTrimHorizon, or
  // kLatest for the listing at Init only.
  bool placing_latest_ = false;
  std::optional<uint64_t> legacy_after_;  // Init(StreamPosition::After)
  bool refresh_ = false;
  Clock::time_point last_refresh_{};
  uint64_t get_records_calls_ = 0, iterator_calls_ = 0;
};

// ---- tables
// ------------------------------------------------------------------

class RemoteStoreImpl;

class RemoteTable : public Table, public ShardedStreams {
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
  Result<std::unique_ptr<ShardedStreamReader>> OpenShardedStream(
      const StreamStart& start) override;
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
  // The Streams API through the client.
  StreamsCall StreamsCaller() {
    Client* c = &client_;
    return [c](std::string_view op, const std::string& body) {
      return c->Call(Service::kStreams, op, body);
    };
  }

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
  // Describes `name` until `done` (backing off, up to table_wait_seconds).
  Status WaitFor(
      const std::string& name,
      const std::function<bool(const Result<wire::DescribedTable>&)>& done);

  Client client_;
};

}  // namespace godwit::remote

#endif  // GODWIT_REMOTE_REMOTE_INTERNAL_H_
