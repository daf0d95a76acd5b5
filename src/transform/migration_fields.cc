// key_schema and indexes of a migration, and the field names a migration's
// table may use. DynamoDB's rules checked here (so a bad index fails when the
// file loads, not when the destination table is created):
//   - index names: 3 to 255 characters of A-Z a-z 0-9 _ - . (developer
//     guide, "Supported data types and naming rules");
//   - key attribute names of an index: 1 to 255 bytes (same page);
//   - projection: ALL | KEYS_ONLY | INCLUDE; NonKeyAttributes 1 to 20 names
//     per index, at most 100 summed over all indexes (API reference,
//     "Projection");
//   - at most 5 local secondary indexes, each with the table's partition key
//     and a sort key (API reference, "CreateTable", LocalSecondaryIndexes);
//   - an attribute has one type in every key schema (AttributeDefinitions
//     holds one type per name).
#include "transform/migration_fields.h"

#include <algorithm>
#include <map>
#include <set>

namespace godwit::transform_internal {
namespace {

// Optimal string alignment distance (Levenshtein plus adjacent
// transpositions: "donw" is 1 from "down").
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1,
                                     std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] =
          std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string Quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

// "a string", "a number", ... for the type of a converted Lua value.
std::string TypeWord(const AttributeValue& v) {
  switch (v.type()) {
    case AttrType::kS:
      return "a string";
    case AttrType::kN:
      return "a number";
    case AttrType::kBool:
      return "a boolean";
    case AttrType::kL:
      return "a list";
    case AttrType::kM:
      return "a table with named fields";
    case AttrType::kNull:
      return "godwit.null";
    default:
      return "a " + std::string(AttrTypeName(v.type()));
  }
}

// Checks the names of the fields of `m` against `known`.
void CheckFieldNames(const AttributeMap& m, std::string_view where,
                     std::span<const std::string_view> known,
                     std::vector<std::string>* problems) {
  for (const auto& [name, value] : m) {
    (void)value;
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      problems->push_back(std::string(where) + ": " +
                          UnknownFieldMessage(name, where, known));
    }
  }
}

// A key attribute field (`where` is e.g. "key_schema.hash"): a string naming
// the attribute. nullopt with a problem appended otherwise.
std::optional<KeyAttribute> KeyField(const AttributeValue* v,
                                     std::string_view where, bool required,
                                     std::vector<std::string>* problems) {
  if (v == nullptr) {
    if (required) {
      problems->push_back(std::string(where) +
                          " is missing: it names the key attribute, e.g. "
                          "\"pk\" or \"pk:S\" (types S, N, B; S if omitted)");
    }
    return std::nullopt;
  }
  if (!v->is(AttrType::kS)) {
    problems->push_back(std::string(where) +
                        " must be an attribute name such as \"pk\" or "
                        "\"pk:S\", got " +
                        TypeWord(*v));
    return std::nullopt;
  }
  Result<KeyAttribute> k = ParseKeyName(v->s());
  if (!k.ok()) {
    problems->push_back(std::string(where) + ": " +
                        std::string(k.status().message()));
    return std::nullopt;
  }
  return *k;
}

