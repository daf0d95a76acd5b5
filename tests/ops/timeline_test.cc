// The run's timeline: what the controller records as a run goes (open,
// progress, phase changes, commands with verify results and write pauses,
// close), read back into the figures of the run and drawn in the HTML
// report.
#include "ops/timeline.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "godwit/controller.h"
#include "godwit/local_store.h"
#include "migrate/controller_timeline.h"
#include "ops/report_html.h"
#include "testutil/temp_dir.h"

namespace godwit::ops {
namespace {

constexpr char kRename[] = R"(return {
  description = "rename legacy to modern",
  up = function(item, ctx)
    item.modern, item.legacy = item.legacy, nil
    return item
  end,
  down = function(item, ctx)
    item.legacy, item.modern = item.modern, nil
    return item
  end,
}
)";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
}

// The points of every <path d="..."> in `html`.
std::vector<size_t> PathPoints(const std::string& html) {
  std::vector<size_t> out;
  std::regex path_re("<path [^>]*d=\"([^\"]*)\"");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), path_re);
       it != std::sregex_iterator(); ++it) {
    std::string d = (*it)[1];
    out.push_back(std::count(d.begin(), d.end(), 'M') +
                  std::count(d.begin(), d.end(), 'L'));
  }
  return out;
}

class TimelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    LocalStoreOptions o;
    o.path = dir_.Join("store");
    o.sync = false;
    store_ = std::move(*OpenLocalStore(o));
    router_ = std::move(*NewRouter(store_.get()));
    TableOptions t;
    t.key_schema = KeySchema{{"pk", AttrType::kS}, std::nullopt};
    ASSERT_TRUE(store_->CreateTable("Events", t).ok());
    auto table = *store_->GetTable("Events");
    for (int i = 0; i < 400; ++i) {
      Item item;
      item.Set("pk", AttributeValue::S("k" + std::to_string(i)));
      item.Set("legacy", AttributeValue::S("L" + std::to_string(i)));
      ASSERT_TRUE(table->Put(item).ok());
    }
    std::filesystem::create_directories(dir_.Join("migrations/Events"));
    std::ofstream(dir_.Join("migrations/Events/0002_rename.lua")) << kRename;
  }

  ControllerEnv Env() {
    ControllerEnv e;
    e.store = store_.get();
    e.router = router_.get();
    e.migrations_dir = dir_.Join("migrations");
    e.runs_dir = dir_.Join("runs");
    return e;
  }

  Reply Exec(Controller& c, CommandKind kind) {
    Command cmd;
    cmd.kind = kind;
    Result<Reply> r = c.Execute(cmd);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : Reply{};
  }

  test::TempDir dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Router> router_;
};

