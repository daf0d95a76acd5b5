// godwit serve: the local store over the DynamoDB and DynamoDB Streams HTTP
// API (see include/godwit/server.h and docs/server.md).
//
// It also hosts migrations of the tables it serves (server/admin.h).
//
// Signals: SIGINT and SIGTERM are blocked in every thread and taken by
// sigwait() in the main thread; the server then shuts down gracefully and
// the store is closed (its destructor flushes and releases the lock).
//
// Process settings for a long-lived server (docs/server.md, "Limits"): the
// soft open-file limit is raised to the hard limit, and with glibc,
// allocations of 1 MiB or more are mmap'ed (a fixed M_MMAP_THRESHOLD), so
// that the memory of a large request goes back to the system once it is
// answered instead of staying in the heap.
#include <signal.h>
#include <sys/resource.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>

#include "cli/cli.h"
#include "cli/config.h"
#include "cli/session.h"
#include "godwit/local_store.h"
#include "godwit/server.h"
#include "ops/run_metrics.h"
#include "server/admin.h"
#include "server/metrics.h"

namespace godwit::cli {
namespace {

struct ServeArgs {
  std::string listen = "127.0.0.1:8000";
  std::string port_file;
  std::string region = "ddblocal";
  std::string auth_file;
  int threads = 4;
  size_t max_body_bytes = size_t{16} << 20;
  size_t max_inflight_bytes = size_t{256} << 20;
  size_t max_connections = 0;
  std::string min_free_space;  // empty: LocalStoreOptions' default
  std::string metrics_listen;  // empty: no metrics
  bool no_sync = false;
  // The faithful stream and Time to Live (HandlerOptions).
  int stream_shards = 1;
  double shard_rotate_seconds = 0;
  int stream_page_max = 1000;
  double stream_empty_page_rate = 0;
  int64_t iterator_ttl_seconds = 900;
  int stream_readers_per_shard = 0;
  int64_t stream_retention_seconds = 86400;
  double ttl_scan_seconds = 5;
};

// --min-free-space: "0" (no watermark), "N%" of the file system, or a size
// "N[K|M|G|T][i][B]" (binary units: 256M = 256 MiB).
Status ParseMinFreeSpace(const std::string& text, LocalStoreOptions* o) {
  auto bad = [&] {
    return Status::InvalidArgument(
        "--min-free-space \"" + text +
        "\": want a size (256M, 1G, 1048576) or a percentage (5%)");
  };
  size_t end = 0;
  double v = 0;
  try {
    v = std::stod(text, &end);
  } catch (const std::exception&) {
    return bad();
  }
  if (!std::isfinite(v) || v < 0 || end == 0) return bad();
  std::string unit = text.substr(end);
  if (unit == "%") {
    if (v > 100) return bad();
    o->min_free_bytes = 0;
    o->min_free_fraction = v / 100;
    return Status::OK();
  }
  for (const char* suffix : {"iB", "B", "i"}) {
    std::string_view sv(suffix);
    if (unit.size() > sv.size() && unit.ends_with(sv)) {
      unit.resize(unit.size() - sv.size());
      break;
    }
  }
  double scale = 1;
  if (unit == "K" || unit == "k") {
    scale = 1024.0;
  } else if (unit == "M" || unit == "m") {
    scale = 1024.0 * 1024;
  } else if (unit == "G" || unit == "g") {
    scale = 1024.0 * 1024 * 1024;
  } else if (unit == "T" || unit == "t") {
    scale = 1024.0 * 1024 * 1024 * 1024;
  } else if (!unit.empty() && unit != "B") {
    return bad();
  }
  o->min_free_bytes = static_cast<uint64_t>(v * scale);
  o->min_free_fraction = 0;
  return Status::OK();
}

// The soft open-file limit up to the hard one (a server holds a descriptor
// per connection and the store one per file). Returns the soft limit.
rlim_t RaiseOpenFileLimit() {
  struct rlimit rl {};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 0;
  if (rl.rlim_cur < rl.rlim_max) {
    struct rlimit want = rl;
    want.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &want) == 0) {
      rl = want;
    } else {
      std::fprintf(stderr,
                   "godwit serve: cannot raise the open-file limit from %llu "
                   "to %llu: %s\n",
                   static_cast<unsigned long long>(rl.rlim_cur),
                   static_cast<unsigned long long>(rl.rlim_max),
                   std::strerror(errno));
    }
  }
  return rl.rlim_cur;
}

