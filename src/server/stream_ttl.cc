// StreamHub's Time to Live: each table's setting (persisted in the control
// table, see stream_hub.h) and the expirer.
//
// DynamoDB (developer guide, "Time to Live"; API reference,
// UpdateTimeToLive): the TTL attribute holds a Number of seconds since the
// epoch; an item whose value is below the current time is expired and
// deleted by the service; values more than five years in the past, and
// attributes of another type, are ignored. The deletion is a REMOVE stream
// record whose userIdentity is type "Service", principal
// "dynamodb.amazonaws.com" (Streams API reference, "Record", "Identity";
// the wire spelling is in stream_records.cc).
//
// The expirer deletes with Table::DeleteAsService, conditional on the TTL
// attribute still holding the value it read (an item updated meanwhile is
// left alone). It is not serialised with the server's read-modify-write
// stripes (rmw.h): an UpdateItem that read the item just before the expirer
// deleted it writes it back (a REMOVE then an INSERT on the stream).
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "control/control_table.h"
#include "server/stream_hub.h"

namespace godwit::server {
namespace {

constexpr std::string_view kTtlPrefix = "ttl#";

}  // namespace

void StreamHub::LoadTtl() {
  Result<std::shared_ptr<Table>> t = store_->GetTable(control::kControlTable);
  if (!t.ok()) {
    if (!t.status().IsNotFound()) {
      std::fprintf(stderr,
                   "godwit serve: cannot read Time to Live settings: %s\n",
                   t.status().ToString().c_str());
    }
    return;
  }
  ScanOptions so;
  for (;;) {
    Result<Page> page = (*t)->Scan(so);
    if (!page.ok()) {
      std::fprintf(stderr,
                   "godwit serve: cannot read Time to Live settings: %s\n",
                   page.status().ToString().c_str());
      return;
    }
    for (const Item& item : page->items) {
      const AttributeValue* pk = item.Find("pk");
      const AttributeValue* sk = item.Find("sk");
      const AttributeValue* en = item.Find("enabled");
      const AttributeValue* at = item.Find("attribute");
      if (pk == nullptr || !pk->is(AttrType::kS) ||
          !pk->s().starts_with(kTtlPrefix) || sk == nullptr ||
          !sk->is(AttrType::kS) || en == nullptr || !en->is(AttrType::kBool) ||
          at == nullptr || !at->is(AttrType::kS)) {
        continue;
      }
      TableDescription d;
      d.name = pk->s().substr(kTtlPrefix.size());
      d.created_micros = std::strtoll(sk->s().c_str(), nullptr, 10);
      std::lock_guard l(ttl_mu_);
      ttl_[KeyOf(d)] = {d, TtlSpec{en->boolean(), at->s()}};
    }
    if (page->next_page_token.empty()) break;
    so.page_token = page->next_page_token;
  }
}

StreamHub::TtlSpec StreamHub::GetTtl(const TableDescription& d) {
  std::lock_guard l(ttl_mu_);
  auto it = ttl_.find(KeyOf(d));
  return it == ttl_.end() ? TtlSpec{} : it->second.second;
}

Status StreamHub::SetTtl(const TableDescription& d, const TtlSpec& spec) {
  RETURN_IF_ERROR(control::EnsureControlTable(store_));
  ASSIGN_OR_RETURN(std::shared_ptr<Table> t,
                   store_->GetTable(control::kControlTable));
  Item item = KeyToItem(control::ControlKey(std::string(kTtlPrefix) + d.name,
                                            CreatedSortKey(d.created_micros)),
                        t->key_schema());
  item.Set("enabled", AttributeValue::Bool(spec.enabled));
  item.Set("attribute", AttributeValue::S(spec.attribute));
  Result<std::optional<Item>> put = t->Put(item);
  if (!put.ok()) {
    return put.status().WithContext("persisting the Time to Live of " + d.name);
  }
  {
    std::lock_guard l(ttl_mu_);
    ttl_[KeyOf(d)] = {d, spec};
  }
  if (spec.enabled) StartExpirer();
  return Status::OK();
}

Result<size_t> StreamHub::ExpireNow() {
  std::vector<std::pair<TableDescription, TtlSpec>> tables;
  {
    std::lock_guard l(ttl_mu_);
    for (const auto& [key, v] : ttl_) {
      if (v.second.enabled) tables.push_back(v);
    }
  }
  const int64_t now_s = Now() / 1000000;
  size_t deleted = 0;
  Status first;
  for (const auto& [want, spec] : tables) {
    Result<std::shared_ptr<Table>> t = store_->GetTable(want.name);
    if (!t.ok()) {
      if (!t.status().IsNotFound() && first.ok()) first = t.status();
      continue;
    }
    Result<TableDescription> d = (*t)->Describe();
    if (!d.ok()) {
      if (first.ok()) first = d.status();
      continue;
    }
    if (d->created_micros != want.created_micros) continue;  // another table
    const KeySchema& schema = (*t)->key_schema();
    ScanOptions so;
    for (;;) {
      Result<Page> page = (*t)->Scan(so);
      if (!page.ok()) {
        if (first.ok()) first = page.status();
        break;
      }
      for (const Item& item : page->items) {
        const AttributeValue* v = item.Find(spec.attribute);
        if (v == nullptr || !v->is(AttrType::kN)) continue;
        double at = std::strtod(v->n().text().c_str(), nullptr);
        if (!(at < static_cast<double>(now_s)) ||
            at < static_cast<double>(now_s - kTtlMaxPastSeconds)) {
          continue;
        }
        Result<Key> key = ExtractKey(item, schema);
        if (!key.ok()) continue;
        Result<std::optional<Item>> r = (*t)->DeleteAsService(
            *key, Condition::AttributeEquals(spec.attribute, *v),
            ChangeOrigin::kTimeToLive);
        if (r.ok()) {
          if (r->has_value()) ++deleted;
        } else if (r.status().code() != StatusCode::kAborted &&
                   !r.status().IsNotFound() && first.ok()) {
          first = r.status();
        }
      }
      if (page->next_page_token.empty()) break;
      so.page_token = page->next_page_token;
    }
  }
  if (!first.ok()) return first;
  return deleted;
}

void StreamHub::ExpirerLoop() {
  const auto period = std::chrono::microseconds(
      static_cast<int64_t>(opts_.ttl_scan_seconds * 1e6));
  std::string last_error;
  std::unique_lock l(stop_mu_);
  while (!stop_cv_.wait_for(l, period, [this] { return stopping_; })) {
    l.unlock();
    Result<size_t> r = ExpireNow();
    if (!r.ok() && r.status().ToString() != last_error) {
      last_error = r.status().ToString();
      std::fprintf(stderr, "godwit serve: Time to Live expirer: %s\n",
                   last_error.c_str());
    }
    l.lock();
  }
}

}  // namespace godwit::server
