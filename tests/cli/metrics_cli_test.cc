// `godwit migrate --metrics-listen` scraped by the real Prometheus server
// (Debian's `prometheus`, installed by scripts/bootstrap-test): the run's
// metrics are read back through Prometheus's HTTP query API. Skipped, with
// the reason, when the prometheus binary is missing.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cli_test_util.h"
#include "testutil/http_get.h"

namespace godwit {
namespace {

namespace fs = std::filesystem;
using test::Project;
using test::ReadFile;

std::string PrometheusBinary() {
  for (const char* p : {"/usr/bin/prometheus", "/usr/local/bin/prometheus"}) {
    if (fs::exists(p)) return p;
  }
  return "";
}

// Runs the Prometheus server scraping `target` (HOST:PORT) every second
// and queries `metric` through its HTTP API until an answer contains every
// string of `want` (or a minute passes). Returns the last answer, and
// whether it had them all.
std::pair<std::string, bool> ScrapeAndQuery(
    const std::string& prom, const Project& p, const std::string& target,
    const std::string& metric, const std::vector<std::string>& want) {
  uint16_t port = test::FreeLoopbackPort();
  std::ofstream(p.Join("prometheus.yml"))
      << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
      << "scrape_configs:\n  - job_name: godwit\n    static_configs:\n"
      << "      - targets: ['" << target << "']\n";
  std::vector<std::string> args = {
      prom, "--config.file=" + p.Join("prometheus.yml"),
      "--storage.tsdb.path=" + p.Join("tsdb"),
      "--web.listen-address=127.0.0.1:" + std::to_string(port)};
  pid_t server = test::Spawn(args, p.Join("prometheus.log"));
  if (server <= 0) return {"prometheus did not start", false};
  const std::string query = "http://127.0.0.1:" + std::to_string(port) +
                            "/api/v1/query?query=" + metric;
  std::string answer;
  bool seen = false;
  for (int i = 0; i < 120 && !seen; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    answer = test::HttpGet(query, 5);
    seen = true;
    for (const std::string& w : want) {
      seen = seen && answer.find(w) != std::string::npos;
    }
  }
  kill(server, SIGTERM);
  test::WaitExit(server, 60);
  if (!seen) answer += "\n" + ReadFile(p.Join("prometheus.log"));
  return {answer, seen};
}

// The URL a process printed ("metrics: http://127.0.0.1:PORT/metrics") as
// HOST:PORT, or "".
std::string MetricsTarget(const std::string& log_path) {
  const std::regex url_re("metrics: http://(127\\.0\\.0\\.1:[0-9]+)/metrics");
  std::smatch m;
  for (int i = 0; i < 600; ++i) {
    std::string log = ReadFile(log_path);
    if (std::regex_search(log, m, url_re)) return m[1].str();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return "";
}

TEST(MetricsCliTest, PrometheusScrapesARunningMigrate) {
  std::string prom = PrometheusBinary();
  if (prom.empty()) {
    GTEST_SKIP() << "the prometheus server is not installed (Debian package "
                    "`prometheus`; scripts/bootstrap-test installs it)";
  }
  test::TempDir root;
  Project p(root, "proj");
  p.Seed(300);
  pid_t migrate = p.StartMigrate({"Events", "--metrics-listen", "127.0.0.1:0"});
  ASSERT_GT(migrate, 0);
  std::string target = MetricsTarget(p.Join("migrate.log"));
  ASSERT_FALSE(target.empty()) << ReadFile(p.Join("migrate.log"));
  auto [answer, seen] =
      ScrapeAndQuery(prom, p, target, "godwit_backfill_written_items_total",
                     {"\"table\":\"Events\"", ",\"300\"]"});
  EXPECT_TRUE(seen) << answer;
  EXPECT_EQ(Project::Stop(migrate), 0) << ReadFile(p.Join("migrate.log"));
}

TEST(MetricsCliTest, PrometheusScrapesGodwitServe) {
  std::string prom = PrometheusBinary();
  if (prom.empty()) {
    GTEST_SKIP() << "the prometheus server is not installed (Debian package "
                    "`prometheus`; scripts/bootstrap-test installs it)";
  }
  test::TempDir root;
  Project p(root, "proj");
  pid_t serve = p.Start({"serve", "--listen", "127.0.0.1:0", "--no-sync",
                         "--metrics-listen", "127.0.0.1:0"},
                        p.Join("serve.log"));
  ASSERT_GT(serve, 0);
  std::string target = MetricsTarget(p.Join("serve.log"));
  ASSERT_FALSE(target.empty()) << ReadFile(p.Join("serve.log"));
  // The health GET is not an operation; the metrics answer on their own
  // port even before any request: connections and the byte budget.
  auto [answer, seen] = ScrapeAndQuery(
      prom, p, target, "godwit_serve_inflight_bytes_limit", {"\"268435456\"]"});
  EXPECT_TRUE(seen) << answer;
  EXPECT_EQ(Project::Stop(serve), 0) << ReadFile(p.Join("serve.log"));
}

}  // namespace
}  // namespace godwit
