// The demo's migration, examples/migrations/Orders/0002_key_by_customer.lua:
// up re-keys, down is its exact inverse.
#include <gtest/gtest.h>

#include "godwit/transform.h"
#include "transform/transform_test_util.h"

namespace godwit::test {
namespace {

Item DemoOrder(int id) {
  Item it;
  it.Set("pk", S("ORDER#" + std::to_string(id)));
  it.Set("orderId", N(std::to_string(id)));
  it.Set("customerId", S("C" + std::to_string(id % 7)));
  it.Set("status", S("PAID"));
  it.Set("total", N("12345678901234567890.123456789012345678"));
  AttributeMap line;
  line.Set("sku", S("SKU-1"));
  line.Set("qty", N("2"));
  line.Set("price", N("9.99"));
  it.Set("items",
         AttributeValue::L({AttributeValue::M(line), AttributeValue::M(line)}));
  it.Set("createdAt", S("2024-05-01T12:00:00Z"));
  it.Set("tags", AttributeValue::SSUnchecked({"gift", "priority"}));
  return it;
}

std::unique_ptr<TransformWorker> ExampleWorker() {
  auto f = ReadMigrationFile(std::string(GODWIT_SOURCE_DIR) +
                             "/examples/migrations/Orders/"
                             "0002_key_by_customer.lua");
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  if (!f.ok()) return nullptr;
  return MustWorker({*f});
}

TEST(Example, KeyByCustomerUpAndDown) {
  auto w = ExampleWorker();
  ASSERT_NE(w, nullptr);
  Item in = DemoOrder(42);
  ASSERT_TRUE(w->CheckDeterminism({in}).ok());
  ItemOutcome up = w->Up(in);
  ASSERT_TRUE(up.ok()) << up.reason << up.traceback;
  ASSERT_EQ(up.items.size(), 1u);
  const Item& r = up.items[0];
  EXPECT_EQ(*r.Find("pk"), S("CUST#C0"));
  EXPECT_EQ(*r.Find("sk"), S("ORDER#42"));
  EXPECT_EQ(*r.Find("orderStatus"), S("PAID"));
  EXPECT_EQ(r.Find("status"), nullptr);
  EXPECT_EQ(*r.Find("itemCount"), N("2"));
  EXPECT_EQ(*r.Find("total"), *in.Find("total"));

  ItemOutcome down = w->Down(r);
  ASSERT_TRUE(down.ok()) << down.reason << down.traceback;
  ASSERT_EQ(down.items.size(), 1u);
  EXPECT_EQ(down.items[0], in);
}

TEST(Example, NonOrderKeyFails) {
  auto w = ExampleWorker();
  ASSERT_NE(w, nullptr);
  ItemOutcome out = w->Up(PkItem("USER#1"));
  EXPECT_EQ(out.kind, ItemOutcome::Kind::kFailed);
  EXPECT_NE(out.reason.find("not an order key: USER#1"), std::string::npos)
      << out.reason;
}

// The shipped example passes the strict checks `godwit status` runs: no
// unknown field, nothing in its folder that is not a migration.
TEST(Example, FolderAndFileHaveNoFindings) {
  auto folder = ScanMigrationFolder(
      std::string(GODWIT_SOURCE_DIR) + "/examples/migrations", "Orders");
  ASSERT_TRUE(folder.ok()) << folder.status().ToString();
  EXPECT_TRUE(folder->findings.empty()) << folder->findings[0].ToString();
  ASSERT_EQ(folder->files.size(), 1u);
  auto findings = CheckPendingMigrations(folder->files, TestOptions());
  ASSERT_TRUE(findings.ok()) << findings.status().ToString();
  EXPECT_TRUE(findings->empty()) << (*findings)[0].ToString();
}

}  // namespace
}  // namespace godwit::test

#include "transform/lua_mapper.h"

namespace godwit::test {
namespace {

TEST(LuaMapper, EngineContract) {
  auto f = ReadMigrationFile(std::string(GODWIT_SOURCE_DIR) +
                             "/examples/migrations/Orders/"
                             "0002_key_by_customer.lua");
  ASSERT_TRUE(f.ok());
  auto t = Transform::Create({*f}, TestOptions());
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  LuaMapperFactory factory(*t);
  auto mapper = factory.NewMapper();
  ASSERT_TRUE(mapper.ok()) << mapper.status().ToString();
  std::vector<Item> out;
  Item in = DemoOrder(7);
  ASSERT_TRUE((*mapper)->Up(in, &out, nullptr).ok());
  ASSERT_EQ(out.size(), 1u);
  std::vector<Item> back;
  ASSERT_TRUE((*mapper)->Down(out[0], &back, nullptr).ok());
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0], in);
  ItemError error;
  Status s = (*mapper)->Up(PkItem("USER#1"), &out, &error);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("0002_key_by_customer: up failed"),
            std::string::npos)
      << s.ToString();
  EXPECT_EQ(error.migration, "0002_key_by_customer");
  EXPECT_EQ(error.kind, ItemOutcome::Kind::kFailed);
  EXPECT_NE(error.traceback.find("stack traceback"), std::string::npos)
      << error.traceback;
  EXPECT_EQ(out.size(), 1u);
}

}  // namespace
}  // namespace godwit::test
