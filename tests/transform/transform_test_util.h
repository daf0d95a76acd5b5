// Helpers for the transform tests: in-memory migration files and values.
#ifndef GODWIT_TESTS_TRANSFORM_TRANSFORM_TEST_UTIL_H_
#define GODWIT_TESTS_TRANSFORM_TRANSFORM_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "godwit/item.h"
#include "godwit/transform.h"

namespace godwit::test {

// A migration file that exists only in memory (read_json needs a real one).
inline MigrationFile MemFile(int64_t number, const std::string& name,
                             const std::string& source,
                             const std::string& dir = "/nonexistent/migrations",
                             const std::string& table = "Orders") {
  MigrationFile f;
  f.table = table;
  f.number = number;
  f.name = name;
  f.path = dir + "/" + table + "/" + f.id() + ".lua";
  f.source = source;
  f.sha256 = Sha256Hex(source);
  return f;
}

inline KeySchema PkSchema() { return KeySchema{{"pk", AttrType::kS}, {}}; }

inline TransformOptions TestOptions() {
  TransformOptions o;
  o.source_key_schema = PkSchema();
  o.run_id = "test-run";
  o.now_micros = 1700000000123456;
  return o;
}

inline AttributeValue S(std::string s) {
  return AttributeValue::S(std::move(s));
}
inline AttributeValue N(std::string_view text) {
  Result<AttributeValue> v = AttributeValue::N(text);
  EXPECT_TRUE(v.ok()) << text;
  return v.ok() ? *v : AttributeValue();
}
inline AttributeValue B(std::string b) {
  return AttributeValue::B(std::move(b));
}

// A worker over `files`, or a failed test.
inline std::unique_ptr<TransformWorker> MustWorker(
    std::vector<MigrationFile> files, TransformOptions opts = TestOptions()) {
  Result<std::shared_ptr<const Transform>> t =
      Transform::Create(std::move(files), std::move(opts));
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  if (!t.ok()) return nullptr;
  Result<std::unique_ptr<TransformWorker>> w = (*t)->NewWorker();
  EXPECT_TRUE(w.ok()) << w.status().ToString();
  if (!w.ok()) return nullptr;
  return std::move(w).value();
}

// One migration with this `up` body: "function(item, ctx) <body> end".
inline std::unique_ptr<TransformWorker> UpWorker(
    const std::string& body, TransformOptions opts = TestOptions()) {
  return MustWorker(
      {MemFile(1, "t",
               "return { up = function(item, ctx)\n" + body + "\nend }\n")},
      std::move(opts));
}

inline Item PkItem(const std::string& pk) {
  Item item;
  item.Set("pk", AttributeValue::S(pk));
  return item;
}

}  // namespace godwit::test

#endif  // GODWIT_TESTS_TRANSFORM_TRANSFORM_TEST_UTIL_H_
