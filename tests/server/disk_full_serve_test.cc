// `godwit serve` on a full disk (the binary, its store on a small tmpfs).
// Before: the first write that met ENOSPC got HTTP 500, then the process
// aborted inside RocksDB, and it could not start again until space was
// freed. Now writes get HTTP 503 ServiceUnavailable (which SDKs retry) while
// the disk is below the watermark, reads go on, writes resume by themselves,
// and the server starts read-only on a full disk, saying so.
//
// Needs root or CAP_SYS_ADMIN to mount the tmpfs; skips, saying so,
// without.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "godwit/local_store.h"
#include "server/raw_http.h"
#include "server/serve_process.h"
#include "testutil/temp_dir.h"
#include "testutil/tmpfs.h"

namespace godwit {
namespace {

namespace raw = test::raw_http;
using std::chrono::milliseconds;

std::optional<raw::Response> Call(uint16_t port, std::string_view op,
                                  const std::string& body) {
  int fd = raw::Connect(port);
  if (fd < 0) return std::nullopt;
  auto r = raw::Exchange(
      fd, raw::PostHead("DynamoDB_20120810." + std::string(op), body.size()) +
              body);
  ::close(fd);
  return r;
}

std::string PutBody(int k, size_t bytes) {
  return R"({"TableName":"Tab","Item":{"pk":{"S":"k)" + std::to_string(k) +
         R"("},"v":{"S":")" + std::string(bytes, 'v') + R"("}}})";
}

std::string GetBody(int k) {
  return R"({"TableName":"Tab","Key":{"pk":{"S":"k)" + std::to_string(k) +
         R"("}}})";
}

TEST(ServeOnAFullDisk, WritesGet503ReadsGoOnAndWritesResume) {
  // Room for RocksDB's preallocated log (about 35 MB at serve's default
  // 32 MiB write buffer) besides the data, so that freeing the filler takes
  // the disk well over the watermark.
  test::Tmpfs fs(128);
  if (!fs.ok()) GTEST_SKIP() << fs.error();
  test::TempDir dir;
  test::ServeProcess serve(dir, "true", {"--min-free-space", "16M"},
                           fs.Join("store"));
  ASSERT_TRUE(serve.ok()) << serve.log();
  auto r = Call(serve.port(), "CreateTable", R"({"TableName":"Tab",
      "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],
      "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}]})");
  ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
  fs.Fill(24 << 20);
  ASSERT_GT(fs.FreeBytes(), uint64_t{16} << 20);
  int k = 0;
  for (; k < 500; ++k) {
    r = Call(serve.port(), "PutItem", PutBody(k, 100000));
    ASSERT_TRUE(r.has_value()) << "no answer at item " << k << serve.log();
    if (r->status != 200) break;
  }
  ASSERT_EQ(r->status, 503) << r->body;
  EXPECT_TRUE(r->Has("ServiceUnavailable")) << r->body;
  EXPECT_TRUE(r->Has("below the 16 MiB watermark")) << r->body;
  ASSERT_GT(k, 0);
  r = Call(serve.port(), "GetItem", GetBody(k - 1));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_TRUE(r->Has("\"pk\":{\"S\":\"k" + std::to_string(k - 1) + "\"}"))
      << r->body.substr(0, 200);
  fs.Unfill();
  EXPECT_GT(fs.FreeBytes(), uint64_t{32} << 20);
  bool resumed = false;
  for (int i = 0; i < 100 && !resumed; ++i) {
    r = Call(serve.port(), "PutItem", PutBody(k, 100));
    resumed = r && r->status == 200;
    if (!resumed) std::this_thread::sleep_for(milliseconds(100));
  }
  EXPECT_TRUE(resumed) << (r ? r->body : "no answer");
  EXPECT_EQ(serve.Stop(), 0) << serve.log();
}

TEST(ServeOnAFullDisk, StartsReadOnlyAndSaysSo) {
  test::Tmpfs fs(64);
  if (!fs.ok()) GTEST_SKIP() << fs.error();
  {
    LocalStoreOptions o;
    o.path = fs.Join("store");
    o.sync = false;
    auto store = LocalStore::Open(o);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    TableOptions t;
    t.key_schema = KeySchema{{"pk", AttrType::kS}, std::nullopt};
    ASSERT_TRUE((*store)->CreateTable("Tab", t).ok());
    auto table = (*store)->GetTable("Tab");
    ASSERT_TRUE(table.ok());
    Item item;
    item.Set("pk", AttributeValue::S("k1"));
    item.Set("v", AttributeValue::S("kept"));
    ASSERT_TRUE((*table)->Put(item).ok());
  }
  fs.Fill(0);
  test::TempDir dir;
  test::ServeProcess serve(dir, "true", {}, fs.Join("store"));
  ASSERT_TRUE(serve.ok()) << "it did not start on a full disk:\n"
                          << serve.log();
  EXPECT_NE(serve.log().find("READ-ONLY"), std::string::npos) << serve.log();
  EXPECT_NE(serve.log().find("opened read-only"), std::string::npos)
      << serve.log();
  auto r = Call(serve.port(), "GetItem", GetBody(1));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_TRUE(r->Has("kept")) << r->body;
  r = Call(serve.port(), "PutItem", PutBody(2, 10));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 503) << r->body;
  EXPECT_TRUE(r->Has("ServiceUnavailable")) << r->body;
  EXPECT_EQ(serve.Stop(), 0) << serve.log();
}

}  // namespace
}  // namespace godwit
