// AttributeValue, AttributeMap, keys, and DynamoDB's size and validity rules.
//
// Size rules (ItemSize / ValueSize), after the DynamoDB developer guide
// ("Item sizes and formats"):
//   item      sum over attributes of (UTF-8 bytes of the name + value size)
//   S         UTF-8 bytes             B     raw bytes
//   N         ceil(significant digits / 2) + 1   (zero: 1)
//   BOOL,NULL 1
//   M         3 + sum over entries of (1 + name bytes + value size)
//   L         3 + sum over elements of (1 + value size)
//   SS, BS    sum of the members' sizes (as S, B)
//   NS        sum of the members' sizes (as N)
//
// Nesting depth (ValidateItem): a top-level attribute's value is at depth 1
// and each element of an M or L at depth d is at depth d + 1; every value
// must be at depth <= kMaxNestingDepth (32). So a scalar may sit inside at
// most 31 nested M/L values, which is what DynamoDB accepts ("Nesting Levels
// have exceeded supported limits" for 32 wrappers around a scalar).
//
// Attribute names (ValidateItem): every name, at the top level and inside M
// values, is at most kMaxAttributeNameSize bytes ("less than 64 KB", the
// developer guide's naming rules).
#include <algorithm>
#include <cassert>
#include <numeric>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "godwit/item.h"
#include "godwit/json.h"

