// Byte formats of the local store (also docs/formats/storage.md).
//
// A RocksDB database with these column families:
//   default       the catalog (below)
//   t.<id>        the items of table <id> (decimal)
//   s.<id>        the change stream of table <id>
//
// Items (t.<id>):
//   key    := hash64 pkey [skey]
//   hash64 := fixed64 big-endian XXH3_64bits(pkey)
//   pkey   := ordered(partition key value)   AppendOrderedKeyBytes: memcmp
//   skey   := ordered(sort key value)        order, prefix-free
//   value  := EncodeItem(item)               the binary item codec
// So scan segment i of N is the key range [BE(lo_i), BE(lo_(i+1))) with
// lo_i = floor(i * 2^64 / N), and a Query is a seek within hash64 pkey.
//
// Change stream (s.<id>):
//   key    := fixed64 big-endian sequence    (1, 2, 3, ... dense)
//   value  := 0x01 type:u8 time:zigzag-varint body          a client's
//           | 0x02 type:u8 time:zigzag-varint origin:u8 body
//   body   := keys:bytes [old:bytes] [new:bytes]
//   type   := 1 INSERT (new only) | 2 MODIFY (old and new) | 3 REMOVE (old)
//   origin := 0 a client | 1 the service's Time to Live (a REMOVE)
//   bytes  := len:varint data                data = EncodeItem(...)
//   (version 1 records, all records written before origins were kept, read
//   as a client's; a client's change is still written as version 1)
//
// Catalog (default column family):
//   "V"                   -> varint format version (1)
//   "N"                   -> varint next table id
//   'T' name              -> meta
//   'S' fixed64BE(id)     -> stats, rewritten by every group commit
//   'H' fixed64BE(id)     -> horizon, rewritten by retention
//   'C' fixed64BE(id) nm  -> varint consumer position
//   meta    := varint(2) id:varint name:bytes hash:attr has_range:u8
//              [range:attr] stream_enabled:u8
//              created_micros:zigzag-varint view:u8
//   view    := 0 NEW_AND_OLD_IMAGES | 1 KEYS_ONLY | 2 NEW_IMAGE | 3 OLD_IMAGE
//   (meta version 1, written before the view type was kept, has no view
//   byte and reads as NEW_AND_OLD_IMAGES; it is still read)
//   attr    := name:bytes type:u8            (AttrType: 0 S, 1 N, 2 B)
//   stats   := last_sequence item_count size_bytes stream_bytes (varints)
//              last_time_micros:zigzag-varint
//   horizon := first_sequence trimmed_bytes  (varints)
//
// Page token (text): lowercase hex of
//   0x01 kind:u8 last_key check:fixed32BE    kind 'S' scan | 'Q' query
//   check = low 32 bits of XXH3_64bits(0x01 kind last_key)
#include "store/local/format.h"

#include <xxhash.h>

#include <cstring>

#include "godwit/codec.h"

