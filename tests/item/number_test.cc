#include <gtest/gtest.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "godwit/item.h"
#include "testutil/random_item.h"

namespace godwit {
namespace {

std::string Canon(std::string_view text) {
  Result<Number> n = Number::Parse(text);
  if (!n.ok()) return "error: " + n.status().ToString();
  return n->text();
}

Number N(std::string_view text) {
  Result<Number> n = Number::Parse(text);
  EXPECT_TRUE(n.ok()) << text << ": " << n.status().ToString();
  return n.ok() ? *n : Number();
}

std::string OrderedBytes(const Number& n) {
  std::string out;
  n.AppendOrderedBytes(&out);
  return out;
}

int Sign(int x) { return (x > 0) - (x < 0); }

const std::string k38 = "12345678901234567890123456789012345678";
// The largest number: 38 nines, 9.9999999999999999999999999999999999999E+125.
const std::string kMax = "9." + std::string(37, '9') + "E+125";
// The smallest positive number above 1E-130: 1.00…01E-130, 38 digits.
const std::string kMinPlus = "1." + std::string(36, '0') + "1E-130";

// An oracle for numeric order, independent of number.cc: align the canonical
// texts as fixed-point strings (130 integer digits, 170 fraction digits).
int OracleCompare(const std::string& a, const std::string& b) {
  auto fixed = [](std::string_view t, bool* neg) {
    *neg = !t.empty() && t[0] == '-';
    if (*neg) t.remove_prefix(1);
    size_t point = t.find('.');
    std::string_view ip = t.substr(0, point);
    std::string_view fp = point == std::string_view::npos ? std::string_view()
                                                          : t.substr(point + 1);
    // Canonical texts have at most 126 integer digits and 129 + 38 fraction
    // digits.
    std::string s(130 - ip.size(), '0');
    s += ip;
    s += fp;
    s.append(170 - fp.size(), '0');
    return s;
  };
  bool na, nb;
  std::string fa = fixed(a, &na), fb = fixed(b, &nb);
  const bool za = a == "0", zb = b == "0";
  int sa = za ? 0 : (na ? -1 : 1), sb = zb ? 0 : (nb ? -1 : 1);
  if (sa != sb) return sa < sb ? -1 : 1;
  int c = Sign(fa.compare(fb));
  return sa < 0 ? -c : c;
}

TEST(Number, DefaultIsZero) {
  Number n;
  EXPECT_EQ(n.text(), "0");
  EXPECT_TRUE(n.is_zero());
  EXPECT_FALSE(n.is_negative());
  EXPECT_EQ(n.significant_digits(), 0);
}

TEST(Number, CanonicalForms) {
  const std::pair<std::string, std::string> cases[] = {
      {"0", "0"},
      {"-0", "0"},
      {"+0", "0"},
      {"0.0", "0"},
      {"-0.000e5", "0"},
      {"000", "0"},
      {"0e999999999999999999999", "0"},
      {"1.50", "1.5"},
      {"1e2", "100"},
      {"007", "7"},
      {"1E-3", "0.001"},
      {"+1.5", "1.5"},
      {"15e-1", "1.5"},
      {"0001.5000", "1.5"},
      {"-12.340", "-12.34"},
      {".5", "0.5"},
      {"5.", "5"},
      {"1.0e0", "1"},
      {"1e+0", "1"},
      {"1e-0", "1"},
      {"123.456e1", "1234.56"},
      {"123.456e3", "123456"},
      {"123.456e-3", "0.123456"},
      {"-0.00120e2", "-0.12"},
      {"1e+00000000000000000000000000001", "10"},
      {"100", "100"},
      {"1200.00", "1200"},
      {"1E+10", "10000000000"},
      {"-5E-1", "-0.5"},
  };
  for (const auto& [in, want] : cases) {
    EXPECT_EQ(Canon(in), want) << "input " << in;
  }
}

TEST(Number, CanonicalTextIsAFixedPoint) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 5000; ++i) {
    Number n = test::RandomNumber(rng);
    EXPECT_EQ(Canon(n.text()), n.text());
  }
}

