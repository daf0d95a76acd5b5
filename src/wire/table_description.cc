// Tables on the wire (see table_description.h for the grammar).
#include "wire/table_description.h"

#include <cctype>
#include <cmath>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "wire/errors.h"
#include "wire/json_writer.h"

namespace godwit::wire {
namespace {

// ---- writing
// -------------------------------------------------------------------

// The key attributes of the table and its indexes, each once, in order of
// appearance. A second type for a name is reported in *conflict (the first
// one is kept).
std::vector<std::pair<std::string, AttrType>> KeyAttributes(
    const std::string& table, const KeySchema& ks,
    const std::vector<SecondaryIndex>& indexes, Status* conflict) {
  std::vector<std::pair<std::string, AttrType>> defs;
  std::map<std::string, std::pair<AttrType, std::string>> seen;  // -> where
  auto add = [&](const KeyAttribute& a, const std::string& where) {
    auto [it, added] = seen.try_emplace(a.name, a.type, where);
    if (added) {
      defs.emplace_back(a.name, a.type);
      return;
    }
    if (it->second.first == a.type || !conflict->ok()) return;
    *conflict = Status::InvalidArgument(
        "create table " + table + ": attribute \"" + a.name +
        "\" has two types: " + std::string(AttrTypeName(it->second.first)) +
        " as " + it->second.second + " and " +
        std::string(AttrTypeName(a.type)) + " as " + where +
        " (DynamoDB keeps one type per attribute name)");
  };
  auto add_schema = [&](const KeySchema& s, const std::string& owner) {
    add(s.hash, "the hash key of " + owner);
    if (s.range) add(*s.range, "the range key of " + owner);
  };
  add_schema(ks, "the table");
  for (const SecondaryIndex& ix : indexes) {
    add_schema(ix.key_schema, "index " + ix.name);
  }
  return defs;
}

JsonArray AttributeDefinitionsJson(
    const std::vector<std::pair<std::string, AttrType>>& defs) {
  JsonArray a;
  for (const auto& [name, type] : defs) {
    a.Object(JsonObject()
                 .Str("AttributeName", name)
                 .Str("AttributeType", AttrTypeName(type)));
  }
  return a;
}

JsonObject ThroughputJson(int64_t read, int64_t write) {
  return std::move(JsonObject()
                       .Int("ReadCapacityUnits", read)
                       .Int("WriteCapacityUnits", write));
}

JsonObject ProjectionJson(const SecondaryIndex& ix) {
  JsonObject p;
  p.Str("ProjectionType", ix.projection);
  if (!ix.non_key_attributes.empty()) {
    JsonArray attrs;
    for (const std::string& a : ix.non_key_attributes) attrs.Str(a);
    p.Array("NonKeyAttributes", std::move(attrs));
  }
  return p;
}

// GlobalSecondaryIndexes / LocalSecondaryIndexes. `status`: the
// IndexStatus written for global indexes (empty: none, as in requests).
void AppendIndexes(const std::vector<SecondaryIndex>& indexes, bool provisioned,
                   int64_t read, int64_t write, std::string_view status,
                   JsonObject* out) {
  JsonArray global, local;
  for (const SecondaryIndex& ix : indexes) {
    bool is_global = ix.kind == SecondaryIndex::Kind::kGlobal;
    JsonObject o;
    o.Str("IndexName", ix.name)
        .Array("KeySchema", KeySchemaJson(ix.key_schema))
        .Object("Projection", ProjectionJson(ix));
    if (is_global && !status.empty()) o.Str("IndexStatus", status);
    if (is_global && provisioned) {
      bool own = ix.read_capacity > 0 || ix.write_capacity > 0;
      o.Object("ProvisionedThroughput",
               ThroughputJson(own ? ix.read_capacity : read,
                              own ? ix.write_capacity : write));
    }
    (is_global ? global : local).Object(std::move(o));
  }
  if (global.size() > 0)
    out->Array("GlobalSecondaryIndexes", std::move(global));
  if (local.size() > 0) out->Array("LocalSecondaryIndexes", std::move(local));
}

// ---- reading answers
// -------------------------------------------------------------

using AttrTypes = std::map<std::string, AttrType, std::less<>>;

AttrTypes AttrTypesOf(dom::element table) {
  AttrTypes types;
  dom::array defs;
  if (table["AttributeDefinitions"].get_array().get(defs) ==
      simdjson::SUCCESS) {
    for (dom::element d : defs) {
      auto n = OptionalString(d, "AttributeName");
      auto t = OptionalString(d, "AttributeType");
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
    auto n = OptionalString(k, "AttributeName");
    auto kt = OptionalString(k, "KeyType");
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
  dom::element pt;
  if (owner["ProvisionedThroughput"].get(pt) != simdjson::SUCCESS) {
    return {0, 0};
  }
  return {OptionalInt(pt, "ReadCapacityUnits").value_or(0),
          OptionalInt(pt, "WriteCapacityUnits").value_or(0)};
}

// Global indexes first, each kind in the order reported.
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
      ix.name = OptionalString(e, "IndexName").value_or("");
      ASSIGN_OR_RETURN(ix.key_schema,
                       KeySchemaOf(e, types, "index " + ix.name));
      dom::element proj;
      if (e["Projection"].get(proj) == simdjson::SUCCESS) {
        ix.projection = OptionalString(proj, "ProjectionType").value_or("ALL");
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
      auto status = OptionalString(e, "IndexStatus");
      if (status && *status != "ACTIVE") *all_active = false;
      out.push_back(std::move(ix));
    }
  }
  return out;
}

// ---- reading requests
// ------------------------------------------------------------

// A KeySchema list of a request: HASH first, then optionally RANGE, every
// attribute defined in `types`. *elements: how many elements it had.
Result<KeySchema> RequestKeySchema(
    dom::array ks, const std::map<std::string, std::string>& types,
    size_t* elements) {
  std::optional<KeyAttribute> hash, range;
  size_t n = 0;
  for (dom::element k : ks) {
    ++n;
    ASSIGN_OR_RETURN(dom::object o, AsObject(k, "KeySchema"));
    Fields kf(o);
    ASSIGN_OR_RETURN(std::string an, kf.Required("AttributeName"));
    ASSIGN_OR_RETURN(std::string kt, kf.Required("KeyType"));
    auto it = types.find(an);
    if (it == types.end()) {
      return Validation(
          "One or more parameter values were invalid: Some index key "
          "attributes are not defined in AttributeDefinitions. Keys: [" +
          an + "], AttributeDefinitions: []");
    }
    KeyAttribute ka{an, *AttrTypeFromName(it->second)};
    if (kt == "HASH" && n == 1) {
      hash = ka;
    } else if (kt == "RANGE" && n == 2) {
      range = ka;
    } else {
      return Validation(
          "Invalid KeySchema: the first KeySchemaElement must be HASH and an "
          "optional second one RANGE");
    }
  }
  if (!hash || n > 2) {
    return Validation(
        "Invalid KeySchema: one HASH key and at most one RANGE "
        "key are required");
  }
  *elements = n;
  KeySchema out;
  out.hash = *hash;
  out.range = range;
  return out;
}

Result<std::pair<int64_t, int64_t>> RequestThroughput(const Fields& f) {
  ASSIGN_OR_RETURN(auto pt, f.Object("ProvisionedThroughput"));
  if (!pt) return std::pair<int64_t, int64_t>{0, 0};
  Fields pf(*pt);
  ASSIGN_OR_RETURN(auto r, pf.Int("ReadCapacityUnits"));
  ASSIGN_OR_RETURN(auto w, pf.Int("WriteCapacityUnits"));
  return std::pair<int64_t, int64_t>{r.value_or(0), w.value_or(0)};
}

Result<std::vector<SecondaryIndex>> RequestIndexes(
    const Fields& f, std::string_view field, SecondaryIndex::Kind kind,
    const std::map<std::string, std::string>& types) {
  std::vector<SecondaryIndex> out;
  ASSIGN_OR_RETURN(auto list, f.List(field));
  if (!list) return out;
  for (dom::element e : *list) {
    ASSIGN_OR_RETURN(dom::object o, AsObject(e, field));
    Fields xf(o);
    SecondaryIndex ix;
    ix.kind = kind;
    ASSIGN_OR_RETURN(ix.name, xf.Required("IndexName"));
    ASSIGN_OR_RETURN(auto ks, xf.List("KeySchema"));
    if (!ks) {
      return Validation("KeySchema is required for index " + ix.name);
    }
    size_t n = 0;
    ASSIGN_OR_RETURN(ix.key_schema, RequestKeySchema(*ks, types, &n));
    ASSIGN_OR_RETURN(auto proj, xf.Object("Projection"));
    if (!proj) {
      return Validation("Projection is required for index " + ix.name);
    }
    Fields pf(*proj);
    ASSIGN_OR_RETURN(auto pt, pf.Str("ProjectionType"));
    ix.projection = pt.value_or("ALL");
    if (ix.projection != "ALL" && ix.projection != "KEYS_ONLY" &&
        ix.projection != "INCLUDE") {
      return Validation("1 validation error detected: Value '" + ix.projection +
                        "' at 'projection.projectionType' failed to satisfy "
                        "constraint: Member must satisfy enum value set: "
                        "[ALL, INCLUDE, KEYS_ONLY]");
    }
    ASSIGN_OR_RETURN(auto attrs, pf.List("NonKeyAttributes"));
    if (attrs) {
      for (dom::element a : *attrs) {
        std::string_view v;
        if (a.get_string().get(v) != simdjson::SUCCESS) {
          return WrongType("NonKeyAttributes", a, "String");
        }
        ix.non_key_attributes.emplace_back(v);
      }
    }
    if (!ix.non_key_attributes.empty() && ix.projection != "INCLUDE") {
      return Validation(
          "One or more parameter values were invalid: NonKeyAttributes may "
          "only be given with ProjectionType INCLUDE (index " +
          ix.name + ")");
    }
    if (kind == SecondaryIndex::Kind::kGlobal) {
      ASSIGN_OR_RETURN(auto cap, RequestThroughput(xf));
      std::tie(ix.read_capacity, ix.write_capacity) = cap;
    }
    out.push_back(std::move(ix));
  }
  return out;
}

}  // namespace

JsonArray KeySchemaJson(const KeySchema& ks) {
  JsonArray a;
  a.Object(
      JsonObject().Str("AttributeName", ks.hash.name).Str("KeyType", "HASH"));
  if (ks.range) {
    a.Object(JsonObject()
                 .Str("AttributeName", ks.range->name)
                 .Str("KeyType", "RANGE"));
  }
  return a;
}

// ---- descriptions
// ------------------------------------------------------------------

std::string DescriptionJson(const DescribedTable& t) {
  const TableDescription& d = t.desc;
  bool provisioned = d.billing == BillingMode::kProvisioned;
  Status ignored;
  JsonObject o;
  o.Str("TableName", d.name);
  if (!t.table_arn.empty()) o.Str("TableArn", t.table_arn);
  o.Str("TableStatus", t.status)
      .Number("CreationDateTime", static_cast<double>(d.created_micros) / 1e6)
      .Uint("ItemCount", d.item_count)
      .Uint("TableSizeBytes", d.size_bytes)
      .Array("KeySchema", KeySchemaJson(d.key_schema))
      .Array("AttributeDefinitions",
             AttributeDefinitionsJson(
                 KeyAttributes(d.name, d.key_schema, d.indexes, &ignored)))
      .Object("ProvisionedThroughput",
              std::move(JsonObject()
                            .Int("NumberOfDecreasesToday", 0)
                            .Int("ReadCapacityUnits",
                                 provisioned ? d.read_capacity : 0)
                            .Int("WriteCapacityUnits",
                                 provisioned ? d.write_capacity : 0)))
      .Object(
          "BillingModeSummary",
          std::move(JsonObject().Str(
              "BillingMode", provisioned ? "PROVISIONED" : "PAY_PER_REQUEST")));
  AppendIndexes(d.indexes, provisioned, d.read_capacity, d.write_capacity,
                t.indexes_active ? "ACTIVE" : "CREATING", &o);
  if (d.stream_enabled) {
    o.Object("StreamSpecification",
             std::move(JsonObject()
                           .Bool("StreamEnabled", true)
                           .Str("StreamViewType",
                                StreamViewTypeName(d.stream_view_type))));
  }
  if (!t.stream_label.empty()) o.Str("LatestStreamLabel", t.stream_label);
  if (!t.stream_arn.empty()) o.Str("LatestStreamArn", t.stream_arn);
  return o.Done();
}

Result<DescribedTable> ParseDescription(dom::element t) {
  DescribedTable d;
  d.desc.name = OptionalString(t, "TableName").value_or("");
  AttrTypes types = AttrTypesOf(t);
  ASSIGN_OR_RETURN(d.desc.key_schema, KeySchemaOf(t, types, "the table"));
  auto [read, write] = CapacityOf(t);
  std::string_view billing;
  dom::element summary;
  if (t["BillingModeSummary"].get(summary) == simdjson::SUCCESS) {
    billing = OptionalString(summary, "BillingMode").value_or("");
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
  d.desc.item_count = OptionalUint(t, "ItemCount").value_or(0);
  d.desc.size_bytes = OptionalUint(t, "TableSizeBytes").value_or(0);
  // Below 2^32 seconds (year 2106) the seconds, written "%.17g", map back
  // to the same microsecond: the division and the product are each off by
  // at most half an ulp, 0.24 + 0.25 microseconds.
  if (auto created = OptionalDouble(t, "CreationDateTime")) {
    if (*created >= 0 && *created < 4294967296.0) {
      d.desc.created_micros = std::llround(*created * 1e6);
    }
  }
  d.status = std::string(OptionalString(t, "TableStatus").value_or("ACTIVE"));
  d.table_arn = std::string(OptionalString(t, "TableArn").value_or(""));
  dom::element spec;
  if (t["StreamSpecification"].get(spec) == simdjson::SUCCESS) {
    d.desc.stream_enabled = OptionalBool(spec, "StreamEnabled").value_or(false);
    if (auto vt = OptionalString(spec, "StreamViewType")) {
      d.desc.stream_view_type =
          StreamViewTypeFromName(*vt).value_or(d.desc.stream_view_type);
    }
  }
  d.stream_label =
      std::string(OptionalString(t, "LatestStreamLabel").value_or(""));
  d.stream_arn = std::string(OptionalString(t, "LatestStreamArn").value_or(""));
  return d;
}

Result<DescribedTable> ParseDescription(std::string_view json) {
  dom::parser parser;
  dom::element el;
  if (parser.parse(json.data(), json.size()).get(el) != simdjson::SUCCESS) {
    return Status::Unavailable("malformed JSON in a table description");
  }
  return ParseDescription(el);
}

// ---- CreateTable requests
// -----------------------------------------------------------

bool IsValidTableName(std::string_view name) {
  if (name.size() < 3 || name.size() > 255) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' &&
        c != '.') {
      return false;
    }
  }
  return true;
}

