// The Store/Table API on the local store: tables, items, conditions, batch
// writes, queries, scans, segments and page tokens.
#include <algorithm>
#include <atomic>
#include <cctype>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "godwit/codec.h"
#include "store/store_test_util.h"
#include "testutil/random_item.h"
#include "testutil/temp_dir.h"

namespace godwit::test {
namespace {

class LocalStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void Open() {
    auto r = LocalStore::Open(TestOptions(dir_.Join("db")));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    store_ = std::move(r).value();
  }
  void Reopen() {
    store_.reset();
    Open();
  }
  std::shared_ptr<Table> Create(const std::string& name, KeySchema schema,
                                bool stream = true) {
    Status s = store_->CreateTable(name, {schema, stream});
    EXPECT_TRUE(s.ok()) << s.ToString();
    auto t = store_->GetTable(name);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? *t : nullptr;
  }

  TempDir dir_;
  std::unique_ptr<LocalStore> store_;
};

TEST_F(LocalStoreTest, CreateListDescribeDrop) {
  ASSERT_OK(store_->CreateTable("Orders", {HashRangeSchema(), true}));
  ASSERT_OK(store_->CreateTable("Orders.v2", {HashSchema(), false}));
  EXPECT_EQ(store_->CreateTable("Orders", {HashSchema(), true}).code(),
            StatusCode::kAlreadyExists);
  ASSERT_OK_AND_ASSIGN(auto names, store_->ListTables());
  EXPECT_EQ(names, (std::vector<std::string>{"Orders", "Orders.v2"}));
  ASSERT_OK_AND_ASSIGN(TableDescription d, store_->DescribeTable("Orders"));
  EXPECT_EQ(d.name, "Orders");
  EXPECT_EQ(d.key_schema, HashRangeSchema());
  EXPECT_TRUE(d.stream_enabled);
  EXPECT_EQ(d.item_count, 0u);
  EXPECT_EQ(d.latest_sequence, 0u);
  EXPECT_EQ(d.stream_first_sequence, 1u);
  EXPECT_GT(d.created_micros, 0);
  ASSERT_OK_AND_ASSIGN(d, store_->DescribeTable("Orders.v2"));
  EXPECT_FALSE(d.stream_enabled);

  ASSERT_OK(store_->DropTable("Orders"));
  EXPECT_TRUE(store_->GetTable("Orders").status().IsNotFound());
  EXPECT_TRUE(store_->DropTable("Orders").IsNotFound());
  EXPECT_TRUE(store_->DescribeTable("nope").status().IsNotFound());
  ASSERT_OK_AND_ASSIGN(names, store_->ListTables());
  EXPECT_EQ(names, (std::vector<std::string>{"Orders.v2"}));
}

TEST_F(LocalStoreTest, TableNamesFollowDynamoDbRules) {
  KeySchema s = HashSchema();
  EXPECT_TRUE(store_->CreateTable("ab", {s, true}).IsInvalidArgument());
  EXPECT_TRUE(store_->CreateTable(std::string(256, 'a'), {s, true})
                  .IsInvalidArgument());
  EXPECT_TRUE(store_->CreateTable("has space", {s, true}).IsInvalidArgument());
  EXPECT_TRUE(store_->CreateTable("sl/ash", {s, true}).IsInvalidArgument());
  EXPECT_OK(store_->CreateTable("abc", {s, true}));
  EXPECT_OK(store_->CreateTable(std::string(255, 'z'), {s, true}));
  EXPECT_OK(store_->CreateTable("A-b_c.9", {s, true}));
}

TEST_F(LocalStoreTest, BadSchemasAreRejected) {
  KeySchema bool_key{{"pk", AttrType::kBool}, std::nullopt};
  EXPECT_TRUE(store_->CreateTable("t1x", {bool_key, true}).IsInvalidArgument());
  KeySchema same{{"pk", AttrType::kS}, KeyAttribute{"pk", AttrType::kN}};
  EXPECT_TRUE(store_->CreateTable("t2x", {same, true}).IsInvalidArgument());
  KeySchema empty{{"", AttrType::kS}, std::nullopt};
  EXPECT_TRUE(store_->CreateTable("t3x", {empty, true}).IsInvalidArgument());
}

// No secondary indexes here: a table asking for one is refused (and not
// created); billing settings are accepted and ignored.
TEST_F(LocalStoreTest, SecondaryIndexesAreUnimplementedBillingIsIgnored) {
  TableOptions o;
  o.key_schema = HashRangeSchema();
  SecondaryIndex gsi;
  gsi.name = "by_other";
  gsi.key_schema = KeySchema{{"other", AttrType::kS}, std::nullopt};
  o.indexes.push_back(gsi);
  Status s = store_->CreateTable("Indexed", o);
  EXPECT_EQ(s.code(), StatusCode::kUnimplemented) << s.ToString();
  EXPECT_NE(s.message().find("the local store has no secondary indexes"),
            std::string_view::npos)
      << s.ToString();
  EXPECT_NE(s.message().find("by_other"), std::string_view::npos)
      << s.ToString();
  EXPECT_TRUE(store_->DescribeTable("Indexed").status().IsNotFound());

  o.indexes.clear();
  o.billing = BillingMode::kProvisioned;
  o.read_capacity = 5;
  o.write_capacity = 7;
  ASSERT_OK(store_->CreateTable("Billed", o));
  ASSERT_OK_AND_ASSIGN(TableDescription d, store_->DescribeTable("Billed"));
  EXPECT_EQ(d.billing, BillingMode::kDefault);
  EXPECT_EQ(d.read_capacity, 0);
  EXPECT_EQ(d.write_capacity, 0);
  EXPECT_TRUE(d.indexes.empty());
}

TEST_F(LocalStoreTest, PutGetDeleteReturnOldItems) {
  auto t = Create("Items", HashSchema());
  ASSERT_OK_AND_ASSIGN(auto old, t->Put(MakeItem("a", std::nullopt, 1)));
  EXPECT_FALSE(old.has_value());
  ASSERT_OK_AND_ASSIGN(old, t->Put(MakeItem("a", std::nullopt, 2)));
  ASSERT_TRUE(old.has_value());
  EXPECT_EQ(*old, MakeItem("a", std::nullopt, 1));
  ASSERT_OK_AND_ASSIGN(auto got, t->Get(HashKey("a")));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, MakeItem("a", std::nullopt, 2));
  ASSERT_OK_AND_ASSIGN(got, t->Get(HashKey("b")));
  EXPECT_FALSE(got.has_value());
  ASSERT_OK_AND_ASSIGN(old, t->Delete(HashKey("a")));
  ASSERT_TRUE(old.has_value());
  EXPECT_EQ(*old, MakeItem("a", std::nullopt, 2));
  ASSERT_OK_AND_ASSIGN(old, t->Delete(HashKey("a")));
  EXPECT_FALSE(old.has_value());
  ASSERT_OK_AND_ASSIGN(got, t->Get(HashKey("a")));
  EXPECT_FALSE(got.has_value());
}

