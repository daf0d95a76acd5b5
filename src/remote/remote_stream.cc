// The remote store's StreamReader over DynamoDB Streams.
//
// Stream sequences. The interface counts positions in uint64; DynamoDB
// sequence numbers are decimal strings of up to 40 digits, mapped by
// wire::SequenceCodec (the last 19 digits; the high part fixed per stream,
// checked on every record: a stream whose numbers span more than 10^19 is
// refused with FailedPrecondition rather than misordered).
//
// Shards are read parent first: a child starts only when its parent has
// returned its last record (no NextShardIterator), then the shard list is
// refreshed. Siblings open at the same time are read in one Read and merged
// by sequence number.
#include <algorithm>

#include "remote/remote_internal.h"
#include "wire/errors.h"
#include "wire/json_reader.h"
#include "wire/json_writer.h"

namespace godwit::remote {

using wire::JsonObject;
using wire::OptionalString;

Status RemoteStreamReader::Init(const StreamPosition& pos) {
  latest_ = pos.kind == StreamPosition::Kind::kLatest;
  switch (pos.kind) {
    case StreamPosition::Kind::kTrimHorizon:
    case StreamPosition::Kind::kLatest:
      after_ = 0;
      break;
    case StreamPosition::Kind::kAt:
      after_ = pos.sequence == 0 ? 0 : pos.sequence - 1;
      break;
    case StreamPosition::Kind::kAfter:
      after_ = pos.sequence;
      break;
  }
  position_ = after_;
  RETURN_IF_ERROR(RefreshShards());
  if (pos.kind == StreamPosition::Kind::kTrimHorizon) {
    // Before the oldest record kept: the oldest shard's start - 1, which
    // is also the stream's latest sequence while it keeps no record (a
    // quiet table, or a stream just turned on).
    for (auto& [id, s] : shards_) {
      if (s.start.empty()) continue;
      ASSIGN_OR_RETURN(uint64_t start, codec_.ToU64(s.start));
      if (start > 0 && (position_ == 0 || start - 1 < position_)) {
        position_ = start - 1;
      }
    }
  }
  if (after_ == 0 || latest_) return Status::OK();
  // Trimmed? The oldest shards must start at or before the record after
  // the position.
  for (auto& [id, s] : shards_) {
    bool root = s.parent.empty() || shards_.count(s.parent) == 0;
    if (!root) continue;
    ASSIGN_OR_RETURN(uint64_t start, codec_.ToU64(s.start));
    if (start > after_ + 1) {
      return Status::DataLoss(
          "the change stream of " + table_ + " no longer holds position " +
          std::to_string(after_) + ": the oldest record kept is " +
          std::to_string(start) +
          " (trimmed by the 24-hour stream retention, or the stream was "
          "re-enabled). The changes in between are lost to this run; "
          "recover by abandoning it (drop the destination and the run's "
          "control record) and starting a new migration, which marks a "
          "fresh P0");
    }
  }
  return Status::OK();
}

Status RemoteStreamReader::Read(size_t max, std::vector<ChangeRecord>* out) {
  std::vector<ChangeRecord> got;
  for (int pass = 0; pass < 2 && got.empty(); ++pass) {
    if (refresh_) RETURN_IF_ERROR(RefreshShards());
    for (auto& [id, s] : shards_) {
      if (s.done) continue;
      auto p = shards_.find(s.parent);
      if (p != shards_.end() && !p->second.done) continue;  // parent first
      if (got.size() >= max) break;
      RETURN_IF_ERROR(ReadShard(&s, max - got.size(), &got));
    }
    if (!refresh_) break;
  }
  std::stable_sort(got.begin(), got.end(),
                   [](const ChangeRecord& a, const ChangeRecord& b) {
                     return a.sequence < b.sequence;
                   });
  for (ChangeRecord& r : got) {
    position_ = std::max(position_, r.sequence);
    out->push_back(std::move(r));
  }
  return Status::OK();
}

Status RemoteStreamReader::RefreshShards() {
  refresh_ = false;
  std::string start_id;
  do {
    JsonObject body;
    body.Str("StreamArn", arn_);
    if (!start_id.empty()) body.Str("ExclusiveStartShardId", start_id);
    ASSIGN_OR_RETURN(
        std::string resp,
        client_->Call(Service::kStreams, "DescribeStream", body.Done()));
    Doc d;
    RETURN_IF_ERROR(Parse(resp, "DescribeStream", &d));
    dom::element desc;
    if (d.root["StreamDescription"].get(desc) != simdjson::SUCCESS) {
      return Status::Unavailable("DescribeStream: no StreamDescription");
    }
    dom::array shards;
    if (desc["Shards"].get_array().get(shards) == simdjson::SUCCESS) {
      for (dom::element sh : shards) {
        auto id = OptionalString(sh, "ShardId");
        if (!id) continue;
        auto [it, added] = shards_.try_emplace(std::string(*id));
        Shard& s = it->second;
        s.id = *id;
        s.parent = OptionalString(sh, "ParentShardId").value_or("");
        dom::element range;
        if (sh["SequenceNumberRange"].get(range) == simdjson::SUCCESS) {
          s.start =
              OptionalString(range, "StartingSequenceNumber").value_or("");
          s.end = OptionalString(range, "EndingSequenceNumber").value_or("");
        }
        if (!s.start.empty() && !codec_.known()) {
          RETURN_IF_ERROR(codec_.ToU64(s.start).status());
        }
        if (added) RETURN_IF_ERROR(Place(&s));
      }
    }
    start_id = OptionalString(desc, "LastEvaluatedShardId").value_or("");
  } while (!start_id.empty());
  return Status::OK();
}

// Decides where a newly listed shard starts, from the reader's start.
Status RemoteStreamReader::Place(Shard* s) {
  if (latest_) {
    if (!s->end.empty()) s->done = true;
    return Status::OK();
  }
  if (after_ == 0 || s->start.empty()) return Status::OK();
  ASSIGN_OR_RETURN(uint64_t start, codec_.ToU64(s->start));
  if (!s->end.empty()) {
    ASSIGN_OR_RETURN(uint64_t end, codec_.ToU64(s->end));
    if (end <= after_) {
      s->done = true;
      return Status::OK();
    }
  }
  if (start <= after_) s->last_seq = codec_.FromU64(after_);
  return Status::OK();
}

Status RemoteStreamReader::NewIterator(Shard* s) {
  JsonObject body;
  body.Str("StreamArn", arn_).Str("ShardId", s->id);
  if (!s->last_seq.empty()) {
    body.Str("ShardIteratorType", "AFTER_SEQUENCE_NUMBER")
        .Str("SequenceNumber", s->last_seq);
  } else {
    body.Str("ShardIteratorType", latest_ ? "LATEST" : "TRIM_HORIZON");
  }
  Result<std::string> resp =
      client_->Call(Service::kStreams, "GetShardIterator", body.Done());
  if (!resp.ok()) return Trimmed(resp.status());
  Doc d;
  RETURN_IF_ERROR(Parse(*resp, "GetShardIterator", &d));
  auto it = OptionalString(d.root, "ShardIterator");
  if (!it) return Status::Unavailable("GetShardIterator: no ShardIterator");
  s->iterator = *it;
  return Status::OK();
}

Status RemoteStreamReader::Trimmed(const Status& s) {
  if (s.code() != StatusCode::kDataLoss) return s;
  return Status::DataLoss(
      "the change stream of " + table_ + " no longer holds position " +
      std::to_string(position_) + " (" + std::string(s.message()) +
      "): retention trimmed records the run had not read. Recover by "
      "abandoning the run (drop the destination) and starting a new "
      "migration, which marks a fresh P0");
}

Result<std::string> RemoteStreamReader::GetRecords(const Shard& s, size_t max) {
  return client_->Call(Service::kStreams, "GetRecords",
                       JsonObject()
                           .Str("ShardIterator", s.iterator)
                           .Uint("Limit", std::clamp<size_t>(max, 1, 1000))
                           .Done());
}

Status RemoteStreamReader::ReadShard(Shard* s, size_t max,
                                     std::vector<ChangeRecord>* out) {
  if (s->iterator.empty()) RETURN_IF_ERROR(NewIterator(s));
  Result<std::string> resp = GetRecords(*s, max);
  if (!resp.ok() &&
      wire::ErrorTypeOf(resp.status()) == wire::ErrorType::kExpiredIterator) {
    // Iterators live 15 minutes: renew from the last record read.
    RETURN_IF_ERROR(NewIterator(s));
    resp = GetRecords(*s, max);
  }
  if (!resp.ok()) return Trimmed(resp.status());
  Doc d;
  RETURN_IF_ERROR(Parse(*resp, "GetRecords", &d));
  dom::array recs;
  if (d.root["Records"].get_array().get(recs) == simdjson::SUCCESS) {
    for (dom::element r : recs) {
      ChangeRecord cr;
      auto name = OptionalString(r, "eventName").value_or("");
      cr.type = name == "INSERT"   ? ChangeType::kInsert
                : name == "MODIFY" ? ChangeType::kModify
                : name == "REMOVE" ? ChangeType::kRemove
                                   : ChangeType::kModify;
      dom::element db;
      if (r["dynamodb"].get(db) != simdjson::SUCCESS) continue;
      auto seq = OptionalString(db, "SequenceNumber");
      if (!seq) return Status::Unavailable("GetRecords: no SequenceNumber");
      ASSIGN_OR_RETURN(cr.sequence, codec_.ToU64(*seq));
      s->last_seq = *seq;
      auto when = wire::OptionalDouble(db, "ApproximateCreationDateTime");
      if (when && *when >= 0 && *when < 1e12) {  // seconds; else unknown
        cr.time_micros = static_cast<int64_t>(*when * 1e6);
      }
      dom::element el;
      if (db["Keys"].get(el) == simdjson::SUCCESS) {
        ASSIGN_OR_RETURN(cr.keys, ItemOf(el, "GetRecords Keys"));
      }
      if (db["NewImage"].get(el) == simdjson::SUCCESS) {
        ASSIGN_OR_RETURN(cr.new_image, ItemOf(el, "GetRecords NewImage"));
      }
      if (db["OldImage"].get(el) == simdjson::SUCCESS) {
        ASSIGN_OR_RETURN(cr.old_image, ItemOf(el, "GetRecords OldImage"));
      }
      if (cr.type != ChangeType::kRemove && !cr.new_image) {
        return Status::FailedPrecondition(
            "the stream of " + table_ +
            " carries no new images: it must be NEW_AND_OLD_IMAGES");
      }
      // An identical put may be reported as MODIFY of an absent item.
      if (cr.type == ChangeType::kInsert) cr.old_image.reset();
      out->push_back(std::move(cr));
    }
  }
  auto next = OptionalString(d.root, "NextShardIterator");
  if (!next || next->empty()) {
    s->done = true;  // closed and fully read: its children may start
    s->iterator.clear();
    refresh_ = true;
  } else {
    s->iterator = *next;
  }
  return Status::OK();
}

}  // namespace godwit::remote
