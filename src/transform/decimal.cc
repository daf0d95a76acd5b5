// Decimal arithmetic for godwit.decimal.
//
// A number is worked on as (negative, digits, exponent): the value is
// ±digits × 10^exponent, digits a string of ASCII digits without leading
// zeros ("" for zero). Numbers are small (38 digits, exponents within about
// ±130), so schoolbook arithmetic on digit strings is plenty fast for a
// per-item transform.
#include "transform/decimal.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>

namespace godwit::transform_internal {
namespace {

struct Dec {
  bool negative = false;
  std::string digits;  // no leading zeros; empty for zero
  int exponent = 0;
};

void StripLeadingZeros(std::string* d) {
  size_t i = 0;
  while (i < d->size() && (*d)[i] == '0') ++i;
  d->erase(0, i);
}

void Normalize(Dec* d) {
  StripLeadingZeros(&d->digits);
  if (d->digits.empty()) {
    d->negative = false;
    d->exponent = 0;
    return;
  }
  size_t n = d->digits.size();
  while (n > 0 && d->digits[n - 1] == '0') {
    --n;
    ++d->exponent;
  }
  d->digits.resize(n);
}

Dec FromNumber(const Number& n) {
  Dec d;
  std::string_view t = n.text();
  if (!t.empty() && t[0] == '-') {
    d.negative = true;
    t.remove_prefix(1);
  }
  size_t dot = t.find('.');
  if (dot == std::string_view::npos) {
    d.digits.assign(t);
  } else {
    d.digits.assign(t.substr(0, dot));
    d.digits.append(t.substr(dot + 1));
    d.exponent = -static_cast<int>(t.size() - dot - 1);
  }
  Normalize(&d);
  return d;
}

Result<Number> ToNumber(Dec d) {
  Normalize(&d);
  if (d.digits.empty()) return Number();
  if (d.digits.size() > static_cast<size_t>(kMaxNumberDigits)) {
    return Status::InvalidArgument(
        "decimal result needs " + std::to_string(d.digits.size()) +
        " significant digits; DynamoDB numbers hold at most 38");
  }
  std::string text;
  if (d.negative) text.push_back('-');
  text += d.digits;
  text += 'e';
  text += std::to_string(d.exponent);
  Result<Number> n = Number::Parse(text);
  if (!n.ok()) {
    return Status::InvalidArgument("decimal result out of DynamoDB's range: " +
                                   std::string(n.status().message()));
  }
  return n;
}

// Compares magnitudes of equal-length digit strings... of any length without
// leading zeros.
int CompareMag(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

std::string AddMag(const std::string& a, const std::string& b) {
  std::string out;
  out.reserve(std::max(a.size(), b.size()) + 1);
  int carry = 0;
  size_t i = a.size(), j = b.size();
  while (i > 0 || j > 0 || carry) {
    int s = carry;
    if (i > 0) s += a[--i] - '0';
    if (j > 0) s += b[--j] - '0';
    out.push_back(static_cast<char>('0' + s % 10));
    carry = s / 10;
  }
  std::reverse(out.begin(), out.end());
  StripLeadingZeros(&out);
  return out;
}

// REQUIRES: a >= b in magnitude.
std::string SubMag(const std::string& a, const std::string& b) {
  std::string out;
  out.reserve(a.size());
  int borrow = 0;
  size_t i = a.size(), j = b.size();
  while (i > 0) {
    int s = (a[--i] - '0') - borrow;
    if (j > 0) s -= b[--j] - '0';
    borrow = s < 0 ? 1 : 0;
    if (s < 0) s += 10;
    out.push_back(static_cast<char>('0' + s));
  }
  std::reverse(out.begin(), out.end());
  StripLeadingZeros(&out);
  return out;
}

Dec AddDec(Dec a, Dec b) {
  if (a.digits.empty()) return b;
  if (b.digits.empty()) return a;
  int e = std::min(a.exponent, b.exponent);
  a.digits.append(static_cast<size_t>(a.exponent - e), '0');
  b.digits.append(static_cast<size_t>(b.exponent - e), '0');
  Dec r;
  r.exponent = e;
  if (a.negative == b.negative) {
    r.negative = a.negative;
    r.digits = AddMag(a.digits, b.digits);
  } else {
    int c = CompareMag(a.digits, b.digits);
    if (c == 0) return Dec{};
    if (c > 0) {
      r.negative = a.negative;
      r.digits = SubMag(a.digits, b.digits);
    } else {
      r.negative = b.negative;
      r.digits = SubMag(b.digits, a.digits);
    }
  }
  return r;
}

}  // namespace

Result<Number> DecimalAdd(const Number& a, const Number& b) {
  return ToNumber(AddDec(FromNumber(a), FromNumber(b)));
}

Result<Number> DecimalSub(const Number& a, const Number& b) {
  return ToNumber(AddDec(FromNumber(a), FromNumber(DecimalNeg(b))));
}

Number DecimalNeg(const Number& a) {
  if (a.is_zero()) return a;
  if (a.is_negative()) {
    return Number::FromCanonicalUnchecked(a.text().substr(1));
  }
  return Number::FromCanonicalUnchecked("-" + a.text());
}

Result<Number> DecimalMul(const Number& a, const Number& b) {
  Dec x = FromNumber(a), y = FromNumber(b);
  if (x.digits.empty() || y.digits.empty()) return Number();
  std::vector<int> acc(x.digits.size() + y.digits.size(), 0);
  for (size_t i = x.digits.size(); i-- > 0;) {
    for (size_t j = y.digits.size(); j-- > 0;) {
      acc[i + j + 1] += (x.digits[i] - '0') * (y.digits[j] - '0');
    }
  }
  for (size_t k = acc.size(); k-- > 1;) {
    acc[k - 1] += acc[k] / 10;
    acc[k] %= 10;
  }
  Dec r;
  r.negative = x.negative != y.negative;
  r.exponent = x.exponent + y.exponent;
  for (int v : acc) r.digits.push_back(static_cast<char>('0' + v));
  return ToNumber(std::move(r));
}

Result<Number> DecimalDiv(const Number& a, const Number& b) {
  Dec x = FromNumber(a), y = FromNumber(b);
  if (y.digits.empty()) return Status::InvalidArgument("division by zero");
  if (x.digits.empty()) return Number();
  // q = floor(X * 10^k / Y) with at least 40 digits, then round to 38.
  const int want = kMaxNumberDigits + 2;
  int k = static_cast<int>(y.digits.size()) -
          static_cast<int>(x.digits.size()) + want;
  if (k < 0) k = 0;
  std::string dividend = x.digits + std::string(static_cast<size_t>(k), '0');
  std::string q, rem;
  for (char c : dividend) {
    rem.push_back(c);
    StripLeadingZeros(&rem);
    int digit = 0;
    while (CompareMag(rem, y.digits) >= 0) {
      rem = SubMag(rem, y.digits);
      ++digit;
    }
    q.push_back(static_cast<char>('0' + digit));
  }
  StripLeadingZeros(&q);
  bool sticky = !rem.empty();
  int exponent = x.exponent - y.exponent - k;
  // Round q to kMaxNumberDigits digits, half to even.
  if (q.size() > static_cast<size_t>(kMaxNumberDigits)) {
    size_t drop = q.size() - kMaxNumberDigits;
    char first = q[kMaxNumberDigits];
    bool rest = sticky;
    for (size_t i = kMaxNumberDigits + 1; i < q.size(); ++i) {
      if (q[i] != '0') rest = true;
    }
    q.resize(kMaxNumberDigits);
    exponent += static_cast<int>(drop);
    bool up = first > '5' || (first == '5' && (rest || (q.back() - '0') % 2));
    if (up) q = AddMag(q, "1");
  }
  Dec r;
  r.negative = x.negative != y.negative;
  r.digits = std::move(q);
  r.exponent = exponent;
  Normalize(&r);
  if (r.digits.size() > static_cast<size_t>(kMaxNumberDigits)) {
    // 99..9 rounded up to 100..0: one more digit, all zeros after the first.
    r.digits.resize(kMaxNumberDigits);
    r.exponent += 1;
  }
  return ToNumber(std::move(r));
}

Result<Number> NumberFromDouble(double d) {
  if (std::isnan(d)) {
    return Status::InvalidArgument("NaN cannot be stored as a number");
  }
  if (std::isinf(d)) {
    return Status::InvalidArgument("infinity cannot be stored as a number");
  }
  if (d == 0) return Number();
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), d);
  std::string_view shortest_text(buf, static_cast<size_t>(r.ptr - buf));
  Result<Number> shortest = Number::Parse(shortest_text);
  if (!shortest.ok()) {
    return Status::InvalidArgument("number " + std::string(shortest_text) +
                                   " is out of DynamoDB's range");
  }
  std::optional<double> back = shortest->ToExactDouble();
  if (back && *back == d) return shortest;
  // The exact value, if it fits 38 digits: print 38 significant digits and
  // check that they are exact.
  char wide[96];
  r = std::to_chars(wide, wide + sizeof(wide), d, std::chars_format::scientific,
                    kMaxNumberDigits - 1);
  if (r.ec == std::errc()) {
    Result<Number> exact = Number::Parse(
        std::string_view(wide, static_cast<size_t>(r.ptr - wide)));
    if (exact.ok()) {
      back = exact->ToExactDouble();
      if (back && *back == d) return exact;
    }
  }
  return shortest;
}

}  // namespace godwit::transform_internal
