// The Lua view of items: every type there and back, bit-exact pass-through,
// Lua-built values, decimals, sets, lists and maps.
#include <gtest/gtest.h>

#include <random>

#include "godwit/codec.h"
#include "godwit/transform.h"
#include "testutil/random_item.h"
#include "transform/decimal.h"
#include "transform/transform_test_util.h"

namespace godwit::test {
namespace {

Item AllTypes() {
  Item it;
  it.Set("pk", S("ORDER#1"));
  it.Set("s", S("h\xc3\xa9llo \"q\" \\ \n"));
  it.Set("empty", S(""));
  it.Set("n_int", N("42"));
  it.Set("n_neg", N("-7"));
  it.Set("n_frac", N("1.5"));
  it.Set("n_dec", N("0.1"));
  it.Set("n38", N("12345678901234567890123456789012345678"));
  it.Set("n38f", N("0.12345678901234567890123456789012345678"));
  it.Set("n_big", N("9.9999999999999999999999999999999999999E+125"));
  it.Set("n_tiny", N("1E-130"));
  it.Set("n_2m30", N("0.000000000931322574615478515625"));  // 2^-30
  it.Set("n_1e20", N("1e20"));
  it.Set("n_i64", N("9223372036854775807"));
  it.Set("n_i64m", N("-9223372036854775808"));
  it.Set("b", B(std::string("\0\x01\xff", 3)));
  it.Set("b_empty", B(""));
  it.Set("t", AttributeValue::Bool(true));
  it.Set("f", AttributeValue::Bool(false));
  it.Set("null", AttributeValue::Null());
  AttributeMap deep;
  deep.Set("deep", AttributeValue::L({N("3"), S("x")}));
  AttributeMap m;
  m.Set("a", S("b"));
  m.Set("nested", AttributeValue::M(deep));
  it.Set("m", AttributeValue::M(m));
  it.Set("m_empty", AttributeValue::M({}));
  it.Set("l", AttributeValue::L({S("x"), N("2"), AttributeValue::Null(),
                                 AttributeValue::M(m), AttributeValue::L({}),
                                 AttributeValue::Bool(false)}));
  it.Set("l_empty", AttributeValue::L({}));
  it.Set("ss", AttributeValue::SSUnchecked({"a", "b"}));
  it.Set("ns", AttributeValue::NSUnchecked(
                   {N("-1").n(), N("2.5").n(),
                    N("12345678901234567890123456789012345678").n()}));
  it.Set("bs", AttributeValue::BSUnchecked(
                   {std::string("\0", 1), std::string("\xff", 1)}));
  return it;
}

std::string Encoded(const Item& item) {
  std::string out;
  EncodeItem(item, &out);
  return out;
}

class ViewModes : public ::testing::TestWithParam<ItemViewMode> {
 protected:
  TransformOptions Opts() {
    TransformOptions o = TestOptions();
    o.view = GetParam();
    return o;
  }
};

INSTANTIATE_TEST_SUITE_P(Both, ViewModes,
                         ::testing::Values(ItemViewMode::kLazy,
                                           ItemViewMode::kFull));

TEST_P(ViewModes, IdentityIsBitExact) {
  auto w = UpWorker("return item", Opts());
  ASSERT_NE(w, nullptr);
  Item in = AllTypes();
  ItemOutcome out = w->Up(in);
  ASSERT_TRUE(out.ok()) << out.reason;
  ASSERT_EQ(out.items.size(), 1u);
  EXPECT_EQ(out.items[0], in) << DebugString(out.items[0]);
  EXPECT_EQ(Encoded(out.items[0]), Encoded(in));
}

TEST_P(ViewModes, EveryAttributeReadAndReassignedRoundTrips) {
  auto w = UpWorker("for k, v in pairs(item) do item[k] = v end return item",
                    Opts());
  ASSERT_NE(w, nullptr);
  Item in = AllTypes();
  ItemOutcome out = w->Up(in);
  ASSERT_TRUE(out.ok()) << out.reason;
  EXPECT_EQ(out.items[0], in) << DebugString(out.items[0]);
  EXPECT_EQ(Encoded(out.items[0]), Encoded(in));
}

TEST_P(ViewModes, CopyIntoPlainTableRoundTrips) {
  // A fresh table: every value converted; empty M and L keep their types
  // through the list/map metatables.
  auto w = UpWorker(
      "local out = {} for k, v in pairs(item) do out[k] = v end return out",
      Opts());
  ASSERT_NE(w, nullptr);
  Item in = AllTypes();
  ItemOutcome out = w->Up(in);
  ASSERT_TRUE(out.ok()) << out.reason;
  EXPECT_EQ(out.items[0], in) << DebugString(out.items[0]);
}

TEST_P(ViewModes, RandomItemsRoundTripWhenTouched) {
  auto w = UpWorker("for k, v in pairs(item) do item[k] = v end return item",
                    Opts());
  ASSERT_NE(w, nullptr);
  for (uint64_t seed = 1; seed <= 150; ++seed) {
    std::mt19937_64 rng(seed);
    RandomItemOptions ro;
    KeySchema schema = PkSchema();
    ro.schema = &schema;
    Item in = RandomItem(rng, ro);
    ItemOutcome out = w->Up(in);
    ASSERT_TRUE(out.ok()) << "seed " << seed << ": " << out.reason;
    ASSERT_EQ(Encoded(out.items[0]), Encoded(in)) << "seed " << seed << "\n"
                                                  << DebugString(in) << "\n"
                                                  << DebugString(out.items[0]);
  }
}

TEST_P(ViewModes, TypesAsLuaSeesThem) {
  auto w = UpWorker(R"(
    assert(type(item.s) == "string" and #item.empty == 0)
    assert(math.type(item.n_int) == "integer" and item.n_int == 42)
    assert(math.type(item.n_i64) == "integer")
    assert(math.type(item.n_frac) == "float" and item.n_frac == 1.5)
    assert(math.type(item.n_1e20) == "float")
    assert(type(item.n_dec) == "userdata" and godwit.type(item.n_dec) == "N")
    assert(tostring(item.n_dec) == "0.1")
    assert(tostring(item.n38) == "12345678901234567890123456789012345678")
    assert(godwit.type(item.b) == "B" and item.b:len() == 3 and #item.b == 3)
    assert(item.b:bytes() == "\0\1\255")
    assert(tostring(item.b) == "AAH/")
    assert(item.t == true and item.f == false)
    assert(item.null == godwit.null and godwit.type(item.null) == "NULL")
    assert(godwit.type(item.m) == "M" and item.m.nested.deep[2] == "x")
    assert(godwit.type(item.m_empty) == "M" and godwit.type(item.l_empty) == "L")
    assert(#item.l == 6 and item.l[3] == godwit.null)
    assert(item.ss.type == "SS" and #item.ss == 2 and item.ss:has("a"))
    assert(item.ss[1] == "a" and item.ss[2] == "b" and item.ss[3] == nil)
    assert(item.ns.type == "NS" and item.ns[1] == -1 and item.ns:has(2.5))
    assert(item.bs.type == "BS" and item.bs[2]:bytes() == "\255")
    assert(item.missing == nil)
    return item
  )",
                    Opts());
  ASSERT_NE(w, nullptr);
  ItemOutcome out = w->Up(AllTypes());
  EXPECT_TRUE(out.ok()) << out.reason << "\n" << out.traceback;
}

TEST_P(ViewModes, ThirtyEightDigitNumberCopiedUnchanged) {
  auto w = UpWorker(
      "item.copy = item.n38 item.copy2 = item.n38f "
      "item.copy3 = item.n_2m30 return item",
      Opts());
  ASSERT_NE(w, nullptr);
  ItemOutcome out = w->Up(AllTypes());
  ASSERT_TRUE(out.ok()) << out.reason;
  const Item& r = out.items[0];
  EXPECT_EQ(r.Find("copy")->n().text(),
            "12345678901234567890123456789012345678");
  EXPECT_EQ(r.Find("copy2")->n().text(),
            "0.12345678901234567890123456789012345678");
  EXPECT_EQ(r.Find("copy3")->n().text(), "0.000000000931322574615478515625");
}

TEST_P(ViewModes, ValuesBuiltInLua) {
  auto w = UpWorker(R"(
    return {
      pk = "k",
      d = godwit.decimal("3.140"),
      b = godwit.binary("\0x"),
      s = godwit.set{"b", "a", "b"},
      ns = godwit.number_set{3, 1, godwit.decimal("2.5")},
      bs = godwit.binary_set{godwit.binary("z")},
      l = godwit.list(),
      m = {},
      null = godwit.null,
      f = 0.1 + 0.2,
      half = 0.5,
      i = 7,
      t = true,
      nested = {1, "two", {x = 1}},
    }
  )",
                    Opts());
  ASSERT_NE(w, nullptr);
  ItemOutcome out = w->Up(PkItem("a"));
  ASSERT_TRUE(out.ok()) << out.reason;
  const Item& r = out.items[0];
  EXPECT_EQ(*r.Find("pk"), S("k"));
  EXPECT_EQ(*r.Find("d"), N("3.14"));
  EXPECT_EQ(*r.Find("b"), B(std::string("\0x", 2)));
  EXPECT_EQ(*r.Find("s"), AttributeValue::SSUnchecked({"a", "b"}));
  EXPECT_EQ(*r.Find("ns"), AttributeValue::NSUnchecked(
                               {N("1").n(), N("2.5").n(), N("3").n()}));
  EXPECT_EQ(*r.Find("bs"), AttributeValue::BSUnchecked({"z"}));
  EXPECT_EQ(*r.Find("l"), AttributeValue::L({}));
  EXPECT_EQ(*r.Find("m"), AttributeValue::M({}));
  EXPECT_EQ(*r.Find("null"), AttributeValue::Null());
  EXPECT_EQ(*r.Find("f"), N("0.30000000000000004"));
  EXPECT_EQ(*r.Find("half"), N("0.5"));
  EXPECT_EQ(*r.Find("i"), N("7"));
  EXPECT_EQ(*r.Find("t"), AttributeValue::Bool(true));
  AttributeMap x;
  x.Set("x", N("1"));
  EXPECT_EQ(*r.Find("nested"),
            AttributeValue::L({N("1"), S("two"), AttributeValue::M(x)}));
}

TEST_P(ViewModes, RenameOneAttribute) {
  auto w = UpWorker(
      "item.orderStatus = item.status item.status = nil return item", Opts());
  ASSERT_NE(w, nullptr);
  Item in = AllTypes();
  in.Set("status", S("PAID"));
  ItemOutcome out = w->Up(in);
  ASSERT_TRUE(out.ok()) << out.reason;
  Item want = in;
  want.Erase("status");
  want.Set("orderStatus", S("PAID"));
  EXPECT_EQ(out.items[0], want);
}

TEST_P(ViewModes, NestedMutationIsKept) {
  auto w = UpWorker(
      "item.m.nested.deep[1] = 4 table.insert(item.l, 'new') "
      "item.ss:add('c') return item",
      Opts());
  ASSERT_NE(w, nullptr);
  ItemOutcome out = w->Up(AllTypes());
  ASSERT_TRUE(out.ok()) << out.reason;
  const Item& r = out.items[0];
  EXPECT_EQ(r.Find("m")->m().Find("nested")->m().Find("deep")->l()[0], N("4"));
  EXPECT_EQ(r.Find("l")->l().size(), 7u);
  EXPECT_EQ(*r.Find("ss"), AttributeValue::SSUnchecked({"a", "b", "c"}));
}

TEST_P(ViewModes, PairsVisitsNamesInOrder) {
  auto w = UpWorker(
      "local names = {} for k in pairs(item) do names[#names + 1] = k end "
      "item.names = table.concat(names, ',') "
      "local inner = {} for k in pairs(item.m) do inner[#inner + 1] = k end "
      "item.inner = table.concat(inner, ',') return item",
      Opts());
  ASSERT_NE(w, nullptr);
  Item in;
  for (const char* n : {"pk", "zeta", "alpha", "mid", "Beta"})
    in.Set(n, S("v"));
  AttributeMap m;
  for (const char* n : {"c", "a", "b"}) m.Set(n, N("1"));
  in.Set("m", AttributeValue::M(m));
  ItemOutcome out = w->Up(in);
  ASSERT_TRUE(out.ok()) << out.reason;
  EXPECT_EQ(out.items[0].Find("names")->s(), "Beta,alpha,m,mid,pk,zeta");
  EXPECT_EQ(out.items[0].Find("inner")->s(), "a,b,c");
}

TEST(ItemView, LazyViewConvertsOnlyWhatIsRead) {
  // An attribute up does not read is never converted: a large list passes
  // through a state whose memory cap is below what converting it would take.
  TransformOptions o = TestOptions();
  o.memory_limit_bytes = 1u << 20;
  auto w = UpWorker("item.x = 1 return item", o);
  ASSERT_NE(w, nullptr);
  const size_t base = w->memory_in_use();
  EXPECT_LT(base, 600u << 10);
  Item in = PkItem("a");
  AttributeValue::List big;
  for (int i = 0; i < 18000; ++i) {
    big.push_back(S("value number " + std::to_string(100000 + i)));
  }
  in.Set("big", AttributeValue::L(std::move(big)));
  ItemOutcome out = w->Up(in);
  ASSERT_TRUE(out.ok()) << out.reason;
  EXPECT_EQ(out.items[0].Find("big")->l().size(), 18000u);

  o.view = ItemViewMode::kFull;
  auto full = UpWorker("item.x = 1 return item", o);
  ASSERT_NE(full, nullptr);
  ItemOutcome out2 = full->Up(in);
  EXPECT_EQ(out2.kind, ItemOutcome::Kind::kFailed);
  EXPECT_NE(out2.reason.find("memory limit"), std::string::npos) << out2.reason;
}

TEST(ItemView, RawsetOnProxyIsHonoured) {
  auto w = UpWorker("rawset(item, 'status', 'X') return item");
  ASSERT_NE(w, nullptr);
  Item in = PkItem("a");
  in.Set("status", S("PAID"));
  ItemOutcome out = w->Up(in);
  ASSERT_TRUE(out.ok()) << out.reason;
  EXPECT_EQ(*out.items[0].Find("status"), S("X"));
}

TEST(ItemView, ItemKeptAfterItsCallFails) {
  auto w =
      UpWorker("if saved then local _ = saved.pk end saved = item return item");
  ASSERT_NE(w, nullptr);
  EXPECT_TRUE(w->Up(PkItem("a")).ok());
  ItemOutcome out = w->Up(PkItem("b"));
  EXPECT_EQ(out.kind, ItemOutcome::Kind::kFailed);
  EXPECT_NE(out.reason.find("has returned"), std::string::npos) << out.reason;
}

TEST(ItemView, DecimalArithmetic) {
  auto w = UpWorker(R"(
    local d = godwit.decimal
    assert(d("0.1") + d("0.2") == d("0.3"))
    assert(d("0.1") * 3 == d("0.3"))
    assert(1 - d("0.1") == d("0.9"))
    assert(-d("1.5") == d("-1.5"))
    assert(d("1") / 4 == d("0.25"))
    assert(tostring(d("1") / 3) == "0.33333333333333333333333333333333333333")
    assert(tostring(d("2") / 3) == "0.66666666666666666666666666666666666667")
    assert(d("0.1") < 1 and 0 < d("0.1") and d("0.1") <= d("0.10"))
    assert(not (d("0.1") < d("0.1")))
    assert(d("0.1") + 0.5 == d("0.6"))
    assert("x" .. d("1.50") == "x1.5")
    assert(d("12345678901234567890123456789012345678") + 1 ==
           d("12345678901234567890123456789012345679"))
    assert(d("2.5"):tonumber() == 2.5)
    local ok, err = pcall(function() return d("1e125") * 100 end)
    assert(not ok and err:find("range"), err)
    ok, err = pcall(function()
      return d("12345678901234567890123456789012345678") + d("0.1")
    end)
    assert(not ok and err:find("38"), err)
    ok, err = pcall(function() return d("1") / 0 end)
    assert(not ok and err:find("division by zero"), err)
    ok, err = pcall(function() return d("1.2.3") end)
    assert(not ok, "bad decimal accepted")
    item.total = item.price * 3
    return item
  )");
  ASSERT_NE(w, nullptr);
  Item in = PkItem("a");
  in.Set("price", N("19.99"));
  ItemOutcome out = w->Up(in);
  ASSERT_TRUE(out.ok()) << out.reason << "\n" << out.traceback;
  EXPECT_EQ(*out.items[0].Find("total"), N("59.97"));
}

TEST(ItemView, SetOperations) {
  auto w = UpWorker(R"(
    item.tags:add("new"):remove("old")
    assert(item.tags:has("new") and not item.tags:has("old"))
    local list = item.tags:items()
    assert(godwit.type(list) == "L" and list[1] == "keep")
    local n = 0
    for _, v in ipairs(item.tags) do n = n + 1 end
    assert(n == 2)
    local ok, err = pcall(function() item.tags:add(5) end)
    assert(not ok and err:find("string set"), err)
    ok, err = pcall(function() return godwit.set{} end)
    assert(not ok and err:find("string_set"), err)
    item.nums = godwit.number_set{1, 2}
    item.nums:remove(1):remove(2)
    return item
  )");
  ASSERT_NE(w, nullptr);
  Item in = PkItem("a");
  in.Set("tags", AttributeValue::SSUnchecked({"keep", "old"}));
  ItemOutcome out = w->Up(in);
  // The empty number set cannot be stored.
  EXPECT_EQ(out.kind, ItemOutcome::Kind::kFailed);
  EXPECT_NE(out.reason.find("nums: an empty NS set"), std::string::npos)
      << out.reason;

  auto ok_worker = UpWorker("item.tags:add('new'):remove('old') return item");
  ASSERT_NE(ok_worker, nullptr);
  out = ok_worker->Up(in);
  ASSERT_TRUE(out.ok()) << out.reason;
  EXPECT_EQ(*out.items[0].Find("tags"),
            AttributeValue::SSUnchecked({"keep", "new"}));
}

TEST(ItemView, UnstorableValuesNameTheirPath) {
  struct Case {
    const char* body;
    const char* want;
  };
  const Case cases[] = {
      {"item.bad = {x = {1, nil, 3}} return item", "bad.x"},
      {"item.bad = {x = print} return item", "bad.x: a function"},
      {"item.bad = {1, 2, k = 3} return item", "bad"},
      {"item.bad = {[1.5] = 1} return item", "bad"},
      {"item.bad = 0/0 return item", "NaN"},
      {"item.bad = math.huge return item", "infinity"},
      {"item.bad = 1e300 return item", "range"},
      {"local t = {} t.self = t item.bad = t return item", "nesting"},
      {"item[1] = 'x' return item", "attribute names are strings"},
  };
  for (const Case& c : cases) {
    auto w = UpWorker(c.body);
    ASSERT_NE(w, nullptr);
    ItemOutcome out = w->Up(PkItem("a"));
    EXPECT_EQ(out.kind, ItemOutcome::Kind::kFailed) << c.body;
    EXPECT_NE(out.reason.find(c.want), std::string::npos)
        << c.body << " -> " << out.reason;
  }
}

TEST(Decimal, FloatConversionIsExactOrShortest) {
  using transform_internal::NumberFromDouble;
  EXPECT_EQ(NumberFromDouble(0.5)->text(), "0.5");
  EXPECT_EQ(NumberFromDouble(0.1)->text(), "0.1");
  EXPECT_EQ(NumberFromDouble(1e20)->text(), "100000000000000000000");
  EXPECT_EQ(NumberFromDouble(-0.0)->text(), "0");
  EXPECT_EQ(NumberFromDouble(0.000000000931322574615478515625)->text(),
            "0.000000000931322574615478515625");
  EXPECT_FALSE(NumberFromDouble(1e300).ok());
  EXPECT_FALSE(NumberFromDouble(1e-300).ok());
}

}  // namespace
}  // namespace godwit::test
