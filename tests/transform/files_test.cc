// Migration file names, discovery order, checksums.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "godwit/transform.h"
#include "testutil/temp_dir.h"

namespace godwit::test {
namespace {

void Write(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(
      std::filesystem::path(path).parent_path());
  std::ofstream(path) << text;
}

TEST(FileName, Parses) {
  int64_t n = 0;
  std::string name;
  ASSERT_TRUE(
      ParseMigrationFileName("0002_key_by_customer.lua", &n, &name).ok());
  EXPECT_EQ(n, 2);
  EXPECT_EQ(name, "key_by_customer");
  ASSERT_TRUE(ParseMigrationFileName("10_x-y.lua", &n, &name).ok());
  EXPECT_EQ(n, 10);
  EXPECT_EQ(name, "x-y");
}

TEST(FileName, RejectsBadNames) {
  int64_t n;
  std::string name;
  for (const char* bad :
       {"add.lua", "0002-add.lua", "0002_.lua", "0002_a b.lua", "0002_a.txt",
        "1234567890_a.lua", "_a.lua", "0002.lua", "0002_a.lua.bak"}) {
    Status s = ParseMigrationFileName(bad, &n, &name);
    EXPECT_TRUE(s.IsInvalidArgument()) << bad;
    EXPECT_NE(s.message().find(bad), std::string::npos) << s.ToString();
  }
}

TEST(FileName, IdPadsToFourDigits) {
  MigrationFile f;
  f.number = 2;
  f.name = "x";
  EXPECT_EQ(f.id(), "0002_x");
  f.number = 12345;
  EXPECT_EQ(f.id(), "12345_x");
}

TEST(Discovery, SortsByNumberNotText) {
  TempDir dir;
  std::string t = dir.Join("migrations/Orders/");
  Write(t + "10_y.lua", "return {}");
  Write(t + "2_x.lua", "return {}");
  Write(t + "0003_z.lua", "return {}");
  Write(t + "0100_w.lua", "return {}");
  Write(t + "9_v.lua", "return {}");
  Write(t + "regions.json", "{}");        // data, ignored
  Write(t + ".0001_hidden.lua", "junk");  // editor files, ignored
  auto files = ListMigrations(dir.Join("migrations"), "Orders");
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  std::vector<int64_t> numbers;
  std::vector<std::string> ids;
  for (const auto& f : *files) {
    numbers.push_back(f.number);
    ids.push_back(f.id());
    EXPECT_EQ(f.table, "Orders");
    EXPECT_EQ(f.sha256, Sha256Hex("return {}"));
  }
  EXPECT_EQ(numbers, (std::vector<int64_t>{2, 3, 9, 10, 100}));
  EXPECT_EQ(ids, (std::vector<std::string>{"0002_x", "0003_z", "0009_v",
                                           "0010_y", "0100_w"}));
}

TEST(Discovery, DuplicateNumberNamesBothFiles) {
  TempDir dir;
  Write(dir.Join("m/Orders/0002_a.lua"), "return {}");
  Write(dir.Join("m/Orders/2_b.lua"), "return {}");
  auto files = ListMigrations(dir.Join("m"), "Orders");
  ASSERT_FALSE(files.ok());
  std::string msg(files.status().message());
  EXPECT_NE(msg.find("0002_a.lua"), std::string::npos) << msg;
  EXPECT_NE(msg.find("2_b.lua"), std::string::npos) << msg;
}

TEST(Discovery, BadNameIsAnErrorNamingTheFile) {
  TempDir dir;
  Write(dir.Join("m/Orders/add_index.lua"), "return {}");
  auto files = ListMigrations(dir.Join("m"), "Orders");
  ASSERT_TRUE(files.status().IsInvalidArgument());
  EXPECT_NE(files.status().message().find("add_index.lua"), std::string::npos);
}

// Safety gates: ListMigrations silently ignored files that are not
// migrations, so a "0003_x.lua.bak" or a "0004_y.js" looked applied-or-not
// to nobody. They are findings now; JSON data files are not.
TEST(Discovery, FilesThatAreNotMigrationsAreFindings) {
  TempDir dir;
  std::string t = dir.Join("m/Orders/");
  Write(t + "0001_a.lua", "return {}");
  Write(t + "0003_x.lua.bak", "return {}");
  Write(t + "0004_y.js", "module.exports = {}");
  Write(t + "notes.txt", "todo");
  Write(t + "regions.json", "{}");       // data for read_json
  Write(t + "data/more.json", "{}");     // a data folder
  Write(t + ".0002_swap.lua.swp", "x");  // editor files
  std::filesystem::create_symlink(t + "gone.lua", t + "0005_z.lua");
  auto folder = ScanMigrationFolder(dir.Join("m"), "Orders");
  ASSERT_TRUE(folder.ok()) << folder.status().ToString();
  ASSERT_EQ(folder->files.size(), 1u);
  EXPECT_EQ(folder->files[0].id(), "0001_a");
  std::vector<std::string> paths;
  for (const MigrationFinding& f : folder->findings) {
    EXPECT_EQ(f.kind, MigrationFinding::Kind::kNotAMigration);
    EXPECT_EQ(f.line, 0);
    EXPECT_NE(f.message.find("godwit ignores it"), std::string::npos)
        << f.message;
    paths.push_back(f.path);
  }
  EXPECT_EQ(paths,
            (std::vector<std::string>{t + "0003_x.lua.bak", t + "0004_y.js",
                                      t + "0005_z.lua", t + "notes.txt"}));
  EXPECT_NE(folder->findings[0].message.find("a copy of migration "
                                             "0003_x.lua? it does not run"),
            std::string::npos)
      << folder->findings[0].message;
  EXPECT_NE(folder->findings[2].message.find("not a regular file"),
            std::string::npos);
  EXPECT_EQ(folder->findings[3].ToString(),
            t + "notes.txt: " + folder->findings[3].message);
  // ListMigrations keeps working for existing callers: the same files.
  auto files = ListMigrations(dir.Join("m"), "Orders");
  ASSERT_TRUE(files.ok());
  ASSERT_EQ(files->size(), 1u);
  EXPECT_EQ((*files)[0].path, folder->files[0].path);
}

TEST(Discovery, BadlyNamedLuaStaysAnErrorInScan) {
  TempDir dir;
  Write(dir.Join("m/Orders/add_index.lua"), "return {}");
  Write(dir.Join("m/Orders/notes.txt"), "");
  auto folder = ScanMigrationFolder(dir.Join("m"), "Orders");
  ASSERT_TRUE(folder.status().IsInvalidArgument());
  EXPECT_NE(folder.status().message().find("add_index.lua"), std::string::npos);
}

TEST(Discovery, MissingFolderIsEmpty) {
  TempDir dir;
  auto files = ListMigrations(dir.Join("nope"), "Orders");
  ASSERT_TRUE(files.ok());
  EXPECT_TRUE(files->empty());
  auto tables = ListMigrationTables(dir.Join("nope"));
  ASSERT_TRUE(tables.ok());
  EXPECT_TRUE(tables->empty());
}

TEST(Discovery, TablesSorted) {
  TempDir dir;
  Write(dir.Join("m/Users/1_a.lua"), "");
  Write(dir.Join("m/Orders/1_a.lua"), "");
  Write(dir.Join("m/README.md"), "");
  auto tables = ListMigrationTables(dir.Join("m"));
  ASSERT_TRUE(tables.ok());
  EXPECT_EQ(*tables, (std::vector<std::string>{"Orders", "Users"}));
}

TEST(Checksum, Sha256) {
  EXPECT_EQ(Sha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Checksum, ReadMigrationFile) {
  TempDir dir;
  Write(dir.Join("m/Orders/0007_x.lua"), "return 1");
  auto f = ReadMigrationFile(dir.Join("m/Orders/0007_x.lua"));
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->table, "Orders");
  EXPECT_EQ(f->number, 7);
  EXPECT_EQ(f->source, "return 1");
  EXPECT_EQ(f->sha256, Sha256Hex("return 1"));
  EXPECT_TRUE(
      ReadMigrationFile(dir.Join("m/Orders/0008_y.lua")).status().IsNotFound());
}

}  // namespace
}  // namespace godwit::test
