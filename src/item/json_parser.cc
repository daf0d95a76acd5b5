// JsonParser: DynamoDB JSON to items and values (the grammar and the
// strictness rules are at the top of json.cc), on simdjson's On-Demand API.
// Errors name the path of the offending value ($.a.b[2]).
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "godwit/item.h"
#include "godwit/json.h"
#include "godwit/status.h"
#include "item/json_internal.h"

namespace godwit {
namespace {

namespace od = simdjson::ondemand;
using simdjson::error_code;

// ---------------------------------------------------------------------------
// Error-path helpers (never on the success path).

// Offset of the first byte that starts an invalid UTF-8 sequence, or
// text.size() if the text is valid.
size_t FirstInvalidUtf8(std::string_view text) {
  const unsigned char* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return i;
    }
    if (i + len > n) return i;
    for (size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return i;
    }
    i += len;
  }
  return n;
}

// Scans JSON text for strings. Returns the offset of the first raw control
// character inside a string (*unclosed = false), or of the opening quote of
// a string that never closes (*unclosed = true), or text.size().
size_t FindStringProblem(std::string_view text, bool* unclosed) {
  *unclosed = false;
  size_t open = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (!in_string) {
      if (c == '"') {
        in_string = true;
        open = i;
      }
    } else if (c == '\\') {
      ++i;  // the escaped character, whatever it is
    } else if (c == '"') {
      in_string = false;
    } else if (c < 0x20) {
      return i;
    }
  }
  if (in_string) {
    *unclosed = true;
    return open;
  }
  return text.size();
}

bool IsPlainName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// A JSON-quoted rendering of (possibly hostile) text for messages: at most
// max_shown bytes, cut at a UTF-8 boundary, with "..." when cut.
std::string QuoteForMessage(std::string_view text, size_t max_shown = 64) {
  std::string out;
  if (text.size() <= max_shown) {
    AppendJsonQuoted(text, &out);
    return out;
  }
  size_t cut = max_shown;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) {
    --cut;
  }
  AppendJsonQuoted(text.substr(0, cut), &out);
  out.insert(out.size() - 1, "...");
  return out;
}

enum class TypeKey : uint8_t {
  kUnknown,
  kS,
  kN,
  kB,
  kBool,
  kNull,
  kM,
  kL,
  kSS,
  kNS,
  kBS
};

inline TypeKey ClassifyTypeKey(std::string_view k) {
  switch (k.size()) {
    case 1:
      switch (k[0]) {
        case 'S':
          return TypeKey::kS;
        case 'N':
          return TypeKey::kN;
        case 'B':
          return TypeKey::kB;
        case 'M':
          return TypeKey::kM;
        case 'L':
          return TypeKey::kL;
        default:
          return TypeKey::kUnknown;
      }
    case 2:
      if (k[1] != 'S') return TypeKey::kUnknown;
      switch (k[0]) {
        case 'S':
          return TypeKey::kSS;
        case 'N':
          return TypeKey::kNS;
        case 'B':
          return TypeKey::kBS;
        default:
          return TypeKey::kUnknown;
      }
    case 4:
      if (k == "BOOL") return TypeKey::kBool;
      if (k == "NULL") return TypeKey::kNull;
      return TypeKey::kUnknown;
    default:
      return TypeKey::kUnknown;
  }
}

// The type key whose raw JSON text (after the opening quote, which simdjson
// has matched with a closing one) is at `raw`, if it is spelled without
// escapes; kUnknown otherwise. Reads stop at the closing quote.
inline TypeKey ClassifyRawTypeKey(const char* raw) {
  auto ends = [raw](int i) { return raw[i] == '"'; };
  switch (raw[0]) {
    case 'S':
      if (ends(1)) return TypeKey::kS;
      return raw[1] == 'S' && ends(2) ? TypeKey::kSS : TypeKey::kUnknown;
    case 'N':
      if (ends(1)) return TypeKey::kN;
      if (raw[1] == 'S' && ends(2)) return TypeKey::kNS;
      return raw[1] == 'U' && raw[2] == 'L' && raw[3] == 'L' && ends(4)
                 ? TypeKey::kNull
                 : TypeKey::kUnknown;
    case 'B':
      if (ends(1)) return TypeKey::kB;
      if (raw[1] == 'S' && ends(2)) return TypeKey::kBS;
      return raw[1] == 'O' && raw[2] == 'O' && raw[3] == 'L' && ends(4)
                 ? TypeKey::kBool
                 : TypeKey::kUnknown;
    case 'M':
      return ends(1) ? TypeKey::kM : TypeKey::kUnknown;
    case 'L':
      return ends(1) ? TypeKey::kL : TypeKey::kUnknown;
    default:
      return TypeKey::kUnknown;
  }
}