Status RunServe(const Context& ctx, const ServeArgs& a) {
  ASSIGN_OR_RETURN(auto hp, server::ParseListenAddress(a.listen));
  ASSIGN_OR_RETURN(StoreTarget target, ResolveStore(ctx.global));
  if (target.remote) {
    return Status::InvalidArgument(
        "godwit serve serves the embedded store: --store (or [store] in "
        "godwit.toml) must be a directory, not a remote endpoint");
  }
  const std::string& path = target.path;

  StoreOpenOptions open{.create = true, .sync = !a.no_sync};
  if (!a.min_free_space.empty()) {
    LocalStoreOptions lo;
    RETURN_IF_ERROR(ParseMinFreeSpace(a.min_free_space, &lo));
    open.min_free_bytes = lo.min_free_bytes;
    open.min_free_fraction = lo.min_free_fraction;
  }
  server::ServerOptions so;
  so.host = hp.first;
  so.port = hp.second;
  so.threads = a.threads;
  so.max_body_bytes = a.max_body_bytes;
  so.max_inflight_bytes = a.max_inflight_bytes;
  so.max_connections = a.max_connections;
  so.handler.region = a.region;
  so.handler.stream_shards = a.stream_shards;
  so.handler.shard_rotate_seconds = a.shard_rotate_seconds;
  so.handler.stream_page_max = a.stream_page_max;
  so.handler.stream_empty_page_rate = a.stream_empty_page_rate;
  so.handler.iterator_ttl_seconds = a.iterator_ttl_seconds;
  so.handler.stream_readers_per_shard = a.stream_readers_per_shard;
  so.handler.stream_retention_seconds = a.stream_retention_seconds;
  so.handler.ttl_scan_seconds = a.ttl_scan_seconds;
  if (so.max_inflight_bytes / 5 < so.max_body_bytes) {
    return Status::InvalidArgument(
        "--max-inflight-bytes must be at least 5 times --max-body-bytes (a "
        "body and the least its parsing takes)");
  }
  if (!a.auth_file.empty()) {
    ASSIGN_OR_RETURN(so.auth, server::LoadAuthFile(a.auth_file));
  }

  rlim_t fds = RaiseOpenFileLimit();
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
#endif

  // Block the signals before any thread starts, so that every thread
  // inherits the mask and only sigwait() below sees them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  // Applications address logical table names: the handler serves the
  // router's store, which resolves them through the pointer and holds their
  // writes during a cutover of a migration this server hosts.
  ASSIGN_OR_RETURN(Session session, OpenSession(ctx, open));
  Status writable;
  if (auto* local = dynamic_cast<LocalStore*>(session.store.get())) {
    writable = local->WriteStatus();
  }
  server::AdminHost host(session.env());
  // Declared before the server: its handlers count into it until it stops.
  std::shared_ptr<server::ServerMetrics> metrics;
  if (!a.metrics_listen.empty()) {
    metrics = std::make_shared<server::ServerMetrics>();
    so.handler.metrics = metrics.get();
  }

  so.handler.admin = [&host](std::string_view op, std::string_view body) {
    return host.Handle(op, body);
  };
  so.physical = session.store.get();  // for godwit's own remote store
  ASSIGN_OR_RETURN(std::unique_ptr<server::Server> srv,
                   server::Server::Start(session.router->store(), so));
  std::unique_ptr<ops::MetricsServer> metrics_server;
  if (metrics) {
    metrics->SetServerStats([s = srv.get()] { return s->stats(); });
    ASSIGN_OR_RETURN(metrics_server,
                     ops::MetricsServer::Start(a.metrics_listen, metrics));
    std::fprintf(stderr, "godwit serve: metrics: %s\n",
                 metrics_server->url().c_str());
  }

  if (!writable.ok()) {
    std::fprintf(stderr, "godwit serve: READ-ONLY for now: %s\n",
                 std::string(writable.message()).c_str());
  }
  std::fprintf(stderr,
               "godwit serve: open-file limit %llu; at most %zu bytes of "
               "requests in flight\n",
               static_cast<unsigned long long>(fds), so.max_inflight_bytes);
  if (so.auth.empty()) {
    std::fprintf(stderr,
                 "godwit serve: WARNING: no --auth given: requests are not "
                 "authenticated, any credentials are accepted\n");
  } else {
    std::fprintf(stderr,
                 "godwit serve: SigV4 required, %zu access key(s) from %s, "
                 "scoped to region %s, service dynamodb\n",
                 so.auth.size(), a.auth_file.c_str(), a.region.c_str());
  }
  if (hp.first != "127.0.0.1" && hp.first != "localhost" && hp.first != "::1") {
    std::fprintf(stderr,
                 "godwit serve: WARNING: listening on %s, not loopback: "
                 "anyone who can reach it can read and write every table\n",
                 hp.first.c_str());
  }
  std::fprintf(stderr, "godwit serve: store %s, listening on %s:%u\n",
               path.c_str(), hp.first.c_str(),
               static_cast<unsigned>(srv->port()));
  if (!a.port_file.empty()) {
    std::string tmp = a.port_file + ".tmp";
    {
      std::ofstream f(tmp, std::ios::trunc);
      f << srv->port() << "\n";
      if (!f) return Status::IOError("cannot write " + tmp);
    }
    if (std::rename(tmp.c_str(), a.port_file.c_str()) != 0) {
      return Status::IOError("cannot rename " + tmp + " to " + a.port_file);
    }
  }

  int sig = 0;
  sigwait(&set, &sig);
  std::fprintf(stderr, "godwit serve: %s received, shutting down\n",
               sig == SIGINT ? "SIGINT" : "SIGTERM");
  metrics_server.reset();  // no scrape reads the server past this
  srv->Shutdown();
  srv.reset();
  // ~AdminHost stops the hosted runs (resumable), then the store closes.
  std::fprintf(stderr, "godwit serve: stopped\n");
  return Status::OK();
}

}  // namespace

