// Helpers shared by the store tests.
#ifndef GODWIT_TESTS_STORE_STORE_TEST_UTIL_H_
#define GODWIT_TESTS_STORE_STORE_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "godwit/item.h"
#include "godwit/local_store.h"
#include "godwit/store.h"
#include "testutil/status_testing.h"

namespace godwit::test {

inline AttributeValue S(std::string s) {
  return AttributeValue::S(std::move(s));
}
inline AttributeValue N(int64_t v) {
  return AttributeValue::N(Number::FromInt64(v));
}
inline AttributeValue NText(std::string_view text) {
  return AttributeValue::N(text).value();
}

inline KeySchema HashSchema() {
  return KeySchema{{"pk", AttrType::kS}, std::nullopt};
}
inline KeySchema HashRangeSchema(AttrType range_type = AttrType::kS) {
  return KeySchema{{"pk", AttrType::kS}, KeyAttribute{"sk", range_type}};
}

// {pk: S pk, [sk: sk], v: N v}
inline Item MakeItem(const std::string& pk, std::optional<AttributeValue> sk,
                     int64_t v) {
  Item item;
  item.Set("pk", S(pk));
  if (sk) item.Set("sk", *sk);
  item.Set("v", N(v));
  return item;
}

inline Key HashKey(const std::string& pk) { return Key{S(pk), std::nullopt}; }
inline Key RangeKey(const std::string& pk, AttributeValue sk) {
  return Key{S(pk), std::move(sk)};
}

inline LocalStoreOptions TestOptions(const std::string& path) {
  LocalStoreOptions o;
  o.path = path;
  o.sync = false;  // durability has its own tests with the default options
  o.retention_interval_micros = 0;
  o.block_cache_bytes = 8 << 20;
  o.write_buffer_bytes = 8 << 20;
  return o;
}

// Every item of a table, all segments, all pages.
inline std::vector<Item> ScanAll(Table& t, const Snapshot* snap = nullptr,
                                 size_t page = 1000) {
  std::vector<Item> out;
  ScanOptions so;
  so.limit = page;
  so.snapshot = snap;
  while (true) {
    auto r = t.Scan(so);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return out;
    for (auto& i : r->items) out.push_back(std::move(i));
    if (r->next_page_token.empty()) return out;
    so.page_token = r->next_page_token;
  }
}

// Every record from `pos` to the current end.
inline std::vector<ChangeRecord> ReadAll(
    Table& t, StreamPosition pos = StreamPosition::TrimHorizon()) {
  std::vector<ChangeRecord> out;
  auto r = t.OpenStream(pos);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return out;
  while (true) {
    size_t before = out.size();
    Status s = (*r)->Read(100, &out);
    EXPECT_TRUE(s.ok()) << s.ToString();
    if (!s.ok() || out.size() == before) return out;
  }
}

}  // namespace godwit::test

#endif  // GODWIT_TESTS_STORE_STORE_TEST_UTIL_H_
