// DynamoDB Streams: ListStreams, DescribeStream, GetShardIterator,
// GetRecords. One shard per table (wire::kSingleShardId), never closed;
// iterators, ARNs and sequence numbers are wire's (wire/stream_ids.h). The
// StreamViewType is kept by the store with the table
// (TableDescription::stream_view_type), so it survives a restart.
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <functional>

#include "server/operations.h"
#include "server/request.h"
#include "wire/errors.h"
#include "wire/json_writer.h"
#include "wire/stream_ids.h"
#include "wire/table_description.h"

namespace godwit::server {

using wire::JsonArray;
using wire::JsonObject;
using wire::Validation;

namespace {

Status StreamNotFound(std::string_view arn) {
  return wire::ResourceNotFound("Requested resource not found: Stream: " +
                                std::string(arn) + " not found");
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
  return JsonObject()
      .Str("eventID", id)
      .Str("eventName", ChangeTypeName(r.type))
      .Str("eventVersion", "1.1")
      .Str("eventSource", "aws:dynamodb")
      .Str("awsRegion", region)
      .Object("dynamodb", std::move(db))
      .Done();
}

}  // namespace

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

Result<std::string> Operations::DescribeStream(const Fields& f) {
  ASSIGN_OR_RETURN(std::string arn, f.Required("StreamArn"));
  ASSIGN_OR_RETURN(wire::StreamArn parsed, wire::StreamArn::Parse(arn));
  const std::string& table = parsed.table;
  Result<TableDescription> d = store_->DescribeTable(table);
  if (!d.ok() && d.status().IsNotFound()) return StreamNotFound(arn);
  RETURN_IF_ERROR(d.status());
  JsonArray shards;
  shards.Object(std::move(
      JsonObject()
          .Str("ShardId", wire::kSingleShardId)
          .Object("SequenceNumberRange",
                  std::move(JsonObject().Str(
                      "StartingSequenceNumber",
                      wire::SequenceNumberString(d->stream_first_sequence))))));
  JsonObject desc;
  desc.Str("StreamArn", StreamArnOf(*d))
      .Str("StreamLabel", wire::StreamLabel(d->created_micros))
      .Str("StreamStatus", d->stream_enabled ? "ENABLED" : "DISABLED")
      .Str("StreamViewType", StreamViewTypeName(d->stream_view_type))
      .Number("CreationRequestDateTime",
              static_cast<double>(d->created_micros) / 1e6)
      .Str("TableName", table)
      .Array("KeySchema", wire::KeySchemaJson(d->key_schema))
      .Array("Shards", std::move(shards));
  return JsonObject().Object("StreamDescription", std::move(desc)).Done();
}

Result<std::string> Operations::GetShardIterator(const Fields& f) {
  ASSIGN_OR_RETURN(std::string arn, f.Required("StreamArn"));
  ASSIGN_OR_RETURN(std::string shard, f.Required("ShardId"));
  ASSIGN_OR_RETURN(std::string type, f.Required("ShardIteratorType"));
  ASSIGN_OR_RETURN(auto seq_text, f.Str("SequenceNumber"));
  ASSIGN_OR_RETURN(wire::StreamArn parsed, wire::StreamArn::Parse(arn));
  Result<TableDescription> d = store_->DescribeTable(parsed.table);
  if (!d.ok() && d.status().IsNotFound()) return StreamNotFound(arn);
  RETURN_IF_ERROR(d.status());
  if (shard != wire::kSingleShardId) {
    return wire::ResourceNotFound(
        "Requested resource not found: Shard does not exist");
  }
  wire::ShardIterator it;
  it.table = parsed.table;
  if (type == "TRIM_HORIZON") {
    it.kind = wire::ShardIterator::Kind::kTrimHorizon;
  } else if (type == "LATEST") {
    it.after = d->latest_sequence;
  } else if (type == "AT_SEQUENCE_NUMBER" || type == "AFTER_SEQUENCE_NUMBER") {
    if (!seq_text) {
      return Validation("SequenceNumber is required for " + type);
    }
    ASSIGN_OR_RETURN(uint64_t seq, wire::ParseSequenceNumber(*seq_text));
    if (seq > d->latest_sequence) {
      return Validation("Invalid SequenceNumber: " + *seq_text +
                        " is beyond the end of the shard");
    }
    if (type == "AT_SEQUENCE_NUMBER") {
      if (seq == 0) return Validation("Invalid SequenceNumber: 0");
      it.after = seq - 1;
    } else {
      it.after = seq;
    }
    if (it.after + 1 < d->stream_first_sequence) {
      return wire::TrimmedDataAccess("The requested sequence number " +
                                     *seq_text + " is beyond the trim horizon");
    }
  } else {
    return Validation(
        "1 validation error detected: Value '" + type +
        "' at 'shardIteratorType' failed to satisfy constraint: Member must "
        "satisfy enum value set: [AFTER_SEQUENCE_NUMBER, LATEST, "
        "AT_SEQUENCE_NUMBER, TRIM_HORIZON]");
  }
  return JsonObject()
      .Str("ShardIterator", wire::EncodeShardIterator(it))
      .Done();
}

Result<std::string> Operations::GetRecords(const Fields& f) {
  ASSIGN_OR_RETURN(std::string it_text, f.Required("ShardIterator"));
  ASSIGN_OR_RETURN(auto limit, f.Int("Limit"));
  if (limit && (*limit < 1 || *limit > 1000)) {
    return Validation("Limit must be between 1 and 1000");
  }
  // Refuses forged sequences that cannot be continued (2^64 - 1); a
  // position past the end is the store's OutOfRange below.
  ASSIGN_OR_RETURN(wire::ShardIterator it, wire::DecodeShardIterator(it_text));
  Result<std::shared_ptr<Table>> t = store_->GetTable(it.table);
  if (!t.ok() && t.status().IsNotFound()) {
    return wire::ResourceNotFound(
        "Requested resource not found: the stream's table " + it.table +
        " does not exist");
  }
  RETURN_IF_ERROR(t.status());
  bool trim_horizon = it.kind == wire::ShardIterator::Kind::kTrimHorizon;
  Result<std::unique_ptr<StreamReader>> reader =
      (*t)->OpenStream(trim_horizon ? StreamPosition::TrimHorizon()
                                    : StreamPosition::After(it.after));
  if (!reader.ok()) {
    if (reader.status().code() == StatusCode::kFailedPrecondition) {
      return Validation("The stream of table " + it.table + " is disabled");
    }
    if (reader.status().code() == StatusCode::kOutOfRange) {
      return Validation("Invalid ShardIterator: " +
                        std::string(reader.status().message()));
    }
    return reader.status();
  }
  ASSIGN_OR_RETURN(TableDescription desc, (*t)->Describe());
  std::vector<ChangeRecord> records;
  RETURN_IF_ERROR(
      (*reader)->Read(static_cast<size_t>(limit.value_or(1000)), &records));
  JsonArray out;
  for (const ChangeRecord& r : records) {
    out.Raw(RecordJson(r, it.table, desc.stream_view_type, opts_.region));
  }
  wire::ShardIterator next = it;
  next.kind = wire::ShardIterator::Kind::kAfter;
  next.after = (*reader)->position();
  return JsonObject()
      .Array("Records", std::move(out))
      .Str("NextShardIterator", wire::EncodeShardIterator(next))
      .Done();
}

}  // namespace godwit::server
