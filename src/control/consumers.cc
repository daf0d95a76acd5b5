// Consumers' acknowledgements in the control table (see consumers.h).
//
// The record (also docs/formats/consumers.md), one item of `godwit_control`:
//
//   key      := pk:S = "consumer#" table    sk:S = name
//   table    := the logical table whose stream the consumer reads
//   name     := 1 to 64 of [A-Za-z0-9._-]
//   item     := key position:N at:N by:S
//   position := the sequence number (decimal, 0 <= position < 2^64) up to
//               which the consumer processed every record of the stream
//   at       := microseconds since the Unix epoch (UTC) of the
//               acknowledgement that set `position`
//   by       := who acknowledged: "<host> <pid>"
//
// Other attributes are ignored. A record is only ever replaced by one with
// a greater position, with a put on the condition that `position` is still
// the one read (or that the record is absent): concurrent acknowledgements
// end with the greatest.
#include "control/consumers.h"

#include <charconv>
#include <chrono>

#include "control/control_table.h"
#include "control/lease.h"

namespace godwit::control {
namespace {

constexpr char kConsumerPrefix[] = "consumer#";

std::string ConsumerPk(const std::string& table) {
  return kConsumerPrefix + table;
}

AttributeValue PositionValue(uint64_t position) {
  return AttributeValue::N(
      Number::FromCanonicalUnchecked(std::to_string(position)));
}

// The position of a record; false if it has none or it is not a uint64.
bool GetPosition(const Item& item, uint64_t* out) {
  const AttributeValue* v = item.Find("position");
  if (v == nullptr || !v->is(AttrType::kN)) return false;
  const std::string& text = v->n().text();
  auto [end, ec] =
      std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size() &&
         text[0] != '-';
}

Result<ConsumerAck> FromItem(const std::string& table, const Item& item) {
  ConsumerAck a;
  a.table = table;
  if (!GetS(item, "sk", &a.name) || !GetPosition(item, &a.position)) {
    return Status::DataLoss(
        "control table: the consumer record of " + table +
        " lacks sk or a position of 0 to 2^64-1: " + DebugString(item));
  }
  GetN(item, "at", &a.at_micros);
  GetS(item, "by", &a.by);
  return a;
}

std::string PositionText(uint64_t p) { return std::to_string(p); }

}  // namespace

Status ValidateConsumerName(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 64;
  for (char c : name) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-');
  }
  if (ok) return Status::OK();
  return Status::InvalidArgument("bad consumer name \"" + name +
                                 "\": 1 to 64 letters, digits, '.', '_' "
                                 "or '-'");
}

Result<uint64_t> AckConsumer(Store* store, const std::string& table,
                             const std::string& name, uint64_t position) {
  RETURN_IF_ERROR(ValidateConsumerName(name));
  if (table.empty()) return Status::InvalidArgument("no table given");
  RETURN_IF_ERROR(EnsureControlTable(store));
  ASSIGN_OR_RETURN(std::shared_ptr<Table> t, store->GetTable(kControlTable));
  const Key key = ControlKey(ConsumerPk(table), name);
  const LeaseOwner& me = ThisProcess();
  for (int attempt = 0; attempt < 16; ++attempt) {
    ASSIGN_OR_RETURN(std::optional<Item> old, t->Get(key));
    Condition cond = Condition::NotExists();
    if (old) {
      ASSIGN_OR_RETURN(ConsumerAck was, FromItem(table, *old));
      if (was.position >= position) return was.position;  // never back
      cond =
          Condition::AttributeEquals("position", PositionValue(was.position));
    }
    Item item;
    item.Set("pk", AttributeValue::S(ConsumerPk(table)));
    item.Set("sk", AttributeValue::S(name));
    item.Set("position", PositionValue(position));
    item.Set("at", Num(std::chrono::duration_cast<std::chrono::microseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count()));
    item.Set("by", AttributeValue::S(me.host + " " + std::to_string(me.pid)));
    Result<std::optional<Item>> put = t->Put(item, cond);
    if (put.ok()) return position;
    if (!put.status().IsAborted()) return put.status();
    // Another acknowledgement came in between: read it and compare again.
  }
  return Status::Aborted("consumer " + name + " of " + table +
                         ": the acknowledgement kept changing under 16 "
                         "attempts; try again");
}

Result<std::vector<ConsumerAck>> ListConsumers(Store* store,
                                               const std::string& table) {
  std::vector<ConsumerAck> out;
  Result<std::shared_ptr<Table>> t = store->GetTable(kControlTable);
  if (!t.ok()) {
    if (t.status().IsNotFound()) return out;
    return t.status();
  }
  QueryOptions q;
  q.hash = AttributeValue::S(ConsumerPk(table));
  for (;;) {
    ASSIGN_OR_RETURN(Page page, (*t)->Query(q));
    for (const Item& item : page.items) {
      ASSIGN_OR_RETURN(ConsumerAck a, FromItem(table, item));
      out.push_back(std::move(a));
    }
    if (page.next_page_token.empty()) break;
    q.page_token = page.next_page_token;
  }
  return out;  // by name: the sort key's order
}

Result<std::string> ConsumersBehind(Store* store, const std::string& table,
                                    const std::vector<std::string>& names,
                                    uint64_t target) {
  if (names.empty()) return std::string();
  ASSIGN_OR_RETURN(std::vector<ConsumerAck> acks, ListConsumers(store, table));
  std::string behind;
  for (const std::string& name : names) {
    const ConsumerAck* found = nullptr;
    for (const ConsumerAck& a : acks) {
      if (a.name == name) found = &a;
    }
    if (found != nullptr && found->position >= target) continue;
    if (!behind.empty()) behind += ", ";
    behind += name + (found ? " at " + PositionText(found->position)
                            : std::string(" (no acknowledgement yet)"));
  }
  if (behind.empty()) return behind;
  return "consumers behind the flip point " + PositionText(target) + " of " +
         table + ": " + behind + "; each acknowledges with `godwit consumer " +
         "ack " + table + " NAME POSITION`";
}

}  // namespace godwit::control
