// The runtime: error paths, sandbox, limits, determinism, composition,
// validate, ctx and helpers, dead letters.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "godwit/json.h"
#include "godwit/transform.h"
#include "testutil/temp_dir.h"
#include "transform/transform_test_util.h"

namespace godwit::test {
namespace {

bool Has(std::string_view hay, std::string_view needle) {
  return hay.find(needle) != std::string_view::npos;
}

Status CreateError(const std::string& source) {
  Result<std::shared_ptr<const Transform>> t =
      Transform::Create({MemFile(3, "broken", source)}, TestOptions());
  return t.status();
}

// ---- loading errors --------------------------------------------------------

TEST(Load, SyntaxErrorNamesFileAndLine) {
  Status s = CreateError(
      "return {\n  up = function(item)\n    local x = = 1\n"
      "  end,\n}\n");
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_TRUE(Has(s.message(),
                  "syntax error in /nonexistent/migrations/Orders/"
                  "0003_broken.lua:3:"))
      << s.ToString();
}

TEST(Load, ChunkMustReturnATable) {
  Status s = CreateError("local x = 1\n");
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_TRUE(Has(s.message(), "0003_broken.lua: the file must return a table"))
      << s.ToString();
}

TEST(Load, MissingUp) {
  Status s = CreateError("return { down = function(item) return item end }");
  EXPECT_TRUE(Has(s.message(), "0003_broken.lua"));
  EXPECT_TRUE(Has(s.message(), "no `up` function")) << s.ToString();
}

TEST(Load, UpNotAFunction) {
  Status s = CreateError("return { up = 5 }");
  EXPECT_TRUE(Has(s.message(), "`up` must be a function, got a number"))
      << s.ToString();
}

TEST(Load, ErrorWhileRunningTheChunk) {
  Status s = CreateError("local t = nil\nreturn t.x\n");
  EXPECT_TRUE(Has(s.message(), "0003_broken.lua:2:")) << s.ToString();
}

TEST(Load, BadKeySchema) {
  Status s = CreateError(
      "return { key_schema = { range = 'sk' }, up = function(i) return i end "
      "}");
  EXPECT_TRUE(Has(s.message(), "key_schema.hash")) << s.ToString();
}

TEST(Load, PrepareFailureNamesFile) {
  Status s = CreateError(
      "return {\n prepare = function(ctx)\n  error('no lookup table')\n end,\n"
      " up = function(item) return item end }");
  EXPECT_TRUE(Has(s.message(), "0003_broken.lua:3: no lookup table"))
      << s.ToString();
}

TEST(Load, EmptyListIsRefused) {
  EXPECT_TRUE(
      Transform::Create({}, TestOptions()).status().IsInvalidArgument());
}

TEST(Load, InfoAndDestinationKeySchema) {
  auto t = Transform::Create(
      {MemFile(1, "a",
               "return { description = 'first', up = function(i) "
               "return i end, down = function(i) return i end }"),
       MemFile(2, "b",
               "return { key_schema = { hash = 'pk', range = 'n:N' }, "
               "up = function(i) return i end, validate = function() "
               "return true end }")},
      TestOptions());
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  const auto& infos = (*t)->migrations();
  ASSERT_EQ(infos.size(), 2u);
  EXPECT_EQ(infos[0].id, "0001_a");
  EXPECT_EQ(infos[0].description, "first");
  EXPECT_TRUE(infos[0].has_down);
  EXPECT_FALSE(infos[1].has_down);
  EXPECT_TRUE(infos[1].has_validate);
  KeySchema want{{"pk", AttrType::kS}, KeyAttribute{"n", AttrType::kN}};
  EXPECT_EQ((*t)->destination_key_schema(), want);
}

// ---- per-item errors -------------------------------------------------------

TEST(Call, RuntimeErrorNamesKeyAndHasTraceback) {
  auto w = UpWorker("local helper = nil\nreturn helper.x");
  ASSERT_NE(w, nullptr);
  ItemOutcome out = w->Up(PkItem("ORDER#7"));
  EXPECT_EQ(out.kind, ItemOutcome::Kind::kFailed);
  EXPECT_EQ(out.migration, "0001_t");
  EXPECT_TRUE(Has(out.reason, "pk=ORDER#7")) << out.reason;
  EXPECT_TRUE(Has(out.reason, "0001_t.lua:3:")) << out.reason;
  EXPECT_TRUE(Has(out.traceback, "stack traceback:")) << out.traceback;
  EXPECT_TRUE(Has(out.traceback, "0001_t.lua:3")) << out.traceback;
}

TEST(Call, WrongReturnTypes) {
  struct Case {
    const char* body;
    const char* want;
  };
  const Case cases[] = {
      {"return 5", "up returned a number"},
      {"return 'x'", "up returned a string"},
      {"return {}", "empty table"},
      {"return {item, 5}", "item 2 cannot be stored"},
      {"return godwit.list{item, nil, item}", "holes"},
  };
  for (const Case& c : cases) {
    auto w = UpWorker(c.body);
    ASSERT_NE(w, nullptr);
    ItemOutcome out = w->Up(PkItem("a"));
    EXPECT_EQ(out.kind, ItemOutcome::Kind::kFailed) << c.body;
    EXPECT_TRUE(Has(out.reason, c.want)) << c.body << " -> " << out.reason;
  }
}

TEST(Call, DropAndFanOut) {
  auto drop = UpWorker("return nil");
  ASSERT_NE(drop, nullptr);
  EXPECT_EQ(drop->Up(PkItem("a")).kind, ItemOutcome::Kind::kDropped);

  auto none = UpWorker("return godwit.list{}");
  ASSERT_NE(none, nullptr);
  EXPECT_EQ(none->Up(PkItem("a")).kind, ItemOutcome::Kind::kDropped);

  auto fan = UpWorker(
      "local copy = {pk = item.pk .. '#2', n = item.n} return {item, copy}");
  ASSERT_NE(fan, nullptr);
  Item in = PkItem("a");
  in.Set("n", N("1"));
  ItemOutcome out = fan->Up(in);
  ASSERT_TRUE(out.ok()) << out.reason;
  ASSERT_EQ(out.items.size(), 2u);
  EXPECT_EQ(out.items[0], in);
  EXPECT_EQ(*out.items[1].Find("pk"), S("a#2"));
  EXPECT_EQ(*out.items[1].Find("n"), N("1"));

  TransformStats stats;
  stats.Add(out);
  stats.Add(drop->Up(PkItem("b")));
  stats.Add(UpWorker("error('x')")->Up(PkItem("c")));
  EXPECT_EQ(stats.items_in, 3u);
  EXPECT_EQ(stats.items_out, 2u);
  EXPECT_EQ(stats.fanned_out, 1u);
  EXPECT_EQ(stats.dropped, 1u);
  EXPECT_EQ(stats.failed, 1u);
  EXPECT_EQ(stats.errors(), 1u);
}

TEST(Call, ResultMustBeAValidItem) {
  auto w = UpWorker("item.pk = nil item.other = 1 return item");
  ASSERT_NE(w, nullptr);
  ItemOutcome out = w->Up(PkItem("a"));
  EXPECT_EQ(out.kind, ItemOutcome::Kind::kInvalid);
  EXPECT_TRUE(Has(out.reason, "not a valid DynamoDB item")) << out.reason;
}

// ---- sandbox ---------------------------------------------------------------

TEST(Sandbox, DangerousGlobalsAreAbsent) {
  auto w = UpWorker(R"(
    assert(io == nil and require == nil and dofile == nil and loadfile == nil)
    assert(debug == nil and package == nil and collectgarbage == nil)
    assert(os.execute == nil and os.getenv == nil and os.remove == nil)
    assert(string.dump == nil)
    assert(getmetatable("") == false)
    return item
  )");
  ASSERT_NE(w, nullptr);
  ItemOutcome out = w->Up(PkItem("a"));
  EXPECT_TRUE(out.ok()) << out.reason;

  auto exec = UpWorker("os.execute('touch /tmp/godwit-pwned') return item");
  ASSERT_NE(exec, nullptr);
  out = exec->Up(PkItem("a"));
  EXPECT_EQ(out.kind, ItemOutcome::Kind::kFailed);
  EXPECT_TRUE(Has(out.reason, "execute")) << out.reason;
  EXPECT_FALSE(std::filesystem::exists("/tmp/godwit-pwned"));
}

TEST(Sandbox, LoadOnlyTextChunksInTheSandbox) {
  auto w = UpWorker(R"(
    local f, err = load(string.char(27) .. "Lua")
    assert(f == nil and err:find("binary"), err)
    local ok, e = pcall(load, "return 1", "x", "b")
    assert(not ok and e:find("text chunks"), e)
    local g = load("return io, os.execute, godwit ~= nil")
    local a, b, c = g()
    assert(a == nil and b == nil and c == true)
    return item
  )");
  ASSERT_NE(w, nullptr);
  ItemOutcome out = w->Up(PkItem("a"));
  EXPECT_TRUE(out.ok()) << out.reason << out.traceback;
}

TEST(Sandbox, InstructionBudgetStopsEndlessLoop) {
  TransformOptions o = TestOptions();
  o.instruction_budget = 200000;
  auto w =
      MustWorker({MemFile(1, "loop",
                          "return { up = function(item)\n"
                          "  if item.pk == 'spin' then while true do end end\n"
                          "  return item end }")},
                 o);
  ASSERT_NE(w, nullptr);
  ItemOutcome out = w->Up(PkItem("spin"));
  EXPECT_EQ(out.kind, ItemOutcome::Kind::kFailed);
  EXPECT_TRUE(Has(out.reason, "instruction budget")) << out.reason;
  EXPECT_TRUE(Has(out.reason, "pk=spin")) << out.reason;
  // The state is still good for the next item.
  EXPECT_TRUE(w->Up(PkItem("fine")).ok());
  // pcall cannot swallow the budget.
  auto w2 = MustWorker({MemFile(1, "loop2",
                                "return { up = function(item)\n"
                                "  pcall(function() while true do end end)\n"
                                "  while true do end end }")},
                       o);
  ASSERT_NE(w2, nullptr);
  EXPECT_TRUE(Has(w2->Up(PkItem("a")).reason, "instruction budget"));
}

TEST(Sandbox, MemoryCapFailsTheItemNotTheProcess) {
  TransformOptions o = TestOptions();
  o.memory_limit_bytes = 16u << 20;
  o.instruction_budget = 1'000'000'000;
  auto w = MustWorker(
      {MemFile(1, "hog",
               "return { up = function(item)\n"
               "  if item.pk == 'hog' then local t = {}\n"
               "    for i = 1, 1e8 do t[i] = i end end\n"
               "  if item.pk == 'rep' then item.x = string.rep('x', 1e9) end\n"
               "  return item end }")},
      o);
  ASSERT_NE(w, nullptr);
  for (const char* pk : {"hog", "rep"}) {
    ItemOutcome out = w->Up(PkItem(pk));
    EXPECT_EQ(out.kind, ItemOutcome::Kind::kFailed) << pk;
    EXPECT_TRUE(Has(out.reason, "memory limit of 16 MiB")) << out.reason;
    EXPECT_LE(w->memory_in_use(), 16u << 20);
  }
  EXPECT_TRUE(w->Up(PkItem("fine")).ok());
  EXPECT_LT(w->memory_in_use(), 4u << 20);
}

// ---- determinism -----------------------------------------------------------

TEST(Determinism, RandomAndClockAreRefused) {
  const char* bodies[] = {
      "item.r = math.random() return item", "item.t = os.time() return item",
      "item.c = os.clock() return item", "item.d = os.date() return item",
      "pcall(math.random) return item"};
  for (const char* body : bodies) {
    auto w = UpWorker(body);
    ASSERT_NE(w, nullptr);
    Status s = w->CheckDeterminism({PkItem("a")});
    EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << body;
    EXPECT_TRUE(Has(s.message(), "is not deterministic")) << s.ToString();
    EXPECT_TRUE(Has(s.message(), "0001_t.lua")) << s.ToString();
  }
  auto w = UpWorker("item.r = math.random() return item");
  ItemOutcome out = w->Up(PkItem("a"));
  EXPECT_EQ(out.kind, ItemOutcome::Kind::kFailed);
  EXPECT_TRUE(Has(out.reason, "math.random is not allowed")) << out.reason;
}

TEST(Determinism, StateKeptBetweenCallsIsCaught) {
  auto w = MustWorker(
      {MemFile(2, "counter",
               "local n = 0\nreturn { up = function(item) n = n + 1 item.n = n "
               "return item end }")});
  ASSERT_NE(w, nullptr);
  Status s = w->CheckDeterminism({PkItem("a"), PkItem("b")});
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Has(s.message(), "0002_counter.lua is not deterministic"))
      << s.ToString();
  EXPECT_TRUE(Has(s.message(), "pk=a")) << s.ToString();
}

TEST(Determinism, PureTransformPasses) {
  auto w = UpWorker(
      "item.x = item.pk .. ctx.now if item.pk == 'bad' then "
      "error('deterministic failure') end return item");
  ASSERT_NE(w, nullptr);
  EXPECT_TRUE(
      w->CheckDeterminism({PkItem("a"), PkItem("bad"), PkItem("c")}).ok());
}

// ---- composition -----------------------------------------------------------

TEST(Compose, FanOutAndDropFlowThrough) {
  auto w = MustWorker(
      {MemFile(1, "mark",
               "return { up = function(item) item.a = 1 return item end }"),
       MemFile(2, "split",
               "return { up = function(item)\n"
               "  return {item, {pk = item.pk .. '#2', a = item.a}} end }"),
       MemFile(10, "filter",
               "return { up = function(item)\n"
               "  if item.pk:find('#2$') then return nil end\n"
               "  item.b = item.a + 1 return item end }")});
  ASSERT_NE(w, nullptr);
  ItemOutcome out = w->Up(PkItem("x"));
  ASSERT_TRUE(out.ok()) << out.reason;
  ASSERT_EQ(out.items.size(), 1u);
  EXPECT_EQ(*out.items[0].Find("a"), N("1"));
  EXPECT_EQ(*out.items[0].Find("b"), N("2"));
}

TEST(Compose, DropStopsLaterMigrations) {
  auto w = MustWorker(
      {MemFile(1, "drop", "return { up = function(item) return nil end }"),
       MemFile(2, "never",
               "return { up = function(item) error('called') end }")});
  ASSERT_NE(w, nullptr);
  ItemOutcome out = w->Up(PkItem("x"));
  EXPECT_EQ(out.kind, ItemOutcome::Kind::kDropped);
  EXPECT_EQ(out.migration, "0001_drop");
}

TEST(Compose, ErrorInSecondMigrationNamesIt) {
  auto w = MustWorker(
      {MemFile(1, "ok", "return { up = function(item) return item end }"),
       MemFile(2, "boom",
               "return { up = function(item) error('kaput') end }")});
  ASSERT_NE(w, nullptr);
  ItemOutcome out = w->Up(PkItem("x"));
  EXPECT_EQ(out.kind, ItemOutcome::Kind::kFailed);
  EXPECT_EQ(out.migration, "0002_boom");
  EXPECT_TRUE(Has(out.reason, "kaput")) << out.reason;
}

TEST(Compose, DownRunsInReverse) {
  auto w = MustWorker(
      {MemFile(3, "add_x",
               "return { up = function(item) item.x = 1 return item end,\n"
               "down = function(item) assert(item.x == 1) item.x = nil "
               "return item end }"),
       MemFile(4, "rename_x",
               "return { up = function(item) item.y = item.x item.x = nil "
               "return item end,\n"
               "down = function(item) assert(item.y, 'down order') "
               "item.x = item.y item.y = nil return item end }")});
  ASSERT_NE(w, nullptr);
  Item in = PkItem("k");
  in.Set("keep", N("0.1"));
  ItemOutcome up = w->Up(in);
  ASSERT_TRUE(up.ok()) << up.reason;
  EXPECT_EQ(*up.items[0].Find("y"), N("1"));
  ItemOutcome down = w->Down(up.items[0]);
  ASSERT_TRUE(down.ok()) << down.reason << down.traceback;
  EXPECT_EQ(down.items[0], in);
}

TEST(Compose, MissingDownFailsRollback) {
  auto w = UpWorker("return item");
  ASSERT_NE(w, nullptr);
  ItemOutcome out = w->Down(PkItem("a"));
  EXPECT_EQ(out.kind, ItemOutcome::Kind::kFailed);
  EXPECT_TRUE(Has(out.reason, "no `down` function")) << out.reason;
}

// ---- validate --------------------------------------------------------------

TEST(Validate, FalseWithReason) {
  auto w = MustWorker(
      {MemFile(5, "v",
               "return { up = function(item) return item end,\n"
               "validate = function(item) return item.customerId ~= nil, "
               "'missing customerId' end }")});
  ASSERT_NE(w, nullptr);
  ItemOutcome out = w->Up(PkItem("ORDER#1"));
  EXPECT_EQ(out.kind, ItemOutcome::Kind::kInvalid);
  EXPECT_EQ(out.migration, "0005_v");
  EXPECT_TRUE(Has(out.reason, "missing customerId")) << out.reason;
  EXPECT_TRUE(Has(out.reason, "pk=ORDER#1")) << out.reason;
  Item good = PkItem("ORDER#2");
  good.Set("customerId", S("c"));
  EXPECT_TRUE(w->Up(good).ok());
}

TEST(Validate, NilAndErrorsAreInvalid) {
  auto nil = MustWorker({MemFile(
      1, "v",
      "return { up = function(i) return i end, validate = function() end }")});
  ASSERT_NE(nil, nullptr);
  ItemOutcome out = nil->Up(PkItem("a"));
  EXPECT_EQ(out.kind, ItemOutcome::Kind::kInvalid);
  EXPECT_TRUE(Has(out.reason, "validate returned nil")) << out.reason;

  auto err = MustWorker(
      {MemFile(1, "v",
               "return { up = function(i) return i end, validate = function(i) "
               "return i.x.y end }")});
  ASSERT_NE(err, nullptr);
  out = err->Up(PkItem("a"));
  EXPECT_EQ(out.kind, ItemOutcome::Kind::kInvalid);
  EXPECT_TRUE(Has(out.reason, "validate raised an error")) << out.reason;
  EXPECT_FALSE(out.traceback.empty());
}

// ---- ctx and helpers -------------------------------------------------------

TEST(Ctx, FieldsAndLogger) {
  std::vector<std::string> lines;
  TransformOptions o = TestOptions();
  o.log = [&](std::string_view l) { lines.emplace_back(l); };
  auto w = MustWorker(
      {MemFile(1, "ctx",
               "return { prepare = function(ctx) return {x = 5} end,\n"
               "up = function(item, ctx)\n"
               "  item.mig = ctx.migration item.tbl = ctx.table\n"
               "  item.now = ctx.now item.iso = ctx.now_iso\n"
               "  item.run = ctx.run_id item.data = ctx.data.x\n"
               "  ctx.log('hello', 1) print('p', true)\n"
               "  return item end }")},
      o);
  ASSERT_NE(w, nullptr);
  ItemOutcome out = w->Up(PkItem("a"));
  ASSERT_TRUE(out.ok()) << out.reason;
  const Item& r = out.items[0];
  EXPECT_EQ(*r.Find("mig"), S("0001_ctx"));
  EXPECT_EQ(*r.Find("tbl"), S("Orders"));
  EXPECT_EQ(*r.Find("now"), N("1700000000"));
  EXPECT_EQ(*r.Find("iso"), S("2023-11-14T22:13:20.123Z"));
  EXPECT_EQ(*r.Find("run"), S("test-run"));
  EXPECT_EQ(*r.Find("data"), N("5"));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "[0001_ctx] hello\t1");
  EXPECT_EQ(lines[1], "[0001_ctx] p\ttrue");
}

