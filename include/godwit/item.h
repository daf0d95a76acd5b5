// The DynamoDB item model: AttributeValue (the ten types), Item, KeySchema,
// Key, and DynamoDB's number, size and validity rules.
//
// Canonical form. Every value godwit holds is canonical, so that structural
// equality (operator==) is DynamoDB equality:
//   - N: a Number, always in canonical text (see Number).
//   - M and the top-level Item: entries sorted by name (bytewise), names
//     unique.
//   - SS and BS: members sorted bytewise, unique, non-empty.
//   - NS: members sorted numerically, unique, non-empty.
// Constructors that take caller data establish this or fail; the Unchecked
// constructors are for decoders that have already checked it.
//
// Thread safety: values are plain data; const access from many threads is
// safe, mutation needs external synchronisation.
//
// Example:
//   Item item;
//   item.Set("pk", AttributeValue::S("ORDER#1"));
//   ASSIGN_OR_RETURN(Number n, Number::Parse("12.50"));   // text "12.5"
//   item.Set("total", AttributeValue::N(std::move(n)));
//   KeySchema schema{{"pk", AttrType::kS}, std::nullopt};
//   RETURN_IF_ERROR(ValidateItem(item, &schema));
#ifndef GODWIT_ITEM_H_
#define GODWIT_ITEM_H_

#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "godwit/status.h"

namespace godwit {

// The ten DynamoDB attribute types. The numeric values are part of the binary
// codec format: never renumber.
enum class AttrType : uint8_t {
  kS = 0,
  kN = 1,
  kB = 2,
  kBool = 3,
  kNull = 4,
  kM = 5,
  kL = 6,
  kSS = 7,
  kNS = 8,
  kBS = 9,
};

// "S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS".
std::string_view AttrTypeName(AttrType t);
// The inverse of AttrTypeName; nullopt for anything else.
std::optional<AttrType> AttrTypeFromName(std::string_view name);

// DynamoDB limits.
inline constexpr size_t kMaxItemSize = 400 * 1024;  // bytes, DynamoDB rules
inline constexpr int kMaxNestingDepth = 32;
inline constexpr int kMaxNumberDigits = 38;
inline constexpr size_t kMaxPartitionKeySize = 2048;
inline constexpr size_t kMaxSortKeySize = 1024;
// An attribute name (top level or inside an M) is "less than 64 KB" (the
// developer guide, "Supported data types and naming rules"); key attribute
// names are at most 255 bytes (checked with the key schema).
inline constexpr size_t kMaxAttributeNameSize = 64 * 1024 - 1;

// A DynamoDB number: up to 38 significant digits, magnitude between 1E-130 and
// 9.99...E+125 (or zero). Never converted through a double.
//
// Canonical text: plain decimal notation (no exponent), no leading zeros in
// the integer part, no trailing zeros in the fraction, no trailing '.', no
// '+' sign, "0" for any zero (including "-0"). Examples: "1.50" -> "1.5",
// "1e2" -> "100", "-0.0" -> "0", "007" -> "7", "1E-3" -> "0.001".
// Numerically equal numbers have equal canonical text.
class Number {
 public:
  // Zero.
  Number() : text_("0") {}

  // Accepts DynamoDB's input syntax: optional sign, digits with an optional
  // '.', optional exponent (e|E, optional sign, digits). Leading/trailing
  // whitespace is not allowed.
  // Errors: InvalidArgument for bad syntax, more than 38 significant digits,
  // magnitude over 9.99..E+125 or under 1E-130 (non-zero).
  static Result<Number> Parse(std::string_view text);
  static Number FromInt64(int64_t v);
  // REQUIRES: text is canonical (e.g. from text() of another Number). Used by
  // decoders of trusted storage.
  static Number FromCanonicalUnchecked(std::string text);
  // True if `text` is the canonical text of a valid number, i.e. exactly
  // when Parse(text) succeeds and returns `text` unchanged. Cheaper than
  // Parse; for decoders checking stored data before FromCanonicalUnchecked.
  static bool IsCanonical(std::string_view text);

  // The canonical text. Valid as long as this Number lives.
  const std::string& text() const { return text_; }

  bool is_zero() const { return text_ == "0"; }
  bool is_negative() const { return !text_.empty() && text_[0] == '-'; }
  // Number of significant digits (0 for zero).
  int significant_digits() const;

  // The exact value as an int64, if it is an integer that fits.
  std::optional<int64_t> ToInt64() const;
  // The value as a double if, and only if, the double is exactly this number
  // (e.g. 0.5 yes, 0.1 no, 2^53+1 no).
  std::optional<double> ToExactDouble() const;

