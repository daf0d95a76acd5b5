// DynamoDB Streams: ListStreams, DescribeStream, GetShardIterator (GetRecords
// is in stream_records.cc). A table's stream is cut into shards by its
// layout (server/stream_layout.h, kept by the StreamHub): by default one
// shard (wire::kSingleShardId) that never closes; with the serve options,
// several open shards that rotate and split (docs/server.md, "A faithful
// stream"). Iterators, ARNs and sequence numbers are wire's
// (wire/stream_ids.h). The StreamViewType is kept by the store with the
// table (TableDescription::stream_view_type), so it survives a restart.
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <functional>

#include "server/operations.h"
#include "server/request.h"
#include "server/stream_records.h"
#include "wire/errors.h"
#include "wire/json_writer.h"
#include "wire/stream_ids.h"
#include "wire/table_description.h"

namespace godwit::server {

using wire::JsonArray;
using wire::JsonObject;
using wire::Validation;

Result<std::string> Operations::ListStreams(const Fields& f) {
  ASSIGN_OR_RETURN(auto only, f.Str("TableName"));
  ASSIGN_OR_RETURN(auto limit, f.Int("Limit"));
  ASSIGN_OR_RETURN(auto start, f.Str("ExclusiveStartStreamArn"));
  if (limit && (*limit < 1 || *limit > 100)) {
    return Validation("Limit must be between 1 and 100");
  }
  std::optional<std::string> start_table;
  if (start) {
    ASSIGN_OR_RETURN(wire::StreamArn st, wire::StreamArn::Parse(*start));
    start_table = st.table;
  }
  std::vector<std::string> names;
  if (only) {
    names.push_back(*only);
  } else {
    ASSIGN_OR_RETURN(names, store_->ListTables());
    std::sort(names.begin(), names.end());
  }
  JsonArray out;
  std::string last_arn;
  bool more = false;
  size_t max = static_cast<size_t>(limit.value_or(100));
  for (const std::string& n : names) {
    if (IsInternalTable(n)) continue;
    if (start_table && n <= *start_table) continue;
    Result<TableDescription> d = store_->DescribeTable(n);
    if (!d.ok()) {
      if (d.status().IsNotFound()) {
        if (only) return TableNotFound(n);
        continue;
      }
      return d.status();
    }
    if (!d->stream_enabled) continue;
    if (out.size() == max) {
      more = true;
      break;
    }
    last_arn = StreamArnOf(*d);
    out.Object(std::move(
        JsonObject()
            .Str("StreamArn", last_arn)
            .Str("TableName", n)
            .Str("StreamLabel", wire::StreamLabel(d->created_micros))));
  }
  JsonObject o;
  o.Array("Streams", std::move(out));
  if (more) o.Str("LastEvaluatedStreamArn", last_arn);
  return o.Done();
}

Result<Operations::StreamSight> Operations::SightStream(
    const std::string& table, const std::string& missing) {
  StreamSight s;
  Result<std::shared_ptr<Table>> t = store_->GetTable(table);
  if (!t.ok() && t.status().IsNotFound()) {
    return wire::ResourceNotFound("Requested resource not found: " + missing);
  }
  RETURN_IF_ERROR(t.status());
  s.table = *std::move(t);
  Result<TableDescription> d = s.table->Describe();
  if (!d.ok() && d.status().IsNotFound()) {
    return wire::ResourceNotFound("Requested resource not found: " + missing);
  }
  RETURN_IF_ERROR(d.status());
  s.desc = *std::move(d);
  ASSIGN_OR_RETURN(s.view, hub_->Current(*s.table, s.desc));
  return s;
}

Result<std::string> Operations::DescribeStream(const Fields& f) {
  ASSIGN_OR_RETURN(std::string arn, f.Required("StreamArn"));
  ASSIGN_OR_RETURN(auto limit, f.Int("Limit"));
  ASSIGN_OR_RETURN(auto start, f.Str("ExclusiveStartShardId"));
  if (limit && (*limit < 1 || *limit > 100)) {
    return Validation(
        "1 validation error detected: Value '" + std::to_string(*limit) +
        "' at 'limit' failed to satisfy constraint: Member must have value "
        "between 1 and 100");
  }
  ASSIGN_OR_RETURN(wire::StreamArn parsed, wire::StreamArn::Parse(arn));
  const std::string& table = parsed.table;
  ASSIGN_OR_RETURN(StreamSight s,
                   SightStream(table, "Stream: " + arn + " not found"));
  const TableDescription& d = s.desc;
  // Shards by id (ids begin with their opening time, so parents come
  // before their children): pages stay stable while shards are forgotten.
  std::vector<const LayoutShard*> shards;
  for (const LayoutShard& sh : s.view.layout->shards()) shards.push_back(&sh);
  std::sort(
      shards.begin(), shards.end(),
      [](const LayoutShard* a, const LayoutShard* b) { return a->id < b->id; });
  const uint64_t first_kept =
      std::max(s.view.trimmed + 1, d.stream_first_sequence);
  const size_t max = static_cast<size_t>(limit.value_or(100));
  JsonArray out;
  std::string last;
  bool more = false;
  for (const LayoutShard* sh : shards) {
    if (start && sh->id <= *start) continue;
    if (out.size() == max) {
      more = true;
      break;
    }
    JsonObject range;
    range.Str("StartingSequenceNumber",
              wire::SequenceNumberString(std::max(sh->first_seq, first_kept)));
    if (!sh->open()) {
      range.Str("EndingSequenceNumber",
                wire::SequenceNumberString(sh->last_seq));
    }
    JsonObject o;
    o.Str("ShardId", sh->id);
    if (!sh->parent.empty()) o.Str("ParentShardId", sh->parent);
    o.Object("SequenceNumberRange", std::move(range));
    out.Object(std::move(o));
    last = sh->id;
  }
  JsonObject desc;
  desc.Str("StreamArn", StreamArnOf(d))
      .Str("StreamLabel", wire::StreamLabel(d.created_micros))
      .Str("StreamStatus", d.stream_enabled ? "ENABLED" : "DISABLED")
      .Str("StreamViewType", StreamViewTypeName(d.stream_view_type))
      .Number("CreationRequestDateTime",
              static_cast<double>(d.created_micros) / 1e6)
      .Str("TableName", table)
      .Array("KeySchema", wire::KeySchemaJson(d.key_schema))
      .Array("Shards", std::move(out));
  if (more) desc.Str("LastEvaluatedShardId", last);
  return JsonObject().Object("StreamDescription", std::move(desc)).Done();
}

Result<std::string> Operations::GetShardIterator(const Fields& f) {
  ASSIGN_OR_RETURN(std::string arn, f.Required("StreamArn"));
  ASSIGN_OR_RETURN(std::string shard, f.Required("ShardId"));
  ASSIGN_OR_RETURN(std::string type, f.Required("ShardIteratorType"));
  ASSIGN_OR_RETURN(auto seq_text, f.Str("SequenceNumber"));
  ASSIGN_OR_RETURN(wire::StreamArn parsed, wire::StreamArn::Parse(arn));
  const bool at = type == "AT_SEQUENCE_NUMBER";
  const bool after = type == "AFTER_SEQUENCE_NUMBER";
  if (type != "TRIM_HORIZON" && type != "LATEST" && !at && !after) {
    return Validation(
        "1 validation error detected: Value '" + type +
        "' at 'shardIteratorType' failed to satisfy constraint: Member must "
        "satisfy enum value set: [AFTER_SEQUENCE_NUMBER, LATEST, "
        "AT_SEQUENCE_NUMBER, TRIM_HORIZON]");
  }
  ASSIGN_OR_RETURN(StreamSight s,
                   SightStream(parsed.table, "Stream: " + arn + " not found"));
  const LayoutShard* sh = s.view.layout->Get(shard);
  if (sh == nullptr) {
    return wire::ResourceNotFound(
        "Requested resource not found: Shard does not exist");
  }
  wire::ShardIterator it;
  it.table = parsed.table;
  it.shard_id = shard;
  it.issued_micros = s.view.now;
  it.reader = hub_->NewReader();
  const uint64_t end = sh->open() ? s.view.cap : sh->last_seq;
  if (type == "TRIM_HORIZON") {
    it.kind = wire::ShardIterator::Kind::kTrimHorizon;
  } else if (type == "LATEST") {
    it.after = end;
  } else {
    if (!seq_text) {
      return Validation("SequenceNumber is required for " + type);
    }
    ASSIGN_OR_RETURN(uint64_t seq, wire::ParseSequenceNumber(*seq_text));
    if (seq > s.view.cap) {
      return Validation("Invalid SequenceNumber: " + *seq_text +
                        " is beyond the end of the shard");
    }
    if (at && seq == 0) return Validation("Invalid SequenceNumber: 0");
    // AFTER the number just before the shard's first is its start.
    if (seq > end || seq + (after ? 1 : 0) < sh->first_seq) {
      return Validation("Invalid SequenceNumber: " + *seq_text +
                        " is not a sequence number of shard " + shard);
    }
    it.after = at ? seq - 1 : seq;
    const uint64_t first_kept =
        std::max(s.view.trimmed + 1, s.desc.stream_first_sequence);
    if (it.after + 1 < first_kept) {
      return wire::TrimmedDataAccess("The requested sequence number " +
                                     *seq_text + " is beyond the trim horizon");
    }
    if (seq >= sh->first_seq) {
      // A record of another shard is refused, as DynamoDB does.
      ASSIGN_OR_RETURN(bool ours, RecordInShard(*s.table, s.desc, *sh, seq));
      if (!ours) {
        return Validation("Invalid SequenceNumber: " + *seq_text +
                          " is not a sequence number of shard " + shard);
      }
    }
  }
  return JsonObject()
      .Str("ShardIterator", wire::EncodeShardIterator(it))
      .Done();
}

}  // namespace godwit::server
