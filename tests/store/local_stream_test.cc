// Change streams and snapshots of the local store: record contents,
// positions, retention, consumers, exactly-once under concurrent writers,
// snapshot consistency.
#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "store/store_test_util.h"
#include "testutil/temp_dir.h"

namespace godwit::test {
namespace {

class StreamTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void Open() {
    LocalStoreOptions o = TestOptions(dir_.Join("db"));
    o.clock = [this] { return now_.load(); };
    o.stream_retention_micros = retention_micros_;
    o.stream_retention_bytes = retention_bytes_;
    auto r = LocalStore::Open(o);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    store_ = std::move(r).value();
  }
  void Reopen() {
    store_.reset();
    Open();
  }
  std::shared_ptr<Table> Create(const std::string& name, bool stream = true) {
    EXPECT_OK(store_->CreateTable(name, {HashSchema(), stream}));
    auto t = store_->GetTable(name);
    EXPECT_TRUE(t.ok());
    return t.ok() ? *t : nullptr;
  }

  TempDir dir_;
  std::atomic<int64_t> now_{int64_t{1700000000} * 1000000};
  int64_t retention_micros_ = int64_t{24} * 3600 * 1000000;
  uint64_t retention_bytes_ = 0;
  std::unique_ptr<LocalStore> store_;
};

// Time to Live deletes as the service: the record keeps its origin across a
// reopen; a client's delete is the client's.
TEST_F(StreamTest, DeleteAsServiceRecordsItsOriginDurably) {
  auto t = Create("Items");
  ASSERT_OK(t->Put(MakeItem("a", std::nullopt, 1)).status());
  ASSERT_OK(t->Put(MakeItem("b", std::nullopt, 1)).status());
  ASSERT_OK(t->DeleteAsService(HashKey("a"), Condition::None(),
                               ChangeOrigin::kTimeToLive)
                .status());
  ASSERT_OK(t->Delete(HashKey("b")).status());
  t.reset();  // the table holds the store open
  Reopen();
  auto again = store_->GetTable("Items");
  ASSERT_TRUE(again.ok());
  std::vector<ChangeRecord> r = ReadAll(**again);
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].origin, ChangeOrigin::kUser);
  EXPECT_EQ(r[2].type, ChangeType::kRemove);
  EXPECT_EQ(r[2].origin, ChangeOrigin::kTimeToLive);
  EXPECT_EQ(r[3].type, ChangeType::kRemove);
  EXPECT_EQ(r[3].origin, ChangeOrigin::kUser);
}

TEST_F(StreamTest, RecordsDescribeEachChangeAndNoOpsHaveNone) {
  auto t = Create("Items");
  Item v1 = MakeItem("a", std::nullopt, 1);
  Item v2 = MakeItem("a", std::nullopt, 2);
  ASSERT_OK(t->Put(v1).status());  // 1 INSERT
  now_ += 10;
  ASSERT_OK(t->Put(v1).status());               // identical: no record
  ASSERT_OK(t->Put(v2).status());               // 2 MODIFY
  ASSERT_OK(t->Delete(HashKey("a")).status());  // 3 REMOVE
  ASSERT_OK(t->Delete(HashKey("a")).status());  // absent: no record
  ASSERT_OK(t->BatchWrite(
                 {WriteRequest::Put(v1), WriteRequest::Delete(HashKey("zz"))})
                .status());  // 4 INSERT
  std::vector<ChangeRecord> r = ReadAll(*t);
  ASSERT_EQ(r.size(), 4u);
  Item key_item;
  key_item.Set("pk", S("a"));
  for (size_t i = 0; i < r.size(); ++i) {
    EXPECT_EQ(r[i].sequence, i + 1);
    EXPECT_EQ(r[i].keys, key_item);
  }
  EXPECT_EQ(r[0].type, ChangeType::kInsert);
  EXPECT_FALSE(r[0].old_image.has_value());
  EXPECT_EQ(r[0].new_image, v1);
  EXPECT_EQ(r[0].time_micros, int64_t{1700000000} * 1000000);
  EXPECT_EQ(r[1].type, ChangeType::kModify);
  EXPECT_EQ(r[1].old_image, v1);
  EXPECT_EQ(r[1].new_image, v2);
  EXPECT_EQ(r[1].time_micros, r[0].time_micros + 10);
  EXPECT_EQ(r[2].type, ChangeType::kRemove);
  EXPECT_EQ(r[2].old_image, v2);
  EXPECT_FALSE(r[2].new_image.has_value());
  EXPECT_EQ(r[3].type, ChangeType::kInsert);
  EXPECT_EQ(ChangeTypeName(r[2].type), "REMOVE");
  ASSERT_OK_AND_ASSIGN(TableDescription d, t->Describe());
  EXPECT_EQ(d.latest_sequence, 4u);
}