Status CheckTableName(std::string_view name) {
  if (name.size() < 3 || name.size() > 255) {
    return Validation(
        "1 validation error detected: Value '" + std::string(name) +
        "' at 'tableName' failed to satisfy constraint: Member must have "
        "length between 3 and 255");
  }
  if (!IsValidTableName(name)) {
    return Validation("1 validation error detected: Value '" +
                      std::string(name) +
                      "' at 'tableName' failed to satisfy constraint: "
                      "Member must satisfy regular expression pattern: "
                      "[a-zA-Z0-9_.-]+");
  }
  return Status::OK();
}

Result<std::string> CreateTableRequestJson(const CreateTableRequest& req) {
  const TableOptions& opts = req.options;
  Status conflict;
  auto defs = KeyAttributes(req.name, opts.key_schema, opts.indexes, &conflict);
  RETURN_IF_ERROR(conflict);
  bool provisioned = opts.billing == BillingMode::kProvisioned;
  JsonObject o;
  o.Str("TableName", req.name)
      .Array("KeySchema", KeySchemaJson(opts.key_schema))
      .Array("AttributeDefinitions", AttributeDefinitionsJson(defs))
      .Str("BillingMode", provisioned ? "PROVISIONED" : "PAY_PER_REQUEST");
  if (provisioned) {
    o.Object("ProvisionedThroughput",
             ThroughputJson(opts.read_capacity, opts.write_capacity));
  }
  AppendIndexes(opts.indexes, provisioned, opts.read_capacity,
                opts.write_capacity, "", &o);
  if (opts.stream_enabled) {
    o.Object("StreamSpecification",
             std::move(JsonObject()
                           .Bool("StreamEnabled", true)
                           .Str("StreamViewType",
                                StreamViewTypeName(opts.stream_view_type))));
  }
  return o.Done();
}

