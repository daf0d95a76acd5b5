// ReadModifyWrite's contract (src/server/rmw.h), on a local table wrapped by
// a recording table (a test fake: it counts calls and forwards them).
#include "server/rmw.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "godwit/local_store.h"
#include "testutil/temp_dir.h"

namespace godwit::server {
namespace {

using ::godwit::test::TempDir;
using Write = ReadModifyWrite::Write;

// Forwards to `inner`, counting and recording what the helper does.
class RecordingTableFake : public Table {
 public:
  explicit RecordingTableFake(std::shared_ptr<Table> inner)
      : inner_(std::move(inner)) {}
  const std::string& name() const override { return inner_->name(); }
  const KeySchema& key_schema() const override { return inner_->key_schema(); }
  Status WithStableTable(const std::function<Status(Table&)>& fn) override {
    ++stable_calls;
    ++depth_;
    Status s = fn(*this);
    --depth_;
    return s;
  }
  Result<std::optional<Item>> Get(const Key& key) override {
    ++gets;
    EXPECT_GT(depth_, 0) << "outside WithStableTable";
    return inner_->Get(key);
  }
  Result<std::optional<Item>> Put(const Item& item,
                                  const Condition& cond) override {
    ++puts;
    EXPECT_GT(depth_, 0) << "outside WithStableTable";
    last_put_condition = cond.kind;
    return inner_->Put(item, cond);
  }
  Result<std::optional<Item>> Delete(const Key& key,
                                     const Condition& cond) override {
    ++deletes;
    EXPECT_GT(depth_, 0) << "outside WithStableTable";
    return inner_->Delete(key, cond);
  }
  Result<BatchWriteResult> BatchWrite(
      std::vector<WriteRequest> requests) override {
    ++batches;
    EXPECT_GT(depth_, 0) << "outside WithStableTable";
    return inner_->BatchWrite(std::move(requests));
  }
  Result<Page> Query(const QueryOptions& o) override {
    return inner_->Query(o);
  }
  Result<Page> Scan(const ScanOptions& o) override { return inner_->Scan(o); }
  Result<std::unique_ptr<Snapshot>> GetSnapshot() override {
    return inner_->GetSnapshot();
  }
  Result<std::unique_ptr<StreamReader>> OpenStream(
      const StreamPosition& pos) override {
    return inner_->OpenStream(pos);
  }
  Result<TableDescription> Describe() override { return inner_->Describe(); }

  std::atomic<int> stable_calls{0}, gets{0}, puts{0}, deletes{0}, batches{0};
  std::atomic<Condition::Kind> last_put_condition{Condition::Kind::kNone};
  Table& inner() { return *inner_; }

