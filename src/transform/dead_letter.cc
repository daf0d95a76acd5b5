// Outcome counting and the dead-letter file.
//
// Dead-letter file: JSON lines, one per item that failed or was invalid.
//   line := {"migration": string, "kind": "failed" | "invalid",
//            "reason": string, "key": item, "item": item,
//            "traceback": string}
//   item := DynamoDB-JSON of an item (godwit/json.h)
// "key" holds the source key attributes (or the whole item when they are
// missing), "item" the whole source item, so a dead letter can be fixed by
// hand and re-imported.
#include <cerrno>
#include <cstring>

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

std::string DeadLetterLine(const Item& source, const KeySchema& key_schema,
                           const ItemOutcome& outcome) {
  std::string line = "{\"migration\":";
  AppendJsonQuoted(outcome.migration, &line);
  line += ",\"kind\":";
  AppendJsonQuoted(ItemOutcomeKindName(outcome.kind), &line);
  line += ",\"reason\":";
  AppendJsonQuoted(outcome.reason, &line);
  line += ",\"key\":";
  WriteItemJson(KeyAttributes(source, key_schema), &line);
  line += ",\"item\":";
  WriteItemJson(source, &line);
  line += ",\"traceback\":";
  AppendJsonQuoted(outcome.traceback, &line);
  line += "}";
  return line;
}

DeadLetterWriter::DeadLetterWriter(std::FILE* f, std::string path)
    : file_(f), path_(std::move(path)) {}

DeadLetterWriter::~DeadLetterWriter() {
  if (file_ != nullptr) std::fclose(file_);
}

Result<std::unique_ptr<DeadLetterWriter>> DeadLetterWriter::Open(
    const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "ab");
  if (f == nullptr) {
    return Status::IOError("dead-letter file " + path + ": " +
                           std::strerror(errno));
  }
  return std::unique_ptr<DeadLetterWriter>(new DeadLetterWriter(f, path));
}

Status DeadLetterWriter::Write(const Item& source, const KeySchema& key_schema,
                               const ItemOutcome& outcome) {
  std::string line = DeadLetterLine(source, key_schema, outcome);
  line.push_back('\n');
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size()) {
    return Status::IOError("dead-letter file " + path_ + ": " +
                           std::strerror(errno));
  }
  ++written_;
  return Status::OK();
}

Status DeadLetterWriter::Flush() {
  if (std::fflush(file_) != 0) {
    return Status::IOError("dead-letter file " + path_ + ": " +
                           std::strerror(errno));
  }
  return Status::OK();
}

}  // namespace godwit