std::string_view TypeKeyName(TypeKey t) {
  switch (t) {
    case TypeKey::kS:
      return "S";
    case TypeKey::kN:
      return "N";
    case TypeKey::kB:
      return "B";
    case TypeKey::kBool:
      return "BOOL";
    case TypeKey::kNull:
      return "NULL";
    case TypeKey::kM:
      return "M";
    case TypeKey::kL:
      return "L";
    case TypeKey::kSS:
      return "SS";
    case TypeKey::kNS:
      return "NS";
    case TypeKey::kBS:
      return "BS";
    case TypeKey::kUnknown:
      break;
  }
  return "?";
}

}  // namespace

// ---------------------------------------------------------------------------
// The parser.

struct JsonParser::Impl {
  // One segment of an error path, collected innermost first while the
  // recursion unwinds.
  struct Segment {
    enum Kind : uint8_t { kName, kIndex } kind;
    std::string name;
    size_t index = 0;
  };

  od::parser parser;
  od::document doc;
  // The padded copy of the input.
  std::unique_ptr<char[]> buf;
  size_t buf_capacity = 0;
  size_t input_size = 0;   // bytes in buf (without a skipped BOM)
  size_t offset_bias = 0;  // 3 if a BOM was skipped

  // Per-depth scratch space for building maps and lists (index: the depth
  // of their elements, 1..kMaxNestingDepth). Sized once: references into it
  // stay valid while deeper levels use their own slots.
  std::vector<std::vector<AttributeMap::Entry>> map_scratch =
      std::vector<std::vector<AttributeMap::Entry>>(kMaxNestingDepth + 2);
  std::vector<AttributeValue::List> list_scratch =
      std::vector<AttributeValue::List>(kMaxNestingDepth + 2);

  // Empties a scratch vector, keeping its memory unless it grew unusually
  // large (one hostile item should not pin it).
  template <typename T>
  static void ReleaseScratch(std::vector<T>* v) {
    constexpr size_t kKeep = 1024;
    if (v->capacity() > kKeep) {
      std::vector<T>().swap(*v);
    } else {
      v->clear();
    }
  }

  // The error being reported (valid after a parse step returned false).
  std::string reason;
  std::vector<Segment> path;

