// Table operations: CreateTable, DescribeTable, ListTables, DeleteTable,
// UpdateTable, UpdateTimeToLive, DescribeTimeToLive (the setting is kept by
// the StreamHub, stream_ttl.cc).
#include <algorithm>

#include "server/operations.h"
#include "server/request.h"
#include "server/run_guard.h"
#include "wire/errors.h"
#include "wire/json_writer.h"
#include "wire/stream_ids.h"

namespace godwit::server {

using wire::JsonArray;
using wire::JsonObject;
using wire::Validation;

Result<std::shared_ptr<Table>> Operations::OpenTable(const std::string& name) {
  Result<std::shared_ptr<Table>> t = store_->GetTable(name);
  if (!t.ok() && t.status().IsNotFound()) return TableNotFound(name);
  return t;
}

Result<TableDescription> Operations::DescribeOrNotFound(
    const std::string& name) {
  Result<TableDescription> d = store_->DescribeTable(name);
  if (!d.ok() && d.status().IsNotFound()) return TableNotFound(name);
  return d;
}

std::string Operations::StreamArnOf(const TableDescription& d) const {
  wire::StreamArn arn;
  arn.region = opts_.region;
  arn.table = d.name;
  arn.label = wire::StreamLabel(d.created_micros);
  return arn.Format();
}

wire::DescribedTable Operations::Described(const TableDescription& d,
                                           std::string_view status) const {
  wire::DescribedTable t;
  t.desc = d;
  t.status = std::string(status);
  t.table_arn = wire::TableArn(opts_.region, d.name);
  if (d.stream_enabled) {
    t.stream_label = wire::StreamLabel(d.created_micros);
    t.stream_arn = StreamArnOf(d);
  }
  return t;
}

Result<std::string> Operations::CreateTable(const Fields& f) {
  ASSIGN_OR_RETURN(std::string name, f.Required("TableName"));
  RETURN_IF_ERROR(wire::CheckTableName(name));
  for (std::string_view n :
       {"GlobalSecondaryIndexes", "LocalSecondaryIndexes"}) {
    if (f.Has(n)) {
      return Validation(
          "godwit serve has no secondary indexes: cannot create "
          "table " +
          name + " with " + std::string(n) + "; create it without indexes");
    }
  }
  ASSIGN_OR_RETURN(wire::CreateTableRequest req,
                   wire::ParseCreateTableRequest(f));
  Status s = store_->CreateTable(name, req.options);
  if (s.code() == StatusCode::kAlreadyExists) {
    return wire::ResourceInUse("Table already exists: " + name);
  }
  RETURN_IF_ERROR(s);
  ASSIGN_OR_RETURN(TableDescription d, store_->DescribeTable(name));
  return JsonObject()
      .Raw("TableDescription", wire::DescriptionJson(Described(d, "ACTIVE")))
      .Done();
}

Result<std::string> Operations::DescribeTable(const Fields& f) {
  ASSIGN_OR_RETURN(std::string name, f.Required("TableName"));
  ASSIGN_OR_RETURN(TableDescription d, DescribeOrNotFound(name));
  return JsonObject()
      .Raw("Table", wire::DescriptionJson(Described(d, "ACTIVE")))
      .Done();
}

Result<std::string> Operations::ListTables(const Fields& f) {
  ASSIGN_OR_RETURN(auto limit, f.Int("Limit"));
  ASSIGN_OR_RETURN(auto start, f.Str("ExclusiveStartTableName"));
  if (limit && (*limit < 1 || *limit > 100)) {
    return Validation(
        "1 validation error detected: Value '" + std::to_string(*limit) +
        "' at 'limit' failed to satisfy constraint: Member must have value "
        "between 1 and 100");
  }
  ASSIGN_OR_RETURN(std::vector<std::string> names, store_->ListTables());
  std::sort(names.begin(), names.end());
  size_t max = static_cast<size_t>(limit.value_or(100));
  JsonArray out;
  const std::string* last = nullptr;
  bool more = false;
  for (const std::string& n : names) {
    if (IsInternalTable(n)) continue;
    if (start && n <= *start) continue;
    if (out.size() == max) {
      more = true;
      break;
    }
    out.Str(n);
    last = &n;
  }
  JsonObject o;
  o.Array("TableNames", std::move(out));
  if (more) o.Str("LastEvaluatedTableName", *last);
  return o.Done();
}

Result<std::string> Operations::DeleteTable(const Fields& f) {
  ASSIGN_OR_RETURN(std::string name, f.Required("TableName"));
  ASSIGN_OR_RETURN(TableDescription d, DescribeOrNotFound(name));
  Status s = store_->DropTable(name);
  if (s.IsNotFound()) return TableNotFound(name);
  RETURN_IF_ERROR(s);
  return JsonObject()
      .Raw("TableDescription", wire::DescriptionJson(Described(d, "DELETING")))
      .Done();
}

Result<std::string> Operations::UpdateTable(const Fields& f) {
  ASSIGN_OR_RETURN(std::string name, f.Required("TableName"));
  RETURN_IF_ERROR(RejectLegacy(f, {"GlobalSecondaryIndexUpdates"}));
  ASSIGN_OR_RETURN(TableDescription d, DescribeOrNotFound(name));
  ASSIGN_OR_RETURN(auto spec, f.Object("StreamSpecification"));
  if (spec) {
    Fields sf(*spec);
    ASSIGN_OR_RETURN(auto enabled, sf.Bool("StreamEnabled"));
    ASSIGN_OR_RETURN(auto vt, sf.Str("StreamViewType"));
    if (!enabled) return Validation("StreamEnabled is required");
    if (*enabled) {
      if (d.stream_enabled) {
        return Validation("Table already has an enabled stream: " + name);
      }
      std::optional<StreamViewType> view =
          vt ? StreamViewTypeFromName(*vt) : std::nullopt;
      if (!view) {
        return Validation(
            "One or more parameter values were invalid: StreamViewType is "
            "required when StreamEnabled is true");
      }
      RETURN_IF_ERROR(store_->UpdateStreamSpecification(name, true, *view));
    } else {
      if (!d.stream_enabled) {
        return Validation("Table does not have a stream to disable: " + name);
      }
      // A migration run reading this stream would lose what is written
      // while it is off (d.name: the physical table `name` routes to).
      RETURN_IF_ERROR(CheckNoRunNeedsStream(store_, name, d.name));
      RETURN_IF_ERROR(store_->UpdateStream(name, false));
    }
  }
  ASSIGN_OR_RETURN(TableDescription nd, store_->DescribeTable(name));
  return JsonObject()
      .Raw("TableDescription", wire::DescriptionJson(Described(nd, "ACTIVE")))
      .Done();
}

// DynamoDB API reference, UpdateTimeToLive: TimeToLiveSpecification
// {AttributeName, Enabled} (both required); the answer is the specification.
// Enabling it while it is on, or disabling it while it is off, is a
// ValidationException ("TimeToLive is already enabled/disabled"). godwit
// serve applies the change at once (DynamoDB may take up to an hour, and
// refuses another change meanwhile: not modelled).
Result<std::string> Operations::UpdateTimeToLive(const Fields& f) {
  ASSIGN_OR_RETURN(std::string name, f.Required("TableName"));
  ASSIGN_OR_RETURN(TableDescription d, DescribeOrNotFound(name));
  ASSIGN_OR_RETURN(auto spec, f.Object("TimeToLiveSpecification"));
  if (!spec) {
    return Validation(
        "1 validation error detected: Value null at "
        "'timeToLiveSpecification' failed to satisfy constraint: Member must "
        "not be null");
  }
  Fields sf(*spec);
  ASSIGN_OR_RETURN(auto enabled, sf.Bool("Enabled"));
  ASSIGN_OR_RETURN(auto attr, sf.Str("AttributeName"));
  if (!enabled) {
    return Validation(
        "1 validation error detected: Value null at "
        "'timeToLiveSpecification.enabled' failed to satisfy constraint: "
        "Member must not be null");
  }
  if (!attr || attr->empty() || attr->size() > 255) {
    return Validation(
        "1 validation error detected: Value at "
        "'timeToLiveSpecification.attributeName' failed to satisfy "
        "constraint: Member must have length between 1 and 255");
  }
  StreamHub::TtlSpec now = hub_->GetTtl(d);
  if (*enabled && now.enabled) {
    return Validation("TimeToLive is already enabled");
  }
  if (!*enabled && !now.enabled) {
    return Validation("TimeToLive is already disabled");
  }
  if (!*enabled && *attr != now.attribute) {
    return Validation("TimeToLive is enabled on attribute " + now.attribute +
                      ", not " + *attr);
  }
  RETURN_IF_ERROR(hub_->SetTtl(d, {*enabled, *attr}));
  return JsonObject()
      .Object("TimeToLiveSpecification",
              std::move(JsonObject()
                            .Str("AttributeName", *attr)
                            .Bool("Enabled", *enabled)))
      .Done();
}

// DynamoDB API reference, DescribeTimeToLive: TimeToLiveDescription
// {TimeToLiveStatus ENABLED | DISABLED, AttributeName when enabled}.
Result<std::string> Operations::DescribeTimeToLive(const Fields& f) {
  ASSIGN_OR_RETURN(std::string name, f.Required("TableName"));
  ASSIGN_OR_RETURN(TableDescription d, DescribeOrNotFound(name));
  StreamHub::TtlSpec spec = hub_->GetTtl(d);
  JsonObject desc;
  desc.Str("TimeToLiveStatus", spec.enabled ? "ENABLED" : "DISABLED");
  if (spec.enabled) desc.Str("AttributeName", spec.attribute);
  return JsonObject().Object("TimeToLiveDescription", std::move(desc)).Done();
}

}  // namespace godwit::server