namespace godwit::local {

void PutFixed64BE(uint64_t v, std::string* out) {
  char buf[8];
  for (int i = 7; i >= 0; --i) {
    buf[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  out->append(buf, 8);
}

uint64_t GetFixed64BE(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

void PutVarint64(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

bool GetVarint64(std::string_view* in, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0, i = 0; shift <= 63 && i < static_cast<int>(in->size());
       shift += 7, ++i) {
    uint64_t byte = static_cast<uint8_t>((*in)[i]);
    if (shift == 63 && byte > 1) return false;
    result |= (byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      in->remove_prefix(i + 1);
      return true;
    }
  }
  return false;
}

void PutLengthPrefixed(std::string_view bytes, std::string* out) {
  PutVarint64(bytes.size(), out);
  out->append(bytes);
}

bool GetLengthPrefixed(std::string_view* in, std::string_view* bytes) {
  uint64_t n;
  if (!GetVarint64(in, &n) || n > in->size()) return false;
  *bytes = in->substr(0, n);
  in->remove_prefix(n);
  return true;
}

namespace {

uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int64_t UnZigZag(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

Status Corrupt(std::string_view what) {
  return Status::DataLoss("corrupt " + std::string(what));
}

bool GetByte(std::string_view* in, uint8_t* b) {
  if (in->empty()) return false;
  *b = static_cast<uint8_t>((*in)[0]);
  in->remove_prefix(1);
  return true;
}

}  // namespace

uint64_t PartitionHash(const AttributeValue& v) {
  std::string bytes;
  AppendOrderedKeyBytes(v, &bytes);
  return XXH3_64bits(bytes.data(), bytes.size());
}

std::string PartitionPrefix(const AttributeValue& hash_value) {
  std::string ordered;
  AppendOrderedKeyBytes(hash_value, &ordered);
  std::string out;
  out.reserve(8 + ordered.size());
  PutFixed64BE(XXH3_64bits(ordered.data(), ordered.size()), &out);
  out += ordered;
  return out;
}

std::string StorageKey(const Key& key) {
  std::string out = PartitionPrefix(key.hash);
  if (key.range) AppendOrderedKeyBytes(*key.range, &out);
  return out;
}

HashRange SegmentRange(int segment, int total) {
  using U128 = unsigned __int128;
  HashRange r;
  r.lo =
      static_cast<uint64_t>((U128{1} << 64) * static_cast<unsigned>(segment) /
                            static_cast<unsigned>(total));
  if (segment + 1 == total) {
    r.hi_unbounded = true;
  } else {
    r.hi = static_cast<uint64_t>((U128{1} << 64) *
                                 static_cast<unsigned>(segment + 1) /
                                 static_cast<unsigned>(total));
  }
  return r;
}

std::string PrefixSuccessor(std::string_view prefix) {
  std::string s(prefix);
  while (!s.empty()) {
    auto& c = reinterpret_cast<unsigned char&>(s.back());
    if (c != 0xff) {
      ++c;
      return s;
    }
    s.pop_back();
  }
  return s;
}

std::string StreamKey(uint64_t sequence) {
  std::string k;
  PutFixed64BE(sequence, &k);
  return k;
}

Result<uint64_t> ParseStreamKey(std::string_view key) {
  if (key.size() != 8) return Corrupt("stream key");
  return GetFixed64BE(key.data());
}

void EncodeChangeRecord(ChangeType type, int64_t time_micros,
                        std::string_view keys, std::string_view old_image,
                        std::string_view new_image, std::string* out,
                        ChangeOrigin origin) {
  const bool v2 = origin != ChangeOrigin::kUser;
  out->push_back(v2 ? 2 : 1);
  out->push_back(static_cast<char>(type));
  PutVarint64(ZigZag(time_micros), out);
  if (v2) out->push_back(static_cast<char>(origin));
  PutLengthPrefixed(keys, out);
  if (type != ChangeType::kInsert) PutLengthPrefixed(old_image, out);
  if (type != ChangeType::kRemove) PutLengthPrefixed(new_image, out);
}

namespace {

Status ParseRecordHeader(std::string_view* in, ChangeType* type, int64_t* time,
                         ChangeOrigin* origin) {
  uint8_t version, t;
  uint64_t zt;
  if (!GetByte(in, &version) || (version != 1 && version != 2) ||
      !GetByte(in, &t) || t < 1 || t > 3 || !GetVarint64(in, &zt)) {
    return Corrupt("change record header");
  }
  *origin = ChangeOrigin::kUser;
  if (version == 2) {
    uint8_t o;
    if (!GetByte(in, &o) || o > 1) return Corrupt("change record origin");
    *origin = static_cast<ChangeOrigin>(o);
  }
  *type = static_cast<ChangeType>(t);
  *time = UnZigZag(zt);
  return Status::OK();
}

}  // namespace

Result<ChangeRecord> DecodeChangeRecord(uint64_t sequence,
                                        std::string_view bytes) {
  auto fail = [sequence](std::string_view what) {
    return Status::DataLoss("corrupt change record " +
                            std::to_string(sequence) + ": " +
                            std::string(what));
  };
  ChangeRecord r;
  r.sequence = sequence;
  std::string_view in = bytes;
  if (!ParseRecordHeader(&in, &r.type, &r.time_micros, &r.origin).ok()) {
    return fail("header");
  }
  std::string_view part;
  if (!GetLengthPrefixed(&in, &part)) return fail("keys");
  ASSIGN_OR_RETURN(r.keys, DecodeItem(part));
  if (r.type != ChangeType::kInsert) {
    if (!GetLengthPrefixed(&in, &part)) return fail("old image");
    ASSIGN_OR_RETURN(Item old_image, DecodeItem(part));
    r.old_image = std::move(old_image);
  }
  if (r.type != ChangeType::kRemove) {
    if (!GetLengthPrefixed(&in, &part)) return fail("new image");
    ASSIGN_OR_RETURN(Item new_image, DecodeItem(part));
    r.new_image = std::move(new_image);
  }
  if (!in.empty()) return fail("trailing bytes");
  return r;
}

Result<int64_t> DecodeChangeRecordTime(std::string_view bytes) {
  ChangeType type;
  int64_t time;
  ChangeOrigin origin;
  RETURN_IF_ERROR(ParseRecordHeader(&bytes, &type, &time, &origin));
  return time;
}

namespace {

std::string TaggedId(char tag, uint64_t id) {
  std::string k(1, tag);
  PutFixed64BE(id, &k);
  return k;
}

void PutAttr(const KeyAttribute& a, std::string* out) {
  PutLengthPrefixed(a.name, out);
  out->push_back(static_cast<char>(a.type));
}

bool GetAttr(std::string_view* in, KeyAttribute* a) {
  std::string_view name;
  uint8_t t;
  if (!GetLengthPrefixed(in, &name) || !GetByte(in, &t)) return false;
  if (t != static_cast<uint8_t>(AttrType::kS) &&
      t != static_cast<uint8_t>(AttrType::kN) &&
      t != static_cast<uint8_t>(AttrType::kB)) {
    return false;
  }
  a->name = std::string(name);
  a->type = static_cast<AttrType>(t);
  return true;
}

}  // namespace

std::string TableMetaKey(std::string_view name) {
  std::string k(1, kTableMetaTag);
  k += name;
  return k;
}
std::string StatsKey(uint64_t id) { return TaggedId(kStatsTag, id); }
std::string HorizonKey(uint64_t id) { return TaggedId(kHorizonTag, id); }
std::string ConsumerPrefix(uint64_t id) { return TaggedId(kConsumerTag, id); }
std::string ConsumerKey(uint64_t id, std::string_view name) {
  std::string k = ConsumerPrefix(id);
  k += name;
  return k;
}
std::string ItemsCfName(uint64_t id) { return "t." + std::to_string(id); }
std::string StreamCfName(uint64_t id) { return "s." + std::to_string(id); }

std::optional<uint64_t> ParseCfName(std::string_view name, bool* is_stream) {
  if (name.size() < 3 || name[1] != '.' || (name[0] != 't' && name[0] != 's')) {
    return std::nullopt;
  }
  std::string_view digits = name.substr(2);
  if (digits.size() > 19 || (digits.size() > 1 && digits[0] == '0')) {
    return std::nullopt;
  }
  uint64_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *is_stream = name[0] == 's';
  return v;
}

std::string EncodeTableMeta(const TableMeta& m) {
  std::string out;
  PutVarint64(2, &out);
  PutVarint64(m.id, &out);
  PutLengthPrefixed(m.name, &out);
  PutAttr(m.key_schema.hash, &out);
  out.push_back(m.key_schema.range ? 1 : 0);
  if (m.key_schema.range) PutAttr(*m.key_schema.range, &out);
  out.push_back(m.stream_enabled ? 1 : 0);
  PutVarint64(ZigZag(m.created_micros), &out);
  out.push_back(static_cast<char>(m.stream_view_type));
  return out;
}

Result<TableMeta> DecodeTableMeta(std::string_view in) {
  TableMeta m;
  uint64_t version, created;
  std::string_view name;
  uint8_t has_range, stream;
  if (!GetVarint64(&in, &version) || (version != 1 && version != 2) ||
      !GetVarint64(&in, &m.id) || !GetLengthPrefixed(&in, &name) ||
      !GetAttr(&in, &m.key_schema.hash) || !GetByte(&in, &has_range) ||
      has_range > 1) {
    return Corrupt("table metadata");
  }
  if (has_range) {
    KeyAttribute range;
    if (!GetAttr(&in, &range)) return Corrupt("table metadata");
    m.key_schema.range = std::move(range);
  }
  if (!GetByte(&in, &stream) || stream > 1 || !GetVarint64(&in, &created)) {
    return Corrupt("table metadata");
  }
  if (version >= 2) {
    uint8_t view;
    if (!GetByte(&in, &view) || view > 3) return Corrupt("table metadata");
    m.stream_view_type = static_cast<StreamViewType>(view);
  }
  if (!in.empty()) return Corrupt("table metadata");
  m.name = std::string(name);
  m.stream_enabled = stream == 1;
  m.created_micros = UnZigZag(created);
  return m;
}

std::string EncodeStats(const TableStats& s) {
  std::string out;
  PutVarint64(s.last_sequence, &out);
  PutVarint64(s.item_count, &out);
  PutVarint64(s.size_bytes, &out);
  PutVarint64(s.stream_bytes, &out);
  PutVarint64(ZigZag(s.last_time_micros), &out);
  return out;
}

Result<TableStats> DecodeStats(std::string_view in) {
  TableStats s;
  uint64_t t;
  if (!GetVarint64(&in, &s.last_sequence) || !GetVarint64(&in, &s.item_count) ||
      !GetVarint64(&in, &s.size_bytes) || !GetVarint64(&in, &s.stream_bytes) ||
      !GetVarint64(&in, &t) || !in.empty()) {
    return Corrupt("table stats");
  }
  s.last_time_micros = UnZigZag(t);
  return s;
}

std::string EncodeHorizon(const StreamHorizon& h) {
  std::string out;
  PutVarint64(h.first_sequence, &out);
  PutVarint64(h.trimmed_bytes, &out);
  return out;
}

Result<StreamHorizon> DecodeHorizon(std::string_view in) {
  StreamHorizon h;
  if (!GetVarint64(&in, &h.first_sequence) ||
      !GetVarint64(&in, &h.trimmed_bytes) || !in.empty()) {
    return Corrupt("stream horizon");
  }
  return h;
}

std::string EncodeU64(uint64_t v) {
  std::string out;
  PutVarint64(v, &out);
  return out;
}

Result<uint64_t> DecodeU64(std::string_view in) {
  uint64_t v;
  if (!GetVarint64(&in, &v) || !in.empty()) return Corrupt("catalog counter");
  return v;
}

namespace {

constexpr char kHex[] = "0123456789abcdef";

uint32_t TokenCheck(std::string_view body) {
  return static_cast<uint32_t>(XXH3_64bits(body.data(), body.size()));
}

}  // namespace

std::string EncodePageToken(TokenKind kind, std::string_view last_key) {
  std::string body;
  body.push_back(1);
  body.push_back(static_cast<char>(kind));
  body += last_key;
  uint32_t check = TokenCheck(body);
  for (int i = 3; i >= 0; --i)
    body.push_back(static_cast<char>(check >> (8 * i)));
  std::string out;
  out.reserve(body.size() * 2);
  for (unsigned char c : body) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

Result<std::string> DecodePageToken(TokenKind kind, std::string_view token) {
  auto bad = [] { return Status::InvalidArgument("invalid page token"); };
  if (token.size() % 2 != 0 || token.size() < 2 * 6) return bad();
  std::string body;
  body.reserve(token.size() / 2);
  for (size_t i = 0; i < token.size(); i += 2) {
    int v = 0;
    for (size_t j = i; j < i + 2; ++j) {
      char c = token[j];
      int d;
      if (c >= '0' && c <= '9') {
        d = c - '0';
      } else if (c >= 'a' && c <= 'f') {
        d = c - 'a' + 10;
      } else {
        return bad();
      }
      v = v * 16 + d;
    }
    body.push_back(static_cast<char>(v));
  }
  std::string_view payload(body.data(), body.size() - 4);
  uint32_t check = 0;
  for (size_t i = body.size() - 4; i < body.size(); ++i) {
    check = (check << 8) | static_cast<uint8_t>(body[i]);
  }
  if (payload[0] != 1 || payload[1] != static_cast<char>(kind) ||
      TokenCheck(payload) != check) {
    return bad();
  }
  return std::string(payload.substr(2));
}

}  // namespace godwit::local
