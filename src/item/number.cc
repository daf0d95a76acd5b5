// Number: DynamoDB's decimal number, held as canonical text.
//
// Model. A non-zero number is  sign × 0.d1 d2 … dn × 10^E  where d1 ≠ 0,
// dn ≠ 0 and 1 ≤ n ≤ 38 (the "significant digits"). DynamoDB's range
// [1E-130, 9.99…9E+125] (38 digits) is exactly  -129 ≤ E ≤ 126  (with n ≤ 38
// every number with E = 126 is at most 9.99…9E+125, 38 nines).
//
// Canonical text is the plain decimal rendering of (sign, digits, E), so the
// text determines the decomposition and back; Decompose() recovers it without
// allocating. Everything numeric (Compare, ordered bytes, exact conversions)
// works on the decomposition, never through a double.
//
// Ordered bytes (AppendOrderedBytes), memcmp order == numeric order:
//   zero     := 0x02
//   positive := 0x03  (E + 129)                pairs  0x00
//   negative := 0x01  (255 - (E + 129))        ~pairs 0xFF
//   pairs    := one byte per two digits: 2 + 10*d(2i-1) + d(2i), an odd last
//               digit paired with 0; each byte is in [2, 101], and ~b = 255 - b
//               is in [154, 253]. The terminator (0x00 for positives, 0xFF
//               for negatives) sorts before (after) every pair byte, so a
//               digit string that is a prefix of another sorts first (last).
// Encodings are 3..23 bytes and prefix-free: the class byte fixes the layout,
// and a terminator can only meet a pair byte or an identical terminator.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>

#include "godwit/item.h"

