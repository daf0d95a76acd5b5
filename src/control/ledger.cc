#include "control/ledger.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "control/control_table.h"

namespace godwit::control {
namespace {

std::string LedgerPk(const std::string& table) { return "ledger#" + table; }

std::string LedgerSk(int64_t number) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%010lld", static_cast<long long>(number));
  return buf;
}

std::string IsoTime(int64_t micros) {
  std::time_t secs = static_cast<std::time_t>(micros / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02dZ",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec);
  return buf;
}

}  // namespace

std::string LedgerEntry::id() const {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04lld", static_cast<long long>(number));
  return std::string(buf) + "_" + name;
}

Result<std::vector<LedgerEntry>> ReadLedger(Store* store,
                                            const std::string& table) {
  std::vector<LedgerEntry> out;
  Result<std::shared_ptr<Table>> t = store->GetTable(kControlTable);
  if (!t.ok()) {
    if (t.status().IsNotFound()) return out;
    return t.status();
  }
  QueryOptions q;
  q.hash = AttributeValue::S(LedgerPk(table));
  for (;;) {
    ASSIGN_OR_RETURN(Page page, (*t)->Query(q));
    for (const Item& item : page.items) {
      LedgerEntry e;
      e.table = table;
      if (!GetN(item, "number", &e.number) || !GetS(item, "name", &e.name) ||
          !GetS(item, "sha256", &e.sha256)) {
        return Status::DataLoss(
            "control table: ledger record of " + table +
            " lacks number, name or sha256: " + DebugString(item));
      }
      GetN(item, "applied_micros", &e.applied_micros);
      GetS(item, "run", &e.run_id);
      GetN(item, "items_read", &e.items_read);
      GetN(item, "items_written", &e.items_written);
      GetN(item, "items_dropped", &e.items_dropped);
      GetN(item, "items_failed", &e.items_failed);
      out.push_back(std::move(e));
    }
    if (page.next_page_token.empty()) break;
    q.page_token = page.next_page_token;
  }
  std::sort(out.begin(), out.end(),
            [](const LedgerEntry& a, const LedgerEntry& b) {
              return a.number < b.number;
            });
  return out;
}

Status RecordMigration(Store* store, const LedgerEntry& e) {
  if (e.table.empty() || e.name.empty() || e.sha256.empty()) {
    return Status::InvalidArgument(
        "ledger entry needs a table, a name and a sha256");
  }
  RETURN_IF_ERROR(EnsureControlTable(store));
  ASSIGN_OR_RETURN(std::shared_ptr<Table> t, store->GetTable(kControlTable));
  Item item;
  item.Set("pk", AttributeValue::S(LedgerPk(e.table)));
  item.Set("sk", AttributeValue::S(LedgerSk(e.number)));
  item.Set("table", AttributeValue::S(e.table));
  item.Set("number", Num(e.number));
  item.Set("name", AttributeValue::S(e.name));
  item.Set("sha256", AttributeValue::S(e.sha256));
  item.Set("applied_at", AttributeValue::S(IsoTime(e.applied_micros)));
  item.Set("applied_micros", Num(e.applied_micros));
  if (!e.run_id.empty()) item.Set("run", AttributeValue::S(e.run_id));
  item.Set("items_read", Num(static_cast<int64_t>(e.items_read)));
  item.Set("items_written", Num(static_cast<int64_t>(e.items_written)));
  item.Set("items_dropped", Num(static_cast<int64_t>(e.items_dropped)));
  item.Set("items_failed", Num(static_cast<int64_t>(e.items_failed)));
  Result<std::optional<Item>> r = t->Put(item, Condition::NotExists());
  if (!r.ok()) {
    if (r.status().IsAborted()) {
      return Status::AlreadyExists("migration " + e.id() + " of " + e.table +
                                   " is already in the ledger");
    }
    return r.status();
  }
  return Status::OK();
}

Result<std::string> GetActiveTable(Store* store, const std::string& logical) {
  return ResolveActiveTable(store, logical);
}

Status SetActiveTable(Store* store, const std::string& logical,
                      const std::string& physical) {
  ASSIGN_OR_RETURN(std::optional<Pointer> p, GetPointer(store, logical));
  Pointer next;
  next.physical = physical;
  next.epoch = p ? p->epoch + 1 : 1;
  next.state = "active";
  return SetPointer(store, logical, next);
}

}  // namespace godwit::control