TEST_F(LocalStoreTest, InvalidItemsAndKeysAreRejected) {
  auto t = Create("Items", HashRangeSchema(AttrType::kN));
  Item no_key;
  no_key.Set("x", S("y"));
  EXPECT_TRUE(t->Put(no_key).status().IsInvalidArgument());
  Item wrong_type = MakeItem("a", S("not a number"), 1);
  EXPECT_TRUE(t->Put(wrong_type).status().IsInvalidArgument());
  Item empty_pk = MakeItem("", N(1), 1);
  EXPECT_TRUE(t->Put(empty_pk).status().IsInvalidArgument());
  // Keys: missing sort key, extra sort key, wrong type.
  EXPECT_TRUE(t->Get(HashKey("a")).status().IsInvalidArgument());
  EXPECT_TRUE(t->Get(RangeKey("a", S("x"))).status().IsInvalidArgument());
  EXPECT_TRUE(t->Delete(HashKey("a")).status().IsInvalidArgument());
  auto h = Create("HashOnly", HashSchema());
  EXPECT_TRUE(h->Get(RangeKey("a", S("x"))).status().IsInvalidArgument());
  // Too large an item.
  Item big = MakeItem("a", N(1), 1);
  big.Set("blob", AttributeValue::B(std::string(kMaxItemSize + 1, 'x')));
  EXPECT_TRUE(t->Put(big).status().IsInvalidArgument());
  ASSERT_OK_AND_ASSIGN(TableDescription d, t->Describe());
  EXPECT_EQ(d.item_count, 0u);
  EXPECT_EQ(d.latest_sequence, 0u);
}

