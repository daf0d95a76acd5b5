// The change fold alone: change records -> per-destination-key effects,
// with a fake mapper and no store. Effects are rendered as strings, in key
// order: "put CUST#C1/ORDER#000000002 v3; del CUST#C9/ORDER#000000002".
#include "migrate/change_fold.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "testutil/fake_fanout_mapper.h"
#include "testutil/fake_rekey_mapper.h"
#include "testutil/status_testing.h"

namespace godwit::migrate {
namespace {

using test::FakeFanOutMapper;
using test::FakeReKeyMapper;
using test::FakeReKeyOptions;

const KeySchema kOrderSchema{{"pk", AttrType::kS}, std::nullopt};
const KeySchema kReKeySchema{{"pk", AttrType::kS},
                             KeyAttribute{"sk", AttrType::kS}};

// A small order: `id` of customer `cust` at `version` with `lines` lines.
Item Order(int id, const std::string& cust, int version, int lines = 1) {
  char pk[32];
  std::snprintf(pk, sizeof(pk), "ORDER#%09d", id);
  Item item;
  item.Set("pk", AttributeValue::S(pk));
  item.Set("orderId", AttributeValue::N(Number::FromInt64(id)));
  item.Set("customerId", AttributeValue::S(cust));
  item.Set("version", AttributeValue::N(Number::FromInt64(version)));
  AttributeValue::List list;
  for (int i = 0; i < lines; ++i) {
    AttributeMap line;
    line.Set("sku", AttributeValue::S("SKU-" + std::to_string(i)));
    line.Set("qty", AttributeValue::N(Number::FromInt64(1 + i)));
    list.push_back(AttributeValue::M(std::move(line)));
  }
  item.Set("items", AttributeValue::L(std::move(list)));
  return item;
}

ChangeRecord Rec(uint64_t seq, std::optional<Item> old_image,
                 std::optional<Item> new_image) {
  ChangeRecord r;
  r.sequence = seq;
  r.type = !old_image  ? ChangeType::kInsert
           : new_image ? ChangeType::kModify
                       : ChangeType::kRemove;
  const Item& any = new_image ? *new_image : *old_image;
  r.keys = KeyToItem(*ExtractKey(any, kOrderSchema), kOrderSchema);
  r.old_image = std::move(old_image);
  r.new_image = std::move(new_image);
  return r;
}

// A fake sink: records "<phase> <source pk>" per error.
class FakeErrorSink : public ItemErrorSink {
 public:
  Status OnItemError(std::string_view phase, const Item& item,
                     const KeySchema& schema, const ItemError& error,
                     std::string_view reason) override {
    const AttributeValue* pk = item.Find("pk");
    errors.push_back(std::string(phase) + " " +
                     (pk != nullptr && pk->is(AttrType::kS) ? pk->s() : "?"));
    return Status::OK();
  }
  std::vector<std::string> errors;
};

// "put <pk>/<sk> v<version>" or "del <pk>/<sk>", joined by "; ".
std::string Render(const FoldResult& effects) {
  std::string out;
  for (const auto& [kb, e] : effects) {
    if (!out.empty()) out += "; ";
    std::string key = e.key.hash.s();
    if (e.key.range) key += "/" + e.key.range->s();
    if (!e.put) {
      out += "del " + key;
      continue;
    }
    out += "put " + key;
    if (const AttributeValue* v = e.put->Find("version")) {
      out += " v" + std::string(v->n().text());
    }
  }
  return out;
}

class ChangeFoldTest : public ::testing::Test {
 protected:
  std::string Fold(ItemMapper* mapper, Direction dir,
                   const std::vector<ChangeRecord>& recs) {
    const KeySchema& from = dir == Direction::kUp ? kOrderSchema : kReKeySchema;
    const KeySchema& to = dir == Direction::kUp ? kReKeySchema : kOrderSchema;
    ChangeFold fold(mapper, dir, from, to, &sink_, "replay");
    for (const ChangeRecord& r : recs) {
      Status s = fold.Add(r);
      if (!s.ok()) return "error: " + s.ToString();
    }
    return Render(fold.effects());
  }

