#include "server/metrics.h"

#include <prometheus/gauge.h>

#include <algorithm>
#include <chrono>

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

// A reader counts while it read within this window.
constexpr int64_t kReaderWindowMicros = 60'000'000;

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
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

void ServerMetrics::RecordStreamRead(const std::string& table, uint64_t reader,
                                     bool at_head) {
  const int64_t now = NowMicros();
  std::lock_guard lock(mu_);
  auto [it, fresh] = readers_[table].try_emplace(reader);
  ChainSeen& seen = it->second;
  seen.last = now;
  if (fresh || at_head) seen.at_head = now;
  if (++reads_ % 4096 == 0) SweepReaders(now);
}

void ServerMetrics::SweepReaders(int64_t now) const {
  for (auto t = readers_.begin(); t != readers_.end();) {
    std::erase_if(t->second, [now](const auto& chain) {
      return now - chain.second.last > kReaderWindowMicros;
    });
    t = t->second.empty() ? readers_.erase(t) : std::next(t);
  }
}

std::vector<prometheus::MetricFamily> ServerMetrics::Collect() const {
  std::vector<prometheus::MetricFamily> out = registry_->Collect();
  std::function<ServerStats()> stats;
  prometheus::MetricFamily readers{
      "godwit_serve_stream_readers",
      "Iterator chains that read the table's stream in the last 60 s",
      prometheus::MetricType::Gauge,
      {}};
  prometheus::MetricFamily behind{
      "godwit_serve_stream_reader_behind_seconds",
      "The longest time one of those readers has gone without reaching its "
      "shard's head",
      prometheus::MetricType::Gauge,
      {}};
  {
    std::lock_guard lock(mu_);
    stats = stats_;
    const int64_t now = NowMicros();
    SweepReaders(now);
    for (const auto& [table, chains] : readers_) {
      int64_t longest = 0;
      for (const auto& [id, seen] : chains) {
        longest = std::max(longest, seen.last - seen.at_head);
      }
      prometheus::ClientMetric n;
      n.label = {{"table", table}};
      n.gauge.value = static_cast<double>(chains.size());
      readers.metric.push_back(n);
      prometheus::ClientMetric b;
      b.label = {{"table", table}};
      b.gauge.value = static_cast<double>(longest) / 1e6;
      behind.metric.push_back(b);
    }
  }
  out.push_back(std::move(readers));
  out.push_back(std::move(behind));
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
