// Property tests over random items: every spelling of an item parses to that
// item, and the JSON writer, the binary codec and the hash agree with it.
//
// The seed is fixed so runs are repeatable; set GODWIT_SEED to explore other
// items. A failure prints the seed that reproduces the failing item as the
// first item of a run: GODWIT_SEED=<n> item_tests --gtest_filter='RoundTrip*'.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>

#include "godwit/codec.h"
#include "godwit/item.h"
#include "godwit/json.h"
#include "testutil/random_item.h"

namespace godwit {
namespace {

using test::RandomItemOptions;

constexpr uint64_t kDefaultSeed = 0x60d317;
constexpr int kItemsPerRun = 10000;

uint64_t BaseSeed() {
  const char* env = std::getenv("GODWIT_SEED");
  if (env == nullptr || *env == '\0') return kDefaultSeed;
  return std::strtoull(env, nullptr, 0);
}

std::string Repro(uint64_t seed) {
  return "reproduce with GODWIT_SEED=" + std::to_string(seed);
}

// A few shapes of random items, chosen by the item's seed: the defaults, deep
// chains down to the nesting limit, wide containers, long strings and blobs.
RandomItemOptions OptionsFor(uint64_t seed) {
  RandomItemOptions o;
  switch (seed % 4) {
    case 0:
      break;
    case 1:
      o.deep_probability = 0.2;
      o.max_depth = 5;
      break;
    case 2:
      o.max_attributes = 12;
      o.max_container = 8;
      break;
    case 3:
      o.max_string = 200;
      o.max_binary = 300;
      break;
  }
  return o;
}

TEST(RoundTripProperty, ShuffledJsonBinaryAndHashAgree) {
  const uint64_t base = BaseSeed();
  JsonParser parser;
  std::string canonical;
  std::string rewritten;
  std::string binary;
  std::string line;
  for (int i = 0; i < kItemsPerRun; ++i) {
    const uint64_t seed = base + static_cast<uint64_t>(i);
    std::mt19937_64 rng(seed);
    const Item item = test::RandomItem(rng, OptionsFor(seed));
    ASSERT_TRUE(ValidateItem(item, nullptr).ok()) << Repro(seed);

    // A random spelling parses to the item.
    const std::string shuffled = test::ToShuffledJson(item, rng);
    Result<Item> parsed = parser.ParseItem(shuffled);
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString() << "\n"
                             << shuffled << "\n"
                             << Repro(seed);
    ASSERT_EQ(*parsed, item) << DebugString(*parsed) << "\n"
                             << DebugString(item) << "\n"
                             << shuffled << "\n"
                             << Repro(seed);

    // write(parse(shuffled)) == write(item), and it parses back.
    canonical.clear();
    rewritten.clear();
    WriteItemJson(item, &canonical);
    WriteItemJson(*parsed, &rewritten);
    ASSERT_EQ(rewritten, canonical) << Repro(seed);
    if (i % 8 == 0) {  // the canonical spelling is one of many; sample it
      Result<Item> reparsed = parser.ParseItem(canonical);
      ASSERT_TRUE(reparsed.ok()) << reparsed.status().ToString() << "\n"
                                 << canonical << "\n"
                                 << Repro(seed);
      ASSERT_EQ(*reparsed, item) << Repro(seed);
    }

    // The binary codec agrees.
    binary.clear();
    EncodeItem(*parsed, &binary);
    Result<Item> decoded = DecodeItem(binary);
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString() << "\n"
                              << Repro(seed);
    ASSERT_EQ(*decoded, item) << Repro(seed);

    // Two different spellings hash equal.
    const std::string other = test::ToShuffledJson(item, rng);
    Result<Item> parsed_other = parser.ParseItem(other);
    ASSERT_TRUE(parsed_other.ok()) << parsed_other.status().ToString() << "\n"
                                   << other << "\n"
                                   << Repro(seed);
    ASSERT_EQ(HashItem(*parsed_other), HashItem(*parsed)) << Repro(seed);
    ASSERT_EQ(HashItem(*decoded), HashItem(item)) << Repro(seed);

    // The export line format (a thin wrapper: sampled).
    if (i % 4 != 0) continue;
    line.clear();
    WriteItemLine(item, &line);
    Result<Item> from_line = parser.ParseItemLine(line);
    ASSERT_TRUE(from_line.ok()) << from_line.status().ToString() << "\n"
                                << line << "\n"
                                << Repro(seed);
    ASSERT_EQ(*from_line, item) << Repro(seed);
  }
}

TEST(RoundTripProperty, ShuffledValueJson) {
  const uint64_t base = BaseSeed() ^ 0x5eed;
  JsonParser parser;
  for (int i = 0; i < 2000; ++i) {
    const uint64_t seed = base + static_cast<uint64_t>(i);
    std::mt19937_64 rng(seed);
    const AttributeValue value = test::RandomValue(rng, OptionsFor(seed));
    const std::string shuffled = test::ToShuffledValueJson(value, rng);
    Result<AttributeValue> parsed = parser.ParseValue(shuffled);
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString() << "\n"
                             << shuffled << "\n"
                             << Repro(seed ^ 0x5eed);
    ASSERT_EQ(*parsed, value) << shuffled << "\n" << Repro(seed ^ 0x5eed);
    std::string a;
    std::string b;
    WriteValueJson(value, &a);
    WriteValueJson(*parsed, &b);
    ASSERT_EQ(a, b) << Repro(seed ^ 0x5eed);
    ASSERT_EQ(HashValue(*parsed), HashValue(value)) << Repro(seed ^ 0x5eed);
  }
}

// No strict prefix of an item's JSON is an item: truncated lines (a torn
// write, a cut download) are always reported, never half-imported.
TEST(RoundTripProperty, TruncatedJsonNeverParses) {
  const uint64_t base = BaseSeed() ^ 0x7c;
  JsonParser parser;
  for (int i = 0; i < 100; ++i) {
    const uint64_t seed = base + static_cast<uint64_t>(i);
    std::mt19937_64 rng(seed);
    const Item item = test::RandomItem(rng);
    const std::string json = ItemToJson(item);
    for (size_t len = 0; len < json.size(); ++len) {
      Result<Item> r = parser.ParseItem(std::string_view(json).substr(0, len));
      ASSERT_FALSE(r.ok()) << json.substr(0, len) << "\n" << Repro(seed ^ 0x7c);
      ASSERT_TRUE(r.status().IsInvalidArgument()) << Repro(seed ^ 0x7c);
    }
  }
}

}  // namespace
}  // namespace godwit
