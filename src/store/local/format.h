// Byte formats of the local store: storage keys, change records, catalog
// records and page tokens. The grammar is at the top of format.cc and in
// docs/formats/storage.md.
//
// Everything here is a pure function of its arguments (thread-safe).
#ifndef GODWIT_STORE_LOCAL_FORMAT_H_
#define GODWIT_STORE_LOCAL_FORMAT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "godwit/item.h"
#include "godwit/status.h"
#include "godwit/store.h"

namespace godwit::local {

// ---- integers ------------------------------------------------------------

void PutFixed64BE(uint64_t v, std::string* out);
// REQUIRES: p points at 8 readable bytes.
uint64_t GetFixed64BE(const char* p);
void PutVarint64(uint64_t v, std::string* out);
// Reads a varint from the front of *in and advances it. False if truncated
// or over-long.
bool GetVarint64(std::string_view* in, uint64_t* v);
// A varint length followed by that many bytes.
void PutLengthPrefixed(std::string_view bytes, std::string* out);
bool GetLengthPrefixed(std::string_view* in, std::string_view* bytes);

// ---- storage keys --------------------------------------------------------

// XXH3-64 of the ordered bytes of the partition key value.
// REQUIRES: v is S, N or B.
uint64_t PartitionHash(const AttributeValue& v);
// hash64 (8 bytes, big-endian) | ordered partition key bytes.
std::string PartitionPrefix(const AttributeValue& hash_value);
// PartitionPrefix | ordered sort key bytes (if any).
std::string StorageKey(const Key& key);

// The contiguous hash range of scan segment `segment` of `total`:
// [lo, hi), hi = 2^64 when `hi_unbounded`.
struct HashRange {
  uint64_t lo = 0;
  uint64_t hi = 0;
  bool hi_unbounded = false;
};
// REQUIRES: 0 <= segment < total.
HashRange SegmentRange(int segment, int total);

// The smallest string greater than every string starting with `prefix`;
// empty if there is none (prefix all 0xFF).
std::string PrefixSuccessor(std::string_view prefix);

// ---- change records ------------------------------------------------------

std::string StreamKey(uint64_t sequence);
// Errors: DataLoss if `key` is not 8 bytes.
Result<uint64_t> ParseStreamKey(std::string_view key);

// Appends a change record. `old_image` / `new_image` are binary-codec items;
// which are present follows from `type` (INSERT: new, MODIFY: both,
// REMOVE: old). A client's change (kUser) is written as version 1, byte for
// byte as before origins were kept; any other origin as version 2.
void EncodeChangeRecord(ChangeType type, int64_t time_micros,
                        std::string_view keys, std::string_view old_image,
                        std::string_view new_image, std::string* out,
                        ChangeOrigin origin = ChangeOrigin::kUser);
// Errors: DataLoss with the sequence for a corrupt record.
Result<ChangeRecord> DecodeChangeRecord(uint64_t sequence,
                                        std::string_view bytes);
// Only the time of a record (retention). Errors: DataLoss.
Result<int64_t> DecodeChangeRecordTime(std::string_view bytes);

// ---- catalog -------------------------------------------------------------

inline constexpr uint64_t kFormatVersion = 1;
inline constexpr std::string_view kVersionKey = "V";
inline constexpr std::string_view kNextTableIdKey = "N";
inline constexpr char kTableMetaTag = 'T';
inline constexpr char kStatsTag = 'S';
inline constexpr char kHorizonTag = 'H';
inline constexpr char kConsumerTag = 'C';

struct TableMeta {
  uint64_t id = 0;
  std::string name;
  KeySchema key_schema;
  bool stream_enabled = true;
  int64_t created_micros = 0;
  // Meta version 2; a version-1 record reads as kNewAndOldImages.
  StreamViewType stream_view_type = StreamViewType::kNewAndOldImages;
};

// Written with every group commit of the table.
struct TableStats {
  uint64_t last_sequence = 0;
  uint64_t item_count = 0;
  uint64_t size_bytes = 0;    // sum of the encoded item sizes
  uint64_t stream_bytes = 0;  // sum of record sizes ever written
  int64_t last_time_micros = 0;
};

// Written by retention and stream re-enabling.
struct StreamHorizon {
  uint64_t first_sequence = 1;  // oldest record still kept
  uint64_t trimmed_bytes = 0;   // sum of record sizes trimmed
};

std::string TableMetaKey(std::string_view name);
std::string StatsKey(uint64_t table_id);
std::string HorizonKey(uint64_t table_id);
std::string ConsumerPrefix(uint64_t table_id);
std::string ConsumerKey(uint64_t table_id, std::string_view name);
std::string ItemsCfName(uint64_t table_id);
std::string StreamCfName(uint64_t table_id);
// The id of a column family name made by ItemsCfName/StreamCfName; nullopt
// for any other name. *is_stream tells which.
std::optional<uint64_t> ParseCfName(std::string_view name, bool* is_stream);

std::string EncodeTableMeta(const TableMeta& m);
Result<TableMeta> DecodeTableMeta(std::string_view bytes);
std::string EncodeStats(const TableStats& s);
Result<TableStats> DecodeStats(std::string_view bytes);
std::string EncodeHorizon(const StreamHorizon& h);
Result<StreamHorizon> DecodeHorizon(std::string_view bytes);
std::string EncodeU64(uint64_t v);  // varint; next table id, version,
                                    // consumer positions
Result<uint64_t> DecodeU64(std::string_view bytes);

// ---- page tokens ---------------------------------------------------------

enum class TokenKind : char { kScan = 'S', kQuery = 'Q' };
// Opaque text (lowercase hex) naming the last storage key of a page.
std::string EncodePageToken(TokenKind kind, std::string_view last_key);
// Errors: InvalidArgument for anything EncodePageToken did not make with
// this kind (checked with a checksum).
Result<std::string> DecodePageToken(TokenKind kind, std::string_view token);

}  // namespace godwit::local

#endif  // GODWIT_STORE_LOCAL_FORMAT_H_