TEST_F(StreamTest, RecordTimesNeverGoBackwards) {
  auto t = Create("Items");
  ASSERT_OK(t->Put(MakeItem("a", std::nullopt, 1)).status());
  now_ -= 5000000;  // the wall clock steps back
  ASSERT_OK(t->Put(MakeItem("a", std::nullopt, 2)).status());
  auto r = ReadAll(*t);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_GE(r[1].time_micros, r[0].time_micros);
}

TEST_F(StreamTest, Positions) {
  auto t = Create("Items");
  for (int i = 1; i <= 5; ++i) {
    ASSERT_OK(t->Put(MakeItem("a", std::nullopt, i)).status());
  }
  auto seqs = [](const std::vector<ChangeRecord>& r) {
    std::vector<uint64_t> out;
    for (const auto& c : r) out.push_back(c.sequence);
    return out;
  };
  EXPECT_EQ(seqs(ReadAll(*t, StreamPosition::TrimHorizon())),
            (std::vector<uint64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(seqs(ReadAll(*t, StreamPosition::At(3))),
            (std::vector<uint64_t>{3, 4, 5}));
  EXPECT_EQ(seqs(ReadAll(*t, StreamPosition::After(3))),
            (std::vector<uint64_t>{4, 5}));
  EXPECT_TRUE(ReadAll(*t, StreamPosition::After(5)).empty());
  EXPECT_TRUE(ReadAll(*t, StreamPosition::At(6)).empty());
  EXPECT_TRUE(ReadAll(*t, StreamPosition::After(0)).size() == 5);
  EXPECT_TRUE(
      t->OpenStream(StreamPosition::At(0)).status().IsInvalidArgument());
  EXPECT_EQ(t->OpenStream(StreamPosition::At(7)).status().code(),
            StatusCode::kOutOfRange);
  EXPECT_EQ(t->OpenStream(StreamPosition::After(6)).status().code(),
            StatusCode::kOutOfRange);

  // LATEST sees only what comes after, and a reader tails new writes.
  ASSERT_OK_AND_ASSIGN(auto latest, t->OpenStream(StreamPosition::Latest()));
  EXPECT_EQ(latest->position(), 5u);
  std::vector<ChangeRecord> out;
  ASSERT_OK(latest->Read(10, &out));
  EXPECT_TRUE(out.empty());
  ASSERT_OK(t->Put(MakeItem("b", std::nullopt, 1)).status());
  ASSERT_OK(t->Put(MakeItem("c", std::nullopt, 1)).status());
  ASSERT_OK(latest->Read(1, &out));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].sequence, 6u);
  EXPECT_EQ(latest->position(), 6u);
  ASSERT_OK(latest->Read(10, &out));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].sequence, 7u);
  ASSERT_OK(latest->Read(0, &out));
  EXPECT_EQ(out.size(), 2u);
}

TEST_F(StreamTest, SequencesContinueAcrossReopen) {
  auto t = Create("Items");
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK(t->Put(MakeItem("a", std::nullopt, i)).status());
  }
  t.reset();
  Reopen();
  ASSERT_OK_AND_ASSIGN(t, store_->GetTable("Items"));
  ASSERT_OK(t->Put(MakeItem("a", std::nullopt, 100)).status());
  auto r = ReadAll(*t);
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[3].sequence, 4u);
  EXPECT_EQ(r[3].old_image, MakeItem("a", std::nullopt, 2));
}

