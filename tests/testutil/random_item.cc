#include "testutil/random_item.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace godwit::test {
namespace {

int Uniform(std::mt19937_64& rng, int lo, int hi) {
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}

bool Chance(std::mt19937_64& rng, double p) {
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng) < p;
}

[[noreturn]] void GeneratorBug(const std::string& what) {
  std::fprintf(stderr, "random_item: generator bug: %s\n", what.c_str());
  std::abort();
}

Number ParseOrDie(const std::string& text) {
  Result<Number> n = Number::Parse(text);
  if (!n.ok()) GeneratorBug(text + ": " + n.status().ToString());
  return std::move(n).value();
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

uint32_t RandomCodePoint(std::mt19937_64& rng) {
  static constexpr uint32_t kSpecial[] = {
      '"',  '\\',   '/',    0,      '\n',   '\t',   '\r',    '\b',     '\f',
      0x7F, 0x2028, 0x2029, 0xFEFF, 0xFFFD, 0xFFFF, 0x1F600, 0x10FFFF, 0xE9};
  int r = Uniform(rng, 0, 99);
  if (r < 40) return static_cast<uint32_t>(Uniform(rng, 0x20, 0x7E));
  if (r < 50) {
    return kSpecial[Uniform(rng, 0,
                            sizeof(kSpecial) / sizeof(kSpecial[0]) - 1)];
  }
  if (r < 55) return static_cast<uint32_t>(Uniform(rng, 0x00, 0x1F));
  if (r < 70) return static_cast<uint32_t>(Uniform(rng, 0x80, 0x7FF));
  if (r < 85) {
    uint32_t cp;
    do {
      cp = static_cast<uint32_t>(Uniform(rng, 0x800, 0xFFFF));
    } while (cp >= 0xD800 && cp <= 0xDFFF);
    return cp;
  }
  return static_cast<uint32_t>(Uniform(rng, 0x10000, 0x10FFFF));
}

std::string RandomDigits(std::mt19937_64& rng, int n) {
  std::string d(static_cast<size_t>(n), '0');
  for (int i = 0; i < n; ++i)
    d[i] = static_cast<char>('0' + Uniform(rng, 0, 9));
  d[0] = static_cast<char>('1' + Uniform(rng, 0, 8));
  d[n - 1] = static_cast<char>('1' + Uniform(rng, 0, 8));
  return d;
}

// sign × 0.digits × 10^e.
Number MakeNumber(bool negative, const std::string& digits, int e) {
  std::string text = negative ? "-0." : "0.";
  text += digits;
  text += 'e';
  text += std::to_string(e);
  return ParseOrDie(text);
}

std::string RandomName(std::mt19937_64& rng, const RandomItemOptions& o) {
  if (Chance(rng, 0.5)) {
    static constexpr const char* kWords[] = {
        "id", "name", "status", "count", "price", "tags", "data", "a", "_x"};
    std::string name = kWords[Uniform(rng, 0, 8)];
    if (Chance(rng, 0.5)) name += std::to_string(Uniform(rng, 0, 99));
    return name;
  }
  return RandomUtf8(rng, 1, std::max(1, o.max_string / 2));
}

AttributeValue RandomScalar(std::mt19937_64& rng, const RandomItemOptions& o) {
  switch (Uniform(rng, 0, 7)) {
    case 0:
      return AttributeValue::S(RandomUtf8(rng, 0, o.max_string));
    case 1:
      return AttributeValue::N(RandomNumber(rng));
    case 2:
      return AttributeValue::B(RandomBytes(rng, o.max_binary));
    case 3:
      return AttributeValue::Bool(Chance(rng, 0.5));
    case 4:
      return AttributeValue::Null();
    case 5: {
      std::set<std::string> m;
      int n = Uniform(rng, 1, std::max(1, o.max_container));
      while (static_cast<int>(m.size()) < n) {
        m.insert(RandomUtf8(rng, 0, o.max_string));
      }
      return AttributeValue::SSUnchecked({m.begin(), m.end()});
    }
    case 6: {
      std::set<std::string> texts;
      std::vector<Number> members;
      int n = Uniform(rng, 1, std::max(1, o.max_container));
      while (static_cast<int>(members.size()) < n) {
        Number x = RandomNumber(rng);
        if (texts.insert(x.text()).second) members.push_back(std::move(x));
      }
      Result<AttributeValue> v = AttributeValue::NS(std::move(members));
      if (!v.ok()) GeneratorBug(v.status().ToString());
      return std::move(v).value();
    }
    default: {
      std::set<std::string> m;
      int n = Uniform(rng, 1, std::max(1, o.max_container));
      while (static_cast<int>(m.size()) < n) {
        m.insert(RandomBytes(rng, o.max_binary));
      }
      return AttributeValue::BSUnchecked({m.begin(), m.end()});
    }
  }
}

// A chain of containers from `level` down to kMaxNestingDepth, a scalar (or
// nothing) at the bottom.
AttributeValue DeepChain(std::mt19937_64& rng, const RandomItemOptions& o,
                         int level) {
  std::vector<bool> is_map;
  for (int l = level; l < kMaxNestingDepth; ++l)
    is_map.push_back(Chance(rng, 0.5));
  AttributeValue v = RandomScalar(rng, o);
  for (auto it = is_map.rbegin(); it != is_map.rend(); ++it) {
    if (*it) {
      AttributeMap m;
      m.Set(RandomName(rng, o), std::move(v));
      v = AttributeValue::M(std::move(m));
    } else {
      AttributeValue::List l;
      l.push_back(std::move(v));
      v = AttributeValue::L(std::move(l));
    }
  }
  return v;
}

}  // namespace