namespace godwit {
namespace {

struct EntryNameLess {
  bool operator()(const AttributeMap::Entry& e, std::string_view name) const {
    return std::string_view(e.first) < name;
  }
};

}  // namespace

// ---------------------------------------------------------------------------
// AttrType

std::string_view AttrTypeName(AttrType t) {
  switch (t) {
    case AttrType::kS:
      return "S";
    case AttrType::kN:
      return "N";
    case AttrType::kB:
      return "B";
    case AttrType::kBool:
      return "BOOL";
    case AttrType::kNull:
      return "NULL";
    case AttrType::kM:
      return "M";
    case AttrType::kL:
      return "L";
    case AttrType::kSS:
      return "SS";
    case AttrType::kNS:
      return "NS";
    case AttrType::kBS:
      return "BS";
  }
  return "?";
}

std::optional<AttrType> AttrTypeFromName(std::string_view name) {
  switch (name.size()) {
    case 1:
      if (name == "S") return AttrType::kS;
      if (name == "N") return AttrType::kN;
      if (name == "B") return AttrType::kB;
      if (name == "M") return AttrType::kM;
      if (name == "L") return AttrType::kL;
      break;
    case 2:
      if (name == "SS") return AttrType::kSS;
      if (name == "NS") return AttrType::kNS;
      if (name == "BS") return AttrType::kBS;
      break;
    case 4:
      if (name == "BOOL") return AttrType::kBool;
      if (name == "NULL") return AttrType::kNull;
      break;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------
// AttributeMap

const AttributeValue* AttributeMap::Find(std::string_view name) const {
  auto it =
      std::lower_bound(entries_.begin(), entries_.end(), name, EntryNameLess());
  if (it == entries_.end() || it->first != name) return nullptr;
  return &it->second;
}

AttributeValue* AttributeMap::Find(std::string_view name) {
  auto it =
      std::lower_bound(entries_.begin(), entries_.end(), name, EntryNameLess());
  if (it == entries_.end() || it->first != name) return nullptr;
  return &it->second;
}

void AttributeMap::Set(std::string name, AttributeValue value) {
  // Appending in order is the common case (builders, decoders).
  if (entries_.empty() || entries_.back().first < name) {
    entries_.emplace_back(std::move(name), std::move(value));
    return;
  }
  auto it = std::lower_bound(entries_.begin(), entries_.end(),
                             std::string_view(name), EntryNameLess());
  if (it != entries_.end() && it->first == name) {
    it->second = std::move(value);
  } else {
    entries_.emplace(it, std::move(name), std::move(value));
  }
}

bool AttributeMap::Erase(std::string_view name) {
  auto it =
      std::lower_bound(entries_.begin(), entries_.end(), name, EntryNameLess());
  if (it == entries_.end() || it->first != name) return false;
  entries_.erase(it);
  return true;
}

void AttributeMap::Append(std::string name, AttributeValue value) {
  entries_.emplace_back(std::move(name), std::move(value));
}

std::optional<std::string> AttributeMap::Finish() {
  auto name_less = [](const Entry& a, const Entry& b) {
    return a.first < b.first;
  };
  bool strictly_sorted = true;
  for (size_t i = 1; i < entries_.size(); ++i) {
    if (!(entries_[i - 1].first < entries_[i].first)) {
      strictly_sorted = false;
      break;
    }
  }
  if (strictly_sorted) return std::nullopt;
  std::stable_sort(entries_.begin(), entries_.end(), name_less);
  for (size_t i = 1; i < entries_.size(); ++i) {
    if (entries_[i - 1].first == entries_[i].first) return entries_[i].first;
  }
  return std::nullopt;
}

void AttributeMap::AppendSortedUnchecked(std::string name,
                                         AttributeValue value) {
  assert(entries_.empty() || entries_.back().first < name);
  entries_.emplace_back(std::move(name), std::move(value));
}

bool operator==(const AttributeMap& a, const AttributeMap& b) {
  return a.entries_ == b.entries_;
}

// ---------------------------------------------------------------------------
// AttributeValue

Result<AttributeValue> AttributeValue::N(std::string_view text) {
  ASSIGN_OR_RETURN(Number n, Number::Parse(text));
  return AttributeValue(AttrType::kN, std::move(n));
}

namespace {

Status DuplicateMember(size_t input_index) {
  return Status::InvalidArgument("[" + std::to_string(input_index) +
                                 "]: duplicate set member");
}

// Sorts `members` by `less` and checks uniqueness. On a duplicate, names the
// smallest input index that repeats an earlier member.
template <typename T, typename Less>
Status SortSetMembers(std::vector<T>* members, Less less) {
  const size_t n = members->size();
  if (n == 0) return Status::InvalidArgument("empty set");
  bool strictly_sorted = true;
  for (size_t i = 1; i < n; ++i) {
    if (!less((*members)[i - 1], (*members)[i])) {
      strictly_sorted = false;
      break;
    }
  }
  if (strictly_sorted) return Status::OK();
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return less((*members)[a], (*members)[b]);
  });
  size_t dup = n;
  for (size_t i = 1; i < n; ++i) {
    // Stable: equal members keep input order, so order[i] is the later one.
    if (!less((*members)[order[i - 1]], (*members)[order[i]])) {
      dup = std::min<size_t>(dup, order[i]);
    }
  }
  if (dup != n) return DuplicateMember(dup);
  std::vector<T> sorted;
  sorted.reserve(n);
  for (uint32_t i : order) sorted.push_back(std::move((*members)[i]));
  *members = std::move(sorted);
  return Status::OK();
}

}  // namespace

Result<AttributeValue> AttributeValue::SS(StringSet members) {
  RETURN_IF_ERROR(SortSetMembers(
      &members,
      [](const std::string& a, const std::string& b) { return a < b; }));
  return AttributeValue(AttrType::kSS, std::move(members));
}

Result<AttributeValue> AttributeValue::NS(NumberSet members) {
  RETURN_IF_ERROR(SortSetMembers(
      &members,
      [](const Number& a, const Number& b) { return a.Compare(b) < 0; }));
  return AttributeValue(AttrType::kNS, std::move(members));
}

Result<AttributeValue> AttributeValue::BS(StringSet members) {
  RETURN_IF_ERROR(SortSetMembers(
      &members,
      [](const std::string& a, const std::string& b) { return a < b; }));
  return AttributeValue(AttrType::kBS, std::move(members));
}

// ---------------------------------------------------------------------------
// Keys

Result<KeyAttribute> KeySchema::ParseAttribute(std::string_view spec) {
  auto bad = [&](std::string_view why) {
    return Status::InvalidArgument("key attribute \"" + std::string(spec) +
                                   "\": " + std::string(why));
  };
  size_t colon = spec.rfind(':');
  if (colon == std::string_view::npos) {
    return bad("expected NAME:TYPE, e.g. pk:S");
  }
  std::string_view name = spec.substr(0, colon);
  std::string_view type = spec.substr(colon + 1);
  if (name.empty()) return bad("empty attribute name");
  if (name.size() > 255) return bad("attribute name longer than 255 bytes");
  KeyAttribute attr;
  attr.name = std::string(name);
  if (type == "S") {
    attr.type = AttrType::kS;
  } else if (type == "N") {
    attr.type = AttrType::kN;
  } else if (type == "B") {
    attr.type = AttrType::kB;
  } else {
    return bad("type must be S, N or B");
  }
  return attr;
}

std::string KeySchema::ToString() const {
  std::string out = hash.name;
  out += ':';
  out += AttrTypeName(hash.type);
  if (range) {
    out += ',';
    out += range->name;
    out += ':';
    out += AttrTypeName(range->type);
  }
  return out;
}

namespace {

// Appends ".name" when the name is non-empty, at most 256 bytes and only
// [A-Za-z0-9_-], else ["name"] with the name escaped as a JSON string (the
// JSON codec's paths); a longer name is cut at a UTF-8 character boundary
// and shown as ["first 256 bytes..."], as the JSON codec shows it.
void AppendPathName(std::string_view name, std::string* out) {
  constexpr size_t kMaxShown = 256;
  bool plain = !name.empty() && name.size() <= kMaxShown;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '_' || c == '-')) {
      plain = false;
      break;
    }
  }
  if (plain) {
    out->push_back('.');
    out->append(name);
    return;
  }
  out->push_back('[');
  if (name.size() <= kMaxShown) {
    AppendJsonQuoted(name, out);
  } else {
    size_t cut = kMaxShown;
    while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80) {
      --cut;
    }
    AppendJsonQuoted(name.substr(0, cut), out);
    out->insert(out->size() - 1, "...");
  }
  out->push_back(']');
}

