// Strict migration files: unknown fields, the `indexes` field, every problem
// of a file reported (with file and line), and CheckPendingMigrations, what
// `godwit status` shows.
#include <gtest/gtest.h>

#include <algorithm>

#include "godwit/transform.h"
#include "transform/migration_fields.h"
#include "transform/transform_test_util.h"

namespace godwit::test {
namespace {

bool Has(std::string_view hay, std::string_view needle) {
  return hay.find(needle) != std::string_view::npos;
}

Status CreateError(const std::string& source,
                   TransformOptions opts = TestOptions()) {
  return Transform::Create({MemFile(3, "broken", source)}, std::move(opts))
      .status();
}

std::vector<MigrationFinding> Check(std::vector<MigrationFile> files,
                                    TransformOptions opts = TestOptions()) {
  Result<std::vector<MigrationFinding>> r = CheckPendingMigrations(files, opts);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : std::vector<MigrationFinding>{};
}

std::string All(const std::vector<MigrationFinding>& findings) {
  std::string out;
  for (const MigrationFinding& f : findings) out += f.ToString() + "\n";
  return out;
}

constexpr char kPath[] = "/nonexistent/migrations/Orders/0003_broken.lua";

// ---- unknown fields --------------------------------------------------------

// Safety gates: a misspelled `valdiate` was silently ignored, so the
// migration ran without its validation.
TEST(StrictFields, MisspelledValidateIsAnErrorNamingFieldFileAndKnownFields) {
  Status s = CreateError(
      "return {\n"
      "  up = function(item) return item end,\n"
      "  valdiate = function(item)\n"
      "    return item.pk ~= nil\n"
      "  end,\n"
      "}\n");
  ASSERT_TRUE(s.IsInvalidArgument()) << s.ToString();
  // The file and the line of the misspelled function.
  EXPECT_TRUE(Has(s.message(), std::string(kPath) + ":3: unknown field "
                                                    "\"valdiate\""))
      << s.ToString();
  EXPECT_TRUE(Has(s.message(), "did you mean \"validate\"?")) << s.ToString();
  EXPECT_TRUE(Has(s.message(),
                  "description, key_schema, indexes, prepare, up, down and "
                  "validate"))
      << s.ToString();
}

TEST(StrictFields, MisspelledDownAndNonFunctionFields) {
  Status s = CreateError(
      "return { up = function(i) return i end,\n"
      "  donw = function(i) return i end,\n"
      "  key_shema = { hash = 'pk' },\n"
      "  [1] = 'positional' }");
  ASSERT_TRUE(s.IsInvalidArgument());
  EXPECT_TRUE(Has(s.message(), std::string(kPath) + ":2: unknown field "
                                                    "\"donw\" (did you mean "
                                                    "\"down\"?)"))
      << s.ToString();
  // A table has no line: the file alone.
  EXPECT_TRUE(Has(s.message(), std::string(kPath) +
                                   ": unknown field \"key_shema\" (did you "
                                   "mean \"key_schema\"?)"))
      << s.ToString();
  EXPECT_TRUE(Has(s.message(), "a number key [1]")) << s.ToString();
}

TEST(StrictFields, FarOffNamesGetNoSuggestion) {
  Status s =
      CreateError("return { up = function(i) return i end, transform = 1 }");
  EXPECT_TRUE(Has(s.message(), "unknown field \"transform\"; the fields"))
      << s.ToString();
}

TEST(StrictFields, EveryProblemOfAFileIsReportedNotJustTheFirst) {
  Status s = CreateError(
      "return { down = 5, valdiate = true, description = 7,\n"
      "  key_schema = { range = 'sk', rnage = 'x' } }");
  ASSERT_TRUE(s.IsInvalidArgument());
  std::string m(s.message());
  EXPECT_TRUE(Has(m, "no `up` function")) << m;
  EXPECT_TRUE(Has(m, "`down` must be a function, got a number")) << m;
  EXPECT_TRUE(Has(m, "`description` must be a string, got a number")) << m;
  EXPECT_TRUE(Has(m, "unknown field \"valdiate\"")) << m;
  EXPECT_TRUE(Has(m, "key_schema.hash is missing")) << m;
  EXPECT_TRUE(Has(m,
                  "key_schema: unknown field \"rnage\" (did you mean "
                  "\"range\"?)"))
      << m;
  // One line per problem, each naming the file.
  EXPECT_EQ(std::count(m.begin(), m.end(), '\n') + 1, 6) << m;
  size_t pos = 0;
  int named = 0;
  while ((pos = m.find(kPath, pos)) != std::string::npos) {
    ++named;
    pos += 1;
  }
  EXPECT_EQ(named, 6) << m;
}

TEST(StrictFields, KnownFieldsAreAccepted) {
  auto t = Transform::Create(
      {MemFile(1, "all",
               "return { description = 'd', key_schema = { hash = 'pk' },\n"
               "  indexes = {}, prepare = function() return 1 end,\n"
               "  up = function(i) return i end, down = function(i) return i "
               "end,\n"
               "  validate = function() return true end }")},
      TestOptions());
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  const MigrationInfo& info = (*t)->migrations()[0];
  EXPECT_TRUE(info.has_prepare && info.has_down && info.has_validate);
  ASSERT_TRUE(info.indexes.has_value());
  EXPECT_TRUE(info.indexes->empty());
}

TEST(StrictFields, ReturnValuesThatAreNotATable) {
  for (const auto& [src, what] :
       std::vector<std::pair<std::string, std::string>>{
           {"return 42", "returned a number"},
           {"local x = 1", "returned nil"},
           {"return 'up'", "returned a string"}}) {
    Status s = CreateError(src);
    EXPECT_TRUE(
        Has(s.message(), std::string(kPath) + ": the file must return a table"))
        << s.ToString();
    EXPECT_TRUE(Has(s.message(), what)) << s.ToString();
  }
}

TEST(StrictFields, KeySchemaProblemsAreNamed) {
  EXPECT_TRUE(Has(CreateError("return { up = function(i) return i end, "
                              "key_schema = 'pk' }")
                      .message(),
                  "key_schema must be a table { hash = \"pk\", range = "
                  "\"sk\" }, got a string"));
  EXPECT_TRUE(Has(CreateError("return { up = function(i) return i end, "
                              "key_schema = { hash = 'pk:X' } }")
                      .message(),
                  "key_schema.hash: key attribute \"pk:X\": type must be S, "
                  "N or B"));
  EXPECT_TRUE(Has(CreateError("return { up = function(i) return i end, "
                              "key_schema = { hash = print } }")
                      .message(),
                  "key_schema.hash: a function is not allowed here"));
  EXPECT_TRUE(Has(CreateError("return { up = function(i) return i end, "
                              "key_schema = { hash = 'pk', range = 'pk' } }")
                      .message(),
                  "hash and range are both \"pk\""));
}

// Lua shortens chunk names longer than LUA_IDSIZE ("...rs/0003_x.lua");
// messages name the file in full.
TEST(StrictFields, LongPathsAreNamedInFull) {
  std::string dir = "/nonexistent/" + std::string(80, 'd') + "/migrations";
  MigrationFile f = MemFile(3, "broken",
                            "return {\n up = function(i)\n"
                            "  local x = = 1\n end }",
                            dir);
  Status s = Transform::Create({f}, TestOptions()).status();
  EXPECT_TRUE(Has(s.message(), "syntax error in " + f.path + ":3:"))
      << s.ToString();
  f.source = "return {\n up = function(i)\n  error('boom')\n end }";
  auto w = MustWorker({f});
  ASSERT_NE(w, nullptr);
  ItemOutcome out = w->Up(PkItem("a"));
  ASSERT_EQ(out.kind, ItemOutcome::Kind::kFailed);
  EXPECT_TRUE(Has(out.reason, f.path + ":3: boom")) << out.reason;
  EXPECT_TRUE(Has(out.traceback, f.path + ":3:")) << out.traceback;
  EXPECT_FALSE(Has(out.reason, "...")) << out.reason;
}

// ---- indexes ---------------------------------------------------------------

TEST(Indexes, ParsedIntoMigrationInfoAndExposedOnTheTransform) {
  auto t = Transform::Create(
      {MemFile(1, "idx",
               "return { up = function(i) return i end,\n"
               "  indexes = {\n"
               "    byStatus = { hash = 'status', range = 'createdAt:N',\n"
               "                 projection = 'ALL' },\n"
               "    byCustomer = { hash = 'customerId', projection = "
               "'INCLUDE',\n"
               "                   include = { 'total', 'status' } },\n"
               "    keysOnly = { hash = 'k', projection = 'KEYS_ONLY', "
               "kind = 'global' },\n"
               "  } }")},
      TestOptions());
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  std::optional<std::vector<SecondaryIndex>> got = (*t)->destination_indexes();
  ASSERT_TRUE(got.has_value());
  ASSERT_EQ(got->size(), 3u);
  SecondaryIndex by_customer;
  by_customer.name = "byCustomer";
  by_customer.key_schema = KeySchema{{"customerId", AttrType::kS}, {}};
  by_customer.projection = "INCLUDE";
  by_customer.non_key_attributes = {"total", "status"};
  SecondaryIndex by_status;
  by_status.name = "byStatus";
  by_status.key_schema = KeySchema{{"status", AttrType::kS},
                                   KeyAttribute{"createdAt", AttrType::kN}};
  SecondaryIndex keys_only;
  keys_only.name = "keysOnly";
  keys_only.key_schema = KeySchema{{"k", AttrType::kS}, {}};
  keys_only.projection = "KEYS_ONLY";
  EXPECT_EQ((*got)[0], by_customer);
  EXPECT_EQ((*got)[1], by_status);
  EXPECT_EQ((*got)[2], keys_only);
  EXPECT_EQ((*t)->migrations()[0].indexes, got);
}

TEST(Indexes, LastMigrationDeclaringIndexesWins) {
  auto make = [](std::vector<MigrationFile> files) {
    auto t = Transform::Create(std::move(files), TestOptions());
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? (*t)->destination_indexes() : std::nullopt;
  };
  MigrationFile plain =
      MemFile(1, "a", "return { up = function(i) return i end }");
  EXPECT_EQ(make({plain}), std::nullopt);  // the source's carry over
  MigrationFile two = MemFile(
      2, "b",
      "return { up = function(i) return i end, indexes = { byA = { hash = "
      "'a' } } }");
  MigrationFile none =
      MemFile(3, "c", "return { up = function(i) return i end, indexes = {} }");
  MigrationFile later =
      MemFile(4, "d", "return { up = function(i) return i end }");
  auto got = make({plain, two, later});
  ASSERT_TRUE(got.has_value());
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].name, "byA");
  got = make({plain, two, none, later});
  ASSERT_TRUE(got.has_value());
  EXPECT_TRUE(got->empty());  // an explicit "no indexes"
}

