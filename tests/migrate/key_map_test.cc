// The key map on the embedded store: claims, a real collision, a stale read
// that only looks like one, releases by the owner only; and implicit keys
// (a key-preserving transform records nothing, a re-key onto another
// item's own key is still a collision).
#include "migrate/key_map.h"

#include <gtest/gtest.h>

#include "godwit/local_store.h"
#include "migrate/table_ops.h"
#include "migrate/workload.h"
#include "testutil/fake_rekey_mapper.h"
#include "testutil/status_testing.h"
#include "testutil/temp_dir.h"

namespace godwit::migrate {
namespace {

using test::FakeReKeyMapper;
using test::FakeReKeyOptions;

class KeyMapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    LocalStoreOptions o;
    o.path = dir_.Join("store");
    o.sync = false;
    ASSERT_OK_AND_ASSIGN(store_, OpenLocalStore(o));
    ASSERT_OK(store_->CreateTable(
        "Orders", {KeySchema{{"pk", AttrType::kS}, std::nullopt}}));
    ASSERT_OK(store_->CreateTable(
        KeyMap::TableName("Orders.v2"),
        {KeySchema{{"k", AttrType::kB}, std::nullopt}, false}));
    ASSERT_OK_AND_ASSIGN(source_, store_->GetTable("Orders"));
    ASSERT_OK_AND_ASSIGN(std::shared_ptr<Table> t,
                         store_->GetTable(KeyMap::TableName("Orders.v2")));
    keys_ =
        std::make_unique<KeyMap>(t, source_, test::ReKeyDestinationSchema());
  }

  // Puts order `id` (version `v`) into the source and returns its image
  // and its key item.
  void PutOrder(uint64_t id, uint64_t v, ItemMapper* mapper, Item* image,
                Item* key) {
    Item order = MakeOrder(id, v);
    ASSERT_OK(source_->Put(order));
    std::vector<Item> out;
    ASSERT_OK(mapper->Up(order, &out, nullptr));
    ASSERT_EQ(out.size(), 1u);
    *image = out[0];
    *key = OrderKey(id);
  }

  std::string Bytes(const Item& image) {
    return *KeyBytes(image, test::ReKeyDestinationSchema());
  }

  // The pk of the owner of `image`'s key, or "none".
  std::string OwnerOf(const Item& image) {
    Result<std::optional<Item>> o = keys_->Owner(Bytes(image));
    if (!o.ok()) return o.status().ToString();
    if (!o->has_value()) return "none";
    return (*o)->Find("pk")->s();
  }

  ::godwit::test::TempDir dir_;
  std::unique_ptr<Store> store_;
  std::shared_ptr<Table> source_;
  std::unique_ptr<KeyMap> keys_;
  FakeReKeyMapper mapper_{FakeReKeyOptions{}};
};

TEST_F(KeyMapTest, ClaimsRecordTheirOwnersAndAreIdempotent) {
  Item a_img, a_key, b_img, b_key;
  PutOrder(1, 0, &mapper_, &a_img, &a_key);
  PutOrder(2, 0, &mapper_, &b_img, &b_key);
  std::vector<KeyMap::Claim> claims = {{Bytes(a_img), &a_img, &a_key},
                                       {Bytes(b_img), &b_img, &b_key}};
  ASSERT_OK(keys_->ClaimKeys(&mapper_, claims));
  EXPECT_EQ(OwnerOf(a_img), "ORDER#000000001");
  EXPECT_EQ(OwnerOf(b_img), "ORDER#000000002");
  ASSERT_OK(keys_->ClaimKeys(&mapper_, claims));  // the same owners again
  EXPECT_EQ(OwnerOf(a_img), "ORDER#000000001");
}

