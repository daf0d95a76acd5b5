// A controller over an embedded store holding a table "Events" of 300
// items {pk, legacy}, and a migrations folder to write migrations into.
#ifndef GODWIT_TESTS_MIGRATE_CONTROLLER_FIXTURE_H_
#define GODWIT_TESTS_MIGRATE_CONTROLLER_FIXTURE_H_

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "godwit/controller.h"
#include "godwit/local_store.h"
#include "testutil/temp_dir.h"

namespace godwit::test {

// Renames an attribute: up and down are exact inverses.
inline constexpr char kRename[] = R"(return {
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

class ControllerFixture : public ::testing::Test {
 protected:
  static constexpr int kItems = 300;

  void SetUp() override {
    LocalStoreOptions o;
    o.path = dir_.Join("store");
    o.sync = false;
    Result<std::unique_ptr<Store>> s = OpenLocalStore(o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
    Result<std::unique_ptr<Router>> r = NewRouter(store_.get());
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    router_ = std::move(*r);
    TableOptions t;
    t.key_schema = KeySchema{{"pk", AttrType::kS}, std::nullopt};
    ASSERT_TRUE(store_->CreateTable("Events", t).ok());
    auto table = store_->GetTable("Events");
    ASSERT_TRUE(table.ok());
    for (int i = 0; i < kItems; ++i) {
      Item item;
      item.Set("pk", AttributeValue::S("k" + std::to_string(i)));
      item.Set("legacy", AttributeValue::S("L" + std::to_string(i)));
      ASSERT_TRUE((*table)->Put(item).ok());
    }
    std::filesystem::create_directories(dir_.Join("migrations/Events"));
  }

  void WriteMigration(const std::string& name, const std::string& text) {
    std::ofstream(dir_.Join("migrations/Events/" + name)) << text;
  }

  ControllerEnv Env() {
    ControllerEnv e;
    e.store = store_.get();
    e.router = router_.get();
    e.migrations_dir = dir_.Join("migrations");
    e.runs_dir = dir_.Join("runs");
    return e;
  }

  static RunRequest Request(OpenMode mode = OpenMode::kStart) {
    RunRequest r;
    r.table = "Events";
    r.mode = mode;
    r.segments = 4;
    r.threads = 2;
    return r;
  }

  static Result<Reply> Run(Controller& c, const std::string& line) {
    Result<Command> cmd = ParseCommand(line);
    if (!cmd.ok()) return cmd.status();
    return c.Execute(*cmd);
  }

  test::TempDir dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Router> router_;
};

}  // namespace godwit::test

#endif  // GODWIT_TESTS_MIGRATE_CONTROLLER_FIXTURE_H_
