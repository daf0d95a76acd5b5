// Downstream completion (docs/operations.md, "Downstream completion"): a
// cutover waits until every consumer named by --wait-for-consumers has
// acknowledged the destination's stream up to the flip point.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "control/consumers.h"
#include "controller_fixture.h"
#include "godwit/controller.h"
#include "testutil/status_testing.h"

namespace godwit {
namespace {

using test::kRename;

class ControllerConsumersTest : public test::ControllerFixture {
 protected:
  void SetUp() override {
    ControllerFixture::SetUp();
    WriteMigration("0002_rename.lua", kRename);
  }
  // The flip point: the destination stream's newest sequence number.
  uint64_t FlipPoint(const std::string& destination) {
    Result<TableDescription> d = store_->DescribeTable(destination);
    EXPECT_OK(d.status());
    return d.ok() ? d->latest_sequence : 0;
  }
};

TEST_F(ControllerConsumersTest, ACutoverWaitsForEveryNamedConsumer) {
  RunRequest req = Request();
  req.wait_for_consumers = {"indexer", "cache"};
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Controller> c,
                       Controller::Open(Env(), req));
  ASSERT_OK(c->WaitCaughtUp());
  ASSERT_OK(Run(*c, "verify").status());
  const uint64_t flip_point = FlipPoint(c->info().destination);
  ASSERT_GT(flip_point, 0u);  // backfill wrote into the destination

  // Nobody has acknowledged: both are named, nothing switches (exit 4 in
  // the CLI).
  ASSERT_OK_AND_ASSIGN(Reply r, Run(*c, "cutover"));
  EXPECT_NE(r.postponed.find("indexer (no acknowledgement yet)"),
            std::string::npos)
      << r.postponed;
  EXPECT_NE(r.postponed.find("cache (no acknowledgement yet)"),
            std::string::npos)
      << r.postponed;
  EXPECT_NE(r.postponed.find("flip point " + std::to_string(flip_point)),
            std::string::npos)
      << r.postponed;
  EXPECT_EQ(*router_->Resolve("Events"), "Events");

  // One is done, the other one record short.
  ASSERT_OK(control::AckConsumer(store_.get(), "Events", "indexer", flip_point)
                .status());
  ASSERT_OK(
      control::AckConsumer(store_.get(), "Events", "cache", flip_point - 1)
          .status());
  ASSERT_OK_AND_ASSIGN(r, Run(*c, "cutover"));
  EXPECT_EQ(r.postponed.find("indexer"), std::string::npos) << r.postponed;
  EXPECT_NE(r.postponed.find("cache at " + std::to_string(flip_point - 1)),
            std::string::npos)
      << r.postponed;
  EXPECT_FALSE(r.flip.has_value());
  EXPECT_EQ(*router_->Resolve("Events"), "Events");

  // A consumer of another table does not count.
  ASSERT_OK(control::AckConsumer(store_.get(), "Other", "cache", flip_point)
                .status());
  ASSERT_OK_AND_ASSIGN(r, Run(*c, "cutover"));
  EXPECT_FALSE(r.postponed.empty());

  ASSERT_OK(control::AckConsumer(store_.get(), "Events", "cache", flip_point)
                .status());
  ASSERT_OK_AND_ASSIGN(r, Run(*c, "cutover"));
  EXPECT_TRUE(r.postponed.empty()) << r.postponed;
  ASSERT_TRUE(r.flip.has_value());
  EXPECT_EQ(*router_->Resolve("Events"), "Events.v2");
}

TEST_F(ControllerConsumersTest, ABadConsumerNameIsRefusedAtOpen) {
  RunRequest req = Request();
  req.wait_for_consumers = {"indexer", "bad name"};
  Result<std::unique_ptr<Controller>> c = Controller::Open(Env(), req);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("bad consumer name \"bad name\""),
            std::string::npos)
      << c.status().ToString();
}

TEST_F(ControllerConsumersTest, TheConsumersTravelInTheRunRequest) {
  RunRequest req = Request();
  req.wait_for_consumers = {"indexer", "cache"};
  ASSERT_OK_AND_ASSIGN(RunRequest back,
                       RunRequestFromJson(RunRequestToJson(req)));
  EXPECT_EQ(back.wait_for_consumers, req.wait_for_consumers);
  Result<RunRequest> bad = RunRequestFromJson(
      R"({"table":"T","mode":"start","segments":1,"threads":1,"rate":0,)"
      R"("max_errors":0,"wait_for_consumers":[1]})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("run.wait_for_consumers"),
            std::string::npos)
      << bad.status().ToString();
}

}  // namespace
}  // namespace godwit