TEST_F(LocalStoreTest, ConditionsOnPut) {
  auto t = Create("Items", HashSchema());
  Item v1 = MakeItem("a", std::nullopt, 1);
  Item v2 = MakeItem("a", std::nullopt, 2);
  // Exists on an absent item fails; NotExists succeeds once.
  EXPECT_TRUE(t->Put(v1, Condition::Exists()).status().IsAborted());
  ASSERT_OK(t->Put(v1, Condition::NotExists()).status());
  EXPECT_TRUE(t->Put(v2, Condition::NotExists()).status().IsAborted());
  // AttributeEquals: wrong value, missing attribute, then right value.
  EXPECT_TRUE(
      t->Put(v2, Condition::AttributeEquals("v", N(7))).status().IsAborted());
  EXPECT_TRUE(t->Put(v2, Condition::AttributeEquals("missing", N(1)))
                  .status()
                  .IsAborted());
  EXPECT_TRUE(
      t->Put(v2, Condition::AttributeEquals("v", S("1"))).status().IsAborted());
  ASSERT_OK_AND_ASSIGN(auto got, t->Get(HashKey("a")));
  EXPECT_EQ(*got, v1);  // nothing changed by failed conditions
  ASSERT_OK(t->Put(v2, Condition::AttributeEquals("v", N(1))).status());
  ASSERT_OK(t->Put(v1, Condition::Exists()).status());
  ASSERT_OK_AND_ASSIGN(got, t->Get(HashKey("a")));
  EXPECT_EQ(*got, v1);
  EXPECT_TRUE(t->Put(v1, Condition::AttributeEquals("", N(1)))
                  .status()
                  .IsInvalidArgument());
  // Failed conditions write no change record.
  ASSERT_OK_AND_ASSIGN(TableDescription d, t->Describe());
  EXPECT_EQ(d.latest_sequence, 3u);
  EXPECT_EQ(ReadAll(*t).size(), 3u);
}

TEST_F(LocalStoreTest, ConditionsOnDelete) {
  auto t = Create("Items", HashSchema());
  ASSERT_OK(t->Put(MakeItem("a", std::nullopt, 1)).status());
  EXPECT_TRUE(
      t->Delete(HashKey("b"), Condition::Exists()).status().IsAborted());
  EXPECT_TRUE(
      t->Delete(HashKey("a"), Condition::NotExists()).status().IsAborted());
  EXPECT_TRUE(t->Delete(HashKey("a"), Condition::AttributeEquals("v", N(2)))
                  .status()
                  .IsAborted());
  ASSERT_OK_AND_ASSIGN(auto got, t->Get(HashKey("a")));
  EXPECT_TRUE(got.has_value());
  ASSERT_OK_AND_ASSIGN(
      auto old, t->Delete(HashKey("a"), Condition::AttributeEquals("v", N(1))));
  EXPECT_TRUE(old.has_value());
  ASSERT_OK_AND_ASSIGN(got, t->Get(HashKey("a")));
  EXPECT_FALSE(got.has_value());
}

