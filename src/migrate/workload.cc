#include "migrate/workload.h"

#include <chrono>
#include <cstdio>
#include <random>
#include <set>

#include "godwit/json.h"
#include "migrate/table_ops.h"
#include "util/rate_limiter.h"

namespace godwit::migrate {
namespace {

constexpr const char* kStatuses[] = {"PENDING", "PAID", "SHIPPED", "DELIVERED",
                                     "CANCELLED"};
constexpr const char* kCities[] = {"Lisbon",  "Porto",   "Lyon",  "Ghent",
                                   "Utrecht", "Leipzig", "Turin", "Kraków",
                                   "Malmö",   "Zürich"};
constexpr const char* kTags[] = {"gift",  "express", "fragile", "b2b",
                                 "promo", "repeat",  "vip",     "eco"};

std::string Pad(uint64_t v, int width) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%0*llu", width,
                static_cast<unsigned long long>(v));
  return buf;
}

AttributeValue Num(std::string_view text) {
  // Texts built here are always valid numbers.
  return *AttributeValue::N(text);
}

AttributeValue Int(int64_t v) {
  return AttributeValue::N(Number::FromInt64(v));
}

AttributeValue Cents(uint64_t cents) {
  return Num(std::to_string(cents / 100) + "." + Pad(cents % 100, 2));
}

std::string Timestamp(uint64_t seconds) {
  // 2026-01-01T00:00:00Z plus seconds, formatted without a time library.
  uint64_t day = seconds / 86400, rem = seconds % 86400;
  uint64_t month = 1 + (day / 28) % 12, dom = 1 + day % 28;
  char buf[32];
  std::snprintf(buf, sizeof(buf), "2026-%02llu-%02lluT%02llu:%02llu:%02lluZ",
                static_cast<unsigned long long>(month),
                static_cast<unsigned long long>(dom),
                static_cast<unsigned long long>(rem / 3600),
                static_cast<unsigned long long>(rem / 60 % 60),
                static_cast<unsigned long long>(rem % 60));
  return buf;
}

}  // namespace

Item OrderKey(uint64_t id) {
  Item key;
  key.Set("pk", AttributeValue::S("ORDER#" + Pad(id, 9)));
  return key;
}

Item MakeOrder(uint64_t id, uint64_t version) {
  // The customer depends on the id only: an order never changes customer,
  // so its key under any migration is stable across versions.
  std::mt19937_64 idrng(id * 0x9E3779B97F4A7C15ull + 17);
  uint64_t customer = idrng() % 10 == 0 ? 0 : 1 + idrng() % 20000;
  std::mt19937_64 rng(id * 0x9E3779B97F4A7C15ull ^
                      (version + 1) * 0xC2B2AE3D27D4EB4Full);
  Item item;
  item.Set("pk", AttributeValue::S("ORDER#" + Pad(id, 9)));
  item.Set("orderId", Int(static_cast<int64_t>(id)));
  item.Set("customerId", AttributeValue::S("C" + Pad(customer, 5)));
  item.Set("status",
           AttributeValue::S(kStatuses[std::min<uint64_t>(version, 4)]));
  item.Set("currency", AttributeValue::S("EUR"));
  uint64_t created = id * 37 % (86400 * 300);
  item.Set("createdAt", AttributeValue::S(Timestamp(created)));
  item.Set("updatedAt", AttributeValue::S(Timestamp(created + version * 3600)));
  item.Set("version", Int(static_cast<int64_t>(version)));
  int lines = 1 + static_cast<int>(rng() % 5);
  AttributeValue::List list;
  uint64_t total = 0;
  for (int i = 0; i < lines; ++i) {
    uint64_t qty = 1 + rng() % 4, price = 199 + rng() % 20000;
    total += qty * price;
    AttributeMap line;
    line.Set("sku", AttributeValue::S("SKU-" + Pad(rng() % 100000, 6)));
    line.Set("qty", Int(static_cast<int64_t>(qty)));
    line.Set("price", Cents(price));
    line.Set("title",
             AttributeValue::S("Article " + std::to_string(rng() % 9000) +
                               " — size " + std::to_string(36 + rng() % 12)));
    list.push_back(AttributeValue::M(std::move(line)));
  }
  item.Set("items", AttributeValue::L(std::move(list)));
  item.Set("total", Cents(total));
  AttributeMap ship;
  ship.Set("street", AttributeValue::S(std::to_string(1 + rng() % 300) +
                                       " Rua das Flores"));
  ship.Set("city", AttributeValue::S(kCities[rng() % 10]));
  ship.Set("zip", AttributeValue::S(Pad(rng() % 100000, 5)));
  ship.Set("country", AttributeValue::S("PT"));
  item.Set("shipping", AttributeValue::M(std::move(ship)));
  std::vector<std::string> tags;
  for (int i = 0; i < 8; ++i) {
    if (rng() % 3 == 0) tags.push_back(kTags[i]);
  }
  if (!tags.empty()) item.Set("tags", *AttributeValue::SS(std::move(tags)));
  if (rng() % 4 == 0) {
    item.Set("note", AttributeValue::S(
                         "Please leave the parcel with the neighbour at no. " +
                         std::to_string(rng() % 100)));
  }
  return item;
}

