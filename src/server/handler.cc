// RequestHandler: the DynamoDB and DynamoDB Streams operations over a Store.
//
// Request bodies are parsed with simdjson's DOM parser (one per thread);
// item and value fields are re-serialised (minified) and handed to godwit's
// DynamoDB-JSON codec, so that its validation and error paths apply.
//
// Errors inside are Status values. A Status whose message starts with
// "\x1e<Type>\x1e" carries an explicit DynamoDB error type (e.g.
// SerializationException); otherwise the type follows the code (see
// ToHttp()).
//
// Paging: Query and Scan pages continue from a key (the ExclusiveStartKey a
// client sends back). The server never makes or reads a store's page token:
// it sends the key the store reports as the last one evaluated
// (Page::last_evaluated_key, else the last item's key) and passes an
// ExclusiveStartKey to the store as QueryOptions/ScanOptions::
// exclusive_start_key, so it works over any Store (and through stores that
// wrap another and pass options on, such as the migration router).
//
// Streams: one shard per table, named kShardId, never closed. An iterator is
// base64("I1" US kind US sequence US table), kind T (trim horizon) or A
// (after sequence). Sequence numbers are the store's, as 21-digit strings.
// The StreamViewType is kept by the store with the table
// (TableDescription::stream_view_type), so it survives a restart.
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cinttypes>
#include <cstdio>
#include <ctime>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "godwit/expression.h"
#include "godwit/item.h"
#include "godwit/json.h"
#include "godwit/server.h"
#include "godwit/store.h"

namespace godwit::server {
namespace {

namespace dom = simdjson::dom;

constexpr char kErrMark = '\x1e';
constexpr std::string_view kShardId = "shardId-00000000000000000001-00000001";
constexpr size_t kMaxBatchGetKeys = 100;

Status ApiError(std::string_view type, std::string_view message) {
  std::string m;
  m.push_back(kErrMark);
  m += type;
  m.push_back(kErrMark);
  m += message;
  return Status::InvalidArgument(std::move(m));
}
Status Validation(std::string_view message) {
  return ApiError("ValidationException", message);
}
Status Serialization(std::string_view message) {
  return ApiError("SerializationException", message);
}
Status TableNotFound(std::string_view name) {
  return ApiError("ResourceNotFoundException",
                  "Requested resource not found: Table: " + std::string(name) +
                      " not found");
}

// ---- JSON output -----------------------------------------------------------

// The length of the valid UTF-8 sequence at s[i] (1 to 4), or 0.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  auto at = [&](size_t k) -> int {
    return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : -1;
  };
  int c = at(0);
  auto cont = [&](size_t k, int lo, int hi) {
    int b = at(k);
    return b >= lo && b <= hi;
  };
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return cont(1, 0x80, 0xBF) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    int lo = c == 0xE0 ? 0xA0 : 0x80;
    int hi = c == 0xED ? 0x9F : 0xBF;
    return cont(1, lo, hi) && cont(2, 0x80, 0xBF) ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    int lo = c == 0xF0 ? 0x90 : 0x80;
    int hi = c == 0xF4 ? 0x8F : 0xBF;
    return cont(1, lo, hi) && cont(2, 0x80, 0xBF) && cont(3, 0x80, 0xBF) ? 4
                                                                         : 0;
  }
  return 0;
}

// Writes `s` as a JSON string. Messages can echo request bytes, so invalid
// UTF-8 is replaced by U+FFFD: the response is always valid JSON.
void AppendJsonString(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (size_t i = 0; i < s.size(); ++i) {
    char ch = s[i];
    auto c = static_cast<unsigned char>(ch);
    if (c >= 0x80) {
      size_t n = Utf8SequenceLength(s, i);
      if (n == 0) {
        *out += "\ufffd";
      } else {
        out->append(s.substr(i, n));
        i += n - 1;
      }
    } else if (c == '"') {
      *out += "\\\"";
    } else if (c == '\\') {
      *out += "\\\\";
    } else if (c < 0x20) {
      *out += "\\u00";
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 15]);
    } else {
      out->push_back(ch);
    }
  }
  out->push_back('"');
}

std::string Quote(std::string_view s) {
  std::string out;
  AppendJsonString(s, &out);
  return out;
}

std::string Num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

std::string ItemJson(const Item& item) {
  std::string out;
  WriteItemJson(item, &out);
  return out;
}

// Builds a JSON object field by field.
class Obj {
 public:
  Obj& Raw(std::string_view key, std::string_view json) {
    s_.push_back(s_.empty() ? '{' : ',');
    AppendJsonString(key, &s_);
    s_.push_back(':');
    s_ += json;
    return *this;
  }
  Obj& Str(std::string_view key, std::string_view v) {
    return Raw(key, Quote(v));
  }
  Obj& Int(std::string_view key, uint64_t v) {
    return Raw(key, std::to_string(v));
  }
  Obj& Bool(std::string_view key, bool v) {
    return Raw(key, v ? "true" : "false");
  }
  std::string Done() {
    if (s_.empty()) return "{}";
    return s_ + "}";
  }

 private:
  std::string s_;
};

std::string Array(const std::vector<std::string>& elems) {
  std::string s = "[";
  for (size_t i = 0; i < elems.size(); ++i) {
    if (i) s.push_back(',');
    s += elems[i];
  }
  s.push_back(']');
  return s;
}

// ---- JSON input ------------------------------------------------------------

std::string_view TypeName(dom::element_type t) {
  switch (t) {
    case dom::element_type::ARRAY:
      return "Start of list";
    case dom::element_type::OBJECT:
      return "Start of structure or map";
    case dom::element_type::STRING:
      return "STRING_VALUE";
    case dom::element_type::BOOL:
      return "BOOLEAN_VALUE";
    case dom::element_type::NULL_VALUE:
      return "NULL_VALUE";
    default:
      return "NUMBER_VALUE";
  }
}

Status WrongType(std::string_view field, dom::element el,
                 std::string_view want) {
  return Serialization(std::string(TypeName(el.type())) +
                       " can not be converted to " + std::string(want) +
                       " (field " + std::string(field) + ")");
}

// The fields of one request object.
class Fields {
 public:
  explicit Fields(dom::object o) : o_(o) {}

  std::optional<dom::element> Get(std::string_view k) const {
    dom::element el;
    if (o_.at_key(k).get(el) != simdjson::SUCCESS) return std::nullopt;
    if (el.type() == dom::element_type::NULL_VALUE) return std::nullopt;
    return el;
  }
  bool Has(std::string_view k) const { return Get(k).has_value(); }

  Result<std::optional<std::string>> Str(std::string_view k) const {
    auto el = Get(k);
    if (!el) return std::optional<std::string>();
    std::string_view v;
    if (el->get_string().get(v) != simdjson::SUCCESS) {
      return WrongType(k, *el, "String");
    }
    return std::optional<std::string>(std::string(v));
  }
  Result<std::string> Required(std::string_view k) const {
    ASSIGN_OR_RETURN(std::optional<std::string> v, Str(k));
    if (!v) {
      return Validation("1 validation error detected: Value null at '" +
                        std::string(k) +
                        "' failed to satisfy constraint: Member must not be "
                        "null");
    }
    return *v;
  }
  Result<std::optional<int64_t>> Int(std::string_view k) const {
    auto el = Get(k);
    if (!el) return std::optional<int64_t>();
    int64_t v;
    if (el->get_int64().get(v) != simdjson::SUCCESS) {
      return WrongType(k, *el, "Integer");
    }
    return std::optional<int64_t>(v);
  }
  Result<std::optional<bool>> Bool(std::string_view k) const {
    auto el = Get(k);
    if (!el) return std::optional<bool>();
    bool v;
    if (el->get_bool().get(v) != simdjson::SUCCESS) {
      return WrongType(k, *el, "Boolean");
    }
    return std::optional<bool>(v);
  }
  Result<std::optional<dom::object>> Object(std::string_view k) const {
    auto el = Get(k);
    if (!el) return std::optional<dom::object>();
    dom::object v;
    if (el->get_object().get(v) != simdjson::SUCCESS) {
      return WrongType(k, *el, "Structure");
    }
    return std::optional<dom::object>(v);
  }
  Result<std::optional<dom::array>> List(std::string_view k) const {
    auto el = Get(k);
    if (!el) return std::optional<dom::array>();
    dom::array v;
    if (el->get_array().get(v) != simdjson::SUCCESS) {
      return WrongType(k, *el, "List");
    }
    return std::optional<dom::array>(v);
  }

