// The router's tables: a read-modify-write inside WithStableTable runs on one
// physical table even when a flip is requested meanwhile (the flip waits).
#include "migrate/router.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "control/control_table.h"
#include "godwit/local_store.h"
#include "testutil/temp_dir.h"

namespace godwit {
namespace {

TEST(Router, AFlipWaitsForAReadModifyWriteInsideWithStableTable) {
  test::TempDir dir;
  LocalStoreOptions lo;
  lo.path = dir.Join("store");
  lo.sync = false;
  auto store = OpenLocalStore(lo);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  TableOptions t;
  t.key_schema = KeySchema{{"pk", AttrType::kS}, std::nullopt};
  ASSERT_TRUE((*store)->CreateTable("Orders", t).ok());
  ASSERT_TRUE((*store)->CreateTable("Orders.v2", t).ok());
  auto router = migrate::NewRouterControl(store->get());
  ASSERT_TRUE(router.ok());
  auto routed = (*router)->store()->GetTable("Orders");
  ASSERT_TRUE(routed.ok());

  std::atomic<bool> inside{false};
  std::atomic<bool> wrote{false};
  std::thread app([&] {
    Status s = (*routed)->WithStableTable([&](Table& table) -> Status {
      inside = true;
      auto old = table.Get(Key{AttributeValue::S("k"), {}});
      if (!old.ok()) return old.status();
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      Item item;
      item.Set("pk", AttributeValue::S("k"));
      item.Set("read_from", AttributeValue::S(table.name()));
      auto put = table.Put(item);
      wrote = true;
      return put.status();
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
  });
  while (!inside) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  auto hold = (*router)->HoldWrites("Orders");  // waits for the section
  ASSERT_TRUE(hold.ok());
  EXPECT_TRUE(wrote.load()) << "the hold did not wait for the section";
  control::Pointer p{"Orders.v2", 1, "active", "test"};
  ASSERT_TRUE((*router)->Flip("Orders", p, hold->get()).ok());
  hold->reset();
  app.join();

  // Read and written on the old table; the new one has nothing.
  auto old_table = (*store)->GetTable("Orders");
  auto got = (*old_table)->Get(Key{AttributeValue::S("k"), {}});
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->Find("read_from")->s(), "Orders");
  auto new_table = (*store)->GetTable("Orders.v2");
  auto none = (*new_table)->Get(Key{AttributeValue::S("k"), {}});
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  // After the flip, the section runs on the new table.
  std::string seen;
  ASSERT_TRUE((*routed)
                  ->WithStableTable([&](Table& table) {
                    seen = table.name();
                    return Status::OK();
                  })
                  .ok());
  EXPECT_EQ(seen, "Orders.v2");
}

}  // namespace
}  // namespace godwit
