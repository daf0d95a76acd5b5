// The remote store: Store and Table over the DynamoDB JSON API, StreamReader
// over DynamoDB Streams (see include/godwit/remote_store.h, docs/remote.md).
//
// Stream sequences. The interface counts positions in uint64; DynamoDB
// sequence numbers are decimal strings of up to 40 digits. A stream's
// numbers share their digits above the last 19 (moto: "110" + 19 digits;
// godwit serve: 21 digits, all leading zeros), so the uint64 position is the
// last 19 digits and the high part is fixed per stream (learned from the
// shards, checked on every record: a stream whose numbers span more than
// 10^19 is refused with FailedPrecondition rather than misordered).
//
// latest_sequence (Describe) has no DynamoDB counterpart: each table keeps a
// tail reader that reads the stream to its end at every Describe and
// reports the newest sequence seen. The first Describe of a process reads
// the whole retained stream once.
//
// Snapshots do not exist on DynamoDB: GetSnapshot is Unimplemented (the
// engine then verifies by repeated live comparison), and so are stream
// consumers (retention cannot be pinned).
#include "godwit/remote_store.h"

#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "godwit/json.h"
#include "remote/client.h"

namespace godwit {
namespace remote {
namespace {

namespace dom = simdjson::dom;
using Clock = std::chrono::steady_clock;

JsonParser& ThreadParser() {
  thread_local JsonParser p;
  return p;
}

// A parsed response. The parser owns the document.
struct Doc {
  dom::parser parser;
  dom::element root;
};

Status Parse(const std::string& body, std::string_view op, Doc* d) {
  if (d->parser.parse(body).get(d->root) != simdjson::SUCCESS) {
    return Status::Unavailable(
        std::string(op) +
        ": the endpoint sent a malformed JSON body: " + body.substr(0, 200));
  }
  return Status::OK();
}

Result<Item> ItemOf(dom::element el, std::string_view what) {
  Result<Item> item = ThreadParser().ParseItem(simdjson::minify(el));
  if (!item.ok()) return item.status().WithContext(what);
  return item;
}

std::optional<std::string_view> Str(dom::element el, const char* field) {
  std::string_view v;
  if (el[field].get_string().get(v) != simdjson::SUCCESS) return std::nullopt;
  return v;
}

std::string KeyItemJson(const Key& key, const KeySchema& schema) {
  std::string out;
  WriteItemJson(KeyToItem(key, schema), &out);
  return out;
}

// The types of the attributes in AttributeDefinitions.
using AttrTypes = std::map<std::string, AttrType, std::less<>>;

AttrTypes AttrTypesOf(dom::element table) {
  AttrTypes types;
  dom::array defs;
  if (table["AttributeDefinitions"].get_array().get(defs) ==
      simdjson::SUCCESS) {
    for (dom::element d : defs) {
      auto n = Str(d, "AttributeName");
      auto t = Str(d, "AttributeType");
      if (!n || !t) continue;
      std::optional<AttrType> at = AttrTypeFromName(*t);
      if (at) types[std::string(*n)] = *at;
    }
  }
  return types;
}

// A KeySchema array ([{"AttributeName","KeyType"}]) of a table or an index.
Result<KeySchema> KeySchemaOf(dom::element owner, const AttrTypes& types,
                              const std::string& what) {
  KeySchema ks;
  dom::array keys;
  if (owner["KeySchema"].get_array().get(keys) != simdjson::SUCCESS) {
    return Status::Internal("DescribeTable: no KeySchema for " + what +
                            " in the response");
  }
  for (dom::element k : keys) {
    auto n = Str(k, "AttributeName");
    auto kt = Str(k, "KeyType");
    if (!n || !kt) continue;
    KeyAttribute a{std::string(*n), AttrType::kS};
    if (auto it = types.find(*n); it != types.end()) a.type = it->second;
    if (*kt == "HASH") {
      ks.hash = a;
    } else {
      ks.range = a;
    }
  }
  return ks;
}

// ReadCapacityUnits / WriteCapacityUnits of a ProvisionedThroughput (0 if
// absent).
std::pair<int64_t, int64_t> CapacityOf(dom::element owner) {
  int64_t r = 0, w = 0;
  dom::element pt;
  if (owner["ProvisionedThroughput"].get(pt) == simdjson::SUCCESS) {
    if (pt["ReadCapacityUnits"].get_int64().get(r) != simdjson::SUCCESS) r = 0;
    if (pt["WriteCapacityUnits"].get_int64().get(w) != simdjson::SUCCESS) w = 0;
  }
  return {r, w};
}

// The indexes of a DescribeTable answer's Table (global ones first, each
// kind in the order reported). *all_active: every index reporting an
// IndexStatus is ACTIVE.
Result<std::vector<SecondaryIndex>> IndexesOf(dom::element table,
                                              const AttrTypes& types,
                                              bool provisioned,
                                              bool* all_active) {
  std::vector<SecondaryIndex> out;
  *all_active = true;
  for (auto [field, kind] :
       {std::pair{"GlobalSecondaryIndexes", SecondaryIndex::Kind::kGlobal},
        std::pair{"LocalSecondaryIndexes", SecondaryIndex::Kind::kLocal}}) {
    dom::array list;
    if (table[field].get_array().get(list) != simdjson::SUCCESS) continue;
    for (dom::element e : list) {
      SecondaryIndex ix;
      ix.kind = kind;
      ix.name = Str(e, "IndexName").value_or("");
      ASSIGN_OR_RETURN(ix.key_schema,
                       KeySchemaOf(e, types, "index " + ix.name));
      dom::element proj;
      if (e["Projection"].get(proj) == simdjson::SUCCESS) {
        ix.projection = Str(proj, "ProjectionType").value_or("ALL");
        dom::array attrs;
        if (proj["NonKeyAttributes"].get_array().get(attrs) ==
            simdjson::SUCCESS) {
          for (dom::element a : attrs) {
            std::string_view v;
            if (a.get_string().get(v) == simdjson::SUCCESS) {
              ix.non_key_attributes.emplace_back(v);
            }
          }
        }
      }
      if (kind == SecondaryIndex::Kind::kGlobal && provisioned) {
        std::tie(ix.read_capacity, ix.write_capacity) = CapacityOf(e);
      }
      auto status = Str(e, "IndexStatus");
      if (status && *status != "ACTIVE") *all_active = false;
      out.push_back(std::move(ix));
    }
  }
  return out;
}

// AttributeDefinitions for the key attributes of the table and its indexes,
// each once. Errors: InvalidArgument for an attribute given two types.
Result<std::string> AttrDefs(const std::string& table,
                             const TableOptions& opts) {
  std::vector<std::pair<std::string, AttrType>> defs;
  std::map<std::string, std::pair<AttrType, std::string>> seen;  // -> where
  auto add = [&](const KeyAttribute& a, const std::string& where) -> Status {
    auto [it, added] = seen.try_emplace(a.name, a.type, where);
    if (added) {
      defs.emplace_back(a.name, a.type);
      return Status::OK();
    }
    if (it->second.first == a.type) return Status::OK();
    return Status::InvalidArgument(
        "create table " + table + ": attribute \"" + a.name +
        "\" has two types: " + std::string(AttrTypeName(it->second.first)) +
        " as " + it->second.second + " and " +
        std::string(AttrTypeName(a.type)) + " as " + where +
        " (DynamoDB keeps one type per attribute name)");
  };
  auto add_schema = [&](const KeySchema& ks, const std::string& owner) {
    Status s = add(ks.hash, "the hash key of " + owner);
    if (s.ok() && ks.range) s = add(*ks.range, "the range key of " + owner);
    return s;
  };
  RETURN_IF_ERROR(add_schema(opts.key_schema, "the table"));
  for (const SecondaryIndex& ix : opts.indexes) {
    RETURN_IF_ERROR(add_schema(ix.key_schema, "index " + ix.name));
  }
  std::string out = "[";
  for (const auto& [name, type] : defs) {
    if (out.size() > 1) out += ",";
    out += "{\"AttributeName\":" + JsonQuoted(name) + ",\"AttributeType\":\"" +
           std::string(AttrTypeName(type)) + "\"}";
  }
  return out + "]";
}

std::string KeySchemaJson(const KeySchema& ks) {
  std::string out = "[{\"AttributeName\":" + JsonQuoted(ks.hash.name) +
                    ",\"KeyType\":\"HASH\"}";
  if (ks.range) {
    out += ",{\"AttributeName\":" + JsonQuoted(ks.range->name) +
           ",\"KeyType\":\"RANGE\"}";
  }
  return out + "]";
}

std::string ThroughputJson(int64_t read, int64_t write) {
  return "{\"ReadCapacityUnits\":" + std::to_string(read) +
         ",\"WriteCapacityUnits\":" + std::to_string(write) + "}";
}

std::string ProjectionJson(const SecondaryIndex& ix) {
  std::string out = "{\"ProjectionType\":" + JsonQuoted(ix.projection);
  if (!ix.non_key_attributes.empty()) {
    out += ",\"NonKeyAttributes\":[";
    for (size_t i = 0; i < ix.non_key_attributes.size(); ++i) {
      if (i) out += ",";
      out += JsonQuoted(ix.non_key_attributes[i]);
    }
    out += "]";
  }
  return out + "}";
}

// ,"BillingMode":...,"ProvisionedThroughput":...,"GlobalSecondaryIndexes":
// ...,"LocalSecondaryIndexes":... of a CreateTable request. A global index
// of a provisioned table without capacities of its own gets the table's.
std::string BillingAndIndexesJson(const TableOptions& opts) {
  bool provisioned = opts.billing == BillingMode::kProvisioned;
  std::string out;
  if (provisioned) {
    out += ",\"BillingMode\":\"PROVISIONED\",\"ProvisionedThroughput\":" +
           ThroughputJson(opts.read_capacity, opts.write_capacity);
  } else {
    out += ",\"BillingMode\":\"PAY_PER_REQUEST\"";
  }
  std::string global, local;
  for (const SecondaryIndex& ix : opts.indexes) {
    bool is_global = ix.kind == SecondaryIndex::Kind::kGlobal;
    std::string& list = is_global ? global : local;
    if (!list.empty()) list += ",";
    list += "{\"IndexName\":" + JsonQuoted(ix.name) +
            ",\"KeySchema\":" + KeySchemaJson(ix.key_schema) +
            ",\"Projection\":" + ProjectionJson(ix);
    if (is_global && provisioned) {
      bool own = ix.read_capacity > 0 || ix.write_capacity > 0;
      list += ",\"ProvisionedThroughput\":" +
              ThroughputJson(own ? ix.read_capacity : opts.read_capacity,
                             own ? ix.write_capacity : opts.write_capacity);
    }
    list += "}";
  }
  if (!global.empty()) out += ",\"GlobalSecondaryIndexes\":[" + global + "]";
  if (!local.empty()) out += ",\"LocalSecondaryIndexes\":[" + local + "]";
  return out;
}

// Appends ,"ConditionExpression":...,"ExpressionAttributeNames":... for a
// condition (nothing for kNone).
void AppendCondition(const Condition& c, const KeySchema& ks,
                     std::string* out) {
  switch (c.kind) {
    case Condition::Kind::kNone:
      return;
    case Condition::Kind::kExists:
    case Condition::Kind::kNotExists:
      *out += c.kind == Condition::Kind::kExists
                  ? ",\"ConditionExpression\":\"attribute_exists(#c)\""
                  : ",\"ConditionExpression\":\"attribute_not_exists(#c)\"";
      *out +=
          ",\"ExpressionAttributeNames\":{\"#c\":" + JsonQuoted(ks.hash.name) +
          "}";
      return;
    case Condition::Kind::kAttributeEquals:
      *out += ",\"ConditionExpression\":\"#c = :c\"";
      *out +=
          ",\"ExpressionAttributeNames\":{\"#c\":" + JsonQuoted(c.attribute) +
          "}";
      *out += ",\"ExpressionAttributeValues\":{\":c\":";
      WriteValueJson(c.value, out);
      *out += "}";
      return;
  }
}

constexpr std::string_view kTokenPrefix = "ddb1:";

// ---- sequence numbers -----------------------------------------------------

class SeqCodec {
 public:
  // Learns the stream's high part from `seq` if not known yet, then checks.
  Result<uint64_t> ToU64(std::string_view seq, const std::string& table) {
    size_t i = 0;
    while (i + 1 < seq.size() && seq[i] == '0') ++i;
    seq.remove_prefix(i);
    if (seq.empty() || seq.size() > 40 ||
        seq.find_first_not_of("0123456789") != std::string_view::npos) {
      return Status::Unavailable("stream of " + table +
                                 ": malformed sequence number \"" +
                                 std::string(seq) + "\"");
    }
    std::string_view high, low = seq;
    if (seq.size() > 19) {
      high = seq.substr(0, seq.size() - 19);
      low = seq.substr(seq.size() - 19);
    }
    if (!known_) {
      high_ = std::string(high);
      known_ = true;
    } else if (high != high_) {
      return Status::FailedPrecondition(
          "stream of " + table + ": sequence number " + std::string(seq) +
          " is more than 10^19 away from the stream's first (" +
          (high_.empty() ? "0" : high_) +
          "...); godwit's positions cannot represent this stream");
    }
    uint64_t v = 0;
    for (char c : low) v = v * 10 + static_cast<uint64_t>(c - '0');
    return v;
  }
  std::string FromU64(uint64_t v) const {
    if (high_.empty()) return std::to_string(v);
    std::string low = std::to_string(v);
    return high_ + std::string(19 - low.size(), '0') + low;
  }
  bool known() const { return known_; }