namespace godwit {
namespace {

constexpr int kMinExponent = -129;  // 0.1 × 10^-129 == 1E-130
constexpr int kMaxExponent = 126;   // 0.99…9 × 10^126 == 9.99…9E+125

// The decomposition of a canonical number: its sign, E, and the significant
// digits as ASCII (not NUL-terminated).
struct Decomposed {
  int sign = 0;  // -1, 0, +1
  int exponent = 0;
  int count = 0;  // significant digits
  char digits[kMaxNumberDigits + 2];
};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// REQUIRES: text canonical.
void Decompose(std::string_view text, Decomposed* d) {
  d->count = 0;
  d->exponent = 0;
  if (text == "0") {
    d->sign = 0;
    return;
  }
  size_t i = 0;
  d->sign = 1;
  if (text[0] == '-') {
    d->sign = -1;
    i = 1;
  }
  if (text[i] == '0') {
    // "0.000ddd": E = -(number of zeros after the point).
    i += 2;
    int zeros = 0;
    while (i < text.size() && text[i] == '0') {
      ++zeros;
      ++i;
    }
    d->exponent = -zeros;
    for (; i < text.size() && d->count < kMaxNumberDigits + 1; ++i) {
      d->digits[d->count++] = text[i];
    }
    return;
  }
  int int_digits = 0;
  for (; i < text.size() && text[i] != '.'; ++i, ++int_digits) {
    if (d->count < kMaxNumberDigits + 1) d->digits[d->count++] = text[i];
  }
  d->exponent = int_digits;
  if (i < text.size()) {
    for (++i; i < text.size() && d->count < kMaxNumberDigits + 1; ++i) {
      d->digits[d->count++] = text[i];
    }
  } else {
    // Integer: trailing zeros of the integer part are not significant.
    while (d->count > 0 && d->digits[d->count - 1] == '0') --d->count;
  }
}

// A short, printable rendering of (possibly huge, possibly binary) input for
// error messages.
std::string Quote(std::string_view text) {
  constexpr size_t kMaxShown = 64;
  std::string out = "\"";
  size_t shown = std::min(text.size(), kMaxShown);
  for (size_t i = 0; i < shown; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7F) {
      out += static_cast<char>(c);
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  out += '"';
  if (text.size() > kMaxShown) {
    out += "... (" + std::to_string(text.size()) + " bytes)";
  }
  return out;
}

Status NumberError(std::string_view what, std::string_view text) {
  std::string msg(what);
  msg += ": ";
  msg += Quote(text);
  return Status::InvalidArgument(std::move(msg));
}

}  // namespace

Result<Number> Number::Parse(std::string_view text) {
  // Syntax: [+-] digits* [. digits*] [(e|E) [+-] digits+], with at least one
  // mantissa digit. Record where the significant digits are while scanning.
  size_t i = 0;
  const size_t size = text.size();
  bool negative = false;
  if (i < size && (text[i] == '+' || text[i] == '-')) {
    negative = text[i] == '-';
    ++i;
  }
  const size_t int_begin = i;
  while (i < size && IsDigit(text[i])) ++i;
  const size_t int_end = i;
  size_t frac_begin = i, frac_end = i;
  if (i < size && text[i] == '.') {
    frac_begin = ++i;
    while (i < size && IsDigit(text[i])) ++i;
    frac_end = i;
  }
  if (int_end == int_begin && frac_end == frac_begin) {
    return NumberError("not a number", text);
  }
  // Exponent, saturated: anything past ±10^12 is out of range whatever the
  // mantissa, and the saturation keeps every later sum inside int64.
  constexpr int64_t kExpCap = 1'000'000'000'000;
  int64_t exp = 0;
  if (i < size && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool exp_negative = false;
    if (i < size && (text[i] == '+' || text[i] == '-')) {
      exp_negative = text[i] == '-';
      ++i;
    }
    if (i == size || !IsDigit(text[i]))
      return NumberError("not a number", text);
    for (; i < size && IsDigit(text[i]); ++i) {
      if (exp < kExpCap) exp = exp * 10 + (text[i] - '0');
    }
    if (exp_negative) exp = -exp;
  }
  if (i != size) return NumberError("not a number", text);

  // Significant digits: the mantissa digits (integer then fraction) from the
  // first non-zero to the last non-zero. Positions are indexes into that
  // virtual concatenation.
  const size_t int_len = int_end - int_begin;
  const size_t frac_len = frac_end - frac_begin;
  const size_t total = int_len + frac_len;
  auto digit_at = [&](size_t k) {
    return k < int_len ? text[int_begin + k] : text[frac_begin + k - int_len];
  };
  size_t first = 0;
  while (first < total && digit_at(first) == '0') ++first;
  if (first == total) return Number();  // any zero, "-0.0e5" included
  size_t last = total - 1;
  while (digit_at(last) == '0') --last;
  const size_t count = last - first + 1;
  if (count > static_cast<size_t>(kMaxNumberDigits)) {
    return NumberError("more than 38 significant digits", text);
  }
  // value = 0.d(first)… × 10^E with E = int_len - first + exp. The input
  // length bounds int_len and first, so this cannot overflow.
  const int64_t e =
      static_cast<int64_t>(int_len) - static_cast<int64_t>(first) + exp;
  if (e > kMaxExponent) {
    return NumberError(
        "magnitude above 9.9999999999999999999999999999999999999E+125", text);
  }
  if (e < kMinExponent) return NumberError("magnitude below 1E-130", text);

  char digits[kMaxNumberDigits];
  for (size_t k = 0; k < count; ++k) digits[k] = digit_at(first + k);
  const int n = static_cast<int>(count);
  const int ex = static_cast<int>(e);

  std::string out;
  out.reserve(static_cast<size_t>(2 + n + (ex > 0 ? ex : 1 - ex)));
  if (negative) out += '-';
  if (ex <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-ex), '0');
    out.append(digits, static_cast<size_t>(n));
  } else if (ex >= n) {
    out.append(digits, static_cast<size_t>(n));
    out.append(static_cast<size_t>(ex - n), '0');
  } else {
    out.append(digits, static_cast<size_t>(ex));
    out += '.';
    out.append(digits + ex, static_cast<size_t>(n - ex));
  }
  return Number(std::move(out));
}

Number Number::FromInt64(int64_t v) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  return Number(std::string(buf, res.ptr));
}

Number Number::FromCanonicalUnchecked(std::string text) {
  return Number(std::move(text));
}

bool Number::IsCanonical(std::string_view t) {
  if (t.size() == 1) return t[0] == '0' || (t[0] >= '1' && t[0] <= '9');
  size_t i = 0;
  if (!t.empty() && t[0] == '-') i = 1;
  if (i >= t.size()) return false;
  const size_t size = t.size();
  if (t[i] == '0') {
    // "0." zeros digits, the last digit non-zero: E = -zeros.
    if (size < i + 3 || t[i + 1] != '.') return false;
    i += 2;
    const size_t zeros_begin = i;
    while (i < size && t[i] == '0') ++i;
    if (i - zeros_begin > static_cast<size_t>(-kMinExponent)) return false;
    const size_t count = size - i;
    if (count == 0 || count > static_cast<size_t>(kMaxNumberDigits)) {
      return false;
    }
    for (; i < size; ++i) {
      if (!IsDigit(t[i])) return false;
    }
    return t[size - 1] != '0';
  }
  // [1-9] digits* ("." digits* [1-9])?: E = number of integer digits.
  if (!IsDigit(t[i])) return false;
  const size_t int_begin = i;
  while (i < size && IsDigit(t[i])) ++i;
  const size_t int_len = i - int_begin;
  if (int_len > static_cast<size_t>(kMaxExponent)) return false;
  if (i == size) {
    size_t last = size - 1;
    while (t[last] == '0') --last;
    return last + 1 - int_begin <= static_cast<size_t>(kMaxNumberDigits);
  }
  if (t[i] != '.') return false;
  ++i;
  const size_t frac_len = size - i;
  if (frac_len == 0 ||
      int_len + frac_len > static_cast<size_t>(kMaxNumberDigits)) {
    return false;
  }
  for (; i < size; ++i) {
    if (!IsDigit(t[i])) return false;
  }
  return t[size - 1] != '0';
}