 private:
  dom::object o_;
};

Result<dom::object> AsObject(dom::element el, std::string_view what) {
  dom::object o;
  if (el.get_object().get(o) != simdjson::SUCCESS) {
    return WrongType(what, el, "Structure");
  }
  return o;
}

JsonParser& ThreadJsonParser() {
  thread_local JsonParser parser;
  return parser;
}

Result<Item> ParseItemElement(dom::element el, std::string_view what) {
  if (el.type() != dom::element_type::OBJECT) {
    return WrongType(what, el, "Map");
  }
  Result<Item> item = ThreadJsonParser().ParseItem(simdjson::minify(el));
  if (!item.ok()) {
    return Validation(
        "One or more parameter values were invalid: " + std::string(what) +
        ": " + std::string(item.status().message()));
  }
  return item;
}

Result<ExpressionContext> BuildContext(const Fields& f) {
  std::optional<ExpressionContext::NameMap> names;
  std::optional<ExpressionContext::ValueMap> values;
  ASSIGN_OR_RETURN(auto n, f.Object("ExpressionAttributeNames"));
  if (n) {
    names.emplace();
    for (auto [k, v] : *n) {
      std::string_view s;
      if (v.get_string().get(s) != simdjson::SUCCESS) {
        return WrongType("ExpressionAttributeNames", v, "String");
      }
      (*names)[std::string(k)] = std::string(s);
    }
  }
  ASSIGN_OR_RETURN(auto vals, f.Object("ExpressionAttributeValues"));
  if (vals) {
    values.emplace();
    for (auto [k, v] : *vals) {
      if (v.type() != dom::element_type::OBJECT) {
        return WrongType("ExpressionAttributeValues", v, "AttributeValue");
      }
      Result<AttributeValue> av =
          ThreadJsonParser().ParseValue(simdjson::minify(v));
      if (!av.ok()) {
        return Validation("ExpressionAttributeValues contains invalid value: " +
                          std::string(av.status().message()) + " for key " +
                          std::string(k));
      }
      (*values)[std::string(k)] = *std::move(av);
    }
  }
  ExpressionContext ctx(std::move(names), std::move(values));
  RETURN_IF_ERROR(ctx.Validate());
  return ctx;
}

Status RejectLegacy(const Fields& f,
                    std::initializer_list<std::string_view> names) {
  for (std::string_view n : names) {
    if (f.Has(n)) {
      return Validation("godwit serve does not support the legacy parameter " +
                        std::string(n) + "; use expressions");
    }
  }
  return Status::OK();
}

// ---- capacity --------------------------------------------------------------

double ReadUnits(size_t bytes, bool consistent) {
  double units =
      static_cast<double>(std::max<size_t>(1, (bytes + 4095) / 4096));
  return consistent ? units : units / 2;
}
double WriteUnits(size_t bytes) {
  return static_cast<double>(std::max<size_t>(1, (bytes + 1023) / 1024));
}

Result<bool> WantCapacity(const Fields& f) {
  ASSIGN_OR_RETURN(auto v, f.Str("ReturnConsumedCapacity"));
  if (!v || *v == "NONE") return false;
  if (*v == "TOTAL" || *v == "INDEXES") return true;
  return Validation(
      "1 validation error detected: Value '" + *v +
      "' at 'returnConsumedCapacity' failed to satisfy constraint: Member "
      "must satisfy enum value set: [INDEXES, TOTAL, NONE]");
}

std::string CapacityJson(std::string_view table, double units) {
  // DynamoDB writes whole units as 1.0, not 1 (typed clients do not care;
  // answers compared as JSON text do).
  std::string n = Num(units);
  if (n.find_first_of(".eE") == std::string::npos) n += ".0";
  return Obj().Str("TableName", table).Raw("CapacityUnits", n).Done();
}

// The top-level attribute names an expression refers to (through #names or
// directly): the first element of each document path. The expression must
// have parsed already: no string literals, placeholders are :x and #x.
std::set<std::string> TopLevelNames(
    std::string_view e, const std::map<std::string, std::string>& names) {
  std::set<std::string> out;
  auto ident = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  };
  auto prev_char = [&](size_t i) {
    while (i > 0 && std::isspace(static_cast<unsigned char>(e[i - 1]))) --i;
    return i == 0 ? '\0' : e[i - 1];
  };
  auto next_char = [&](size_t i) {
    while (i < e.size() && std::isspace(static_cast<unsigned char>(e[i]))) {
      ++i;
    }
    return i == e.size() ? '\0' : e[i];
  };
  size_t i = 0;
  while (i < e.size()) {
    char c = e[i];
    if (c == ':' || c == '#' || ident(c)) {
      size_t start = i++;
      while (i < e.size() && ident(e[i])) ++i;
      std::string_view tok = e.substr(start, i - start);
      if (c == ':' || prev_char(start) == '.' || next_char(i) == '(') continue;
      std::string word(tok);
      if (c == '#') {
        auto it = names.find(word);
        if (it != names.end()) out.insert(it->second);
        continue;
      }
      if (std::isdigit(static_cast<unsigned char>(c))) continue;  // [2]
      std::string upper;
      for (char ch : word) {
        upper.push_back(
            static_cast<char>(std::toupper(static_cast<unsigned char>(ch))));
      }
      if (upper == "AND" || upper == "OR" || upper == "NOT" ||
          upper == "BETWEEN" || upper == "IN") {
        continue;
      }
      out.insert(word);
    } else {
      ++i;
    }
  }
  return out;
}

// ---- tables ----------------------------------------------------------------

bool IsInternalTable(std::string_view name) {
  return name == "godwit_control" || name.starts_with("godwit_keymap.");
}

Status CheckTableName(std::string_view name) {
  if (name.size() < 3 || name.size() > 255) {
    return Validation(
        "1 validation error detected: Value '" + std::string(name) +
        "' at 'tableName' failed to satisfy constraint: Member must have "
        "length between 3 and 255");
  }
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' &&
        c != '.') {
      return Validation("1 validation error detected: Value '" +
                        std::string(name) +
                        "' at 'tableName' failed to satisfy constraint: "
                        "Member must satisfy regular expression pattern: "
                        "[a-zA-Z0-9_.-]+");
    }
  }
  return Status::OK();
}

std::string Iso8601Millis(int64_t micros) {
  time_t secs = static_cast<time_t>(micros / 1000000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03d",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, static_cast<int>((micros / 1000) % 1000));
  return buf;
}

std::string SequenceString(uint64_t seq) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%021" PRIu64, seq);
  return buf;
}

std::string KeySchemaJson(const KeySchema& ks) {
  std::vector<std::string> v;
  v.push_back(
      Obj().Str("AttributeName", ks.hash.name).Str("KeyType", "HASH").Done());
  if (ks.range) {
    v.push_back(Obj()
                    .Str("AttributeName", ks.range->name)
                    .Str("KeyType", "RANGE")
                    .Done());
  }
  return Array(v);
}