std::string NamePath(std::string_view name) {
  std::string out = "$";
  AppendPathName(name, &out);
  return out;
}

Result<AttributeValue> ExtractKeyPart(const Item& item,
                                      const KeyAttribute& attr,
                                      bool partition) {
  const char* role = partition ? "partition key" : "sort key";
  const AttributeValue* v = item.Find(attr.name);
  std::string path = NamePath(attr.name);
  if (v == nullptr) {
    return Status::InvalidArgument(path + ": missing " + role);
  }
  if (v->type() != attr.type) {
    return Status::InvalidArgument(path + ": key attribute must be of type " +
                                   std::string(AttrTypeName(attr.type)) +
                                   ", got " +
                                   std::string(AttrTypeName(v->type())));
  }
  size_t size = 0;
  if (v->is(AttrType::kS) || v->is(AttrType::kB)) {
    size = v->is(AttrType::kS) ? v->s().size() : v->b().size();
    if (size == 0) {
      return Status::InvalidArgument(path + ": " + role + " must not be empty");
    }
  } else {
    size = ValueSize(*v);
  }
  size_t limit = partition ? kMaxPartitionKeySize : kMaxSortKeySize;
  if (size > limit) {
    return Status::InvalidArgument(path + ": " + role + " is " +
                                   std::to_string(size) + " bytes, over the " +
                                   std::to_string(limit) + "-byte limit");
  }
  return *v;
}

}  // namespace

Result<Key> ExtractKey(const Item& item, const KeySchema& schema) {
  Key key;
  ASSIGN_OR_RETURN(key.hash, ExtractKeyPart(item, schema.hash, true));
  if (schema.range) {
    ASSIGN_OR_RETURN(AttributeValue r,
                     ExtractKeyPart(item, *schema.range, false));
    key.range = std::move(r);
  }
  return key;
}

Item KeyToItem(const Key& key, const KeySchema& schema) {
  Item item;
  item.Set(schema.hash.name, key.hash);
  if (schema.range && key.range) item.Set(schema.range->name, *key.range);
  return item;
}

