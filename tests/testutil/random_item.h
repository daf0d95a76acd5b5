// Seeded generators of random valid items, fixed-shape items for benchmarks,
// and an independent DynamoDB-JSON writer that spells every item in a random
// but equivalent way (for parser property tests).
//
// Everything is deterministic in the seed / the state of the std::mt19937_64
// passed in, so a failing case is reproduced by printing the seed.
//
// Example:
//   std::mt19937_64 rng(seed);
//   Item item = RandomItem(rng);
//   std::string json = ToShuffledJson(item, rng);
//   ASSERT_EQ(*parser.ParseItem(json), item) << "seed " << seed;
//
// No gtest dependency: benchmarks use these too.
#ifndef GODWIT_TESTUTIL_RANDOM_ITEM_H_
#define GODWIT_TESTUTIL_RANDOM_ITEM_H_

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>

#include "godwit/item.h"

namespace godwit::test {

struct RandomItemOptions {
  // Top-level attributes per item: uniform in [1, max_attributes] (plus the
  // key attributes of `schema`).
  int max_attributes = 8;
  // Entries per M, elements per L, members per set: uniform in [0 or 1, n].
  int max_container = 5;
  // Highest level at which an M or L is generated (a top-level value is
  // level 1), so 3 means up to three nested containers.
  int max_depth = 3;
  // Probability that a generated container starts a chain nested down to
  // DynamoDB's limit (values at level kMaxNestingDepth). 0 disables.
  double deep_probability = 0.0;
  // Code points per S value and per attribute name: [0, n] (names >= 1).
  int max_string = 16;
  int max_binary = 16;
  // If set, every item holds valid key attributes of this schema.
  const KeySchema* schema = nullptr;
};

// A random valid item: passes ValidateItem(item, options.schema). Covers all
// ten types, empty S/B in non-key attributes, multi-byte UTF-8, control
// characters, quotes and backslashes, 38-digit numbers, numbers near 1E-130
// and 9.99E+125, negative numbers, binary with every byte value, and sets of
// each kind.
Item RandomItem(std::mt19937_64& rng, const RandomItemOptions& options = {});
// A random valid value at nesting level `level` (1 = top-level attribute).
AttributeValue RandomValue(std::mt19937_64& rng,
                           const RandomItemOptions& options = {},
                           int level = 1);
// A random valid number: integers, prices, and arbitrary digit strings with
// exponents over the whole range, extremes included.
Number RandomNumber(std::mt19937_64& rng);
// Random valid UTF-8 of [min_chars, max_chars] code points (1- to 4-byte
// sequences, C0 controls, NUL, '"', '\\', U+2028, U+FEFF, ...).
std::string RandomUtf8(std::mt19937_64& rng, int min_chars, int max_chars);
// Random bytes of length [0, max_len], each value equally likely.
std::string RandomBytes(std::mt19937_64& rng, int max_len);

// A realistic order record (~1 KB in the binary codec): keys, customer,
// status, timestamps, money, a list of line items (maps), an address map,
// tags (SS), flags. Same seed, same item.
Item MakeOrderItem(uint64_t seed);
// A small record (~100 B in the binary codec): keys, a status, a counter, a
// timestamp and a flag.
Item MakeSmallItem(uint64_t seed);

// DynamoDB JSON for `item`, written independently of the project's JSON
// writer: map entries and set members in random order, numbers in random
// equivalent spellings (ShuffledNumberText), characters randomly escaped
// (\uXXXX with surrogate pairs beyond the BMP, short escapes), random
// whitespace between tokens. REQUIRES: S values and names are valid UTF-8.
std::string ToShuffledJson(const Item& item, std::mt19937_64& rng);
std::string ToShuffledValueJson(const AttributeValue& v, std::mt19937_64& rng);
// A random spelling of `n` that Number::Parse maps back to `n`: leading '+',
// leading zeros, trailing fraction zeros, scientific notation with any
// mantissa shift, 'e'/'E', explicit or zero-padded exponent signs; zero as
// "-0", "0.00", "0e7", ...
std::string ShuffledNumberText(const Number& n, std::mt19937_64& rng);

}  // namespace godwit::test

#endif  // GODWIT_TESTUTIL_RANDOM_ITEM_H_