Status SeedOrders(Table* table, uint64_t count, int threads,
                  size_t item_bytes) {
  std::atomic<uint64_t> next{0};
  std::vector<Status> errs(static_cast<size_t>(threads));
  std::vector<std::thread> ws;
  constexpr uint64_t kChunk = 1000;
  for (int w = 0; w < threads; ++w) {
    ws.emplace_back([&, w] {
      for (uint64_t start = next.fetch_add(kChunk); start < count;
           start = next.fetch_add(kChunk)) {
        uint64_t end = std::min(count, start + kChunk);
        for (uint64_t b = start; b < end; b += kMaxBatchWriteItems) {
          std::vector<WriteRequest> batch;
          for (uint64_t id = b; id < std::min(end, b + kMaxBatchWriteItems);
               ++id) {
            Item order = MakeOrder(id, 0);
            size_t size = ItemSize(order) + 7;  // + the name "comment"
            if (item_bytes > size) {
              order.Set("comment",
                        AttributeValue::S(std::string(item_bytes - size, 'x')));
            }
            batch.push_back(WriteRequest::Put(std::move(order)));
          }
          while (!batch.empty()) {
            Result<BatchWriteResult> r = table->BatchWrite(batch);
            if (!r.ok()) {
              errs[w] = r.status();
              return;
            }
            batch = std::move(r->unprocessed);
          }
        }
      }
    });
  }
  for (auto& t : ws) t.join();
  for (Status& s : errs) RETURN_IF_ERROR(s);
  return Status::OK();
}

LoadGenerator::LoadGenerator(Router* router, std::string logical,
                             std::string blue_table, MapperFactory* mappers,
                             LoadOptions opts)
    : router_(router),
      logical_(std::move(logical)),
      blue_table_(std::move(blue_table)),
      mappers_(mappers),
      opts_(opts) {
  next_id_ = opts_.existing;
  MutexLock lock(&map_mu_);
  if (opts_.track) {
    for (uint64_t id = 0; id < opts_.existing; ++id) model_.emplace(id, 0);
  }
}

LoadGenerator::~LoadGenerator() { Stop(); }

void LoadGenerator::Start() {
  stop_ = false;
  running_ = true;
  for (int i = 0; i < opts_.threads; ++i) {
    threads_.emplace_back([this, i] { Worker(i); });
  }
}

void LoadGenerator::Stop() {
  stop_ = true;
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
  running_ = false;
}

LoadStats LoadGenerator::stats() const {
  MutexLock lock(&stats_mu_);
  return stats_;
}

std::map<uint64_t, std::optional<uint64_t>> LoadGenerator::Model() const {
  MutexLock lock(&map_mu_);
  return model_;
}