void AppendOrderedKeyBytes(const AttributeValue& v, std::string* out) {
  if (v.is(AttrType::kN)) {
    v.n().AppendOrderedBytes(out);
    return;
  }
  assert(v.is(AttrType::kS) || v.is(AttrType::kB));
  const std::string& bytes = v.is(AttrType::kS) ? v.s() : v.b();
  out->reserve(out->size() + bytes.size() + 2);
  size_t start = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] == '\0') {
      out->append(bytes, start, i - start);
      out->append("\0\xFF", 2);
      start = i + 1;
    }
  }
  out->append(bytes, start, bytes.size() - start);
  out->append("\0\0", 2);
}

void AppendOrderedKeyBytes(const Key& key, std::string* out) {
  AppendOrderedKeyBytes(key.hash, out);
  if (key.range) AppendOrderedKeyBytes(*key.range, out);
}

// ---------------------------------------------------------------------------
// Sizes and validation

namespace {

size_t NumberSize(const Number& n) {
  return static_cast<size_t>((n.significant_digits() + 1) / 2 + 1);
}

}  // namespace

size_t ValueSize(const AttributeValue& v) {
  switch (v.type()) {
    case AttrType::kS:
      return v.s().size();
    case AttrType::kB:
      return v.b().size();
    case AttrType::kN:
      return NumberSize(v.n());
    case AttrType::kBool:
    case AttrType::kNull:
      return 1;
    case AttrType::kM: {
      size_t size = 3;
      for (const auto& [name, value] : v.m()) {
        size += 1 + name.size() + ValueSize(value);
      }
      return size;
    }
    case AttrType::kL: {
      size_t size = 3;
      for (const AttributeValue& e : v.l()) size += 1 + ValueSize(e);
      return size;
    }
    case AttrType::kSS:
    case AttrType::kBS: {
      size_t size = 0;
      for (const std::string& m : v.ss()) size += m.size();
      return size;
    }
    case AttrType::kNS: {
      size_t size = 0;
      for (const Number& m : v.ns()) size += NumberSize(m);
      return size;
    }
  }
  return 0;
}

size_t ItemSize(const Item& item) {
  size_t size = 0;
  for (const auto& [name, value] : item) size += name.size() + ValueSize(value);
  return size;
}

namespace {

// The path from the item to the value being checked; rendered only on error.
struct PathElem {
  const std::string* name;  // nullptr for a list index
  size_t index;
};

std::string RenderPath(const std::vector<PathElem>& path) {
  std::string out = "$";
  for (const PathElem& e : path) {
    if (e.name != nullptr) {
      AppendPathName(*e.name, &out);
    } else {
      out += '[';
      out += std::to_string(e.index);
      out += ']';
    }
  }
  return out;
}

// An attribute name over kMaxAttributeNameSize; `path` ends at the name.
Status NameTooLong(const std::vector<PathElem>& path, size_t size) {
  return Status::InvalidArgument(RenderPath(path) + ": attribute name is " +
                                 std::to_string(size) + " bytes, over the " +
                                 std::to_string(kMaxAttributeNameSize) +
                                 "-byte limit (DynamoDB: less than 64 KB)");
}

// Checks depth and attribute names below `v` (at depth `depth`), stopping at
// the first violation.
Status CheckNested(const AttributeValue& v, int depth,
                   std::vector<PathElem>* path) {
  if (depth > kMaxNestingDepth) {
    return Status::InvalidArgument(
        RenderPath(*path) + ": nesting depth exceeds " +
        std::to_string(kMaxNestingDepth) + " levels");
  }
  if (v.is(AttrType::kM)) {
    for (const auto& [name, value] : v.m()) {
      if (name.size() > kMaxAttributeNameSize) {
        path->push_back({&name, 0});
        return NameTooLong(*path, name.size());
      }
      if (!value.is(AttrType::kM) && !value.is(AttrType::kL) &&
          depth < kMaxNestingDepth) {
        continue;
      }
      path->push_back({&name, 0});
      RETURN_IF_ERROR(CheckNested(value, depth + 1, path));
      path->pop_back();
    }
  } else if (v.is(AttrType::kL)) {
    const auto& list = v.l();
    for (size_t i = 0; i < list.size(); ++i) {
      if (!list[i].is(AttrType::kM) && !list[i].is(AttrType::kL) &&
          depth < kMaxNestingDepth) {
        continue;
      }
      path->push_back({nullptr, i});
      RETURN_IF_ERROR(CheckNested(list[i], depth + 1, path));
      path->pop_back();
    }
  }
  return Status::OK();
}

}  // namespace