TEST(Indexes, LocalIndexOnTheDestinationKey) {
  TransformOptions opts = TestOptions();
  opts.source_key_schema =
      KeySchema{{"pk", AttrType::kS}, KeyAttribute{"sk", AttrType::kS}};
  auto t = Transform::Create(
      {MemFile(1, "lsi",
               "return { up = function(i) return i end,\n"
               "  indexes = { byDate = { kind = 'local', hash = 'pk', range "
               "= 'date:N' } } }")},
      opts);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ((*t)->destination_indexes()->at(0).kind,
            SecondaryIndex::Kind::kLocal);
}

// DynamoDB's rules for indexes, each checked when the file loads. See the
// developer guide, "Supported data types and naming rules" (index names),
// the API reference "Projection" (ALL | KEYS_ONLY | INCLUDE,
// NonKeyAttributes 1..20 per index, 100 in all) and "CreateTable"
// (LocalSecondaryIndexes: at most 5, the table's partition key).
TEST(Indexes, BadIndexesAreErrorsNamingTheIndexAndField) {
  struct Case {
    std::string indexes;
    std::string want;
  };
  std::string many_local;
  for (int i = 0; i < 6; ++i) {
    many_local += "l" + std::to_string(i) +
                  "xx = { kind = 'local', hash = 'pk', range = 'r" +
                  std::to_string(i) + "' },";
  }
  std::string include21;
  for (int i = 0; i < 21; ++i) include21 += "'a" + std::to_string(i) + "',";
  const std::vector<Case> cases = {
      {"{ { hash = 'a' } }", "indexes must be a table of named indexes"},
      {"{ ab = { hash = 'a' } }",
       "indexes.ab: an index name is 3 to 255 characters"},
      {"{ ['by status'] = { hash = 'a' } }",
       "indexes.by status: an index name"},
      {"{ byA = 'a' }", "indexes.byA must be a table"},
      {"{ byA = { range = 'b' } }", "indexes.byA.hash is missing"},
      {"{ byA = { hash = 5 } }",
       "indexes.byA.hash must be an attribute name such as \"pk\" or "
       "\"pk:S\", got a number"},
      {"{ byA = { hash = 'a', range = 'a' } }",
       "indexes.byA: hash and range are both \"a\""},
      {"{ byA = { hash = 'a', projection = 'SOME' } }",
       "indexes.byA.projection must be \"ALL\", \"KEYS_ONLY\" or "
       "\"INCLUDE\", got \"SOME\""},
      {"{ byA = { hash = 'a', projection = 'INCLUDE' } }",
       "indexes.byA: projection = \"INCLUDE\" needs include"},
      {"{ byA = { hash = 'a', include = { 'x' } } }",
       "indexes.byA.include lists the attributes of projection = "
       "\"INCLUDE\"; this index's projection is \"ALL\""},
      {"{ byA = { hash = 'a', projection = 'INCLUDE', include = {} } }",
       "indexes.byA.include must be a list of 1 to 20 attribute names"},
      {"{ byA = { hash = 'a', projection = 'INCLUDE', include = { 'x', 'x' } "
       "} }",
       "indexes.byA.include lists \"x\" twice"},
      {"{ byA = { hash = 'a', projection = 'INCLUDE', include = { " +
           include21 + " } } }",
       "indexes.byA.include lists 21 attributes; DynamoDB allows at most 20"},
      {"{ byA = { hash = 'a', kind = 'regional' } }",
       "indexes.byA.kind must be \"global\" or \"local\", got \"regional\""},
      {"{ byA = { hash = 'a', projecton = 'ALL' } }",
       "indexes.byA: unknown field \"projecton\" (did you mean "
       "\"projection\"?)"},
      {"{ byA = { hash = 'pk', kind = 'local' } }",
       "indexes.byA: a local index needs a range key"},
      {"{ " + many_local + " }",
       "indexes: 6 local indexes; DynamoDB allows at most 5"},
      {"{ byA = { hash = 'a:N' }, byB = { hash = 'b', range = 'a:S' } }",
       "attribute \"a\" is a key of type N in index byA and of type S in "
       "index byB"},
  };
  for (const Case& c : cases) {
    Status s = CreateError(
        "return { up = function(i) return i end, indexes = " + c.indexes +
        " }");
    EXPECT_TRUE(s.IsInvalidArgument()) << c.indexes;
    EXPECT_TRUE(Has(s.message(), c.want)) << c.indexes << "\n" << s.ToString();
    EXPECT_TRUE(Has(s.message(), kPath)) << s.ToString();
  }
}

