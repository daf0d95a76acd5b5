#include "ops/run_metrics.h"

#include <prometheus/exposer.h>
#include <prometheus/text_serializer.h>

#include <exception>

namespace godwit::ops {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

constexpr RunPhase kPhases[] = {RunPhase::kBackfill, RunPhase::kReplay,
                                RunPhase::kCutOver, RunPhase::kRolledBack,
                                RunPhase::kFinished};

class Families {
 public:
  explicit Families(std::string table) : table_(std::move(table)) {}

  // One sample of a family of its own, labelled with the table (and
  // `labels`).
  void Add(const std::string& name, const std::string& help, MetricType type,
           double value, std::vector<ClientMetric::Label> labels = {}) {
    MetricFamily* f = nullptr;
    for (MetricFamily& g : out_) {
      if (g.name == name) f = &g;
    }
    if (f == nullptr) {
      out_.push_back(MetricFamily{name, help, type, {}});
      f = &out_.back();
    }
    ClientMetric m;
    m.label.push_back({"table", table_});
    for (ClientMetric::Label& l : labels) m.label.push_back(std::move(l));
    if (type == MetricType::Counter) {
      m.counter.value = value;
    } else {
      m.gauge.value = value;
    }
    f->metric.push_back(std::move(m));
  }
  void Counter(const std::string& name, const std::string& help, double v) {
    Add(name, help, MetricType::Counter, v);
  }
  void Gauge(const std::string& name, const std::string& help, double v,
             std::vector<ClientMetric::Label> labels = {}) {
    Add(name, help, MetricType::Gauge, v, std::move(labels));
  }
  std::vector<MetricFamily> Take() { return std::move(out_); }

 private:
  std::string table_;
  std::vector<MetricFamily> out_;
};

}  // namespace

std::vector<MetricFamily> RunMetrics::Collect() const {
  const RunInfo& info = c_->info();
  Migration& m = c_->migration();
  MigrationProgress p = m.progress();
  Families f(info.table);
  f.Gauge("godwit_run_info", "The run: its id and tables (always 1)", 1,
          {{"run", info.run_id},
           {"source", info.source},
           {"destination", info.destination}});
  for (RunPhase ph : kPhases) {
    f.Gauge("godwit_run_phase", "1 for the run's current phase, 0 for others",
            ph == p.phase ? 1 : 0, {{"phase", std::string(RunPhaseName(ph))}});
  }
  f.Counter("godwit_backfill_scanned_items_total",
            "Source items read by backfill", static_cast<double>(p.scanned));
  f.Counter("godwit_backfill_written_items_total",
            "Destination items written by backfill",
            static_cast<double>(p.written));
  f.Counter("godwit_backfill_dropped_items_total",
            "Source items for which up returned nothing",
            static_cast<double>(p.dropped));
  f.Counter("godwit_dead_letters_total",
            "Items up or down could not map (in the dead-letter file)",
            static_cast<double>(p.errors));
  f.Gauge("godwit_backfill_estimated_items",
          "The source's estimated item count",
          static_cast<double>(p.estimated_total));
  f.Gauge("godwit_backfill_segments_done", "Backfill segments done",
          p.segments_done);
  f.Gauge("godwit_backfill_segments", "Backfill segments", p.segments_total);
  f.Gauge("godwit_backfill_items_per_second", "Recent backfill rate",
          p.items_per_second);
  f.Counter("godwit_journal_captured_records_total",
            "Source stream records captured in the journal",
            static_cast<double>(p.captured));
  f.Counter("godwit_journal_replayed_records_total",
            "Journal records applied to the destination",
            static_cast<double>(p.replayed));
  f.Gauge("godwit_replay_lag_records", "Source changes not yet applied",
          static_cast<double>(p.replay_lag));
  f.Gauge("godwit_run_elapsed_seconds",
          "Seconds since this process opened the run", p.elapsed_seconds);
  f.Gauge("godwit_run_lease_held",
          "1 while this process owns the run (its lease)",
          c_->ownership().ok() ? 1 : 0);
  f.Gauge("godwit_run_error", "1 once the run stopped on an error",
          m.error().ok() ? 0 : 1);
  if (std::optional<VerifyReport> v = c_->last_verify()) {
    f.Gauge("godwit_verify_ok", "1 if the last verify passed", v->ok() ? 1 : 0);
    f.Gauge("godwit_verify_differences", "Differences the last verify found",
            static_cast<double>(v->differences));
  }
  if (std::optional<FlipReport> fl = c_->last_flip()) {
    f.Gauge("godwit_flip_write_pause_milliseconds",
            "The last flip's longest write pause", fl->write_pause_ms,
            {{"to", fl->to_table}});
  }
  return f.Take();
}

std::string MetricsText(const prometheus::Collectable& c) {
  return prometheus::TextSerializer().Serialize(c.Collect());
}

Result<std::unique_ptr<MetricsServer>> MetricsServer::Start(
    const std::string& listen,
    std::shared_ptr<prometheus::Collectable> metrics) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size() ||
      listen.find_first_not_of("0123456789", colon + 1) != std::string::npos) {
    return Status::InvalidArgument("--metrics-listen \"" + listen +
                                   "\": want HOST:PORT (127.0.0.1:9464; port "
                                   "0 for any free one)");
  }
  std::unique_ptr<MetricsServer> s(new MetricsServer());
  s->host_ = listen.substr(0, colon);
  s->metrics_ = std::move(metrics);
  try {
    s->exposer_ = std::make_unique<prometheus::Exposer>(listen, 1);
  } catch (const std::exception& e) {
    return Status::Unavailable("cannot serve metrics on " + listen + ": " +
                               e.what());
  }
  s->exposer_->RegisterCollectable(s->metrics_);
  std::vector<int> ports = s->exposer_->GetListeningPorts();
  if (ports.empty()) {
    return Status::Unavailable("cannot serve metrics on " + listen);
  }
  s->port_ = ports[0];
  return s;
}

MetricsServer::~MetricsServer() = default;

std::string MetricsServer::url() const {
  return "http://" + host_ + ":" + std::to_string(port_) + "/metrics";
}

}  // namespace godwit::ops