  // --- error reporting: each returns false so callers can `return Fail..`.
  bool Fail(std::string why) {
    reason = std::move(why);
    return false;
  }
  bool Push(std::string_view name) {
    path.push_back(Segment{Segment::kName, std::string(name), 0});
    return false;
  }
  bool PushIndex(size_t i) {
    path.push_back(Segment{Segment::kIndex, std::string(), i});
    return false;
  }
  // "malformed JSON at byte <at>: <simdjson's text>"; `at` may be
  // input_size ("at end of input") or kNoOffset (no position).
  static constexpr size_t kNoOffset = ~size_t{0};
  bool FailJsonAt(error_code e, size_t at) {
    reason = "malformed JSON";
    if (at < input_size) {
      reason += " at byte " + std::to_string(at + offset_bias);
    } else if (at != kNoOffset) {
      reason += " at end of input";
    }
    reason += ": ";
    reason += simdjson::error_message(e);
    return false;
  }
  size_t Offset(const void* p) const {
    return static_cast<size_t>(static_cast<const char*>(p) - buf.get());
  }
  // A simdjson error found while iterating, at the iterator's position.
  bool FailJson(error_code e) {
    auto loc = doc.current_location();
    return FailJsonAt(e, loc.error() == simdjson::SUCCESS
                             ? Offset(loc.value_unsafe())
                             : input_size);
  }
  // An error unescaping a key: at its opening quote.
  bool FailKey(error_code e, const char* raw_key) {
    if (e != simdjson::STRING_ERROR) return FailJson(e);
    return FailJsonAt(e, Offset(raw_key) - 1);
  }
  // Unescapes the key of `field` into *key.
  bool Key(od::field& field, std::string_view* key) {
    const char* raw = field.key().raw();  // key() is gone once unescaped
    error_code e = field.unescaped_key().get(*key);
    if (e) return FailKey(e, raw);
    return true;
  }
  // An INCORRECT_TYPE from get_*: either the value has another JSON type
  // (report `why`) or it is not a JSON value at all (malformed JSON).
  bool FailType(od::value& v, error_code e, const char* why) {
    if (e != simdjson::INCORRECT_TYPE) return FailJson(e);
    od::json_type t;
    if (v.type().get(t) != simdjson::SUCCESS) {
      return FailJson(simdjson::TAPE_ERROR);
    }
    return Fail(why);
  }

  // Longer names are cut in paths (shown as ["first 256 bytes..."]).
  static constexpr size_t kMaxPathName = 256;

  Status TakeError() {
    std::string msg = "$";
    for (auto it = path.rbegin(); it != path.rend(); ++it) {
      if (it->kind == Segment::kIndex) {
        msg += '[';
        msg += std::to_string(it->index);
        msg += ']';
      } else if (it->name.size() <= kMaxPathName && IsPlainName(it->name)) {
        msg += '.';
        msg += it->name;
      } else {
        msg += '[';
        msg += QuoteForMessage(it->name, kMaxPathName);
        msg += ']';
      }
    }
    msg += ": ";
    msg += reason;
    path.clear();
    reason.clear();
    return Status::InvalidArgument(std::move(msg));
  }

  // Copies `json` into the padded buffer and starts iterating it.
  bool Load(std::string_view json) {
    path.clear();
    // A UTF-8 byte order mark is skipped (RFC 8259 allows ignoring it);
    // offsets in messages still count from the start of the input.
    offset_bias = 0;
    if (json.starts_with("\xEF\xBB\xBF")) {
      json.remove_prefix(3);
      offset_bias = 3;
    }
    const size_t need = json.size() + simdjson::SIMDJSON_PADDING;
    // Grow geometrically; give back a buffer far larger than needed (one
    // hostile huge input should not pin its memory forever).
    constexpr size_t kKeepLimit = 64 << 20;
    if (need > buf_capacity ||
        (buf_capacity > kKeepLimit && need < buf_capacity / 8)) {
      size_t cap = std::max<size_t>(need, 4096);
      if (need > buf_capacity) cap = std::max(cap, buf_capacity * 2);
      buf.reset(new char[cap]);
      buf_capacity = cap;
    }
    if (parser.capacity() > kKeepLimit && json.size() < kKeepLimit / 8) {
      parser = od::parser();  // drop simdjson's buffers for a huge input
    }
    std::memcpy(buf.get(), json.data(), json.size());
    std::memset(buf.get() + json.size(), 0, simdjson::SIMDJSON_PADDING);
    input_size = json.size();
    error_code e =
        parser.iterate(buf.get(), json.size(), buf_capacity).get(doc);
    if (e == simdjson::SUCCESS) return true;
    // Stage-1 errors: simdjson does not say where; find it ourselves.
    size_t off = kNoOffset;
    if (e == simdjson::UTF8_ERROR) {
      off = FirstInvalidUtf8(json);
    } else if (e == simdjson::UNCLOSED_STRING ||
               e == simdjson::UNESCAPED_CHARS) {
      bool unclosed;
      off = FindStringProblem(json, &unclosed);
    }
    if (off >= json.size()) off = kNoOffset;
    return FailJsonAt(e, off);
  }