std::string AttributeDefinitionsJson(const KeySchema& ks) {
  std::vector<std::string> v;
  v.push_back(Obj()
                  .Str("AttributeName", ks.hash.name)
                  .Str("AttributeType", AttrTypeName(ks.hash.type))
                  .Done());
  if (ks.range) {
    v.push_back(Obj()
                    .Str("AttributeName", ks.range->name)
                    .Str("AttributeType", AttrTypeName(ks.range->type))
                    .Done());
  }
  return Array(v);
}

// ---- streams ---------------------------------------------------------------

struct IteratorPos {
  std::string table;
  bool trim_horizon = false;
  uint64_t after = 0;
};

std::string EncodeIterator(const IteratorPos& p) {
  std::string raw = "I1\x1f";
  raw += p.trim_horizon ? 'T' : 'A';
  raw += '\x1f';
  raw += std::to_string(p.after);
  raw += '\x1f';
  raw += p.table;
  std::string out;
  Base64Encode(raw, &out);
  return out;
}

Result<IteratorPos> DecodeIterator(std::string_view s) {
  Status bad = Validation("Invalid ShardIterator");
  Result<std::string> raw = Base64Decode(s);
  if (!raw.ok()) return bad;
  std::string_view r = *raw;
  if (!r.starts_with("I1\x1f") || r.size() < 7) return bad;
  r.remove_prefix(3);
  IteratorPos p;
  if (r[0] != 'T' && r[0] != 'A') return bad;
  p.trim_horizon = r[0] == 'T';
  if (r[1] != '\x1f') return bad;
  r.remove_prefix(2);
  size_t us = r.find('\x1f');
  if (us == std::string_view::npos || us == 0 || us > 20) return bad;
  uint64_t v = 0;
  for (char c : r.substr(0, us)) {
    if (c < '0' || c > '9') return bad;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  p.after = v;
  p.table = std::string(r.substr(us + 1));
  if (p.table.empty()) return bad;
  return p;
}

Result<uint64_t> ParseSequence(std::string_view s) {
  if (s.empty() || s.size() > 40) return Validation("Invalid SequenceNumber");
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return Validation("Invalid SequenceNumber");
    if (v > (UINT64_MAX - 9) / 10) return Validation("Invalid SequenceNumber");
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

// The table name of "arn:aws:dynamodb:R:A:table/NAME/stream/LABEL".
Result<std::string> TableOfStreamArn(std::string_view arn) {
  size_t t = arn.find(":table/");
  size_t s = arn.find("/stream/");
  if (!arn.starts_with("arn:") || t == std::string_view::npos ||
      s == std::string_view::npos || s <= t + 7) {
    return Validation("Invalid StreamArn");
  }
  return std::string(arn.substr(t + 7, s - t - 7));
}

}  // namespace

std::string ErrorBody(std::string_view type, std::string_view message) {
  bool coral = type == "SerializationException" ||
               type == "UnknownOperationException" ||
               type == "MissingAuthenticationTokenException" ||
               type == "InvalidSignatureException";
  std::string full = std::string(coral ? "com.amazon.coral.service#"
                                       : "com.amazonaws.dynamodb.v20120810#") +
                     std::string(type);
  return Obj().Str("__type", full).Str("message", message).Done();
}

namespace {

HttpResult ToHttp(const Status& s) {
  std::string_view msg = s.message();
  if (!msg.empty() && msg[0] == kErrMark) {
    size_t end = msg.find(kErrMark, 1);
    if (end != std::string_view::npos) {
      return {400, ErrorBody(msg.substr(1, end - 1), msg.substr(end + 1))};
    }
  }
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
      return {400, ErrorBody("ValidationException", msg)};
    case StatusCode::kNotFound:
      return {400, ErrorBody("ResourceNotFoundException", msg)};
    case StatusCode::kAlreadyExists:
      return {400, ErrorBody("ResourceInUseException", msg)};
    case StatusCode::kAborted:
      return {400, ErrorBody("ConditionalCheckFailedException",
                             "The conditional request failed")};
    case StatusCode::kResourceExhausted:
      return {400, ErrorBody("ProvisionedThroughputExceededException", msg)};
    case StatusCode::kDataLoss:
      return {400, ErrorBody("TrimmedDataAccessException", msg)};
    case StatusCode::kUnavailable:
      return {503, ErrorBody("ServiceUnavailable", msg)};
    default:
      return {500, ErrorBody("InternalServerError", msg)};
  }
}

}  // namespace

struct RequestHandler::Impl {
  static constexpr size_t kStripes = 1024;

  Store* store;
  HandlerOptions opts;
  std::array<std::mutex, kStripes> stripes;

  size_t StripeOf(const std::string& table, const Key& key) {
    std::string s = table;
    s.push_back('\0');
    AppendOrderedKeyBytes(key, &s);
    return std::hash<std::string>{}(s) % kStripes;
  }

  Result<std::shared_ptr<Table>> OpenTable(const std::string& name) {
    Result<std::shared_ptr<Table>> t = store->GetTable(name);
    if (!t.ok() && t.status().IsNotFound()) return TableNotFound(name);
    return t;
  }

  std::string StreamArn(const TableDescription& d) {
    return "arn:aws:dynamodb:" + opts.region + ":000000000000:table/" + d.name +
           "/stream/" + Iso8601Millis(d.created_micros);
  }

  std::string DescriptionJson(const TableDescription& d,
                              std::string_view status) {
    Obj o;
    o.Str("TableName", d.name)
        .Str("TableArn", "arn:aws:dynamodb:" + opts.region +
                             ":000000000000:table/" + d.name)
        .Str("TableStatus", status)
        .Raw("CreationDateTime",
             Num(static_cast<double>(d.created_micros) / 1e6))
        .Int("ItemCount", d.item_count)
        .Int("TableSizeBytes", d.size_bytes)
        .Raw("KeySchema", KeySchemaJson(d.key_schema))
        .Raw("AttributeDefinitions", AttributeDefinitionsJson(d.key_schema))
        .Raw(
            "ProvisionedThroughput",
            R"({"NumberOfDecreasesToday":0,"ReadCapacityUnits":0,"WriteCapacityUnits":0})")
        .Raw("BillingModeSummary", R"({"BillingMode":"PAY_PER_REQUEST"})");
    if (d.stream_enabled) {
      o.Raw("StreamSpecification",
            Obj()
                .Bool("StreamEnabled", true)
                .Str("StreamViewType", StreamViewTypeName(d.stream_view_type))
                .Done());
      o.Str("LatestStreamLabel", Iso8601Millis(d.created_micros));
      o.Str("LatestStreamArn", StreamArn(d));
    }
    return o.Done();
  }

  Result<std::string> Dispatch(std::string_view op, const Fields& f);

  // DynamoDB.
  Result<std::string> CreateTable(const Fields& f);
  Result<std::string> DescribeTable(const Fields& f);
  Result<std::string> ListTables(const Fields& f);
  Result<std::string> DeleteTable(const Fields& f);
  Result<std::string> UpdateTable(const Fields& f);
  Result<std::string> PutItem(const Fields& f);
  Result<std::string> GetItem(const Fields& f);
  Result<std::string> DeleteItem(const Fields& f);
  Result<std::string> UpdateItem(const Fields& f);
  Result<std::string> BatchWriteItem(const Fields& f);
  Result<std::string> BatchGetItem(const Fields& f);
  Result<std::string> QueryOrScan(const Fields& f, bool query);
  // Streams.
  Result<std::string> ListStreams(const Fields& f);
  Result<std::string> DescribeStream(const Fields& f);
  Result<std::string> GetShardIterator(const Fields& f);
  Result<std::string> GetRecords(const Fields& f);
};