TEST_F(LocalStoreTest, ConditionalPutsAreAtomicUnderContention) {
  // Many threads race to create the same keys with NotExists: exactly one
  // wins each key.
  auto t = Create("Items", HashSchema());
  constexpr int kThreads = 8, kKeys = 50;
  std::atomic<int> wins{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      for (int k = 0; k < kKeys; ++k) {
        auto r = t->Put(MakeItem("k" + std::to_string(k), std::nullopt, i),
                        Condition::NotExists());
        if (r.ok()) {
          ++wins;
        } else {
          EXPECT_TRUE(r.status().IsAborted()) << r.status().ToString();
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wins.load(), kKeys);
  ASSERT_OK_AND_ASSIGN(TableDescription d, t->Describe());
  EXPECT_EQ(d.item_count, static_cast<uint64_t>(kKeys));
  EXPECT_EQ(d.latest_sequence, static_cast<uint64_t>(kKeys));
}

TEST_F(LocalStoreTest, BatchWriteLimitsAndDuplicates) {
  auto t = Create("Items", HashSchema());
  std::vector<WriteRequest> too_many;
  for (int i = 0; i < 26; ++i) {
    too_many.push_back(
        WriteRequest::Put(MakeItem("k" + std::to_string(i), std::nullopt, i)));
  }
  EXPECT_TRUE(t->BatchWrite(too_many).status().IsInvalidArgument());
  EXPECT_TRUE(t->BatchWrite({}).status().IsInvalidArgument());
  // Duplicate keys, also a put and a delete of one key: nothing written.
  std::vector<WriteRequest> dup = {
      WriteRequest::Put(MakeItem("a", std::nullopt, 1)),
      WriteRequest::Put(MakeItem("b", std::nullopt, 1)),
      WriteRequest::Delete(HashKey("a"))};
  Status s = t->BatchWrite(dup).status();
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.message().find("same key"), std::string_view::npos);
  // An invalid entry: nothing written.
  Item bad;
  bad.Set("nokey", N(1));
  std::vector<WriteRequest> with_bad = {
      WriteRequest::Put(MakeItem("c", std::nullopt, 1)),
      WriteRequest::Put(bad)};
  EXPECT_TRUE(t->BatchWrite(with_bad).status().IsInvalidArgument());
  ASSERT_OK_AND_ASSIGN(TableDescription d, t->Describe());
  EXPECT_EQ(d.item_count, 0u);
  EXPECT_EQ(d.latest_sequence, 0u);

  // 25 is fine; a later batch mixes puts and deletes.
  too_many.pop_back();
  ASSERT_OK_AND_ASSIGN(BatchWriteResult r, t->BatchWrite(too_many));
  EXPECT_TRUE(r.unprocessed.empty());
  ASSERT_OK_AND_ASSIGN(
      r, t->BatchWrite({WriteRequest::Delete(HashKey("k0")),
                        WriteRequest::Delete(HashKey("absent")),
                        WriteRequest::Put(MakeItem("k1", std::nullopt, 100))}));
  ASSERT_OK_AND_ASSIGN(d, t->Describe());
  EXPECT_EQ(d.item_count, 24u);
  EXPECT_EQ(d.latest_sequence, 27u);  // 25 inserts, a remove, a modify
  ASSERT_OK_AND_ASSIGN(auto got, t->Get(HashKey("k1")));
  EXPECT_EQ(*got, MakeItem("k1", std::nullopt, 100));
}

class ScriptedFaults : public FaultInjector {
 public:
  Status BeforeWrite(std::string_view table, std::string_view op) override {
    if (throttle_next.exchange(false)) {
      return Status::ResourceExhausted("throttled (test)");
    }
    return Status::OK();
  }
  size_t UnprocessedCount(std::string_view table, size_t n) override {
    return unprocessed.exchange(0);
  }
  std::atomic<bool> throttle_next{false};
  std::atomic<size_t> unprocessed{0};
};

TEST(LocalStoreFaultTest, UnprocessedEntriesAndThrottling) {
  TempDir dir;
  auto faults = std::make_shared<ScriptedFaults>();
  LocalStoreOptions o = TestOptions(dir.Join("db"));
  o.fault_injector = faults;
  ASSERT_OK_AND_ASSIGN(auto store, LocalStore::Open(o));
  ASSERT_OK(store->CreateTable("Items", {HashSchema(), true}));
  ASSERT_OK_AND_ASSIGN(auto t, store->GetTable("Items"));
  std::vector<WriteRequest> batch;
  for (int i = 0; i < 10; ++i) {
    batch.push_back(
        WriteRequest::Put(MakeItem("k" + std::to_string(i), std::nullopt, i)));
  }
  faults->unprocessed = 4;
  ASSERT_OK_AND_ASSIGN(BatchWriteResult r, t->BatchWrite(batch));
  ASSERT_EQ(r.unprocessed.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(r.unprocessed[i].item, batch[6 + i].item);
  }
  ASSERT_OK_AND_ASSIGN(TableDescription d, t->Describe());
  EXPECT_EQ(d.item_count, 6u);
  faults->throttle_next = true;
  Status s = t->BatchWrite(r.unprocessed).status();
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(s.retryable());
  ASSERT_OK_AND_ASSIGN(r, t->BatchWrite(r.unprocessed));
  EXPECT_TRUE(r.unprocessed.empty());
  faults->throttle_next = true;
  EXPECT_EQ(t->Put(MakeItem("x", std::nullopt, 1)).status().code(),
            StatusCode::kResourceExhausted);
  ASSERT_OK_AND_ASSIGN(d, t->Describe());
  EXPECT_EQ(d.item_count, 10u);
  EXPECT_EQ(d.latest_sequence, 10u);
}

std::vector<int64_t> SortValues(const std::vector<Item>& items) {
  std::vector<int64_t> out;
  for (const Item& i : items) out.push_back(*i.Find("sk")->n().ToInt64());
  return out;
}

TEST_F(LocalStoreTest, QueryOrdersNumberSortKeysNumerically) {
  auto t = Create("Items", HashRangeSchema(AttrType::kN));
  std::vector<int64_t> values = {100, -5, 0, 7, -1000, 42, 3, 1000000, -1, 10};
  for (int64_t v : values) {
    ASSERT_OK(t->Put(MakeItem("p", N(v), v)).status());
    ASSERT_OK(t->Put(MakeItem("other", N(v), v)).status());
  }
  std::vector<int64_t> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  QueryOptions q;
  q.hash = S("p");
  ASSERT_OK_AND_ASSIGN(Page page, t->Query(q));
  EXPECT_EQ(SortValues(page.items), sorted);
  EXPECT_TRUE(page.next_page_token.empty());
  q.forward = false;
  ASSERT_OK_AND_ASSIGN(page, t->Query(q));
  std::vector<int64_t> reversed(sorted.rbegin(), sorted.rend());
  EXPECT_EQ(SortValues(page.items), reversed);
  // Fractions sort between integers.
  ASSERT_OK(t->Put(MakeItem("f", NText("1.5"), 0)).status());
  ASSERT_OK(t->Put(MakeItem("f", NText("-0.25"), 0)).status());
  ASSERT_OK(t->Put(MakeItem("f", NText("12"), 0)).status());
  ASSERT_OK(t->Put(MakeItem("f", NText("1E-100"), 0)).status());
  q = {};
  q.hash = S("f");
  ASSERT_OK_AND_ASSIGN(page, t->Query(q));
  ASSERT_EQ(page.items.size(), 4u);
  EXPECT_EQ(page.items[0].Find("sk")->n().text(), "-0.25");
  EXPECT_EQ(page.items[1].Find("sk")->n(), NText("1E-100").n());
  EXPECT_EQ(page.items[2].Find("sk")->n().text(), "1.5");
  EXPECT_EQ(page.items[3].Find("sk")->n().text(), "12");
}

TEST_F(LocalStoreTest, QueryOrdersBinarySortKeysBytewise) {
  auto t = Create("Items", HashRangeSchema(AttrType::kB));
  std::vector<std::string> keys = {std::string("\xff", 1),
                                   std::string("\0", 1),
                                   std::string("\0\0", 2),
                                   "a",
                                   std::string("a\0", 2),
                                   std::string("\x80", 1),
                                   "ab",
                                   std::string("\x01\xff", 2)};
  for (const auto& k : keys) {
    ASSERT_OK(t->Put(MakeItem("p", AttributeValue::B(k), 1)).status());
  }
  std::vector<std::string> sorted = keys;
  std::sort(sorted.begin(), sorted.end(),
            [](const std::string& a, const std::string& b) {
              return std::lexicographical_compare(
                  a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
                    return static_cast<unsigned char>(x) <
                           static_cast<unsigned char>(y);
                  });
            });
  QueryOptions q;
  q.hash = S("p");
  ASSERT_OK_AND_ASSIGN(Page page, t->Query(q));
  std::vector<std::string> got;
  for (const Item& i : page.items) got.push_back(i.Find("sk")->b());
  EXPECT_EQ(got, sorted);
  // begins_with on binary, with a NUL in the prefix.
  q.range = {RangeCondition::Op::kBeginsWith,
             AttributeValue::B(std::string("\0", 1)),
             {}};
  ASSERT_OK_AND_ASSIGN(page, t->Query(q));
  got.clear();
  for (const Item& i : page.items) got.push_back(i.Find("sk")->b());
  EXPECT_EQ(got, (std::vector<std::string>{std::string("\0", 1),
                                           std::string("\0\0", 2)}));
}