std::string RandomUtf8(std::mt19937_64& rng, int min_chars, int max_chars) {
  std::string out;
  int n = Uniform(rng, min_chars, std::max(min_chars, max_chars));
  for (int i = 0; i < n; ++i) AppendUtf8(RandomCodePoint(rng), &out);
  return out;
}

std::string RandomBytes(std::mt19937_64& rng, int max_len) {
  std::string out(static_cast<size_t>(Uniform(rng, 0, max_len)), '\0');
  for (char& c : out) c = static_cast<char>(Uniform(rng, 0, 255));
  return out;
}

Number RandomNumber(std::mt19937_64& rng) {
  const bool neg = Chance(rng, 0.4);
  switch (Uniform(rng, 0, 9)) {
    case 0:
      return Number();
    case 1:
    case 2:
      return Number::FromInt64(Uniform(rng, -1000000, 1000000));
    case 3: {  // a price
      int cents = Uniform(rng, 1, 10000000);
      std::string text = (neg ? "-" : "") + std::to_string(cents / 100) + "." +
                         std::to_string(cents % 100 / 10) +
                         std::to_string(cents % 10);
      return ParseOrDie(text);
    }
    case 4: {  // full-range int64, extremes included
      static constexpr int64_t kEdges[] = {INT64_MIN, INT64_MAX, INT64_MIN + 1,
                                           (int64_t{1} << 53) + 1,
                                           -(int64_t{1} << 53)};
      if (Chance(rng, 0.3))
        return Number::FromInt64(kEdges[Uniform(rng, 0, 4)]);
      return Number::FromInt64(static_cast<int64_t>(rng()));
    }
    case 5:
    case 6: {  // anything in range
      int n = Uniform(rng, 1, kMaxNumberDigits);
      return MakeNumber(neg, RandomDigits(rng, n), Uniform(rng, -129, 126));
    }
    case 7: {  // at the edges of the range
      int n = Chance(rng, 0.5) ? 1 : Uniform(rng, 1, kMaxNumberDigits);
      if (Chance(rng, 0.5)) {
        // 1E-130 and just above.
        std::string digits = Chance(rng, 0.5) ? "1" : RandomDigits(rng, n);
        return MakeNumber(neg, digits, -129);
      }
      std::string digits = Chance(rng, 0.5) ? std::string(kMaxNumberDigits, '9')
                                            : RandomDigits(rng, n);
      return MakeNumber(neg, digits, 126);
    }
    default: {  // 38 significant digits near 1
      return MakeNumber(neg, RandomDigits(rng, kMaxNumberDigits),
                        Uniform(rng, -5, 40));
    }
  }
}

AttributeValue RandomValue(std::mt19937_64& rng, const RandomItemOptions& o,
                           int level) {
  const bool may_nest = level <= o.max_depth && level < kMaxNestingDepth;
  if (level < kMaxNestingDepth && o.deep_probability > 0 &&
      Chance(rng, o.deep_probability)) {
    return DeepChain(rng, o, level);
  }
  if (!may_nest || Chance(rng, 0.7)) return RandomScalar(rng, o);
  if (Chance(rng, 0.5)) {
    AttributeMap m;
    int n = Uniform(rng, 0, o.max_container);
    for (int i = 0; i < n; ++i) {
      m.Set(RandomName(rng, o), RandomValue(rng, o, level + 1));
    }
    return AttributeValue::M(std::move(m));
  }
  AttributeValue::List l;
  int n = Uniform(rng, 0, o.max_container);
  for (int i = 0; i < n; ++i) l.push_back(RandomValue(rng, o, level + 1));
  return AttributeValue::L(std::move(l));
}