TEST_F(StreamTest, TableWithoutStreamAndReenabling) {
  auto t = Create("Items", /*stream=*/false);
  ASSERT_OK(t->Put(MakeItem("a", std::nullopt, 1)).status());
  EXPECT_EQ(t->OpenStream(StreamPosition::TrimHorizon()).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(t->RegisterStreamConsumer("c", 0).code(),
            StatusCode::kFailedPrecondition);
  ASSERT_OK(store_->UpdateStream("Items", true));
  ASSERT_OK_AND_ASSIGN(TableDescription d, t->Describe());
  EXPECT_TRUE(d.stream_enabled);
  EXPECT_EQ(d.latest_sequence, 1u);
  EXPECT_EQ(d.stream_first_sequence, 2u);
  ASSERT_OK(t->Put(MakeItem("a", std::nullopt, 2)).status());
  auto r = ReadAll(*t);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].sequence, 2u);
  EXPECT_EQ(r[0].type, ChangeType::kModify);

  // Off, a write, on again: the reader of the old stream gets DataLoss
  // instead of silently missing the write made while the stream was off.
  ASSERT_OK_AND_ASSIGN(auto reader, t->OpenStream(StreamPosition::Latest()));
  ASSERT_OK(store_->UpdateStream("Items", false));
  ASSERT_OK(t->Put(MakeItem("a", std::nullopt, 3)).status());
  ASSERT_OK(store_->UpdateStream("Items", true));
  ASSERT_OK(t->Put(MakeItem("a", std::nullopt, 4)).status());
  std::vector<ChangeRecord> out;
  Status s = reader->Read(10, &out);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss) << s.ToString();
  r = ReadAll(*t);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].sequence, 4u);
  // The stream state survives a reopen.
  t.reset();
  reader.reset();
  Reopen();
  ASSERT_OK_AND_ASSIGN(d, store_->DescribeTable("Items"));
  EXPECT_TRUE(d.stream_enabled);
  EXPECT_EQ(d.stream_first_sequence, 4u);
  EXPECT_TRUE(store_->UpdateStream("nope", true).IsNotFound());
}

TEST_F(StreamTest, RetentionByAgeAndTrimmedPositions) {
  retention_micros_ = 10 * 1000000;
  Reopen();
  auto t = Create("Items");
  for (int i = 1; i <= 10; ++i) {
    ASSERT_OK(t->Put(MakeItem("a", std::nullopt, i)).status());
    now_ += 1000000;  // 1 s apart: record i at t0 + (i-1) s
  }
  ASSERT_OK_AND_ASSIGN(auto early,
                       t->OpenStream(StreamPosition::TrimHorizon()));
  ASSERT_OK(store_->RunRetention());  // now = t0 + 10 s: nothing is 10 s old
  EXPECT_EQ(ReadAll(*t).size(), 10u);
  now_ += 4500000;  // t0 + 14.5 s: records 1..5 (t0..t0+4s) are too old
  ASSERT_OK(store_->RunRetention());
  auto r = ReadAll(*t);
  ASSERT_EQ(r.size(), 5u);
  EXPECT_EQ(r[0].sequence, 6u);
  ASSERT_OK_AND_ASSIGN(TableDescription d, t->Describe());
  EXPECT_EQ(d.stream_first_sequence, 6u);

  std::vector<ChangeRecord> out;
  Status s = early->Read(10, &out);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("position 1 "), std::string_view::npos)
      << s.ToString();
  EXPECT_NE(s.message().find("oldest available record is 6"),
            std::string_view::npos)
      << s.ToString();
  EXPECT_TRUE(out.empty());
  s = t->OpenStream(StreamPosition::At(5)).status();
  EXPECT_EQ(s.code(), StatusCode::kDataLoss) << s.ToString();
  EXPECT_EQ(t->OpenStream(StreamPosition::After(3)).status().code(),
            StatusCode::kDataLoss);
  EXPECT_OK(t->OpenStream(StreamPosition::After(5)).status());
  EXPECT_OK(t->OpenStream(StreamPosition::At(6)).status());
  // The horizon survives a reopen.
  t.reset();
  early.reset();
  Reopen();
  ASSERT_OK_AND_ASSIGN(t, store_->GetTable("Items"));
  EXPECT_EQ(ReadAll(*t).front().sequence, 6u);
  EXPECT_EQ(t->OpenStream(StreamPosition::At(5)).status().code(),
            StatusCode::kDataLoss);
  // Everything old: the stream is empty, positions before the end trimmed.
  now_ += 100 * 1000000;
  ASSERT_OK(store_->RunRetention());
  EXPECT_TRUE(ReadAll(*t).empty());
  ASSERT_OK_AND_ASSIGN(d, t->Describe());
  EXPECT_EQ(d.stream_first_sequence, 11u);
  EXPECT_EQ(d.latest_sequence, 10u);
  EXPECT_OK(t->OpenStream(StreamPosition::After(10)).status());
}

