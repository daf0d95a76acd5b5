#include "server/metrics.h"

#include <prometheus/gauge.h>

namespace godwit::server {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildHistogram;

// Seconds: from half a millisecond to ten seconds.
const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const prometheus::Histogram::BucketBoundaries b = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
      0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  return b;
}

prometheus::MetricFamily Gauge(const std::string& name, const std::string& help,
                               double v) {
  prometheus::ClientMetric m;
  m.gauge.value = v;
  return prometheus::MetricFamily{
      name, help, prometheus::MetricType::Gauge, {m}};
}

}  // namespace

ServerMetrics::ServerMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      requests_(BuildCounter()
                    .Name("godwit_serve_requests_total")
                    .Help("Requests answered, by operation and HTTP status")
                    .Register(*registry_)),
      latency_(BuildHistogram()
                   .Name("godwit_serve_request_seconds")
                   .Help("Time to handle a request, by operation")
                   .Register(*registry_)),
      errors_(BuildCounter()
                  .Name("godwit_serve_errors_total")
                  .Help("Error answers, by DynamoDB error type")
                  .Register(*registry_)),
      capacity_(BuildCounter()
                    .Name("godwit_serve_capacity_units_total")
                    .Help("Capacity units charged, by table and kind "
                          "(DynamoDB's arithmetic)")
                    .Register(*registry_)) {}

void ServerMetrics::Record(std::string_view operation, int http_status,
                           double seconds, std::string_view error_type,
                           const std::vector<Charged>& charged) {
  const std::string op(operation);
  requests_.Add({{"operation", op}, {"status", std::to_string(http_status)}})
      .Increment();
  latency_.Add({{"operation", op}}, LatencyBuckets()).Observe(seconds);
  if (!error_type.empty()) {
    errors_.Add({{"type", std::string(error_type)}}).Increment();
  }
  for (const Charged& c : charged) {
    if (c.read_units > 0) {
      capacity_.Add({{"table", c.table}, {"kind", "read"}})
          .Increment(c.read_units);
    }
    if (c.write_units > 0) {
      capacity_.Add({{"table", c.table}, {"kind", "write"}})
          .Increment(c.write_units);
    }
  }
}

void ServerMetrics::SetServerStats(std::function<ServerStats()> stats) {
  std::lock_guard lock(mu_);
  stats_ = std::move(stats);
}

std::vector<prometheus::MetricFamily> ServerMetrics::Collect() const {
  std::vector<prometheus::MetricFamily> out = registry_->Collect();
  std::function<ServerStats()> stats;
  {
    std::lock_guard lock(mu_);
    stats = stats_;
  }
  if (stats) {
    ServerStats s = stats();
    out.push_back(Gauge("godwit_serve_connections", "Connections open now",
                        static_cast<double>(s.connections)));
    out.push_back(Gauge("godwit_serve_inflight_bytes",
                        "Bytes of requests and responses held now (the byte "
                        "budget in use)",
                        static_cast<double>(s.inflight_bytes)));
    out.push_back(Gauge("godwit_serve_inflight_bytes_limit",
                        "The byte budget (--max-inflight-bytes)",
                        static_cast<double>(s.inflight_bytes_limit)));
  }
  return out;
}

}  // namespace godwit::server