Item RandomItem(std::mt19937_64& rng, const RandomItemOptions& o) {
  Item item;
  int n = Uniform(rng, 1, std::max(1, o.max_attributes));
  for (int i = 0; i < n; ++i) item.Set(RandomName(rng, o), RandomValue(rng, o));
  if (o.schema != nullptr) {
    std::vector<const KeyAttribute*> keys = {&o.schema->hash};
    if (o.schema->range) keys.push_back(&*o.schema->range);
    for (const KeyAttribute* k : keys) {
      switch (k->type) {
        case AttrType::kN:
          item.Set(k->name, AttributeValue::N(RandomNumber(rng)));
          break;
        case AttrType::kB:
          item.Set(k->name, AttributeValue::B(RandomBytes(rng, o.max_binary) +
                                              static_cast<char>(rng())));
          break;
        default:
          item.Set(k->name, AttributeValue::S(
                                RandomUtf8(rng, 1, std::max(1, o.max_string))));
          break;
      }
    }
  }
  return item;
}

// ---------------------------------------------------------------------------
// Benchmark items

namespace {

std::string Pick(std::mt19937_64& rng, std::initializer_list<const char*> l) {
  auto it = l.begin();
  std::advance(it, Uniform(rng, 0, static_cast<int>(l.size()) - 1));
  return *it;
}

std::string DigitsOf(std::mt19937_64& rng, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s.push_back(static_cast<char>('0' + rng() % 10));
  return s;
}

std::string Timestamp(std::mt19937_64& rng) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "2024-%02d-%02dT%02d:%02d:%02d.%03dZ",
                Uniform(rng, 1, 12), Uniform(rng, 1, 28), Uniform(rng, 0, 23),
                Uniform(rng, 0, 59), Uniform(rng, 0, 59), Uniform(rng, 0, 999));
  return buf;
}

AttributeValue Money(std::mt19937_64& rng, int max_units) {
  int cents = Uniform(rng, 1, max_units * 100);
  std::string text = std::to_string(cents / 100);
  if (cents % 100 != 0) {
    text += '.';
    text += static_cast<char>('0' + cents % 100 / 10);
    if (cents % 10 != 0) text += static_cast<char>('0' + cents % 10);
  }
  return AttributeValue::N(ParseOrDie(text));
}

AttributeValue Str(std::string s) { return AttributeValue::S(std::move(s)); }

}  // namespace

