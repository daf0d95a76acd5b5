// The store interface: DynamoDB-style tables with change streams.
//
// One interface for every backend: the embedded RocksDB store (local), and
// later the remote DynamoDB client. So page tokens, unprocessed batch entries
// and retryable errors are part of it from the start: a caller loops on
// next_page_token, re-queues BatchWriteResult::unprocessed, and retries a
// Status whose retryable() is true.
//
// Thread safety: a Store and its Tables are safe to use from many threads at
// once. A StreamReader or Snapshot is used by one thread at a time.
//
// Example:
//   ASSIGN_OR_RETURN(std::unique_ptr<Store> store, OpenLocalStore({.path =
//   dir})); RETURN_IF_ERROR(store->CreateTable("Orders", {.key_schema =
//   schema})); ASSIGN_OR_RETURN(std::shared_ptr<Table> t,
//   store->GetTable("Orders")); RETURN_IF_ERROR(t->Put(item).status());
#ifndef GODWIT_STORE_H_
#define GODWIT_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "godwit/item.h"
#include "godwit/status.h"

namespace godwit {

// What a table's stream shows to readers (DynamoDB's StreamViewType). The
// store keeps whole change records whatever the view type (ChangeRecord has
// both images); it only persists the setting, so that a server in front of
// it (godwit serve) shapes its records after a restart as before.
enum class StreamViewType : uint8_t {
  kNewAndOldImages = 0,
  kKeysOnly = 1,
  kNewImage = 2,
  kOldImage = 3,
};
// "NEW_AND_OLD_IMAGES", "KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE".
inline std::string_view StreamViewTypeName(StreamViewType v) {
  switch (v) {
    case StreamViewType::kKeysOnly:
      return "KEYS_ONLY";
    case StreamViewType::kNewImage:
      return "NEW_IMAGE";
    case StreamViewType::kOldImage:
      return "OLD_IMAGE";
    case StreamViewType::kNewAndOldImages:
      break;
  }
  return "NEW_AND_OLD_IMAGES";
}
// nullopt for any other name.
inline std::optional<StreamViewType> StreamViewTypeFromName(
    std::string_view name) {
  if (name == "NEW_AND_OLD_IMAGES") return StreamViewType::kNewAndOldImages;
  if (name == "KEYS_ONLY") return StreamViewType::kKeysOnly;
  if (name == "NEW_IMAGE") return StreamViewType::kNewImage;
  if (name == "OLD_IMAGE") return StreamViewType::kOldImage;
  return std::nullopt;
}

// A secondary index, as DynamoDB describes and creates it. Only stores that
// have secondary indexes keep them (the remote store); the local store has
// none: it reports none and refuses a CreateTable that asks for one
// (Unimplemented).
struct SecondaryIndex {
  enum class Kind : uint8_t { kGlobal, kLocal };
  Kind kind = Kind::kGlobal;
  std::string name;
  KeySchema key_schema;  // a local index has the table's partition key
  std::string projection = "ALL";               // ALL | KEYS_ONLY | INCLUDE
  std::vector<std::string> non_key_attributes;  // INCLUDE only
  // Provisioned capacity of a global index (0: none / on-demand).
  int64_t read_capacity = 0;
  int64_t write_capacity = 0;
  bool operator==(const SecondaryIndex&) const = default;
};

enum class BillingMode : uint8_t {
  kDefault,        // the store's own (on-demand for the remote store)
  kPayPerRequest,  // on-demand
  kProvisioned,    // read_capacity / write_capacity
};

struct TableOptions {
  KeySchema key_schema;
  bool stream_enabled = true;
  // Kept with the table (see StreamViewType); meaningful when the stream is
  // on, and kept while it is off.
  StreamViewType stream_view_type = StreamViewType::kNewAndOldImages;
  // Last, so that {key_schema, stream_enabled} still initializes the first
  // two (tests and benchmarks do).
  std::vector<SecondaryIndex> indexes = {};
  BillingMode billing = BillingMode::kDefault;
  int64_t read_capacity = 0;  // kProvisioned
  int64_t write_capacity = 0;
};

struct TableDescription {
  std::string name;
  KeySchema key_schema;
  std::vector<SecondaryIndex> indexes;  // empty where the store has none
  BillingMode billing = BillingMode::kDefault;
  int64_t read_capacity = 0;  // kProvisioned
  int64_t write_capacity = 0;
  uint64_t item_count = 0;  // an estimate for large tables
  uint64_t size_bytes = 0;  // an estimate
  bool stream_enabled = false;
  // Sequence of the newest change (0 if none). Sequences count every change
  // of the table, also while its stream is off (then no record is kept).
  uint64_t latest_sequence = 0;
  int64_t created_micros = 0;
  // The oldest change record still readable (latest_sequence + 1 if none):
  // retention and stream re-enabling move it forward.
  uint64_t stream_first_sequence = 0;
  // As last set by CreateTable or UpdateStreamSpecification
  // (kNewAndOldImages for tables made before the store kept it).
  StreamViewType stream_view_type = StreamViewType::kNewAndOldImages;
};

// A registered stream consumer: records after `position` are kept by
// retention until the consumer acknowledges them.
struct StreamConsumer {
  std::string name;
  uint64_t position = 0;  // the last sequence the consumer has processed
  friend bool operator==(const StreamConsumer&,
                         const StreamConsumer&) = default;
};

// A condition on the current item at the written key.
struct Condition {
  enum class Kind : uint8_t { kNone, kExists, kNotExists, kAttributeEquals };
  Kind kind = Kind::kNone;
  std::string attribute;  // kAttributeEquals
  AttributeValue value;   // kAttributeEquals