bool ValidIndexName(std::string_view name) {
  if (name.size() < 3 || name.size() > 255) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

// One index: indexes.<name> = { ... }.
std::optional<SecondaryIndex> ParseIndex(const std::string& name,
                                         const AttributeValue& v,
                                         std::vector<std::string>* problems) {
  const std::string where = "indexes." + name;
  size_t before = problems->size();
  if (!ValidIndexName(name)) {
    problems->push_back(where +
                        ": an index name is 3 to 255 characters of A-Z a-z "
                        "0-9 _ - . (DynamoDB's naming rules)");
  }
  if (!v.is(AttrType::kM)) {
    problems->push_back(where +
                        " must be a table { hash = \"attr\", range = "
                        "\"attr\", projection = \"ALL\" }, got " +
                        TypeWord(v));
    return std::nullopt;
  }
  const AttributeMap& m = v.m();
  CheckFieldNames(m, where, kIndexFields, problems);
  SecondaryIndex index;
  index.name = name;
  std::optional<KeyAttribute> hash =
      KeyField(m.Find("hash"), where + ".hash", true, problems);
  std::optional<KeyAttribute> range =
      KeyField(m.Find("range"), where + ".range", false, problems);
  if (hash) index.key_schema.hash = *hash;
  index.key_schema.range = range;
  if (hash && range && hash->name == range->name) {
    problems->push_back(where + ": hash and range are both " +
                        Quoted(hash->name) + "; they must differ");
  }
  if (const AttributeValue* kind = m.Find("kind")) {
    if (kind->is(AttrType::kS) && kind->s() == "global") {
      index.kind = SecondaryIndex::Kind::kGlobal;
    } else if (kind->is(AttrType::kS) && kind->s() == "local") {
      index.kind = SecondaryIndex::Kind::kLocal;
    } else {
      problems->push_back(
          where + ".kind must be \"global\" or \"local\", got " +
          (kind->is(AttrType::kS) ? Quoted(kind->s()) : TypeWord(*kind)));
    }
  }
  index.projection = "ALL";
  if (const AttributeValue* p = m.Find("projection")) {
    if (p->is(AttrType::kS) &&
        (p->s() == "ALL" || p->s() == "KEYS_ONLY" || p->s() == "INCLUDE")) {
      index.projection = p->s();
    } else {
      problems->push_back(
          where +
          ".projection must be \"ALL\", \"KEYS_ONLY\" or \"INCLUDE\", got " +
          (p->is(AttrType::kS) ? Quoted(p->s()) : TypeWord(*p)));
    }
  }
  const AttributeValue* include = m.Find("include");
  if (include != nullptr) {
    // An empty Lua table {} arrives as an empty map.
    bool empty = (include->is(AttrType::kM) && include->m().empty()) ||
                 (include->is(AttrType::kL) && include->l().empty());
    if (index.projection != "INCLUDE") {
      problems->push_back(where +
                          ".include lists the attributes of projection = "
                          "\"INCLUDE\"; this index's projection is " +
                          Quoted(index.projection));
    } else if (empty || !include->is(AttrType::kL)) {
      problems->push_back(
          where +
          ".include must be a list of 1 to 20 attribute names, e.g. "
          "include = { \"total\", \"status\" }, got " +
          (empty ? std::string("an empty table") : TypeWord(*include)));
    } else {
      std::set<std::string> seen;
      for (const AttributeValue& a : include->l()) {
        if (!a.is(AttrType::kS) || a.s().empty() || a.s().size() > 255) {
          problems->push_back(
              where +
              ".include holds attribute names (strings of 1 "
              "to 255 bytes), got " +
              (a.is(AttrType::kS) ? Quoted(a.s()) : TypeWord(a)));
          continue;
        }
        if (!seen.insert(a.s()).second) {
          problems->push_back(where + ".include lists " + Quoted(a.s()) +
                              " twice");
          continue;
        }
        index.non_key_attributes.push_back(a.s());
      }
      if (include->l().size() > 20) {
        problems->push_back(where + ".include lists " +
                            std::to_string(include->l().size()) +
                            " attributes; DynamoDB allows at most 20 per "
                            "index");
      }
    }
  } else if (index.projection == "INCLUDE") {
    problems->push_back(where +
                        ": projection = \"INCLUDE\" needs include = { "
                        "\"attr\", ... }, the attributes to project");
  }
  if (index.kind == SecondaryIndex::Kind::kLocal && hash && !range) {
    problems->push_back(where +
                        ": a local index needs a range key (it shares the "
                        "table's hash key and sorts by another attribute)");
  }
  if (problems->size() != before) return std::nullopt;
  return index;
}

// Every key attribute of `indexes` (and of `table`, if given) must have one
// type: DynamoDB defines each attribute once.
void CheckKeyTypes(const std::vector<SecondaryIndex>& indexes,
                   const KeySchema* table, std::vector<std::string>* problems) {
  // name -> (type, where it was first seen)
  std::map<std::string, std::pair<AttrType, std::string>> types;
  auto see = [&](const KeyAttribute& k, const std::string& where) {
    auto [it, inserted] = types.emplace(k.name, std::make_pair(k.type, where));
    if (!inserted && it->second.first != k.type) {
      problems->push_back("attribute " + Quoted(k.name) + " is a key of type " +
                          std::string(AttrTypeName(it->second.first)) + " in " +
                          it->second.second + " and of type " +
                          std::string(AttrTypeName(k.type)) + " in " + where +
                          "; an attribute has one type in every key");
    }
  };
  if (table != nullptr) {
    see(table->hash, "the table's key schema");
    if (table->range) see(*table->range, "the table's key schema");
  }
  for (const SecondaryIndex& index : indexes) {
    see(index.key_schema.hash, "index " + index.name);
    if (index.key_schema.range) {
      see(*index.key_schema.range, "index " + index.name);
    }
  }
}

}  // namespace