TEST(Number, IsCanonical) {
  for (const char* yes : {"0", "7", "-7", "100", "1.5", "-0.001", "0.5",
                          "12345678901234567890123456789012345678"}) {
    EXPECT_TRUE(Number::IsCanonical(yes)) << yes;
  }
  for (const char* no :
       {"",     "-",    "-0",
        "+1",   "00",   "01",
        "1.",   "1.50", ".5",
        "0.",   "0.0",  "-0.0",
        "1e2",  "1E2",  " 1",
        "1 ",   "0.00", "1.0",
        "10.0", "a",    "123456789012345678901234567890123456789",
        "--1",  "0..5", "1.2.3"}) {
    EXPECT_FALSE(Number::IsCanonical(no)) << no;
  }
  EXPECT_TRUE(Number::IsCanonical("0." + std::string(129, '0') + "1"));
  EXPECT_FALSE(Number::IsCanonical("0." + std::string(130, '0') + "1"));
  EXPECT_TRUE(Number::IsCanonical(std::string(38, '9') + std::string(88, '0')));
  EXPECT_FALSE(Number::IsCanonical("1" + std::string(126, '0')));
  EXPECT_FALSE(Number::IsCanonical(std::string(1 << 16, '1')));
}

// IsCanonical(t) must be exactly "Parse(t) succeeds and returns t".
TEST(Number, IsCanonicalAgreesWithParseOnMutations) {
  std::mt19937_64 rng(13);
  static constexpr char kAlphabet[] = "0123456789.-+eE0000";
  for (int i = 0; i < 40000; ++i) {
    std::string t = test::RandomNumber(rng).text();
    int edits = static_cast<int>(rng() % 3);
    for (int k = 0; k < edits; ++k) {
      size_t at = rng() % (t.size() + 1);
      char c = kAlphabet[rng() % (sizeof(kAlphabet) - 1)];
      switch (rng() % 3) {
        case 0:
          t.insert(at, 1, c);
          break;
        case 1:
          if (at < t.size()) t.erase(at, 1);
          break;
        default:
          if (at < t.size()) t[at] = c;
          break;
      }
    }
    Result<Number> n = Number::Parse(t);
    bool want = n.ok() && n->text() == t;
    ASSERT_EQ(Number::IsCanonical(t), want) << "\"" << t << "\"";
  }
}

TEST(Number, ExtremeCanonicalTexts) {
  EXPECT_EQ(Canon("1E+125"), "1" + std::string(125, '0'));
  EXPECT_EQ(Canon("1E-130"), "0." + std::string(129, '0') + "1");
  EXPECT_EQ(Canon("-1E-130"), "-0." + std::string(129, '0') + "1");
  EXPECT_EQ(Canon(kMax), std::string(38, '9') + std::string(88, '0'));
}

TEST(Number, SyntaxErrors) {
  const char* bad[] = {
      "",      ".",        "+",         "-",     " 1",           "1 ",    "NaN",
      "nan",   "Infinity", "-Infinity", "inf",   "0x10",         "1e",    "1e+",
      "1e-",   "e5",       ".e5",       "1.2.3", "1..2",         "--1",   "+-1",
      "1e5.5", "1,5",      "1e5e5",     "1f",    "\xef\xbc\x91", "1_000", "++1",
      "1E+-2", "0b1",      "\t1",       "1\n",   "+.",           "-.e1"};
  for (const char* text : bad) {
    Result<Number> n = Number::Parse(text);
    ASSERT_FALSE(n.ok()) << "accepted \"" << text << "\"";
    EXPECT_EQ(n.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(n.status().message().find("not a number"), std::string::npos)
        << n.status().ToString();
  }
  // Embedded NUL.
  EXPECT_FALSE(Number::Parse(std::string_view("1\0", 2)).ok());
}

TEST(Number, ErrorMessageQuotesInput) {
  Result<Number> n = Number::Parse("1.2.3");
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().message(), "not a number: \"1.2.3\"");
  n = Number::Parse("a\"b\x01");
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().message(), "not a number: \"a\\\"b\\x01\"");
}

TEST(Number, ErrorMessageTruncatesHugeInput) {
  std::string huge(1 << 20, '7');
  huge += "x";
  Result<Number> n = Number::Parse(huge);
  ASSERT_FALSE(n.ok());
  EXPECT_LT(n.status().message().size(), 200u);
  EXPECT_NE(n.status().message().find("1048577 bytes"), std::string::npos)
      << n.status().message();
}

