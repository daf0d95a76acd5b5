// Prometheus metrics of a run (`godwit migrate --metrics-listen ADDR`):
// what the controller knows of its run, read at each scrape, served in the
// Prometheus text format at http://ADDR/metrics by prometheus-cpp's
// exposer (docs/operations.md, "Metrics").
//
//   godwit_run_info{table,run,source,destination}        1
//   godwit_run_phase{table,phase}                        1 current, 0 others
//   godwit_backfill_scanned_items_total{table}           counter
//   godwit_backfill_written_items_total{table}           counter
//   godwit_backfill_dropped_items_total{table}           counter (up gave
//   nothing) godwit_dead_letters_total{table}                     counter
//   godwit_backfill_estimated_items{table}               gauge
//   godwit_backfill_segments_done{table}, _segments      gauge
//   godwit_backfill_items_per_second{table}              gauge
//   godwit_journal_captured_records_total{table}         counter
//   godwit_journal_replayed_records_total{table}         counter
//   godwit_replay_lag_records{table}                     gauge
//   godwit_run_elapsed_seconds{table}                    gauge
//   godwit_run_lease_held{table}                         1 while this process
//   owns the run godwit_run_error{table}                              1 once
//   the run stopped on an error godwit_verify_ok{table},
//   godwit_verify_differences{table}   the last verify (absent before)
//   godwit_flip_write_pause_milliseconds{table,flip}     the last flip's write
//   pause
//
// Threads: Collect() runs on the exposer's threads; it only reads the
// controller's thread-safe accessors.
#ifndef GODWIT_OPS_RUN_METRICS_H_
#define GODWIT_OPS_RUN_METRICS_H_

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <memory>
#include <string>
#include <vector>

#include "godwit/controller.h"
#include "godwit/status.h"

namespace prometheus {
class Exposer;
}

namespace godwit::ops {

class RunMetrics : public prometheus::Collectable {
 public:
  // `c` must outlive the metrics (or their server).
  explicit RunMetrics(Controller* c) : c_(c) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  Controller* const c_;
};

// The metrics in Prometheus's text exposition format (for tests and
// `--json`-less debugging).
std::string MetricsText(const prometheus::Collectable& c);

// An HTTP server of /metrics.
class MetricsServer {
 public:
  // Listens on `listen` ("HOST:PORT"; port 0: any free port).
  // Errors: InvalidArgument for an address that is not HOST:PORT;
  // Unavailable when it cannot listen there.
  static Result<std::unique_ptr<MetricsServer>> Start(
      const std::string& listen,
      std::shared_ptr<prometheus::Collectable> metrics);
  ~MetricsServer();
  int port() const { return port_; }
  std::string url() const;

 private:
  MetricsServer() = default;
  std::string host_;
  int port_ = 0;
  std::shared_ptr<prometheus::Collectable> metrics_;
  std::unique_ptr<prometheus::Exposer> exposer_;
};

}  // namespace godwit::ops

#endif  // GODWIT_OPS_RUN_METRICS_H_
