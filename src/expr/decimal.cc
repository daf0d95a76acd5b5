// Exact addition and subtraction of DynamoDB numbers on decimal digit
// strings: no double, no fixed-width integer.
//
// A canonical number's text (see Number in item.h) is read as
//   sign, digits D (integer part then fraction, no point), scale s
// with value = sign × D × 10^-s. Two operands are brought to the larger scale
// by appending zeros, their digit strings added or subtracted schoolbook
// style, and the result rendered back to canonical text. The result is then
// checked against DynamoDB's number rules, with DynamoDB's messages: more
// than 38 significant digits (which DynamoDB reports as an overflow), a
// magnitude of 1E+126 or more (overflow), or a non-zero magnitude under
// 1E-130 (underflow).
#include <algorithm>
#include <string>

#include "godwit/expression.h"

namespace godwit {
namespace {

constexpr char kOverflow[] =
    "Number overflow. Attempting to store a number with magnitude larger "
    "than supported range";
constexpr char kUnderflow[] =
    "Number underflow. Attempting to store a number with magnitude smaller "
    "than supported range";

struct Decimal {
  bool negative = false;
  std::string digits;  // ASCII digits, most significant first
  size_t scale = 0;    // digits after the decimal point
};

Decimal FromNumber(const Number& n) {
  Decimal d;
  const std::string& t = n.text();
  size_t i = 0;
  if (!t.empty() && t[0] == '-') {
    d.negative = true;
    i = 1;
  }
  for (; i < t.size(); ++i) {
    if (t[i] == '.') {
      d.scale = t.size() - i - 1;
    } else {
      d.digits.push_back(t[i]);
    }
  }
  return d;
}

// Compares two digit strings of equal length.
int CompareDigits(const std::string& a, const std::string& b) {
  int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

// a + b, equal lengths; result may be one digit longer.
std::string AddDigits(const std::string& a, const std::string& b) {
  std::string out(a.size() + 1, '0');
  int carry = 0;
  for (size_t k = 0; k < a.size(); ++k) {
    size_t i = a.size() - 1 - k;
    int s = (a[i] - '0') + (b[i] - '0') + carry;
    out[out.size() - 1 - k] = static_cast<char>('0' + s % 10);
    carry = s / 10;
  }
  out[0] = static_cast<char>('0' + carry);
  return out;
}

// a - b, equal lengths, REQUIRES a >= b.
std::string SubtractDigits(const std::string& a, const std::string& b) {
  std::string out(a.size(), '0');
  int borrow = 0;
  for (size_t k = 0; k < a.size(); ++k) {
    size_t i = a.size() - 1 - k;
    int s = (a[i] - '0') - (b[i] - '0') - borrow;
    borrow = s < 0 ? 1 : 0;
    if (s < 0) s += 10;
    out[i] = static_cast<char>('0' + s);
  }
  return out;
}

Result<Number> Combine(const Number& x, const Number& y, bool subtract) {
  Decimal a = FromNumber(x);
  Decimal b = FromNumber(y);
  if (subtract) b.negative = !b.negative;
  // Same scale: pad fractions with trailing zeros.
  size_t scale = std::max(a.scale, b.scale);
  a.digits.append(scale - a.scale, '0');
  b.digits.append(scale - b.scale, '0');
  // Same length: pad with leading zeros.
  size_t len = std::max(a.digits.size(), b.digits.size());
  a.digits.insert(0, len - a.digits.size(), '0');
  b.digits.insert(0, len - b.digits.size(), '0');

  bool negative;
  std::string digits;
  if (a.negative == b.negative) {
    negative = a.negative;
    digits = AddDigits(a.digits, b.digits);
  } else {
    int c = CompareDigits(a.digits, b.digits);
    if (c == 0) return Number();
    if (c > 0) {
      negative = a.negative;
      digits = SubtractDigits(a.digits, b.digits);
    } else {
      negative = b.negative;
      digits = SubtractDigits(b.digits, a.digits);
    }
  }
  // Split at the decimal point and trim.
  std::string int_part = digits.substr(0, digits.size() - scale);
  std::string frac_part = digits.substr(digits.size() - scale);
  size_t nz = int_part.find_first_not_of('0');
  int_part = nz == std::string::npos ? "" : int_part.substr(nz);
  size_t last = frac_part.find_last_not_of('0');
  frac_part = last == std::string::npos ? "" : frac_part.substr(0, last + 1);
  if (int_part.empty() && frac_part.empty()) return Number();

  // Significant digits: from the first non-zero digit to the last one.
  std::string all = int_part + frac_part;
  size_t first = all.find_first_not_of('0');
  size_t final = all.find_last_not_of('0');
  size_t significant = final - first + 1;
  if (significant > static_cast<size_t>(kMaxNumberDigits)) {
    return Status::InvalidArgument(kOverflow);
  }
  if (int_part.size() > 126) return Status::InvalidArgument(kOverflow);
  if (int_part.empty()) {
    size_t zeros = frac_part.find_first_not_of('0');
    // 0.<zeros>d... >= 10^-(zeros+1); the smallest allowed is 10^-130.
    if (zeros + 1 > 130) return Status::InvalidArgument(kUnderflow);
  }
  std::string text;
  if (negative) text.push_back('-');
  text += int_part.empty() ? "0" : int_part;
  if (!frac_part.empty()) {
    text.push_back('.');
    text += frac_part;
  }
  return Number::FromCanonicalUnchecked(std::move(text));
}

}  // namespace

Result<Number> AddNumbers(const Number& a, const Number& b) {
  return Combine(a, b, /*subtract=*/false);
}

Result<Number> SubtractNumbers(const Number& a, const Number& b) {
  return Combine(a, b, /*subtract=*/true);
}

}  // namespace godwit