int Number::significant_digits() const {
  Decomposed d;
  Decompose(text_, &d);
  return d.count;
}

std::optional<int64_t> Number::ToInt64() const {
  // Canonical integers have no '.', and int64 has at most 19 digits.
  if (text_.size() > 20 || text_.find('.') != std::string::npos) {
    return std::nullopt;
  }
  int64_t v = 0;
  auto res = std::from_chars(text_.data(), text_.data() + text_.size(), v);
  if (res.ec != std::errc() || res.ptr != text_.data() + text_.size()) {
    return std::nullopt;
  }
  return v;
}

std::optional<double> Number::ToExactDouble() const {
  Decomposed d;
  Decompose(text_, &d);
  if (d.sign == 0) return 0.0;
  // value = D × 10^s with D the digits as an integer (< 10^38 < 2^127).
  unsigned __int128 mant = 0;
  for (int k = 0; k < d.count; ++k) {
    mant = mant * 10 + static_cast<unsigned>(d.digits[k] - '0');
  }
  int s = d.exponent - d.count;
  int two_exp = 0;  // value = mant × 2^two_exp once the 5s are gone
  if (s >= 0) {
    two_exp = s;
    // × 5^s: give up as soon as the odd part cannot fit 53 bits.
    while (mant % 2 == 0) {
      mant /= 2;
      ++two_exp;
    }
    for (int k = 0; k < s; ++k) {
      if (mant > (static_cast<unsigned __int128>(1) << 53)) return std::nullopt;
      mant *= 5;
    }
  } else {
    // ÷ 10^t = ÷ 5^t ÷ 2^t: exact in binary only if 5^t divides D.
    const int t = -s;
    two_exp = -t;
    for (int k = 0; k < t; ++k) {
      if (mant % 5 != 0) return std::nullopt;
      mant /= 5;
    }
  }
  while (mant % 2 == 0) {
    mant /= 2;
    ++two_exp;
  }
  if (mant >= (static_cast<unsigned __int128>(1) << 53)) return std::nullopt;
  // |value| is in [1E-130, 1E126], far inside double's normal range, so
  // ldexp is exact.
  double v =
      std::ldexp(static_cast<double>(static_cast<uint64_t>(mant)), two_exp);
  return d.sign < 0 ? -v : v;
}

int Number::Compare(const Number& other) const {
  if (text_ == other.text_) return 0;
  Decomposed a, b;
  Decompose(text_, &a);
  Decompose(other.text_, &b);
  if (a.sign != b.sign) return a.sign < b.sign ? -1 : 1;
  // Same non-zero sign (equal zeros have equal text). Compare magnitudes.
  int mag;
  if (a.exponent != b.exponent) {
    mag = a.exponent < b.exponent ? -1 : 1;
  } else {
    int n = std::min(a.count, b.count);
    int c = std::memcmp(a.digits, b.digits, static_cast<size_t>(n));
    if (c != 0) {
      mag = c < 0 ? -1 : 1;
    } else {
      mag = a.count < b.count ? -1 : (a.count > b.count ? 1 : 0);
    }
  }
  return a.sign < 0 ? -mag : mag;
}

void Number::AppendOrderedBytes(std::string* out) const {
  Decomposed d;
  Decompose(text_, &d);
  if (d.sign == 0) {
    out->push_back('\x02');
    return;
  }
  const bool neg = d.sign < 0;
  const unsigned char biased =
      static_cast<unsigned char>(d.exponent - kMinExponent);  // 0..255
  char buf[3 + (kMaxNumberDigits + 1) / 2];
  size_t len = 0;
  buf[len++] = neg ? '\x01' : '\x03';
  buf[len++] = static_cast<char>(neg ? 255 - biased : biased);
  for (int k = 0; k < d.count; k += 2) {
    int hi = d.digits[k] - '0';
    int lo = k + 1 < d.count ? d.digits[k + 1] - '0' : 0;
    int b = 2 + 10 * hi + lo;
    buf[len++] = static_cast<char>(neg ? 255 - b : b);
  }
  buf[len++] = neg ? '\xFF' : '\x00';
  out->append(buf, len);
}

}  // namespace godwit
