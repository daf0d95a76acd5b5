// The compact binary codec for stored items, and the canonical item hash.
//
// The byte format is written as a grammar at the top of src/item/codec.cc and
// in docs/formats/item-binary.md. It is versioned (first byte), and
// DecodeItem(EncodeItem(x)) == x for every canonical item.
#ifndef GODWIT_CODEC_H_
#define GODWIT_CODEC_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "godwit/item.h"
#include "godwit/status.h"

namespace godwit {

// The decoder refuses M and L values nested deeper than this (a top-level
// attribute value is level 1), so that corrupt input cannot exhaust the
// stack. Twice DynamoDB's limit (kMaxNestingDepth), so every item that passes
// ValidateItem round-trips.
inline constexpr int kMaxCodecDepth = 64;

// Appends the encoding of `item` to *out.
void EncodeItem(const Item& item, std::string* out);
void EncodeValue(const AttributeValue& v, std::string* out);

// Errors: DataLoss for truncated or corrupt input or an unknown version,
// with the byte offset.
Result<Item> DecodeItem(std::string_view bytes);
Result<AttributeValue> DecodeValue(std::string_view bytes);

// A 128-bit XXH3 hash of the canonical form. Equal items hash equal whatever
// order their map entries or set members were given in (they are canonical
// in memory), and the hash does not depend on the binary codec's version.
struct Hash128 {
  uint64_t lo = 0;
  uint64_t hi = 0;
  friend bool operator==(const Hash128&, const Hash128&) = default;
  std::string ToHex() const;  // 32 lowercase hex digits, hi then lo
};
Hash128 HashItem(const Item& item);
Hash128 HashValue(const AttributeValue& v);

}  // namespace godwit

#endif  // GODWIT_CODEC_H_