 private:
  // This thread's nesting in WithStableTable.
  static thread_local int depth_;
  std::shared_ptr<Table> inner_;
};

thread_local int RecordingTableFake::depth_ = 0;

class ReadModifyWriteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    LocalStoreOptions o;
    o.path = dir_.Join("db");
    o.sync = false;
    auto s = OpenLocalStore(o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = *std::move(s);
    TableOptions t;
    t.key_schema.hash = {"pk", AttrType::kS};
    t.stream_enabled = false;
    ASSERT_TRUE(store_->CreateTable("Tbl", t).ok());
    auto table = store_->GetTable("Tbl");
    ASSERT_TRUE(table.ok());
    table_ = std::make_unique<RecordingTableFake>(*table);
  }
  static Item MakeItem(const std::string& pk, int64_t n) {
    Item item;
    item.Set("pk", AttributeValue::S(pk));
    item.Set("n", AttributeValue::N(Number::FromInt64(n)));
    return item;
  }
  static Key MakeKey(const std::string& pk) {
    Key k;
    k.hash = AttributeValue::S(pk);
    return k;
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<RecordingTableFake> table_;
  ReadModifyWrite rmw_;
};

TEST_F(ReadModifyWriteTest, ABlindWriteDoesNotReadAndReportsWhatItReplaced) {
  int decided = 0;
  auto put = [&](int64_t n) {
    return rmw_.Run(*table_, "Tbl", MakeKey("a"), /*read=*/false,
                    [&](const Item* current) -> Result<Write> {
                      ++decided;
                      EXPECT_EQ(current, nullptr);
                      return Write::Put(MakeItem("a", n));
                    });
  };
  ASSERT_TRUE(put(1).ok());
  Result<ReadModifyWrite::Outcome> r = put(2);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->wrote);
  ASSERT_TRUE(r->old.has_value());
  EXPECT_EQ(*r->old, MakeItem("a", 1));
  EXPECT_EQ(table_->gets.load(), 0);
  EXPECT_EQ(table_->puts.load(), 2);
  EXPECT_EQ(decided, 2);
  EXPECT_EQ(table_->last_put_condition, Condition::Kind::kNone);
}

TEST_F(ReadModifyWriteTest, WhereTheReadSawNothingThePutCarriesNotExists) {
  auto run = [&] {
    return rmw_.Run(*table_, "Tbl", MakeKey("a"), /*read=*/true,
                    [&](const Item*) -> Result<Write> {
                      return Write::Put(MakeItem("a", 1));
                    });
  };
  ASSERT_TRUE(run().ok());
  EXPECT_EQ(table_->last_put_condition, Condition::Kind::kNotExists);
  ASSERT_TRUE(run().ok());
  EXPECT_EQ(table_->last_put_condition, Condition::Kind::kNone);
  EXPECT_EQ(table_->gets.load(), 2);
  EXPECT_EQ(table_->stable_calls.load(), 2);
}

TEST_F(ReadModifyWriteTest, AFailedDecisionWritesNothingAndIsReturned) {
  ASSERT_TRUE(table_->inner().Put(MakeItem("a", 1), Condition::None()).ok());
  int decided = 0;
  Result<ReadModifyWrite::Outcome> r =
      rmw_.Run(*table_, "Tbl", MakeKey("a"), /*read=*/true,
               [&](const Item* current) -> Result<Write> {
                 ++decided;
                 EXPECT_NE(current, nullptr);
                 return Status::Aborted("condition");
               });
  EXPECT_EQ(r.status().code(), StatusCode::kAborted);
  EXPECT_EQ(decided, 1);
  EXPECT_EQ(table_->puts.load(), 0);
  // Nothing to write: the outcome is what was read.
  r = rmw_.Run(*table_, "Tbl", MakeKey("a"), /*read=*/true,
               [](const Item*) -> Result<Write> { return Write::None(); });
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->wrote);
  EXPECT_EQ(*r->old, MakeItem("a", 1));
  // A delete reports what it removed.
  r = rmw_.Run(*table_, "Tbl", MakeKey("a"), /*read=*/false,
               [](const Item*) -> Result<Write> { return Write::Delete(); });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r->old, MakeItem("a", 1));
  EXPECT_EQ(table_->deletes.load(), 1);
}

TEST_F(ReadModifyWriteTest, ABatchIsOneBatchWriteOnTheStableTable) {
  std::vector<WriteRequest> writes;
  for (int i = 0; i < 25; ++i) {
    writes.push_back(WriteRequest::Put(MakeItem("k" + std::to_string(i), i)));
  }
  Result<BatchWriteResult> r = rmw_.RunBatch(*table_, "Tbl", std::move(writes));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->unprocessed.empty());
  EXPECT_EQ(table_->batches.load(), 1);
  EXPECT_EQ(table_->stable_calls.load(), 1);
  EXPECT_EQ(table_->gets.load(), 0);
}

// Writes of one key are serialised: concurrent read-increment-writes lose
// no increment. 4 threads x 150 increments.
TEST_F(ReadModifyWriteTest, ConcurrentIncrementsOfOneKeyLoseNothing) {
  constexpr int kThreads = 4, kEach = 150;
  std::vector<std::thread> threads;
  std::atomic<int> errors{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        auto r = rmw_.Run(*table_, "Tbl", MakeKey("c"), /*read=*/true,
                          [](const Item* cur) -> Result<Write> {
                            int64_t n = 0;
                            if (cur != nullptr) {
                              n = *cur->Find("n")->n().ToInt64();
                            }
                            return Write::Put(MakeItem("c", n + 1));
                          });
        if (!r.ok()) ++errors;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  auto item = table_->inner().Get(MakeKey("c"));
  ASSERT_TRUE(item.ok() && item->has_value());
  EXPECT_EQ(*(*item)->Find("n")->n().ToInt64(), kThreads * kEach);
}

}  // namespace
}  // namespace godwit::server