  // Numeric comparison: <0, 0, >0.
  int Compare(const Number& other) const;
  friend bool operator==(const Number& a, const Number& b) {
    return a.text_ == b.text_;
  }
  friend std::strong_ordering operator<=>(const Number& a, const Number& b) {
    return a.Compare(b) <=> 0;
  }

  // Appends a byte string whose memcmp order equals numeric order, and which
  // is prefix-free (no encoding is a proper prefix of another). Used for sort
  // keys in storage.
  void AppendOrderedBytes(std::string* out) const;

 private:
  explicit Number(std::string text) : text_(std::move(text)) {}
  std::string text_;
};

class AttributeValue;

// Name -> value, sorted by name, names unique. Used for M values and items.
class AttributeMap {
 public:
  using Entry = std::pair<std::string, AttributeValue>;
  using const_iterator = std::vector<Entry>::const_iterator;
  using iterator = std::vector<Entry>::iterator;

  AttributeMap() = default;

  // nullptr if absent. The pointer is valid until the next mutation.
  const AttributeValue* Find(std::string_view name) const;
  AttributeValue* Find(std::string_view name);
  bool Contains(std::string_view name) const { return Find(name) != nullptr; }
  // Inserts or replaces.
  void Set(std::string name, AttributeValue value);
  // True if something was erased.
  bool Erase(std::string_view name);

  // Bulk building for decoders: append in any order, then Finish() sorts.
  // Finish() returns the first duplicated name, if any (the map is then
  // unusable until Clear()).
  void Append(std::string name, AttributeValue value);
  std::optional<std::string> Finish();
  // Appends an entry known to sort after every existing one (decoders of
  // canonical data). REQUIRES: name > last name.
  void AppendSortedUnchecked(std::string name, AttributeValue value);

  void Clear();
  void Reserve(size_t n);
  size_t size() const;
  bool empty() const;
  const_iterator begin() const;
  const_iterator end() const;
  iterator begin();
  iterator end();

  friend bool operator==(const AttributeMap& a, const AttributeMap& b);

 private:
  std::vector<Entry> entries_;
};

// An item is a top-level attribute map.
using Item = AttributeMap;

// One DynamoDB attribute value. Always in canonical form (see top of file).
class AttributeValue {
 public:
  using List = std::vector<AttributeValue>;
  using StringSet = std::vector<std::string>;  // also BS
  using NumberSet = std::vector<Number>;

  // NULL.
  AttributeValue() : type_(AttrType::kNull), v_(std::monostate{}) {}

  static AttributeValue S(std::string s) {
    return AttributeValue(AttrType::kS, std::move(s));
  }
  static AttributeValue N(Number n) {
    return AttributeValue(AttrType::kN, std::move(n));
  }
  // Errors: InvalidArgument if text is not a valid DynamoDB number.
  static Result<AttributeValue> N(std::string_view text);
  static AttributeValue B(std::string bytes) {
    return AttributeValue(AttrType::kB, std::move(bytes));
  }
  static AttributeValue Bool(bool b) {
    return AttributeValue(AttrType::kBool, b);
  }
  static AttributeValue Null() { return AttributeValue(); }
  static AttributeValue M(AttributeMap m) {
    return AttributeValue(AttrType::kM, std::move(m));
  }
  static AttributeValue L(List l) {
    return AttributeValue(AttrType::kL, std::move(l));
  }
  // Sets sort their members. Errors: InvalidArgument "empty set" or
  // "duplicate set member" (the message names the member's input index).
  static Result<AttributeValue> SS(StringSet members);
  static Result<AttributeValue> NS(NumberSet members);
  static Result<AttributeValue> BS(StringSet members);
  // REQUIRES: members canonical (sorted, unique, non-empty).
  static AttributeValue SSUnchecked(StringSet members) {
    return AttributeValue(AttrType::kSS, std::move(members));
  }
  static AttributeValue NSUnchecked(NumberSet members) {
    return AttributeValue(AttrType::kNS, std::move(members));
  }
  static AttributeValue BSUnchecked(StringSet members) {
    return AttributeValue(AttrType::kBS, std::move(members));
  }

  AttrType type() const { return type_; }
  bool is(AttrType t) const { return type_ == t; }