TEST(Number, ThirtyEightDigitsAccepted) {
  EXPECT_EQ(Canon(k38), k38);
  EXPECT_EQ(N(k38).significant_digits(), 38);
  EXPECT_EQ(Canon("-" + k38), "-" + k38);
  EXPECT_EQ(Canon("0.000" + k38), "0.000" + k38);
  EXPECT_EQ(Canon("000" + k38), k38);
  EXPECT_EQ(Canon("1234567890123456789.0123456789012345678"),
            "1234567890123456789.0123456789012345678");
}

TEST(Number, ThirtyNineDigitsRejected) {
  const std::string k39 = k38 + "9";
  for (const std::string& text : std::vector<std::string>{
           k39, "-" + k39, "0." + k39, "1" + std::string(37, '0') + "1",
           "1.00000000000000000000000000000000000001"}) {
    Result<Number> n = Number::Parse(text);
    ASSERT_FALSE(n.ok()) << text;
    EXPECT_EQ(n.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(n.status().message().find("more than 38 significant digits"),
              std::string::npos)
        << n.status().ToString();
  }
}

TEST(Number, TrailingAndLeadingZerosAreNotSignificant) {
  // 38 significant digits followed by zeros: fine.
  EXPECT_EQ(Canon(k38 + "000"), k38 + "000");
  EXPECT_EQ(Canon(k38 + ".000"), k38);
  EXPECT_EQ(Canon("0.0000" + k38 + "0000"), "0.0000" + k38);
  EXPECT_EQ(
      Canon(std::string(500, '0') + "1" + std::string(100, '0') + "e-100"),
      "1");
  EXPECT_EQ(N("1E+125").significant_digits(), 1);
  EXPECT_EQ(N("100").significant_digits(), 1);
  EXPECT_EQ(N("1.50").significant_digits(), 2);
  EXPECT_EQ(N("0.001").significant_digits(), 1);
  EXPECT_EQ(N("1001").significant_digits(), 4);
  EXPECT_EQ(N("-12.34").significant_digits(), 4);
  EXPECT_EQ(N("100.001").significant_digits(), 6);
  EXPECT_EQ(N("1E-130").significant_digits(), 1);
}

TEST(Number, RangeLimitsExactlyAtTheEdge) {
  EXPECT_TRUE(Number::Parse("1E-130").ok());
  EXPECT_TRUE(Number::Parse("-1E-130").ok());
  EXPECT_TRUE(Number::Parse("0.1E-129").ok());
  EXPECT_TRUE(Number::Parse(kMinPlus).ok());
  EXPECT_TRUE(Number::Parse(kMax).ok());
  EXPECT_TRUE(Number::Parse("-" + kMax).ok());
  EXPECT_TRUE(Number::Parse("1E+125").ok());
  EXPECT_FALSE(Number::Parse(std::string(126, '9')).ok());  // 126 digits
  EXPECT_TRUE(Number::Parse(std::string(38, '9') + std::string(88, '0')).ok());
}

TEST(Number, RangeLimitsJustPastTheEdge) {
  const std::pair<std::string, const char*> cases[] = {
      {"1E+126", "magnitude above"},
      {"-1E+126", "magnitude above"},
      {"10E+125", "magnitude above"},
      {"1" + std::string(126, '0'), "magnitude above"},
      {"9.9E-131", "magnitude below"},
      {"0." + std::string(38, '9') + "E-130", "magnitude below"},
      {"1E-131", "magnitude below"},
      {"-1E-131", "magnitude below"},
      {"0." + std::string(130, '0') + "1", "magnitude below"},
  };
  for (const auto& [text, want] : cases) {
    Result<Number> n = Number::Parse(text);
    ASSERT_FALSE(n.ok()) << text;
    EXPECT_EQ(n.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(n.status().message().find(want), std::string::npos)
        << text << ": " << n.status().ToString();
  }
}

TEST(Number, HugeExponentsFailFastWithoutOverflow) {
  auto start = std::chrono::steady_clock::now();
  const std::pair<std::string, const char*> cases[] = {
      {"1e999999999", "magnitude above"},
      {"1e-999999999", "magnitude below"},
      {"1e" + std::string(10000, '9'), "magnitude above"},
      {"1e-" + std::string(10000, '9'), "magnitude below"},
      {"1e9223372036854775807", "magnitude above"},
      {"1e9223372036854775808", "magnitude above"},
      {"1e-9223372036854775808", "magnitude below"},
      {"1e18446744073709551617", "magnitude above"},
      {"1" + std::string(1000000, '0'), "magnitude above"},
      {"0." + std::string(1000000, '0') + "1", "magnitude below"},
      {"0." + std::string(1000000, '0') + "1e999870", "magnitude below"},
      {"1" + std::string(100, '0') + "e-99999999999999999999999",
       "magnitude below"},
  };
  for (const auto& [text, want] : cases) {
    Result<Number> n = Number::Parse(text);
    ASSERT_FALSE(n.ok()) << text.substr(0, 40);
    EXPECT_NE(n.status().message().find(want), std::string::npos)
        << n.status().ToString();
  }
  // Big but in range once the exponent is applied.
  EXPECT_EQ(Canon("1e" + std::string(10000, '0') + "5"), "100000");
  EXPECT_EQ(Canon("1" + std::string(1000000, '0') + "e-1000000"), "1");
  EXPECT_EQ(Canon("0." + std::string(1000000, '0') + "25e1000001"), "2.5");
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(elapsed, std::chrono::seconds(5));
}

TEST(Number, FromInt64) {
  EXPECT_EQ(Number::FromInt64(0).text(), "0");
  EXPECT_EQ(Number::FromInt64(-1).text(), "-1");
  EXPECT_EQ(Number::FromInt64(100).text(), "100");
  EXPECT_EQ(Number::FromInt64(INT64_MAX).text(), "9223372036854775807");
  EXPECT_EQ(Number::FromInt64(INT64_MIN).text(), "-9223372036854775808");
  std::mt19937_64 rng(3);
  for (int i = 0; i < 1000; ++i) {
    int64_t v = static_cast<int64_t>(rng());
    Number n = Number::FromInt64(v);
    EXPECT_EQ(n, N(std::to_string(v)));
    EXPECT_EQ(n.ToInt64(), v);
  }
}

TEST(Number, FromCanonicalUnchecked) {
  Number n = Number::FromCanonicalUnchecked("-1.25");
  EXPECT_EQ(n, N("-1.250"));
  EXPECT_TRUE(n.is_negative());
}

TEST(Number, Predicates) {
  EXPECT_TRUE(N("-0").is_zero());
  EXPECT_FALSE(N("-0").is_negative());
  EXPECT_TRUE(N("-0.5").is_negative());
  EXPECT_FALSE(N("0.5").is_negative());
  EXPECT_FALSE(N("1E-130").is_zero());
}

TEST(Number, ToInt64) {
  EXPECT_EQ(N("0").ToInt64(), 0);
  EXPECT_EQ(N("123").ToInt64(), 123);
  EXPECT_EQ(N("-123").ToInt64(), -123);
  EXPECT_EQ(N("1.00").ToInt64(), 1);
  EXPECT_EQ(N("1E+18").ToInt64(), 1000000000000000000);
  EXPECT_EQ(N("9223372036854775807").ToInt64(), INT64_MAX);
  EXPECT_EQ(N("-9223372036854775808").ToInt64(), INT64_MIN);
  EXPECT_EQ(N("9223372036854775808").ToInt64(), std::nullopt);
  EXPECT_EQ(N("-9223372036854775809").ToInt64(), std::nullopt);
  EXPECT_EQ(N("1E+19").ToInt64(), std::nullopt);
  EXPECT_EQ(N("1E+125").ToInt64(), std::nullopt);
  EXPECT_EQ(N("1.5").ToInt64(), std::nullopt);
  EXPECT_EQ(N("-0.5").ToInt64(), std::nullopt);
  EXPECT_EQ(N("1E-130").ToInt64(), std::nullopt);
}

TEST(Number, ToExactDouble) {
  EXPECT_EQ(N("0").ToExactDouble(), 0.0);
  EXPECT_EQ(N("0.5").ToExactDouble(), 0.5);
  EXPECT_EQ(N("-2.5").ToExactDouble(), -2.5);
  EXPECT_EQ(N("0.375").ToExactDouble(), 0.375);
  EXPECT_EQ(N("12345").ToExactDouble(), 12345.0);
  EXPECT_EQ(N("9007199254740992").ToExactDouble(), 9007199254740992.0);
  EXPECT_EQ(N("-9007199254740992").ToExactDouble(), -9007199254740992.0);
  EXPECT_EQ(N("18014398509481984").ToExactDouble(), 18014398509481984.0);
  EXPECT_EQ(N("1E+22").ToExactDouble(), 1e22);
  // 2^126 and 2^-50, 2^-53 (38 significant digits).
  EXPECT_EQ(N("85070591730234615865843651857942052864").ToExactDouble(),
            std::ldexp(1.0, 126));
  EXPECT_EQ(N("8.8817841970012523233890533447265625E-16").ToExactDouble(),
            std::ldexp(1.0, -50));
  EXPECT_EQ(N("1.1102230246251565404236316680908203125E-16").ToExactDouble(),
            std::ldexp(1.0, -53));
  EXPECT_EQ(N("-3.0517578125E-5").ToExactDouble(), -std::ldexp(1.0, -15));

  EXPECT_EQ(N("0.1").ToExactDouble(), std::nullopt);
  EXPECT_EQ(N("1.1").ToExactDouble(), std::nullopt);
  EXPECT_EQ(N("9007199254740993").ToExactDouble(), std::nullopt);  // 2^53+1
  EXPECT_EQ(N("18014398509481986").ToExactDouble(), std::nullopt);
  EXPECT_EQ(N("1E+23").ToExactDouble(), std::nullopt);
  EXPECT_EQ(N("1E+125").ToExactDouble(), std::nullopt);
  EXPECT_EQ(N("1E-130").ToExactDouble(), std::nullopt);
  EXPECT_EQ(N(k38).ToExactDouble(), std::nullopt);
  EXPECT_EQ(N(kMax).ToExactDouble(), std::nullopt);
}

TEST(Number, ToExactDoubleAgreesWithExactDecimalExpansions) {
  // m × 2^-k printed with k decimals is the exact decimal value of a double.
  std::mt19937_64 rng(11);
  for (int i = 0; i < 5000; ++i) {
    uint64_t m = rng() >> (64 - 53);
    int k = static_cast<int>(rng() % 24);
    if (rng() % 2) m >>= rng() % 40;
    double d = std::ldexp(static_cast<double>(m), -k);
    if (rng() % 2) d = -d;
    char buf[128];
    auto res =
        std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::fixed, k);
    ASSERT_EQ(res.ec, std::errc());
    std::string text(buf, res.ptr);
    Result<Number> n = Number::Parse(text);
    if (!n.ok()) continue;  // more than 38 significant digits
    EXPECT_EQ(n->ToExactDouble(), d) << text;
    // And one unit in the last place of a 38-digit extension is not exact.
  }
  // Random decimals: when exact, from_chars (correctly rounded) agrees.
  for (int i = 0; i < 5000; ++i) {
    Number n = test::RandomNumber(rng);
    std::optional<double> d = n.ToExactDouble();
    if (!d) continue;
    double parsed = 0;
    auto res = std::from_chars(n.text().data(),
                               n.text().data() + n.text().size(), parsed);
    ASSERT_EQ(res.ec, std::errc()) << n.text();
    EXPECT_EQ(*d, parsed) << n.text();
  }
}

// Numbers in increasing order.
std::vector<std::string> OrderedSamples() {
  return {"-" + kMax,
          "-1E+125",
          "-123456789",
          "-100",
          "-99.5",
          "-10",
          "-2",
          "-1.5",
          "-1.25",
          "-1.2",
          "-1",
          "-0.5",
          "-0.1",
          "-0.01",
          "-1E-129",
          "-1E-130",
          "0",
          "1E-130",
          kMinPlus,
          "2E-130",
          "1E-129",
          "0.0001",
          "0.1",
          "0.11",
          "0.12",
          "0.123",
          "0.2",
          "1",
          "1." + std::string(36, '0') + "1",
          "1.2",
          "1.25",
          "1.5",
          "2",
          "9.99",
          "10",
          "10.5",
          "99",
          "100",
          "101",
          k38,
          "1E+125",
          kMax};
}

TEST(Number, CompareAndOrderedBytesOnKnownOrder) {
  std::vector<std::string> s = OrderedSamples();
  for (size_t i = 0; i < s.size(); ++i) {
    for (size_t j = 0; j < s.size(); ++j) {
      Number a = N(s[i]), b = N(s[j]);
      int want = i < j ? -1 : (i > j ? 1 : 0);
      EXPECT_EQ(Sign(a.Compare(b)), want) << s[i] << " vs " << s[j];
      EXPECT_EQ(Sign(OrderedBytes(a).compare(OrderedBytes(b))), want)
          << s[i] << " vs " << s[j];
      EXPECT_EQ(a <=> b, want <=> 0);
      EXPECT_EQ(a == b, i == j);
    }
  }
}

TEST(Number, OrderedBytesLayout) {
  EXPECT_EQ(OrderedBytes(N("0")), std::string("\x02", 1));
  // 1 = 0.1 × 10^1: exponent byte 1 + 129 = 130, digit pair "10" -> 12.
  EXPECT_EQ(OrderedBytes(N("1")), std::string("\x03\x82\x0c\x00", 4));
  EXPECT_EQ(OrderedBytes(N("-1")), std::string("\x01\x7d\xf3\xff", 4));
  EXPECT_EQ(OrderedBytes(N("1E-130")), std::string("\x03\x00\x0c\x00", 4));
  EXPECT_EQ(OrderedBytes(N(kMax)).size(), 2u + 19u + 1u);
  EXPECT_EQ(static_cast<unsigned char>(OrderedBytes(N(kMax))[1]), 255);
}

TEST(Number, CompareAndOrderedBytesAgreeOnRandomPairs) {
  const uint64_t seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  std::vector<Number> pool;
  for (int i = 0; i < 2000; ++i) pool.push_back(test::RandomNumber(rng));
  for (const std::string& s : OrderedSamples()) pool.push_back(N(s));
  // Near neighbours: a digit string and its extensions, same exponent.
  for (int i = 0; i < 200; ++i) {
    std::string d = "0." + std::to_string(rng() % 1000 + 1);
    pool.push_back(N(d));
    pool.push_back(N(d + "1"));
    pool.push_back(N(d + "01"));
    pool.push_back(N("-" + d + "1"));
    pool.push_back(N("-" + d));
  }
  std::vector<std::string> bytes;
  for (const Number& n : pool) bytes.push_back(OrderedBytes(n));
  for (int i = 0; i < 30000; ++i) {
    size_t x = rng() % pool.size(), y = rng() % pool.size();
    const Number& a = pool[x];
    const Number& b = pool[y];
    int want = OracleCompare(a.text(), b.text());
    ASSERT_EQ(Sign(a.Compare(b)), want) << a.text() << " vs " << b.text();
    ASSERT_EQ(Sign(bytes[x].compare(bytes[y])), want)
        << a.text() << " vs " << b.text();
    ASSERT_EQ(want == 0, a.text() == b.text());
    // Prefix-free.
    if (bytes[x] != bytes[y]) {
      ASSERT_NE(bytes[y].compare(0, bytes[x].size(), bytes[x]), 0)
          << a.text() << " is a prefix of " << b.text();
    }
  }
  // Sorting both ways gives one order.
  std::vector<size_t> by_compare(pool.size()), by_bytes(pool.size());
  for (size_t i = 0; i < pool.size(); ++i) by_compare[i] = by_bytes[i] = i;
  std::stable_sort(by_compare.begin(), by_compare.end(),
                   [&](size_t a, size_t b) { return pool[a] < pool[b]; });
  std::stable_sort(by_bytes.begin(), by_bytes.end(),
                   [&](size_t a, size_t b) { return bytes[a] < bytes[b]; });
  EXPECT_EQ(by_compare, by_bytes);
}

TEST(Number, EquivalentSpellingsParseEqual) {
  std::mt19937_64 rng(5);
  for (int i = 0; i < 10000; ++i) {
    Number n = test::RandomNumber(rng);
    std::string spelled = test::ShuffledNumberText(n, rng);
    Result<Number> back = Number::Parse(spelled);
    ASSERT_TRUE(back.ok()) << spelled << ": " << back.status().ToString();
    ASSERT_EQ(back->text(), n.text()) << spelled;
    ASSERT_EQ(OrderedBytes(*back), OrderedBytes(n));
  }
}

}  // namespace
}  // namespace godwit