TEST(Indexes, IndexesThatDoNotFitTheDestinationKey) {
  // The table is keyed pk:S only (TestOptions).
  Status s = CreateError(
      "return { up = function(i) return i end, indexes = { byA = { kind = "
      "'local', hash = 'other', range = 'r' } } }");
  EXPECT_TRUE(Has(s.message(), std::string(kPath) +
                                   ": indexes.byA: a local index has the "
                                   "table's hash key \"pk\""))
      << s.ToString();
  EXPECT_TRUE(Has(s.message(), "needs a table with a range key"))
      << s.ToString();
  s = CreateError(
      "return { up = function(i) return i end, indexes = { byA = { hash = "
      "'pk:N' } } }");
  EXPECT_TRUE(Has(s.message(),
                  "attribute \"pk\" is a key of type S in the table's key "
                  "schema and of type N in index byA"))
      << s.ToString();
  // The key schema a later migration declares is the one checked.
  auto t = Transform::Create(
      {MemFile(1, "idx",
               "return { up = function(i) return i end, indexes = { byA = { "
               "kind = 'local', hash = 'cust', range = 'r' } } }"),
       MemFile(2, "key",
               "return { up = function(i) return i end, key_schema = { hash "
               "= 'cust', range = 'sk' } }")},
      TestOptions());
  EXPECT_TRUE(t.ok()) << t.status().ToString();
}