 private:
  bool known_ = false;
  std::string high_;
};

// ---- streams --------------------------------------------------------------

class RemoteStreamReader : public StreamReader {
 public:
  RemoteStreamReader(Client* c, std::string table, std::string arn)
      : client_(c), table_(std::move(table)), arn_(std::move(arn)) {}

  Status Init(const StreamPosition& pos) {
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
        ASSIGN_OR_RETURN(uint64_t start, codec_.ToU64(s.start, table_));
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
      ASSIGN_OR_RETURN(uint64_t start, codec_.ToU64(s.start, table_));
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

  Status Read(size_t max, std::vector<ChangeRecord>* out) override {
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

  uint64_t position() const override { return position_; }

 private:
  struct Shard {
    std::string id, parent, start, end;
    std::string iterator;
    std::string last_seq;  // the last record read (text)
    bool done = false;
  };

  Status RefreshShards() {
    refresh_ = false;
    std::string start_id;
    do {
      std::string body = "{\"StreamArn\":" + JsonQuoted(arn_);
      if (!start_id.empty()) {
        body += ",\"ExclusiveStartShardId\":" + JsonQuoted(start_id);
      }
      body += "}";
      ASSIGN_OR_RETURN(std::string resp, client_->Call(Service::kStreams,
                                                       "DescribeStream", body));
      Doc d;
      RETURN_IF_ERROR(Parse(resp, "DescribeStream", &d));
      dom::element desc;
      if (d.root["StreamDescription"].get(desc) != simdjson::SUCCESS) {
        return Status::Unavailable("DescribeStream: no StreamDescription");
      }
      dom::array shards;
      if (desc["Shards"].get_array().get(shards) == simdjson::SUCCESS) {
        for (dom::element sh : shards) {
          auto id = Str(sh, "ShardId");
          if (!id) continue;
          auto [it, added] = shards_.try_emplace(std::string(*id));
          Shard& s = it->second;
          s.id = *id;
          s.parent = Str(sh, "ParentShardId").value_or("");
          dom::element range;
          if (sh["SequenceNumberRange"].get(range) == simdjson::SUCCESS) {
            s.start = Str(range, "StartingSequenceNumber").value_or("");
            s.end = Str(range, "EndingSequenceNumber").value_or("");
          }
          if (!s.start.empty() && !codec_.known()) {
            RETURN_IF_ERROR(codec_.ToU64(s.start, table_).status());
          }
          if (added) RETURN_IF_ERROR(Place(&s));
        }
      }
      start_id = Str(desc, "LastEvaluatedShardId").value_or("");
    } while (!start_id.empty());
    return Status::OK();
  }

  // Decides where a newly listed shard starts, from the reader's start.
  Status Place(Shard* s) {
    if (latest_) {
      if (!s->end.empty()) s->done = true;
      return Status::OK();
    }
    if (after_ == 0 || s->start.empty()) return Status::OK();
    ASSIGN_OR_RETURN(uint64_t start, codec_.ToU64(s->start, table_));
    if (!s->end.empty()) {
      ASSIGN_OR_RETURN(uint64_t end, codec_.ToU64(s->end, table_));
      if (end <= after_) {
        s->done = true;
        return Status::OK();
      }
    }
    if (start <= after_) s->last_seq = codec_.FromU64(after_);
    return Status::OK();
  }

  Status NewIterator(Shard* s) {
    std::string body = "{\"StreamArn\":" + JsonQuoted(arn_) +
                       ",\"ShardId\":" + JsonQuoted(s->id) +
                       ",\"ShardIteratorType\":";
    if (!s->last_seq.empty()) {
      body += "\"AFTER_SEQUENCE_NUMBER\",\"SequenceNumber\":" +
              JsonQuoted(s->last_seq);
    } else {
      body += latest_ ? "\"LATEST\"" : "\"TRIM_HORIZON\"";
    }
    body += "}";
    Result<std::string> resp =
        client_->Call(Service::kStreams, "GetShardIterator", body);
    if (!resp.ok()) return Trimmed(resp.status());
    Doc d;
    RETURN_IF_ERROR(Parse(*resp, "GetShardIterator", &d));
    auto it = Str(d.root, "ShardIterator");
    if (!it) return Status::Unavailable("GetShardIterator: no ShardIterator");
    s->iterator = *it;
    return Status::OK();
  }

  Status Trimmed(const Status& s) {
    if (s.code() != StatusCode::kDataLoss) return s;
    return Status::DataLoss(
        "the change stream of " + table_ + " no longer holds position " +
        std::to_string(position_) + " (" + std::string(s.message()) +
        "): retention trimmed records the run had not read. Recover by "
        "abandoning the run (drop the destination) and starting a new "
        "migration, which marks a fresh P0");
  }

  Status ReadShard(Shard* s, size_t max, std::vector<ChangeRecord>* out) {
    if (s->iterator.empty()) RETURN_IF_ERROR(NewIterator(s));
    std::string body =
        "{\"ShardIterator\":" + JsonQuoted(s->iterator) +
        ",\"Limit\":" + std::to_string(std::clamp<size_t>(max, 1, 1000)) + "}";
    Result<std::string> resp =
        client_->Call(Service::kStreams, "GetRecords", body);
    if (!resp.ok() &&
        resp.status().message().find("ExpiredIteratorException") !=
            std::string_view::npos) {
      // Iterators live 15 minutes: renew from the last record read.
      RETURN_IF_ERROR(NewIterator(s));
      body = "{\"ShardIterator\":" + JsonQuoted(s->iterator) +
             ",\"Limit\":" + std::to_string(std::clamp<size_t>(max, 1, 1000)) +
             "}";
      resp = client_->Call(Service::kStreams, "GetRecords", body);
    }
    if (!resp.ok()) return Trimmed(resp.status());
    Doc d;
    RETURN_IF_ERROR(Parse(*resp, "GetRecords", &d));
    dom::array recs;
    if (d.root["Records"].get_array().get(recs) == simdjson::SUCCESS) {
      for (dom::element r : recs) {
        ChangeRecord cr;
        auto name = Str(r, "eventName").value_or("");
        cr.type = name == "INSERT"   ? ChangeType::kInsert
                  : name == "MODIFY" ? ChangeType::kModify
                  : name == "REMOVE" ? ChangeType::kRemove
                                     : ChangeType::kModify;
        dom::element db;
        if (r["dynamodb"].get(db) != simdjson::SUCCESS) continue;
        auto seq = Str(db, "SequenceNumber");
        if (!seq) return Status::Unavailable("GetRecords: no SequenceNumber");
        ASSIGN_OR_RETURN(cr.sequence, codec_.ToU64(*seq, table_));
        s->last_seq = *seq;
        double when = 0;
        if (db["ApproximateCreationDateTime"].get_double().get(when) ==
            simdjson::SUCCESS) {
          cr.time_micros = static_cast<int64_t>(when * 1e6);
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
    auto next = Str(d.root, "NextShardIterator");
    if (!next || next->empty()) {
      s->done = true;  // closed and fully read: its children may start
      s->iterator.clear();
      refresh_ = true;
    } else {
      s->iterator = *next;
    }
    return Status::OK();
  }

  Client* client_;
  std::string table_, arn_;
  SeqCodec codec_;
  std::map<std::string, Shard> shards_;
  uint64_t after_ = 0, position_ = 0;
  bool latest_ = false, refresh_ = false;
};

// ---- tables ---------------------------------------------------------------

class RemoteStoreImpl;

struct Described {
  TableDescription desc;
  std::string status;
  bool indexes_active = true;  // every index that reports a status
  std::string stream_arn;
};

class RemoteTable : public Table {
 public:
  RemoteTable(RemoteStoreImpl* store, std::string name, KeySchema ks)
      : store_(store), name_(std::move(name)), ks_(std::move(ks)) {}
  const std::string& name() const override { return name_; }
  const KeySchema& key_schema() const override { return ks_; }

  Result<std::optional<Item>> Get(const Key& key) override;
  Result<std::vector<std::optional<Item>>> BatchGet(
      const std::vector<Key>& keys) override;
  Result<std::optional<Item>> Put(const Item& item,
                                  const Condition& cond) override;
  Result<std::optional<Item>> Delete(const Key& key,
                                     const Condition& cond) override;
  Result<BatchWriteResult> BatchWrite(
      std::vector<WriteRequest> requests) override;
  Result<Page> Query(const QueryOptions& opts) override;
  Result<Page> Scan(const ScanOptions& opts) override;
  Result<std::unique_ptr<Snapshot>> GetSnapshot() override {
    return Status::Unimplemented("DynamoDB has no snapshots: table " + name_ +
                                 " is compared by consistent scans instead");
  }
  Result<std::unique_ptr<StreamReader>> OpenStream(
      const StreamPosition& pos) override;
  Result<TableDescription> Describe() override;

 private:
  Result<Page> ReadPage(const std::string& op, std::string body);
  Client* client();
  RemoteStoreImpl* store_;
  std::string name_;
  KeySchema ks_;
};

class RemoteStoreImpl : public Store {
 public:
  explicit RemoteStoreImpl(const RemoteStoreOptions& o) : client_(o) {}
  Client* client() { return &client_; }

  Status CreateTable(const std::string& name,
                     const TableOptions& opts) override {
    if (name.size() < 3 || name.size() > 255 ||
        name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ"
                               "RSTUVWXYZ0123456789_-.") != std::string::npos) {
      return Status::InvalidArgument(
          "bad table name \"" + name +
          "\": DynamoDB wants 3-255 characters of [a-zA-Z0-9_.-]");
    }
    ASSIGN_OR_RETURN(std::string defs, AttrDefs(name, opts));
    std::string body = "{\"TableName\":" + JsonQuoted(name) +
                       ",\"KeySchema\":" + KeySchemaJson(opts.key_schema) +
                       ",\"AttributeDefinitions\":" + defs +
                       BillingAndIndexesJson(opts);
    if (opts.stream_enabled) {
      body +=
          ",\"StreamSpecification\":{\"StreamEnabled\":true,"
          "\"StreamViewType\":\"NEW_AND_OLD_IMAGES\"}";
    }
    body += "}";
    Result<std::string> r =
        client_.Call(Service::kDynamoDB, "CreateTable", body);
    if (!r.ok()) {
      if (r.status().message().find("ResourceInUseException") !=
          std::string_view::npos) {
        return Status::AlreadyExists("table " + name + " already exists");
      }
      return r.status();
    }
    return WaitFor(name, [](const Result<Described>& d) {
      return d.ok() && d->status == "ACTIVE" && d->indexes_active;
    });
  }

  Status DropTable(const std::string& name) override {
    Result<std::string> r =
        client_.Call(Service::kDynamoDB, "DeleteTable",
                     "{\"TableName\":" + JsonQuoted(name) + "}");
    if (!r.ok()) {
      if (r.status().IsNotFound()) {
        return Status::NotFound("table " + name + " does not exist");
      }
      return r.status();
    }
    {
      std::lock_guard lock(tails_mu_);
      tails_.erase(name);
    }
    return WaitFor(name, [](const Result<Described>& d) {
      return !d.ok() && d.status().IsNotFound();
    });
  }

  Result<std::vector<std::string>> ListTables() override {
    std::vector<std::string> out;
    std::string start;
    do {
      std::string body = "{\"Limit\":100";
      if (!start.empty()) {
        body += ",\"ExclusiveStartTableName\":" + JsonQuoted(start);
      }
      body += "}";
      ASSIGN_OR_RETURN(std::string resp,
                       client_.Call(Service::kDynamoDB, "ListTables", body));
      Doc d;
      RETURN_IF_ERROR(Parse(resp, "ListTables", &d));
      dom::array names;
      if (d.root["TableNames"].get_array().get(names) == simdjson::SUCCESS) {
        for (dom::element n : names) {
          std::string_view s;
          if (n.get_string().get(s) == simdjson::SUCCESS) out.emplace_back(s);
        }
      }
      start = Str(d.root, "LastEvaluatedTableName").value_or("");
    } while (!start.empty());
    return out;
  }

  Result<TableDescription> DescribeTable(const std::string& name) override {
    ASSIGN_OR_RETURN(Described d, DescribeRaw(name));
    ASSIGN_OR_RETURN(d.desc.latest_sequence, LatestSequence(d));
    d.desc.stream_first_sequence = d.desc.latest_sequence + 1;
    return d.desc;
  }

  Result<std::shared_ptr<Table>> GetTable(const std::string& name) override {
    ASSIGN_OR_RETURN(Described d, DescribeRaw(name));
    return std::shared_ptr<Table>(
        std::make_shared<RemoteTable>(this, name, d.desc.key_schema));
  }

  Status UpdateStream(const std::string& name, bool enabled) override {
    ASSIGN_OR_RETURN(Described d, DescribeRaw(name));
    if (d.desc.stream_enabled == enabled) return Status::OK();
    std::string body = "{\"TableName\":" + JsonQuoted(name) +
                       ",\"StreamSpecification\":{\"StreamEnabled\":" +
                       (enabled ? "true,\"StreamViewType\":"
                                  "\"NEW_AND_OLD_IMAGES\"}"
                                : "false}") +
                       "}";
    RETURN_IF_ERROR(
        client_.Call(Service::kDynamoDB, "UpdateTable", body).status());
    return WaitFor(name, [enabled](const Result<Described>& d) {
      return d.ok() && d->status == "ACTIVE" &&
             d->desc.stream_enabled == enabled;
    });
  }

  Result<Described> DescribeRaw(const std::string& name) {
    Result<std::string> resp =
        client_.Call(Service::kDynamoDB, "DescribeTable",
                     "{\"TableName\":" + JsonQuoted(name) + "}");
    if (!resp.ok()) {
      if (resp.status().IsNotFound()) {
        return Status::NotFound("table " + name + " does not exist");
      }
      return resp.status();
    }
    Doc doc;
    RETURN_IF_ERROR(Parse(*resp, "DescribeTable", &doc));
    dom::element t;
    if (doc.root["Table"].get(t) != simdjson::SUCCESS) {
      return Status::Unavailable("DescribeTable: no Table in the response");
    }
    Described d;
    d.desc.name = name;
    AttrTypes types = AttrTypesOf(t);
    ASSIGN_OR_RETURN(d.desc.key_schema, KeySchemaOf(t, types, "the table"));
    // BillingModeSummary is missing on tables created provisioned (the
    // default) and never switched: then provisioned capacity says so.
    auto [read, write] = CapacityOf(t);
    std::string_view billing;
    dom::element summary;
    if (t["BillingModeSummary"].get(summary) == simdjson::SUCCESS) {
      billing = Str(summary, "BillingMode").value_or("");
    }
    if (billing == "PAY_PER_REQUEST") {
      d.desc.billing = BillingMode::kPayPerRequest;
    } else if (billing == "PROVISIONED" ||
               (billing.empty() && (read > 0 || write > 0))) {
      d.desc.billing = BillingMode::kProvisioned;
      d.desc.read_capacity = read;
      d.desc.write_capacity = write;
    }
    ASSIGN_OR_RETURN(
        d.desc.indexes,
        IndexesOf(t, types, d.desc.billing == BillingMode::kProvisioned,
                  &d.indexes_active));
    uint64_t n = 0;
    if (t["ItemCount"].get_uint64().get(n) == simdjson::SUCCESS) {
      d.desc.item_count = n;
    }
    if (t["TableSizeBytes"].get_uint64().get(n) == simdjson::SUCCESS) {
      d.desc.size_bytes = n;
    }
    double created = 0;
    if (t["CreationDateTime"].get_double().get(created) == simdjson::SUCCESS) {
      d.desc.created_micros = static_cast<int64_t>(created * 1e6);
    }
    d.status = Str(t, "TableStatus").value_or("ACTIVE");
    bool enabled = false;
    dom::element spec;
    if (t["StreamSpecification"].get(spec) == simdjson::SUCCESS &&
        spec["StreamEnabled"].get_bool().get(enabled) == simdjson::SUCCESS) {
      d.desc.stream_enabled = enabled;
    }
    d.stream_arn = Str(t, "LatestStreamArn").value_or("");
    return d;
  }

  // The newest sequence of the table's stream, read by the table's tail
  // reader (0 if the stream has never had a record).
  Result<uint64_t> LatestSequence(const Described& d) {
    std::shared_ptr<Tail> tail;
    {
      std::lock_guard lock(tails_mu_);
      std::shared_ptr<Tail>& t = tails_[d.desc.name];
      if (!t) t = std::make_shared<Tail>();
      tail = t;
    }
    std::lock_guard lock(tail->mu);
    if (!d.desc.stream_enabled || d.stream_arn.empty()) return tail->latest;
    if (tail->arn != d.stream_arn || !tail->reader) {
      auto r = std::make_unique<RemoteStreamReader>(&client_, d.desc.name,
                                                    d.stream_arn);
      RETURN_IF_ERROR(r->Init(StreamPosition::TrimHorizon()));
      tail->reader = std::move(r);
      tail->arn = d.stream_arn;
    }
    std::vector<ChangeRecord> recs;
    for (int i = 0; i < 10000; ++i) {
      recs.clear();
      Status s = tail->reader->Read(1000, &recs);
      if (!s.ok()) {
        tail->reader.reset();  // start over next time
        return s.WithContext("reading the stream's tail of " + d.desc.name);
      }
      // A short page reached the end as of that read: newer records are
      // the next Describe's (chasing busy writers would never end).
      if (recs.size() < 1000) break;
    }
    tail->latest = std::max(tail->latest, tail->reader->position());
    return tail->latest;
  }

  Status WaitFor(const std::string& name,
                 const std::function<bool(const Result<Described>&)>& done) {
    auto deadline = Clock::now() +
                    std::chrono::seconds(client_.options().table_wait_seconds);
    auto delay = std::chrono::milliseconds(20);
    while (true) {
      Result<Described> d = DescribeRaw(name);
      if (done(d)) return Status::OK();
      if (!d.ok() && !d.status().IsNotFound()) return d.status();
      if (Clock::now() > deadline) {
        return Status::DeadlineExceeded(
            "table " + name + " did not reach the wanted state within " +
            std::to_string(client_.options().table_wait_seconds) +
            " s (status " + (d.ok() ? d->status : d.status().ToString()) + ")");
      }
      std::this_thread::sleep_for(delay);
      delay = std::min(delay * 2, std::chrono::milliseconds(1000));
    }
  }

 private:
  struct Tail {
    std::mutex mu;
    std::string arn;
    std::unique_ptr<RemoteStreamReader> reader;
    uint64_t latest = 0;
  };
  Client client_;
  std::mutex tails_mu_;
  std::map<std::string, std::shared_ptr<Tail>> tails_;
};

Client* RemoteTable::client() { return store_->client(); }

Result<std::optional<Item>> RemoteTable::Get(const Key& key) {
  std::string body = "{\"TableName\":" + JsonQuoted(name_) +
                     ",\"Key\":" + KeyItemJson(key, ks_) +
                     ",\"ConsistentRead\":true}";
  ASSIGN_OR_RETURN(std::string resp,
                   client()->Call(Service::kDynamoDB, "GetItem", body));
  Doc d;
  RETURN_IF_ERROR(Parse(resp, "GetItem", &d));
  dom::element item;
  if (d.root["Item"].get(item) != simdjson::SUCCESS) return std::nullopt;
  ASSIGN_OR_RETURN(Item it, ItemOf(item, "GetItem"));
  return std::optional<Item>(std::move(it));
}

// BatchGetItem, 100 distinct keys a request, consistent. Keys the endpoint
// leaves unprocessed (throttled partitions) are asked for again after a
// full-jitter backoff, up to RetryOptions::max_attempts rounds.
Result<std::vector<std::optional<Item>>> RemoteTable::BatchGet(
    const std::vector<Key>& keys) {
  constexpr size_t kMaxKeys = 100;
  auto bytes_of = [](const Key& k) {
    std::string b;
    AppendOrderedKeyBytes(k, &b);
    return b;
  };
  std::map<std::string, std::optional<Item>> found;  // key bytes -> item
  std::vector<std::pair<std::string, std::string>> pending;  // bytes, json
  for (const Key& k : keys) {
    std::string b = bytes_of(k);
    if (found.emplace(b, std::nullopt).second) {
      pending.emplace_back(std::move(b), KeyItemJson(k, ks_));
    }
  }
  const RetryOptions& retry = client()->options().retry;
  thread_local std::mt19937_64 rng{std::random_device{}()};
  int round = 0;
  while (!pending.empty()) {
    std::vector<std::pair<std::string, std::string>> again;
    for (size_t at = 0; at < pending.size(); at += kMaxKeys) {
      size_t end = std::min(pending.size(), at + kMaxKeys);
      std::string body = "{\"RequestItems\":{" + JsonQuoted(name_) +
                         ":{\"ConsistentRead\":true,\"Keys\":[";
      for (size_t i = at; i < end; ++i) {
        if (i > at) body += ",";
        body += pending[i].second;
      }
      body += "]}}}";
      ASSIGN_OR_RETURN(std::string resp, client()->Call(Service::kDynamoDB,
                                                        "BatchGetItem", body));
      Doc d;
      RETURN_IF_ERROR(Parse(resp, "BatchGetItem", &d));
      dom::array items;
      if (d.root["Responses"][name_].get_array().get(items) ==
          simdjson::SUCCESS) {
        for (dom::element e : items) {
          ASSIGN_OR_RETURN(Item it, ItemOf(e, "BatchGetItem"));
          ASSIGN_OR_RETURN(Key k, ExtractKey(it, ks_));
          auto f = found.find(bytes_of(k));
          if (f == found.end()) {
            return Status::FailedPrecondition(
                "BatchGetItem on " + name_ +
                " returned an item that was not asked for: " +
                KeyItemJson(k, ks_));
          }
          f->second = std::move(it);
        }
      }
      dom::array un;
      if (d.root["UnprocessedKeys"][name_]["Keys"].get_array().get(un) ==
          simdjson::SUCCESS) {
        for (dom::element e : un) {
          ASSIGN_OR_RETURN(Item ki, ItemOf(e, "BatchGetItem UnprocessedKeys"));
          ASSIGN_OR_RETURN(Key k, ExtractKey(ki, ks_));
          again.emplace_back(bytes_of(k), KeyItemJson(k, ks_));
        }
      }
    }
    if (again.empty()) break;
    if (++round >= retry.max_attempts) {
      return Status::ResourceExhausted(
          "BatchGetItem on " + name_ + ": " + std::to_string(again.size()) +
          " keys still unprocessed after " + std::to_string(round) +
          " rounds (the error is transient: resume the run to continue)");
    }
    int64_t cap =
        std::min<int64_t>(retry.max_delay_ms,
                          int64_t{retry.base_delay_ms} << std::min(round, 20));
    std::uniform_int_distribution<int64_t> jitter(0, std::max<int64_t>(cap, 1));
    std::this_thread::sleep_for(std::chrono::milliseconds(jitter(rng)));
    pending = std::move(again);
  }
  std::vector<std::optional<Item>> out;
  out.reserve(keys.size());
  for (const Key& k : keys) out.push_back(found[bytes_of(k)]);
  return out;
}

Result<std::optional<Item>> OldItem(const std::string& resp,
                                    std::string_view op) {
  Doc d;
  RETURN_IF_ERROR(Parse(resp, op, &d));
  dom::element attrs;
  if (d.root["Attributes"].get(attrs) != simdjson::SUCCESS) {
    return std::optional<Item>();
  }
  ASSIGN_OR_RETURN(Item it, ItemOf(attrs, op));
  return std::optional<Item>(std::move(it));
}

Result<std::optional<Item>> RemoteTable::Put(const Item& item,
                                             const Condition& cond) {
  RETURN_IF_ERROR(ValidateItem(item, &ks_).WithContext("put into " + name_));
  std::string body = "{\"TableName\":" + JsonQuoted(name_) + ",\"Item\":";
  WriteItemJson(item, &body);
  body += ",\"ReturnValues\":\"ALL_OLD\"";
  AppendCondition(cond, ks_, &body);
  body += "}";
  Result<std::string> resp =
      client()->Call(Service::kDynamoDB, "PutItem", body);
  if (!resp.ok()) return resp.status();
  return OldItem(*resp, "PutItem");
}

Result<std::optional<Item>> RemoteTable::Delete(const Key& key,
                                                const Condition& cond) {
  std::string body = "{\"TableName\":" + JsonQuoted(name_) +
                     ",\"Key\":" + KeyItemJson(key, ks_) +
                     ",\"ReturnValues\":\"ALL_OLD\"";
  AppendCondition(cond, ks_, &body);
  body += "}";
  Result<std::string> resp =
      client()->Call(Service::kDynamoDB, "DeleteItem", body);
  if (!resp.ok()) return resp.status();
  return OldItem(*resp, "DeleteItem");
}

Result<BatchWriteResult> RemoteTable::BatchWrite(
    std::vector<WriteRequest> requests) {
  BatchWriteResult result;
  if (requests.empty()) return result;
  if (requests.size() > kMaxBatchWriteItems) {
    return Status::InvalidArgument(
        "batch write into " + name_ + ": " + std::to_string(requests.size()) +
        " entries, at most " + std::to_string(kMaxBatchWriteItems));
  }
  std::set<std::string> seen;
  std::string body = "{\"RequestItems\":{" + JsonQuoted(name_) + ":[";
  for (size_t i = 0; i < requests.size(); ++i) {
    const WriteRequest& w = requests[i];
    Key key;
    if (w.kind == WriteRequest::Kind::kPut) {
      RETURN_IF_ERROR(ValidateItem(w.item, &ks_)
                          .WithContext("batch write into " + name_ +
                                       ", entry " + std::to_string(i)));
      ASSIGN_OR_RETURN(key, ExtractKey(w.item, ks_));
    } else {
      key = w.key;
    }
    std::string kj = KeyItemJson(key, ks_);
    if (!seen.insert(kj).second) {
      return Status::InvalidArgument("batch write into " + name_ +
                                     ": two entries on key " + kj);
    }
    if (i) body += ",";
    if (w.kind == WriteRequest::Kind::kPut) {
      body += "{\"PutRequest\":{\"Item\":";
      WriteItemJson(w.item, &body);
      body += "}}";
    } else {
      body += "{\"DeleteRequest\":{\"Key\":" + kj + "}}";
    }
  }
  body += "]}}";
  ASSIGN_OR_RETURN(std::string resp,
                   client()->Call(Service::kDynamoDB, "BatchWriteItem", body));
  Doc d;
  RETURN_IF_ERROR(Parse(resp, "BatchWriteItem", &d));
  dom::array un;
  if (d.root["UnprocessedItems"][name_].get_array().get(un) ==
      simdjson::SUCCESS) {
    for (dom::element e : un) {
      dom::element x;
      if (e["PutRequest"]["Item"].get(x) == simdjson::SUCCESS) {
        ASSIGN_OR_RETURN(Item it, ItemOf(x, "BatchWriteItem UnprocessedItems"));
        result.unprocessed.push_back(WriteRequest::Put(std::move(it)));
      } else if (e["DeleteRequest"]["Key"].get(x) == simdjson::SUCCESS) {
        ASSIGN_OR_RETURN(Item k, ItemOf(x, "BatchWriteItem UnprocessedItems"));
        ASSIGN_OR_RETURN(Key key, ExtractKey(k, ks_));
        result.unprocessed.push_back(WriteRequest::Delete(std::move(key)));
      }
    }
  }
  return result;
}

Result<Page> RemoteTable::ReadPage(const std::string& op, std::string body) {
  ASSIGN_OR_RETURN(std::string resp,
                   client()->Call(Service::kDynamoDB, op, body));
  Doc d;
  RETURN_IF_ERROR(Parse(resp, op, &d));
  Page page;
  dom::array items;
  if (d.root["Items"].get_array().get(items) == simdjson::SUCCESS) {
    for (dom::element e : items) {
      ASSIGN_OR_RETURN(Item it, ItemOf(e, op));
      page.items.push_back(std::move(it));
    }
  }
  dom::element last;
  if (d.root["LastEvaluatedKey"].get(last) == simdjson::SUCCESS) {
    page.next_page_token = std::string(kTokenPrefix) + simdjson::minify(last);
  }
  return page;
}

Status AppendStartKey(const std::string& token, const std::string& table,
                      std::string* body) {
  if (token.empty()) return Status::OK();
  if (token.rfind(kTokenPrefix, 0) != 0) {
    return Status::InvalidArgument("bad page token for table " + table +
                                   ": not one this store returned");
  }
  std::string_view json = std::string_view(token).substr(kTokenPrefix.size());
  Result<Item> key = ThreadParser().ParseItem(json);
  if (!key.ok()) {
    return key.status().WithContext("bad page token for table " + table);
  }
  *body += ",\"ExclusiveStartKey\":";
  WriteItemJson(*key, body);
  return Status::OK();
}

Result<Page> RemoteTable::Scan(const ScanOptions& opts) {
  if (opts.snapshot != nullptr) {
    return Status::Unimplemented("DynamoDB has no snapshots (scan of " + name_ +
                                 ")");
  }
  if (opts.total_segments < 1 || opts.total_segments > 1000000 ||
      opts.segment < 0 || opts.segment >= opts.total_segments ||
      opts.limit < 1) {
    return Status::InvalidArgument(
        "scan of " + name_ + ": segment " + std::to_string(opts.segment) +
        " of " + std::to_string(opts.total_segments) + ", limit " +
        std::to_string(opts.limit) +
        " (want 0 <= segment < total_segments <= 1000000, limit >= 1)");
  }
  std::string body = "{\"TableName\":" + JsonQuoted(name_) +
                     ",\"ConsistentRead\":true,\"Limit\":" +
                     std::to_string(std::min<size_t>(opts.limit, 1000000));
  if (opts.total_segments > 1) {
    body += ",\"Segment\":" + std::to_string(opts.segment) +
            ",\"TotalSegments\":" + std::to_string(opts.total_segments);
  }
  RETURN_IF_ERROR(AppendStartKey(opts.page_token, name_, &body));
  body += "}";
  return ReadPage("Scan", std::move(body));
}

Result<Page> RemoteTable::Query(const QueryOptions& opts) {
  if (opts.limit < 1) {
    return Status::InvalidArgument("query of " + name_ +
                                   ": limit must be >= 1");
  }
  std::string cond = "#h = :h";
  std::string names = "{\"#h\":" + JsonQuoted(ks_.hash.name);
  std::string values = "{\":h\":";
  WriteValueJson(opts.hash, &values);
  using Op = RangeCondition::Op;
  if (opts.range.op != Op::kNone) {
    if (!ks_.range) {
      return Status::InvalidArgument("query of " + name_ +
                                     ": a sort key condition on a table "
                                     "without a sort key");
    }
    names += ",\"#r\":" + JsonQuoted(ks_.range->name);
    values += ",\":a\":";
    WriteValueJson(opts.range.a, &values);
    switch (opts.range.op) {
      case Op::kEq:
        cond += " AND #r = :a";
        break;
      case Op::kLt:
        cond += " AND #r < :a";
        break;
      case Op::kLe:
        cond += " AND #r <= :a";
        break;
      case Op::kGt:
        cond += " AND #r > :a";
        break;
      case Op::kGe:
        cond += " AND #r >= :a";
        break;
      case Op::kBeginsWith:
        cond += " AND begins_with(#r, :a)";
        break;
      case Op::kBetween:
        cond += " AND #r BETWEEN :a AND :b";
        values += ",\":b\":";
        WriteValueJson(opts.range.b, &values);
        break;
      case Op::kNone:
        break;
    }
  }
  names += "}";
  values += "}";
  std::string body =
      "{\"TableName\":" + JsonQuoted(name_) +
      ",\"ConsistentRead\":true,\"KeyConditionExpression\":" +
      JsonQuoted(cond) + ",\"ExpressionAttributeNames\":" + names +
      ",\"ExpressionAttributeValues\":" + values +
      ",\"ScanIndexForward\":" + (opts.forward ? "true" : "false") +
      ",\"Limit\":" + std::to_string(opts.limit);
  RETURN_IF_ERROR(AppendStartKey(opts.page_token, name_, &body));
  body += "}";
  return ReadPage("Query", std::move(body));
}

Result<std::unique_ptr<StreamReader>> RemoteTable::OpenStream(
    const StreamPosition& pos) {
  ASSIGN_OR_RETURN(Described d, store_->DescribeRaw(name_));
  if (!d.desc.stream_enabled || d.stream_arn.empty()) {
    return Status::FailedPrecondition(
        "table " + name_ +
        " has no stream enabled (enable it with StreamViewType "
        "NEW_AND_OLD_IMAGES)");
  }
  auto r = std::make_unique<RemoteStreamReader>(client(), name_, d.stream_arn);
  RETURN_IF_ERROR(r->Init(pos));
  return std::unique_ptr<StreamReader>(std::move(r));
}

Result<TableDescription> RemoteTable::Describe() {
  return store_->DescribeTable(name_);
}

}  // namespace
}  // namespace remote

Result<std::unique_ptr<Store>> OpenRemoteStore(const RemoteStoreOptions& o) {
  if (o.endpoint.rfind("http://", 0) != 0 &&
      o.endpoint.rfind("https://", 0) != 0) {
    return Status::InvalidArgument("remote store: endpoint \"" + o.endpoint +
                                   "\" must start with http:// or https:// "
                                   "(use ResolveRemoteSettings to fill it)");
  }
  RemoteStoreOptions opts = o;
  if (opts.streams_endpoint.empty()) opts.streams_endpoint = opts.endpoint;
  if (opts.region.empty()) opts.region = "us-east-1";
  if (opts.credentials.access_key_id.empty()) {
    return Status::InvalidArgument(
        "remote store: no credentials (use ResolveRemoteSettings)");
  }
  return std::unique_ptr<Store>(
      std::make_unique<remote::RemoteStoreImpl>(opts));
}

RemoteStoreStats GetRemoteStoreStats(Store* store) {
  auto* r = dynamic_cast<remote::RemoteStoreImpl*>(store);
  return r == nullptr ? RemoteStoreStats{} : r->client()->stats();
}

}  // namespace godwit
