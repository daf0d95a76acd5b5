// godwit serve's Prometheus metrics (`godwit serve --metrics-listen ADDR`,
// docs/server.md "Metrics"): what the handler and the listener do, read at
// each scrape.
//
//   godwit_serve_requests_total{operation,status}        counter
//   godwit_serve_request_seconds{operation}              histogram
//   godwit_serve_errors_total{type}                      counter (DynamoDB
//   error type) godwit_serve_capacity_units_total{table,kind}        counter
//   (read | write units
//                                                        charged, DynamoDB's
//                                                        arithmetic)
//   godwit_serve_stream_readers{table}                   gauge (iterator
//                                                        chains that read
//                                                        in the last 60 s)
//   godwit_serve_stream_reader_behind_seconds{table}     gauge (the longest
//                                                        time one of them
//                                                        has gone without
//                                                        reaching its
//                                                        shard's head)
//   godwit_serve_connections                             gauge (open now)
//   godwit_serve_inflight_bytes, _inflight_bytes_limit   gauge (the byte
//   budget)
//
// `operation` is an operation of the operation table (PutItem, GetRecords,
// ...), "admin" for the admin API, or "unknown": never a client's text, so
// that a hostile client cannot grow the label set.
//
// Threads: Record() from any handler thread; Collect() from the exposer's.
#ifndef GODWIT_SERVER_METRICS_H_
#define GODWIT_SERVER_METRICS_H_

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace godwit::server {

// What one request charged a table (capacity.h, Charge()).
struct Charged {
  std::string table;
  double read_units = 0;
  double write_units = 0;
};

// The listener's figures now (Server::stats()).
struct ServerStats {
  size_t connections = 0;
  size_t inflight_bytes = 0;
  size_t inflight_bytes_limit = 0;
};

class ServerMetrics : public prometheus::Collectable {
 public:
  ServerMetrics();
  // One request answered: its operation label (see above), HTTP status,
  // duration, DynamoDB error type ("" when it succeeded) and charges.
  void Record(std::string_view operation, int http_status, double seconds,
              std::string_view error_type, const std::vector<Charged>& charged);
  // Where the listener's figures come from (unset: not reported). Call
  // before scrapes begin.
  void SetServerStats(std::function<ServerStats()> stats);
  // One GetRecords answered on `table`'s stream for iterator chain
  // `reader`; `at_head`: the page reached its shard's head (a misleading
  // empty page does not).
  void RecordStreamRead(const std::string& table, uint64_t reader,
                        bool at_head);
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& latency_;
  prometheus::Family<prometheus::Counter>& errors_;
  prometheus::Family<prometheus::Counter>& capacity_;
  // A chain's last GetRecords and the last time it was at its shard's head
  // (or its first read, if never), in microseconds since the epoch.
  struct ChainSeen {
    int64_t last = 0;
    int64_t at_head = 0;
  };
  // Forgets chains idle for longer than the readers' window.
  void SweepReaders(int64_t now) const;

  mutable std::mutex mu_;
  std::function<ServerStats()> stats_;  // guarded by mu_
  // table -> chain -> seen; guarded by mu_.
  mutable std::map<std::string, std::map<uint64_t, ChainSeen>> readers_;
  uint64_t reads_ = 0;  // guarded by mu_
};

}  // namespace godwit::server

#endif  // GODWIT_SERVER_METRICS_H_