TEST(Indexes, UnknownFieldMessageListsKnownOnes) {
  std::string m = transform_internal::UnknownFieldMessage(
      "Up", "a migration", transform_internal::kMigrationFields);
  EXPECT_EQ(m,
            "unknown field \"Up\" (did you mean \"up\"?); the fields of a "
            "migration are description, key_schema, indexes, prepare, up, "
            "down and validate");
}

// ---- CheckPendingMigrations ------------------------------------------------

TEST(CheckPending, EveryFileEveryProblem) {
  std::vector<MigrationFile> files = {
      MemFile(1, "syntax", "return {\n  up = function(i)\n  local x = = 1\n"),
      MemFile(2, "answer", "return 42"),
      MemFile(3, "noup", "return { down = function(i) return i end }"),
      MemFile(4, "good", "return { up = function(i) return i end }"),
      MemFile(5, "typos",
              "return {\n up = function(i) return i end,\n"
              " valdiate = function(i)\n return true end,\n"
              " key_schema = { hash = 7 } }"),
      MemFile(6, "prep",
              "return { up = function(i) return i end,\n"
              " prepare = function(ctx)\n  error('no lookup')\n end }"),
  };
  std::vector<MigrationFinding> f = Check(files);
  ASSERT_EQ(f.size(), 6u) << All(f);
  for (const MigrationFinding& x : f) {
    EXPECT_EQ(x.kind, MigrationFinding::Kind::kProblem);
  }
  EXPECT_EQ(f[0].path, files[0].path);
  EXPECT_EQ(f[0].line, 3);
  EXPECT_TRUE(Has(f[0].message, "syntax error: ")) << f[0].message;
  EXPECT_EQ(f[0].ToString().rfind(files[0].path + ":3: syntax error: ", 0), 0u)
      << f[0].ToString();

  EXPECT_EQ(f[1].path, files[1].path);
  EXPECT_EQ(f[1].line, 0);
  EXPECT_TRUE(Has(f[1].message,
                  "the file must return a table { up = function(item, ctx) "
                  "... end, ... }, but it returned a number"))
      << f[1].message;
  EXPECT_EQ(f[1].ToString(), files[1].path + ": " + f[1].message);

  EXPECT_EQ(f[2].path, files[2].path);
  EXPECT_TRUE(Has(f[2].message, "no `up` function")) << f[2].message;

  EXPECT_EQ(f[3].path, files[4].path);
  EXPECT_EQ(f[3].line, 3);
  EXPECT_TRUE(Has(f[3].message, "unknown field \"valdiate\"")) << f[3].message;
  EXPECT_EQ(f[4].path, files[4].path);
  EXPECT_TRUE(Has(f[4].message, "key_schema.hash must be an attribute name"))
      << f[4].message;

  EXPECT_EQ(f[5].path, files[5].path);
  EXPECT_EQ(f[5].line, 3);
  EXPECT_EQ(f[5].message, "no lookup");
}