Status LoadGenerator::WriteOne(ItemMapper* mapper, uint64_t id,
                               std::optional<uint64_t> current,
                               std::optional<uint64_t> version) {
  return router_->WithActiveTable(logical_, [&](Table& t) -> Status {
    bool blue = t.name() == blue_table_;
    if (blue) {
      if (version) return t.Put(MakeOrder(id, *version)).status();
      ASSIGN_OR_RETURN(Key key, ExtractKey(OrderKey(id), t.key_schema()));
      return t.Delete(key).status();
    }
    if (mapper == nullptr) {
      return Status::FailedPrecondition("the active table of " + logical_ +
                                        " is " + t.name() +
                                        " and the load has no mapper");
    }
    // The new shape: put up(new), and delete the keys of up(old) that
    // up(new) does not have (a fan-out's rows of lines an update removed).
    std::vector<Item> outs, old_outs;
    if (version) {
      RETURN_IF_ERROR(mapper->Up(MakeOrder(id, *version), &outs, nullptr));
    }
    if (current) {
      RETURN_IF_ERROR(mapper->Up(MakeOrder(id, *current), &old_outs, nullptr));
    }
    std::set<std::string> kept;
    for (const Item& o : outs) {
      ASSIGN_OR_RETURN(std::string kb, KeyBytes(o, t.key_schema()));
      kept.insert(std::move(kb));
    }
    std::vector<WriteRequest> writes;
    for (const Item& o : old_outs) {
      ASSIGN_OR_RETURN(Key key, ExtractKey(o, t.key_schema()));
      if (kept.count(KeyBytes(key)) == 0) {
        writes.push_back(WriteRequest::Delete(std::move(key)));
      }
    }
    for (Item& o : outs) writes.push_back(WriteRequest::Put(std::move(o)));
    if (writes.size() == 1) {
      if (writes[0].kind == WriteRequest::Kind::kPut) {
        return t.Put(writes[0].item).status();
      }
      return t.Delete(writes[0].key).status();
    }
    // One batch where it fits: atomic on the embedded store, so a snapshot
    // never holds half of an order's rows.
    for (size_t b = 0; b < writes.size(); b += kMaxBatchWriteItems) {
      size_t e = std::min(writes.size(), b + kMaxBatchWriteItems);
      std::vector<WriteRequest> batch(
          std::make_move_iterator(writes.begin() + b),
          std::make_move_iterator(writes.begin() + e));
      RETURN_IF_ERROR(WriteBatchRetrying(&t, std::move(batch)));
    }
    return Status::OK();
  });
}

void LoadGenerator::Worker(int index) {
  std::unique_ptr<ItemMapper> mapper;
  if (mappers_ != nullptr) {
    Result<std::unique_ptr<ItemMapper>> m = mappers_->NewMapper();
    if (!m.ok()) {
      MutexLock lock(&stats_mu_);
      ++stats_.errors;
      stats_.last_error = m.status().ToString();
      return;
    }
    mapper = std::move(*m);
  }
  std::mt19937_64 rng(opts_.seed * 1000003 + static_cast<uint64_t>(index));
  RateLimiter limiter(opts_.rate / std::max(1, opts_.threads));
  const int total_weight =
      std::max(1, opts_.insert + opts_.update + opts_.remove);
  auto start = std::chrono::steady_clock::now();
  while (!stop_.load()) {
    if (opts_.duration_s > 0 &&
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
                .count() >= opts_.duration_s) {
      break;
    }
    limiter.Acquire(1);
    int pick = static_cast<int>(rng() % static_cast<uint64_t>(total_weight));
    uint64_t id;
    enum { kInsert, kUpdate, kDelete } op;
    uint64_t known = next_id_.load();
    if (pick < opts_.insert || known == 0) {
      op = kInsert;
      id = next_id_.fetch_add(1);
    } else {
      op = pick < opts_.insert + opts_.update ? kUpdate : kDelete;
      bool hot = opts_.hot_keys > 0 && rng() % 3 == 0;
      id = hot ? rng() % std::min(opts_.hot_keys, known) : rng() % known;
    }
    MutexLock stripe(&stripes_[id % kStripes]);
    std::optional<uint64_t> current;
    bool exists_in_model = false;
    {
      MutexLock lock(&map_mu_);
      auto it = model_.find(id);
      if (it != model_.end()) {
        current = it->second;
        exists_in_model = true;
      }
    }
    if (!opts_.track && op != kInsert) current = 0;  // untracked: assume it
    std::optional<uint64_t> next;
    if (op == kDelete) {
      if (!current) continue;  // nothing to delete
      next = std::nullopt;
    } else {
      next = exists_in_model || current ? current.value_or(0) + 1 : 0;
      if (op == kInsert) next = 0;
    }
    auto t0 = std::chrono::steady_clock::now();
    Status s = WriteOne(mapper.get(), id, current, next);
    double ms = std::chrono::duration<double, std::milli>(
                    std::chrono::steady_clock::now() - t0)
                    .count();
    MutexLock lock(&stats_mu_);
    stats_.max_latency_ms = std::max(stats_.max_latency_ms, ms);
    if (!s.ok()) {
      // Not acknowledged: the model keeps the previous state.
      ++stats_.errors;
      stats_.last_error = s.ToString();
      continue;
    }
    if (op == kInsert) ++stats_.inserts;
    if (op == kUpdate) ++stats_.updates;
    if (op == kDelete) ++stats_.deletes;
    if (opts_.track) {
      MutexLock ml(&map_mu_);
      model_[id] = next;
    }
  }
}

