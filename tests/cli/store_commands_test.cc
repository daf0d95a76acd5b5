// The store commands, run as the real `godwit` binary (GODWIT_BINARY), and
// the godwit.toml reader.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "cli/config.h"
#include "godwit/json.h"
#include "testutil/random_item.h"
#include "testutil/temp_dir.h"

namespace godwit::cli {
namespace {

using ::godwit::test::TempDir;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary);
  out << data;
}

struct CmdResult {
  int code = -1;
  std::string out;
  std::string err;
};

// Runs godwit with `args` in directory `cwd`, stdin from `input`.
CmdResult Godwit(const std::string& cwd, std::vector<std::string> args,
                 const std::string& input = "") {
  static int counter = 0;
  std::string base = cwd + "/.run" + std::to_string(counter++);
  WriteFile(base + ".in", input);
  args.insert(args.begin(), GODWIT_BINARY);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::string in = base + ".in", out = base + ".out", err = base + ".err";
  pid_t pid = ::fork();
  if (pid == 0) {
    int fi = ::open(in.c_str(), O_RDONLY);
    int fo = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int fe = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fi < 0 || fo < 0 || fe < 0 || ::chdir(cwd.c_str()) != 0) ::_exit(120);
    ::dup2(fi, 0);
    ::dup2(fo, 1);
    ::dup2(fe, 2);
    ::execv(argv[0], argv.data());
    ::_exit(121);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  CmdResult r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = ReadFile(out);
  r.err = ReadFile(err);
  return r;
}

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

std::string Gunzip(const std::string& data) {
  z_stream z{};
  inflateInit2(&z, 15 + 32);
  std::string out;
  char buf[65536];
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  int r;
  do {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof(buf);
    r = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof(buf) - z.avail_out);
  } while (r == Z_OK);
  inflateEnd(&z);
  return out;
}

std::string Unzstd(const std::string& data) {
  std::string out(64 << 20, '\0');
  size_t n = ZSTD_decompress(out.data(), out.size(), data.data(), data.size());
  if (ZSTD_isError(n)) return "zstd error";
  out.resize(n);
  return out;
}

class StoreCommandsTest : public ::testing::Test {
 protected:
  CmdResult G(std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), {"--store", store_});
    return Godwit(dir_.path(), std::move(args), input);
  }
  TempDir dir_;
  std::string store_ = dir_.Join("store");
};

