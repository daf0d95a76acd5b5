// godwit serve: a Store over the DynamoDB and DynamoDB Streams JSON 1.0 API.
//
// Two layers:
//   - RequestHandler maps one request (the X-Amz-Target header and the JSON
//     body) to one response (HTTP status and JSON body). No sockets: the
//     fuzzer and unit tests call it directly.
//   - Server runs RequestHandler behind a Boost.Beast HTTP/1.1 listener with
//     keep-alive, a small pool of io_context threads, a request body cap,
//     optional SigV4 verification (CheckSigV4) and graceful shutdown.
//
// RequestHandler is one table of operations (src/server/handler.cc): each
// X-Amz-Target to its handler (src/server/operations.h, files by concern).
//
// Errors go back as DynamoDB sends them: HTTP 400 with
//   {"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException",
//    "message":"..."}
// and HTTP 500 for internal errors (a bug or a storage failure); the types,
// codes and statuses are the wire layer's one table (src/wire/errors.h).
//
// Atomicity of conditional writes. The Table interface only offers simple
// conditions, so every item write the server makes (PutItem, DeleteItem,
// UpdateItem, BatchWriteItem) goes through one read-modify-write helper
// (src/server/rmw.h): a striped mutex chosen by hash(table, key), and the
// read, the check and the write on one physical table
// (Table::WithStableTable). Writes of one key through one server are
// therefore serialised; a writer outside the server process (none exists:
// the local store allows one process) is not covered.
//
// Thread safety: RequestHandler::Handle may be called from many threads.
//
// Example:
//   ASSIGN_OR_RETURN(std::unique_ptr<Store> store, OpenLocalStore({.path =
//   p})); ASSIGN_OR_RETURN(std::unique_ptr<server::Server> srv,
//                    server::Server::Start(store.get(), {.port = 0}));
//   ... srv->port() ...
//   srv->Shutdown();  // before the store is closed
#ifndef GODWIT_SERVER_H_
#define GODWIT_SERVER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "godwit/status.h"
#include "godwit/store.h"

namespace godwit::server {

struct HttpResult {
  int status = 200;
  std::string body;  // JSON
};

// The X-Amz-Target prefix of godwit's own operations (migrations hosted by
// the server: StartMigration, MigrationCommand; see docs/server.md).
inline constexpr std::string_view kAdminTargetPrefix = "GodwitAdmin_20261121.";

class StreamHub;  // src/server/stream_hub.h

struct HandlerOptions {
  // Reported in ARNs and stream records.
  std::string region = "ddblocal";
  // Serves targets under kAdminTargetPrefix, given the operation name after
  // the prefix and the body. Unset: they are unknown operations.
  std::function<HttpResult(std::string_view op, std::string_view body)> admin;

  // The stream as DynamoDB has it (docs/server.md, "A faithful stream").
  // The defaults are godwit serve's historical stream: one shard per table
  // (wire::kSingleShardId) that never closes.
  //
  // Open shards per table; a record goes to the shard of a stable hash of
  // its partition key. 1..1000.
  int stream_shards = 1;
  // Every this many seconds each open shard closes and a child opens (now
  // and then two: a split). 0: shards never close.
  double shard_rotate_seconds = 0;
  // GetRecords returns at most this many records (and at most 1 MB).
  // 1..1000.
  int stream_page_max = 1000;
  // A GetRecords page is empty although records follow, with this
  // probability; never more than 2 empty pages in a row on one iterator
  // chain (3 empty pages in a row mean "at the head"). 0..1.
  double stream_empty_page_rate = 0;
  // An iterator older than this gets ExpiredIteratorException. > 0.
  int64_t iterator_ttl_seconds = 900;
  // Iterator chains that read one shard within the last
  // kReaderWindowSeconds (src/server/stream_hub.h); one more gets
  // LimitExceededException. >= 1.
  int stream_readers_per_shard = 2;
  // Records older than this are trimmed (TrimmedDataAccessException), and
  // shards closed before then are no longer listed. > 0.
  int64_t stream_retention_seconds = 86400;
  // How often the Time to Live expirer looks for expired items (seconds;
  // 0: no expirer thread, StreamHub::ExpireNow only).
  double ttl_scan_seconds = 5;
  // Seeds the splits and the empty pages (0: from the clock).
  uint64_t stream_seed = 0;
  // Microseconds since the epoch (tests); unset: the system clock.
  std::function<int64_t()> clock;
  // The stream state shared by the handlers of one server (Server::Start
  // makes one for both of its handlers); unset: the handler makes its own.
  std::shared_ptr<StreamHub> stream_hub;
};

class RequestHandler {
 public:
  // `store` must outlive the handler.
  explicit RequestHandler(Store* store, HandlerOptions opts = {});
  ~RequestHandler();
  RequestHandler(const RequestHandler&) = delete;
  RequestHandler& operator=(const RequestHandler&) = delete;