  // True if nothing but whitespace follows the current position.
  bool AtEnd() {
    auto loc = doc.current_location();
    return loc.error() == simdjson::OUT_OF_BOUNDS;
  }

  bool ParseRootObject(od::object* obj) {
    error_code e = doc.get_object().get(*obj);
    if (e == simdjson::INCORRECT_TYPE) return Fail("not an object");
    if (e == simdjson::INCOMPLETE_ARRAY_OR_OBJECT) {
      // simdjson checks up front that the last token closes the root.
      FailJson(e);
      reason += " (the input does not end with the '}' closing this object)";
      return false;
    }
    if (e) return FailJson(e);
    return true;
  }

  bool ParseItemDoc(Item* item) {
    od::object obj;
    if (!ParseRootObject(&obj) || !ParseMap(obj, 1, item)) return false;
    if (!AtEnd()) return Fail("trailing content after the item");
    return true;
  }

  bool ParseLineDoc(Item* item) {
    od::object obj;
    if (!ParseRootObject(&obj)) return false;
    bool seen = false;
    for (auto field_result : obj) {
      od::field field;
      error_code e = std::move(field_result).get(field);
      if (e) return FailJson(e);
      std::string_view key;
      if (!Key(field, &key)) return false;
      if (key != "Item") {
        Fail(R"(unexpected key in an item line, which is {"Item": {...}})");
        return Push(key);
      }
      if (seen) {
        Fail("duplicate key");
        return Push(key);
      }
      seen = true;
      od::object inner;
      e = field.value().get_object().get(inner);
      if (e) {
        FailType(field.value(), e, "not an object");
        return Push("Item");
      }
      if (!ParseMap(inner, 1, item)) return Push("Item");
    }
    if (!seen) return Fail(R"(an item line must be {"Item": {...}})");
    if (!AtEnd()) return Fail("trailing content after the item line");
    return true;
  }

  bool ParseValueDoc(AttributeValue* out) {
    od::object obj;
    if (!ParseRootObject(&obj) || !ParseTyped(obj, 1, out)) return false;
    if (!AtEnd()) return Fail("trailing content after the value");
    return true;
  }

  // An item or an M: {"name": value, ...}. `depth` is the depth of the
  // map's values (1 for the item itself).
  bool ParseMap(od::object& obj, int depth, AttributeMap* out) {
    // Entries collect in this depth's scratch vector (its capacity is reused
    // from parse to parse), then move into a map allocated at its size.
    std::vector<AttributeMap::Entry>& entries = map_scratch[depth];
    entries.clear();
    for (auto field_result : obj) {
      od::field field;
      error_code e = std::move(field_result).get(field);
      if (e) return FailJson(e);
      std::string_view key;
      if (!Key(field, &key)) return false;
      if (key.size() > kMaxAttributeNameSize) {
        Fail("attribute name is " + std::to_string(key.size()) +
             " bytes, over the " + std::to_string(kMaxAttributeNameSize) +
             "-byte limit (DynamoDB: less than 64 KB)");
        return Push(key);
      }
      AttributeMap::Entry& entry = entries.emplace_back(key, AttributeValue());
      if (!ParseAttr(field.value(), depth, &entry.second)) {
        return Push(entry.first);
      }
    }
    out->Reserve(entries.size());
    for (AttributeMap::Entry& entry : entries) {
      out->Append(std::move(entry.first), std::move(entry.second));
    }
    ReleaseScratch(&entries);
    if (std::optional<std::string> dup = out->Finish()) {
      Fail("duplicate attribute name");
      return Push(*dup);
    }
    return true;
  }

  // A value at depth `depth` inside an item, M or L.
  bool ParseAttr(od::value& v, int depth, AttributeValue* out) {
    // Checked before parsing the value: recursion stays bounded.
    if (depth > kMaxNestingDepth) {
      return Fail("nesting deeper than " + std::to_string(kMaxNestingDepth) +
                  " levels");
    }
    od::object obj;
    error_code e = v.get_object().get(obj);
    if (e) return FailType(v, e, "not an object");
    return ParseTyped(obj, depth, out);
  }