  FakeReKeyMapper rekey_{FakeReKeyOptions{}};
  FakeErrorSink sink_;
};

TEST_F(ChangeFoldTest, InsertPutsTheImage) {
  EXPECT_EQ(
      Fold(&rekey_, Direction::kUp, {Rec(1, std::nullopt, Order(2, "C1", 0))}),
      "put CUST#C1/ORDER#000000002 v0");
}

TEST_F(ChangeFoldTest, UpdateOnTheSameKeyPutsWithoutDeleting) {
  EXPECT_EQ(Fold(&rekey_, Direction::kUp,
                 {Rec(1, Order(2, "C1", 0), Order(2, "C1", 1))}),
            "put CUST#C1/ORDER#000000002 v1");
}

TEST_F(ChangeFoldTest, KeyChangeDeletesTheOldKeyAndPutsTheNew) {
  EXPECT_EQ(Fold(&rekey_, Direction::kUp,
                 {Rec(1, Order(2, "C9", 2), Order(2, "C1", 3))}),
            "put CUST#C1/ORDER#000000002 v3; del CUST#C9/ORDER#000000002");
}

TEST_F(ChangeFoldTest, RemoveDeletes) {
  EXPECT_EQ(
      Fold(&rekey_, Direction::kUp, {Rec(1, Order(7, "C3", 4), std::nullopt)}),
      "del CUST#C3/ORDER#000000007");
}

TEST_F(ChangeFoldTest, ALaterRecordReplacesAnEarlierEffectOnTheSameKey) {
  EXPECT_EQ(Fold(&rekey_, Direction::kUp,
                 {Rec(1, std::nullopt, Order(2, "C1", 0)),
                  Rec(2, Order(2, "C1", 0), Order(2, "C1", 1)),
                  Rec(3, Order(2, "C1", 1), std::nullopt),
                  Rec(4, std::nullopt, Order(5, "C1", 0))}),
            "del CUST#C1/ORDER#000000002; put CUST#C1/ORDER#000000005 v0");
  EXPECT_EQ(Fold(&rekey_, Direction::kUp,
                 {Rec(1, Order(2, "C1", 1), std::nullopt),
                  Rec(2, std::nullopt, Order(2, "C1", 2))}),
            "put CUST#C1/ORDER#000000002 v2");
}

TEST_F(ChangeFoldTest, AnUnmappableNewImageIsDeadLetteredAndKeepsTheOldRows) {
  FakeReKeyMapper failing(FakeReKeyOptions{.fail_order = 2});
  EXPECT_EQ(Fold(&failing, Direction::kUp,
                 {Rec(1, Order(2, "C1", 0), Order(2, "C1", 1)),
                  Rec(2, Order(3, "C1", 0), Order(3, "C1", 1))}),
            "put CUST#C1/ORDER#000000003 v1");
  // The old image of order 2 failed too: both are reported, nothing of
  // order 2 is deleted.
  EXPECT_EQ(sink_.errors, (std::vector<std::string>{"replay ORDER#000000002",
                                                    "replay ORDER#000000002"}));
}

TEST_F(ChangeFoldTest, FanOutDeletesTheLinesTheNewImageNoLongerHas) {
  FakeFanOutMapper fan;
  EXPECT_EQ(Fold(&fan, Direction::kUp,
                 {Rec(1, Order(2, "C1", 0, 3), Order(2, "C1", 1, 1))}),
            "put CUST#C1/ORDER#000000002 v1; "
            "put CUST#C1/ORDER#000000002#LINE#00; "
            "del CUST#C1/ORDER#000000002#LINE#01; "
            "del CUST#C1/ORDER#000000002#LINE#02");
}

TEST_F(ChangeFoldTest, DownMapsDestinationChangesBack) {
  std::vector<Item> up0, up1;
  ASSERT_OK(rekey_.Up(Order(4, "C2", 0), &up0, nullptr));
  ASSERT_OK(rekey_.Up(Order(4, "C2", 1), &up1, nullptr));
  ChangeRecord r;
  r.sequence = 1;
  r.type = ChangeType::kModify;
  r.keys = KeyToItem(*ExtractKey(up1[0], kReKeySchema), kReKeySchema);
  r.old_image = up0[0];
  r.new_image = up1[0];
  EXPECT_EQ(Fold(&rekey_, Direction::kDown, {r}), "put ORDER#000000004 v1");
  r.new_image.reset();
  EXPECT_EQ(Fold(&rekey_, Direction::kDown, {r}), "del ORDER#000000004");
}

}  // namespace
}  // namespace godwit::migrate