  static Condition None() { return {}; }
  static Condition Exists() { return {Kind::kExists, {}, {}}; }
  static Condition NotExists() { return {Kind::kNotExists, {}, {}}; }
  static Condition AttributeEquals(std::string name, AttributeValue v) {
    return {Kind::kAttributeEquals, std::move(name), std::move(v)};
  }
};

// One entry of a BatchWrite.
struct WriteRequest {
  enum class Kind : uint8_t { kPut, kDelete };
  Kind kind = Kind::kPut;
  Item item;  // kPut
  Key key;    // kDelete
  static WriteRequest Put(Item item) {
    return {Kind::kPut, std::move(item), {}};
  }
  static WriteRequest Delete(Key key) {
    return {Kind::kDelete, {}, std::move(key)};
  }
};

inline constexpr size_t kMaxBatchWriteItems = 25;

struct BatchWriteResult {
  // Entries not written; the caller retries them (after backoff).
  std::vector<WriteRequest> unprocessed;
};

// A page of a Query or Scan. An empty next_page_token means the end.
struct Page {
  std::vector<Item> items;
  std::string next_page_token;
  // The key the next page continues after (DynamoDB's LastEvaluatedKey),
  // when next_page_token is set. A backend may leave it unset; then it is
  // the key of the last item of `items`.
  std::optional<Key> last_evaluated_key;
};

// Sort-key condition of a Query.
struct RangeCondition {
  enum class Op : uint8_t {
    kNone,
    kEq,
    kLt,
    kLe,
    kGt,
    kGe,
    kBetween,
    kBeginsWith
  };
  Op op = Op::kNone;
  AttributeValue a;  // the value; the lower bound for kBetween
  AttributeValue b;  // the upper bound for kBetween
};

struct QueryOptions {
  AttributeValue hash;  // the partition key value
  RangeCondition range;
  bool forward = true;  // ascending sort key
  size_t limit = 1000;  // items per page, >= 1
  std::string page_token;
  // DynamoDB's ExclusiveStartKey: continue just after this key (in the
  // query's direction), as if it had been the last item of a page; it need
  // not exist, but must be of the queried partition (else InvalidArgument).
  // Set at most one of page_token and exclusive_start_key. Options are
  // passed through unchanged by wrapping stores, so any backend that
  // implements it serves key-based paging (godwit serve uses it).
  std::optional<Key> exclusive_start_key;
};

class Snapshot;

struct ScanOptions {
  int segment = 0;         // 0 <= segment < total_segments
  int total_segments = 1;  // 1 .. 1,000,000
  size_t limit = 1000;     // items per page, >= 1
  std::string page_token;
  // As QueryOptions::exclusive_start_key; the key must be of this segment.
  std::optional<Key> exclusive_start_key;
  // If set, read as of the snapshot (which must come from the same table).
  const Snapshot* snapshot = nullptr;
};

// A consistent read view of one table.
class Snapshot {
 public:
  virtual ~Snapshot() = default;
  // The stream sequence this view corresponds to: it contains exactly the
  // changes with sequence <= sequence().
  virtual uint64_t sequence() const = 0;
};

enum class ChangeType : uint8_t { kInsert = 1, kModify = 2, kRemove = 3 };
std::string_view ChangeTypeName(ChangeType t);  // "INSERT", "MODIFY", "REMOVE"

// Who made a change: a client's write, or the service itself (DynamoDB's
// Time to Live deletes expired items; their stream records carry
// a userIdentity of type "Service", principal "dynamodb.amazonaws.com":
// DynamoDB Streams API reference, "Record" and "Identity").
enum class ChangeOrigin : uint8_t {
  kUser = 0,
  kTimeToLive = 1,
};

struct ChangeRecord {
  uint64_t sequence = 0;
  int64_t time_micros = 0;
  ChangeType type = ChangeType::kInsert;
  Item keys;                      // the key attributes
  std::optional<Item> old_image;  // absent for kInsert
  std::optional<Item> new_image;  // absent for kRemove
  // Last, so that aggregate initialisation of the fields above still works.
  ChangeOrigin origin = ChangeOrigin::kUser;
};

struct StreamPosition {
  enum class Kind : uint8_t { kTrimHorizon, kLatest, kAt, kAfter };
  Kind kind = Kind::kTrimHorizon;
  uint64_t sequence = 0;  // kAt, kAfter
  static StreamPosition TrimHorizon() { return {Kind::kTrimHorizon, 0}; }
  static StreamPosition Latest() { return {Kind::kLatest, 0}; }
  static StreamPosition At(uint64_t s) { return {Kind::kAt, s}; }
  static StreamPosition After(uint64_t s) { return {Kind::kAfter, s}; }
};

// Reads a table's change stream in sequence order. Never returns sequence n+1
// before n.
class StreamReader {
 public:
  virtual ~StreamReader() = default;
  // Appends up to `max` records after the reader's position and advances.
  // Appends nothing when caught up.
  // Errors: DataLoss if the position has been trimmed by retention (the
  // message says which sequence and the oldest available).
  virtual Status Read(size_t max, std::vector<ChangeRecord>* out) = 0;
  // The sequence of the last record returned (or the start position - 1).
  virtual uint64_t position() const = 0;
};

class Table {
 public:
  virtual ~Table() = default;
  virtual const std::string& name() const = 0;
  virtual const KeySchema& key_schema() const = 0;