Result<uint64_t> LoadGenerator::CheckTable(
    Table* table, bool is_blue, std::vector<std::string>* examples) const {
  std::unique_ptr<ItemMapper> mapper;
  if (!is_blue) {
    if (mappers_ == nullptr) return Status::InvalidArgument("no mapper");
    ASSIGN_OR_RETURN(mapper, mappers_->NewMapper());
  }
  const KeySchema& schema = table->key_schema();
  // id -> key bytes -> item, as found in the table (an order may have
  // several rows in the new shape).
  std::map<uint64_t, std::map<std::string, Item>> found;
  uint64_t mismatches = 0;
  auto note = [&](std::string what) {
    ++mismatches;
    if (examples != nullptr && examples->size() < 10)
      examples->push_back(std::move(what));
  };
  ScanOptions so;
  so.limit = 1000;
  do {
    ASSIGN_OR_RETURN(Page page, table->Scan(so));
    for (Item& item : page.items) {
      const AttributeValue* oid = item.Find("orderId");
      std::optional<int64_t> id = oid != nullptr && oid->is(AttrType::kN)
                                      ? oid->n().ToInt64()
                                      : std::nullopt;
      if (!id) {
        note("item without orderId: " + ItemToJson(item));
        continue;
      }
      ASSIGN_OR_RETURN(std::string kb, KeyBytes(item, schema));
      found[static_cast<uint64_t>(*id)].emplace(std::move(kb), std::move(item));
    }
    so.page_token = std::move(page.next_page_token);
  } while (!so.page_token.empty());

  std::map<uint64_t, std::optional<uint64_t>> model = Model();
  for (const auto& [id, version] : model) {
    auto it = found.find(id);
    if (!version) {
      if (it != found.end())
        note("order " + std::to_string(id) + " was deleted but has " +
             std::to_string(it->second.size()) + " rows");
      continue;
    }
    std::vector<Item> expected;
    if (is_blue) {
      expected.push_back(MakeOrder(id, *version));
    } else {
      RETURN_IF_ERROR(mapper->Up(MakeOrder(id, *version), &expected, nullptr));
    }
    std::map<std::string, Item> rows;
    if (it != found.end()) rows = it->second;
    for (const Item& e : expected) {
      ASSIGN_OR_RETURN(std::string kb, KeyBytes(e, schema));
      auto row = rows.find(kb);
      if (row == rows.end()) {
        note("order " + std::to_string(id) + " version " +
             std::to_string(*version) + " is missing " + KeyJson(e, schema));
        continue;
      }
      if (!(row->second == e)) {
        note("order " + std::to_string(id) + " differs: expected " +
             ItemToJson(e) + " found " + ItemToJson(row->second));
      }
      rows.erase(row);
    }
    for (const auto& [kb, item] : rows) {
      note("order " + std::to_string(id) + " version " +
           std::to_string(*version) + " has a stray row " + ItemToJson(item));
    }
  }
  for (const auto& [id, rows] : found) {
    if (model.count(id) == 0)
      note("order " + std::to_string(id) + " was never written");
  }
  return mismatches;
}

}  // namespace godwit::migrate