namespace {

Result<Key> ParseKeyElement(dom::element el, const KeySchema& schema) {
  ASSIGN_OR_RETURN(Item k, ParseItemElement(el, "Key"));
  Result<Key> key = ExtractKey(k, schema);
  if (!key.ok() || k.size() != (schema.range ? 2u : 1u)) {
    return Validation("The provided key element does not match the schema");
  }
  return key;
}

Result<Key> RequiredKey(const Fields& f, const KeySchema& schema) {
  auto el = f.Get("Key");
  if (!el) {
    return Validation(
        "1 validation error detected: Value null at 'key' failed to satisfy "
        "constraint: Member must not be null");
  }
  return ParseKeyElement(*el, schema);
}

Result<ParsedCondition> OptionalCondition(const Fields& f,
                                          std::string_view field,
                                          const ExpressionContext& ctx,
                                          ExpressionKind kind) {
  ASSIGN_OR_RETURN(auto e, f.Str(field));
  if (!e) return ParsedCondition();
  return ParseCondition(*e, ctx, kind);
}

Result<std::optional<ParsedProjection>> OptionalProjection(
    const Fields& f, const ExpressionContext& ctx) {
  ASSIGN_OR_RETURN(auto e, f.Str("ProjectionExpression"));
  if (!e) return std::optional<ParsedProjection>();
  ASSIGN_OR_RETURN(ParsedProjection p, ParseProjection(*e, ctx));
  return std::optional<ParsedProjection>(std::move(p));
}

Status CheckReturnValues(const std::optional<std::string>& rv,
                         std::initializer_list<std::string_view> allowed) {
  if (!rv) return Status::OK();
  for (std::string_view a : allowed) {
    if (*rv == a) return Status::OK();
  }
  return Validation(
      "ReturnValues can only be " +
      std::string(*allowed.begin() == "NONE" && allowed.size() == 2
                      ? "ALL_OLD or NONE"
                      : "NONE, ALL_OLD, UPDATED_OLD, ALL_NEW or "
                        "UPDATED_NEW") +
      "; got " + *rv);
}

}  // namespace

Result<std::string> RequestHandler::Impl::Dispatch(std::string_view op,
                                                   const Fields& f) {
  if (op == "PutItem") return PutItem(f);
  if (op == "GetItem") return GetItem(f);
  if (op == "DeleteItem") return DeleteItem(f);
  if (op == "UpdateItem") return UpdateItem(f);
  if (op == "Query") return QueryOrScan(f, true);
  if (op == "Scan") return QueryOrScan(f, false);
  if (op == "BatchWriteItem") return BatchWriteItem(f);
  if (op == "BatchGetItem") return BatchGetItem(f);
  if (op == "CreateTable") return CreateTable(f);
  if (op == "DescribeTable") return DescribeTable(f);
  if (op == "ListTables") return ListTables(f);
  if (op == "DeleteTable") return DeleteTable(f);
  if (op == "UpdateTable") return UpdateTable(f);
  return ApiError("UnknownOperationException",
                  "Unknown operation: " + std::string(op));
}

// ---- table operations ------------------------------------------------------