TEST(Helpers, ReadJsonRelativeToTheMigration) {
  TempDir dir;
  std::string root = dir.Join("migrations");
  std::filesystem::create_directories(root + "/Orders");
  std::ofstream(root + "/Orders/regions.json")
      << R"({"regions": [{"name": "eu", "rate": 0.5, "big": 12345678901234},
            {"name": "us", "rate": null}], "on": true})";
  std::ofstream(dir.Join("secret.json")) << "{}";
  auto w = MustWorker({MemFile(
      1, "json",
      "return { prepare = function(ctx) return "
      "godwit.read_json('regions.json') end,\n"
      "up = function(item, ctx)\n"
      "  local r = ctx.data.regions\n"
      "  item.region = r[1].name item.rate = r[1].rate\n"
      "  item.big = r[1].big item.null = r[2].rate item.on = ctx.data.on\n"
      "  item.all = r\n"
      "  local ok, err = pcall(godwit.read_json, '../../secret.json')\n"
      "  assert(not ok and err:find('outside'), err)\n"
      "  ok, err = pcall(godwit.read_json, '/etc/passwd')\n"
      "  assert(not ok and err:find('relative'), err)\n"
      "  ok, err = pcall(godwit.read_json, 'missing.json')\n"
      "  assert(not ok and err:find('cannot open'), err)\n"
      "  return item end }",
      root)});
  ASSERT_NE(w, nullptr);
  ItemOutcome out = w->Up(PkItem("a"));
  ASSERT_TRUE(out.ok()) << out.reason << out.traceback;
  const Item& r = out.items[0];
  EXPECT_EQ(*r.Find("region"), S("eu"));
  EXPECT_EQ(*r.Find("rate"), N("0.5"));
  EXPECT_EQ(*r.Find("big"), N("12345678901234"));
  EXPECT_EQ(*r.Find("null"), AttributeValue::Null());
  EXPECT_EQ(*r.Find("on"), AttributeValue::Bool(true));
  EXPECT_EQ(r.Find("all")->l().size(), 2u);
}

