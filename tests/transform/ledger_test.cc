// The ledger in the control table, the active-table pointer, and the plan
// (applied vs pending, checksum refusal).
#include "control/ledger.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "godwit/local_store.h"
#include "godwit/transform.h"
#include "testutil/temp_dir.h"
#include "transform/plan.h"
#include "transform/transform_test_util.h"

namespace godwit::test {
namespace {

std::unique_ptr<Store> OpenStore(const TempDir& dir) {
  LocalStoreOptions o;
  o.path = dir.Join("store");
  o.sync = false;
  o.retention_interval_micros = 0;
  auto s = OpenLocalStore(o);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(s).value() : nullptr;
}

control::LedgerEntry Entry(const MigrationFile& f) {
  control::LedgerEntry e;
  e.table = f.table;
  e.number = f.number;
  e.name = f.name;
  e.sha256 = f.sha256;
  e.applied_micros = 1700000000000000;
  e.run_id = "run-1";
  e.items_read = 10;
  e.items_written = 9;
  e.items_dropped = 1;
  return e;
}

TEST(Ledger, RecordAndRead) {
  TempDir dir;
  auto store = OpenStore(dir);
  ASSERT_NE(store, nullptr);
  auto empty = control::ReadLedger(store.get(), "Orders");
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_TRUE(empty->empty());

  control::LedgerEntry a = Entry(MemFile(10, "ten", "x"));
  control::LedgerEntry b = Entry(MemFile(2, "two", "y"));
  control::LedgerEntry other = Entry(MemFile(1, "u", "z", "/m", "Users"));
  ASSERT_TRUE(control::RecordMigration(store.get(), a).ok());
  ASSERT_TRUE(control::RecordMigration(store.get(), b).ok());
  ASSERT_TRUE(control::RecordMigration(store.get(), other).ok());
  auto got = control::ReadLedger(store.get(), "Orders");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0], b);
  EXPECT_EQ((*got)[1], a);

  Status dup = control::RecordMigration(store.get(), a);
  EXPECT_EQ(dup.code(), StatusCode::kAlreadyExists) << dup.ToString();
  EXPECT_NE(dup.message().find("0010_ten"), std::string::npos);
}

TEST(Ledger, ActiveTablePointer) {
  TempDir dir;
  auto store = OpenStore(dir);
  ASSERT_NE(store, nullptr);
  auto t = control::GetActiveTable(store.get(), "Orders");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(*t, "Orders");
  ASSERT_TRUE(control::SetActiveTable(store.get(), "Orders", "Orders.v2").ok());
  EXPECT_EQ(*control::GetActiveTable(store.get(), "Orders"), "Orders.v2");
  EXPECT_EQ(*control::GetActiveTable(store.get(), "Users"), "Users");
}

TEST(Plan, PendingAreFilesNotInTheLedger) {
  std::vector<MigrationFile> files = {
      MemFile(1, "a", "a"), MemFile(2, "b", "b"), MemFile(10, "c", "c")};
  auto plan = PlanTable("Orders", files, {Entry(files[0])});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ASSERT_EQ(plan->applied.size(), 1u);
  EXPECT_EQ(plan->applied[0].first.id(), "0001_a");
  ASSERT_EQ(plan->pending.size(), 2u);
  EXPECT_EQ(plan->pending[0].id(), "0002_b");
  EXPECT_EQ(plan->pending[1].id(), "0010_c");
}

TEST(Plan, ChangedAppliedFileIsRefused) {
  MigrationFile f = MemFile(1, "a", "return {}");
  control::LedgerEntry e = Entry(f);
  f.source += "-- edited\n";
  f.sha256 = Sha256Hex(f.source);
  auto plan = PlanTable("Orders", {f}, {e});
  ASSERT_EQ(plan.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(plan.status().message().find(f.path), std::string::npos)
      << plan.status().ToString();
  EXPECT_NE(plan.status().message().find("changed after it was applied"),
            std::string::npos);
}

TEST(Plan, RenamedMissingAndOutOfOrderAreRefused) {
  MigrationFile a = MemFile(1, "a", "a");
  MigrationFile b = MemFile(5, "b", "b");
  MigrationFile renamed = MemFile(1, "other", "a");
  auto r = PlanTable("Orders", {renamed}, {Entry(a)});
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("0001_other"), std::string::npos);

  auto missing = PlanTable("Orders", {b}, {Entry(a), Entry(b)});
  EXPECT_EQ(missing.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(missing.status().message().find("0001_a"), std::string::npos);

  MigrationFile late = MemFile(3, "late", "l");
  auto order = PlanTable("Orders", {a, late, b}, {Entry(a), Entry(b)});
  EXPECT_EQ(order.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(order.status().message().find("0003_late"), std::string::npos)
      << order.status().ToString();
}

TEST(Plan, EndToEndWithStoreAndFiles) {
  TempDir dir;
  auto store = OpenStore(dir);
  ASSERT_NE(store, nullptr);
  std::string root = dir.Join("migrations");
  std::filesystem::create_directories(root + "/Orders");
  std::ofstream(root + "/Orders/0001_a.lua")
      << "return {up = function(i) return i end}";
  std::ofstream(root + "/Orders/2_b.lua")
      << "return {up = function(i) return i end}";
  auto plan = LoadTablePlan(store.get(), root, "Orders");
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ASSERT_EQ(plan->pending.size(), 2u);
  ASSERT_TRUE(
      control::RecordMigration(store.get(), Entry(plan->pending[0])).ok());
  plan = LoadTablePlan(store.get(), root, "Orders");
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->applied.size(), 1u);
  ASSERT_EQ(plan->pending.size(), 1u);
  EXPECT_EQ(plan->pending[0].id(), "0002_b");
  // Someone edits the applied file.
  std::ofstream(root + "/Orders/0001_a.lua", std::ios::app) << "\n-- tweak";
  plan = LoadTablePlan(store.get(), root, "Orders");
  ASSERT_EQ(plan.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(plan.status().message().find("0001_a.lua"), std::string::npos);
}

}  // namespace
}  // namespace godwit::test
