// The controller's commands as text and as JSON, and the JSON of its
// replies (godwit/controller.h): good and bad command lines, and a round
// trip of every command and reply through the codec the control files and
// the admin API share.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "godwit/controller.h"

namespace godwit {
namespace {

Command Cmd(CommandKind kind, double rate = 0, bool force = false,
            bool verify_first = false) {
  Command c;
  c.kind = kind;
  c.rate = rate;
  c.force = force;
  c.verify_first = verify_first;
  return c;
}

// Every command the grammar has, with the line that spells it.
std::vector<std::pair<std::string, Command>> AllCommands() {
  return {
      {"pause", Cmd(CommandKind::kPause)},
      {"resume", Cmd(CommandKind::kResume)},
      {"rate 500", Cmd(CommandKind::kRate, 500)},
      {"rate 1.5", Cmd(CommandKind::kRate, 1.5)},
      {"rate unlimited", Cmd(CommandKind::kRate, 0)},
      {"progress", Cmd(CommandKind::kProgress)},
      {"verify", Cmd(CommandKind::kVerify)},
      {"cutover", Cmd(CommandKind::kCutover)},
      {"cutover --force", Cmd(CommandKind::kCutover, 0, true)},
      {"cutover --verify-first", Cmd(CommandKind::kCutover, 0, false, true)},
      {"rollback", Cmd(CommandKind::kRollback)},
      {"rollback --force", Cmd(CommandKind::kRollback, 0, true)},
      {"finish", Cmd(CommandKind::kFinish)},
      {"abandon", Cmd(CommandKind::kAbandon)},
  };
}

TEST(CommandParseTest, GoodLines) {
  for (const auto& [line, want] : AllCommands()) {
    Result<Command> c = ParseCommand(line);
    ASSERT_TRUE(c.ok()) << line << ": " << c.status().ToString();
    EXPECT_EQ(*c, want) << line;
    EXPECT_EQ(CommandLine(*c), line);
  }
  // Blanks around and between words; other spellings of numbers.
  EXPECT_EQ(*ParseCommand("  rate\t 2e3  "), Cmd(CommandKind::kRate, 2000));
  EXPECT_EQ(*ParseCommand("rate 0.25"), Cmd(CommandKind::kRate, 0.25));
  EXPECT_EQ(*ParseCommandWords({"cutover", "--force"}),
            Cmd(CommandKind::kCutover, 0, true));
}

// `ctl TABLE rate abc` removed the rate limit ("rate set to 0.000000
// items/s", exit 0): anything that is not a positive number is refused,
// and the error says what was wrong.
TEST(CommandParseTest, RateAbcIsRefusedInsteadOfRemovingTheLimit) {
  struct Case {
    std::string line;
    std::string error;  // part of the message
  };
  for (const Case& c : std::vector<Case>{
           {"rate abc", "\"abc\" is not a number"},
           {"rate", "rate needs a number of items per second"},
           {"rate 0", "\"unlimited\" to remove the limit; got 0"},
           {"rate -5", "got -5"},
           {"rate 500x", "\"500x\" is not a number"},
           {"rate 0x10", "\"0x10\" is not a number"},
           {"rate nan", "\"nan\" is not a number"},
           {"rate inf", "\"inf\" is not a number"},
           {"rate 1e999", "\"1e999\" is not a number"},
           {"rate 5e9", "more than 1e9"},
           {"rate 0.0001", "less than 0.001"},
           {"rate 500 600", "unexpected \"600\" after rate"},
       }) {
    Result<Command> r = ParseCommand(c.line);
    ASSERT_FALSE(r.ok()) << c.line;
    EXPECT_TRUE(r.status().IsInvalidArgument()) << c.line;
    EXPECT_NE(r.status().message().find(c.error), std::string::npos)
        << c.line << ": " << r.status().ToString();
  }
}

TEST(CommandParseTest, BadLines) {
  for (const std::string& line : std::vector<std::string>{
           "", "   ", "frobnicate", "pause now", "verify --force",
           "rollback --verify-first", "cutover --force --verify-first",
           "cutover --force --force", "progress --json", "Pause"}) {
    Result<Command> r = ParseCommand(line);
    ASSERT_FALSE(r.ok()) << "\"" << line << "\"";
    EXPECT_TRUE(r.status().IsInvalidArgument()) << line;
  }
  Result<Command> r = ParseCommand("frobnicate");
  EXPECT_NE(r.status().message().find("unknown command \"frobnicate\""),
            std::string::npos)
      << r.status().ToString();
  // The error lists what is accepted.
  EXPECT_NE(r.status().message().find("rate unlimited"), std::string::npos);
}

TEST(CommandParseTest, RatesAreShownAsPeopleWriteThem) {
  EXPECT_EQ(FormatRate(500), "500 items/s");
  EXPECT_EQ(FormatRate(1.5), "1.5 items/s");
  EXPECT_EQ(FormatRate(2000), "2000 items/s");
  EXPECT_EQ(FormatRate(0.1), "0.1 items/s");
  EXPECT_EQ(FormatRate(1e9), "1000000000 items/s");
  EXPECT_EQ(FormatRate(0), "unlimited");
}

TEST(CommandJsonTest, EveryCommandRoundTrips) {
  for (const auto& [line, c] : AllCommands()) {
    std::string json = CommandToJson(c);
    Result<Command> back = CommandFromJson(json);
    ASSERT_TRUE(back.ok()) << json << ": " << back.status().ToString();
    EXPECT_EQ(*back, c) << json;
    Result<TableCommand> tc = TableCommandFromJson(TableCommandToJson("T1", c));
    ASSERT_TRUE(tc.ok()) << tc.status().ToString();
    EXPECT_EQ(tc->table, "T1");
    ASSERT_TRUE(tc->command.ok());
    EXPECT_EQ(*tc->command, c);
  }
  EXPECT_EQ(CommandToJson(Cmd(CommandKind::kRate, 500)),
            R"({"command":"rate","rate":500})");
  EXPECT_EQ(CommandToJson(Cmd(CommandKind::kRate, 0)),
            R"({"command":"rate","rate":"unlimited"})");
  EXPECT_EQ(CommandToJson(Cmd(CommandKind::kCutover, 0, true)),
            R"({"command":"cutover","force":true})");
}

TEST(CommandJsonTest, BadCommandsNameTheField) {
  struct Case {
    std::string json;
    std::string error;
  };
  for (const Case& c : std::vector<Case>{
           {R"({"command":"rate","rate":"abc"})", "command.rate is not a"},
           {R"({"command":"rate","rate":0})", "command.rate is not a"},
           {R"({"command":"rate","rate":-1})", "command.rate is not a"},
           {R"({"command":"rate"})", "command.rate is missing"},
           {R"({"command":"pause","rate":5})", "unknown field \"rate\""},
           {R"({"command":"pause","typo":1})", "unknown field \"typo\""},
           {R"({"command":"verify","force":true})", "takes no --force"},
           {R"({"command":"cutover","force":"yes"})", "command.force is not"},
           {R"({"command":"explode"})", "\"explode\" is not a command"},
           {R"({"verb":"pause"})", "command.command is missing"},
           {R"([1,2])", "not a JSON object"},
           {"not json", "not a JSON object"},
       }) {
    Result<Command> r = CommandFromJson(c.json);
    ASSERT_FALSE(r.ok()) << c.json;
    EXPECT_TRUE(r.status().IsInvalidArgument()) << c.json;
    EXPECT_NE(r.status().message().find(c.error), std::string::npos)
        << c.json << ": " << r.status().ToString();
  }
  // A bad command inside a good envelope is the command's error; a bad
  // envelope is the request's.
  Result<TableCommand> tc =
      TableCommandFromJson(R"({"table":"T1","command":{"command":"x"}})");
  ASSERT_TRUE(tc.ok()) << tc.status().ToString();
  EXPECT_FALSE(tc->command.ok());
  EXPECT_FALSE(TableCommandFromJson(R"({"command":{"command":"pause"}})").ok());
  EXPECT_FALSE(TableCommandFromJson(R"({"table":"T","command":"pause"})").ok());
  EXPECT_FALSE(
      TableCommandFromJson(R"({"table":"T","command":{},"x":1})").ok());
}

MigrationProgress SomeProgress() {
  MigrationProgress p;
  p.phase = RunPhase::kReplay;
  p.scanned = 12345678901ull;
  p.written = 2;
  p.dropped = 3;
  p.errors = 4;
  p.estimated_total = 5;
  p.segments_done = 6;
  p.segments_total = 7;
  p.captured = 8;
  p.replayed = 9;
  p.replay_lag = 10;
  p.items_per_second = 1234.5;
  p.elapsed_seconds = 0.1;  // not exact in binary: must round-trip exactly
  return p;
}

VerifyReport SomeVerify(bool with_differences) {
  VerifyReport v;
  v.source_items = 100;
  v.expected_items = 101;
  v.destination_items = 99;
  v.sequence = 77;
  v.seconds = 1.0 / 3;
  v.unsettled = 2;
  if (with_differences) {
    v.differences = 2;
    v.unmapped = 1;
    v.first.push_back(
        {R"({"pk":{"S":"a"}})", R"({"pk":{"S":"a"},"n":{"N":"1"}})", ""});
    v.first.push_back({R"({"pk":{"S":"b\"q"}})", "", R"({"pk":{"S":"b\"q"}})"});
  }
  return v;
}

FlipReport SomeFlip() {
  FlipReport f;
  f.from_table = "Orders";
  f.to_table = "Orders.v2";
  f.write_pause_ms = 3.25;
  f.drained_records = 17;
  return f;
}

void ExpectSameProgress(const MigrationProgress& a,
                        const MigrationProgress& b) {
  EXPECT_EQ(a.phase, b.phase);
  EXPECT_EQ(a.scanned, b.scanned);
  EXPECT_EQ(a.written, b.written);
  EXPECT_EQ(a.dropped, b.dropped);
  EXPECT_EQ(a.errors, b.errors);
  EXPECT_EQ(a.estimated_total, b.estimated_total);
  EXPECT_EQ(a.segments_done, b.segments_done);
  EXPECT_EQ(a.segments_total, b.segments_total);
  EXPECT_EQ(a.captured, b.captured);
  EXPECT_EQ(a.replayed, b.replayed);
  EXPECT_EQ(a.replay_lag, b.replay_lag);
  EXPECT_EQ(a.items_per_second, b.items_per_second);
  EXPECT_EQ(a.elapsed_seconds, b.elapsed_seconds);
}

void ExpectSameReply(const Reply& a, const Reply& b) {
  EXPECT_EQ(a.command, b.command);
  EXPECT_EQ(a.paused, b.paused);
  EXPECT_EQ(a.rate, b.rate);
  EXPECT_EQ(a.forced, b.forced);
  ASSERT_EQ(a.progress.has_value(), b.progress.has_value());
  if (a.progress) ExpectSameProgress(*a.progress, *b.progress);
  ASSERT_EQ(a.verify.has_value(), b.verify.has_value());
  if (a.verify) {
    const VerifyReport &x = *a.verify, &y = *b.verify;
    EXPECT_EQ(x.source_items, y.source_items);
    EXPECT_EQ(x.expected_items, y.expected_items);
    EXPECT_EQ(x.destination_items, y.destination_items);
    EXPECT_EQ(x.differences, y.differences);
    EXPECT_EQ(x.unmapped, y.unmapped);
    EXPECT_EQ(x.unsettled, y.unsettled);
    EXPECT_EQ(x.sequence, y.sequence);
    EXPECT_EQ(x.seconds, y.seconds);
    ASSERT_EQ(x.first.size(), y.first.size());
    for (size_t i = 0; i < x.first.size(); ++i) {
      EXPECT_EQ(x.first[i].key, y.first[i].key);
      EXPECT_EQ(x.first[i].expected, y.first[i].expected);
      EXPECT_EQ(x.first[i].actual, y.first[i].actual);
    }
  }
  ASSERT_EQ(a.flip.has_value(), b.flip.has_value());
  if (a.flip) {
    EXPECT_EQ(a.flip->from_table, b.flip->from_table);
    EXPECT_EQ(a.flip->to_table, b.flip->to_table);
    EXPECT_EQ(a.flip->write_pause_ms, b.flip->write_pause_ms);
    EXPECT_EQ(a.flip->drained_records, b.flip->drained_records);
  }
}

// One reply of each shape the controller answers.
std::vector<Reply> AllReplies() {
  std::vector<Reply> out;
  auto add = [&](CommandKind kind) -> Reply& {
    out.emplace_back();
    out.back().command = kind;
    return out.back();
  };
  add(CommandKind::kPause).paused = true;
  add(CommandKind::kResume).paused = false;
  add(CommandKind::kRate).rate = 500;
  add(CommandKind::kRate).rate = 0;  // unlimited
  add(CommandKind::kProgress).progress = SomeProgress();
  add(CommandKind::kVerify).verify = SomeVerify(false);
  add(CommandKind::kVerify).verify = SomeVerify(true);
  add(CommandKind::kCutover).flip = SomeFlip();
  Reply& forced = add(CommandKind::kRollback);
  forced.flip = SomeFlip();
  forced.forced = true;
  Reply& verified = add(CommandKind::kCutover);  // --verify-first, clean
  verified.verify = SomeVerify(false);
  verified.flip = SomeFlip();
  add(CommandKind::kCutover).verify = SomeVerify(true);  // nothing switched
  add(CommandKind::kFinish);
  add(CommandKind::kAbandon);
  return out;
}

TEST(ReplyJsonTest, EveryReplyRoundTrips) {
  for (const Reply& r : AllReplies()) {
    SCOPED_TRACE(ReplyToJson(r));
    Result<Reply> back = ReplyFromJson(ReplyToJson(r));
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    ExpectSameReply(*back, r);
    EXPECT_EQ(back->differences(), r.differences());
    // And inside a result, as the transports carry it.
    Result<Reply> carried = ResultFromJson(ResultToJson(r));
    ASSERT_TRUE(carried.ok()) << carried.status().ToString();
    ExpectSameReply(*carried, r);
  }
}

// Progress used to travel as a string of JSON inside the answer's JSON.
TEST(ReplyJsonTest, ProgressIsAnObjectNotAString) {
  Reply r;
  r.command = CommandKind::kProgress;
  r.progress = SomeProgress();
  std::string json = ResultToJson(r);
  EXPECT_EQ(
      json.rfind(
          R"({"reply":{"command":"progress","progress":{"phase":"replay",)", 0),
      0u)
      << json;
  EXPECT_EQ(json.find("\\\""), std::string::npos) << json;
  Result<MigrationProgress> p = ProgressFromJson(ProgressToJson(*r.progress));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ExpectSameProgress(*p, *r.progress);
  // Differences keep their DynamoDB JSON as JSON.
  EXPECT_NE(VerifyReportToJson(SomeVerify(true))
                .find(R"("first":[{"key":{"pk":{"S":"a"}},"expected":{)"),
            std::string::npos);
}

TEST(ReplyJsonTest, ErrorsRoundTripWithTheirCode) {
  for (const Status& s :
       {Status::FailedPrecondition("the verify gate refuses: run verify"),
        Status::InvalidArgument("command.rate is not a positive number"),
        Status::NotFound("no \"run\"\n of T"),
        Status::Unimplemented("abandon is not implemented yet")}) {
    Result<Reply> back = ResultFromJson(ResultToJson(Result<Reply>(s)));
    ASSERT_FALSE(back.ok());
    EXPECT_EQ(back.status(), s);
  }
  for (const std::string& bad :
       {std::string("{}"), std::string("nonsense"),
        std::string(R"({"error":{"code":"Bogus","message":"m"}})"),
        std::string(R"({"error":{"code":"NotFound"}})"),
        std::string(R"({"reply":{"command":"progress","progress":{}}})"),
        std::string(R"({"reply":{"command":"rate","rate":"fast"}})")}) {
    Result<Reply> r = ResultFromJson(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << bad;
  }
}

TEST(RunJsonTest, RequestAndInfoRoundTrip) {
  RunRequest req;
  req.table = "Orders";
  req.mode = OpenMode::kResume;
  req.segments = 32;
  req.threads = 3;
  req.rate = 250.5;
  req.max_errors = 9;
  req.fence_seconds = 1.5;
  Result<RunRequest> back = RunRequestFromJson(RunRequestToJson(req));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->table, "Orders");
  EXPECT_EQ(back->mode, OpenMode::kResume);
  EXPECT_EQ(back->segments, 32);
  EXPECT_EQ(back->threads, 3);
  EXPECT_EQ(back->rate, 250.5);
  EXPECT_EQ(back->max_errors, 9u);
  EXPECT_EQ(back->fence_seconds, std::optional<double>(1.5));
  req.fence_seconds.reset();
  back = RunRequestFromJson(RunRequestToJson(req));
  ASSERT_TRUE(back.ok());
  EXPECT_FALSE(back->fence_seconds.has_value());  // the store's default

  EXPECT_FALSE(RunRequestFromJson(R"({"table":"T","mode":"begin","segments":1,
      "threads":1,"rate":0,"max_errors":0})")
                   .ok());
  Result<RunRequest> typo = RunRequestFromJson(
      R"({"table":"T","mode":"start","segments":1,"threads":1,"rate":0,
          "max_errors":0,"treads":4})");
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.status().message().find("unknown field \"treads\""),
            std::string::npos);

  RunInfo info{"Orders",           "r-1", "Orders", "Orders.v2",
               RunPhase::kCutOver, true};
  Result<RunInfo> ib = RunInfoFromJson(RunInfoToJson(info));
  ASSERT_TRUE(ib.ok()) << ib.status().ToString();
  EXPECT_EQ(ib->table, info.table);
  EXPECT_EQ(ib->run_id, info.run_id);
  EXPECT_EQ(ib->source, info.source);
  EXPECT_EQ(ib->destination, info.destination);
  EXPECT_EQ(ib->phase, info.phase);
  EXPECT_TRUE(ib->resumed);
}

}  // namespace
}  // namespace godwit
