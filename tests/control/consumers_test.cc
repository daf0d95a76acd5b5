// Consumers' acknowledgements in the control table (src/control/consumers.h)
// on the embedded store: recorded, only ever forward (also when several
// threads acknowledge at once), listed by name, the gate's sentence, bad
// names and broken records refused.
#include "control/consumers.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "control/control_table.h"
#include "godwit/local_store.h"
#include "testutil/status_testing.h"
#include "testutil/temp_dir.h"

namespace godwit::control {
namespace {

class ConsumersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    LocalStoreOptions o;
    o.path = dir_.Join("store");
    o.sync = false;
    ASSERT_OK_AND_ASSIGN(store_, OpenLocalStore(o));
  }
  test::TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(ConsumersTest, AnAcknowledgementOnlyMovesForward) {
  ASSERT_OK_AND_ASSIGN(uint64_t p,
                       AckConsumer(store_.get(), "Orders", "indexer", 40));
  EXPECT_EQ(p, 40u);
  ASSERT_OK_AND_ASSIGN(p, AckConsumer(store_.get(), "Orders", "indexer", 12));
  EXPECT_EQ(p, 40u);  // an older position is ignored
  ASSERT_OK_AND_ASSIGN(
      p, AckConsumer(store_.get(), "Orders", "indexer", UINT64_MAX));
  EXPECT_EQ(p, UINT64_MAX);
  ASSERT_OK_AND_ASSIGN(std::vector<ConsumerAck> acks,
                       ListConsumers(store_.get(), "Orders"));
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].name, "indexer");
  EXPECT_EQ(acks[0].position, UINT64_MAX);
  EXPECT_GT(acks[0].at_micros, 0);
  EXPECT_FALSE(acks[0].by.empty());
}

TEST_F(ConsumersTest, ConcurrentAcknowledgementsEndWithTheGreatest) {
  constexpr int kThreads = 4;
  constexpr uint64_t kPerThread = 50;
  std::vector<std::thread> threads;
  std::vector<Status> errors(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (uint64_t i = 0; i < kPerThread; ++i) {
        // Interleaved positions: thread t acks t, t + 4, t + 8, ...
        Result<uint64_t> r = AckConsumer(store_.get(), "Orders", "indexer",
                                         i * kThreads + t + 1);
        if (!r.ok()) {
          errors[t] = r.status();
          return;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (const Status& s : errors) EXPECT_OK(s);
  ASSERT_OK_AND_ASSIGN(std::vector<ConsumerAck> acks,
                       ListConsumers(store_.get(), "Orders"));
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].position, kPerThread * kThreads);
}

TEST_F(ConsumersTest, TheGateNamesWhoIsBehindAndWhere) {
  ASSERT_OK_AND_ASSIGN(std::string none,
                       ConsumersBehind(store_.get(), "Orders", {"a"}, 5));
  EXPECT_EQ(none,
            "consumers behind the flip point 5 of Orders: a (no "
            "acknowledgement yet); each acknowledges with `godwit consumer "
            "ack Orders NAME POSITION`");
  ASSERT_OK(AckConsumer(store_.get(), "Orders", "a", 5).status());
  ASSERT_OK(AckConsumer(store_.get(), "Orders", "b", 4).status());
  ASSERT_OK(AckConsumer(store_.get(), "Orders.v2", "b", 9).status());
  ASSERT_OK_AND_ASSIGN(std::string behind,
                       ConsumersBehind(store_.get(), "Orders", {"a", "b"}, 5));
  EXPECT_EQ(behind,
            "consumers behind the flip point 5 of Orders: b at 4; each "
            "acknowledges with `godwit consumer ack Orders NAME POSITION`");
  ASSERT_OK_AND_ASSIGN(std::string done,
                       ConsumersBehind(store_.get(), "Orders", {"a"}, 5));
  EXPECT_EQ(done, "");
  ASSERT_OK_AND_ASSIGN(std::vector<ConsumerAck> acks,
                       ListConsumers(store_.get(), "Orders"));
  ASSERT_EQ(acks.size(), 2u);  // not Orders.v2's
  EXPECT_EQ(acks[0].name, "a");
  EXPECT_EQ(acks[1].name, "b");
}

TEST_F(ConsumersTest, BadNamesAndBrokenRecordsAreRefused) {
  const std::vector<std::string> bad_names = {"", "has space", "semi;colon",
                                              std::string(65, 'x')};
  for (const std::string& bad : bad_names) {
    Result<uint64_t> r = AckConsumer(store_.get(), "Orders", bad, 1);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("bad consumer name"),
              std::string::npos);
  }
  ASSERT_OK(
      AckConsumer(store_.get(), "Orders", std::string(64, 'x'), 1).status());
  // A record written by hand with a position that is not a uint64.
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<Table> t,
                       store_->GetTable(kControlTable));
  Item item;
  item.Set("pk", AttributeValue::S("consumer#Orders"));
  item.Set("sk", AttributeValue::S("hand"));
  item.Set("position", AttributeValue::N(*Number::Parse("-3")));
  ASSERT_OK(t->Put(item).status());
  Result<std::vector<ConsumerAck>> acks = ListConsumers(store_.get(), "Orders");
  ASSERT_FALSE(acks.ok());
  EXPECT_EQ(acks.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(acks.status().message().find("consumer record of Orders"),
            std::string::npos)
      << acks.status().ToString();
}

}  // namespace
}  // namespace godwit::control