Item MakeOrderItem(uint64_t seed) {
  std::mt19937_64 rng(seed);
  Item item;
  const std::string order = DigitsOf(rng, 12);
  const std::string customer = DigitsOf(rng, 10);
  item.Set("pk", Str("ORDER#" + order));
  item.Set("sk", Str("METADATA"));
  item.Set("customerId", Str("CUSTOMER#" + customer));
  item.Set(
      "status",
      Str(Pick(rng, {"PENDING", "PAID", "SHIPPED", "DELIVERED", "CANCELLED"})));
  item.Set("createdAt", Str(Timestamp(rng)));
  item.Set("updatedAt", Str(Timestamp(rng)));
  item.Set("currency", Str("USD"));
  item.Set("version",
           AttributeValue::N(Number::FromInt64(Uniform(rng, 1, 40))));
  item.Set("ttl", AttributeValue::N(Number::FromInt64(
                      1700000000 + Uniform(rng, 0, 1 << 25))));
  AttributeValue::List lines;
  const int n_lines = 3;
  for (int i = 0; i < n_lines; ++i) {
    AttributeMap line;
    line.Set("sku", Str("SKU-" + DigitsOf(rng, 6) + "-" +
                        Pick(rng, {"S", "M", "L", "XL"})));
    line.Set("name", Str(Pick(rng, {"Merino wool crew sweater",
                                    "Stainless steel water bottle 750ml",
                                    "Noise cancelling headphones",
                                    "Organic cotton t-shirt, 3 pack"})));
    line.Set("quantity",
             AttributeValue::N(Number::FromInt64(Uniform(rng, 1, 5))));
    line.Set("unitPrice", Money(rng, 300));
    line.Set("giftWrap", AttributeValue::Bool(Chance(rng, 0.2)));
    lines.push_back(AttributeValue::M(std::move(line)));
  }
  item.Set("lineItems", AttributeValue::L(std::move(lines)));
  item.Set("itemCount", AttributeValue::N(Number::FromInt64(n_lines)));
  item.Set("subtotal", Money(rng, 900));
  item.Set("tax", Money(rng, 90));
  item.Set("total", Money(rng, 1000));
  AttributeMap address;
  address.Set("name", Str(Pick(rng, {"Ana Lucía Fernández", "Jordan Smith",
                                     "Zoë Müller", "Nguyễn Văn An"})));
  address.Set("line1", Str(std::to_string(Uniform(rng, 1, 9999)) + " " +
                           Pick(rng, {"Market Street", "Elm Avenue",
                                      "Rue de Rivoli", "Königstraße"})));
  address.Set("line2", Str(Chance(rng, 0.5) ? "Apt " + DigitsOf(rng, 3) : ""));
  address.Set("city",
              Str(Pick(rng, {"San Francisco", "Paris", "Berlin", "Hà Nội"})));
  address.Set("postalCode", Str(DigitsOf(rng, 5)));
  address.Set("country", Str(Pick(rng, {"US", "FR", "DE", "VN"})));
  address.Set("phone",
              Str("+1-555-" + DigitsOf(rng, 3) + "-" + DigitsOf(rng, 4)));
  item.Set("shippingAddress", AttributeValue::M(std::move(address)));
  AttributeMap payment;
  payment.Set("method", Str(Pick(rng, {"card", "paypal", "giftcard"})));
  payment.Set("brand", Str(Pick(rng, {"VISA", "MASTERCARD", "AMEX"})));
  payment.Set("last4", Str(DigitsOf(rng, 4)));
  payment.Set("authorized", AttributeValue::Bool(true));
  item.Set("payment", AttributeValue::M(std::move(payment)));
  std::set<std::string> tags;
  tags.insert(Pick(rng, {"priority", "standard"}));
  tags.insert(Pick(rng, {"gift", "self"}));
  tags.insert(Pick(rng, {"domestic", "international"}));
  item.Set("tags", AttributeValue::SSUnchecked({tags.begin(), tags.end()}));
  item.Set("notes", Str("Please leave the parcel with the concierge if nobody "
                        "answers. Ref " +
                        DigitsOf(rng, 8) + "."));
  item.Set("giftMessage", AttributeValue::Null());
  item.Set("isReturnable", AttributeValue::Bool(Chance(rng, 0.8)));
  std::string checksum(16, '\0');
  for (char& c : checksum) c = static_cast<char>(rng());
  item.Set("checksum", AttributeValue::B(std::move(checksum)));
  return item;
}

Item MakeSmallItem(uint64_t seed) {
  std::mt19937_64 rng(seed);
  Item item;
  item.Set("pk", Str("USER#" + DigitsOf(rng, 8)));
  item.Set("sk", Str("SESSION#" + DigitsOf(rng, 6)));
  item.Set("status", Str(Pick(rng, {"active", "idle", "expired"})));
  item.Set("hits",
           AttributeValue::N(Number::FromInt64(Uniform(rng, 0, 99999))));
  item.Set("updatedAt", Str(Timestamp(rng)));
  item.Set("active", AttributeValue::Bool(Chance(rng, 0.5)));
  return item;
}

// ---------------------------------------------------------------------------
// Shuffled DynamoDB JSON

namespace {

class ShuffledWriter {
 public:
  ShuffledWriter(std::mt19937_64& rng, std::string* out)
      : rng_(rng), out_(out) {}

  void Map(const AttributeMap& m) {
    std::vector<size_t> order(m.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), rng_);
    Ws();
    out_->push_back('{');
    bool first = true;
    for (size_t i : order) {
      const auto& [name, value] = *(m.begin() + static_cast<ptrdiff_t>(i));
      if (!first) out_->push_back(',');
      first = false;
      Ws();
      String(name);
      Ws();
      out_->push_back(':');
      Value(value);
    }
    Ws();
    out_->push_back('}');
    Ws();
  }