Result<std::string> RequestHandler::Impl::CreateTable(const Fields& f) {
  ASSIGN_OR_RETURN(std::string name, f.Required("TableName"));
  RETURN_IF_ERROR(CheckTableName(name));
  for (std::string_view n :
       {"GlobalSecondaryIndexes", "LocalSecondaryIndexes"}) {
    if (f.Has(n)) {
      return Validation(
          "godwit serve has no secondary indexes: cannot create "
          "table " +
          name + " with " + std::string(n) + "; create it without indexes");
    }
  }
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
  std::optional<KeyAttribute> hash, range;
  size_t n = 0;
  for (dom::element k : *ks) {
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
  if (types.size() != n) {
    return Validation(
        "One or more parameter values were invalid: Number of attributes in "
        "KeySchema does not exactly match number of attributes defined in "
        "AttributeDefinitions");
  }
  TableOptions topts;
  topts.key_schema.hash = *hash;
  topts.key_schema.range = range;
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
  Status s = store->CreateTable(name, topts);
  if (s.code() == StatusCode::kAlreadyExists) {
    return ApiError("ResourceInUseException", "Table already exists: " + name);
  }
  RETURN_IF_ERROR(s);
  ASSIGN_OR_RETURN(TableDescription d, store->DescribeTable(name));
  return Obj().Raw("TableDescription", DescriptionJson(d, "ACTIVE")).Done();
}

Result<std::string> RequestHandler::Impl::DescribeTable(const Fields& f) {
  ASSIGN_OR_RETURN(std::string name, f.Required("TableName"));
  Result<TableDescription> d = store->DescribeTable(name);
  if (!d.ok() && d.status().IsNotFound()) return TableNotFound(name);
  RETURN_IF_ERROR(d.status());
  return Obj().Raw("Table", DescriptionJson(*d, "ACTIVE")).Done();
}

Result<std::string> RequestHandler::Impl::ListTables(const Fields& f) {
  ASSIGN_OR_RETURN(auto limit, f.Int("Limit"));
  ASSIGN_OR_RETURN(auto start, f.Str("ExclusiveStartTableName"));
  if (limit && (*limit < 1 || *limit > 100)) {
    return Validation(
        "1 validation error detected: Value '" + std::to_string(*limit) +
        "' at 'limit' failed to satisfy constraint: Member must have value "
        "between 1 and 100");
  }
  ASSIGN_OR_RETURN(std::vector<std::string> names, store->ListTables());
  std::sort(names.begin(), names.end());
  size_t max = static_cast<size_t>(limit.value_or(100));
  std::vector<std::string> out;
  bool more = false;
  for (const std::string& n : names) {
    if (IsInternalTable(n)) continue;
    if (start && n <= *start) continue;
    if (out.size() == max) {
      more = true;
      break;
    }
    out.push_back(Quote(n));
  }
  Obj o;
  o.Raw("TableNames", Array(out));
  if (more) {
    std::string last = out.back();
    o.Raw("LastEvaluatedTableName", last);
  }
  return o.Done();
}

Result<std::string> RequestHandler::Impl::DeleteTable(const Fields& f) {
  ASSIGN_OR_RETURN(std::string name, f.Required("TableName"));
  Result<TableDescription> d = store->DescribeTable(name);
  if (!d.ok() && d.status().IsNotFound()) return TableNotFound(name);
  RETURN_IF_ERROR(d.status());
  Status s = store->DropTable(name);
  if (s.IsNotFound()) return TableNotFound(name);
  RETURN_IF_ERROR(s);
  return Obj().Raw("TableDescription", DescriptionJson(*d, "DELETING")).Done();
}

Result<std::string> RequestHandler::Impl::UpdateTable(const Fields& f) {
  ASSIGN_OR_RETURN(std::string name, f.Required("TableName"));
  RETURN_IF_ERROR(RejectLegacy(f, {"GlobalSecondaryIndexUpdates"}));
  Result<TableDescription> d = store->DescribeTable(name);
  if (!d.ok() && d.status().IsNotFound()) return TableNotFound(name);
  RETURN_IF_ERROR(d.status());
  ASSIGN_OR_RETURN(auto spec, f.Object("StreamSpecification"));
  if (spec) {
    Fields sf(*spec);
    ASSIGN_OR_RETURN(auto enabled, sf.Bool("StreamEnabled"));
    ASSIGN_OR_RETURN(auto vt, sf.Str("StreamViewType"));
    if (!enabled) return Validation("StreamEnabled is required");
    if (*enabled) {
      if (d->stream_enabled) {
        return Validation("Table already has an enabled stream: " + name);
      }
      std::optional<StreamViewType> view =
          vt ? StreamViewTypeFromName(*vt) : std::nullopt;
      if (!view) {
        return Validation(
            "One or more parameter values were invalid: StreamViewType is "
            "required when StreamEnabled is true");
      }
      RETURN_IF_ERROR(store->UpdateStreamSpecification(name, true, *view));
    } else {
      if (!d->stream_enabled) {
        return Validation("Table does not have a stream to disable: " + name);
      }
      RETURN_IF_ERROR(store->UpdateStream(name, false));
    }
  }
  ASSIGN_OR_RETURN(TableDescription nd, store->DescribeTable(name));
  return Obj().Raw("TableDescription", DescriptionJson(nd, "ACTIVE")).Done();
}

// ---- item operations -------------------------------------------------------

Result<std::string> RequestHandler::Impl::PutItem(const Fields& f) {
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

  std::optional<Item> old;
  {
    std::lock_guard<std::mutex> l(stripes[StripeOf(name, key)]);
    // The check and the write on one table, also across a router's flip.
    RETURN_IF_ERROR(t->WithStableTable([&](Table& table) -> Status {
      Condition store_cond = Condition::None();
      if (!cond.empty()) {
        ASSIGN_OR_RETURN(std::optional<Item> cur, table.Get(key));
        if (!EvaluateCondition(cond, cur ? &*cur : nullptr)) {
          return Status::Aborted("condition");
        }
        if (!cur) store_cond = Condition::NotExists();
      }
      ASSIGN_OR_RETURN(old, table.Put(item, store_cond));
      return Status::OK();
    }));
  }
  Obj o;
  if (rv && *rv == "ALL_OLD" && old) o.Raw("Attributes", ItemJson(*old));
  if (cap) {
    size_t bytes = std::max(ItemSize(item), old ? ItemSize(*old) : 0);
    o.Raw("ConsumedCapacity", CapacityJson(name, WriteUnits(bytes)));
  }
  return o.Done();
}

Result<std::string> RequestHandler::Impl::GetItem(const Fields& f) {
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
  Obj o;
  if (item) {
    o.Raw("Item", ItemJson(proj ? ApplyProjection(*proj, *item) : *item));
  }
  if (cap) {
    o.Raw("ConsumedCapacity",
          CapacityJson(name, ReadUnits(item ? ItemSize(*item) : 0,
                                       consistent.value_or(false))));
  }
  return o.Done();
}

Result<std::string> RequestHandler::Impl::DeleteItem(const Fields& f) {
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
  std::optional<Item> old;
  {
    std::lock_guard<std::mutex> l(stripes[StripeOf(name, key)]);
    RETURN_IF_ERROR(t->WithStableTable([&](Table& table) -> Status {
      if (!cond.empty()) {
        ASSIGN_OR_RETURN(std::optional<Item> cur, table.Get(key));
        if (!EvaluateCondition(cond, cur ? &*cur : nullptr)) {
          return Status::Aborted("condition");
        }
      }
      ASSIGN_OR_RETURN(old, table.Delete(key));
      return Status::OK();
    }));
  }
  Obj o;
  if (rv && *rv == "ALL_OLD" && old) o.Raw("Attributes", ItemJson(*old));
  if (cap) {
    o.Raw("ConsumedCapacity",
          CapacityJson(name, WriteUnits(old ? ItemSize(*old) : 0)));
  }
  return o.Done();
}

Result<std::string> RequestHandler::Impl::UpdateItem(const Fields& f) {
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
  std::optional<Item> old;
  UpdateResult r;
  bool wrote = false;
  {
    std::lock_guard<std::mutex> l(stripes[StripeOf(name, key)]);
    // Read, update and write on one table, also across a router's flip
    // (else an item read from the old table could be written to the new).
    RETURN_IF_ERROR(t->WithStableTable([&](Table& table) -> Status {
      ASSIGN_OR_RETURN(old, table.Get(key));
      if (!EvaluateCondition(cond, old ? &*old : nullptr)) {
        return Status::Aborted("condition");
      }
      if (update) {
        ASSIGN_OR_RETURN(
            r, ApplyUpdate(*update, old ? &*old : nullptr, &key_item));
      } else {
        r.item = old ? *old : key_item;
      }
      // An update of an absent item that left only the key (a REMOVE of
      // nothing) creates nothing, as in DynamoDB.
      bool skip = !old && update && r.item == key_item;
      if (!skip && !(old && *old == r.item)) {
        Status valid = ValidateItem(r.item, &schema);
        if (!valid.ok()) {
          return Validation(std::string(valid.message()));
        }
        ASSIGN_OR_RETURN(std::optional<Item> prev,
                         table.Put(r.item, old ? Condition::None()
                                               : Condition::NotExists()));
        (void)prev;
        wrote = true;
      }
      return Status::OK();
    }));
  }
  Obj o;
  if (rv) {
    std::optional<Item> attrs;
    if (*rv == "ALL_OLD") {
      attrs = old;
    } else if (*rv == "ALL_NEW") {
      attrs = r.item;
    } else if (*rv == "UPDATED_OLD") {
      attrs = r.updated_old;
    } else if (*rv == "UPDATED_NEW") {
      attrs = r.updated_new;
    }
    if (attrs && !attrs->empty()) o.Raw("Attributes", ItemJson(*attrs));
  }
  if (cap) {
    size_t bytes =
        std::max(wrote ? ItemSize(r.item) : 0, old ? ItemSize(*old) : 0);
    o.Raw("ConsumedCapacity", CapacityJson(name, WriteUnits(bytes)));
  }
  return o.Done();
}

Result<std::string> RequestHandler::Impl::BatchWriteItem(const Fields& f) {
  ASSIGN_OR_RETURN(auto req, f.Object("RequestItems"));
  if (!req) return Validation("RequestItems is required");
  ASSIGN_OR_RETURN(bool cap, WantCapacity(f));
  struct TableBatch {
    std::string name;
    std::shared_ptr<Table> table;
    std::vector<WriteRequest> writes;
    std::vector<Key> keys;
    size_t bytes = 0;
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
      ASSIGN_OR_RETURN(dom::object wo, AsObject(w, "WriteRequest"));
      Fields wf(wo);
      ASSIGN_OR_RETURN(auto put, wf.Object("PutRequest"));
      ASSIGN_OR_RETURN(auto del, wf.Object("DeleteRequest"));
      if (put.has_value() == del.has_value()) {
        return Validation(
            "Supplied AttributeValue has more than one datatypes set, must "
            "contain exactly one of the supported datatypes");
      }
      Key key;
      if (put) {
        auto item_el = Fields(*put).Get("Item");
        if (!item_el) return Validation("PutRequest needs an Item");
        ASSIGN_OR_RETURN(Item item, ParseItemElement(*item_el, "Item"));
        Status valid = ValidateItem(item, &schema);
        if (!valid.ok()) {
          return Validation("One or more parameter values were invalid: " +
                            std::string(valid.message()));
        }
        ASSIGN_OR_RETURN(key, ExtractKey(item, schema));
        b.bytes += ItemSize(item);
        b.writes.push_back(WriteRequest::Put(std::move(item)));
      } else {
        auto key_el = Fields(*del).Get("Key");
        if (!key_el) return Validation("DeleteRequest needs a Key");
        ASSIGN_OR_RETURN(key, ParseKeyElement(*key_el, schema));
        b.writes.push_back(WriteRequest::Delete(key));
      }
      std::string enc;
      AppendOrderedKeyBytes(key, &enc);
      if (!seen.insert(enc).second) {
        return Validation("Provided list of item keys contains duplicates");
      }
      b.keys.push_back(std::move(key));
    }
    batches.push_back(std::move(b));
  }
  if (total == 0) {
    return Validation(
        "1 validation error detected: Value at 'requestItems' failed to "
        "satisfy constraint: Member must have length greater than or equal "
        "to 1");
  }
  Obj unprocessed;
  std::vector<std::string> caps;
  for (TableBatch& b : batches) {
    if (b.writes.empty()) continue;
    std::vector<size_t> idx;
    for (const Key& k : b.keys) idx.push_back(StripeOf(b.name, k));
    std::sort(idx.begin(), idx.end());
    idx.erase(std::unique(idx.begin(), idx.end()), idx.end());
    for (size_t i : idx) stripes[i].lock();
    Result<BatchWriteResult> r = b.table->BatchWrite(b.writes);
    for (auto it = idx.rbegin(); it != idx.rend(); ++it) stripes[*it].unlock();
    RETURN_IF_ERROR(r.status());
    if (!r->unprocessed.empty()) {
      std::vector<std::string> left;
      for (const WriteRequest& w : r->unprocessed) {
        if (w.kind == WriteRequest::Kind::kPut) {
          left.push_back(
              Obj()
                  .Raw("PutRequest", Obj().Raw("Item", ItemJson(w.item)).Done())
                  .Done());
        } else {
          left.push_back(
              Obj()
                  .Raw("DeleteRequest",
                       Obj()
                           .Raw("Key", ItemJson(KeyToItem(
                                           w.key, b.table->key_schema())))
                           .Done())
                  .Done());
        }
      }
      unprocessed.Raw(b.name, Array(left));
    }
    if (cap) {
      double units = 0;
      for (const WriteRequest& w : b.writes) {
        units += WriteUnits(
            w.kind == WriteRequest::Kind::kPut ? ItemSize(w.item) : 0);
      }
      caps.push_back(CapacityJson(b.name, units));
    }
  }
  Obj o;
  o.Raw("UnprocessedItems", unprocessed.Done());
  if (cap) o.Raw("ConsumedCapacity", Array(caps));
  return o.Done();
}

