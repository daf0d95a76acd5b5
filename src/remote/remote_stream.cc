// The remote store's StreamReader over DynamoDB Streams.
//
// A position is a position per shard plus the lineage known so far
// (godwit/stream_cursor.h), never one number. Each shard has its own
// iterator and its own `last` (the SequenceNumber of the last record read
// from it, as text: DynamoDB's numbers are decimals of up to 40 digits).
//
//   placing   TrimHorizon: every listed shard from its first record.
//             Latest: each open shard at LATEST, its iterator taken at
//             Init (so "now" is the open time), closed shards done.
//             From(cursor): each shard of the cursor where it was; a listed
//             shard the cursor does not know (born since) from its first
//             record. A shard listed later is always read from its first
//             record.
//   order     a shard is read only once its parent is done (closed and read
//             to its end: its last page has no NextShardIterator) or is not
//             listed any more; then the listing is refreshed at once (the
//             children appear). Siblings interleave.
//   renewal   an expired iterator (ExpiredIteratorException, 15 minutes) is
//             renewed AFTER_SEQUENCE_NUMBER of that shard's own `last`, or
//             TRIM_HORIZON of that shard if nothing was read from it yet
//             (earlier is safe: replay converges), never at a number of
//             another shard.
//   loss      TrimmedDataAccessException, or a shard that is not done but no
//             longer listed (or ResourceNotFound for it): DataLoss naming
//             the table, the shard and what to do. Nothing is skipped
//             silently.
//   the head  DynamoDB may return an empty page although records follow,
//             so a shard is at its head only after K consecutive empty pages
//             (RemoteStoreOptions::stream_empty_pages_at_head). A Read that
//             finds nothing polls each shard again until every shard that
//             is not done has K consecutive empty pages requested during the
//             call (ReadInfo::at_head), or max_read_wait passes. The head
//             mark (ReadInfo::caught_up_to) is the oldest, over the shards
//             that are not done, of the request time of the first of the
//             shard's last K consecutive empty pages.
//   pacing    GetRecords of a shard take tokens of a bucket of K + 1,
//             refilled one per stream_idle_poll_ms (250: 4 calls a second
//             on average; DynamoDB allows 5 per shard). After a page that
//             had records but was not full, the next call waits for a full
//             bucket: then a page of records is followed at once by K empty
//             pages, so a shard written to continuously still shows its
//             head whenever its writes pause for a few milliseconds (at the
//             cost of up to (K + 1) * idle_poll of capture latency).
//   readers   one iterator per shard, used by one thread: godwit is one
//             reader of each shard, leaving the second to the application.
//
// The reader is both a StreamReader (store.h: TrimHorizon/Latest, and a
// single number, for tools and servers) and a ShardedStreamReader
// (godwit/stream.h: what the engine uses). Each record's shard and number
// come with it as a RecordOrigin.
// ChangeRecord::sequence is wire::SequenceCodec's uint64 of the number (0
// when the stream's numbers do not fit it); order and resume use the text.
#include <algorithm>
#include <thread>

#include "remote/remote_internal.h"
#include "wire/errors.h"
#include "wire/json_reader.h"
#include "wire/json_writer.h"

