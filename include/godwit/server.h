// godwit serve: a Store over the DynamoDB and DynamoDB Streams JSON 1.0 API.
//
// Two layers:
//   - RequestHandler maps one request (the X-Amz-Target header and the JSON
//     body) to one response (HTTP status and JSON body). No sockets: the
//     fuzzer and unit tests call it directly.
//   - Server runs RequestHandler behind a Boost.Beast HTTP/1.1 listener with
//     keep-alive, a small pool of io_context threads, a request body cap,
//     a bound on the bytes all requests hold at once, a connection cap,
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

class ServerMetrics;  // server/metrics.h
struct ServerStats;

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
  // Counts every request (`godwit serve --metrics-listen`); null: none.
  // Must outlive the handler.
  ServerMetrics* metrics = nullptr;

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
  // Readers of one shard at once: iterator chains that called GetRecords on
  // it twice or more, the last time within kReaderWindowMicros
  // (src/server/stream_hub.h; a chain's first call is a probe, never
  // refused); one more gets LimitExceededException. 0: no limit (the
  // default: godwit serve's clients, and its conformance scenarios, read a
  // shard through more chains at once than DynamoDB's guidance of two).
  int stream_readers_per_shard = 0;
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
  HttpResult HandleRequest(std::string_view target, std::string_view body);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A DynamoDB-shaped error body: {"__type":"<prefix>#<type>","message":"..."}
// (wire::ErrorBody: the prefix is the error table's).
std::string ErrorBody(std::string_view type, std::string_view message);

// One key of the auth file.
struct AuthKey {
  AuthKey() = default;
  // Implicit, so that AuthKeys{{"AKID", "secret"}} reads as a key without a
  // session token.
  AuthKey(std::string secret_access_key, std::string token = "")
      : secret(std::move(secret_access_key)), session_token(std::move(token)) {}
  AuthKey(const char* secret_access_key) : secret(secret_access_key) {}

  std::string secret;
  // Non-empty: every request by this key must carry this exact
  // X-Amz-Security-Token, signed (temporary credentials). Empty: a request
  // by this key that carries a token is refused.
  std::string session_token;
};

// SigV4 credentials: access key id -> key.
using AuthKeys = std::map<std::string, AuthKey>;

// Reads an auth file: one "ACCESS_KEY_ID SECRET_ACCESS_KEY [SESSION_TOKEN]"
// per line, '#' comments (grammar at the top of src/server/sigv4.cc).
// Errors: NotFound (cannot read), InvalidArgument naming the line (a line
// of 1 or over 3 fields, an access key id given twice, naming both lines;
// no keys at all).
Result<AuthKeys> LoadAuthFile(const std::string& path);

struct SigV4Request {
  std::string method;  // "POST"
  std::string target;  // path and query as sent, e.g. "/"
  std::vector<std::pair<std::string, std::string>> headers;
  std::string_view body;
};

// Whom a signature must be scoped to: "DATE/REGION/SERVICE/aws4_request"
// with this region and service. The DynamoDB Streams API is signed with
// service "dynamodb" too (its signing name in the AWS SDKs' service model).
struct SigV4Scope {
  std::string region;
  std::string service = "dynamodb";
};

// What a request that passed CheckSigV4 was signed with.
struct SigV4Signer {
  std::string access_key_id;
  std::vector<std::string> signed_headers;  // lower case, as sent
  // True if the lower-case header `name` is among the signed headers.
  bool Signs(std::string_view name) const;
};

// nullopt if `req` carries a valid AWS SigV4 signature (Authorization
// header) by one of `keys`, scoped to `scope`, made within 15 minutes of
// `now_seconds`, signing the Host header, and with the key's session token
// if it has one (and none if it has none); then *signer (if non-null) says
// who signed what. Otherwise the DynamoDB-shaped refusal, HTTP 400:
//   MissingAuthenticationTokenException  no Authorization header
//   IncompleteSignatureException         malformed header or credential,
//                                        no X-Amz-Date, Host not signed, a
//                                        session token not signed
//   UnrecognizedClientException          unknown key, or a session token
//                                        missing, unexpected or wrong
//   InvalidSignatureException            another region or service, expired,
//                                        or the signature does not match
std::optional<HttpResult> CheckSigV4(const SigV4Request& req,
                                     const AuthKeys& keys,
                                     const SigV4Scope& scope,
                                     int64_t now_seconds,
                                     SigV4Signer* signer = nullptr);

// The checks of CheckSigV4 that need no body (all but the signature), so
// that a request can be refused before its body is read. `req.body` is
// ignored. A request this passes may still fail CheckSigV4.
std::optional<HttpResult> CheckSigV4Headers(const SigV4Request& req,
                                            const AuthKeys& keys,
                                            const SigV4Scope& scope,
                                            int64_t now_seconds);

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8000;  // 0: an ephemeral port, see Server::port()
  int threads = 4;
  size_t max_body_bytes = size_t{16} << 20;
  // The bytes all requests together may hold at once: 5 bytes per byte of
  // a request's announced body (its Content-Length, or max_body_bytes when
  // chunked), reserved before the body is read, then the body and the
  // memory to parse and handle it (estimated from the body's JSON
  // structure), reserved before the handler runs, then the response while
  // it is written; see docs/server.md, "Limits and hardening". A request
  // that does not fit gets HTTP 400 ThrottlingException (SDKs retry it); one
  // that alone needs more than this gets HTTP 413. Must be >= 5 *
  // max_body_bytes (a body and the least its parsing takes).
  size_t max_inflight_bytes = size_t{256} << 20;
  // The most connections open at once; 0: from the open-file limit (the
  // RLIMIT_NOFILE soft limit minus a quarter of it or 1024, whichever is
  // less, left to the store; at most 4096). At the cap a new connection
  // closes the longest-idle keep-alive connection (one waiting for its next
  // request), else it is closed itself. When accept() runs out of
  // descriptors anyway, idle connections are closed and the listener backs
  // off (it does not spin).
  size_t max_connections = 0;
  // Idle keep-alive connections and slow clients are closed after this.
  int idle_timeout_seconds = 30;
  HandlerOptions handler;
  // Empty: no authentication (any credentials are accepted). Otherwise
  // every request must be SigV4-signed by one of these keys, scoped to
  // handler.region and service "dynamodb" (CheckSigV4). Headers are checked
  // before the body is read: an unsigned request is refused unread.
  AuthKeys auth;
  // The store under a routing `store` (godwit serve serves its router's,
  // which resolves a logical table name through the pointer). Requests
  // with the header kPhysicalTablesHeader go to this one, by physical
  // table name: godwit's remote store sends it, so that a migration run
  // against this server reads and writes the tables it names ("Orders" is
  // the old table even while the pointer routes "Orders" to "Orders.v2").
  // nullptr: the header is ignored. With `auth`, the header counts only
  // when it is among the request's signed headers.
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
  // Connections open and bytes held now (for the metrics).
  virtual ServerStats stats() const = 0;
  // Stops accepting, lets in-flight requests finish and their responses go
  // out (waiting up to 10 s), closes idle connections and joins the threads.
  // Idempotent; the destructor calls it.
  virtual void Shutdown() = 0;
};

}  // namespace godwit::server

#endif  // GODWIT_SERVER_H_