TEST(CheckPending, GoodFilesHaveNoFindings) {
  EXPECT_TRUE(Check({}).empty());
  EXPECT_TRUE(Check({MemFile(1, "a",
                             "return { up = function(i) return i "
                             "end }"),
                     MemFile(2, "b",
                             "return { up = function(i) return i end, "
                             "indexes = { byA = { hash = 'a' } } }")})
                  .empty());
}

TEST(CheckPending, ComposedProblemsAreReportedOnTheFileDeclaringIndexes) {
  std::vector<MigrationFile> files = {
      MemFile(1, "idx",
              "return { up = function(i) return i end, indexes = { byA = { "
              "kind = 'local', hash = 'x', range = 'r' } } }"),
      MemFile(2, "other", "return { up = function(i) return i end }")};
  std::vector<MigrationFinding> f = Check(files);
  ASSERT_EQ(f.size(), 2u) << All(f);
  EXPECT_EQ(f[0].path, files[0].path);
  EXPECT_TRUE(Has(f[0].message, "a local index has the table's hash key"));
  // Without a known key schema the composed checks are skipped.
  EXPECT_TRUE(Check(files, TransformOptions{}).empty());
}

TEST(CheckPending, UnsortedOrMixedTablesAreRefused) {
  auto r = CheckPendingMigrations(
      {MemFile(2, "b", "return {}"), MemFile(1, "a", "return {}")},
      TestOptions());
  EXPECT_TRUE(r.status().IsInvalidArgument());
  r = CheckPendingMigrations({MemFile(1, "a", "return {}"),
                              MemFile(2, "b", "return {}", "/m", "Users")},
                             TestOptions());
  EXPECT_TRUE(r.status().IsInvalidArgument());
}

}  // namespace
}  // namespace godwit::test
