// Dead letters as documented: a line the writer wrote parses back with every
// field the docs describe, and the docs, the format page and the grammar at
// the top of dead_letter.cc list exactly the fields the writer writes.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "godwit/json.h"
#include "godwit/transform.h"
#include "testutil/temp_dir.h"
#include "transform/transform_test_util.h"

namespace godwit::test {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Source(const std::string& rel) {
  return ReadFile(std::string(GODWIT_SOURCE_DIR) + "/" + rel);
}

// The field names of the `line := {...}` production in `text`.
std::set<std::string> GrammarFields(const std::string& text) {
  size_t at = text.find("line  := {");
  EXPECT_NE(at, std::string::npos) << "no line := { in the text";
  if (at == std::string::npos) return {};
  size_t end = text.find('}', at);
  std::string block = text.substr(at, end - at);
  std::set<std::string> out;
  std::regex field("\"([a-z_]+)\":");
  for (std::sregex_iterator it(block.begin(), block.end(), field), e; it != e;
       ++it) {
    out.insert((*it)[1].str());
  }
  return out;
}

// The phase alternatives of the `phase := ...` production.
std::set<std::string> GrammarPhases(const std::string& text) {
  size_t at = text.find("phase := ");
  EXPECT_NE(at, std::string::npos);
  if (at == std::string::npos) return {};
  std::string row = text.substr(at, text.find('\n', at) - at);
  std::set<std::string> out;
  std::regex quoted("\"([a-z-]+)\"");
  for (std::sregex_iterator it(row.begin(), row.end(), quoted), e; it != e;
       ++it) {
    out.insert((*it)[1].str());
  }
  return out;
}

// The first column of the field table in docs/migrations.md's
// "## Dead letters" section.
std::set<std::string> DocumentedFields(const std::string& doc) {
  size_t at = doc.find("\n## Dead letters\n");
  EXPECT_NE(at, std::string::npos) << "no Dead letters section";
  if (at == std::string::npos) return {};
  size_t end = doc.find("\n## ", at + 1);
  std::istringstream section(doc.substr(at, end - at));
  std::set<std::string> out;
  std::regex row("^\\| `([a-z_]+)` \\|");
  std::smatch m;
  for (std::string l; std::getline(section, l);) {
    if (std::regex_search(l, m, row)) out.insert(m[1].str());
  }
  return out;
}

Item SourceItem() {
  Item in = PkItem("ORDER#9");
  in.Set("total", N("12.5"));
  in.Set("blob", B(std::string("\x00\xff\n\"", 4)));
  AttributeMap addr;
  addr.Set("city", S("Zürich \"Z\"\n"));
  in.Set("addr", AttributeValue::M(std::move(addr)));
  return in;
}

// What the writer wrote, read back from the file: one line per write.
std::vector<std::string> WriteAndReadBack(const std::string& path,
                                          std::string_view phase,
                                          const Item& item,
                                          const ItemError& error) {
  {
    auto w = DeadLetterWriter::Open(path, DeadLetterSource{"run-7", "Orders"});
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    if (!w.ok()) return {};
    auto wrote = (*w)->Write(phase, item, PkSchema(), error);
    EXPECT_TRUE(wrote.ok() && *wrote);
    EXPECT_TRUE((*w)->Flush().ok());
  }
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

TEST(DeadLetterFormat, AWrittenLineParsesBackWithEveryDocumentedField) {
  auto w = UpWorker("local t = nil\nreturn t.x");
  ASSERT_NE(w, nullptr);
  Item in = SourceItem();
  ItemOutcome out = w->Up(in);
  ASSERT_EQ(out.kind, ItemOutcome::Kind::kFailed);
  ItemError err = ItemErrorOf(out);
  ASSERT_FALSE(err.traceback.empty());
  TempDir dir;
  std::vector<std::string> lines =
      WriteAndReadBack(dir.Join("dead-letter.jsonl"), "replay", in, err);
  ASSERT_EQ(lines.size(), 1u);

  simdjson::dom::parser parser;
  simdjson::dom::object doc;
  ASSERT_EQ(parser.parse(lines[0]).get(doc), simdjson::SUCCESS) << lines[0];
  std::set<std::string> keys;
  for (auto kv : doc) keys.insert(std::string(kv.key));
  EXPECT_EQ(keys, DocumentedFields(Source("docs/migrations.md")));

  auto str = [&](const char* k) {
    std::string_view v;
    EXPECT_EQ(doc[k].get_string().get(v), simdjson::SUCCESS) << k;
    return std::string(v);
  };
  EXPECT_EQ(str("run"), "run-7");
  EXPECT_EQ(str("table"), "Orders");
  EXPECT_EQ(str("phase"), "replay");
  EXPECT_EQ(str("migration"), "0001_t");
  EXPECT_EQ(str("kind"), "failed");
  EXPECT_EQ(str("reason"), err.reason);
  EXPECT_EQ(str("traceback"), err.traceback);
  JsonParser items;
  simdjson::dom::element key, item;
  ASSERT_EQ(doc["key"].get(key), simdjson::SUCCESS);
  ASSERT_EQ(doc["item"].get(item), simdjson::SUCCESS);
  Result<Item> k = items.ParseItem(simdjson::minify(key));
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  EXPECT_EQ(*k, PkItem("ORDER#9"));
  Result<Item> whole = items.ParseItem(simdjson::minify(item));
  ASSERT_TRUE(whole.ok()) << whole.status().ToString();
  EXPECT_EQ(*whole, in);
}

TEST(DeadLetterFormat, InvalidKindAndEmptyTracebackAndRun) {
  auto w = MustWorker(
      {MemFile(2, "v",
               "return { up = function(i) return i end,\n"
               "  validate = function(i) return false, 'no' end }")});
  ASSERT_NE(w, nullptr);
  Item in = PkItem("a");
  ItemOutcome out = w->Up(in);
  ASSERT_EQ(out.kind, ItemOutcome::Kind::kInvalid);
  std::string line = DeadLetterLine(DeadLetterSource{}, "backfill", in,
                                    PkSchema(), ItemErrorOf(out));
  simdjson::dom::parser parser;
  simdjson::dom::object doc;
  ASSERT_EQ(parser.parse(line).get(doc), simdjson::SUCCESS) << line;
  std::string_view v;
  ASSERT_EQ(doc["kind"].get_string().get(v), simdjson::SUCCESS);
  EXPECT_EQ(v, "invalid");
  ASSERT_EQ(doc["run"].get_string().get(v), simdjson::SUCCESS);
  EXPECT_EQ(v, "");
  ASSERT_EQ(doc["traceback"].get_string().get(v), simdjson::SUCCESS);
  EXPECT_EQ(v, "");
  ASSERT_EQ(doc["migration"].get_string().get(v), simdjson::SUCCESS);
  EXPECT_EQ(v, "0002_v");
}

// docs/migrations.md documented {"migration","kind","reason","key","item",
// "traceback"} while the engine wrote run, table and phase too.
TEST(DeadLetterFormat, DocsFormatPageAndGrammarListTheWrittenFields) {
  Item in = PkItem("a");
  ItemError err{ItemOutcome::Kind::kFailed, "0001_t", "r", "t"};
  std::string line = DeadLetterLine(DeadLetterSource{"r", "T"}, "backfill", in,
                                    PkSchema(), err);
  simdjson::dom::parser parser;
  simdjson::dom::object doc;
  ASSERT_EQ(parser.parse(line).get(doc), simdjson::SUCCESS);
  std::set<std::string> written;
  for (auto kv : doc) written.insert(std::string(kv.key));
  ASSERT_EQ(written.size(), 9u);

  std::string guide = Source("docs/migrations.md");
  std::string format = Source("docs/formats/dead-letter.md");
  std::string code = Source("src/transform/dead_letter.cc");
  // The .cc's grammar is in comments: drop the "//" of each line.
  code = std::regex_replace(code, std::regex("\n// ?"), "\n");
  EXPECT_EQ(DocumentedFields(guide), written);
  EXPECT_EQ(GrammarFields(guide), written);
  EXPECT_EQ(GrammarFields(format), written);
  EXPECT_EQ(GrammarFields(code), written);
  std::set<std::string> phases = GrammarPhases(code);
  EXPECT_EQ(phases, (std::set<std::string>{"backfill", "replay", "reverse-sync",
                                           "verify", "dry-run"}));
  EXPECT_EQ(GrammarPhases(guide), phases);
  EXPECT_EQ(GrammarPhases(format), phases);
  // The example in the guide is a dead letter with every field.
  size_t at = guide.find("```json\n{\"run\"");
  ASSERT_NE(at, std::string::npos);
  std::string example =
      guide.substr(at + 8, guide.find("```", at + 8) - (at + 8));
  simdjson::dom::object ex;
  ASSERT_EQ(parser.parse(example).get(ex), simdjson::SUCCESS) << example;
  std::set<std::string> example_keys;
  for (auto kv : ex) example_keys.insert(std::string(kv.key));
  EXPECT_EQ(example_keys, written);
}

}  // namespace
}  // namespace godwit::test
