// Item operations: PutItem, GetItem, DeleteItem, UpdateItem. Every write
// goes through ReadModifyWrite (rmw.h).
#include <algorithm>

#include "server/capacity.h"
#include "server/operations.h"
#include "server/request.h"
#include "wire/errors.h"
#include "wire/json_writer.h"

namespace godwit::server {

using wire::JsonObject;
using wire::Validation;
using Write = ReadModifyWrite::Write;

namespace {

Status ConditionFailed() { return Status::Aborted("condition"); }

}  // namespace

Result<std::string> Operations::PutItem(const Fields& f) {
  ASSIGN_OR_RETURN(std::string name, f.Required("TableName"));
  RETURN_IF_ERROR(RejectLegacy(f, {"Expected", "ConditionalOperator"}));
  ASSIGN_OR_RETURN(std::shared_ptr<Table> t, OpenTable(name));
  auto item_el = f.Get("Item");
  if (!item_el) return Validation("Item is required");
  ASSIGN_OR_RETURN(Item item, ParseItemElement(*item_el, "Item"));
  Status valid = ValidateItem(item, &t->key_schema());
  if (!valid.ok()) {
    return Validation("One or more parameter values were invalid: " +
                      std::string(valid.message()));
  }
  ASSIGN_OR_RETURN(Key key, ExtractKey(item, t->key_schema()));
  ASSIGN_OR_RETURN(ExpressionContext ctx, BuildContext(f));
  ASSIGN_OR_RETURN(ParsedCondition cond,
                   OptionalCondition(f, "ConditionExpression", ctx,
                                     ExpressionKind::kCondition));
  RETURN_IF_ERROR(CheckAllUsed(ctx));
  ASSIGN_OR_RETURN(auto rv, f.Str("ReturnValues"));
  RETURN_IF_ERROR(CheckReturnValues(rv, {"NONE", "ALL_OLD"}));
  ASSIGN_OR_RETURN(bool cap, WantCapacity(f));

  // Without a condition the put is blind: no read.
  ASSIGN_OR_RETURN(
      ReadModifyWrite::Outcome r,
      rmw_.Run(*t, name, key, /*read=*/!cond.empty(),
               [&](const Item* current) -> Result<Write> {
                 if (!cond.empty() && !EvaluateCondition(cond, current)) {
                   return ConditionFailed();
                 }
                 return Write::Put(item);
               }));
  JsonObject o;
  if (rv && *rv == "ALL_OLD" && r.old) o.Item("Attributes", *r.old);
  const double units =
      WriteUnits(std::max(ItemSize(item), r.old ? ItemSize(*r.old) : 0));
  Charge(name, 0, units);
  if (cap) o.Raw("ConsumedCapacity", CapacityJson(name, units));
  return o.Done();
}

Result<std::string> Operations::GetItem(const Fields& f) {
  ASSIGN_OR_RETURN(std::string name, f.Required("TableName"));
  RETURN_IF_ERROR(RejectLegacy(f, {"AttributesToGet"}));
  ASSIGN_OR_RETURN(std::shared_ptr<Table> t, OpenTable(name));
  ASSIGN_OR_RETURN(Key key, RequiredKey(f, t->key_schema()));
  ASSIGN_OR_RETURN(ExpressionContext ctx, BuildContext(f));
  ASSIGN_OR_RETURN(auto proj, OptionalProjection(f, ctx));
  RETURN_IF_ERROR(CheckAllUsed(ctx));
  ASSIGN_OR_RETURN(auto consistent, f.Bool("ConsistentRead"));
  ASSIGN_OR_RETURN(bool cap, WantCapacity(f));
  ASSIGN_OR_RETURN(std::optional<Item> item, t->Get(key));
  JsonObject o;
  if (item) o.Item("Item", proj ? ApplyProjection(*proj, *item) : *item);
  const double units =
      ReadUnits(item ? ItemSize(*item) : 0, consistent.value_or(false));
  Charge(name, units, 0);
  if (cap) o.Raw("ConsumedCapacity", CapacityJson(name, units));
  return o.Done();
}

Result<std::string> Operations::DeleteItem(const Fields& f) {
  ASSIGN_OR_RETURN(std::string name, f.Required("TableName"));
  RETURN_IF_ERROR(RejectLegacy(f, {"Expected", "ConditionalOperator"}));
  ASSIGN_OR_RETURN(std::shared_ptr<Table> t, OpenTable(name));
  ASSIGN_OR_RETURN(Key key, RequiredKey(f, t->key_schema()));
  ASSIGN_OR_RETURN(ExpressionContext ctx, BuildContext(f));
  ASSIGN_OR_RETURN(ParsedCondition cond,
                   OptionalCondition(f, "ConditionExpression", ctx,
                                     ExpressionKind::kCondition));
  RETURN_IF_ERROR(CheckAllUsed(ctx));
  ASSIGN_OR_RETURN(auto rv, f.Str("ReturnValues"));
  RETURN_IF_ERROR(CheckReturnValues(rv, {"NONE", "ALL_OLD"}));
  ASSIGN_OR_RETURN(bool cap, WantCapacity(f));
  ASSIGN_OR_RETURN(
      ReadModifyWrite::Outcome r,
      rmw_.Run(*t, name, key, /*read=*/!cond.empty(),
               [&](const Item* current) -> Result<Write> {
                 if (!cond.empty() && !EvaluateCondition(cond, current)) {
                   return ConditionFailed();
                 }
                 return Write::Delete();
               }));
  JsonObject o;
  if (rv && *rv == "ALL_OLD" && r.old) o.Item("Attributes", *r.old);
  const double units = WriteUnits(r.old ? ItemSize(*r.old) : 0);
  Charge(name, 0, units);
  if (cap) o.Raw("ConsumedCapacity", CapacityJson(name, units));
  return o.Done();
}

Result<std::string> Operations::UpdateItem(const Fields& f) {
  ASSIGN_OR_RETURN(std::string name, f.Required("TableName"));
  RETURN_IF_ERROR(
      RejectLegacy(f, {"Expected", "ConditionalOperator", "AttributeUpdates"}));
  ASSIGN_OR_RETURN(std::shared_ptr<Table> t, OpenTable(name));
  const KeySchema& schema = t->key_schema();
  ASSIGN_OR_RETURN(Key key, RequiredKey(f, schema));
  ASSIGN_OR_RETURN(ExpressionContext ctx, BuildContext(f));
  ASSIGN_OR_RETURN(auto update_text, f.Str("UpdateExpression"));
  std::optional<ParsedUpdate> update;
  if (update_text) {
    ASSIGN_OR_RETURN(ParsedUpdate u, ParseUpdate(*update_text, ctx));
    RETURN_IF_ERROR(CheckUpdateKeepsKey(u, schema));
    update = std::move(u);
  }
  ASSIGN_OR_RETURN(ParsedCondition cond,
                   OptionalCondition(f, "ConditionExpression", ctx,
                                     ExpressionKind::kCondition));
  RETURN_IF_ERROR(CheckAllUsed(ctx));
  ASSIGN_OR_RETURN(auto rv, f.Str("ReturnValues"));
  RETURN_IF_ERROR(CheckReturnValues(
      rv, {"NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"}));
  ASSIGN_OR_RETURN(bool cap, WantCapacity(f));

  Item key_item = KeyToItem(key, schema);
  UpdateResult u;
  ASSIGN_OR_RETURN(ReadModifyWrite::Outcome r,
                   rmw_.Run(*t, name, key, /*read=*/true,
                            [&](const Item* old) -> Result<Write> {
                              if (!EvaluateCondition(cond, old))
                                return ConditionFailed();
                              if (update) {
                                ASSIGN_OR_RETURN(
                                    u, ApplyUpdate(*update, old, &key_item));
                              } else {
                                u.item = old ? *old : key_item;
                              }
                              // An update of an absent item that left only the
                              // key (a REMOVE of nothing) creates nothing, as
                              // in DynamoDB; an update that changes nothing
                              // writes nothing.
                              bool skip = !old && update && u.item == key_item;
                              if (skip || (old && *old == u.item))
                                return Write::None();
                              Status valid = ValidateItem(u.item, &schema);
                              if (!valid.ok()) {
                                return Validation(std::string(valid.message()));
                              }
                              return Write::Put(u.item);
                            }));
  JsonObject o;
  if (rv) {
    std::optional<Item> attrs;
    if (*rv == "ALL_OLD") {
      attrs = r.old;
    } else if (*rv == "ALL_NEW") {
      attrs = u.item;
    } else if (*rv == "UPDATED_OLD") {
      attrs = u.updated_old;
    } else if (*rv == "UPDATED_NEW") {
      attrs = u.updated_new;
    }
    if (attrs && !attrs->empty()) o.Item("Attributes", *attrs);
  }
  const double units = WriteUnits(
      std::max(r.wrote ? ItemSize(u.item) : 0, r.old ? ItemSize(*r.old) : 0));
  Charge(name, 0, units);
  if (cap) o.Raw("ConsumedCapacity", CapacityJson(name, units));
  return o.Done();
}

}  // namespace godwit::server