  // nullopt if absent.
  virtual Result<std::optional<Item>> Get(const Key& key) = 0;
  // Reads several keys at once (consistently, like Get): the result has one
  // entry per key, in order, nullopt where absent. Any number of keys, which
  // may repeat. The default calls Get for each; the remote store sends
  // BatchGetItem requests of up to 100 keys.
  virtual Result<std::vector<std::optional<Item>>> BatchGet(
      const std::vector<Key>& keys);
  // Runs `fn` on the table that serves this one's operations, with that
  // choice fixed for the whole call: a read-modify-write done inside
  // (read, check, write) cannot have its read and its write land on two
  // different tables when a router flips in between. The default runs fn
  // on *this; the router's tables run it on the active physical table with
  // flips held off.
  virtual Status WithStableTable(const std::function<Status(Table&)>& fn) {
    return fn(*this);
  }
  // Writes `item`; returns the previous item at its key, if any.
  // Errors: InvalidArgument (validation), Aborted (condition failed).
  virtual Result<std::optional<Item>> Put(
      const Item& item, const Condition& cond = Condition::None()) = 0;
  // Deletes; returns the deleted item, if any. Deleting an absent key is not
  // an error (and writes no change record).
  virtual Result<std::optional<Item>> Delete(
      const Key& key, const Condition& cond = Condition::None()) = 0;
  // Delete as the service (Time to Live), not as a client: the same as
  // Delete, and the change record's origin is `origin`. The store keeps the
  // origin with the record. The default (stores that cannot keep it) is
  // Unimplemented; the local store implements it.
  virtual Result<std::optional<Item>> DeleteAsService(
      const Key& key, const Condition& cond,
      ChangeOrigin origin = ChangeOrigin::kTimeToLive) {
    (void)key;
    (void)cond;
    (void)origin;
    return Status::Unimplemented("this store cannot delete as the service");
  }
  // At most kMaxBatchWriteItems entries, no two on the same key.
  // Errors: InvalidArgument for a bad batch (nothing is written).
  virtual Result<BatchWriteResult> BatchWrite(
      std::vector<WriteRequest> requests) = 0;
  virtual Result<Page> Query(const QueryOptions& opts) = 0;
  virtual Result<Page> Scan(const ScanOptions& opts) = 0;