TEST_F(LocalStoreTest, QueryRangeConditionsMatchBruteForce) {
  auto t = Create("Items", HashRangeSchema(AttrType::kS));
  std::vector<std::string> sks = {
      "a",  "ab", "abc", "abd", "b",
      "ba", "c",  "ca",  "cab", std::string("a\0b", 3),
      "z",  "zz"};
  for (const auto& s : sks) ASSERT_OK(t->Put(MakeItem("p", S(s), 1)).status());
  ASSERT_OK(t->Put(MakeItem("q", S("abc"), 1)).status());
  std::sort(sks.begin(), sks.end());
  using Op = RangeCondition::Op;
  struct Case {
    Op op;
    std::string a, b;
  };
  std::vector<Case> cases = {
      {Op::kEq, "abc", ""},        {Op::kEq, "nope", ""},
      {Op::kLt, "b", ""},          {Op::kLe, "b", ""},
      {Op::kGt, "b", ""},          {Op::kGe, "b", ""},
      {Op::kBetween, "ab", "c"},   {Op::kBetween, "abd", "abd"},
      {Op::kBeginsWith, "ab", ""}, {Op::kBeginsWith, "a", ""},
      {Op::kBeginsWith, "c", ""},  {Op::kBeginsWith, "zzz", ""},
      {Op::kLt, "a", ""},          {Op::kGt, "zz", ""}};
  for (const Case& c : cases) {
    std::vector<std::string> want;
    for (const auto& s : sks) {
      bool in = false;
      switch (c.op) {
        case Op::kEq:
          in = s == c.a;
          break;
        case Op::kLt:
          in = s < c.a;
          break;
        case Op::kLe:
          in = s <= c.a;
          break;
        case Op::kGt:
          in = s > c.a;
          break;
        case Op::kGe:
          in = s >= c.a;
          break;
        case Op::kBetween:
          in = s >= c.a && s <= c.b;
          break;
        case Op::kBeginsWith:
          in = s.compare(0, c.a.size(), c.a) == 0;
          break;
        default:
          break;
      }
      if (in) want.push_back(s);
    }
    for (bool forward : {true, false}) {
      // Also page through it two at a time.
      QueryOptions q;
      q.hash = S("p");
      q.range = {c.op, S(c.a), S(c.b)};
      q.forward = forward;
      q.limit = 2;
      std::vector<std::string> got;
      while (true) {
        ASSERT_OK_AND_ASSIGN(Page page, t->Query(q));
        EXPECT_LE(page.items.size(), 2u);
        for (const Item& i : page.items) got.push_back(i.Find("sk")->s());
        if (page.next_page_token.empty()) break;
        q.page_token = page.next_page_token;
      }
      std::vector<std::string> expect = want;
      if (!forward) std::reverse(expect.begin(), expect.end());
      EXPECT_EQ(got, expect) << "op " << static_cast<int>(c.op) << " " << c.a
                             << " forward " << forward;
    }
  }
}

