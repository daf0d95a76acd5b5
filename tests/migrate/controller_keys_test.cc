// Implicit keys through a whole run (docs/engine.md, "The key map"): a
// key-preserving transform records nothing in the key map; a re-key onto
// an item's own key is refused when backfill meets it, and the one case
// the key map leaves to verify (an item created at a key another item was
// re-keyed onto) is found by verify before any cutover.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "controller_fixture.h"
#include "godwit/controller.h"
#include "migrate/key_map.h"
#include "testutil/status_testing.h"

namespace godwit {
namespace {

using test::kRename;

// Keeps the key unless the item has `to`: then pk = to.
constexpr char kMoveTo[] = R"(return {
  description = "move items that say so",
  up = function(item, ctx)
    if item.to then item.pk, item.to = item.to, nil end
    return item
  end,
  down = function(item, ctx) return item end,
}
)";

class ControllerKeysTest : public test::ControllerFixture {
 protected:
  size_t KeyMapRows() {
    Result<std::shared_ptr<Table>> t =
        store_->GetTable(migrate::KeyMap::TableName("Events.v2"));
    EXPECT_OK(t.status());
    if (!t.ok()) return 0;
    ScanOptions so;
    size_t n = 0;
    for (;;) {
      Result<Page> p = (*t)->Scan(so);
      EXPECT_OK(p.status());
      if (!p.ok()) return n;
      n += p->items.size();
      if (p->next_page_token.empty()) return n;
      so.page_token = p->next_page_token;
    }
  }
  Status PutSource(const std::string& pk, const std::string& to) {
    ASSIGN_OR_RETURN(std::shared_ptr<Table> t, store_->GetTable("Events"));
    Item item;
    item.Set("pk", AttributeValue::S(pk));
    if (!to.empty()) item.Set("to", AttributeValue::S(to));
    return t->Put(item).status();
  }
};

TEST_F(ControllerKeysTest, AKeyPreservingRunRecordsNothingInTheKeyMap) {
  WriteMigration("0002_rename.lua", kRename);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Controller> c,
                       Controller::Open(Env(), Request()));
  ASSERT_OK(c->WaitCaughtUp());
  ASSERT_OK(PutSource("late", ""));  // replay: implicit too
  ASSERT_OK(c->WaitCaughtUp());
  ASSERT_OK_AND_ASSIGN(Reply r, Run(*c, "verify"));
  ASSERT_TRUE(r.verify.has_value());
  EXPECT_TRUE(r.verify->ok());
  EXPECT_EQ(r.verify->destination_items, kItems + 1u);
  EXPECT_EQ(KeyMapRows(), 0u);
}

TEST_F(ControllerKeysTest, AReKeyOntoAnItemsOwnKeyStopsTheBackfill) {
  WriteMigration("0002_move.lua", kMoveTo);
  ASSERT_OK(PutSource("mover", "k7"));  // k7 keeps its own key
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Controller> c,
                       Controller::Open(Env(), Request()));
  Status s = c->WaitCaughtUp();
  for (int i = 0; i < 200 && s.ok() && c->migration().error().ok(); ++i) {
    s = c->WaitCaughtUp();
  }
  Status err = s.ok() ? c->migration().error() : s;
  ASSERT_FALSE(err.ok());
  EXPECT_NE(err.message().find("two source items map to one destination key"),
            std::string::npos)
      << err.ToString();
  EXPECT_EQ(*router_->Resolve("Events"), "Events");
}

TEST_F(ControllerKeysTest, AnItemCreatedOnAReKeyedKeyIsFoundByVerify) {
  WriteMigration("0002_move.lua", kMoveTo);
  ASSERT_OK(PutSource("mover", "fresh"));  // onto nobody's key
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Controller> c,
                       Controller::Open(Env(), Request()));
  ASSERT_OK(c->WaitCaughtUp());
  EXPECT_EQ(KeyMapRows(), 1u);  // only the re-keyed item is recorded
  // An item created at that key keeps it: implicit, not checked against
  // the recorded owner; replay overwrites the mover's image.
  ASSERT_OK(PutSource("fresh", ""));
  ASSERT_OK(c->WaitCaughtUp());
  ASSERT_OK_AND_ASSIGN(Reply r, Run(*c, "verify"));
  ASSERT_TRUE(r.verify.has_value());
  EXPECT_FALSE(r.verify->ok());
  EXPECT_GE(r.verify->differences, 1u);
  EXPECT_FALSE(Run(*c, "cutover").ok());  // the verify gate holds
  EXPECT_EQ(*router_->Resolve("Events"), "Events");
}

}  // namespace
}  // namespace godwit