// ---- dead letters ----------------------------------------------------------

TEST(DeadLetter, LineHoldsRunPhaseMigrationReasonKeyAndTraceback) {
  auto w = UpWorker("error('bad \"order\"')");
  ASSERT_NE(w, nullptr);
  Item in = PkItem("ORDER#9");
  in.Set("total", N("12.5"));
  ItemOutcome out = w->Up(in);
  ASSERT_EQ(out.kind, ItemOutcome::Kind::kFailed);
  DeadLetterSource src{"run-1", "Orders"};
  std::string line =
      DeadLetterLine(src, "backfill", in, PkSchema(), ItemErrorOf(out));
  EXPECT_TRUE(Has(line,
                  "{\"run\":\"run-1\",\"table\":\"Orders\",\"phase\":"
                  "\"backfill\",\"migration\":\"0001_t\",\"kind\":\"failed\""))
      << line;
  EXPECT_TRUE(Has(line, "bad \\\"order\\\"")) << line;
  EXPECT_TRUE(Has(line, "\"key\":{\"pk\":{\"S\":\"ORDER#9\"}}")) << line;
  EXPECT_TRUE(Has(line,
                  "\"item\":{\"pk\":{\"S\":\"ORDER#9\"},\"total\":{\"N\":"
                  "\"12.5\"}}"))
      << line;
  EXPECT_TRUE(Has(line, "\"traceback\":\"stack traceback:")) << line;
  EXPECT_FALSE(Has(line, "\n"));
}

