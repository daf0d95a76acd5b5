// The remote store's Table: items, batches, Query and Scan over the
// DynamoDB JSON API. Reads are strongly consistent (DESIGN.md: the backfill
// must not read stale data before P0). A page token is "ddb1:" + the
// LastEvaluatedKey JSON.
#include <algorithm>
#include <chrono>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "godwit/json.h"
#include "remote/remote_internal.h"
#include "wire/json_reader.h"
#include "wire/json_writer.h"

namespace godwit::remote {

using wire::JsonArray;
using wire::JsonObject;

namespace {

constexpr std::string_view kTokenPrefix = "ddb1:";

// ConditionExpression and its names and values for a store condition
// (nothing for kNone).
void AddCondition(const Condition& c, const KeySchema& ks, JsonObject* body) {
  switch (c.kind) {
    case Condition::Kind::kNone:
      return;
    case Condition::Kind::kExists:
    case Condition::Kind::kNotExists:
      body->Str("ConditionExpression", c.kind == Condition::Kind::kExists
                                           ? "attribute_exists(#c)"
                                           : "attribute_not_exists(#c)")
          .Object("ExpressionAttributeNames",
                  std::move(JsonObject().Str("#c", ks.hash.name)));
      return;
    case Condition::Kind::kAttributeEquals:
      body->Str("ConditionExpression", "#c = :c")
          .Object("ExpressionAttributeNames",
                  std::move(JsonObject().Str("#c", c.attribute)))
          .Object("ExpressionAttributeValues",
                  std::move(JsonObject().Value(":c", c.value)));
      return;
  }
}

// The ExclusiveStartKey of a page token this store returned.
Status AddStartKey(const std::string& token, const std::string& table,
                   JsonObject* body) {
  if (token.empty()) return Status::OK();
  if (token.rfind(kTokenPrefix, 0) != 0) {
    return Status::InvalidArgument("bad page token for table " + table +
                                   ": not one this store returned");
  }
  std::string_view json = std::string_view(token).substr(kTokenPrefix.size());
  Result<Item> key = wire::ThreadItemParser().ParseItem(json);
  if (!key.ok()) {
    return key.status().WithContext("bad page token for table " + table);
  }
  body->Item("ExclusiveStartKey", *key);
  return Status::OK();
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

std::string KeyBytes(const Key& k) {
  std::string b;
  AppendOrderedKeyBytes(k, &b);
  return b;
}

}  // namespace

Client* RemoteTable::client() { return store_->client(); }

Result<std::optional<Item>> RemoteTable::Get(const Key& key) {
  std::string body = JsonObject()
                         .Str("TableName", name_)
                         .Item("Key", KeyToItem(key, ks_))
                         .Bool("ConsistentRead", true)
                         .Done();
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
  std::map<std::string, std::optional<Item>> found;   // key bytes -> item
  std::vector<std::pair<std::string, Item>> pending;  // bytes, key item
  for (const Key& k : keys) {
    std::string b = KeyBytes(k);
    if (found.emplace(b, std::nullopt).second) {
      pending.emplace_back(std::move(b), KeyToItem(k, ks_));
    }
  }
  const RetryOptions& retry = client()->options().retry;
  thread_local std::mt19937_64 rng{std::random_device{}()};
  int round = 0;
  while (!pending.empty()) {
    std::vector<std::pair<std::string, Item>> again;
    for (size_t at = 0; at < pending.size(); at += kMaxKeys) {
      size_t end = std::min(pending.size(), at + kMaxKeys);
      JsonArray batch_keys;
      for (size_t i = at; i < end; ++i) batch_keys.Item(pending[i].second);
      std::string body =
          JsonObject()
              .Object("RequestItems",
                      std::move(JsonObject().Object(
                          name_, std::move(JsonObject()
                                               .Bool("ConsistentRead", true)
                                               .Array("Keys",
                                                      std::move(batch_keys))))))
              .Done();
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
          auto f = found.find(KeyBytes(k));
          if (f == found.end()) {
            return Status::FailedPrecondition(
                "BatchGetItem on " + name_ +
                " returned an item that was not asked for: " +
                ItemToJson(KeyToItem(k, ks_)));
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
          again.emplace_back(KeyBytes(k), KeyToItem(k, ks_));
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
  for (const Key& k : keys) out.push_back(found[KeyBytes(k)]);
  return out;
}

Result<std::optional<Item>> RemoteTable::Put(const Item& item,
                                             const Condition& cond) {
  RETURN_IF_ERROR(ValidateItem(item, &ks_).WithContext("put into " + name_));
  JsonObject body;
  body.Str("TableName", name_)
      .Item("Item", item)
      .Str("ReturnValues", "ALL_OLD");
  AddCondition(cond, ks_, &body);
  ASSIGN_OR_RETURN(std::string resp,
                   client()->Call(Service::kDynamoDB, "PutItem", body.Done()));
  return OldItem(resp, "PutItem");
}

Result<std::optional<Item>> RemoteTable::Delete(const Key& key,
                                                const Condition& cond) {
  JsonObject body;
  body.Str("TableName", name_)
      .Item("Key", KeyToItem(key, ks_))
      .Str("ReturnValues", "ALL_OLD");
  AddCondition(cond, ks_, &body);
  ASSIGN_OR_RETURN(std::string resp, client()->Call(Service::kDynamoDB,
                                                    "DeleteItem", body.Done()));
  return OldItem(resp, "DeleteItem");
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
  JsonArray writes;
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
    Item key_item = KeyToItem(key, ks_);
    if (!seen.insert(KeyBytes(key)).second) {
      return Status::InvalidArgument("batch write into " + name_ +
                                     ": two entries on key " +
                                     ItemToJson(key_item));
    }
    if (w.kind == WriteRequest::Kind::kPut) {
      writes.Object(std::move(JsonObject().Object(
          "PutRequest", std::move(JsonObject().Item("Item", w.item)))));
    } else {
      writes.Object(std::move(JsonObject().Object(
          "DeleteRequest", std::move(JsonObject().Item("Key", key_item)))));
    }
  }
  std::string body =
      JsonObject()
          .Object("RequestItems",
                  std::move(JsonObject().Array(name_, std::move(writes))))
          .Done();
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
  JsonObject body;
  body.Str("TableName", name_)
      .Bool("ConsistentRead", true)
      .Uint("Limit", std::min<size_t>(opts.limit, 1000000));
  if (opts.total_segments > 1) {
    body.Int("Segment", opts.segment).Int("TotalSegments", opts.total_segments);
  }
  RETURN_IF_ERROR(AddStartKey(opts.page_token, name_, &body));
  return ReadPage("Scan", body.Done());
}

Result<Page> RemoteTable::Query(const QueryOptions& opts) {
  if (opts.limit < 1) {
    return Status::InvalidArgument("query of " + name_ +
                                   ": limit must be >= 1");
  }
  std::string cond = "#h = :h";
  JsonObject names, values;
  names.Str("#h", ks_.hash.name);
  values.Value(":h", opts.hash);
  using Op = RangeCondition::Op;
  if (opts.range.op != Op::kNone) {
    if (!ks_.range) {
      return Status::InvalidArgument("query of " + name_ +
                                     ": a sort key condition on a table "
                                     "without a sort key");
    }
    names.Str("#r", ks_.range->name);
    values.Value(":a", opts.range.a);
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
        values.Value(":b", opts.range.b);
        break;
      case Op::kNone:
        break;
    }
  }
  JsonObject body;
  body.Str("TableName", name_)
      .Bool("ConsistentRead", true)
      .Str("KeyConditionExpression", cond)
      .Object("ExpressionAttributeNames", std::move(names))
      .Object("ExpressionAttributeValues", std::move(values))
      .Bool("ScanIndexForward", opts.forward)
      .Uint("Limit", opts.limit);
  RETURN_IF_ERROR(AddStartKey(opts.page_token, name_, &body));
  return ReadPage("Query", body.Done());
}

namespace {

template <typename Start>
Result<std::unique_ptr<RemoteStreamReader>> OpenReader(RemoteStoreImpl* store,
                                                       const std::string& name,
                                                       const Start& start) {
  ASSIGN_OR_RETURN(wire::DescribedTable d, store->DescribeRaw(name));
  if (!d.desc.stream_enabled || d.stream_arn.empty()) {
    return Status::FailedPrecondition(
        "table " + name +
        " has no stream enabled (enable it with StreamViewType "
        "NEW_AND_OLD_IMAGES)");
  }
  auto r = std::make_unique<RemoteStreamReader>(
      store->StreamsCaller(), name, d.stream_arn,
      StreamReaderOptions::Of(store->client()->options()));
  RETURN_IF_ERROR(r->Init(start));
  return r;
}

}  // namespace

Result<std::unique_ptr<StreamReader>> RemoteTable::OpenStream(
    const StreamPosition& pos) {
  ASSIGN_OR_RETURN(std::unique_ptr<RemoteStreamReader> r,
                   OpenReader(store_, name_, pos));
  return std::unique_ptr<StreamReader>(std::move(r));
}

Result<std::unique_ptr<ShardedStreamReader>> RemoteTable::OpenShardedStream(
    const StreamStart& start) {
  ASSIGN_OR_RETURN(std::unique_ptr<RemoteStreamReader> r,
                   OpenReader(store_, name_, start));
  return std::unique_ptr<ShardedStreamReader>(std::move(r));
}

Result<TableDescription> RemoteTable::Describe() {
  return store_->DescribeTable(name_);
}

}  // namespace godwit::remote