TEST_F(LocalStoreTest, QueryRejectsBadConditions) {
  auto t = Create("Items", HashRangeSchema(AttrType::kN));
  QueryOptions q;
  q.hash = N(1);  // partition key is S
  EXPECT_TRUE(t->Query(q).status().IsInvalidArgument());
  q.hash = S("");
  EXPECT_TRUE(t->Query(q).status().IsInvalidArgument());
  q.hash = S("p");
  q.range = {RangeCondition::Op::kEq, S("x"), {}};
  EXPECT_TRUE(t->Query(q).status().IsInvalidArgument());
  q.range = {RangeCondition::Op::kBeginsWith, N(1), {}};
  EXPECT_TRUE(t->Query(q).status().IsInvalidArgument());
  q.range = {RangeCondition::Op::kBetween, N(5), N(1)};
  EXPECT_TRUE(t->Query(q).status().IsInvalidArgument());
  q.range = {};
  q.limit = 0;
  EXPECT_TRUE(t->Query(q).status().IsInvalidArgument());
  auto h = Create("HashOnly", HashSchema());
  QueryOptions hq;
  hq.hash = S("p");
  hq.range = {RangeCondition::Op::kEq, S("x"), {}};
  EXPECT_TRUE(h->Query(hq).status().IsInvalidArgument());
  // A hash-only table: Query returns the one item.
  ASSERT_OK(h->Put(MakeItem("p", std::nullopt, 1)).status());
  hq.range = {};
  ASSERT_OK_AND_ASSIGN(Page page, h->Query(hq));
  ASSERT_EQ(page.items.size(), 1u);
}

TEST_F(LocalStoreTest, PageTokensAreValidated) {
  auto t = Create("Items", HashRangeSchema(AttrType::kN));
  for (int i = 0; i < 10; ++i) {
    ASSERT_OK(t->Put(MakeItem("p", N(i), i)).status());
    ASSERT_OK(t->Put(MakeItem("q", N(i), i)).status());
  }
  QueryOptions q;
  q.hash = S("p");
  q.limit = 3;
  ASSERT_OK_AND_ASSIGN(Page page, t->Query(q));
  ASSERT_EQ(page.items.size(), 3u);
  ASSERT_FALSE(page.next_page_token.empty());
  const std::string token = page.next_page_token;
  // Garbage of every kind.
  std::vector<std::string> garbage = {
      "x",          "zz",
      "0",          "abc",
      "0102",       std::string(64, 'f'),
      token + "00", token.substr(0, token.size() - 2)};
  std::string flipped = token;
  flipped[flipped.size() / 2] = flipped[flipped.size() / 2] == '0' ? '1' : '0';
  garbage.push_back(flipped);
  std::string upper = token;
  for (char& c : upper) c = static_cast<char>(std::toupper(c));
  if (upper != token) garbage.push_back(upper);
  for (const auto& g : garbage) {
    q.page_token = g;
    EXPECT_TRUE(t->Query(q).status().IsInvalidArgument()) << g;
    ScanOptions so;
    so.page_token = g;
    EXPECT_TRUE(t->Scan(so).status().IsInvalidArgument()) << g;
  }
  // A query token is not a scan token, and belongs to its partition.
  ScanOptions so;
  so.page_token = token;
  EXPECT_TRUE(t->Scan(so).status().IsInvalidArgument());
  q.hash = S("q");
  q.page_token = token;
  EXPECT_TRUE(t->Query(q).status().IsInvalidArgument());
  // The real token continues where the page ended.
  q.hash = S("p");
  ASSERT_OK_AND_ASSIGN(page, t->Query(q));
  EXPECT_EQ(SortValues(page.items), (std::vector<int64_t>{3, 4, 5}));
  // A scan token of segment 0 of 2 is refused by segment 1.
  ScanOptions s0;
  s0.total_segments = 2;
  s0.limit = 1;
  std::string scan_token;
  while (true) {
    ASSERT_OK_AND_ASSIGN(Page p0, t->Scan(s0));
    if (p0.next_page_token.empty()) break;
    scan_token = p0.next_page_token;
    break;
  }
  if (!scan_token.empty()) {
    ScanOptions s1;
    s1.total_segments = 2;
    s1.segment = 1;
    s1.page_token = scan_token;
    EXPECT_TRUE(t->Scan(s1).status().IsInvalidArgument());
  }
  // Exactly `limit` items left: the last page has no token.
  q.page_token.clear();
  q.limit = 10;
  ASSERT_OK_AND_ASSIGN(page, t->Query(q));
  EXPECT_EQ(page.items.size(), 10u);
  EXPECT_TRUE(page.next_page_token.empty());
}