// --max-errors counted a bad item again after --resume: 2 bad items became
// 4 lines and 4 errors. A writer reopened on the file writes a key once.
TEST(DeadLetter, AKeyIsWrittenOncePerPhaseAcrossReopens) {
  auto w = UpWorker("error('bad')");
  ASSERT_NE(w, nullptr);
  Item a = PkItem("ORDER#1");
  Item b = PkItem("ORDER#2");
  ItemError err = ItemErrorOf(w->Up(a));
  TempDir dir;
  std::string path = dir.Join("dead.jsonl");
  DeadLetterSource src{"run-1", "Orders"};
  {
    auto writer = DeadLetterWriter::Open(path, src);
    ASSERT_TRUE(writer.ok()) << writer.status().ToString();
    auto first = (*writer)->Write("backfill", a, PkSchema(), err);
    ASSERT_TRUE(first.ok());
    EXPECT_TRUE(*first);
    auto again = (*writer)->Write("backfill", a, PkSchema(), err);
    ASSERT_TRUE(again.ok());
    EXPECT_FALSE(*again);
    auto other_phase = (*writer)->Write("replay", a, PkSchema(), err);
    ASSERT_TRUE(other_phase.ok());
    EXPECT_TRUE(*other_phase);
    ASSERT_TRUE((*writer)->Flush().ok());
    EXPECT_EQ((*writer)->written(), 2u);
  }
  {
    auto writer = DeadLetterWriter::Open(path, src);
    ASSERT_TRUE(writer.ok()) << writer.status().ToString();
    auto resumed = (*writer)->Write("backfill", a, PkSchema(), err);
    ASSERT_TRUE(resumed.ok());
    EXPECT_FALSE(*resumed);
    auto fresh = (*writer)->Write("backfill", b, PkSchema(), err);
    ASSERT_TRUE(fresh.ok());
    EXPECT_TRUE(*fresh);
    ASSERT_TRUE((*writer)->Flush().ok());
  }
  std::ifstream f(path);
  std::string l;
  int n = 0;
  while (std::getline(f, l)) ++n;
  EXPECT_EQ(n, 3);
}

TEST(DeadLetter, AFileThatIsNotDeadLettersIsRefusedNamingTheLine) {
  TempDir dir;
  std::string path = dir.Join("dead.jsonl");
  {
    std::ofstream f(path);
    f << "{\"phase\":\"backfill\",\"key\":{\"pk\":{\"S\":\"a\"}}}\n"
      << "not json\n";
  }
  auto writer = DeadLetterWriter::Open(path, {});
  ASSERT_FALSE(writer.ok());
  EXPECT_EQ(writer.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(writer.status().message().find("line 2"), std::string::npos)
      << writer.status().ToString();
}

}  // namespace
}  // namespace godwit::test
