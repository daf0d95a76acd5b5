// Outcome counting and the dead-letter file.
//
// Dead-letter file: JSON lines, one per source item that failed or was
// invalid, at most one per source key and phase:
//   line  := {"run": string, "table": string, "phase": phase,
//             "migration": string, "kind": "failed" | "invalid",
//             "reason": string, "traceback": string,
//             "key": item, "item": item}
//   phase := "backfill" | "replay" | "reverse-sync" | "verify" | "dry-run"
//   item  := DynamoDB-JSON of an item (godwit/json.h)
// "key" holds the source key attributes (or the whole item when they are
// missing), "item" the whole source item, so a dead letter can be fixed by
// hand and re-imported. "run" is empty outside a run. The same grammar is in
// docs/formats/dead-letter.md and docs/migrations.md (a test keeps the
// three and the writer in step).
#include <simdjson.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "godwit/json.h"
#include "godwit/transform.h"

namespace godwit {

std::string_view ItemOutcomeKindName(ItemOutcome::Kind kind) {
  switch (kind) {
    case ItemOutcome::Kind::kOk:
      return "ok";
    case ItemOutcome::Kind::kDropped:
      return "dropped";
    case ItemOutcome::Kind::kFailed:
      return "failed";
    case ItemOutcome::Kind::kInvalid:
      return "invalid";
  }
  return "unknown";
}

void TransformStats::Add(const ItemOutcome& outcome) {
  ++items_in;
  switch (outcome.kind) {
    case ItemOutcome::Kind::kOk:
      items_out += outcome.items.size();
      if (outcome.items.size() > 1) ++fanned_out;
      break;
    case ItemOutcome::Kind::kDropped:
      ++dropped;
      break;
    case ItemOutcome::Kind::kFailed:
      ++failed;
      break;
    case ItemOutcome::Kind::kInvalid:
      ++invalid;
      break;
  }
}

namespace {

void AppendKeyValue(const AttributeValue& v, std::string* out) {
  switch (v.type()) {
    case AttrType::kS:
      out->append(v.s());
      break;
    case AttrType::kN:
      out->append(v.n().text());
      break;
    case AttrType::kB:
      Base64Encode(v.b(), out);
      break;
    default:
      out->append(DebugString(v));
      break;
  }
}

Item KeyAttributes(const Item& item, const KeySchema& schema) {
  Item key;
  if (schema.hash.name.empty()) return item;
  const AttributeValue* h = item.Find(schema.hash.name);
  if (h == nullptr) return item;
  key.Set(schema.hash.name, *h);
  if (schema.range) {
    const AttributeValue* r = item.Find(schema.range->name);
    if (r == nullptr) return item;
    key.Set(schema.range->name, *r);
  }
  return key;
}

}  // namespace

std::string DescribeItemKey(const Item& item, const KeySchema& key_schema) {
  const AttributeValue* h =
      key_schema.hash.name.empty() ? nullptr : item.Find(key_schema.hash.name);
  if (h == nullptr) {
    std::string d = DebugString(item);
    if (d.size() > 120) d = d.substr(0, 117) + "...";
    return "item " + d;
  }
  std::string out = key_schema.hash.name + "=";
  AppendKeyValue(*h, &out);
  if (key_schema.range) {
    if (const AttributeValue* r = item.Find(key_schema.range->name)) {
      out += " " + key_schema.range->name + "=";
      AppendKeyValue(*r, &out);
    }
  }
  return out;
}

ItemError ItemErrorOf(const ItemOutcome& outcome) {
  return ItemError{outcome.kind, outcome.migration, outcome.reason,
                   outcome.traceback};
}

std::string DeadLetterLine(const DeadLetterSource& source,
                           std::string_view phase, const Item& item,
                           const KeySchema& key_schema,
                           const ItemError& error) {
  std::string line = "{\"run\":";
  AppendJsonQuoted(source.run_id, &line);
  line += ",\"table\":";
  AppendJsonQuoted(source.table, &line);
  line += ",\"phase\":";
  AppendJsonQuoted(phase, &line);
  line += ",\"migration\":";
  AppendJsonQuoted(error.migration, &line);
  line += ",\"kind\":";
  AppendJsonQuoted(ItemOutcomeKindName(error.kind), &line);
  line += ",\"reason\":";
  AppendJsonQuoted(error.reason, &line);
  line += ",\"traceback\":";
  AppendJsonQuoted(error.traceback, &line);
  line += ",\"key\":";
  WriteItemJson(KeyAttributes(item, key_schema), &line);
  line += ",\"item\":";
  WriteItemJson(item, &line);
  line += "}";
  return line;
}

namespace {

std::string SeenKey(std::string_view phase, const Item& key) {
  std::string k(phase);
  k.push_back('\0');
  WriteItemJson(key, &k);
  return k;
}

}  // namespace

DeadLetterWriter::DeadLetterWriter(std::FILE* f, std::string path,
                                   DeadLetterSource source)
    : file_(f), path_(std::move(path)), source_(std::move(source)) {}

DeadLetterWriter::~DeadLetterWriter() {
  if (file_ != nullptr) std::fclose(file_);
}

Result<std::unique_ptr<DeadLetterWriter>> DeadLetterWriter::Open(
    const std::string& path, DeadLetterSource source) {
  std::set<std::string> seen;
  {
    std::ifstream in(path);
    std::string line;
    simdjson::dom::parser parser;
    JsonParser items;
    for (int n = 1; std::getline(in, line); ++n) {
      if (line.empty()) continue;
      auto bad = [&](std::string_view why) {
        return Status::DataLoss("dead-letter file " + path + " line " +
                                std::to_string(n) + ": " + std::string(why));
      };
      simdjson::dom::element doc;
      if (parser.parse(line).get(doc) != simdjson::SUCCESS) {
        return bad("not JSON");
      }
      std::string_view phase;
      simdjson::dom::element key;
      if (doc["phase"].get_string().get(phase) != simdjson::SUCCESS ||
          doc["key"].get(key) != simdjson::SUCCESS) {
        return bad("not a dead letter (no \"phase\" or \"key\")");
      }
      Result<Item> k = items.ParseItem(simdjson::minify(key));
      if (!k.ok()) return bad(k.status().message());
      seen.insert(SeenKey(phase, *k));
    }
  }
  std::FILE* f = std::fopen(path.c_str(), "ab");
  if (f == nullptr) {
    return Status::IOError("dead-letter file " + path + ": " +
                           std::strerror(errno));
  }
  auto w = std::unique_ptr<DeadLetterWriter>(
      new DeadLetterWriter(f, path, std::move(source)));
  w->seen_ = std::move(seen);
  return w;
}

Result<bool> DeadLetterWriter::Write(std::string_view phase, const Item& item,
                                     const KeySchema& key_schema,
                                     const ItemError& error) {
  if (!seen_.insert(SeenKey(phase, KeyAttributes(item, key_schema))).second) {
    return false;
  }
  std::string line = DeadLetterLine(source_, phase, item, key_schema, error);
  line.push_back('\n');
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size()) {
    return Status::IOError("dead-letter file " + path_ + ": " +
                           std::strerror(errno));
  }
  ++written_;
  return true;
}

Status DeadLetterWriter::Flush() {
  if (std::fflush(file_) != 0) {
    return Status::IOError("dead-letter file " + path_ + ": " +
                           std::strerror(errno));
  }
  return Status::OK();
}

}  // namespace godwit