TEST_F(LocalStoreTest, ScanSegmentsPartitionTheTable) {
  auto t = Create("Items", HashRangeSchema(AttrType::kN));
  std::set<std::string> all;
  for (int i = 0; i < 300; ++i) {
    std::string pk = "p" + std::to_string(i % 97);
    ASSERT_OK(t->Put(MakeItem(pk, N(i), i)).status());
    all.insert(pk + "/" + std::to_string(i));
  }
  ASSERT_OK(store_->Flush());  // half in SST files, half in the memtable
  for (int i = 300; i < 500; ++i) {
    std::string pk = "p" + std::to_string(i % 97);
    ASSERT_OK(t->Put(MakeItem(pk, N(i), i)).status());
    all.insert(pk + "/" + std::to_string(i));
  }
  for (int total : {1, 3, 16}) {
    std::multiset<std::string> seen;
    int nonempty = 0;
    for (int seg = 0; seg < total; ++seg) {
      ScanOptions so;
      so.segment = seg;
      so.total_segments = total;
      so.limit = 7;
      size_t in_segment = 0;
      while (true) {
        ASSERT_OK_AND_ASSIGN(Page page, t->Scan(so));
        EXPECT_LE(page.items.size(), 7u);
        for (const Item& i : page.items) {
          seen.insert(i.Find("pk")->s() + "/" +
                      std::to_string(*i.Find("sk")->n().ToInt64()));
        }
        in_segment += page.items.size();
        if (page.next_page_token.empty()) break;
        so.page_token = page.next_page_token;
      }
      if (in_segment) ++nonempty;
    }
    EXPECT_EQ(seen.size(), all.size()) << total;
    EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), all) << total;
    if (total > 1) {
      EXPECT_GT(nonempty, 1) << total;
    }
  }
  ScanOptions bad;
  bad.total_segments = 0;
  EXPECT_TRUE(t->Scan(bad).status().IsInvalidArgument());
  bad.total_segments = 2;
  bad.segment = 2;
  EXPECT_TRUE(t->Scan(bad).status().IsInvalidArgument());
  bad.segment = -1;
  EXPECT_TRUE(t->Scan(bad).status().IsInvalidArgument());
  bad.segment = 0;
  bad.total_segments = 1000001;
  EXPECT_TRUE(t->Scan(bad).status().IsInvalidArgument());
}

TEST_F(LocalStoreTest, PagesStopAfterAboutOneMebibyte) {
  auto t = Create("Items", HashRangeSchema(AttrType::kN));
  for (int i = 0; i < 12; ++i) {
    Item item = MakeItem("p", N(i), i);
    item.Set("blob", AttributeValue::B(std::string(300 * 1024, 'x')));
    ASSERT_OK(t->Put(item).status());
  }
  QueryOptions q;
  q.hash = S("p");
  size_t total = 0, pages = 0;
  while (true) {
    ASSERT_OK_AND_ASSIGN(Page page, t->Query(q));
    EXPECT_LE(page.items.size(), 4u);  // 4 x 300 KiB >= 1 MiB
    EXPECT_GE(page.items.size(), 1u);
    total += page.items.size();
    ++pages;
    if (page.next_page_token.empty()) break;
    q.page_token = page.next_page_token;
  }
  EXPECT_EQ(total, 12u);
  EXPECT_EQ(pages, 3u);
  EXPECT_EQ(ScanAll(*t).size(), 12u);
  ScanOptions so;
  ASSERT_OK_AND_ASSIGN(Page page, t->Scan(so));
  EXPECT_EQ(page.items.size(), 4u);
}

