// GetRecords over a table's stream cut into shards (stream_layout.h).
//
// A page holds the shard's records after the iterator's position, in
// sequence order: the table's one stream is read from the position on and
// filtered by the shard's sequence and hash ranges, as far as needed (not a
// bounded window), up to the page cap (Limit, --stream-page-max, 1 MB of
// records) or the end of what the view shows (an open shard: the table's
// latest sequence when the view was taken; a closed shard: its last
// sequence). So an empty page means "nothing more now", except the
// misleading empty pages that --stream-empty-page-rate asks for: at most
// kEmptyPagesAtHead - 1 empty pages in a row on one iterator chain (the
// iterator counts them), so kEmptyPagesAtHead in a row always mean "at the
// head". A closed shard's last page has no NextShardIterator.
//
// DynamoDB Streams API reference, GetRecords: "it might take multiple calls
// to get to a portion of the shard that contains stream records"; at most
// 1 MB or 1,000 records; ExpiredIteratorException 15 minutes after the
// iterator was made; TrimmedDataAccessException for trimmed records.
#include "server/stream_records.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <functional>

#include "server/metrics.h"
#include "server/operations.h"
#include "server/request.h"
#include "wire/errors.h"
#include "wire/json_writer.h"
#include "wire/stream_ids.h"

namespace godwit::server {

using wire::JsonArray;
using wire::JsonObject;
using wire::Validation;

uint64_t RecordHash(const ChangeRecord& r, const KeySchema& schema) {
  const AttributeValue* pk = r.keys.Find(schema.hash.name);
  return pk == nullptr ? 0 : StreamLayout::KeyHash(*pk);
}

Result<bool> RecordInShard(Table& table, const TableDescription& d,
                           const LayoutShard& shard, uint64_t seq) {
  ASSIGN_OR_RETURN(std::unique_ptr<StreamReader> r,
                   table.OpenStream(StreamPosition::At(seq)));
  std::vector<ChangeRecord> one;
  RETURN_IF_ERROR(r->Read(1, &one));
  if (one.empty() || one[0].sequence != seq) return false;
  return shard.Holds(seq, RecordHash(one[0], d.key_schema));
}

std::string RecordJson(const ChangeRecord& r, const std::string& table,
                       StreamViewType vt, std::string_view region) {
  bool want_new =
      vt == StreamViewType::kNewImage || vt == StreamViewType::kNewAndOldImages;
  bool want_old =
      vt == StreamViewType::kOldImage || vt == StreamViewType::kNewAndOldImages;
  size_t size = ItemSize(r.keys);
  JsonObject db;
  db.Number("ApproximateCreationDateTime",
            static_cast<double>(r.time_micros / 1000000))
      .Item("Keys", r.keys);
  if (want_new && r.new_image) {
    db.Item("NewImage", *r.new_image);
    size += ItemSize(*r.new_image);
  }
  if (want_old && r.old_image) {
    db.Item("OldImage", *r.old_image);
    size += ItemSize(*r.old_image);
  }
  db.Str("SequenceNumber", wire::SequenceNumberString(r.sequence))
      .Uint("SizeBytes", size)
      .Str("StreamViewType", StreamViewTypeName(vt));
  char id[64];
  std::snprintf(id, sizeof(id), "%016zx%016" PRIx64,
                std::hash<std::string>{}(table), r.sequence);
  JsonObject rec;
  rec.Str("eventID", id)
      .Str("eventName", ChangeTypeName(r.type))
      .Str("eventVersion", "1.1")
      .Str("eventSource", "aws:dynamodb")
      .Str("awsRegion", region)
      .Object("dynamodb", std::move(db));
  if (r.origin == ChangeOrigin::kTimeToLive) {
    // Streams API reference, "Record" and "Identity": the userIdentity of a
    // Time to Live deletion. On the wire the members are the Identity
    // shape's, PrincipalId and Type (what the SDKs parse); Lambda's event
    // format spells them principalId and type.
    rec.Object("userIdentity",
               std::move(JsonObject()
                             .Str("PrincipalId", "dynamodb.amazonaws.com")
                             .Str("Type", "Service")));
  }
  return rec.Done();
}

namespace {

// The opening time of a shard id "shardId-<20 digits: ms>-..." (0: none).
int64_t OpenedMicrosOf(std::string_view id) {
  constexpr std::string_view kPrefix = "shardId-";
  if (!id.starts_with(kPrefix) || id.size() < kPrefix.size() + 20) return 0;
  int64_t ms = 0;
  for (char c : id.substr(kPrefix.size(), 20)) {
    if (c < '0' || c > '9') return 0;
    ms = ms * 10 + (c - '0');
  }
  return ms * 1000;
}

}  // namespace

Result<std::string> Operations::GetRecords(const Fields& f) {
  ASSIGN_OR_RETURN(std::string it_text, f.Required("ShardIterator"));
  ASSIGN_OR_RETURN(auto limit, f.Int("Limit"));
  if (limit && (*limit < 1 || *limit > 1000)) {
    return Validation("Limit must be between 1 and 1000");
  }
  // Refuses forged sequences that cannot be continued (2^64 - 1).
  ASSIGN_OR_RETURN(wire::ShardIterator it, wire::DecodeShardIterator(it_text));
  ASSIGN_OR_RETURN(StreamSight s,
                   SightStream(it.table, "the stream's table " + it.table +
                                             " does not exist"));
  const StreamHub::View& v = s.view;
  const TableDescription& d = s.desc;
  const int64_t ttl = opts_.iterator_ttl_seconds * 1000000;
  if (it.issued_micros != 0 && v.now - it.issued_micros > ttl) {
    return wire::ExpiredIterator(
        "Iterator expired. The iterator was created at time " +
        std::to_string(it.issued_micros / 1000) + " ms while right now it is " +
        std::to_string(v.now / 1000) +
        " ms which is further in the future than the tolerated delay of " +
        std::to_string(ttl / 1000) + " ms.");
  }
  const LayoutShard* sh = v.layout->Get(it.shard_id);
  if (sh == nullptr) {
    const int64_t cutoff = v.now - opts_.stream_retention_seconds * 1000000;
    int64_t opened = OpenedMicrosOf(it.shard_id);
    if (opened != 0 && opened < cutoff) {
      return wire::TrimmedDataAccess(
          "Shard " + it.shard_id + " of the stream of " + it.table +
          " is no longer in the stream: its records were trimmed");
    }
    return wire::ResourceNotFound(
        "Requested resource not found: Shard does not exist");
  }
  const uint64_t reader = it.reader != 0 ? it.reader : hub_->NewReader();
  RETURN_IF_ERROR(hub_->AdmitReader(d, sh->id, reader, v.now));

  const uint64_t first_kept = std::max(v.trimmed + 1, d.stream_first_sequence);
  const uint64_t end = sh->open() ? v.cap : sh->last_seq;
  uint64_t after;
  if (it.kind == wire::ShardIterator::Kind::kTrimHorizon) {
    after = std::max(sh->first_seq, first_kept) - 1;
  } else {
    after = std::max(it.after, sh->first_seq - 1);
    if (after + 1 < first_kept) {
      return wire::TrimmedDataAccess(
          "The iterator's position (after sequence number " +
          std::to_string(it.after) + ") in shard " + sh->id +
          " is beyond the trim horizon: records up to " +
          std::to_string(first_kept - 1) + " were trimmed");
    }
    if (sh->open() && after > end) {
      return Validation(
          "Invalid ShardIterator: position " + std::to_string(after) +
          " is beyond the end of the stream (" + std::to_string(end) + ")");
    }
  }

  const size_t max = static_cast<size_t>(std::min<int64_t>(
      limit.value_or(opts_.stream_page_max), opts_.stream_page_max));
  JsonArray out;
  size_t bytes = 0;
  uint64_t pos = after;  // everything of the shard up to pos is returned
  bool reached_end = after >= end;
  if (!reached_end) {
    Result<std::unique_ptr<StreamReader>> reader_r =
        s.table->OpenStream(StreamPosition::After(after));
    if (!reader_r.ok()) {
      if (reader_r.status().code() == StatusCode::kFailedPrecondition) {
        return Validation("The stream of table " + it.table + " is disabled");
      }
      if (reader_r.status().code() == StatusCode::kOutOfRange) {
        return Validation("Invalid ShardIterator: " +
                          std::string(reader_r.status().message()));
      }
      return reader_r.status();
    }
    std::unique_ptr<StreamReader>& r = *reader_r;
    std::vector<ChangeRecord> batch;
    bool full = false;
    while (!full && !reached_end) {
      batch.clear();
      RETURN_IF_ERROR(r->Read(1000, &batch));
      if (batch.empty()) {
        // The store has nothing beyond: everything up to `end` is read.
        reached_end = true;
        break;
      }
      for (const ChangeRecord& rec : batch) {
        if (rec.sequence > end) {
          reached_end = true;
          break;
        }
        if (!sh->Holds(rec.sequence, RecordHash(rec, d.key_schema))) {
          pos = rec.sequence;
          continue;
        }
        if (out.size() == max) {
          full = true;
          break;
        }
        std::string json =
            RecordJson(rec, it.table, d.stream_view_type, opts_.region);
        if (out.size() > 0 && bytes + json.size() > kPageBytesMax) {
          full = true;
          break;
        }
        bytes += json.size();
        out.Raw(std::move(json));
        pos = rec.sequence;
      }
      if (!full && !reached_end && batch.back().sequence >= end) {
        reached_end = true;
      }
    }
    if (reached_end) pos = end;
  }

  wire::ShardIterator next = it;
  next.kind = wire::ShardIterator::Kind::kAfter;
  next.issued_micros = v.now;
  next.reader = reader;
  if (out.size() > 0 && it.empties + 1 < kEmptyPagesAtHead &&
      hub_->DrawMisleadingEmpty()) {
    if (opts_.metrics != nullptr) {
      opts_.metrics->RecordStreamRead(it.table, reader, /*at_head=*/false);
    }
    // An empty page although records follow; the chain stays where it
    // was.
    next.after = after;
    next.empties = std::min<uint32_t>(it.empties, 1000) + 1;
    return JsonObject()
        .Array("Records", JsonArray())
        .Str("NextShardIterator", wire::EncodeShardIterator(next))
        .Done();
  }
  next.after = pos;
  next.empties = out.size() == 0 ? std::min<uint32_t>(it.empties, 1000) + 1 : 0;
  if (opts_.metrics != nullptr) {
    opts_.metrics->RecordStreamRead(it.table, reader, reached_end);
  }
  JsonObject o;
  o.Array("Records", std::move(out));
  // A closed shard read to its end: no NextShardIterator (its children
  // follow).
  if (sh->open() || !reached_end) {
    o.Str("NextShardIterator", wire::EncodeShardIterator(next));
  }
  return o.Done();
}

}  // namespace godwit::server
