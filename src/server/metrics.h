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

#include <functional>
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
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& latency_;
  prometheus::Family<prometheus::Counter>& errors_;
  prometheus::Family<prometheus::Counter>& capacity_;
  mutable std::mutex mu_;
  std::function<ServerStats()> stats_;  // guarded by mu_
};

}  // namespace godwit::server

#endif  // GODWIT_SERVER_METRICS_H_
