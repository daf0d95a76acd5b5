// Query and Scan: one page each, continued from a key (the
// ExclusiveStartKey a client sends back). The server never makes or reads a
// store's page token: it sends the key the store reports as the last one
// evaluated (Page::last_evaluated_key, else the last item's key) and passes
// an ExclusiveStartKey to the store as QueryOptions/ScanOptions::
// exclusive_start_key, so it works over any Store (and through stores that
// wrap another and pass options on, such as the migration router).
#include <cctype>
#include <map>
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

namespace {

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

}  // namespace

Result<std::string> Operations::QueryOrScan(const Fields& f, bool query) {
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
  JsonArray items;
  size_t count = 0;
  size_t bytes = 0;
  for (const Item& item : page->items) {
    bytes += ItemSize(item);
    if (!EvaluateCondition(filter, &item)) continue;
    ++count;
    if (!count_only) {
      items.Item(proj ? ApplyProjection(*proj, item) : item);
    }
  }
  JsonObject o;
  if (!count_only) o.Array("Items", std::move(items));
  o.Uint("Count", count).Uint("ScannedCount", page->items.size());
  if (!page->next_page_token.empty()) {
    std::optional<Key> last = page->last_evaluated_key;
    if (!last && !page->items.empty()) {
      ASSIGN_OR_RETURN(last, ExtractKey(page->items.back(), schema));
    }
    if (last) o.Item("LastEvaluatedKey", KeyToItem(*last, schema));
  }
  const double units = ReadUnits(bytes, consistent.value_or(false));
  Charge(name, units, 0);
  if (cap) o.Raw("ConsumedCapacity", CapacityJson(name, units));
  return o.Done();
}

}  // namespace godwit::server