Result<CreateTableRequest> ParseCreateTableRequest(const Fields& f) {
  CreateTableRequest req;
  ASSIGN_OR_RETURN(req.name, f.Required("TableName"));
  RETURN_IF_ERROR(CheckTableName(req.name));
  ASSIGN_OR_RETURN(auto ks, f.List("KeySchema"));
  ASSIGN_OR_RETURN(auto defs, f.List("AttributeDefinitions"));
  if (!ks) return Validation("KeySchema is required");
  if (!defs) return Validation("AttributeDefinitions is required");
  std::map<std::string, std::string> types;
  for (dom::element d : *defs) {
    ASSIGN_OR_RETURN(dom::object o, AsObject(d, "AttributeDefinitions"));
    Fields df(o);
    ASSIGN_OR_RETURN(std::string an, df.Required("AttributeName"));
    ASSIGN_OR_RETURN(std::string at, df.Required("AttributeType"));
    if (at != "S" && at != "N" && at != "B") {
      return Validation("1 validation error detected: Value '" + at +
                        "' at 'attributeDefinitions.member.attributeType' "
                        "failed to satisfy constraint: Member must satisfy "
                        "enum value set: [B, N, S]");
    }
    if (!types.emplace(an, at).second) {
      return Validation(
          "Cannot have two attributes with the same name; attribute: " + an);
    }
  }
  TableOptions& topts = req.options;
  size_t n = 0;
  ASSIGN_OR_RETURN(topts.key_schema, RequestKeySchema(*ks, types, &n));
  ASSIGN_OR_RETURN(std::vector<SecondaryIndex> global,
                   RequestIndexes(f, "GlobalSecondaryIndexes",
                                  SecondaryIndex::Kind::kGlobal, types));
  ASSIGN_OR_RETURN(std::vector<SecondaryIndex> local,
                   RequestIndexes(f, "LocalSecondaryIndexes",
                                  SecondaryIndex::Kind::kLocal, types));
  for (const SecondaryIndex& ix : local) {
    if (ix.key_schema.hash.name != topts.key_schema.hash.name) {
      return Validation(
          "One or more parameter values were invalid: Table KeySchema and "
          "LocalSecondaryIndex KeySchema must have the same hash key (index " +
          ix.name + ")");
    }
  }
  topts.indexes = std::move(global);
  topts.indexes.insert(topts.indexes.end(), local.begin(), local.end());
  // Exactly the key attributes are defined (the table's n elements must
  // be n distinct names).
  std::set<std::string> used;
  used.insert(topts.key_schema.hash.name);
  if (topts.key_schema.range) used.insert(topts.key_schema.range->name);
  bool distinct = used.size() == n;
  for (const SecondaryIndex& ix : topts.indexes) {
    used.insert(ix.key_schema.hash.name);
    if (ix.key_schema.range) used.insert(ix.key_schema.range->name);
  }
  if (!distinct || used.size() != types.size()) {
    return Validation(
        "One or more parameter values were invalid: Number of attributes in "
        "KeySchema does not exactly match number of attributes defined in "
        "AttributeDefinitions");
  }
  ASSIGN_OR_RETURN(auto billing, f.Str("BillingMode"));
  if (billing) {
    if (*billing == "PAY_PER_REQUEST") {
      topts.billing = BillingMode::kPayPerRequest;
    } else if (*billing == "PROVISIONED") {
      topts.billing = BillingMode::kProvisioned;
    } else {
      return Validation(
          "1 validation error detected: Value '" + *billing +
          "' at 'billingMode' failed to satisfy constraint: Member must "
          "satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]");
    }
  }
  if (topts.billing == BillingMode::kProvisioned) {
    ASSIGN_OR_RETURN(auto cap, RequestThroughput(f));
    std::tie(topts.read_capacity, topts.write_capacity) = cap;
  } else {
    for (SecondaryIndex& ix : topts.indexes) {
      ix.read_capacity = ix.write_capacity = 0;
    }
  }
  topts.stream_enabled = false;
  ASSIGN_OR_RETURN(auto spec, f.Object("StreamSpecification"));
  if (spec) {
    Fields sf(*spec);
    ASSIGN_OR_RETURN(auto enabled, sf.Bool("StreamEnabled"));
    ASSIGN_OR_RETURN(auto vt, sf.Str("StreamViewType"));
    topts.stream_enabled = enabled.value_or(false);
    if (topts.stream_enabled) {
      std::optional<StreamViewType> view =
          vt ? StreamViewTypeFromName(*vt) : std::nullopt;
      if (!view) {
        return Validation(
            "One or more parameter values were invalid: StreamViewType is "
            "required when StreamEnabled is true and must be one of "
            "NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES, KEYS_ONLY");
      }
      topts.stream_view_type = *view;
    }
  }
  return req;
}

Result<CreateTableRequest> ParseCreateTableRequest(std::string_view json) {
  dom::parser parser;
  dom::element doc;
  if (parser.parse(json.data(), json.size()).get(doc) != simdjson::SUCCESS) {
    return Serialization("Malformed JSON request body");
  }
  dom::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS) {
    return Serialization("The request body must be a JSON object");
  }
  return ParseCreateTableRequest(Fields(obj));
}

}  // namespace godwit::wire