  // `target` is the X-Amz-Target header ("DynamoDB_20120810.PutItem",
  // "DynamoDBStreams_20120810.GetRecords"), `body` the request body.
  // Never throws.
  HttpResult Handle(std::string_view target, std::string_view body);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A DynamoDB-shaped error body: {"__type":"<prefix>#<type>","message":"..."}
// (wire::ErrorBody: the prefix is the error table's).
std::string ErrorBody(std::string_view type, std::string_view message);

// SigV4 credentials: access key id -> secret access key.
using AuthKeys = std::map<std::string, std::string>;

// Reads an auth file: one "ACCESS_KEY_ID SECRET_ACCESS_KEY" per line, '#'
// comments. Errors: NotFound, InvalidArgument (naming the line).
Result<AuthKeys> LoadAuthFile(const std::string& path);

struct SigV4Request {
  std::string method;  // "POST"
  std::string target;  // path and query as sent, e.g. "/"
  std::vector<std::pair<std::string, std::string>> headers;
  std::string_view body;
};

// nullopt if `req` carries a valid AWS SigV4 signature (Authorization
// header) by one of `keys`, made within 15 minutes of `now_seconds`;
// otherwise the DynamoDB-shaped refusal (MissingAuthenticationToken-,
// IncompleteSignature-, UnrecognizedClient- or InvalidSignatureException).
std::optional<HttpResult> CheckSigV4(const SigV4Request& req,
                                     const AuthKeys& keys, int64_t now_seconds);

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8000;  // 0: an ephemeral port, see Server::port()
  int threads = 4;
  size_t max_body_bytes = size_t{16} << 20;
  // Idle keep-alive connections and slow clients are closed after this.
  int idle_timeout_seconds = 30;
  HandlerOptions handler;
  // Empty: no authentication (any credentials are accepted). Otherwise
  // every request must be SigV4-signed by one of these keys.
  AuthKeys auth;
  // The store under a routing `store` (godwit serve serves its router's,
  // which resolves a logical table name through the pointer). Requests
  // with the header kPhysicalTablesHeader go to this one, by physical
  // table name: godwit's remote store sends it, so that a migration run
  // against this server reads and writes the tables it names ("Orders" is
  // the old table even while the pointer routes "Orders" to "Orders.v2").
  // nullptr: the header is ignored.
  Store* physical = nullptr;
};

// The header (any value) that addresses physical tables; see
// ServerOptions::physical.
inline constexpr std::string_view kPhysicalTablesHeader =
    "X-Godwit-Physical-Tables";

// Parses "host:port" (IPv4 or a name) or "[v6]:port".
// Errors: InvalidArgument.
Result<std::pair<std::string, uint16_t>> ParseListenAddress(
    std::string_view spec);

class Server {
 public:
  // Binds and starts serving. `store` must outlive the server.
  // Errors: InvalidArgument (bad address), IOError (bind failed).
  static Result<std::unique_ptr<Server>> Start(Store* store,
                                               const ServerOptions& opts);
  virtual ~Server() = default;
  // The bound port.
  virtual uint16_t port() const = 0;
  // Stops accepting, lets in-flight requests finish and their responses go
  // out (waiting up to 10 s), closes idle connections and joins the threads.
  // Idempotent; the destructor calls it.
  virtual void Shutdown() = 0;
};

}  // namespace godwit::server

#endif  // GODWIT_SERVER_H_