  virtual Result<std::unique_ptr<Snapshot>> GetSnapshot() = 0;
  // Errors: FailedPrecondition if the table has no stream; DataLoss if the
  // position was trimmed.
  virtual Result<std::unique_ptr<StreamReader>> OpenStream(
      const StreamPosition& pos) = 0;
  virtual Result<TableDescription> Describe() = 0;

  // Registered consumers pin the stream: retention never trims a record
  // after a registered consumer's position. A consumer that is never dropped
  // keeps its records forever, so drop consumers you no longer need.
  // Backends without consumer registration (DynamoDB) return Unimplemented.
  //
  // Registers `name` at `position` (the last sequence it has processed; 0 for
  // "nothing yet"). Errors: AlreadyExists; InvalidArgument (bad name: 1-255
  // printable ASCII characters); DataLoss if records after `position` have
  // been trimmed already; OutOfRange if position > latest_sequence;
  // FailedPrecondition if the table has no stream.
  virtual Status RegisterStreamConsumer(const std::string& name,
                                        uint64_t position);
  // Moves the consumer to `position` (forward or back, within what is kept).
  // Errors: NotFound; DataLoss / OutOfRange as for Register.
  virtual Status AckStreamConsumer(const std::string& name, uint64_t position);
  // Errors: NotFound.
  virtual Status DropStreamConsumer(const std::string& name);
  virtual Result<std::vector<StreamConsumer>> ListStreamConsumers();
};

class Store {
 public:
  virtual ~Store() = default;
  // Errors: AlreadyExists, InvalidArgument (bad name or schema).
  virtual Status CreateTable(const std::string& name,
                             const TableOptions& opts) = 0;
  virtual Status DropTable(const std::string& name) = 0;
  virtual Result<std::vector<std::string>> ListTables() = 0;
  virtual Result<TableDescription> DescribeTable(const std::string& name) = 0;
  // Errors: NotFound.
  virtual Result<std::shared_ptr<Table>> GetTable(const std::string& name) = 0;

  // Turns a table's change stream on or off (DynamoDB's UpdateTable
  // StreamSpecification). Turning it on starts a new stream: the records
  // kept from before are discarded and stream_first_sequence becomes
  // latest_sequence + 1, so a reader positioned in the old stream gets
  // DataLoss instead of silently missing the changes made while it was off.
  // Turning it off keeps the records but OpenStream fails until it is on.
  // Errors: NotFound; Unimplemented where the backend cannot.
  virtual Status UpdateStream(const std::string& name, bool enabled);
  // UpdateStream, and sets the stream view type when `enabled` (turning a
  // stream off keeps the type it had). The default implementation accepts
  // only kNewAndOldImages when enabling (it cannot keep anything else).
  // Errors: as UpdateStream; Unimplemented.
  virtual Status UpdateStreamSpecification(const std::string& name,
                                           bool enabled,
                                           StreamViewType view_type) {
    if (enabled && view_type != StreamViewType::kNewAndOldImages) {
      return Status::Unimplemented("this store cannot keep a stream view type");
    }
    return UpdateStream(name, enabled);
  }
};

}  // namespace godwit

#endif  // GODWIT_STORE_H_
