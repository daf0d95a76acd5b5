// The run state's record: every field round-trips through the control
// table's item, the last verify included, and a damaged record is DataLoss
// naming the attribute.
#include "migrate/run_state.h"

#include <gtest/gtest.h>

#include "godwit/json.h"
#include "testutil/status_testing.h"

namespace godwit::migrate {
namespace {

RunState Sample() {
  RunState s;
  s.run_id = "18f3a-0b1c";
  s.logical = "Orders";
  s.source = "Orders";
  s.destination = "Orders.v2";
  s.destination_key_schema =
      KeySchema{{"pk", AttrType::kS}, KeyAttribute{"sk", AttrType::kS}};
  s.phase = RunPhase::kReplay;
  s.p0 = 17;
  s.segments = {{true, "", 10, 12}, {false, "tok", 3, 3}};
  s.journal_offset = 4096;
  s.captured_seq = 40;
  s.replay_offset = 2048;
  s.replayed_seq = 33;
  s.migrations = {{2, "key_by_customer", "ab12"}};
  s.started_micros = 1700000000000000;
  s.errors = 2;
  return s;
}

TEST(RunStateTest, ALastVerifyRoundTrips) {
  RunState s = Sample();
  VerifyRecord v;
  v.ok = false;
  v.phase = RunPhase::kReplay;
  v.sequence = 33;
  v.destination_created_micros = 1700000000123456;
  v.differences = 15001;
  v.unmapped = 2;
  v.unsettled = 1;
  v.expected_items = 15001;
  v.destination_items = 0;
  v.at_micros = 1700000000999999;
  s.last_verify = v;
  ASSERT_OK_AND_ASSIGN(RunState back, RunStateFromItem(RunStateToItem(s)));
  ASSERT_TRUE(back.last_verify.has_value());
  EXPECT_EQ(*back.last_verify, v);
  EXPECT_EQ(back.phase, RunPhase::kReplay);
  EXPECT_EQ(back.segments.size(), 2u);
  EXPECT_EQ(back.errors, 2u);
}

TEST(RunStateTest, NoVerifyIsNoAttribute) {
  RunState s = Sample();
  Item item = RunStateToItem(s);
  EXPECT_EQ(item.Find("verify"), nullptr);
  ASSERT_OK_AND_ASSIGN(RunState back, RunStateFromItem(item));
  EXPECT_FALSE(back.last_verify.has_value());
}

TEST(RunStateTest, ADamagedVerifyIsDataLossNamingTheAttribute) {
  RunState s = Sample();
  s.last_verify = VerifyRecord{};
  s.last_verify->phase = RunPhase::kCutOver;
  Item item = RunStateToItem(s);
  AttributeMap v = item.Find("verify")->m();
  v.Erase("dest_created");
  item.Set("verify", AttributeValue::M(v));
  Result<RunState> r = RunStateFromItem(item);
  ASSERT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(r.status().message().find("$.verify.dest_created"),
            std::string::npos)
      << r.status().ToString();
  v.Set("dest_created", AttributeValue::N(Number::FromInt64(1)));
  v.Set("phase", AttributeValue::N(Number::FromInt64(9)));
  item.Set("verify", AttributeValue::M(v));
  r = RunStateFromItem(item);
  ASSERT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(r.status().message().find("$.verify.phase"), std::string::npos)
      << r.status().ToString();
}

}  // namespace
}  // namespace godwit::migrate