std::string UnknownFieldMessage(std::string_view name, std::string_view what,
                                std::span<const std::string_view> known) {
  std::string out = "unknown field " + Quoted(name);
  std::string_view best;
  size_t best_d = std::string_view::npos;
  for (std::string_view k : known) {
    size_t d = Lower(name) == Lower(k) ? 0 : EditDistance(name, k);
    if (d < best_d) {
      best_d = d;
      best = k;
    }
  }
  if (!best.empty() && best_d <= 2 && best_d < name.size()) {
    out += " (did you mean " + Quoted(best) + "?)";
  }
  out += "; the fields of " + std::string(what) + " are ";
  for (size_t i = 0; i < known.size(); ++i) {
    if (i > 0) out += i + 1 == known.size() ? " and " : ", ";
    out += known[i];
  }
  return out;
}

Result<KeyAttribute> ParseKeyName(std::string_view spec) {
  if (spec.find(':') == std::string_view::npos) {
    if (spec.empty()) return Status::InvalidArgument("empty key name");
    if (spec.size() > 255) {
      return Status::InvalidArgument("key attribute \"" + std::string(spec) +
                                     "\": name longer than 255 bytes");
    }
    return KeyAttribute{std::string(spec), AttrType::kS};
  }
  return KeySchema::ParseAttribute(spec);
}

std::optional<KeySchema> ParseKeySchemaField(
    const AttributeValue& v, std::vector<std::string>* problems) {
  size_t before = problems->size();
  if (!v.is(AttrType::kM)) {
    problems->push_back(
        "key_schema must be a table { hash = \"pk\", range = \"sk\" }, got " +
        TypeWord(v));
    return std::nullopt;
  }
  const AttributeMap& m = v.m();
  CheckFieldNames(m, "key_schema", kKeySchemaFields, problems);
  std::optional<KeyAttribute> hash =
      KeyField(m.Find("hash"), "key_schema.hash", true, problems);
  std::optional<KeyAttribute> range =
      KeyField(m.Find("range"), "key_schema.range", false, problems);
  if (hash && range && hash->name == range->name) {
    problems->push_back("key_schema: hash and range are both " +
                        Quoted(hash->name) + "; they must differ");
  }
  if (problems->size() != before || !hash) return std::nullopt;
  return KeySchema{*hash, range};
}

std::optional<std::vector<SecondaryIndex>> ParseIndexesField(
    const AttributeValue& v, std::vector<std::string>* problems) {
  size_t before = problems->size();
  if (!v.is(AttrType::kM)) {
    problems->push_back(
        "indexes must be a table of named indexes, e.g. indexes = { byStatus "
        "= { hash = \"status\", range = \"createdAt\" } }, got " +
        TypeWord(v));
    return std::nullopt;
  }
  std::vector<SecondaryIndex> out;
  size_t local = 0, projected = 0;
  for (const auto& [name, index_value] : v.m()) {
    std::optional<SecondaryIndex> index =
        ParseIndex(name, index_value, problems);
    if (!index) continue;
    if (index->kind == SecondaryIndex::Kind::kLocal) ++local;
    projected += index->non_key_attributes.size();
    out.push_back(std::move(*index));
  }
  if (local > 5) {
    problems->push_back("indexes: " + std::to_string(local) +
                        " local indexes; DynamoDB allows at most 5 per table");
  }
  if (projected > 100) {
    problems->push_back("indexes: " + std::to_string(projected) +
                        " attributes in include lists; DynamoDB allows at "
                        "most 100 summed over all indexes");
  }
  CheckKeyTypes(out, nullptr, problems);
  if (problems->size() != before) return std::nullopt;
  return out;
}

std::vector<std::string> CheckIndexesForTable(
    const std::vector<SecondaryIndex>& indexes, const KeySchema& table_schema) {
  std::vector<std::string> problems;
  if (table_schema.hash.name.empty()) return problems;
  const std::string table =
      "the destination key schema " + table_schema.ToString();
  for (const SecondaryIndex& index : indexes) {
    if (index.kind != SecondaryIndex::Kind::kLocal) continue;
    if (index.key_schema.hash.name != table_schema.hash.name) {
      problems.push_back("indexes." + index.name +
                         ": a local index has the table's hash key " +
                         Quoted(table_schema.hash.name) + " (" + table +
                         "), not " + Quoted(index.key_schema.hash.name));
    }
    if (!table_schema.range) {
      problems.push_back("indexes." + index.name +
                         ": a local index needs a table with a range key, "
                         "and " +
                         table + " has none");
    }
  }
  CheckKeyTypes(indexes, &table_schema, &problems);
  return problems;
}

}  // namespace godwit::transform_internal