Status ValidateItem(const Item& item, const KeySchema* schema) {
  if (schema != nullptr) {
    RETURN_IF_ERROR(ExtractKey(item, *schema));
  }
  std::vector<PathElem> path;
  for (const auto& [name, value] : item) {
    if (name.size() > kMaxAttributeNameSize) {
      path.assign(1, PathElem{&name, 0});
      return NameTooLong(path, name.size());
    }
    if (!value.is(AttrType::kM) && !value.is(AttrType::kL)) continue;
    path.clear();
    path.push_back({&name, 0});
    RETURN_IF_ERROR(CheckNested(value, 1, &path));
  }
  size_t size = ItemSize(item);
  if (size > kMaxItemSize) {
    return Status::InvalidArgument("$: item size " + std::to_string(size) +
                                   " bytes exceeds the 400 KB limit (" +
                                   std::to_string(kMaxItemSize) + " bytes)");
  }
  return Status::OK();
}

// ---------------------------------------------------------------------------
// DebugString

namespace {

void AppendQuoted(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(ch);
    } else if (c == '\n') {
      out->append("\\n");
    } else if (c < 0x20 || c == 0x7F) {
      out->append("\\x");
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 15]);
    } else {
      out->push_back(ch);
    }
  }
  out->push_back('"');
}

void AppendBinary(std::string_view b, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->append("x\"");
  for (char ch : b) {
    unsigned char c = static_cast<unsigned char>(ch);
    out->push_back(kHex[c >> 4]);
    out->push_back(kHex[c & 15]);
  }
  out->push_back('"');
}

void AppendDebug(const AttributeValue& v, std::string* out);

void AppendDebugMap(const AttributeMap& m, std::string* out) {
  out->push_back('{');
  bool first = true;
  for (const auto& [name, value] : m) {
    if (!first) out->append(", ");
    first = false;
    out->append(name);
    out->append(": ");
    AppendDebug(value, out);
  }
  out->push_back('}');
}

void AppendDebug(const AttributeValue& v, std::string* out) {
  out->append(AttrTypeName(v.type()));
  switch (v.type()) {
    case AttrType::kS:
      out->push_back(' ');
      AppendQuoted(v.s(), out);
      return;
    case AttrType::kN:
      out->push_back(' ');
      out->append(v.n().text());
      return;
    case AttrType::kB:
      out->push_back(' ');
      AppendBinary(v.b(), out);
      return;
    case AttrType::kBool:
      out->append(v.boolean() ? " true" : " false");
      return;
    case AttrType::kNull:
      return;
    case AttrType::kM:
      out->push_back(' ');
      AppendDebugMap(v.m(), out);
      return;
    case AttrType::kL: {
      out->append(" [");
      bool first = true;
      for (const AttributeValue& e : v.l()) {
        if (!first) out->append(", ");
        first = false;
        AppendDebug(e, out);
      }
      out->push_back(']');
      return;
    }
    case AttrType::kSS:
    case AttrType::kBS: {
      out->append(" [");
      bool first = true;
      for (const std::string& m : v.ss()) {
        if (!first) out->append(", ");
        first = false;
        if (v.is(AttrType::kSS)) {
          AppendQuoted(m, out);
        } else {
          AppendBinary(m, out);
        }
      }
      out->push_back(']');
      return;
    }
    case AttrType::kNS: {
      out->append(" [");
      bool first = true;
      for (const Number& m : v.ns()) {
        if (!first) out->append(", ");
        first = false;
        out->append(m.text());
      }
      out->push_back(']');
      return;
    }
  }
}

}  // namespace

std::string DebugString(const Item& item) {
  std::string out;
  AppendDebugMap(item, &out);
  return out;
}

std::string DebugString(const AttributeValue& v) {
  std::string out;
  AppendDebug(v, &out);
  return out;
}

}  // namespace godwit