  // Accessors. REQUIRES: the matching type.
  const std::string& s() const { return std::get<std::string>(v_); }
  const Number& n() const { return std::get<Number>(v_); }
  const std::string& b() const { return std::get<std::string>(v_); }
  bool boolean() const { return std::get<bool>(v_); }
  const AttributeMap& m() const { return std::get<AttributeMap>(v_); }
  AttributeMap& mutable_m() { return std::get<AttributeMap>(v_); }
  const List& l() const { return std::get<List>(v_); }
  List& mutable_l() { return std::get<List>(v_); }
  const StringSet& ss() const { return std::get<StringSet>(v_); }
  const NumberSet& ns() const { return std::get<NumberSet>(v_); }
  const StringSet& bs() const { return std::get<StringSet>(v_); }

  friend bool operator==(const AttributeValue& a, const AttributeValue& b) {
    return a.type_ == b.type_ && a.v_ == b.v_;
  }

 private:
  template <typename V>
  AttributeValue(AttrType t, V&& v) : type_(t), v_(std::forward<V>(v)) {}

  AttrType type_;
  std::variant<std::monostate, bool, std::string, Number, AttributeMap, List,
               StringSet, NumberSet>
      v_;
};

// AttributeMap members that need AttributeValue complete.
inline void AttributeMap::Clear() { entries_.clear(); }
inline void AttributeMap::Reserve(size_t n) { entries_.reserve(n); }
inline size_t AttributeMap::size() const { return entries_.size(); }
inline bool AttributeMap::empty() const { return entries_.empty(); }
inline AttributeMap::const_iterator AttributeMap::begin() const {
  return entries_.begin();
}
inline AttributeMap::const_iterator AttributeMap::end() const {
  return entries_.end();
}
inline AttributeMap::iterator AttributeMap::begin() { return entries_.begin(); }
inline AttributeMap::iterator AttributeMap::end() { return entries_.end(); }

// A key attribute of a schema: its name and type (kS, kN or kB).
struct KeyAttribute {
  std::string name;
  AttrType type = AttrType::kS;
  friend bool operator==(const KeyAttribute&, const KeyAttribute&) = default;
};

// A table's primary key: a partition (hash) key and an optional sort (range)
// key.
struct KeySchema {
  KeyAttribute hash;
  std::optional<KeyAttribute> range;
  friend bool operator==(const KeySchema&, const KeySchema&) = default;

  // Parses "pk:S" (used by the command line). Errors: InvalidArgument.
  static Result<KeyAttribute> ParseAttribute(std::string_view spec);
  // "pk:S" or "pk:S,sk:N".
  std::string ToString() const;
};

// The key of one item: the values of its key attributes.
struct Key {
  AttributeValue hash;
  std::optional<AttributeValue> range;
  friend bool operator==(const Key&, const Key&) = default;
};

// Extracts the key of `item` under `schema`.
// Errors: InvalidArgument if a key attribute is missing, of the wrong type,
// empty (S or B), or too long.
Result<Key> ExtractKey(const Item& item, const KeySchema& schema);
// The item holding only the key attributes.
Item KeyToItem(const Key& key, const KeySchema& schema);

// Appends the memcmp-ordered, prefix-free encoding of a key value (S: bytes
// with 0x00 escaped as 0x00 0xFF and terminated by 0x00 0x00; B the same; N:
// Number::AppendOrderedBytes). REQUIRES: v is S, N or B.
void AppendOrderedKeyBytes(const AttributeValue& v, std::string* out);
// The hash value's encoding, then the range value's if any: equal keys give
// equal bytes, and the bytes order as the keys do.
void AppendOrderedKeyBytes(const Key& key, std::string* out);

// DynamoDB's size of an item in bytes (attribute names + values, the rules of
// the DynamoDB developer guide: numbers 1 byte per 2 significant digits + 1,
// BOOL/NULL 1, M/L 3 + 1 per element, ...).
size_t ItemSize(const Item& item);
size_t ValueSize(const AttributeValue& v);

// Checks what DynamoDB checks on a write: size <= 400 KB, nesting depth <= 32,
// attribute names (also inside M values) <= kMaxAttributeNameSize bytes,
// and, if `schema` is non-null, the key attributes (present, right type,
// non-empty, within key size limits). Set and number rules hold by
// construction. Errors: InvalidArgument naming the attribute path, e.g.
// "$.pk: key attribute must be of type S, got N".
Status ValidateItem(const Item& item, const KeySchema* schema);

// A short human rendering for messages and tests, e.g.
// {pk: S "a", n: N 1.5, tags: SS ["x", "y"]}. Not a storage format.
std::string DebugString(const Item& item);
std::string DebugString(const AttributeValue& v);

}  // namespace godwit

#endif  // GODWIT_ITEM_H_
