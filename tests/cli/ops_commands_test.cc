// The operator's tools through the real binary: analyze (text, JSON, the
// saved analysis), plan (writes nothing), migrate's summary, report (text
// and a self-contained HTML page, loaded in headless Chromium), import of
// a DynamoDB export to S3 (checked before anything is written), and
// errors as JSON with --json.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "cli/cli_test_util.h"
#include "ops/s3_export_fixture.h"

namespace godwit {
namespace {

using test::CmdResult;
using test::Project;

simdjson::dom::element ParseJson(simdjson::dom::parser& p,
                                 const std::string& s) {
  simdjson::dom::element e;
  EXPECT_FALSE(p.parse(s).get(e)) << s;
  return e;
}

class OpsCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(p_.Seed(kItems));
    // A key with invisible characters and one with a trailing space.
    ASSERT_EQ(p_.Run({"put", "Events",
                      "{\"pk\":{\"S\":\"zero\xE2\x80\x8Bwidth\"},\"n\":{\"N\":"
                      "\"1\"},\"legacy\":{\"S\":\"x\"}}"})
                  .code,
              0);
    ASSERT_EQ(
        p_.Run({"put", "Events",
                R"({"pk":{"S":"trail "},"n":{"S":"one"},"legacy":{"S":"x"}})"})
            .code,
        0);
  }
  static constexpr int kItems = 300;
  test::TempDir root_;
  Project p_{root_, "p"};
};