  // {"<type>": payload}, exactly one key; the value is at depth `depth`.
  bool ParseTyped(od::object& obj, int depth, AttributeValue* out) {
    bool seen = false;
    for (auto field_result : obj) {
      od::field field;
      error_code e = std::move(field_result).get(field);
      if (e) return FailJson(e);
      if (seen) return Fail("a value must have exactly one type key");
      seen = true;
      // Type keys are almost never escaped: classify the raw bytes, and
      // unescape only when that fails.
      TypeKey type = ClassifyRawTypeKey(field.key().raw());
      std::string_view key;
      if (type == TypeKey::kUnknown) {
        if (!Key(field, &key)) return false;
        type = ClassifyTypeKey(key);
      }
      od::value& payload = field.value();
      bool ok;
      switch (type) {
        case TypeKey::kS:
          ok = ParseS(payload, out);
          break;
        case TypeKey::kN:
          ok = ParseN(payload, out);
          break;
        case TypeKey::kB:
          ok = ParseB(payload, out);
          break;
        case TypeKey::kBool:
          ok = ParseBool(payload, out);
          break;
        case TypeKey::kNull:
          ok = ParseNull(payload, out);
          break;
        case TypeKey::kM:
          ok = ParseM(payload, depth + 1, out);
          break;
        case TypeKey::kL:
          ok = ParseL(payload, depth + 1, out);
          break;
        case TypeKey::kSS:
        case TypeKey::kNS:
        case TypeKey::kBS:
          ok = ParseSet(payload, type, out);
          break;
        default:
          return Fail("unknown type " + QuoteForMessage(key));
      }
      if (!ok) return Push(TypeKeyName(type));
    }
    if (!seen) return Fail("a value must have exactly one type key");
    return true;
  }

  bool GetString(od::value& v, std::string_view* s) {
    error_code e = v.get_string().get(*s);
    if (e == simdjson::STRING_ERROR) {
      // A bad escape: report the string's opening quote.
      return FailJsonAt(e, Offset(v.raw_json_token().data()));
    }
    if (e) return FailType(v, e, "must be a string");
    return true;
  }

  bool ParseS(od::value& v, AttributeValue* out) {
    std::string_view s;
    if (!GetString(v, &s)) return false;
    *out = AttributeValue::S(std::string(s));
    return true;
  }

  bool ParseNumber(std::string_view text, Number* n) {
    Result<Number> r = Number::Parse(text);
    if (!r.ok()) return Fail(std::string(r.status().message()));
    *n = std::move(r).value();
    return true;
  }

  bool ParseN(od::value& v, AttributeValue* out) {
    std::string_view s;
    Number n;
    if (!GetString(v, &s) || !ParseNumber(s, &n)) return false;
    *out = AttributeValue::N(std::move(n));
    return true;
  }

  bool ParseBase64(std::string_view text, std::string* bytes) {
    if (!json_internal::DecodeBase64(text, bytes, &reason)) return false;
    return true;
  }

  bool ParseB(od::value& v, AttributeValue* out) {
    std::string_view s;
    std::string bytes;
    if (!GetString(v, &s) || !ParseBase64(s, &bytes)) return false;
    *out = AttributeValue::B(std::move(bytes));
    return true;
  }

  bool ParseBool(od::value& v, AttributeValue* out) {
    bool b;
    error_code e = v.get_bool().get(b);
    if (e) return FailType(v, e, "must be true or false");
    *out = AttributeValue::Bool(b);
    return true;
  }

  bool ParseNull(od::value& v, AttributeValue* out) {
    bool b;
    error_code e = v.get_bool().get(b);
    if (e) return FailType(v, e, "must be true");
    if (!b) return Fail("must be true");
    *out = AttributeValue::Null();
    return true;
  }

  // `depth` is the depth of the M's (or L's) elements.
  bool ParseM(od::value& v, int depth, AttributeValue* out) {
    od::object obj;
    error_code e = v.get_object().get(obj);
    if (e) return FailType(v, e, "must be an object");
    AttributeMap m;
    if (!ParseMap(obj, depth, &m)) return false;
    *out = AttributeValue::M(std::move(m));
    return true;
  }