Result<std::string> RequestHandler::Impl::BatchGetItem(const Fields& f) {
  ASSIGN_OR_RETURN(auto req, f.Object("RequestItems"));
  if (!req) return Validation("RequestItems is required");
  ASSIGN_OR_RETURN(bool cap, WantCapacity(f));
  size_t total = 0;
  Obj responses;
  std::vector<std::string> caps;
  for (auto [tname, spec_el] : *req) {
    std::string name(tname);
    ASSIGN_OR_RETURN(std::shared_ptr<Table> t, OpenTable(name));
    ASSIGN_OR_RETURN(dom::object so, AsObject(spec_el, "KeysAndAttributes"));
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
      std::string enc;
      AppendOrderedKeyBytes(key, &enc);
      if (!seen.insert(enc).second) {
        return Validation("Provided list of item keys contains duplicates");
      }
      parsed.push_back(std::move(key));
    }
    std::vector<std::string> items;
    double units = 0;
    for (const Key& key : parsed) {
      ASSIGN_OR_RETURN(std::optional<Item> item, t->Get(key));
      units +=
          ReadUnits(item ? ItemSize(*item) : 0, consistent.value_or(false));
      if (item) {
        items.push_back(ItemJson(proj ? ApplyProjection(*proj, *item) : *item));
      }
    }
    responses.Raw(name, Array(items));
    if (cap) caps.push_back(CapacityJson(name, units));
  }
  if (total == 0) {
    return Validation("RequestItems must contain at least one key");
  }
  Obj o;
  o.Raw("Responses", responses.Done()).Raw("UnprocessedKeys", "{}");
  if (cap) o.Raw("ConsumedCapacity", Array(caps));
  return o.Done();
}

Result<std::string> RequestHandler::Impl::QueryOrScan(const Fields& f,
                                                      bool query) {
  ASSIGN_OR_RETURN(std::string name, f.Required("TableName"));
  RETURN_IF_ERROR(
      RejectLegacy(f, {"IndexName", "AttributesToGet", "KeyConditions",
                       "QueryFilter", "ScanFilter", "ConditionalOperator"}));
  ASSIGN_OR_RETURN(std::shared_ptr<Table> t, OpenTable(name));
  const KeySchema& schema = t->key_schema();
  ASSIGN_OR_RETURN(ExpressionContext ctx, BuildContext(f));
  std::optional<KeyCondition> kc;
  if (query) {
    ASSIGN_OR_RETURN(auto kce, f.Str("KeyConditionExpression"));
    if (!kce) {
      return Validation(
          "Either the KeyConditions or KeyConditionExpression parameter must "
          "be specified in the request.");
    }
    ASSIGN_OR_RETURN(KeyCondition k, ParseKeyCondition(*kce, ctx, schema));
    kc = std::move(k);
  }
  ASSIGN_OR_RETURN(
      ParsedCondition filter,
      OptionalCondition(f, "FilterExpression", ctx, ExpressionKind::kFilter));
  if (query && !filter.empty()) {
    // DynamoDB: a Query's filter may not use key attributes (the key
    // condition does that).
    std::map<std::string, std::string> names;
    ASSIGN_OR_RETURN(auto n, f.Object("ExpressionAttributeNames"));
    if (n) {
      for (auto [k, v] : *n) {
        std::string_view sv;
        if (v.get_string().get(sv) == simdjson::SUCCESS) {
          names[std::string(k)] = std::string(sv);
        }
      }
    }
    ASSIGN_OR_RETURN(auto fe, f.Str("FilterExpression"));
    for (const std::string& a : TopLevelNames(*fe, names)) {
      if (a == schema.hash.name || (schema.range && a == schema.range->name)) {
        return Validation(
            "Filter Expression can only contain non-primary key attributes: "
            "Primary key attribute: " +
            a);
      }
    }
  }
  ASSIGN_OR_RETURN(auto proj, OptionalProjection(f, ctx));
  RETURN_IF_ERROR(CheckAllUsed(ctx));
  ASSIGN_OR_RETURN(auto limit, f.Int("Limit"));
  if (limit && *limit < 1) {
    return Validation(
        "1 validation error detected: Value '" + std::to_string(*limit) +
        "' at 'limit' failed to satisfy constraint: Member must have value "
        "greater than or equal to 1");
  }
  ASSIGN_OR_RETURN(auto select, f.Str("Select"));
  bool count_only = false;
  if (select) {
    if (*select == "COUNT") {
      count_only = true;
    } else if (*select == "SPECIFIC_ATTRIBUTES") {
      if (!proj) {
        return Validation(
            "Select type SPECIFIC_ATTRIBUTES requires a ProjectionExpression");
      }
    } else if (*select != "ALL_ATTRIBUTES") {
      return Validation("Select type " + *select +
                        " is not supported without an index");
    }
    if (count_only && proj) {
      return Validation(
          "Cannot specify the ProjectionExpression when choosing to get a "
          "COUNT");
    }
  }
  ASSIGN_OR_RETURN(auto consistent, f.Bool("ConsistentRead"));
  ASSIGN_OR_RETURN(bool cap, WantCapacity(f));
  size_t page_limit = limit ? static_cast<size_t>(*limit) : size_t{1} << 30;

  std::optional<Key> start_key;
  auto start_el = f.Get("ExclusiveStartKey");
  if (start_el) {
    Result<Key> sk = ParseKeyElement(*start_el, schema);
    if (!sk.ok()) return Validation("The provided starting key is invalid");
    if (kc && !(sk->hash == kc->hash_value)) {
      return Validation(
          "The provided starting key is invalid: The provided key element "
          "does not match the schema");
    }
    start_key = *std::move(sk);
  }

  Result<Page> page = Status::Internal("unset");
  if (query) {
    QueryOptions q;
    q.hash = kc->hash_value;
    if (kc->sort) {
      const SortKeyCondition& s = *kc->sort;
      using Op = RangeCondition::Op;
      switch (s.op) {
        case SortKeyOp::kEq:
          q.range.op = Op::kEq;
          break;
        case SortKeyOp::kLt:
          q.range.op = Op::kLt;
          break;
        case SortKeyOp::kLe:
          q.range.op = Op::kLe;
          break;
        case SortKeyOp::kGt:
          q.range.op = Op::kGt;
          break;
        case SortKeyOp::kGe:
          q.range.op = Op::kGe;
          break;
        case SortKeyOp::kBetween:
          q.range.op = Op::kBetween;
          break;
        case SortKeyOp::kBeginsWith:
          q.range.op = Op::kBeginsWith;
          break;
      }
      q.range.a = s.value;
      q.range.b = s.upper;
    }
    ASSIGN_OR_RETURN(auto fwd, f.Bool("ScanIndexForward"));
    q.forward = fwd.value_or(true);
    q.limit = page_limit;
    q.exclusive_start_key = start_key;
    page = t->Query(q);
  } else {
    ASSIGN_OR_RETURN(auto seg, f.Int("Segment"));
    ASSIGN_OR_RETURN(auto total, f.Int("TotalSegments"));
    if (seg.has_value() != total.has_value()) {
      return Validation(
          "The TotalSegments parameter is required but was not present in "
          "the request when Segment parameter is present");
    }
    ScanOptions s;
    if (total) {
      if (*total < 1 || *total > 1000000) {
        return Validation(
            "1 validation error detected: Value '" + std::to_string(*total) +
            "' at 'totalSegments' failed to satisfy constraint: Member must "
            "have value between 1 and 1000000");
      }
      if (*seg < 0 || *seg >= *total) {
        return Validation(
            "The Segment parameter is zero-based and must be less than "
            "parameter TotalSegments: Segment: " +
            std::to_string(*seg) +
            " is not less than TotalSegments: " + std::to_string(*total));
      }
      s.segment = static_cast<int>(*seg);
      s.total_segments = static_cast<int>(*total);
    }
    s.limit = page_limit;
    s.exclusive_start_key = start_key;
    page = t->Scan(s);
  }
  if (!page.ok()) {
    if (page.status().IsInvalidArgument()) {
      return Validation("The provided starting key is invalid: " +
                        std::string(page.status().message()));
    }
    return page.status();
  }
  std::vector<std::string> items;
  size_t count = 0;
  size_t bytes = 0;
  for (const Item& item : page->items) {
    bytes += ItemSize(item);
    if (!EvaluateCondition(filter, &item)) continue;
    ++count;
    if (!count_only) {
      items.push_back(ItemJson(proj ? ApplyProjection(*proj, item) : item));
    }
  }
  Obj o;
  if (!count_only) o.Raw("Items", Array(items));
  o.Int("Count", count).Int("ScannedCount", page->items.size());
  if (!page->next_page_token.empty()) {
    std::optional<Key> last = page->last_evaluated_key;
    if (!last && !page->items.empty()) {
      ASSIGN_OR_RETURN(last, ExtractKey(page->items.back(), schema));
    }
    if (last) o.Raw("LastEvaluatedKey", ItemJson(KeyToItem(*last, schema)));
  }
  if (cap) {
    o.Raw("ConsumedCapacity",
          CapacityJson(name, ReadUnits(bytes, consistent.value_or(false))));
  }
  return o.Done();
}

