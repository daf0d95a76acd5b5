// The saved analysis (docs/formats/analysis.md): one JSON object.
//
//   analysis := {"version": 1, "table": str, "logical": str,
//                "key_schema": "pk:S[,sk:N]", "analyzed_micros": int,
//                "seconds": num, "segments": int, "threads": int,
//                "items": int, "bytes": int, "min_item_bytes": int,
//                "max_item_bytes": int, "read_units": int,
//                "write_units": int,
//                "size_histogram": [{"from": int, "to": int|null,
//                                    "items": int}, ...],    16 buckets
//                "near_limit_items": int, "over_limit_items": int,
//                "largest": [{"key": item-json, "bytes": int}, ...],
//                "partitions": int, "hot_exact": bool,
//                "hot_by_items": [hot, ...], "hot_by_bytes": [hot, ...],
//                "skew": num,
//                "attributes": [{"name": str, "items": int, "key": bool,
//                                "mixed": bool, "types": {TYPE: int, ...}}],
//                "attributes_untracked": int,
//                "findings": [{"attribute": str, "kind": str, "key": bool,
//                              "count": int,
//                              "examples": [{"key": item-json,
//                                            "value": str}, ...]}, ...],
//                "nfc_lookups_skipped": int}
//   hot      := {"key": value-json, "value": int, "error": int}
//
// item-json and value-json are DynamoDB JSON (godwit/json.h), embedded as
// objects. Readers ignore members they do not know (later versions add).
#include <simdjson.h>

#include <cmath>
#include <cstdio>

#include "godwit/json.h"
#include "ops/analyze.h"