  void Value(const AttributeValue& v) {
    Ws();
    out_->push_back('{');
    Ws();
    String(AttrTypeName(v.type()), /*escape_p=*/0.03);
    Ws();
    out_->push_back(':');
    Ws();
    switch (v.type()) {
      case AttrType::kS:
        String(v.s());
        break;
      case AttrType::kN:
        String(ShuffledNumberText(v.n(), rng_));
        break;
      case AttrType::kB:
        String(Base64(v.b()));
        break;
      case AttrType::kBool:
        out_->append(v.boolean() ? "true" : "false");
        break;
      case AttrType::kNull:
        out_->append("true");
        break;
      case AttrType::kM:
        Map(v.m());
        break;
      case AttrType::kL: {
        out_->push_back('[');
        bool first = true;
        for (const AttributeValue& e : v.l()) {
          if (!first) out_->push_back(',');
          first = false;
          Value(e);
        }
        Ws();
        out_->push_back(']');
        break;
      }
      case AttrType::kSS:
      case AttrType::kBS:
      case AttrType::kNS: {
        std::vector<std::string> members;
        if (v.is(AttrType::kNS)) {
          for (const Number& n : v.ns()) {
            members.push_back(ShuffledNumberText(n, rng_));
          }
        } else {
          for (const std::string& s : v.ss()) {
            members.push_back(v.is(AttrType::kBS) ? Base64(s) : s);
          }
        }
        std::shuffle(members.begin(), members.end(), rng_);
        out_->push_back('[');
        bool first = true;
        for (const std::string& s : members) {
          if (!first) out_->push_back(',');
          first = false;
          Ws();
          String(s);
          Ws();
        }
        out_->push_back(']');
        break;
      }
    }
    Ws();
    out_->push_back('}');
    Ws();
  }

 private:
  // Occasional insignificant whitespace.
  void Ws() {
    if (!Chance(rng_, 0.05)) return;
    static constexpr char kWs[] = {' ', '\t', '\n', '\r'};
    int n = Uniform(rng_, 1, 2);
    for (int i = 0; i < n; ++i) out_->push_back(kWs[Uniform(rng_, 0, 3)]);
  }

  void Hex4(uint32_t u) {
    static constexpr char kLower[] = "0123456789abcdef";
    static constexpr char kUpper[] = "0123456789ABCDEF";
    const char* digits = Chance(rng_, 0.5) ? kLower : kUpper;
    out_->append("\\u");
    for (int shift = 12; shift >= 0; shift -= 4) {
      out_->push_back(digits[(u >> shift) & 15]);
    }
  }

  void Unicode(uint32_t cp) {
    if (cp < 0x10000) {
      Hex4(cp);
    } else {
      uint32_t v = cp - 0x10000;
      Hex4(0xD800 + (v >> 10));
      Hex4(0xDC00 + (v & 0x3FF));
    }
  }

  // A JSON string for UTF-8 `s`, each character escaped with probability
  // escape_p (and always when JSON requires it).
  void String(std::string_view s, double escape_p = 0.15) {
    out_->push_back('"');
    size_t i = 0;
    while (i < s.size()) {
      unsigned char c = static_cast<unsigned char>(s[i]);
      size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
      if (i + len > s.size()) len = s.size() - i;
      uint32_t cp = len == 1   ? c
                    : len == 2 ? c & 0x1F
                    : len == 3 ? c & 0x0F
                               : c & 0x07;
      for (size_t k = 1; k < len; ++k) {
        cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
      }
      const bool must = cp < 0x20 || cp == '"' || cp == '\\';
      if (must || Chance(rng_, escape_p)) {
        const char* short_form = nullptr;
        switch (cp) {
          case '"':
            short_form = "\\\"";
            break;
          case '\\':
            short_form = "\\\\";
            break;
          case '/':
            short_form = "\\/";
            break;
          case '\b':
            short_form = "\\b";
            break;
          case '\f':
            short_form = "\\f";
            break;
          case '\n':
            short_form = "\\n";
            break;
          case '\r':
            short_form = "\\r";
            break;
          case '\t':
            short_form = "\\t";
            break;
        }
        if (short_form != nullptr && Chance(rng_, 0.6)) {
          out_->append(short_form);
        } else {
          Unicode(cp);
        }
      } else {
        out_->append(s.data() + i, len);
      }
      i += len;
    }
    out_->push_back('"');
  }