TEST_F(KeyMapTest, ARealCollisionNamesBothSourceKeys) {
  // Every order of a customer maps to one key: orders 1 and 2 share it.
  FakeReKeyMapper colliding(FakeReKeyOptions{.collide = true});
  uint64_t second = 2;
  while (MakeOrder(second, 0).Find("customerId")->s() !=
         MakeOrder(1, 0).Find("customerId")->s()) {
    ++second;  // an order of the same customer
  }
  Item a_img, a_key, b_img, b_key;
  PutOrder(1, 0, &colliding, &a_img, &a_key);
  PutOrder(second, 0, &colliding, &b_img, &b_key);
  ASSERT_EQ(Bytes(a_img), Bytes(b_img));
  ASSERT_OK(keys_->ClaimKeys(&colliding, {{Bytes(a_img), &a_img, &a_key}}));
  Status s = keys_->ClaimKeys(&colliding, {{Bytes(b_img), &b_img, &b_key}});
  ASSERT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_NE(s.message().find("ORDER#000000001"), std::string::npos)
      << s.ToString();
  EXPECT_NE(s.message().find(b_key.Find("pk")->s()), std::string::npos)
      << s.ToString();
  EXPECT_EQ(OwnerOf(a_img), "ORDER#000000001");  // unchanged
}

TEST_F(KeyMapTest, AStaleReadIsNotACollision) {
  // Order 1 claimed the key, then was deleted (its claim is stale: a
  // backfill read it before the delete). Another order mapping to the
  // same key now takes it over.
  FakeReKeyMapper colliding(FakeReKeyOptions{.collide = true});
  uint64_t second = 2;
  while (MakeOrder(second, 0).Find("customerId")->s() !=
         MakeOrder(1, 0).Find("customerId")->s()) {
    ++second;
  }
  Item a_img, a_key, b_img, b_key;
  PutOrder(1, 0, &colliding, &a_img, &a_key);
  PutOrder(second, 0, &colliding, &b_img, &b_key);
  ASSERT_OK(keys_->ClaimKeys(&colliding, {{Bytes(a_img), &a_img, &a_key}}));
  ASSERT_OK(source_->Delete(*ExtractKey(a_key, source_->key_schema())));
  ASSERT_OK(keys_->ClaimKeys(&colliding, {{Bytes(b_img), &b_img, &b_key}}));
  EXPECT_EQ(OwnerOf(b_img), b_key.Find("pk")->s());
}

TEST_F(KeyMapTest, OnlyTheOwnerReleases) {
  Item a_img, a_key, b_img, b_key;
  PutOrder(1, 0, &mapper_, &a_img, &a_key);
  PutOrder(2, 0, &mapper_, &b_img, &b_key);
  ASSERT_OK(keys_->ClaimKeys(&mapper_, {{Bytes(a_img), &a_img, &a_key}}));
  ASSERT_OK_AND_ASSIGN(bool released, keys_->Release(Bytes(a_img), b_key));
  EXPECT_FALSE(released);
  EXPECT_EQ(OwnerOf(a_img), "ORDER#000000001");
  ASSERT_OK_AND_ASSIGN(released, keys_->Release(Bytes(a_img), a_key));
  EXPECT_TRUE(released);
  EXPECT_EQ(OwnerOf(a_img), "none");
  ASSERT_OK_AND_ASSIGN(released, keys_->Release(Bytes(a_img), a_key));
  EXPECT_FALSE(released);  // nothing left to release
}

// A transform that keeps the key schema (pk:S): an item keeps its key
// unless it has `to`, then it is re-keyed onto pk = to. Renames a -> b.
class FakeSameSchemaMapper : public ItemMapper {
 public:
  Status Up(const Item& in, std::vector<Item>* out, ItemError*) override {
    Item img = in;
    if (const AttributeValue* to = in.Find("to")) {
      img.Set("pk", *to);
      img.Erase("to");
    }
    if (const AttributeValue* a = in.Find("a")) {
      img.Set("b", *a);
      img.Erase("a");
    }
    out->push_back(std::move(img));
    return Status::OK();
  }
  Status Down(const Item& in, std::vector<Item>* out, ItemError*) override {
    out->push_back(in);
    return Status::OK();
  }
};

class ImplicitKeyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    LocalStoreOptions o;
    o.path = dir_.Join("store");
    o.sync = false;
    ASSERT_OK_AND_ASSIGN(store_, OpenLocalStore(o));
    ASSERT_OK(store_->CreateTable("Users", {kSchema}));
    ASSERT_OK(store_->CreateTable(
        KeyMap::TableName("Users.v2"),
        {KeySchema{{"k", AttrType::kB}, std::nullopt}, false}));
    ASSERT_OK_AND_ASSIGN(source_, store_->GetTable("Users"));
    ASSERT_OK_AND_ASSIGN(map_table_,
                         store_->GetTable(KeyMap::TableName("Users.v2")));
    keys_ = std::make_unique<KeyMap>(map_table_, source_, kSchema);
  }

  // Puts a source item; fills its image and key item for a claim.
  void Put(const std::string& pk, const std::string& to, Item* image,
           Item* key) {
    Item item;
    item.Set("pk", AttributeValue::S(pk));
    item.Set("a", AttributeValue::S("v-" + pk));
    if (!to.empty()) item.Set("to", AttributeValue::S(to));
    ASSERT_OK(source_->Put(item));
    std::vector<Item> out;
    ASSERT_OK(mapper_.Up(item, &out, nullptr));
    *image = out[0];
    *key = KeyToItem(Key{AttributeValue::S(pk), std::nullopt}, kSchema);
  }
  std::string Bytes(const Item& image) { return *KeyBytes(image, kSchema); }
  size_t Recorded() {
    ScanOptions so;
    Result<Page> p = map_table_->Scan(so);
    EXPECT_OK(p.status());
    return p.ok() ? p->items.size() : 0;
  }

  const KeySchema kSchema{{"pk", AttrType::kS}, std::nullopt};
  ::godwit::test::TempDir dir_;
  std::unique_ptr<Store> store_;
  std::shared_ptr<Table> source_;
  std::shared_ptr<Table> map_table_;
  std::unique_ptr<KeyMap> keys_;
  FakeSameSchemaMapper mapper_;
};

TEST_F(ImplicitKeyTest, KeysKeptByTheirOwnItemsAreNeverRecorded) {
  std::vector<Item> images(50), keys(50);
  std::vector<KeyMap::Claim> claims;
  for (int i = 0; i < 50; ++i) {
    Put("u" + std::to_string(i), "", &images[i], &keys[i]);
    claims.push_back({Bytes(images[i]), &images[i], &keys[i]});
  }
  ASSERT_OK(keys_->ClaimKeys(&mapper_, claims));
  EXPECT_EQ(Recorded(), 0u);  // no read, no write of the key map
  ASSERT_OK_AND_ASSIGN(bool released,
                       keys_->Release(Bytes(images[0]), keys[0]));
  EXPECT_FALSE(released);  // nothing to release
}

TEST_F(ImplicitKeyTest, AReKeyOntoAnotherItemsOwnKeyIsACollision) {
  Item x_img, x_key, y_img, y_key;
  Put("x", "", &x_img, &x_key);   // keeps pk = x
  Put("y", "x", &y_img, &y_key);  // re-keyed onto pk = x
  ASSERT_OK(keys_->ClaimKeys(&mapper_, {{Bytes(x_img), &x_img, &x_key}}));
  Status s = keys_->ClaimKeys(&mapper_, {{Bytes(y_img), &y_img, &y_key}});
  ASSERT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_NE(s.message().find("two source items map to one destination key"),
            std::string::npos)
      << s.ToString();
  EXPECT_NE(s.message().find(R"("pk":{"S":"y"})"), std::string::npos)
      << s.ToString();
  EXPECT_EQ(Recorded(), 0u);
}

TEST_F(ImplicitKeyTest, AReKeyOntoAFreeKeyIsRecorded) {
  Item z_img, z_key, w_img, w_key;
  Put("z", "free", &z_img, &z_key);  // nobody's own key
  ASSERT_OK(keys_->ClaimKeys(&mapper_, {{Bytes(z_img), &z_img, &z_key}}));
  EXPECT_EQ(Recorded(), 1u);
  // Onto z's own key, but z maps elsewhere: z is not an owner.
  Put("w", "z", &w_img, &w_key);
  ASSERT_OK(keys_->ClaimKeys(&mapper_, {{Bytes(w_img), &w_img, &w_key}}));
  EXPECT_EQ(Recorded(), 2u);
}

}  // namespace
}  // namespace godwit::migrate