// ---- streams ---------------------------------------------------------------

Result<std::string> RequestHandler::Impl::ListStreams(const Fields& f) {
  ASSIGN_OR_RETURN(auto only, f.Str("TableName"));
  ASSIGN_OR_RETURN(auto limit, f.Int("Limit"));
  ASSIGN_OR_RETURN(auto start, f.Str("ExclusiveStartStreamArn"));
  if (limit && (*limit < 1 || *limit > 100)) {
    return Validation("Limit must be between 1 and 100");
  }
  std::optional<std::string> start_table;
  if (start) {
    ASSIGN_OR_RETURN(std::string st, TableOfStreamArn(*start));
    start_table = st;
  }
  std::vector<std::string> names;
  if (only) {
    names.push_back(*only);
  } else {
    ASSIGN_OR_RETURN(names, store->ListTables());
    std::sort(names.begin(), names.end());
  }
  std::vector<std::string> out;
  std::string last_arn;
  bool more = false;
  size_t max = static_cast<size_t>(limit.value_or(100));
  for (const std::string& n : names) {
    if (IsInternalTable(n)) continue;
    if (start_table && n <= *start_table) continue;
    Result<TableDescription> d = store->DescribeTable(n);
    if (!d.ok()) {
      if (d.status().IsNotFound()) {
        if (only) return TableNotFound(n);
        continue;
      }
      return d.status();
    }
    if (!d->stream_enabled) continue;
    if (out.size() == max) {
      more = true;
      break;
    }
    last_arn = StreamArn(*d);
    out.push_back(Obj()
                      .Str("StreamArn", last_arn)
                      .Str("TableName", n)
                      .Str("StreamLabel", Iso8601Millis(d->created_micros))
                      .Done());
  }
  Obj o;
  o.Raw("Streams", Array(out));
  if (more) o.Str("LastEvaluatedStreamArn", last_arn);
  return o.Done();
}

Result<std::string> RequestHandler::Impl::DescribeStream(const Fields& f) {
  ASSIGN_OR_RETURN(std::string arn, f.Required("StreamArn"));
  ASSIGN_OR_RETURN(std::string table, TableOfStreamArn(arn));
  Result<TableDescription> d = store->DescribeTable(table);
  if (!d.ok() && d.status().IsNotFound()) {
    return ApiError(
        "ResourceNotFoundException",
        "Requested resource not found: Stream: " + arn + " not found");
  }
  RETURN_IF_ERROR(d.status());
  std::string shard =
      Obj()
          .Str("ShardId", kShardId)
          .Raw("SequenceNumberRange",
               Obj()
                   .Str("StartingSequenceNumber",
                        SequenceString(d->stream_first_sequence))
                   .Done())
          .Done();
  std::string desc =
      Obj()
          .Str("StreamArn", StreamArn(*d))
          .Str("StreamLabel", Iso8601Millis(d->created_micros))
          .Str("StreamStatus", d->stream_enabled ? "ENABLED" : "DISABLED")
          .Str("StreamViewType", StreamViewTypeName(d->stream_view_type))
          .Raw("CreationRequestDateTime",
               Num(static_cast<double>(d->created_micros) / 1e6))
          .Str("TableName", table)
          .Raw("KeySchema", KeySchemaJson(d->key_schema))
          .Raw("Shards", "[" + shard + "]")
          .Done();
  return Obj().Raw("StreamDescription", desc).Done();
}