namespace godwit::ops {
namespace {

namespace dom = simdjson::dom;

std::string U(uint64_t v) { return std::to_string(v); }
std::string D(double v) {
  if (!std::isfinite(v)) return "0";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.6g", v);
  return buf;
}
std::string B(bool b) { return b ? "true" : "false"; }

void AppendHot(const std::vector<HotKey>& hot, std::string* out) {
  *out += "[";
  for (size_t i = 0; i < hot.size(); ++i) {
    if (i) *out += ",";
    *out += "{\"key\":" + hot[i].key + ",\"value\":" + U(hot[i].value) +
            ",\"error\":" + U(hot[i].error) + "}";
  }
  *out += "]";
}

// Reading.
Status Bad(std::string_view field,
           std::string_view what = "missing or of the wrong type") {
  return Status::InvalidArgument("analysis: $." + std::string(field) + ": " +
                                 std::string(what));
}

Result<uint64_t> GetU(dom::object o, const char* f) {
  uint64_t v;
  if (o[f].get_uint64().get(v)) {
    double d;
    if (o[f].get_double().get(d) || d < 0) return Bad(f);
    return static_cast<uint64_t>(d);
  }
  return v;
}
Result<double> GetD(dom::object o, const char* f) {
  double v;
  if (o[f].get_double().get(v)) {
    int64_t i;
    if (o[f].get_int64().get(i)) {
      uint64_t u;
      if (o[f].get_uint64().get(u)) return Bad(f);
      return static_cast<double>(u);
    }
    return static_cast<double>(i);
  }
  return v;
}
Result<std::string> GetS(dom::object o, const char* f) {
  std::string_view v;
  if (o[f].get_string().get(v)) return Bad(f);
  return std::string(v);
}
Result<bool> GetB(dom::object o, const char* f) {
  bool v;
  if (o[f].get_bool().get(v)) return Bad(f);
  return v;
}
Result<dom::array> GetA(dom::object o, const char* f) {
  dom::array a;
  if (o[f].get_array().get(a)) return Bad(f);
  return a;
}
// A member that is JSON itself, as minified text.
Result<std::string> GetRaw(dom::object o, const char* f) {
  dom::element e;
  if (o[f].get(e)) return Bad(f);
  return simdjson::minify(e);
}

Result<std::vector<HotKey>> GetHot(dom::object o, const char* f) {
  ASSIGN_OR_RETURN(dom::array a, GetA(o, f));
  std::vector<HotKey> out;
  for (dom::element e : a) {
    dom::object h;
    if (e.get_object().get(h)) return Bad(f, "an entry is not an object");
    HotKey k;
    ASSIGN_OR_RETURN(k.key, GetRaw(h, "key"));
    ASSIGN_OR_RETURN(k.value, GetU(h, "value"));
    ASSIGN_OR_RETURN(k.error, GetU(h, "error"));
    out.push_back(std::move(k));
  }
  return out;
}

Result<KeySchema> ParseSchema(const std::string& s) {
  KeySchema k;
  size_t comma = s.find(',');
  ASSIGN_OR_RETURN(k.hash, KeySchema::ParseAttribute(s.substr(0, comma)));
  if (comma != std::string::npos) {
    ASSIGN_OR_RETURN(KeyAttribute r,
                     KeySchema::ParseAttribute(s.substr(comma + 1)));
    k.range = std::move(r);
  }
  return k;
}

}  // namespace

std::string AnalysisToJson(const TableAnalysis& a) {
  std::string o = "{\"version\":1,\"table\":" + JsonQuoted(a.table) +
                  ",\"logical\":" + JsonQuoted(a.logical) +
                  ",\"key_schema\":" + JsonQuoted(a.key_schema.ToString()) +
                  ",\"analyzed_micros\":" + std::to_string(a.analyzed_micros) +
                  ",\"seconds\":" + D(a.seconds) +
                  ",\"segments\":" + std::to_string(a.segments) +
                  ",\"threads\":" + std::to_string(a.threads) +
                  ",\"items\":" + U(a.items) + ",\"bytes\":" + U(a.bytes) +
                  ",\"min_item_bytes\":" + U(a.min_item_bytes) +
                  ",\"max_item_bytes\":" + U(a.max_item_bytes) +
                  ",\"read_units\":" + U(a.read_units) +
                  ",\"write_units\":" + U(a.write_units) +
                  ",\"size_histogram\":[";
  for (size_t i = 0; i < kSizeEdges.size(); ++i) {
    if (i) o += ",";
    o += "{\"from\":" + U(kSizeEdges[i]) + ",\"to\":" +
         (i + 1 < kSizeEdges.size() ? U(kSizeEdges[i + 1]) : "null") +
         ",\"items\":" + U(a.size_histogram[i]) + "}";
  }
  o += "],\"near_limit_items\":" + U(a.near_limit_items) +
       ",\"over_limit_items\":" + U(a.over_limit_items) + ",\"largest\":[";
  for (size_t i = 0; i < a.largest.size(); ++i) {
    if (i) o += ",";
    o += "{\"key\":" + a.largest[i].key +
         ",\"bytes\":" + U(a.largest[i].bytes) + "}";
  }
  o += "],\"partitions\":" + U(a.partitions) +
       ",\"hot_exact\":" + B(a.hot_exact) + ",\"hot_by_items\":";
  AppendHot(a.hot_by_items, &o);
  o += ",\"hot_by_bytes\":";
  AppendHot(a.hot_by_bytes, &o);
  o += ",\"skew\":" + D(a.skew) + ",\"attributes\":[";
  for (size_t i = 0; i < a.attributes.size(); ++i) {
    const AttributeStats& s = a.attributes[i];
    if (i) o += ",";
    o += "{\"name\":" + JsonQuoted(s.name) + ",\"items\":" + U(s.items) +
         ",\"key\":" + B(s.key) + ",\"mixed\":" + B(s.mixed()) + ",\"types\":{";
    bool first = true;
    for (size_t t = 0; t < s.by_type.size(); ++t) {
      if (s.by_type[t] == 0) continue;
      if (!first) o += ",";
      first = false;
      o += JsonQuoted(AttrTypeName(static_cast<AttrType>(t))) + ":" +
           U(s.by_type[t]);
    }
    o += "}}";
  }
  o += "],\"attributes_untracked\":" + U(a.attributes_untracked) +
       ",\"findings\":[";
  for (size_t i = 0; i < a.findings.size(); ++i) {
    const TextFinding& f = a.findings[i];
    if (i) o += ",";
    o += "{\"attribute\":" + JsonQuoted(f.attribute) +
         ",\"kind\":" + JsonQuoted(f.kind) + ",\"key\":" + B(f.key) +
         ",\"count\":" + U(f.count) + ",\"examples\":[";
    for (size_t k = 0; k < f.examples.size(); ++k) {
      if (k) o += ",";
      o += "{\"key\":" + f.examples[k].first +
           ",\"value\":" + JsonQuoted(f.examples[k].second) + "}";
    }
    o += "]}";
  }
  o += "],\"nfc_lookups_skipped\":" + U(a.nfc_lookups_skipped) + "}";
  return o;
}

Result<TableAnalysis> AnalysisFromJson(std::string_view json) {
  dom::parser parser;
  dom::element doc;
  if (auto err = parser.parse(json.data(), json.size()).get(doc)) {
    return Status::InvalidArgument(std::string("analysis: malformed JSON: ") +
                                   simdjson::error_message(err));
  }
  dom::object o;
  if (doc.get_object().get(o)) return Bad("", "not an object");
  TableAnalysis a;
  ASSIGN_OR_RETURN(uint64_t version, GetU(o, "version"));
  if (version != 1) {
    return Bad("version", "unknown version " + std::to_string(version));
  }
  ASSIGN_OR_RETURN(a.table, GetS(o, "table"));
  ASSIGN_OR_RETURN(a.logical, GetS(o, "logical"));
  ASSIGN_OR_RETURN(std::string schema, GetS(o, "key_schema"));
  Result<KeySchema> ks = ParseSchema(schema);
  if (!ks.ok()) return Bad("key_schema", ks.status().message());
  a.key_schema = *ks;
  ASSIGN_OR_RETURN(uint64_t when, GetU(o, "analyzed_micros"));
  a.analyzed_micros = static_cast<int64_t>(when);
  ASSIGN_OR_RETURN(a.seconds, GetD(o, "seconds"));
  ASSIGN_OR_RETURN(uint64_t segments, GetU(o, "segments"));
  ASSIGN_OR_RETURN(uint64_t threads, GetU(o, "threads"));
  a.segments = static_cast<int>(segments);
  a.threads = static_cast<int>(threads);
  ASSIGN_OR_RETURN(a.items, GetU(o, "items"));
  ASSIGN_OR_RETURN(a.bytes, GetU(o, "bytes"));
  ASSIGN_OR_RETURN(a.min_item_bytes, GetU(o, "min_item_bytes"));
  ASSIGN_OR_RETURN(a.max_item_bytes, GetU(o, "max_item_bytes"));
  ASSIGN_OR_RETURN(a.read_units, GetU(o, "read_units"));
  ASSIGN_OR_RETURN(a.write_units, GetU(o, "write_units"));
  ASSIGN_OR_RETURN(dom::array hist, GetA(o, "size_histogram"));
  if (hist.size() != kSizeEdges.size()) {
    return Bad("size_histogram",
               "expected " + std::to_string(kSizeEdges.size()) + " buckets");
  }
  size_t i = 0;
  for (dom::element e : hist) {
    dom::object b;
    if (e.get_object().get(b)) return Bad("size_histogram");
    ASSIGN_OR_RETURN(a.size_histogram[i], GetU(b, "items"));
    ++i;
  }
  ASSIGN_OR_RETURN(a.near_limit_items, GetU(o, "near_limit_items"));
  ASSIGN_OR_RETURN(a.over_limit_items, GetU(o, "over_limit_items"));
  ASSIGN_OR_RETURN(dom::array largest, GetA(o, "largest"));
  for (dom::element e : largest) {
    dom::object l;
    if (e.get_object().get(l)) return Bad("largest");
    SizedKey k;
    ASSIGN_OR_RETURN(k.key, GetRaw(l, "key"));
    ASSIGN_OR_RETURN(k.bytes, GetU(l, "bytes"));
    a.largest.push_back(std::move(k));
  }
  ASSIGN_OR_RETURN(a.partitions, GetU(o, "partitions"));
  ASSIGN_OR_RETURN(a.hot_exact, GetB(o, "hot_exact"));
  ASSIGN_OR_RETURN(a.hot_by_items, GetHot(o, "hot_by_items"));
  ASSIGN_OR_RETURN(a.hot_by_bytes, GetHot(o, "hot_by_bytes"));
  ASSIGN_OR_RETURN(a.skew, GetD(o, "skew"));
  ASSIGN_OR_RETURN(dom::array attrs, GetA(o, "attributes"));
  for (dom::element e : attrs) {
    dom::object at;
    if (e.get_object().get(at)) return Bad("attributes");
    AttributeStats s;
    ASSIGN_OR_RETURN(s.name, GetS(at, "name"));
    ASSIGN_OR_RETURN(s.items, GetU(at, "items"));
    ASSIGN_OR_RETURN(s.key, GetB(at, "key"));
    dom::object types;
    if (at["types"].get_object().get(types)) return Bad("attributes[].types");
    for (auto [k, v] : types) {
      std::optional<AttrType> t = AttrTypeFromName(k);
      uint64_t n;
      if (!t || v.get_uint64().get(n)) {
        return Bad("attributes[].types", "bad type " + std::string(k));
      }
      s.by_type[static_cast<size_t>(*t)] = n;
    }
    a.attributes.push_back(std::move(s));
  }
  ASSIGN_OR_RETURN(a.attributes_untracked, GetU(o, "attributes_untracked"));
  ASSIGN_OR_RETURN(dom::array findings, GetA(o, "findings"));
  for (dom::element e : findings) {
    dom::object fo;
    if (e.get_object().get(fo)) return Bad("findings");
    TextFinding f;
    ASSIGN_OR_RETURN(f.attribute, GetS(fo, "attribute"));
    ASSIGN_OR_RETURN(f.kind, GetS(fo, "kind"));
    ASSIGN_OR_RETURN(f.key, GetB(fo, "key"));
    ASSIGN_OR_RETURN(f.count, GetU(fo, "count"));
    ASSIGN_OR_RETURN(dom::array ex, GetA(fo, "examples"));
    for (dom::element x : ex) {
      dom::object xo;
      if (x.get_object().get(xo)) return Bad("findings[].examples");
      ASSIGN_OR_RETURN(std::string key, GetRaw(xo, "key"));
      ASSIGN_OR_RETURN(std::string value, GetS(xo, "value"));
      f.examples.emplace_back(std::move(key), std::move(value));
    }
    a.findings.push_back(std::move(f));
  }
  ASSIGN_OR_RETURN(a.nfc_lookups_skipped, GetU(o, "nfc_lookups_skipped"));
  return a;
}

std::string EstimateToJson(const MigrationEstimate& e) {
  return "{\"read_capacity\":" + D(e.read_capacity) +
         ",\"write_capacity\":" + D(e.write_capacity) +
         ",\"backfill_read_units\":" + U(e.backfill_read_units) +
         ",\"backfill_write_units\":" + U(e.backfill_write_units) +
         ",\"verify_read_units\":" + U(e.verify_read_units) +
         ",\"backfill_seconds\":" + D(e.backfill_seconds) +
         ",\"verify_seconds\":" + D(e.verify_seconds) + ",\"bottleneck\":" +
         (e.bottleneck.empty() ? "null" : JsonQuoted(e.bottleneck)) +
         ",\"hot_partition_seconds\":" + D(e.hot_partition_seconds) + "}";
}

}  // namespace godwit::ops