void RegisterServeCommands(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<ServeArgs>();
  Context* c = &ctx;
  CLI::App* serve = app.add_subcommand(
      "serve",
      "serve the store over the DynamoDB and DynamoDB Streams HTTP API");
  serve->add_option("--store", ctx.global.store_path, "store directory");
  serve->add_option("--listen", args->listen, "HOST:PORT (port 0: any)")
      ->capture_default_str();
  serve->add_option("--port-file", args->port_file,
                    "write the bound port to this file once listening");
  serve->add_option("--threads", args->threads, "I/O threads")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  serve
      ->add_option("--max-body-bytes", args->max_body_bytes,
                   "request body cap (larger requests get HTTP 413)")
      ->capture_default_str();
  serve
      ->add_option("--max-inflight-bytes", args->max_inflight_bytes,
                   "bound on the bytes all requests hold at once (bodies and "
                   "parsing); over it requests get ThrottlingException")
      ->capture_default_str();
  serve
      ->add_option("--max-connections", args->max_connections,
                   "connection cap (0: from the open-file limit); at the cap "
                   "the longest-idle keep-alive connection is closed")
      ->capture_default_str();
  serve->add_option(
      "--min-free-space", args->min_free_space,
      "free space to keep on the store's disk, a size (256M, 1G) or a "
      "percentage (5%); below it writes get HTTP 503 and reads go on "
      "(default: 256M or 5% of the disk, whichever is less; 0: off)");
  serve
      ->add_option("--region", args->region,
                   "region reported in ARNs and stream records, and the "
                   "region SigV4 signatures must be scoped to")
      ->capture_default_str();
  serve->add_option(
      "--auth", args->auth_file,
      "file of \"ACCESS_KEY_ID SECRET [SESSION_TOKEN]\" lines: require "
      "SigV4 signatures by these keys (default: accept anything)");
  serve->add_option("--metrics-listen", args->metrics_listen,
                    "serve Prometheus metrics (requests, latencies, errors, "
                    "capacity per table, connections, bytes in flight) at "
                    "http://HOST:PORT/metrics (port 0: any free one; the URL "
                    "is printed); not authenticated: keep it on loopback");
  serve->add_flag("--no-sync", args->no_sync,
                  "do not fsync each write (survives kill -9, not power loss)");
  // The stream as DynamoDB has it (docs/server.md, "A faithful stream").
  serve
      ->add_option("--stream-shards", args->stream_shards,
                   "open shards per table stream; records spread by a "
                   "stable hash of the partition key")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  serve
      ->add_option("--shard-rotate-seconds", args->shard_rotate_seconds,
                   "every S seconds each open shard closes and a child opens "
                   "(now and then two: a split); 0: never")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e9));
  serve
      ->add_option("--stream-page-max", args->stream_page_max,
                   "GetRecords returns at most N records (and 1 MB)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  serve
      ->add_option("--stream-empty-page-rate", args->stream_empty_page_rate,
                   "probability that a GetRecords page is empty although "
                   "records follow (never more than 2 in a row on one "
                   "iterator chain)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  serve
      ->add_option("--iterator-ttl-seconds", args->iterator_ttl_seconds,
                   "an older shard iterator gets ExpiredIteratorException")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
  serve
      ->add_option("--stream-readers-per-shard", args->stream_readers_per_shard,
                   "iterator chains that may read one shard at once (a "
                   "chain's second and later GetRecords within 2 s of the "
                   "last; its first is a probe); one more gets "
                   "LimitExceededException; 0: no limit (DynamoDB: 2)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000000));
  serve
      ->add_option("--stream-retention-seconds", args->stream_retention_seconds,
                   "records older than this are trimmed "
                   "(TrimmedDataAccessException); older closed shards are "
                   "no longer listed (with rotation: at most 1500 shards "
                   "listed, see docs/server.md)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
  serve
      ->add_option("--ttl-scan-seconds", args->ttl_scan_seconds,
                   "how often the Time to Live expirer deletes expired "
                   "items; 0: never")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 86400.0));
  serve->callback(
      [c, args] { c->run = [c, args] { return RunServe(*c, *args); }; });
}

}  // namespace godwit::cli