namespace godwit::remote {

using wire::JsonObject;
using wire::OptionalString;

StreamReaderOptions StreamReaderOptions::Of(const RemoteStoreOptions& o) {
  StreamReaderOptions r;
  r.empty_pages_at_head = std::max(1, o.stream_empty_pages_at_head);
  r.idle_poll = std::chrono::milliseconds(std::max(0, o.stream_idle_poll_ms));
  r.record_delay =
      std::chrono::milliseconds(std::max(0, o.stream_record_delay_ms));
  return r;
}

Status RemoteStreamReader::Init(const StreamStart& start) {
  switch (start.kind) {
    case StreamStart::Kind::kTrimHorizon:
      return RefreshShards();
    case StreamStart::Kind::kLatest: {
      placing_latest_ = true;
      Status s = RefreshShards();
      placing_latest_ = false;
      RETURN_IF_ERROR(s);
      // LATEST means now: take the iterators at once.
      for (auto& [id, sh] : shards_) {
        if (sh.latest) RETURN_IF_ERROR(NewIterator(&sh));
      }
      return Status::OK();
    }
    case StreamStart::Kind::kFrom:
      break;
  }
  if (start.cursor.Find(kSingleShardId) != nullptr) {
    // An old run state (one number for the whole stream) or the embedded
    // store's position: either way not a position in this stream's shards.
    return Status::FailedPrecondition(
        "the saved stream position for " + table_ +
        " is a single number (written by a godwit before per-shard "
        "positions, or by the embedded store): it cannot be resumed on a "
        "DynamoDB stream, whose shards each need their own position. "
        "Abandon this run (godwit abandon) and start a new migration");
  }
  for (const ShardPosition& p : start.cursor.shards()) {
    Shard& s = shards_[p.shard_id];
    s.id = p.shard_id;
    s.parent = p.parent_shard_id;
    s.last = p.last;
    s.done = p.done;
  }
  return RefreshShards();
}

Status RemoteStreamReader::Init(const StreamPosition& pos) {
  switch (pos.kind) {
    case StreamPosition::Kind::kTrimHorizon: {
      RETURN_IF_ERROR(Init(StreamStart::TrimHorizon()));
      // Before the oldest record kept: the oldest shard's start - 1.
      for (auto& [id, s] : shards_) {
        if (s.start.empty()) continue;
        Result<uint64_t> start = codec_.ToU64(s.start);
        if (!start.ok()) continue;  // informational only
        if (*start > 0 && (position_ == 0 || *start - 1 < position_)) {
          position_ = *start - 1;
        }
      }
      return Status::OK();
    }
    case StreamPosition::Kind::kLatest:
      return Init(StreamStart::Latest());
    case StreamPosition::Kind::kAt:
      legacy_after_ = pos.sequence == 0 ? 0 : pos.sequence - 1;
      break;
    case StreamPosition::Kind::kAfter:
      legacy_after_ = pos.sequence;
      break;
  }
  position_ = *legacy_after_;
  RETURN_IF_ERROR(RefreshShards());
  uint64_t after = *legacy_after_;
  legacy_after_.reset();
  if (after == 0) return Status::OK();
  for (auto& [id, s] : shards_) {
    bool root = s.parent.empty() || shards_.count(s.parent) == 0;
    if (!root || s.start.empty()) continue;
    ASSIGN_OR_RETURN(uint64_t start, codec_.ToU64(s.start));
    if (start > after + 1) {
      return Status::DataLoss(
          "the change stream of " + table_ + " no longer holds position " +
          std::to_string(after) + ": the oldest record kept is " +
          std::to_string(start) +
          " (trimmed by the 24-hour stream retention, or the stream was "
          "re-enabled). Recover by abandoning the run and starting a new "
          "migration, which marks a fresh P0");
    }
  }
  return Status::OK();
}

bool RemoteStreamReader::Eligible(const Shard& s) const {
  if (s.parent.empty()) return true;
  auto p = shards_.find(s.parent);
  return p == shards_.end() || p->second.done;
}

Status RemoteStreamReader::Read(size_t max, std::vector<ChangeRecord>* out) {
  ReadInfo info;
  return Read(max, out, nullptr, &info);
}

Status RemoteStreamReader::Read(size_t max, std::vector<ChangeRecord>* out,
                                std::vector<RecordOrigin>* origins,
                                ReadInfo* info) {
  const size_t k = static_cast<size_t>(std::max(1, opts_.empty_pages_at_head));
  const Clock::time_point started = Clock::now();
  info->started = started;
  info->at_head = false;
  info->caught_up_to.reset();
  const Clock::time_point deadline = started + opts_.max_read_wait;
  const size_t before = out->size();
  // K consecutive empty pages of the shard, all asked during this call.
  auto confirmed = [&](const Shard& s) {
    return s.recent.size() >= k && s.recent.front() >= started;
  };
  if (refresh_ || started - last_refresh_ >= opts_.refresh_every) {
    RETURN_IF_ERROR(RefreshShards());
  }
  for (;;) {
    std::optional<Clock::time_point> wake;
    for (auto& [id, s] : shards_) {
      if (s.done || !Eligible(s)) continue;
      size_t got = out->size() - before;
      if (got >= max) break;
      if (confirmed(s)) continue;
      Clock::time_point next;
      if (!TakeToken(&s, Clock::now(), &next)) {
        wake = wake ? std::min(*wake, next) : next;
        continue;
      }
      size_t n = 0;
      RETURN_IF_ERROR(ReadShard(&s, max - got, out, origins, &n));
    }
    if (refresh_) {
      // A shard ended: its children are listed now, and may start.
      RETURN_IF_ERROR(RefreshShards());
      if (out->size() == before) continue;
    }
    if (out->size() > before) break;
    bool all = true;
    for (const auto& [id, s] : shards_) {
      if (!s.done && Eligible(s) && !confirmed(s)) all = false;
    }
    if (all) {
      info->at_head = true;
      break;
    }
    Clock::time_point now = Clock::now();
    if (now >= deadline) break;
    Clock::time_point until = wake ? *wake : now + opts_.idle_poll;
    if (until > now) std::this_thread::sleep_until(std::min(until, deadline));
  }
  info->caught_up_to = HeadMark();
  return Status::OK();
}

std::optional<RemoteStreamReader::Clock::time_point>
RemoteStreamReader::HeadMark() const {
  std::optional<Clock::time_point> mark;
  for (const auto& [id, s] : shards_) {
    if (s.done) continue;
    // A child waiting for its parent holds nothing older than the
    // parent's end: the parent, not done, decides.
    if (!Eligible(s)) continue;
    if (!s.head_since) return std::nullopt;
    mark = mark ? std::min(*mark, *s.head_since) : *s.head_since;
  }
  // No shard to read (all done, or none listed): at the head since the
  // listing was read.
  if (!mark) return last_refresh_;
  return mark;
}

StreamCursor RemoteStreamReader::cursor() const {
  StreamCursor c;
  for (const auto& [id, s] : shards_) {
    ShardPosition& p = c.At(id);
    p.parent_shard_id = s.parent;
    p.last = s.last;
    p.done = s.done;
  }
  return c;
}

Status RemoteStreamReader::RefreshShards() {
  refresh_ = false;
  Clock::time_point at = Clock::now();
  std::set<std::string> listed;
  std::string start_id;
  do {
    JsonObject body;
    body.Str("StreamArn", arn_);
    if (!start_id.empty()) body.Str("ExclusiveStartShardId", start_id);
    ASSIGN_OR_RETURN(std::string resp, call_("DescribeStream", body.Done()));
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
        listed.insert(std::string(*id));
        auto [it, added] = shards_.try_emplace(std::string(*id));
        Shard& s = it->second;
        s.id = *id;
        std::string parent =
            std::string(OptionalString(sh, "ParentShardId").value_or(""));
        if (!parent.empty()) s.parent = parent;
        dom::element range;
        if (sh["SequenceNumberRange"].get(range) == simdjson::SUCCESS) {
          s.start =
              OptionalString(range, "StartingSequenceNumber").value_or("");
          s.end = OptionalString(range, "EndingSequenceNumber").value_or("");
        }
        if (!added) continue;
        if (placing_latest_) {
          if (!s.end.empty()) {
            s.done = true;
          } else {
            s.latest = true;
          }
        } else if (legacy_after_ && *legacy_after_ > 0 && !s.start.empty()) {
          // One number for every shard: exact for one shard only.
          uint64_t after = *legacy_after_;
          ASSIGN_OR_RETURN(uint64_t start, codec_.ToU64(s.start));
          bool ended_before = false;
          if (!s.end.empty()) {
            ASSIGN_OR_RETURN(uint64_t end, codec_.ToU64(s.end));
            ended_before = end <= after;
          }
          if (ended_before) {
            s.done = true;
          } else if (start <= after) {
            s.last = SequenceNumber::FromU64(after);
            if (codec_.known()) {
              Result<SequenceNumber> t =
                  SequenceNumber::Parse(codec_.FromU64(after));
              if (t.ok()) s.last = *t;
            }
          }
        }
      }
    }
    start_id = OptionalString(desc, "LastEvaluatedShardId").value_or("");
  } while (!start_id.empty());
  // Shards no longer listed: retention dropped them. Only a shard read to
  // its end may go.
  for (auto it = shards_.begin(); it != shards_.end();) {
    if (listed.count(it->first) != 0) {
      ++it;
      continue;
    }
    if (!it->second.done) {
      return Lost(it->second, Status::OK(),
                  "is no longer listed by DescribeStream");
    }
    it = shards_.erase(it);
  }
  last_refresh_ = at;
  return Status::OK();
}