  static std::string Base64(std::string_view b) {
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    size_t i = 0;
    for (; i + 3 <= b.size(); i += 3) {
      uint32_t v = (static_cast<unsigned char>(b[i]) << 16) |
                   (static_cast<unsigned char>(b[i + 1]) << 8) |
                   static_cast<unsigned char>(b[i + 2]);
      out.push_back(kAlphabet[v >> 18]);
      out.push_back(kAlphabet[(v >> 12) & 63]);
      out.push_back(kAlphabet[(v >> 6) & 63]);
      out.push_back(kAlphabet[v & 63]);
    }
    if (b.size() - i == 1) {
      uint32_t v = static_cast<unsigned char>(b[i]) << 16;
      out.push_back(kAlphabet[v >> 18]);
      out.push_back(kAlphabet[(v >> 12) & 63]);
      out.append("==");
    } else if (b.size() - i == 2) {
      uint32_t v = (static_cast<unsigned char>(b[i]) << 16) |
                   (static_cast<unsigned char>(b[i + 1]) << 8);
      out.push_back(kAlphabet[v >> 18]);
      out.push_back(kAlphabet[(v >> 12) & 63]);
      out.push_back(kAlphabet[(v >> 6) & 63]);
      out.push_back('=');
    }
    return out;
  }

  std::mt19937_64& rng_;
  std::string* out_;
};

}  // namespace

std::string ShuffledNumberText(const Number& n, std::mt19937_64& rng) {
  // Decompose the canonical text independently of number.cc:
  // sign × 0.digits × 10^e.
  std::string_view t = n.text();
  bool negative = !t.empty() && t[0] == '-';
  if (negative) t.remove_prefix(1);
  std::string digits;
  int e = 0;
  size_t point = t.find('.');
  std::string_view int_part = t.substr(0, point);
  std::string_view frac_part = point == std::string_view::npos
                                   ? std::string_view()
                                   : t.substr(point + 1);
  std::string all = std::string(int_part) + std::string(frac_part);
  size_t first = all.find_first_not_of('0');
  std::string out;
  auto zeros = [&](int lo, int hi) {
    return std::string(static_cast<size_t>(Uniform(rng, lo, hi)), '0');
  };
  auto exponent = [&](int x) {
    std::string s = Chance(rng, 0.5) ? "e" : "E";
    if (x < 0) {
      s += '-';
    } else if (Chance(rng, 0.3)) {
      s += '+';
    }
    if (Chance(rng, 0.2)) s += zeros(1, 3);
    s += std::to_string(x < 0 ? -x : x);
    return s;
  };
  if (first == std::string::npos) {  // zero
    int r = Uniform(rng, 0, 2);
    if (r == 1) out += '-';
    if (r == 2) out += '+';
    out += "0" + zeros(0, 2);
    if (Chance(rng, 0.5)) out += "." + zeros(1, 3);
    if (Chance(rng, 0.4)) out += exponent(Uniform(rng, -200, 200));
    return out;
  }
  size_t last = all.find_last_not_of('0');
  digits = all.substr(first, last - first + 1);
  e = static_cast<int>(int_part.size()) - static_cast<int>(first);
  const int nd = static_cast<int>(digits.size());

  if (negative) {
    out += '-';
  } else if (Chance(rng, 0.2)) {
    out += '+';
  }
  // Write digits with the point after p of them (p may be <= 0 or > nd),
  // then the exponent e - p.
  int p;
  switch (Uniform(rng, 0, 3)) {
    case 0:  // plain notation (the exponent part is then omitted or 0)
      p = e;
      break;
    case 1:  // d.ddd
      p = 1;
      break;
    case 2:  // integer mantissa, maybe with trailing zeros
      p = nd + Uniform(rng, 0, 3);
      break;
    default:
      p = Uniform(rng, -3, nd + 3);
      break;
  }
  std::string mantissa;
  if (p <= 0) {
    mantissa = "0." + std::string(static_cast<size_t>(-p), '0') + digits;
  } else if (p >= nd) {
    mantissa = digits + std::string(static_cast<size_t>(p - nd), '0');
    if (Chance(rng, 0.3)) mantissa += "." + zeros(1, 2);
  } else {
    mantissa = digits.substr(0, static_cast<size_t>(p)) + "." +
               digits.substr(static_cast<size_t>(p));
  }
  if (Chance(rng, 0.2)) mantissa = zeros(1, 3) + mantissa;
  if (mantissa.find('.') != std::string::npos && Chance(rng, 0.2)) {
    mantissa += zeros(1, 3);
  }
  out += mantissa;
  const int x = e - p;
  if (x != 0 || Chance(rng, 0.2)) out += exponent(x);
  return out;
}

std::string ToShuffledJson(const Item& item, std::mt19937_64& rng) {
  std::string out;
  ShuffledWriter(rng, &out).Map(item);
  return out;
}

std::string ToShuffledValueJson(const AttributeValue& v, std::mt19937_64& rng) {
  std::string out;
  ShuffledWriter(rng, &out).Value(v);
  return out;
}

}  // namespace godwit::test