Result<std::string> RequestHandler::Impl::GetShardIterator(const Fields& f) {
  ASSIGN_OR_RETURN(std::string arn, f.Required("StreamArn"));
  ASSIGN_OR_RETURN(std::string shard, f.Required("ShardId"));
  ASSIGN_OR_RETURN(std::string type, f.Required("ShardIteratorType"));
  ASSIGN_OR_RETURN(auto seq_text, f.Str("SequenceNumber"));
  ASSIGN_OR_RETURN(std::string table, TableOfStreamArn(arn));
  Result<TableDescription> d = store->DescribeTable(table);
  if (!d.ok() && d.status().IsNotFound()) {
    return ApiError(
        "ResourceNotFoundException",
        "Requested resource not found: Stream: " + arn + " not found");
  }
  RETURN_IF_ERROR(d.status());
  if (shard != kShardId) {
    return ApiError("ResourceNotFoundException",
                    "Requested resource not found: Shard does not exist");
  }
  IteratorPos p;
  p.table = table;
  if (type == "TRIM_HORIZON") {
    p.trim_horizon = true;
  } else if (type == "LATEST") {
    p.after = d->latest_sequence;
  } else if (type == "AT_SEQUENCE_NUMBER" || type == "AFTER_SEQUENCE_NUMBER") {
    if (!seq_text) {
      return Validation("SequenceNumber is required for " + type);
    }
    ASSIGN_OR_RETURN(uint64_t seq, ParseSequence(*seq_text));
    if (seq > d->latest_sequence) {
      return Validation("Invalid SequenceNumber: " + *seq_text +
                        " is beyond the end of the shard");
    }
    if (type == "AT_SEQUENCE_NUMBER") {
      if (seq == 0) return Validation("Invalid SequenceNumber: 0");
      p.after = seq - 1;
    } else {
      p.after = seq;
    }
    if (p.after + 1 < d->stream_first_sequence) {
      return ApiError("TrimmedDataAccessException",
                      "The requested sequence number " + *seq_text +
                          " is beyond the trim horizon");
    }
  } else {
    return Validation(
        "1 validation error detected: Value '" + type +
        "' at 'shardIteratorType' failed to satisfy constraint: Member must "
        "satisfy enum value set: [AFTER_SEQUENCE_NUMBER, LATEST, "
        "AT_SEQUENCE_NUMBER, TRIM_HORIZON]");
  }
  return Obj().Str("ShardIterator", EncodeIterator(p)).Done();
}

Result<std::string> RequestHandler::Impl::GetRecords(const Fields& f) {
  ASSIGN_OR_RETURN(std::string it_text, f.Required("ShardIterator"));
  ASSIGN_OR_RETURN(auto limit, f.Int("Limit"));
  if (limit && (*limit < 1 || *limit > 1000)) {
    return Validation("Limit must be between 1 and 1000");
  }
  ASSIGN_OR_RETURN(IteratorPos p, DecodeIterator(it_text));
  Result<std::shared_ptr<Table>> t = store->GetTable(p.table);
  if (!t.ok() && t.status().IsNotFound()) {
    return ApiError("ResourceNotFoundException",
                    "Requested resource not found: the stream's table " +
                        p.table + " does not exist");
  }
  RETURN_IF_ERROR(t.status());
  Result<std::unique_ptr<StreamReader>> reader =
      (*t)->OpenStream(p.trim_horizon ? StreamPosition::TrimHorizon()
                                      : StreamPosition::After(p.after));
  if (!reader.ok()) {
    if (reader.status().code() == StatusCode::kFailedPrecondition) {
      return Validation("The stream of table " + p.table + " is disabled");
    }
    if (reader.status().code() == StatusCode::kOutOfRange) {
      return Validation("Invalid ShardIterator: " +
                        std::string(reader.status().message()));
    }
    return reader.status();
  }
  ASSIGN_OR_RETURN(TableDescription desc, (*t)->Describe());
  std::vector<ChangeRecord> records;
  RETURN_IF_ERROR(
      (*reader)->Read(static_cast<size_t>(limit.value_or(1000)), &records));
  const StreamViewType vt = desc.stream_view_type;
  std::string_view view = StreamViewTypeName(vt);
  bool want_new =
      vt == StreamViewType::kNewImage || vt == StreamViewType::kNewAndOldImages;
  bool want_old =
      vt == StreamViewType::kOldImage || vt == StreamViewType::kNewAndOldImages;
  std::vector<std::string> out;
  for (const ChangeRecord& r : records) {
    size_t size = ItemSize(r.keys);
    Obj db;
    db.Raw("ApproximateCreationDateTime",
           Num(static_cast<double>(r.time_micros / 1000000)))
        .Raw("Keys", ItemJson(r.keys));
    if (want_new && r.new_image) {
      db.Raw("NewImage", ItemJson(*r.new_image));
      size += ItemSize(*r.new_image);
    }
    if (want_old && r.old_image) {
      db.Raw("OldImage", ItemJson(*r.old_image));
      size += ItemSize(*r.old_image);
    }
    db.Str("SequenceNumber", SequenceString(r.sequence))
        .Int("SizeBytes", size)
        .Str("StreamViewType", view);
    char id[64];
    std::snprintf(id, sizeof(id), "%016zx%016" PRIx64,
                  std::hash<std::string>{}(p.table), r.sequence);
    out.push_back(Obj()
                      .Str("eventID", id)
                      .Str("eventName", ChangeTypeName(r.type))
                      .Str("eventVersion", "1.1")
                      .Str("eventSource", "aws:dynamodb")
                      .Str("awsRegion", opts.region)
                      .Raw("dynamodb", db.Done())
                      .Done());
  }
  IteratorPos next = p;
  next.trim_horizon = false;
  next.after = (*reader)->position();
  return Obj()
      .Raw("Records", Array(out))
      .Str("NextShardIterator", EncodeIterator(next))
      .Done();
}

// ---- RequestHandler --------------------------------------------------------

RequestHandler::RequestHandler(Store* store, HandlerOptions opts)
    : impl_(std::make_unique<Impl>()) {
  impl_->store = store;
  impl_->opts = std::move(opts);
}

RequestHandler::~RequestHandler() = default;

HttpResult RequestHandler::Handle(std::string_view target,
                                  std::string_view body) {
  try {
    constexpr std::string_view kDynamo = "DynamoDB_20120810.";
    constexpr std::string_view kStreams = "DynamoDBStreams_20120810.";
    bool streams = false;
    std::string_view op;
    if (target.starts_with(kAdminTargetPrefix) && impl_->opts.admin) {
      return impl_->opts.admin(target.substr(kAdminTargetPrefix.size()), body);
    }
    if (target.starts_with(kDynamo)) {
      op = target.substr(kDynamo.size());
    } else if (target.starts_with(kStreams)) {
      op = target.substr(kStreams.size());
      streams = true;
    } else {
      return {400, ErrorBody("UnknownOperationException",
                             target.empty() ? "Missing X-Amz-Target header"
                                            : "Unknown operation")};
    }
    thread_local dom::parser parser;
    dom::element doc;
    if (parser.parse(body.data(), body.size()).get(doc) != simdjson::SUCCESS) {
      return {400, ErrorBody("SerializationException",
                             "Malformed JSON request body")};
    }
    dom::object obj;
    if (doc.get_object().get(obj) != simdjson::SUCCESS) {
      return {400, ErrorBody("SerializationException",
                             "The request body must be a JSON object")};
    }
    Fields f(obj);
    Result<std::string> r = Status::Internal("unset");
    if (streams) {
      if (op == "ListStreams") {
        r = impl_->ListStreams(f);
      } else if (op == "DescribeStream") {
        r = impl_->DescribeStream(f);
      } else if (op == "GetShardIterator") {
        r = impl_->GetShardIterator(f);
      } else if (op == "GetRecords") {
        r = impl_->GetRecords(f);
      } else {
        r = ApiError("UnknownOperationException",
                     "Unknown operation: " + std::string(op));
      }
    } else {
      r = impl_->Dispatch(op, f);
    }
    if (!r.ok()) return ToHttp(r.status());
    return {200, *std::move(r)};
  } catch (const std::exception& e) {
    return {500, ErrorBody("InternalServerError", e.what())};
  } catch (...) {
    return {500, ErrorBody("InternalServerError", "unknown error")};
  }
}

}  // namespace godwit::server