TEST_F(StreamTest, RetentionBySize) {
  retention_micros_ = 0;
  retention_bytes_ = 2000;
  Reopen();
  auto t = Create("Items");
  Item big = MakeItem("a", std::nullopt, 0);
  big.Set("pad", S(std::string(200, 'x')));
  for (int i = 0; i < 30; ++i) {
    big.Set("v", N(i));
    ASSERT_OK(t->Put(big).status());
  }
  ASSERT_OK(store_->RunRetention());
  auto r = ReadAll(*t);
  ASSERT_FALSE(r.empty());
  EXPECT_LT(r.size(), 30u);
  EXPECT_EQ(r.back().sequence, 30u);
  EXPECT_EQ(r.front().sequence, 30u - r.size() + 1);
  // Each record holds two ~220-byte images: a handful fit in 2000 bytes.
  EXPECT_LE(r.size(), 5u);
  EXPECT_GE(r.size(), 3u);
}

TEST_F(StreamTest, ConsumersPinRetention) {
  retention_micros_ = 1000000;
  Reopen();
  auto t = Create("Items");
  for (int i = 1; i <= 10; ++i) {
    ASSERT_OK(t->Put(MakeItem("a", std::nullopt, i)).status());
  }
  ASSERT_OK(t->RegisterStreamConsumer("migration-1", 0));
  ASSERT_OK(t->RegisterStreamConsumer("other", 4));
  EXPECT_EQ(t->RegisterStreamConsumer("other", 4).code(),
            StatusCode::kAlreadyExists);
  EXPECT_TRUE(t->RegisterStreamConsumer("", 0).IsInvalidArgument());
  EXPECT_TRUE(t->RegisterStreamConsumer("has space", 0).IsInvalidArgument());
  EXPECT_EQ(t->RegisterStreamConsumer("x", 11).code(), StatusCode::kOutOfRange);
  now_ += 60 * 1000000;
  ASSERT_OK(store_->RunRetention());
  EXPECT_EQ(ReadAll(*t).size(), 10u);  // pinned at 0
  ASSERT_OK(t->AckStreamConsumer("migration-1", 7));
  ASSERT_OK(store_->RunRetention());
  auto r = ReadAll(*t);
  ASSERT_EQ(r.size(), 6u);  // "other" at 4 keeps 5..10
  EXPECT_EQ(r[0].sequence, 5u);
  ASSERT_OK_AND_ASSIGN(auto consumers, t->ListStreamConsumers());
  EXPECT_EQ(consumers,
            (std::vector<StreamConsumer>{{"migration-1", 7}, {"other", 4}}));
  // Consumers survive a reopen.
  t.reset();
  Reopen();
  ASSERT_OK_AND_ASSIGN(t, store_->GetTable("Items"));
  ASSERT_OK_AND_ASSIGN(consumers, t->ListStreamConsumers());
  EXPECT_EQ(consumers.size(), 2u);
  ASSERT_OK(store_->RunRetention());
  EXPECT_EQ(ReadAll(*t).size(), 6u);
  ASSERT_OK(t->DropStreamConsumer("other"));
  EXPECT_TRUE(t->DropStreamConsumer("other").IsNotFound());
  EXPECT_TRUE(t->AckStreamConsumer("other", 5).IsNotFound());
  ASSERT_OK(store_->RunRetention());
  r = ReadAll(*t);
  ASSERT_EQ(r.size(), 3u);  // migration-1 at 7 keeps 8..10
  EXPECT_EQ(r[0].sequence, 8u);
  // Registering or acking at a trimmed position is DataLoss.
  EXPECT_EQ(t->RegisterStreamConsumer("late", 3).code(), StatusCode::kDataLoss);
  EXPECT_EQ(t->AckStreamConsumer("migration-1", 2).code(),
            StatusCode::kDataLoss);
  ASSERT_OK(t->RegisterStreamConsumer("late", 7));  // reads from 8: kept
  ASSERT_OK(t->DropStreamConsumer("late"));
  ASSERT_OK(t->DropStreamConsumer("migration-1"));
  ASSERT_OK(store_->RunRetention());
  EXPECT_TRUE(ReadAll(*t).empty());
}