Status RemoteStreamReader::Lost(const Shard& s, const Status& cause,
                                std::string_view what) {
  std::string where = s.last.empty() ? std::string("from its first record")
                                     : "after sequence " + s.last.text();
  return Status::DataLoss(
      "the change stream of " + table_ + ": shard " + s.id + " " +
      std::string(what) + (cause.ok() ? "" : " (" + cause.ToString() + ")") +
      " while godwit still had to read it " + where +
      " (stream retention is 24 hours). The changes in it are lost to this "
      "run: abandon the run (godwit abandon; it drops the destination) and "
      "start a new migration, which marks a fresh P0");
}

Status RemoteStreamReader::NewIterator(Shard* s) {
  ++iterator_calls_;
  JsonObject body;
  body.Str("StreamArn", arn_).Str("ShardId", s->id);
  if (!s->last.empty()) {
    body.Str("ShardIteratorType", "AFTER_SEQUENCE_NUMBER")
        .Str("SequenceNumber", s->last.text());
  } else {
    body.Str("ShardIteratorType", s->latest ? "LATEST" : "TRIM_HORIZON");
  }
  Result<std::string> resp = call_("GetShardIterator", body.Done());
  if (!resp.ok()) {
    wire::ErrorType t = wire::ErrorTypeOf(resp.status());
    if (resp.status().code() == StatusCode::kDataLoss ||
        t == wire::ErrorType::kTrimmedDataAccess ||
        t == wire::ErrorType::kResourceNotFound) {
      return Lost(*s, resp.status(), "cannot be read any more");
    }
    return resp.status();
  }
  // Renewed later (expiry) from the shard's first record, never LATEST
  // again: that would skip what came in between.
  s->latest = false;
  Doc d;
  RETURN_IF_ERROR(Parse(*resp, "GetShardIterator", &d));
  auto it = OptionalString(d.root, "ShardIterator");
  if (!it) return Status::Unavailable("GetShardIterator: no ShardIterator");
  s->iterator = *it;
  return Status::OK();
}