TEST_F(OpsCommandsTest, AnalyzePlanMigrateReport) {
  // analyze: text, saved for plan and report.
  CmdResult r = p_.Run({"analyze", "Events", "--segments", "4",
                        "--read-capacity", "100", "--write-capacity", "50"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("302 items"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("MIXED TYPES"), std::string::npos) << r.out;  // n
  EXPECT_NE(r.out.find("invisible characters"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"zero<U+200B>width\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("leading or trailing white space"), std::string::npos);
  EXPECT_NE(r.out.find("bound by writes"), std::string::npos) << r.out;
  const std::string saved = p_.RunDir() + "/analysis.json";
  EXPECT_TRUE(std::filesystem::exists(saved));
  EXPECT_NE(r.out.find("saved to " + saved), std::string::npos) << r.out;

  simdjson::dom::parser json;
  r = p_.Run(
      {"--json", "analyze", "Events", "--no-save", "--write-capacity", "10"});
  ASSERT_EQ(r.code, 0) << r.err;
  simdjson::dom::element doc = ParseJson(json, r.out);
  EXPECT_EQ(uint64_t(doc["analysis"]["items"]), 302u);
  EXPECT_TRUE(doc["saved"].is_null());
  uint64_t write_units = doc["estimate"]["backfill_write_units"];
  EXPECT_EQ(write_units, 302u);  // every item under 1 KB: one unit each
  EXPECT_DOUBLE_EQ(double(doc["estimate"]["backfill_seconds"]), 30.2);
  EXPECT_TRUE(doc["plain_scan_seconds"].error() == simdjson::NO_SUCH_FIELD);
  // --time-scan: a plain scan timed beside the analysis.
  r = p_.Run({"--json", "analyze", "Events", "--no-save", "--time-scan"});
  ASSERT_EQ(r.code, 0) << r.err;
  doc = ParseJson(json, r.out);
  EXPECT_GT(double(doc["plain_scan_seconds"]), 0.0) << r.out;
  r = p_.Run({"analyze", "Events", "--no-save", "--time-scan"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("timed: a plain scan (same segments and threads) took "),
            std::string::npos)
      << r.out;

  // plan: what migrate would do; nothing written.
  r = p_.Run({"plan", "Events", "--write-capacity", "100"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("destination  Events.v2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("0002_rename_legacy  sha256 "), std::string::npos);
  EXPECT_NE(r.out.find("determinism: passed"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("estimate (saved " + saved), std::string::npos);
  EXPECT_NE(r.out.find("key          pk:S (unchanged)"), std::string::npos);
  EXPECT_NE(r.out.find("nothing was written"), std::string::npos);
  r = p_.Run({"--json", "plan", "Events"});
  ASSERT_EQ(r.code, 0) << r.err;
  doc = ParseJson(json, r.out);
  EXPECT_EQ(std::string_view(doc["destination"]), "Events.v2");
  EXPECT_EQ(std::string_view(doc["pending"].at(0)["sha256"]).size(), 64u);
  EXPECT_FALSE(doc["estimate"].is_null());
  r = p_.Run({"table", "list"});
  EXPECT_EQ(r.out.find("Events.v2"), std::string::npos) << r.out;
  r = p_.Run({"--json", "status", "Events"});
  EXPECT_NE(r.out.find("\"run\":null"), std::string::npos) << r.out;

  // migrate --cutover ends with its summary.
  r = p_.Run({"migrate", "Events", "--cutover", "--segments", "4"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("verify: OK"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("summary\n"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("302 copied"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("  verify       OK: 0 differences"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("  cutover      Events -> Events.v2: write pause "),
            std::string::npos)
      << r.err;

  // report: the figures from the recorded timeline, and an HTML page.
  const std::string html = p_.Join("report.html");
  r = p_.Run({"report", "Events", "--html", html});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("302 copied"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("wrote " + html), std::string::npos);
  std::ifstream in(html);
  std::string page((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  EXPECT_NE(page.find("<svg"), std::string::npos);
  EXPECT_NE(page.find("Analysis of Events"), std::string::npos);
  EXPECT_EQ(page.find("http://"), std::string::npos);
  EXPECT_EQ(page.find("https://"), std::string::npos);
  EXPECT_EQ(page.find("src=\""), std::string::npos);  // nothing loaded
  r = p_.Run({"--json", "report", "Events"});
  ASSERT_EQ(r.code, 0) << r.err;
  doc = ParseJson(json, r.out);
  EXPECT_EQ(uint64_t(doc["figures"]["copied"]), 302u);
  EXPECT_EQ(doc["figures"]["flips"].get_array().size(), 1u);
  r = p_.Run({"report", "Events", "--run", "nope"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("no run nope of Events"), std::string::npos) << r.err;

  // The page in a real browser: no console errors, no request, the plots
  // drawn.
  const char* chromium = "/usr/bin/chromium";
  const std::string js = std::string(GODWIT_SOURCE_DIR) + "/tests/report_js";
  if (!std::filesystem::exists(chromium)) {
    GTEST_SKIP() << "the HTML report was not loaded in a browser: " << chromium
                 << " is missing (scripts/bootstrap-test "
                 << "installs Debian's chromium)";
  }
  if (!std::filesystem::exists(js + "/node_modules/playwright-core") ||
      std::system("node --version >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "the HTML report was not loaded in a browser: node or "
                 << js << "/node_modules is missing (scripts/bootstrap-test "
                 << "runs npm ci there)";
  }
  const std::string out = p_.Join("browser.json");
  std::string cmd = "timeout 120 node " + js + "/check.mjs " + html + " " +
                    chromium + " > " + out + " 2> " + out + ".err";
  ASSERT_EQ(std::system(cmd.c_str()), 0)
      << test::ReadFile(out + ".err") << test::ReadFile(out);
  std::string seen = test::ReadFile(out);
  doc = ParseJson(json, seen);
  EXPECT_EQ(doc["errors"].get_array().size(), 0u) << seen;
  EXPECT_EQ(doc["external"].get_array().size(), 0u) << seen;
  size_t charts = 0, drawn = 0;
  for (simdjson::dom::element chart : doc["charts"].get_array()) {
    ++charts;
    for (simdjson::dom::element path : chart["paths"].get_array()) {
      EXPECT_GE(uint64_t(path["points"]), 1u) << seen;
      if (double(path["length"]) > 0) ++drawn;
    }
  }
  EXPECT_GE(charts, 5u) << seen;  // throughput, lag, pauses, dead, sizes
  EXPECT_GE(drawn, 4u) << seen;
  EXPECT_NE(std::string_view(doc["tip"]).find("t+"), std::string_view::npos)
      << seen;
}

TEST_F(OpsCommandsTest, ImportsADynamoDbExportOnlyWhenItIsWhole) {
  test::ExportFiles ex = test::WriteExport(p_.Join("export"), 3, 20);
  CmdResult r = p_.Run({"import", "Restored", ex.dir, "--hash", "pk:S"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("imported 60 items into Restored from the DynamoDB "
                       "export arn:aws:dynamodb:"),
            std::string::npos)
      << r.out;
  r = p_.Run({"scan", "Restored"});
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 60);

  // A damaged data file: refused before anything is written, naming it.
  test::ExportFiles bad = test::WriteExport(p_.Join("export2"), 3, 20);
  {
    std::fstream f(bad.data_files[2],
                   std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(30);
    f.put('\x33');
  }
  r = p_.Run({"import", "Broken", bad.dir, "--hash", "pk:S"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("nothing was imported"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("data/file2.json.gz"), std::string::npos) << r.err;
  r = p_.Run({"table", "describe", "Broken"});
  EXPECT_NE(r.code, 0) << "the table was created for a refused export";

  // Items that do not fit the table's key: refused, naming file and line.
  r = p_.Run({"import", "Events", ex.dir});  // Events is keyed by pk:S too
  EXPECT_EQ(r.code, 0) << r.err;
  r = p_.Run({"table", "create", "Numbers", "--hash", "pk:N"});
  ASSERT_EQ(r.code, 0) << r.err;
  r = p_.Run({"import", "Numbers", ex.dir});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("file0.json.gz: line 1: "), std::string::npos) << r.err;
  r = p_.Run({"scan", "Numbers"});
  EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST_F(OpsCommandsTest, ErrorsAreJsonWithJson) {
  CmdResult r = p_.Run({"--json", "plan", "Nope"});
  EXPECT_EQ(r.code, 1);
  simdjson::dom::parser json;
  simdjson::dom::element doc = ParseJson(json, r.err);
  EXPECT_FALSE(std::string_view(doc["error"]["code"]).empty()) << r.err;
  EXPECT_NE(std::string_view(doc["error"]["message"]).find("Nope"),
            std::string_view::npos)
      << r.err;
  r = p_.Run({"--json", "migrate", "Nope"});
  EXPECT_EQ(r.code, 1);
  doc = ParseJson(json, r.err);
  EXPECT_FALSE(doc["error"]["message"].is_null()) << r.err;
  // Without --json, the usual line.
  r = p_.Run({"analyze", "Nope"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err.rfind("godwit: ", 0), 0u) << r.err;
}

}  // namespace
}  // namespace godwit
