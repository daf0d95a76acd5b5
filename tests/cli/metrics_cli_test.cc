// `godwit migrate --metrics-listen` scraped by the real Prometheus server
// (Debian's `prometheus`, installed by scripts/bootstrap-test): the run's
// metrics are read back through Prometheus's HTTP query API. Skipped, with
// the reason, when the prometheus binary is missing.
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <thread>

#include "cli_test_util.h"

namespace godwit {
namespace {

namespace fs = std::filesystem;
using test::Project;
using test::ReadFile;

size_t Append(char* p, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(p, size * n);
  return size * n;
}

std::string Get(const std::string& url) {
  CURL* h = curl_easy_init();
  std::string body;
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, 5L);
  CURLcode rc = curl_easy_perform(h);
  curl_easy_cleanup(h);
  return rc == CURLE_OK ? body : "";
}

std::string PrometheusBinary() {
  for (const char* p : {"/usr/bin/prometheus", "/usr/local/bin/prometheus"}) {
    if (fs::exists(p)) return p;
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
  std::smatch m;
  std::string log;
  const std::regex url_re("metrics: http://127\\.0\\.0\\.1:([0-9]+)/metrics");
  for (int i = 0; i < 600; ++i) {
    log = ReadFile(p.Join("migrate.log"));
    if (std::regex_search(log, m, url_re)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(std::regex_search(log, m, url_re)) << log;
  const std::string target = "127.0.0.1:" + m[1].str();

  uint16_t prom_port = test::FreeLoopbackPort();
  std::ofstream(p.Join("prometheus.yml"))
      << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
      << "scrape_configs:\n  - job_name: godwit\n    static_configs:\n"
      << "      - targets: ['" << target << "']\n";
  std::vector<std::string> args = {
      prom, "--config.file=" + p.Join("prometheus.yml"),
      "--storage.tsdb.path=" + p.Join("tsdb"),
      "--web.listen-address=127.0.0.1:" + std::to_string(prom_port)};
  pid_t server = test::Spawn(args, p.Join("prometheus.log"));
  ASSERT_GT(server, 0);
  // Read back through Prometheus's API until it has scraped the copy.
  const std::string query =
      "http://127.0.0.1:" + std::to_string(prom_port) +
      "/api/v1/query?query=godwit_backfill_written_items_total";
  std::string answer;
  bool seen = false;
  for (int i = 0; i < 120 && !seen; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    answer = Get(query);
    seen = answer.find("\"table\":\"Events\"") != std::string::npos &&
           answer.find(",\"300\"]") != std::string::npos;
  }
  kill(server, SIGTERM);
  test::WaitExit(server, 60);
  EXPECT_TRUE(seen) << answer << "\n" << ReadFile(p.Join("prometheus.log"));
  EXPECT_EQ(Project::Stop(migrate), 0) << ReadFile(p.Join("migrate.log"));
}

}  // namespace
}  // namespace godwit
