// godwit.read_json's sandbox: a migration reads files inside the migrations
// folder only. Paths are compared component by component after both are
// made canonical (symlinks resolved), not as string prefixes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "godwit/transform.h"
#include "testutil/temp_dir.h"
#include "transform/lua_types.h"
#include "transform/transform_test_util.h"

namespace godwit::test {
namespace {

namespace fs = std::filesystem;
using transform_internal::ResolveReadJsonPath;

bool Has(std::string_view hay, std::string_view needle) {
  return hay.find(needle) != std::string_view::npos;
}

// <tmp>/p/migrations/Orders/regions.json, <tmp>/p/migrations_secret/x.json,
// <tmp>/p/outside.json.
class ReadJsonSandbox : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = dir_.Join("p/migrations");
    fs::create_directories(root_ + "/Orders/data");
    fs::create_directories(dir_.Join("p/migrations_secret"));
    std::ofstream(root_ + "/Orders/regions.json") << R"({"ok": 1})";
    std::ofstream(root_ + "/Orders/data/more.json") << R"({"more": 2})";
    std::ofstream(root_ + "/shared.json") << R"({"shared": 3})";
    std::ofstream(dir_.Join("p/migrations_secret/x.json"))
        << R"({"secret": 4})";
    std::ofstream(dir_.Join("p/outside.json")) << R"({"outside": 5})";
  }
  std::string base() const { return root_ + "/Orders"; }

  // What read_json(rel) does in a migration of Orders: its value's "ok"
  // field, or the error message.
  std::string ReadInLua(const std::string& rel) {
    auto w = MustWorker({MemFile(1, "json",
                                 "return { up = function(item, ctx)\n"
                                 "  local ok, v = pcall(godwit.read_json, '" +
                                     rel +
                                     "')\n"
                                     "  item.r = ok and 'read' or v\n"
                                     "  return item end }",
                                 root_)});
    if (w == nullptr) return "no worker";
    ItemOutcome out = w->Up(PkItem("a"));
    if (!out.ok()) return "failed: " + out.reason;
    return std::string(out.items[0].Find("r")->s());
  }

  TempDir dir_;
  std::string root_;
};

TEST_F(ReadJsonSandbox, FilesInsideTheMigrationsFolderAreRead) {
  for (const char* rel :
       {"regions.json", "./regions.json", "data/more.json", "../shared.json",
        "data/../regions.json", "../Orders/regions.json"}) {
    Result<std::string> p = ResolveReadJsonPath(base(), root_, rel);
    ASSERT_TRUE(p.ok()) << rel << ": " << p.status().ToString();
    EXPECT_TRUE(fs::exists(*p)) << *p;
    EXPECT_EQ(ReadInLua(rel), "read") << rel;
  }
}

// Regression: the check was a string-prefix test, so "/p/migrations_secret"
// passed for the root "/p/migrations".
TEST_F(ReadJsonSandbox, SiblingFolderWhoseNameStartsWithTheRootIsOutside) {
  Result<std::string> p =
      ResolveReadJsonPath(base(), root_, "../../migrations_secret/x.json");
  ASSERT_FALSE(p.ok()) << *p;
  EXPECT_TRUE(p.status().IsInvalidArgument());
  EXPECT_TRUE(Has(p.status().message(), "outside the migrations folder"))
      << p.status().ToString();
  EXPECT_TRUE(Has(ReadInLua("../../migrations_secret/x.json"), "outside"));
  // The same with a trailing slash on the root.
  EXPECT_FALSE(
      ResolveReadJsonPath(base(), root_ + "/", "../../migrations_secret/x.json")
          .ok());
}

TEST_F(ReadJsonSandbox, DotDotEscapesAreOutside) {
  for (const char* rel : {"../../outside.json", "../../../etc/passwd",
                          "data/../../../outside.json",
                          "../Orders/../../outside.json", "..", "../"}) {
    Result<std::string> p = ResolveReadJsonPath(base(), root_, rel);
    ASSERT_FALSE(p.ok()) << rel << " -> " << *p;
    EXPECT_TRUE(Has(p.status().message(), "outside")) << p.status().ToString();
    EXPECT_TRUE(Has(ReadInLua(rel), "outside")) << rel;
  }
}

TEST_F(ReadJsonSandbox, AbsolutePathsAreRefused) {
  std::string inside = root_ + "/Orders/regions.json";  // even inside
  for (const std::string& rel : {std::string("/etc/passwd"), inside}) {
    Result<std::string> p = ResolveReadJsonPath(base(), root_, rel);
    ASSERT_FALSE(p.ok()) << rel;
    EXPECT_TRUE(Has(p.status().message(), "must be relative"))
        << p.status().ToString();
    EXPECT_TRUE(Has(ReadInLua(rel), "relative")) << rel;
  }
  EXPECT_FALSE(ResolveReadJsonPath(base(), root_, "").ok());
}

TEST_F(ReadJsonSandbox, SymlinkPointingOutsideIsRefused) {
  fs::create_symlink(dir_.Join("p/outside.json"), base() + "/link.json");
  fs::create_directory_symlink(dir_.Join("p/migrations_secret"),
                               base() + "/secret_dir");
  for (const char* rel : {"link.json", "secret_dir/x.json"}) {
    Result<std::string> p = ResolveReadJsonPath(base(), root_, rel);
    ASSERT_FALSE(p.ok()) << rel << " -> " << *p;
    EXPECT_TRUE(Has(p.status().message(), "outside")) << p.status().ToString();
    EXPECT_TRUE(Has(ReadInLua(rel), "outside")) << rel;
  }
  // A symlink that stays inside is fine.
  fs::create_symlink(root_ + "/shared.json", base() + "/inside_link.json");
  EXPECT_TRUE(ResolveReadJsonPath(base(), root_, "inside_link.json").ok());
  EXPECT_EQ(ReadInLua("inside_link.json"), "read");
}

// The migrations folder itself reached through a symlink: both sides are
// resolved, so files inside still read.
TEST_F(ReadJsonSandbox, RootReachedThroughASymlinkStillWorks) {
  fs::create_directory_symlink(dir_.Join("p"), dir_.Join("alias"));
  std::string root = dir_.Join("alias/migrations");
  EXPECT_TRUE(ResolveReadJsonPath(root + "/Orders", root, "regions.json").ok());
  EXPECT_FALSE(ResolveReadJsonPath(root + "/Orders", root,
                                   "../../migrations_secret/x.json")
                   .ok());
}

}  // namespace
}  // namespace godwit::test
