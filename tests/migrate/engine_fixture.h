// The engine tests' fixture: an embedded store with an Orders table, a
// router, and the plan and options of a re-key run.
#ifndef GODWIT_TESTS_MIGRATE_ENGINE_FIXTURE_H_
#define GODWIT_TESTS_MIGRATE_ENGINE_FIXTURE_H_

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "godwit/local_store.h"
#include "godwit/migrate.h"
#include "migrate/workload.h"
#include "testutil/fake_rekey_mapper.h"
#include "testutil/status_testing.h"
#include "testutil/temp_dir.h"

namespace godwit {

class EngineFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    LocalStoreOptions o;
    o.path = dir_.Join("store");
    // No fsync: a killed process still loses nothing (the WAL is written
    // before a write is acknowledged); only a power loss would.
    o.sync = false;
    ASSERT_OK_AND_ASSIGN(store_, OpenLocalStore(o));
    ASSERT_OK_AND_ASSIGN(router_, NewRouter(store_.get()));
    TableOptions t;
    t.key_schema = KeySchema{{"pk", AttrType::kS}, std::nullopt};
    ASSERT_OK(store_->CreateTable("Orders", t));
  }

  void Seed(uint64_t n) {
    ASSERT_OK_AND_ASSIGN(std::shared_ptr<Table> t, store_->GetTable("Orders"));
    ASSERT_OK(migrate::SeedOrders(t.get(), n, 2));
  }

  MigrationPlan Plan() {
    MigrationPlan p;
    p.logical_table = "Orders";
    p.destination_key_schema = test::ReKeyDestinationSchema();
    p.migrations.push_back({2, "key_by_customer", "0"});
    return p;
  }

  MigrateOptions Options() {
    MigrateOptions o;
    if (std::getenv("GODWIT_TEST_PROGRESS") != nullptr) {
      o.on_progress = [](const MigrationProgress& p) {
        std::fprintf(
            stderr,
            "%.1fs %s scanned=%llu written=%llu lag=%llu replayed=%llu\n",
            p.elapsed_seconds, std::string(RunPhaseName(p.phase)).c_str(),
            (unsigned long long)p.scanned, (unsigned long long)p.written,
            (unsigned long long)p.replay_lag, (unsigned long long)p.replayed);
      };
    }
    o.segments = 8;
    o.threads = 2;
    o.run_dir = dir_.Join("run");
    return o;
  }

  std::shared_ptr<Table> Physical(const std::string& name) {
    auto t = store_->GetTable(name);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? *t : nullptr;
  }

  static std::string Differences(const VerifyReport& r) {
    std::string diffs;
    for (const auto& d : r.first) {
      diffs += d.key + "\n  expected " + d.expected + "\n  actual   " +
               d.actual + "\n";
    }
    return diffs;
  }

  static void ExpectClean(const Result<VerifyReport>& r) {
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->differences, 0u) << Differences(*r);
    EXPECT_EQ(r->expected_items, r->destination_items);
    EXPECT_TRUE(r->ok()) << Differences(*r);
  }

  test::TempDir dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Router> router_;
};

}  // namespace godwit

#endif  // GODWIT_TESTS_MIGRATE_ENGINE_FIXTURE_H_
