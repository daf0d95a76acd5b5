// The compact binary item codec, and the canonical item hash.
//
// Binary format, version 1 (also in docs/formats/item-binary.md):
//
//   item_bytes  := version map_body            (EncodeItem / DecodeItem)
//   value_bytes := version value               (EncodeValue / DecodeValue)
//   version     := 0x01
//   map_body    := varint(count) entry*        names strictly increasing
//   entry       := string(name) value
//   value       := 0x00 string                 S
//                | 0x01 number                 N
//                | 0x02 string                 B
//                | 0x03 (0x00 | 0x01)          BOOL false | true
//                | 0x04                        NULL
//                | 0x05 map_body               M
//                | 0x06 varint(count) value*   L
//                | 0x07 set_body               SS  members strictly increasing
//                | 0x08 varint(count) number+  NS  strictly increasing,
//                                                  numerically
//                | 0x09 set_body               BS  members strictly increasing
//   set_body    := varint(count) string+       count >= 1
//   string      := varint(len) byte[len]
//   number      := varint(len) byte[len]       the canonical text of Number
//   varint      := unsigned LEB128, at most 10 bytes, value < 2^64, minimal
//                  (no trailing 0x80 .. 0x00 padding)
//
// The tags are the AttrType values. "Strictly increasing" is bytewise
// (memcmp) order for names, SS and BS, and numeric order for NS. An M or L
// may sit at most at level kMaxCodecDepth (64), a top-level attribute value
// (or the value of value_bytes) being level 1. Every item has exactly one
// encoding: the decoder rejects anything EncodeItem would not have written
// (unsorted or duplicate names or members, empty sets, non-canonical numbers,
// overlong varints, BOOL bytes other than 0/1, trailing bytes) with DataLoss
// naming the byte offset.
//
// Canonical hash serialization (independent of the codec version):
//
//   hash_item   := u64(count) (u64(len) name hash_value)*   entries in order
//   hash_value  := tag payload            tag = AttrType value, 1 byte
//   payload     := S, B: u64(len) bytes;  N: u64(len) canonical text
//                | BOOL: 0x00 | 0x01;     NULL: nothing
//                | M: same as hash_item;  L: u64(count) hash_value*
//                | SS, BS: u64(count) (u64(len) bytes)*
//                | NS: u64(count) (u64(len) canonical text)*
//   u64         := 8 bytes little-endian
//
// HashItem / HashValue are XXH3-128 (seed 0) of hash_item / hash_value.
// Because values are canonical in memory (sorted maps and sets, canonical
// numbers), equal items have equal serializations however they were built.
#include "godwit/codec.h"

#include <xxhash.h>

#include <cassert>
#include <cstring>
#include <string>
#include <string_view>

