// The Prometheus metrics of a run (src/ops/run_metrics.h): the values the
// controller knows, in the text exposition format, and over HTTP.
#include "ops/run_metrics.h"

#include <gtest/gtest.h>

#include "migrate/controller_fixture.h"
#include "testutil/http_get.h"
#include "testutil/status_testing.h"

namespace godwit {
namespace {

using test::kRename;

class RunMetricsTest : public test::ControllerFixture {};

TEST_F(RunMetricsTest, TheRunsFiguresInTheExpositionFormat) {
  WriteMigration("0002_rename.lua", kRename);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Controller> c,
                       Controller::Open(Env(), Request()));
  ASSERT_OK(c->WaitCaughtUp());
  auto metrics = std::make_shared<ops::RunMetrics>(c.get());
  std::string text = ops::MetricsText(*metrics);
  EXPECT_NE(text.find("godwit_backfill_written_items_total{table=\"Events\"} "
                      "300"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("godwit_run_phase{table=\"Events\",phase=\"replay\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(
      text.find("godwit_run_phase{table=\"Events\",phase=\"backfill\"} 0"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("godwit_run_lease_held{table=\"Events\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("# TYPE godwit_dead_letters_total counter"),
            std::string::npos);
  EXPECT_EQ(text.find("godwit_verify_ok"), std::string::npos);  // none yet
  ASSERT_OK(Run(*c, "verify").status());
  ASSERT_OK(Run(*c, "cutover").status());
  text = ops::MetricsText(*metrics);
  EXPECT_NE(text.find("godwit_verify_ok{table=\"Events\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("godwit_verify_differences{table=\"Events\"} 0"),
            std::string::npos);
  EXPECT_NE(text.find("godwit_flip_write_pause_milliseconds{table=\"Events\","
                      "to=\"Events.v2\"}"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("phase=\"cut-over\"} 1"), std::string::npos);

  // Over HTTP, on a port of its own.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<ops::MetricsServer> server,
                       ops::MetricsServer::Start("127.0.0.1:0", metrics));
  ASSERT_GT(server->port(), 0);
  std::string body = test::HttpGet(server->url());
  EXPECT_NE(body.find("godwit_backfill_written_items_total{table=\"Events\"} "
                      "300"),
            std::string::npos)
      << body.substr(0, 500);
  server.reset();
  c->Stop();
}

TEST(RunMetricsServer, ABadAddressIsRefusedNamingIt) {
  auto none = std::shared_ptr<prometheus::Collectable>();
  Result<std::unique_ptr<ops::MetricsServer>> s =
      ops::MetricsServer::Start("localhost", none);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(s.status().IsInvalidArgument());
  EXPECT_NE(s.status().message().find("want HOST:PORT"), std::string::npos);
}

}  // namespace
}  // namespace godwit