TEST_F(LocalStoreTest, DescribeCountsItemsAndSizeAcrossReopen) {
  auto t = Create("Items", HashSchema());
  for (int i = 0; i < 20; ++i) {
    ASSERT_OK(
        t->Put(MakeItem("k" + std::to_string(i), std::nullopt, i)).status());
  }
  for (int i = 0; i < 5; ++i) {
    ASSERT_OK(t->Delete(HashKey("k" + std::to_string(i))).status());
  }
  ASSERT_OK(t->Put(MakeItem("k10", std::nullopt, 123456789)).status());
  ASSERT_OK_AND_ASSIGN(TableDescription d, t->Describe());
  EXPECT_EQ(d.item_count, 15u);
  EXPECT_EQ(d.latest_sequence, 26u);
  uint64_t size = 0;
  for (const Item& i : ScanAll(*t)) {
    std::string enc;
    EncodeItem(i, &enc);
    size += enc.size();
  }
  EXPECT_EQ(d.size_bytes, size);
  t.reset();
  Reopen();
  ASSERT_OK_AND_ASSIGN(TableDescription d2, store_->DescribeTable("Items"));
  EXPECT_EQ(d2.item_count, 15u);
  EXPECT_EQ(d2.size_bytes, size);
  EXPECT_EQ(d2.latest_sequence, 26u);
  EXPECT_EQ(d2.created_micros, d.created_micros);
  ASSERT_OK_AND_ASSIGN(t, store_->GetTable("Items"));
  EXPECT_EQ(ScanAll(*t).size(), 15u);
}

TEST_F(LocalStoreTest, DroppedTableHandlesFailAndNameCanBeReused) {
  auto t = Create("Items", HashSchema());
  ASSERT_OK(t->Put(MakeItem("a", std::nullopt, 1)).status());
  ASSERT_OK_AND_ASSIGN(auto reader,
                       t->OpenStream(StreamPosition::TrimHorizon()));
  ASSERT_OK(store_->DropTable("Items"));
  EXPECT_TRUE(t->Get(HashKey("a")).status().IsNotFound());
  EXPECT_TRUE(t->Put(MakeItem("a", std::nullopt, 1)).status().IsNotFound());
  EXPECT_TRUE(t->Scan({}).status().IsNotFound());
  std::vector<ChangeRecord> recs;
  EXPECT_TRUE(reader->Read(10, &recs).IsNotFound());
  auto t2 = Create("Items", HashSchema());
  ASSERT_OK_AND_ASSIGN(auto got, t2->Get(HashKey("a")));
  EXPECT_FALSE(got.has_value());
  EXPECT_TRUE(ReadAll(*t2).empty());
  ASSERT_OK(t2->Put(MakeItem("b", std::nullopt, 2)).status());
  t.reset();
  reader.reset();
  t2.reset();
  Reopen();
  ASSERT_OK_AND_ASSIGN(auto t3, store_->GetTable("Items"));
  auto items = ScanAll(*t3);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0], MakeItem("b", std::nullopt, 2));
}

TEST_F(LocalStoreTest, SecondOpenOfTheSameDirectoryFails) {
  auto second = LocalStore::Open(TestOptions(dir_.Join("db")));
  EXPECT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kIOError)
      << second.status().ToString();
}

TEST(LocalStoreOpenTest, MissingStoreWithoutCreateIsNotFound) {
  TempDir dir;
  LocalStoreOptions o = TestOptions(dir.Join("a/b/c"));
  o.create_if_missing = false;
  EXPECT_TRUE(LocalStore::Open(o).status().IsNotFound());
  o.create_if_missing = true;  // creates parents too
  EXPECT_OK(LocalStore::Open(o).status());
  o.path = "";
  EXPECT_TRUE(LocalStore::Open(o).status().IsInvalidArgument());
}

TEST_F(LocalStoreTest, RandomItemsRoundTripThroughTheStore) {
  KeySchema schema = HashRangeSchema(AttrType::kN);
  auto t = Create("Items", schema);
  std::mt19937_64 rng(42);
  RandomItemOptions ro;
  ro.schema = &schema;
  std::map<std::string, Item> want;
  for (int i = 0; i < 200; ++i) {
    Item item = RandomItem(rng, ro);
    Key key = ExtractKey(item, schema).value();
    ASSERT_OK(t->Put(item).status()) << DebugString(item);
    want[DebugString(KeyToItem(key, schema))] = item;
  }
  std::map<std::string, Item> got;
  for (Item& i : ScanAll(*t)) {
    got[DebugString(KeyToItem(ExtractKey(i, schema).value(), schema))] = i;
  }
  EXPECT_EQ(got.size(), want.size());
  EXPECT_TRUE(got == want);
}

}  // namespace
}  // namespace godwit::test