namespace godwit {
namespace {

constexpr char kVersion = 0x01;

// ---------------------------------------------------------------------------
// Writing. The binary encoding and the hash serialization have one shape and
// differ only in how counts and lengths are written (varint or u64), so one
// writer serves both, parameterised by a Lengths policy. Each output is sized
// exactly first, then written through a raw pointer: one allocation, no
// per-field capacity checks.
//
// WARNING: the hash serialization is a stored contract (verify compares
// hashes computed by different godwit versions). If the codec's grammar ever
// changes, keep FixedLengths' output as documented at the top of this file.

// Codec counts and lengths: unsigned LEB128.
struct VarintLengths {
  static size_t Size(uint64_t v) {
    size_t n = 1;
    while (v >= 0x80) {
      v >>= 7;
      ++n;
    }
    return n;
  }
  static char* Put(uint64_t v, char* p) {
    while (v >= 0x80) {
      *p++ = static_cast<char>(v | 0x80);
      v >>= 7;
    }
    *p++ = static_cast<char>(v);
    return p;
  }
};

// Hash counts and lengths: 8 bytes little-endian.
struct FixedLengths {
  static size_t Size(uint64_t) { return 8; }
  static char* Put(uint64_t v, char* p) {
    for (int i = 0; i < 8; ++i) p[i] = static_cast<char>(v >> (8 * i));
    return p + 8;
  }
};

template <typename L>
size_t StringLength(std::string_view s) {
  return L::Size(s.size()) + s.size();
}

template <typename L>
size_t ValueLength(const AttributeValue& v);

template <typename L>
size_t MapLength(const AttributeMap& m) {
  size_t n = L::Size(m.size());
  for (const auto& [name, value] : m) {
    n += StringLength<L>(name) + ValueLength<L>(value);
  }
  return n;
}

template <typename L>
size_t ValueLength(const AttributeValue& v) {
  switch (v.type()) {
    case AttrType::kS:
      return 1 + StringLength<L>(v.s());
    case AttrType::kN:
      return 1 + StringLength<L>(v.n().text());
    case AttrType::kB:
      return 1 + StringLength<L>(v.b());
    case AttrType::kBool:
      return 2;
    case AttrType::kNull:
      return 1;
    case AttrType::kM:
      return 1 + MapLength<L>(v.m());
    case AttrType::kL: {
      size_t n = 1 + L::Size(v.l().size());
      for (const AttributeValue& e : v.l()) n += ValueLength<L>(e);
      return n;
    }
    case AttrType::kSS:
    case AttrType::kBS: {
      size_t n = 1 + L::Size(v.ss().size());
      for (const std::string& s : v.ss()) n += StringLength<L>(s);
      return n;
    }
    case AttrType::kNS: {
      size_t n = 1 + L::Size(v.ns().size());
      for (const Number& x : v.ns()) n += StringLength<L>(x.text());
      return n;
    }
  }
  return 0;
}

template <typename L>
inline char* PutString(std::string_view s, char* p) {
  p = L::Put(s.size(), p);
  if (!s.empty()) std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

template <typename L>
char* PutValue(const AttributeValue& v, char* p);

template <typename L>
char* PutMap(const AttributeMap& m, char* p) {
  p = L::Put(m.size(), p);
  for (const auto& [name, value] : m) {
    p = PutString<L>(name, p);
    p = PutValue<L>(value, p);
  }
  return p;
}

template <typename L>
char* PutValue(const AttributeValue& v, char* p) {
  *p++ = static_cast<char>(v.type());
  switch (v.type()) {
    case AttrType::kS:
      return PutString<L>(v.s(), p);
    case AttrType::kN:
      return PutString<L>(v.n().text(), p);
    case AttrType::kB:
      return PutString<L>(v.b(), p);
    case AttrType::kBool:
      *p++ = v.boolean() ? '\x01' : '\x00';
      return p;
    case AttrType::kNull:
      return p;
    case AttrType::kM:
      return PutMap<L>(v.m(), p);
    case AttrType::kL:
      p = L::Put(v.l().size(), p);
      for (const AttributeValue& e : v.l()) p = PutValue<L>(e, p);
      return p;
    case AttrType::kSS:
    case AttrType::kBS:
      p = L::Put(v.ss().size(), p);
      for (const std::string& s : v.ss()) p = PutString<L>(s, p);
      return p;
    case AttrType::kNS:
      p = L::Put(v.ns().size(), p);
      for (const Number& x : v.ns()) p = PutString<L>(x.text(), p);
      return p;
  }
  return p;
}

// ---------------------------------------------------------------------------
// Decoding

// How many elements to reserve for a container that claims `count`: capped,
// so that corrupt counts nested many levels deep cannot make the decoder
// reserve far more memory than the input could ever fill.
inline size_t ReserveHint(uint64_t count) {
  constexpr uint64_t kMaxReserve = 1024;
  return static_cast<size_t>(count < kMaxReserve ? count : kMaxReserve);
}

// Reads one encoding. Every reader records the first error in status_ and
// returns a dummy value; callers check ok() after each read.
class Decoder {
 public:
  explicit Decoder(std::string_view in) : base_(in.data()), in_(in) {}

  bool ok() const { return status_.ok(); }
  Status TakeStatus() { return std::move(status_); }

  void Version() {
    if (in_.empty()) return Fail("empty input");
    if (in_[0] != kVersion) {
      return Fail("unknown format version " +
                  std::to_string(static_cast<unsigned char>(in_[0])));
    }
    in_.remove_prefix(1);
  }

  void End() {
    if (!in_.empty()) Fail(std::to_string(in_.size()) + " trailing bytes");
  }

  // `depth` is the level of the map's entries' values.
  void MapBody(int depth, AttributeMap* m) {
    const uint64_t count = Varint("map size");
    if (!ok()) return;
    // Each entry takes at least two bytes (name length, tag).
    if (count > in_.size() / 2) return Fail("map size past the end");
    m->Reserve(ReserveHint(count));
    std::string_view prev;
    for (uint64_t i = 0; i < count; ++i) {
      const size_t at = Offset();
      const std::string_view name = Bytes("attribute name");
      if (!ok()) return;
      if (i > 0 && !(prev < name)) {
        return FailAt(at, prev == name ? "duplicate attribute name"
                                       : "attribute names out of order");
      }
      m->AppendSortedUnchecked(std::string(name), Value(depth));
      if (!ok()) return;
      prev = name;
    }
  }

  // `depth` is the level of this value (a top-level value is level 1).
  AttributeValue Value(int depth) {
    if (in_.empty()) {
      Fail("truncated: missing value");
      return {};
    }
    const size_t at = Offset();
    const unsigned char tag = static_cast<unsigned char>(in_[0]);
    in_.remove_prefix(1);
    switch (tag) {
      case static_cast<unsigned char>(AttrType::kS): {
        std::string_view s = Bytes("string");
        if (!ok()) return {};
        return AttributeValue::S(std::string(s));
      }
      case static_cast<unsigned char>(AttrType::kN): {
        Number n = NumberValue();
        if (!ok()) return {};
        return AttributeValue::N(std::move(n));
      }
      case static_cast<unsigned char>(AttrType::kB): {
        std::string_view s = Bytes("binary");
        if (!ok()) return {};
        return AttributeValue::B(std::string(s));
      }
      case static_cast<unsigned char>(AttrType::kBool): {
        if (in_.empty()) {
          Fail("truncated: missing BOOL byte");
          return {};
        }
        const char b = in_[0];
        if (b != 0 && b != 1) {
          Fail("BOOL byte not 0 or 1");
          return {};
        }
        in_.remove_prefix(1);
        return AttributeValue::Bool(b == 1);
      }
      case static_cast<unsigned char>(AttrType::kNull):
        return AttributeValue::Null();
      case static_cast<unsigned char>(AttrType::kM): {
        if (depth > kMaxCodecDepth) {
          FailAt(at, "nesting too deep");
          return {};
        }
        AttributeMap m;
        MapBody(depth + 1, &m);
        if (!ok()) return {};
        return AttributeValue::M(std::move(m));
      }
      case static_cast<unsigned char>(AttrType::kL): {
        if (depth > kMaxCodecDepth) {
          FailAt(at, "nesting too deep");
          return {};
        }
        const uint64_t count = Varint("list size");
        if (!ok()) return {};
        if (count > in_.size()) {
          Fail("list size past the end");
          return {};
        }
        AttributeValue::List list;
        list.reserve(ReserveHint(count));
        for (uint64_t i = 0; i < count; ++i) {
          list.push_back(Value(depth + 1));
          if (!ok()) return {};
        }
        return AttributeValue::L(std::move(list));
      }
      case static_cast<unsigned char>(AttrType::kSS):
      case static_cast<unsigned char>(AttrType::kBS): {
        const uint64_t count = SetSize(at);
        if (!ok()) return {};
        AttributeValue::StringSet members;
        members.reserve(ReserveHint(count));
        std::string_view prev;
        for (uint64_t i = 0; i < count; ++i) {
          const size_t member_at = Offset();
          const std::string_view s = Bytes("set member");
          if (!ok()) return {};
          if (i > 0 && !(prev < s)) {
            FailAt(member_at, prev == s ? "duplicate set member"
                                        : "set members out of order");
            return {};
          }
          members.emplace_back(s);
          prev = s;
        }
        return tag == static_cast<unsigned char>(AttrType::kSS)
                   ? AttributeValue::SSUnchecked(std::move(members))
                   : AttributeValue::BSUnchecked(std::move(members));
      }
      case static_cast<unsigned char>(AttrType::kNS): {
        const uint64_t count = SetSize(at);
        if (!ok()) return {};
        AttributeValue::NumberSet members;
        members.reserve(ReserveHint(count));
        for (uint64_t i = 0; i < count; ++i) {
          const size_t member_at = Offset();
          Number n = NumberValue();
          if (!ok()) return {};
          if (i > 0) {
            const int c = members.back().Compare(n);
            if (c >= 0) {
              FailAt(member_at, c == 0 ? "duplicate set member"
                                       : "set members out of order");
              return {};
            }
          }
          members.push_back(std::move(n));
        }
        return AttributeValue::NSUnchecked(std::move(members));
      }
      default:
        FailAt(at, "unknown type tag " + std::to_string(tag));
        return {};
    }
  }

 private:
  size_t Offset() const { return static_cast<size_t>(in_.data() - base_); }

  void FailAt(size_t offset, std::string_view what) {
    if (!ok()) return;
    std::string msg = "corrupt item encoding at byte ";
    msg += std::to_string(offset);
    msg += ": ";
    msg += what;
    status_ = Status::DataLoss(std::move(msg));
  }
  void Fail(std::string_view what) { FailAt(Offset(), what); }

  uint64_t Varint(const char* what) {
    if (!in_.empty() && static_cast<unsigned char>(in_[0]) < 0x80) {
      const uint64_t v = static_cast<unsigned char>(in_[0]);
      in_.remove_prefix(1);
      return v;
    }
    return VarintSlow(what);
  }

  uint64_t VarintSlow(const char* what) {
    uint64_t result = 0;
    const size_t n = in_.size();
    for (size_t i = 0; i < 10; ++i) {
      if (i == n) {
        Fail(std::string("truncated ") + what);
        return 0;
      }
      const uint64_t byte = static_cast<unsigned char>(in_[i]);
      if (i == 9 && byte > 1) break;
      result |= (byte & 0x7F) << (7 * i);
      if ((byte & 0x80) == 0) {
        if (byte == 0 && i > 0) {
          Fail(std::string("overlong varint in ") + what);
          return 0;
        }
        in_.remove_prefix(i + 1);
        return result;
      }
    }
    Fail(std::string("overflowing ") + what);
    return 0;
  }

  // A length-prefixed byte string, viewed in place.
  std::string_view Bytes(const char* what) {
    const uint64_t len = Varint(what);
    if (!ok()) return {};
    if (len > in_.size()) {
      Fail(std::string("truncated ") + what);
      return {};
    }
    std::string_view s = in_.substr(0, len);
    in_.remove_prefix(len);
    return s;
  }

  // A set's member count: at least one, and no more than the bytes left.
  uint64_t SetSize(size_t at) {
    const uint64_t count = Varint("set size");
    if (!ok()) return 0;
    if (count == 0) {
      FailAt(at, "empty set");
    } else if (count > in_.size()) {
      Fail("set size past the end");
    }
    return count;
  }

  Number NumberValue() {
    const size_t at = Offset();
    const std::string_view text = Bytes("number");
    if (!ok()) return {};
    if (Number::IsCanonical(text)) {
      return Number::FromCanonicalUnchecked(std::string(text));
    }
    Result<Number> parsed = Number::Parse(text);
    if (!parsed.ok()) {
      FailAt(at, "invalid number: " + std::string(parsed.status().message()));
    } else {
      FailAt(at, "non-canonical number");
    }
    return {};
  }

  const char* base_;
  std::string_view in_;
  Status status_;
};

// Serializes with `size` bytes into a reused per-thread buffer, then hashes.
template <typename Write>
Hash128 HashSerialized(size_t size, Write write) {
  // Grows to the largest serialization this thread has hashed; released
  // after an unusually large one.
  thread_local std::string scratch;
  constexpr size_t kKeep = 1 << 20;
  if (scratch.size() < size) scratch.resize(size);
  [[maybe_unused]] char* end = write(scratch.data());
  assert(end == scratch.data() + size);
  const XXH128_hash_t h = XXH3_128bits(scratch.data(), size);
  if (scratch.size() > kKeep) std::string().swap(scratch);
  return Hash128{h.low64, h.high64};
}

}  // namespace

void EncodeItem(const Item& item, std::string* out) {
  const size_t old = out->size();
  out->resize(old + 1 + MapLength<VarintLengths>(item));
  char* p = out->data() + old;
  *p++ = kVersion;
  [[maybe_unused]] char* end = PutMap<VarintLengths>(item, p);
  assert(end == out->data() + out->size());
}

void EncodeValue(const AttributeValue& v, std::string* out) {
  const size_t old = out->size();
  out->resize(old + 1 + ValueLength<VarintLengths>(v));
  char* p = out->data() + old;
  *p++ = kVersion;
  [[maybe_unused]] char* end = PutValue<VarintLengths>(v, p);
  assert(end == out->data() + out->size());
}

Result<Item> DecodeItem(std::string_view bytes) {
  Decoder d(bytes);
  d.Version();
  Item item;
  if (d.ok()) d.MapBody(1, &item);
  if (d.ok()) d.End();
  if (!d.ok()) return d.TakeStatus();
  return item;
}

Result<AttributeValue> DecodeValue(std::string_view bytes) {
  Decoder d(bytes);
  d.Version();
  AttributeValue v;
  if (d.ok()) v = d.Value(1);
  if (d.ok()) d.End();
  if (!d.ok()) return d.TakeStatus();
  return v;
}

std::string Hash128::ToHex() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(32, '0');
  for (int i = 0; i < 16; ++i) {
    out[15 - i] = kHex[(hi >> (4 * i)) & 15];
    out[31 - i] = kHex[(lo >> (4 * i)) & 15];
  }
  return out;
}

Hash128 HashItem(const Item& item) {
  return HashSerialized(MapLength<FixedLengths>(item),
                        [&](char* p) { return PutMap<FixedLengths>(item, p); });
}

Hash128 HashValue(const AttributeValue& v) {
  return HashSerialized(ValueLength<FixedLengths>(v),
                        [&](char* p) { return PutValue<FixedLengths>(v, p); });
}

}  // namespace godwit