TEST_F(TimelineTest, ARunRecordsItsEventsAndTheReportDrawsThem) {
  RunRequest req;
  req.table = "Events";
  req.segments = 4;
  std::string run_id;
  {
    Result<std::unique_ptr<Controller>> c = Controller::Open(Env(), req);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    run_id = (*c)->info().run_id;
    ASSERT_TRUE((*c)->WaitCaughtUp().ok());
    // A write during the run, replayed.
    auto events = *router_->store()->GetTable("Events");
    Item extra;
    extra.Set("pk", AttributeValue::S("late"));
    extra.Set("legacy", AttributeValue::S("x"));
    ASSERT_TRUE(events->Put(extra).ok());
    ASSERT_TRUE((*c)->WaitCaughtUp().ok());
    Exec(**c, CommandKind::kPause);
    Exec(**c, CommandKind::kResume);
    Reply v = Exec(**c, CommandKind::kVerify);
    ASSERT_TRUE(v.verify.has_value());
    EXPECT_TRUE(v.verify->ok());
    Reply cut = Exec(**c, CommandKind::kCutover);
    ASSERT_TRUE(cut.flip.has_value());
    // A refused command is recorded with its error.
    Command again;
    again.kind = CommandKind::kCutover;
    EXPECT_FALSE((*c)->Execute(again).ok());  // cut over already
  }  // the controller stops: a "close" line

  const std::string path =
      migrate::ControllerTimeline::Path(dir_.Join("runs/Events"), run_id);
  EXPECT_EQ(TimelinePath(dir_.Join("runs/Events"), run_id), path);
  std::string raw = ReadFile(path);
  ASSERT_FALSE(raw.empty());
  EXPECT_EQ(raw.back(), '\n');
  EXPECT_NE(raw.find("\"event\":\"open\""), std::string::npos) << raw;
  EXPECT_NE(raw.find("\"event\":\"close\""), std::string::npos) << raw;

  Result<RunTimeline> t = ReadTimeline(path);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->run_id, run_id);
  EXPECT_EQ(t->table, "Events");
  EXPECT_EQ(t->source, "Events");
  EXPECT_EQ(t->destination, "Events.v2");
  ASSERT_EQ(t->migrations.size(), 1u);
  EXPECT_EQ(t->migrations[0].name, "rename");
  EXPECT_EQ(t->migrations[0].sha256.size(), 64u);
  EXPECT_GE(t->samples.size(), 2u);
  ASSERT_EQ(t->commands.size(),
            5u);  // pause, resume, verify, cutover, cutover
  EXPECT_EQ(t->commands[2].command.kind, CommandKind::kVerify);
  EXPECT_FALSE(t->commands[4].result.ok());
  bool left_backfill = false;
  for (const auto& p : t->phases) {
    left_backfill |= p.from == RunPhase::kBackfill;
  }
  EXPECT_TRUE(left_backfill);

  RunFigures f = Summarize(*t);
  EXPECT_EQ(f.copied, 400u);
  EXPECT_GE(f.replayed, 1u);
  EXPECT_EQ(f.phase, RunPhase::kCutOver);
  ASSERT_EQ(f.verifies.size(), 1u);
  EXPECT_EQ(f.verifies[0].report.differences, 0u);
  EXPECT_EQ(f.verifies[0].report.destination_items, 401u);
  ASSERT_EQ(f.flips.size(), 1u);
  EXPECT_EQ(f.flips[0].what, "cutover");
  EXPECT_EQ(f.flips[0].report.to_table, "Events.v2");
  EXPECT_EQ(f.pauses, 1u);
  EXPECT_EQ(f.failed_commands, 1u);
  EXPECT_EQ(f.processes, 1u);
  EXPECT_NE(FiguresToJson(f).find("\"copied\":400"), std::string::npos);

  std::string html = RenderReportHtml(*t, f, std::nullopt);
  EXPECT_EQ(html.find("http://"), std::string::npos);  // self-contained
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_NE(html.find("Events.v2"), std::string::npos);
  std::vector<size_t> points = PathPoints(html);
  ASSERT_GE(points.size(), 5u);  // copied/s, replayed/s, lag, pauses, dead
  for (size_t n : points) EXPECT_GE(n, 1u);
  EXPECT_GE(points[2], 2u);  // the replay lag: a point per sample

  // A second process appends to the same file.
  {
    RunRequest resume = req;
    resume.mode = OpenMode::kResume;
    Result<std::unique_ptr<Controller>> c = Controller::Open(Env(), resume);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
  }
  t = ReadTimeline(path);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(Summarize(*t).processes, 2u);
  Result<std::vector<std::string>> ids =
      ListTimelines(dir_.Join("runs/Events"));
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(*ids, std::vector<std::string>{run_id});
}

// A process killed mid-line leaves a torn last line: it is skipped, the
// rest reads; a damaged line in the middle is an error naming it.
TEST(TimelineReadTest, TornLastLineIsSkippedDamageIsNamed) {
  test::TempDir dir;
  std::string path = dir.Join("timeline-r1.jsonl");
  std::ofstream(path)
      << R"({"t":1000000,"run":"r1","event":"open","table":"T","source":"T","destination":"T.v2","phase":"backfill","migrations":[],"pid":1})"
      << "\n"
      << R"({"t":2000000,"run":"r1","event":"progress","progress":{"phase":"backfill","scanned":10,"written":10,"dropped":0,"errors":0,"estimated_total":20,"segments_done":1,"segments_total":2,"captured":0,"replayed":0,"replay_lag":3,"items_per_second":10,"elapsed_seconds":1}})"
      << "\n"
      << R"({"t":3000000,"run":"r1","event":"prog)";
  Result<RunTimeline> t = ReadTimeline(path);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->skipped_lines, 1u);
  ASSERT_EQ(t->samples.size(), 1u);
  EXPECT_EQ(t->samples[0].progress.replay_lag, 3u);

  std::ofstream(path)
      << "{\"t\":1,\"run\":\"r1\",\"event\":\"open\"}\nnot json\n"
      << "{\"t\":2,\"run\":\"r1\",\"event\":\"close\"}\n";
  t = ReadTimeline(path);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(t.status().message().find("line 2"), std::string_view::npos)
      << t.status().ToString();
  EXPECT_TRUE(ReadTimeline(dir.Join("nope.jsonl")).status().IsNotFound());
}

TEST(ReportHtmlTest, DownsampleKeepsPeaksAndChartsHavePoints) {
  Series s{"x", {}};
  for (int i = 0; i < 10000; ++i) s.points.emplace_back(i, i == 5000 ? 1e6 : 1);
  Series d = Downsample(s, 200);
  EXPECT_LE(d.points.size(), 200u);
  double peak = 0;
  for (auto& [x, y] : d.points) peak = std::max(peak, y);
  EXPECT_EQ(peak, 1e6);
  std::string svg = SvgLineChart("t", "s", {d});
  EXPECT_NE(svg.find("<path class=\"line\""), std::string::npos);
  EXPECT_EQ(PathPoints(svg).size(), 1u);
  EXPECT_EQ(PathPoints(svg)[0], d.points.size());
}

}  // namespace
}  // namespace godwit::ops
