// libFuzzer target for the local store's decoders of stored bytes (change
// records, catalog records, page tokens; src/store/local/format.cc).
// Invariants (a violation traps):
//   - every decoder returns a value or DataLoss / InvalidArgument, never
//     crashes;
//   - whatever decodes re-encodes to bytes that decode to the same value
//     (records, table metadata, stats, horizons, page tokens).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "godwit/codec.h"
#include "store/local/format.h"

namespace {

namespace local = godwit::local;
using godwit::StatusCode;

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

void CheckDataLoss(const godwit::Status& s) {
  Check(s.code() == StatusCode::kDataLoss);
}

std::string Encode(const godwit::Item& item) {
  std::string out;
  godwit::EncodeItem(item, &out);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);

  auto rec = local::DecodeChangeRecord(7, in);
  if (rec.ok()) {
    std::string again;
    local::EncodeChangeRecord(
        rec->type, rec->time_micros, Encode(rec->keys),
        rec->old_image ? Encode(*rec->old_image) : std::string(),
        rec->new_image ? Encode(*rec->new_image) : std::string(), &again);
    auto back = local::DecodeChangeRecord(7, again);
    Check(back.ok() && back->type == rec->type &&
          back->time_micros == rec->time_micros && back->keys == rec->keys &&
          back->old_image == rec->old_image &&
          back->new_image == rec->new_image);
  } else {
    CheckDataLoss(rec.status());
  }
  auto time = local::DecodeChangeRecordTime(in);
  if (!time.ok()) CheckDataLoss(time.status());

  auto meta = local::DecodeTableMeta(in);
  if (meta.ok()) {
    auto back = local::DecodeTableMeta(local::EncodeTableMeta(*meta));
    Check(back.ok() && back->id == meta->id && back->name == meta->name &&
          back->key_schema == meta->key_schema &&
          back->stream_enabled == meta->stream_enabled &&
          back->created_micros == meta->created_micros);
  } else {
    CheckDataLoss(meta.status());
  }
  auto stats = local::DecodeStats(in);
  if (stats.ok()) {
    auto back = local::DecodeStats(local::EncodeStats(*stats));
    Check(back.ok() && back->last_sequence == stats->last_sequence &&
          back->item_count == stats->item_count &&
          back->size_bytes == stats->size_bytes &&
          back->stream_bytes == stats->stream_bytes &&
          back->last_time_micros == stats->last_time_micros);
  } else {
    CheckDataLoss(stats.status());
  }
  auto horizon = local::DecodeHorizon(in);
  if (!horizon.ok()) CheckDataLoss(horizon.status());

  for (auto kind : {local::TokenKind::kScan, local::TokenKind::kQuery}) {
    auto key = local::DecodePageToken(kind, in);
    if (key.ok()) {
      Check(local::EncodePageToken(kind, *key) == in);
    } else {
      Check(key.status().IsInvalidArgument());
    }
  }
  return 0;
}