Result<std::string> RemoteStreamReader::GetRecords(const Shard& s, size_t max) {
  ++get_records_calls_;
  return call_("GetRecords",
               JsonObject()
                   .Str("ShardIterator", s.iterator)
                   .Uint("Limit", std::clamp<size_t>(max, 1, 1000))
                   .Done());
}

Status RemoteStreamReader::ReadShard(Shard* s, size_t max,
                                     std::vector<ChangeRecord>* out,
                                     std::vector<RecordOrigin>* origins,
                                     size_t* got) {
  *got = 0;
  if (s->iterator.empty()) RETURN_IF_ERROR(NewIterator(s));
  Clock::time_point asked = Clock::now();
  Result<std::string> resp = GetRecords(*s, max);
  if (!resp.ok() &&
      wire::ErrorTypeOf(resp.status()) == wire::ErrorType::kExpiredIterator) {
    // Iterators live 15 minutes: renew from this shard's own last record.
    RETURN_IF_ERROR(NewIterator(s));
    asked = Clock::now();
    resp = GetRecords(*s, max);
  }
  if (!resp.ok()) {
    wire::ErrorType t = wire::ErrorTypeOf(resp.status());
    if (resp.status().code() == StatusCode::kDataLoss ||
        t == wire::ErrorType::kTrimmedDataAccess ||
        t == wire::ErrorType::kResourceNotFound) {
      return Lost(*s, resp.status(), "cannot be read any more");
    }
    return resp.status();
  }
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
      Result<SequenceNumber> num = SequenceNumber::Parse(*seq);
      if (!num.ok()) {
        return Status::Unavailable("GetRecords: bad SequenceNumber \"" +
                                   std::string(*seq) + "\" in shard " + s->id);
      }
      Result<uint64_t> u = codec_.ToU64(*seq);
      cr.sequence = u.ok() ? *u : 0;
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
      s->last = *num;
      position_ = std::max(position_, cr.sequence);
      out->push_back(std::move(cr));
      if (origins != nullptr) origins->push_back({s->id, *num});
      ++*got;
    }
  }
  auto next = OptionalString(d.root, "NextShardIterator");
  if (!next || next->empty()) {
    s->done = true;  // closed and fully read: its children may start
    s->iterator.clear();
    refresh_ = true;
    return Status::OK();
  }
  s->iterator = *next;
  if (*got > 0) {
    s->recent.clear();
    // The first page of a burst brings what came while the bucket filled;
    // the K empty pages that show the head follow it at once.
    if (s->in_burst) {
      s->in_burst = false;
    } else {
      s->wait_full = *got < std::clamp<size_t>(max, 1, 1000);
    }
    return Status::OK();
  }
  // An empty page: the head, or one of DynamoDB's empty pages before more.
  s->in_burst = false;
  const size_t k = static_cast<size_t>(std::max(1, opts_.empty_pages_at_head));
  s->recent.push_back(asked);
  while (s->recent.size() > k) s->recent.pop_front();
  if (s->recent.size() == k) s->head_since = s->recent.front();
  return Status::OK();
}

bool RemoteStreamReader::TakeToken(Shard* s, Clock::time_point now,
                                   Clock::time_point* next) const {
  if (opts_.idle_poll.count() <= 0) return true;
  const double cap = std::max(1, opts_.empty_pages_at_head) + 1;
  const double per = std::chrono::duration<double>(opts_.idle_poll).count();
  if (s->tokens < 0) {
    s->tokens = cap;
  } else {
    double dt = std::chrono::duration<double>(now - s->refilled).count();
    s->tokens = std::min(cap, s->tokens + dt / per);
  }
  s->refilled = now;
  const double need = s->wait_full ? cap : 1;
  if (s->tokens >= need) {
    s->tokens -= 1;
    s->in_burst = s->wait_full;
    s->wait_full = false;
    return true;
  }
  *next = now + std::chrono::duration_cast<Clock::duration>(
                    std::chrono::duration<double>((need - s->tokens) * per));
  return false;
}

}  // namespace godwit::remote