  bool ParseL(od::value& v, int depth, AttributeValue* out) {
    od::array arr;
    error_code e = v.get_array().get(arr);
    if (e) return FailType(v, e, "must be an array");
    AttributeValue::List& scratch = list_scratch[depth];
    scratch.clear();
    size_t i = 0;
    for (auto element_result : arr) {
      od::value element;
      if ((e = std::move(element_result).get(element))) {
        FailJson(e);
        return PushIndex(i);
      }
      if (!ParseAttr(element, depth, &scratch.emplace_back())) {
        return PushIndex(i);
      }
      ++i;
    }
    AttributeValue::List list;
    list.reserve(scratch.size());
    for (AttributeValue& element : scratch) list.push_back(std::move(element));
    ReleaseScratch(&scratch);
    *out = AttributeValue::L(std::move(list));
    return true;
  }

  bool ParseSet(od::value& v, TypeKey type, AttributeValue* out) {
    od::array arr;
    error_code e = v.get_array().get(arr);
    if (e) return FailType(v, e, "must be an array");
    AttributeValue::StringSet strings;
    AttributeValue::NumberSet numbers;
    size_t i = 0;
    for (auto element_result : arr) {
      od::value element;
      if ((e = std::move(element_result).get(element))) {
        FailJson(e);
        return PushIndex(i);
      }
      std::string_view s;
      if (!GetString(element, &s)) return PushIndex(i);
      if (type == TypeKey::kSS) {
        strings.emplace_back(s);
      } else if (type == TypeKey::kBS) {
        std::string bytes;
        if (!ParseBase64(s, &bytes)) return PushIndex(i);
        strings.push_back(std::move(bytes));
      } else {
        Number n;
        if (!ParseNumber(s, &n)) return PushIndex(i);
        numbers.push_back(std::move(n));
      }
      ++i;
    }
    Result<AttributeValue> set =
        type == TypeKey::kSS   ? AttributeValue::SS(std::move(strings))
        : type == TypeKey::kBS ? AttributeValue::BS(std::move(strings))
                               : AttributeValue::NS(std::move(numbers));
    if (!set.ok()) return SetError(set.status());
    *out = std::move(set).value();
    return true;
  }

  // AttributeValue::SS/NS/BS report "empty set", or "duplicate set member"
  // naming the member's input index as "[i]: duplicate set member".
  bool SetError(const Status& s) {
    std::string_view msg = s.message();
    if (msg.size() > 2 && msg[0] == '[') {
      size_t close = msg.find(']');
      size_t index = 0;
      bool digits = close != std::string_view::npos && close > 1;
      for (size_t k = 1; digits && k < close; ++k) {
        if (msg[k] < '0' || msg[k] > '9') {
          digits = false;
        } else {
          index = index * 10 + static_cast<size_t>(msg[k] - '0');
        }
      }
      if (digits && msg.substr(close + 1).starts_with(": ")) {
        Fail(std::string(msg.substr(close + 3)));
        return PushIndex(index);
      }
    }
    return Fail(std::string(msg));
  }
};

JsonParser::JsonParser() : impl_(std::make_unique<Impl>()) {}
JsonParser::~JsonParser() = default;

Result<Item> JsonParser::ParseItem(std::string_view json) {
  Item item;
  if (!impl_->Load(json) || !impl_->ParseItemDoc(&item)) {
    return impl_->TakeError();
  }
  return item;
}

Result<Item> JsonParser::ParseItemLine(std::string_view json) {
  Item item;
  if (!impl_->Load(json) || !impl_->ParseLineDoc(&item)) {
    return impl_->TakeError();
  }
  return item;
}

Result<AttributeValue> JsonParser::ParseValue(std::string_view json) {
  AttributeValue value;
  if (!impl_->Load(json) || !impl_->ParseValueDoc(&value)) {
    return impl_->TakeError();
  }
  return value;
}

}  // namespace godwit
