// Batch operations: BatchWriteItem (<= 25 writes, through ReadModifyWrite)
// and BatchGetItem (<= 100 keys).
#include <set>

#include "server/capacity.h"
#include "server/operations.h"
#include "server/request.h"
#include "wire/errors.h"
#include "wire/json_writer.h"

namespace godwit::server {

using wire::JsonArray;
using wire::JsonObject;
using wire::Validation;
using wire::WrongType;

namespace {

constexpr size_t kMaxBatchGetKeys = 100;

// Duplicate keys of one table in one batch are refused, as in DynamoDB.
Status CheckNotSeen(const Key& key, std::set<std::string>* seen) {
  std::string enc;
  AppendOrderedKeyBytes(key, &enc);
  if (!seen->insert(std::move(enc)).second) {
    return Validation("Provided list of item keys contains duplicates");
  }
  return Status::OK();
}

}  // namespace

Result<std::string> Operations::BatchWriteItem(const Fields& f) {
  ASSIGN_OR_RETURN(auto req, f.Object("RequestItems"));
  if (!req) return Validation("RequestItems is required");
  ASSIGN_OR_RETURN(bool cap, WantCapacity(f));
  struct TableBatch {
    std::string name;
    std::shared_ptr<Table> table;
    std::vector<WriteRequest> writes;
  };
  std::vector<TableBatch> batches;
  size_t total = 0;
  for (auto [tname, list_el] : *req) {
    TableBatch b;
    b.name = std::string(tname);
    ASSIGN_OR_RETURN(b.table, OpenTable(b.name));
    const KeySchema& schema = b.table->key_schema();
    dom::array list;
    if (list_el.get_array().get(list) != simdjson::SUCCESS) {
      return WrongType("RequestItems", list_el, "List");
    }
    std::set<std::string> seen;
    for (dom::element w : list) {
      if (++total > kMaxBatchWriteItems) {
        return Validation(
            "Too many items requested for the BatchWriteItem call");
      }
      ASSIGN_OR_RETURN(dom::object wo, wire::AsObject(w, "WriteRequest"));
      Fields wf(wo);
      ASSIGN_OR_RETURN(auto put, wf.Object("PutRequest"));
      ASSIGN_OR_RETURN(auto del, wf.Object("DeleteRequest"));
      if (put.has_value() == del.has_value()) {
        return Validation(
            "Supplied AttributeValue has more than one datatypes set, must "
            "contain exactly one of the supported datatypes");
      }
      if (put) {
        auto item_el = Fields(*put).Get("Item");
        if (!item_el) return Validation("PutRequest needs an Item");
        ASSIGN_OR_RETURN(Item item, ParseItemElement(*item_el, "Item"));
        Status valid = ValidateItem(item, &schema);
        if (!valid.ok()) {
          return Validation("One or more parameter values were invalid: " +
                            std::string(valid.message()));
        }
        ASSIGN_OR_RETURN(Key key, ExtractKey(item, schema));
        RETURN_IF_ERROR(CheckNotSeen(key, &seen));
        b.writes.push_back(WriteRequest::Put(std::move(item)));
      } else {
        auto key_el = Fields(*del).Get("Key");
        if (!key_el) return Validation("DeleteRequest needs a Key");
        ASSIGN_OR_RETURN(Key key, ParseKeyElement(*key_el, schema));
        RETURN_IF_ERROR(CheckNotSeen(key, &seen));
        b.writes.push_back(WriteRequest::Delete(std::move(key)));
      }
    }
    batches.push_back(std::move(b));
  }
  if (total == 0) {
    return Validation(
        "1 validation error detected: Value at 'requestItems' failed to "
        "satisfy constraint: Member must have length greater than or equal "
        "to 1");
  }
  JsonObject unprocessed;
  JsonArray caps;
  for (TableBatch& b : batches) {
    if (b.writes.empty()) continue;
    double units = 0;
    for (const WriteRequest& w : b.writes) {
      units +=
          WriteUnits(w.kind == WriteRequest::Kind::kPut ? ItemSize(w.item) : 0);
    }
    ASSIGN_OR_RETURN(BatchWriteResult r,
                     rmw_.RunBatch(*b.table, b.name, std::move(b.writes)));
    Charge(b.name, 0, units);
    if (!r.unprocessed.empty()) {
      JsonArray left;
      for (const WriteRequest& w : r.unprocessed) {
        if (w.kind == WriteRequest::Kind::kPut) {
          left.Object(std::move(JsonObject().Object(
              "PutRequest", std::move(JsonObject().Item("Item", w.item)))));
        } else {
          left.Object(std::move(JsonObject().Object(
              "DeleteRequest",
              std::move(JsonObject().Item(
                  "Key", KeyToItem(w.key, b.table->key_schema()))))));
        }
      }
      unprocessed.Array(b.name, std::move(left));
    }
    if (cap) caps.Raw(CapacityJson(b.name, units));
  }
  JsonObject o;
  o.Object("UnprocessedItems", std::move(unprocessed));
  if (cap) o.Array("ConsumedCapacity", std::move(caps));
  return o.Done();
}

Result<std::string> Operations::BatchGetItem(const Fields& f) {
  ASSIGN_OR_RETURN(auto req, f.Object("RequestItems"));
  if (!req) return Validation("RequestItems is required");
  ASSIGN_OR_RETURN(bool cap, WantCapacity(f));
  size_t total = 0;
  JsonObject responses;
  JsonArray caps;
  for (auto [tname, spec_el] : *req) {
    std::string name(tname);
    ASSIGN_OR_RETURN(std::shared_ptr<Table> t, OpenTable(name));
    ASSIGN_OR_RETURN(dom::object so,
                     wire::AsObject(spec_el, "KeysAndAttributes"));
    Fields sf(so);
    RETURN_IF_ERROR(RejectLegacy(sf, {"AttributesToGet"}));
    ASSIGN_OR_RETURN(auto keys, sf.List("Keys"));
    if (!keys) return Validation("Keys is required");
    ASSIGN_OR_RETURN(ExpressionContext ctx, BuildContext(sf));
    ASSIGN_OR_RETURN(auto proj, OptionalProjection(sf, ctx));
    RETURN_IF_ERROR(CheckAllUsed(ctx));
    ASSIGN_OR_RETURN(auto consistent, sf.Bool("ConsistentRead"));
    std::vector<Key> parsed;
    std::set<std::string> seen;
    for (dom::element k : *keys) {
      if (++total > kMaxBatchGetKeys) {
        return Validation("Too many items requested for the BatchGetItem call");
      }
      ASSIGN_OR_RETURN(Key key, ParseKeyElement(k, t->key_schema()));
      RETURN_IF_ERROR(CheckNotSeen(key, &seen));
      parsed.push_back(std::move(key));
    }
    JsonArray items;
    double units = 0;
    for (const Key& key : parsed) {
      ASSIGN_OR_RETURN(std::optional<Item> item, t->Get(key));
      units +=
          ReadUnits(item ? ItemSize(*item) : 0, consistent.value_or(false));
      if (item) items.Item(proj ? ApplyProjection(*proj, *item) : *item);
    }
    responses.Array(name, std::move(items));
    Charge(name, units, 0);
    if (cap) caps.Raw(CapacityJson(name, units));
  }
  if (total == 0) {
    return Validation("RequestItems must contain at least one key");
  }
  JsonObject o;
  o.Object("Responses", std::move(responses)).Raw("UnprocessedKeys", "{}");
  if (cap) o.Array("ConsumedCapacity", std::move(caps));
  return o.Done();
}

}  // namespace godwit::server
