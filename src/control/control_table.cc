#include "control/control_table.h"

#include <algorithm>
#include <string>

namespace godwit::control {
namespace {

std::string PointerPk(const std::string& logical) {
  return "pointer#" + logical;
}

const std::string* GetS(const Item& item, std::string_view name) {
  const AttributeValue* v = item.Find(name);
  return v != nullptr && v->is(AttrType::kS) ? &v->s() : nullptr;
}

// The pointer record `item` of `logical`.
Result<Pointer> PointerFromItem(const Item& item, const std::string& logical) {
  Pointer p;
  const std::string* physical = GetS(item, "physical");
  if (physical == nullptr) {
    return Status::DataLoss("control table: pointer of " + logical +
                            " has no physical table");
  }
  p.physical = *physical;
  if (const AttributeValue* e = item.Find("epoch"); e && e->is(AttrType::kN)) {
    p.epoch = static_cast<uint64_t>(e->n().ToInt64().value_or(0));
  }
  if (const std::string* s = GetS(item, "state")) p.state = *s;
  if (const std::string* r = GetS(item, "run")) p.run = *r;
  return p;
}

}  // namespace

AttributeValue Num(int64_t v) {
  return AttributeValue::N(Number::FromInt64(v));
}

bool GetS(const Item& item, std::string_view name, std::string* out) {
  const AttributeValue* v = item.Find(name);
  if (v == nullptr || !v->is(AttrType::kS)) return false;
  *out = v->s();
  return true;
}

Key ControlKey(const std::string& pk, const std::string& sk) {
  return Key{AttributeValue::S(pk), AttributeValue::S(sk)};
}

Status EnsureControlTable(Store* store) {
  TableOptions opts;
  opts.key_schema =
      KeySchema{{"pk", AttrType::kS}, KeyAttribute{"sk", AttrType::kS}};
  opts.stream_enabled = false;
  Status s = store->CreateTable(kControlTable, opts);
  if (s.code() == StatusCode::kAlreadyExists) return Status::OK();
  return s;
}

Result<std::optional<Pointer>> GetPointer(Store* store,
                                          const std::string& logical) {
  Result<std::shared_ptr<Table>> t = store->GetTable(kControlTable);
  if (!t.ok()) {
    if (t.status().IsNotFound()) return std::optional<Pointer>();
    return t.status();
  }
  ASSIGN_OR_RETURN(std::optional<Item> item,
                   (*t)->Get(ControlKey(PointerPk(logical), "pointer")));
  if (!item) return std::optional<Pointer>();
  ASSIGN_OR_RETURN(Pointer p, PointerFromItem(*item, logical));
  return std::optional<Pointer>(std::move(p));
}

Result<std::vector<std::pair<std::string, Pointer>>> ListPointers(
    Store* store) {
  std::vector<std::pair<std::string, Pointer>> out;
  Result<std::shared_ptr<Table>> t = store->GetTable(kControlTable);
  if (!t.ok()) {
    if (t.status().IsNotFound()) return out;
    return t.status();
  }
  constexpr std::string_view kPrefix = "pointer#";
  ScanOptions so;
  while (true) {
    ASSIGN_OR_RETURN(Page page, (*t)->Scan(so));
    for (const Item& item : page.items) {
      const std::string* pk = GetS(item, "pk");
      const std::string* sk = GetS(item, "sk");
      if (pk == nullptr || sk == nullptr || *sk != "pointer" ||
          pk->compare(0, kPrefix.size(), kPrefix) != 0) {
        continue;
      }
      std::string logical = pk->substr(kPrefix.size());
      ASSIGN_OR_RETURN(Pointer p, PointerFromItem(item, logical));
      out.emplace_back(std::move(logical), std::move(p));
    }
    if (page.next_page_token.empty()) break;
    so.page_token = std::move(page.next_page_token);
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

Status SetPointer(Store* store, const std::string& logical, const Pointer& p) {
  RETURN_IF_ERROR(EnsureControlTable(store));
  ASSIGN_OR_RETURN(std::shared_ptr<Table> t, store->GetTable(kControlTable));
  Item item;
  item.Set("pk", AttributeValue::S(PointerPk(logical)));
  item.Set("sk", AttributeValue::S("pointer"));
  item.Set("physical", AttributeValue::S(p.physical));
  item.Set("epoch",
           AttributeValue::N(Number::FromInt64(static_cast<int64_t>(p.epoch))));
  item.Set("state", AttributeValue::S(p.state));
  if (!p.run.empty()) item.Set("run", AttributeValue::S(p.run));
  return t->Put(item).status();
}

Result<std::string> ResolveActiveTable(Store* store,
                                       const std::string& logical) {
  ASSIGN_OR_RETURN(std::optional<Pointer> p, GetPointer(store, logical));
  return p ? p->physical : logical;
}

}  // namespace godwit::control