TEST_F(StoreCommandsTest, TableLifecycle) {
  CmdResult r = G({"table", "list"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("no store at"), std::string::npos) << r.err;
  r = G({"table", "create", "Orders", "--hash", "pk:S", "--range", "sk:N"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "created table Orders (key pk:S,sk:N, stream on)\n");
  r = G(
      {"--json", "table", "create", "Plain", "--hash", "id:B", "--no-stream"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "{\"created\":\"Plain\",\"key_schema\":{\"hash\":{\"name\":\"id\","
            "\"type\":\"B\"}},\"stream_enabled\":false}\n");
  r = G({"table", "create", "Orders", "--hash", "pk:S"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("AlreadyExists"), std::string::npos) << r.err;
  r = G({"table", "create", "x", "--hash", "pk:S"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("InvalidArgument"), std::string::npos) << r.err;
  r = G({"table", "list"});
  EXPECT_EQ(r.out, "Orders\nPlain\n");
  r = G({"--json", "table", "list"});
  EXPECT_EQ(r.out, "{\"tables\":[\"Orders\",\"Plain\"]}\n");
  r = G({"table", "describe", "Orders"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("key:      pk:S,sk:N"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("items:    0"), std::string::npos) << r.out;
  r = G({"table", "drop", "Plain"});
  ASSERT_EQ(r.code, 0) << r.err;
  r = G({"table", "describe", "Plain"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("NotFound"), std::string::npos);
  r = G({"table", "create"});  // usage error: CLI11's code, not 0 or 1
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.code, 1);
  EXPECT_NE(r.err.find("required"), std::string::npos) << r.err;
  r = G({"table", "create", "Bad", "--hash", "pk:X"});
  EXPECT_EQ(r.code, 1);
}

TEST_F(StoreCommandsTest, PutGetDeleteScan) {
  ASSERT_EQ(G({"table", "create", "T1x", "--hash", "pk:S"}).code, 0);
  CmdResult r = G({"put", "T1x", R"({"pk":{"S":"a"},"n":{"N":"1.50"}})"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  r = G({"--json", "put", "T1x", R"({"Item":{"pk":{"S":"a"},"n":{"N":"2"}}})"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(
      r.out,
      "{\"replaced\":true,\"OldItem\":{\"n\":{\"N\":\"1.5\"},\"pk\":{\"S\":"
      "\"a\"}}}\n");
  r = G({"get", "T1x", R"({"pk":{"S":"a"}})"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "{\"n\":{\"N\":\"2\"},\"pk\":{\"S\":\"a\"}}\n");
  r = G({"get", "T1x", R"({"pk":{"S":"zzz"}})"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("NotFound"), std::string::npos);
  r = G({"get", "T1x", R"({"pk":{"S":"a"},"other":{"S":"x"}})"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("not a key attribute"), std::string::npos) << r.err;
  r = G({"put", "T1x", R"({"pk":{"N":"1"}})"});
  EXPECT_EQ(r.code, 1);
  r = G({"put", "T1x", "not json"});
  EXPECT_EQ(r.code, 1);
  r = G({"put", "Nope", R"({"pk":{"S":"a"}})"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("table Nope does not exist"), std::string::npos);

  for (int i = 0; i < 30; ++i) {
    ASSERT_EQ(
        G({"put", "T1x", "{\"pk\":{\"S\":\"k" + std::to_string(i) + "\"}}"})
            .code,
        0);
  }
  std::vector<std::string> all = Lines(G({"scan", "T1x"}).out);
  EXPECT_EQ(all.size(), 31u);
  std::vector<std::string> from_segments;
  for (int seg = 0; seg < 3; ++seg) {
    CmdResult s =
        G({"scan", "T1x", "--segment", std::to_string(seg), "--segments", "3"});
    ASSERT_EQ(s.code, 0) << s.err;
    for (auto& l : Lines(s.out)) from_segments.push_back(l);
  }
  EXPECT_EQ(Sorted(from_segments), Sorted(all));
  EXPECT_EQ(Lines(G({"scan", "T1x", "--limit", "7"}).out).size(), 7u);
  EXPECT_EQ(G({"scan", "T1x", "--segment", "3", "--segments", "3"}).code, 1);
  r = G({"--json", "delete", "T1x", R"({"pk":{"S":"a"}})"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("{\"deleted\":true", 0), 0u) << r.out;
  r = G({"--json", "delete", "T1x", R"({"pk":{"S":"a"}})"});
  EXPECT_EQ(r.out, "{\"deleted\":false}\n");
  EXPECT_EQ(Lines(G({"scan", "T1x"}).out).size(), 30u);
  r = G({"--json", "table", "describe", "T1x"});
  EXPECT_NE(r.out.find("\"item_count\":30"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"latest_sequence\":33"), std::string::npos) << r.out;
}

// Canonical export lines of a file of DynamoDB-JSON lines.
std::vector<std::string> Canonical(const std::string& text) {
  JsonParser parser;
  std::vector<std::string> out;
  for (const std::string& line : Lines(text)) {
    auto item = parser.ParseItemLine(line);
    EXPECT_TRUE(item.ok()) << item.status().ToString();
    if (!item.ok()) continue;
    std::string s;
    WriteItemLine(*item, &s);
    out.push_back(s);
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST_F(StoreCommandsTest,
       ImportExportRoundTripIsByteIdenticalAfterCanonicalization) {
  ASSERT_EQ(
      G({"table", "create", "Src", "--hash", "pk:S", "--range", "sk:N"}).code,
      0);
  ASSERT_EQ(
      G({"table", "create", "Copy", "--hash", "pk:S", "--range", "sk:N"}).code,
      0);
  // Input spelled non-canonically (random order, escapes, number spellings).
  KeySchema schema{{"pk", AttrType::kS}, KeyAttribute{"sk", AttrType::kN}};
  std::mt19937_64 rng(99);
  godwit::test::RandomItemOptions ro;
  ro.schema = &schema;
  std::string input;
  for (int i = 0; i < 400; ++i) {
    Item item = godwit::test::RandomItem(rng, ro);
    std::string json = godwit::test::ToShuffledJson(item, rng);
    // Raw line breaks can only be whitespace between tokens: one line each.
    std::replace(json.begin(), json.end(), '\n', ' ');
    std::replace(json.begin(), json.end(), '\r', ' ');
    input += "{\"Item\": " + json + "}\n";
  }
  WriteFile(dir_.Join("in.json"), input);
  CmdResult r = G({"--json", "import", "Src", dir_.Join("in.json")});
  ASSERT_EQ(r.code, 0) << r.err;
  const std::vector<std::string> want = Canonical(input);
  // Random keys may repeat: the table holds the distinct keys' last items.
  std::vector<std::string> plain, gz, zst;
  for (const char* ext : {".json", ".json.gz", ".json.zst"}) {
    std::string path = dir_.Join(std::string("out") + ext);
    CmdResult e = G({"export", "Src", path});
    ASSERT_EQ(e.code, 0) << e.err;
    EXPECT_NE(e.out.find("exported "), std::string::npos);
  }
  std::string out_plain = ReadFile(dir_.Join("out.json"));
  EXPECT_EQ(Gunzip(ReadFile(dir_.Join("out.json.gz"))), out_plain);
  EXPECT_EQ(Unzstd(ReadFile(dir_.Join("out.json.zst"))), out_plain);
  std::vector<std::string> got = Lines(out_plain);
  std::vector<std::string> sorted_got = Sorted(got);
  std::vector<std::string> unique_want = want;
  unique_want.erase(std::unique(unique_want.begin(), unique_want.end()),
                    unique_want.end());
  // Every exported line is a canonical input line.
  for (const auto& line : sorted_got) {
    EXPECT_TRUE(std::binary_search(want.begin(), want.end(), line)) << line;
  }
  EXPECT_GT(got.size(), 300u);
  // Import the compressed exports into another table (also via stdin) and
  // export again: byte-identical.
  r = G({"import", "Copy", dir_.Join("out.json.zst")});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "imported " + std::to_string(got.size()) +
                       " items into Copy, 0 bad lines\n");
  r = G({"import", "Copy", dir_.Join("out.json.gz")});
  ASSERT_EQ(r.code, 0) << r.err;
  r = G({"import", "Copy", "-"}, out_plain);
  ASSERT_EQ(r.code, 0) << r.err;
  CmdResult e = G({"export", "Copy", "-"});
  ASSERT_EQ(e.code, 0) << e.err;
  EXPECT_EQ(e.out, out_plain);
  EXPECT_NE(e.err.find("exported " + std::to_string(got.size())),
            std::string::npos)
      << e.err;
  CmdResult d = G({"--json", "table", "describe", "Copy"});
  EXPECT_NE(d.out.find("\"item_count\":" + std::to_string(got.size())),
            std::string::npos);
}

TEST_F(StoreCommandsTest, BadLinesAndMaxErrors) {
  ASSERT_EQ(G({"table", "create", "T1x", "--hash", "pk:S"}).code, 0);
  std::string input;
  int line = 0;
  std::vector<int> bad_lines;
  for (int i = 0; i < 60; ++i) {
    ++line;
    if (i == 10 || i == 30 || i == 50) {
      input += i == 30 ? "{\"Item\":{\"nokey\":{\"S\":\"x\"}}}\n" : "garbage\n";
      bad_lines.push_back(line);
      continue;
    }
    input += "{\"Item\":{\"pk\":{\"S\":\"k" + std::to_string(i) + "\"}}}\n";
  }
  // Two duplicate keys in a row go through too (BatchWrite refuses dups).
  input += "{\"Item\":{\"pk\":{\"S\":\"dup\"},\"v\":{\"N\":\"1\"}}}\n";
  input += "{\"Item\":{\"pk\":{\"S\":\"dup\"},\"v\":{\"N\":\"2\"}}}\n";
  WriteFile(dir_.Join("in.json"), input);

  CmdResult r =
      G({"--json", "import", "T1x", dir_.Join("in.json"), "--max-errors", "1"});
  EXPECT_EQ(r.code, 1);
  // Stopped at the second bad line (line 31): the 29 good lines before it
  // are all written.
  EXPECT_EQ(r.out, "{\"imported\":29,\"bad_lines\":2,\"stopped\":true}\n");
  std::vector<std::string> err = Lines(r.err);
  ASSERT_GE(err.size(), 3u) << r.err;
  EXPECT_NE(err[0].find("line 11: "), std::string::npos) << err[0];
  EXPECT_NE(err[1].find("line 31: "), std::string::npos) << err[1];
  EXPECT_NE(err[2].find("more than --max-errors 1"), std::string::npos)
      << err[2];
  EXPECT_EQ(Lines(G({"scan", "T1x"}).out).size(), 29u);

  r = G({"import", "T1x", dir_.Join("in.json"), "--max-errors", "3"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "imported 59 items into T1x, 3 bad lines\n");
  EXPECT_EQ(Lines(r.err).size(), 3u) << r.err;
  EXPECT_NE(r.err.find("line 51: "), std::string::npos);
  EXPECT_EQ(Lines(G({"scan", "T1x"}).out).size(), 58u);
  CmdResult g = G({"get", "T1x", R"({"pk":{"S":"dup"}})"});
  EXPECT_EQ(g.out, "{\"pk\":{\"S\":\"dup\"},\"v\":{\"N\":\"2\"}}\n");
  r = G({"import", "T1x", dir_.Join("missing.json")});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("NotFound"), std::string::npos);
}

TEST_F(StoreCommandsTest, StorePathFromConfigAndDefault) {
  // No --store and no godwit.toml: ./.godwit/data.
  CmdResult r =
      Godwit(dir_.path(), {"table", "create", "Def", "--hash", "pk:S"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir_.Join(".godwit/data/CURRENT")));
  // godwit.toml names another store, relative to its own directory.
  std::filesystem::create_directories(dir_.Join("proj"));
  WriteFile(dir_.Join("proj/godwit.toml"),
            "# settings\n[store]\nkind = \"local\"\npath = \"db\"  # here\n\n"
            "[migrations]\ndir = 'migrations'\n");
  r = Godwit(dir_.path(), {"--config", "proj/godwit.toml", "table", "create",
                           "Cfg", "--hash", "pk:S"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir_.Join("proj/db/CURRENT")));
  r = Godwit(dir_.Join("proj"), {"table", "list"});
  EXPECT_EQ(r.out, "Cfg\n");
  WriteFile(dir_.Join("proj/godwit.toml"),
            "[store]\npath = \"db\"\ncolour = 1\n");
  r = Godwit(dir_.Join("proj"), {"table", "list"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("godwit.toml:3: unknown setting store.colour"),
            std::string::npos)
      << r.err;
}

TEST(ConfigTest, ParsesTheSubset) {
  TempDir dir;
  std::string path = dir.Join("godwit.toml");
  WriteFile(path,
            "# comment\n"
            "  [store]   # trailing comment\n"
            "kind = \"local\"\n"
            "path = \"da\\\"ta\\u00e9\"\n"
            "\n"
            "[ migrations ]\n"
            "dir = '/abs/migrations'\n");
  auto cfg = LoadConfig(path);
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->store_kind, "local");
  EXPECT_EQ(cfg->store_path, dir.Join("da\"ta\xc3\xa9"));
  EXPECT_EQ(cfg->migrations_dir, "/abs/migrations");
  EXPECT_EQ(cfg->source, path);
}

TEST(ConfigTest, ErrorsNameTheLine) {
  TempDir dir;
  std::string path = dir.Join("g.toml");
  struct Case {
    std::string text;
    std::string error;
  };
  std::vector<Case> cases = {
      {"[store]\npath = \"x\n", ":2: unterminated string"},
      {"[aws]\n", ":1: unknown section [aws]"},
      {"[store]\nkind = local\n", ":2: unsupported value \"local\""},
      {"[store]\nkind = \"local\"\nkind = \"dynamodb\"\n",
       ":3: duplicate setting store.kind"},
      {"[store]\nkind = \"s3\"\n",
       ":2: store.kind must be \"local\" or \"dynamodb\", not \"s3\""},
      {"[store]\npath = 5\n", ":2: store.path must be a string"},
      {"\n\n[store\n", ":3: unterminated section"},
      {"path = \"x\"\n", ":1: unknown setting path"},
      {"[store]\npath \"x\"\n", ":2: expected '='"},
      {"[store]\npath = \"x\" y\n", ":2: unexpected text"},
      {"[store]\n= 1\n", ":2: expected a [section]"},
      {"[store]\npath = \"\\q\"\n", ":2: unknown escape \\q"},
      {"[store]\npath = 99999999999999999999\n", ":2: integer too large"},
  };
  for (const Case& c : cases) {
    WriteFile(path, c.text);
    auto cfg = LoadConfig(path);
    ASSERT_FALSE(cfg.ok()) << c.text;
    EXPECT_TRUE(cfg.status().IsInvalidArgument());
    EXPECT_NE(cfg.status().message().find(path + c.error), std::string::npos)
        << "text:\n"
        << c.text << "\ngot: " << cfg.status().ToString();
  }
  EXPECT_TRUE(LoadConfig(dir.Join("missing.toml")).status().IsNotFound());
}

TEST(ConfigTest, ResolveStorePathPrecedence) {
  TempDir dir;
  GlobalOptions o;
  o.config_path = dir.Join("none.toml");
  auto p = ResolveStorePath(o);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, "./.godwit/data");
  WriteFile(dir.Join("g.toml"), "[store]\npath = \"/x/y\"\n");
  o.config_path = dir.Join("g.toml");
  EXPECT_EQ(*ResolveStorePath(o), "/x/y");
  o.store_path = "/flag";
  EXPECT_EQ(*ResolveStorePath(o), "/flag");
  o.store_path.clear();
  // Remote stores: [store] kind = "dynamodb", or --store dynamodb / URL.
  WriteFile(dir.Join("g.toml"),
            "[store]\nkind = \"dynamodb\"\nregion = \"eu-west-1\"\n"
            "endpoint = \"http://127.0.0.1:9\"\n");
  Result<StoreTarget> t = ResolveStore(o);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_TRUE(t->remote);
  EXPECT_EQ(t->endpoint, "http://127.0.0.1:9");
  EXPECT_EQ(t->region, "eu-west-1");
  EXPECT_EQ(t->path, "");  // no directory: the runs' files are in
  EXPECT_EQ(t->state_dir, dir.Join(".godwit/runs"));  // next to g.toml
  o.store_path = "https://dynamodb.example:8443";
  EXPECT_EQ(ResolveStore(o)->endpoint, "https://dynamodb.example:8443");
  o.store_path = "./dir";
  EXPECT_FALSE(ResolveStore(o)->remote);
  o.store_path.clear();
  WriteFile(dir.Join("g.toml"), "[store]\nkind = 3\n");
  EXPECT_TRUE(ResolveStorePath(o).status().IsInvalidArgument());
}

}  // namespace
}  // namespace godwit::cli