TEST_F(StreamTest, BackgroundRetentionThreadTrims) {
  store_.reset();
  LocalStoreOptions o = TestOptions(dir_.Join("db2"));
  o.stream_retention_micros = 1;  // everything older than now
  o.retention_interval_micros = 20000;
  ASSERT_OK_AND_ASSIGN(store_, LocalStore::Open(o));
  auto t = Create("Items");
  ASSERT_OK(t->Put(MakeItem("a", std::nullopt, 1)).status());
  for (int i = 0; i < 500; ++i) {
    ASSERT_OK_AND_ASSIGN(TableDescription d, t->Describe());
    if (d.stream_first_sequence == 2) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  FAIL() << "the retention thread did not trim within 5 s";
}

// Eight writers insert, update and delete overlapping hot keys; a reader
// tails the stream meanwhile. Every acknowledged change has exactly one
// record, in an order consistent with every writer's own order, each old
// image is the previous new image of its key, and replaying the stream
// reproduces the table.
TEST_F(StreamTest, ExactlyOnceUnderConcurrentWriters) {
  auto t = Create("Hot");
  constexpr int kThreads = 8;
  constexpr int kOpsPerThread = 400;
  constexpr int kKeys = 12;
  struct Ack {
    int thread;
    bool put;
    std::string key;
    std::optional<Item> old;
    Item written;  // put
  };
  std::vector<std::vector<Ack>> acks(kThreads);
  std::atomic<bool> writers_done{false};

  std::vector<ChangeRecord> tailed;
  Status tail_status;
  std::thread tailer([&] {
    auto reader = t->OpenStream(StreamPosition::TrimHorizon());
    if (!reader.ok()) {
      tail_status = reader.status();
      return;
    }
    while (true) {
      bool done = writers_done.load();
      std::vector<ChangeRecord> batch;
      uint64_t before = (*reader)->position();
      Status s = (*reader)->Read(37, &batch);
      if (!s.ok()) {
        tail_status = s;
        return;
      }
      for (size_t i = 0; i < batch.size(); ++i) {
        if (batch[i].sequence != before + 1 + i) {
          tail_status = Status::Internal(
              "reader saw " + std::to_string(batch[i].sequence) + " after " +
              std::to_string(before + i));
          return;
        }
      }
      for (auto& r : batch) tailed.push_back(std::move(r));
      if (done && batch.empty()) return;
    }
  });

  std::vector<std::thread> writers;
  for (int w = 0; w < kThreads; ++w) {
    writers.emplace_back([&, w] {
      std::mt19937_64 rng(1000 + w);
      for (int i = 0; i < kOpsPerThread; ++i) {
        std::string key = "k" + std::to_string(rng() % kKeys);
        Ack a{w, rng() % 10 < 6, key, std::nullopt, {}};
        if (a.put) {
          a.written = MakeItem(key, std::nullopt, w * 1000000 + i);
          a.written.Set("writer", N(w));
          auto r = t->Put(a.written);
          ASSERT_TRUE(r.ok()) << r.status().ToString();
          a.old = *r;
        } else {
          auto r = t->Delete(HashKey(key));
          ASSERT_TRUE(r.ok()) << r.status().ToString();
          a.old = *r;
        }
        acks[w].push_back(std::move(a));
      }
    });
  }
  for (auto& th : writers) th.join();
  writers_done = true;
  tailer.join();
  ASSERT_OK(tail_status);

  std::vector<ChangeRecord> records = ReadAll(*t);
  // Dense and in order.
  for (size_t i = 0; i < records.size(); ++i) {
    ASSERT_EQ(records[i].sequence, i + 1);
  }
  // The tailing reader saw the same records.
  ASSERT_EQ(tailed.size(), records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(tailed[i].sequence, records[i].sequence);
    EXPECT_EQ(tailed[i].new_image, records[i].new_image);
  }

  // Index records by the unique value they wrote or removed.
  auto id_of = [](const Item& item) { return *item.Find("v")->n().ToInt64(); };
  std::map<int64_t, size_t> by_new, by_removed;
  for (size_t i = 0; i < records.size(); ++i) {
    const ChangeRecord& r = records[i];
    if (r.new_image) {
      EXPECT_TRUE(by_new.emplace(id_of(*r.new_image), i).second);
    } else {
      EXPECT_TRUE(by_removed.emplace(id_of(*r.old_image), i).second);
    }
  }
  size_t effective = 0;
  for (int w = 0; w < kThreads; ++w) {
    uint64_t last_seq = 0;
    for (const Ack& a : acks[w]) {
      size_t idx;
      if (a.put) {
        auto it = by_new.find(id_of(a.written));
        ASSERT_NE(it, by_new.end()) << "acknowledged put has no record";
        idx = it->second;
        EXPECT_EQ(records[idx].new_image, a.written);
      } else {
        if (!a.old) continue;  // deleting an absent key: no record
        auto it = by_removed.find(id_of(*a.old));
        ASSERT_NE(it, by_removed.end()) << "acknowledged delete has no record";
        idx = it->second;
      }
      ++effective;
      // What the writer was told it replaced is the record's old image.
      EXPECT_EQ(records[idx].old_image, a.old);
      EXPECT_EQ(records[idx].type,
                a.put ? (a.old ? ChangeType::kModify : ChangeType::kInsert)
                      : ChangeType::kRemove);
      // A writer's own changes appear in the order it made them.
      EXPECT_GT(records[idx].sequence, last_seq);
      last_seq = records[idx].sequence;
    }
  }
  EXPECT_EQ(effective, records.size()) << "records without an acknowledgement";

  // Per key: each old image is the previous new image; replay = table.
  std::map<std::string, Item> state;
  for (const ChangeRecord& r : records) {
    std::string key = r.keys.Find("pk")->s();
    auto it = state.find(key);
    if (r.type == ChangeType::kInsert) {
      EXPECT_EQ(it, state.end())
          << "INSERT over an existing item, seq " << r.sequence;
    } else {
      ASSERT_NE(it, state.end()) << "seq " << r.sequence;
      EXPECT_EQ(r.old_image, it->second) << "seq " << r.sequence;
    }
    if (r.new_image) {
      state[key] = *r.new_image;
    } else {
      state.erase(key);
    }
  }
  std::map<std::string, Item> table;
  for (Item& i : ScanAll(*t)) table[i.Find("pk")->s()] = i;
  EXPECT_TRUE(state == table);
  ASSERT_OK_AND_ASSIGN(TableDescription d, t->Describe());
  EXPECT_EQ(d.item_count, table.size());
  EXPECT_EQ(d.latest_sequence, records.size());
}

// Transfers between accounts keep the total constant; scans at a snapshot,
// paged while the transfers go on, always see the total, and replaying the
// stream up to the snapshot's sequence gives exactly the snapshot's items.
TEST_F(StreamTest, SnapshotScansAreConsistentAndMatchTheirSequence) {
  auto t = Create("Accounts");
  constexpr int kAccounts = 20;
  constexpr int64_t kInitial = 1000;
  for (int i = 0; i < kAccounts; ++i) {
    ASSERT_OK(
        t->Put(MakeItem("acct" + std::to_string(i), std::nullopt, kInitial))
            .status());
  }
  std::atomic<bool> stop{false};
  std::mutex transfer_mu;  // read-modify-write of two accounts
  std::atomic<int> transfers{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < 2; ++w) {
    writers.emplace_back([&, w] {
      std::mt19937_64 rng(w);
      while (!stop.load()) {
        std::lock_guard l(transfer_mu);
        int a = rng() % kAccounts, b = rng() % kAccounts;
        if (a == b) continue;
        auto ia = t->Get(HashKey("acct" + std::to_string(a)));
        auto ib = t->Get(HashKey("acct" + std::to_string(b)));
        ASSERT_TRUE(ia.ok() && ib.ok());
        int64_t va = *(*ia)->Find("v")->n().ToInt64();
        int64_t vb = *(*ib)->Find("v")->n().ToInt64();
        int64_t x = static_cast<int64_t>(rng() % 50);
        auto r = t->BatchWrite(
            {WriteRequest::Put(
                 MakeItem("acct" + std::to_string(a), std::nullopt, va - x)),
             WriteRequest::Put(
                 MakeItem("acct" + std::to_string(b), std::nullopt, vb + x))});
        ASSERT_TRUE(r.ok()) << r.status().ToString();
        ++transfers;
      }
    });
  }
  for (int round = 0; round < 5; ++round) {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Snapshot> snap, t->GetSnapshot());
    std::vector<Item> items = ScanAll(*t, snap.get(), /*page=*/3);
    int64_t total = 0;
    for (const Item& i : items) total += *i.Find("v")->n().ToInt64();
    EXPECT_EQ(items.size(), static_cast<size_t>(kAccounts));
    EXPECT_EQ(total, kAccounts * kInitial) << "round " << round;
    // Replay the stream to the snapshot's sequence.
    std::map<std::string, Item> replay;
    auto reader = t->OpenStream(StreamPosition::TrimHorizon());
    ASSERT_TRUE(reader.ok());
    bool done = false;
    while (!done) {
      std::vector<ChangeRecord> recs;
      ASSERT_OK((*reader)->Read(100, &recs));
      ASSERT_FALSE(recs.empty()) << "stream ended before the snapshot";
      for (auto& r : recs) {
        if (r.sequence > snap->sequence()) {
          done = true;
          break;
        }
        std::string key = r.keys.Find("pk")->s();
        if (r.new_image) {
          replay[key] = *r.new_image;
        } else {
          replay.erase(key);
        }
        if (r.sequence == snap->sequence()) done = true;
      }
    }
    std::map<std::string, Item> at_snapshot;
    for (Item& i : items) at_snapshot[i.Find("pk")->s()] = i;
    EXPECT_TRUE(replay == at_snapshot) << "round " << round;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stop = true;
  for (auto& th : writers) th.join();
  EXPECT_GT(transfers.load(), 0);
  // A snapshot of one table is refused by another.
  auto other = Create("Other");
  ASSERT_OK_AND_ASSIGN(auto snap, t->GetSnapshot());
  ScanOptions so;
  so.snapshot = snap.get();
  EXPECT_TRUE(other->Scan(so).status().IsInvalidArgument());
}

TEST_F(StreamTest, SnapshotDoesNotSeeLaterWrites) {
  auto t = Create("Items");
  ASSERT_OK(t->Put(MakeItem("a", std::nullopt, 1)).status());
  ASSERT_OK_AND_ASSIGN(auto snap, t->GetSnapshot());
  EXPECT_EQ(snap->sequence(), 1u);
  ASSERT_OK(t->Put(MakeItem("a", std::nullopt, 2)).status());
  ASSERT_OK(t->Put(MakeItem("b", std::nullopt, 1)).status());
  ASSERT_OK(store_->Flush());
  auto items = ScanAll(*t, snap.get());
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0], MakeItem("a", std::nullopt, 1));
  EXPECT_EQ(ScanAll(*t).size(), 2u);
  ASSERT_OK_AND_ASSIGN(auto snap2, t->GetSnapshot());
  EXPECT_EQ(snap2->sequence(), 3u);
}

}  // namespace
}  // namespace godwit::test
