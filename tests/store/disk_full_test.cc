// A full disk under the local store. Before: the first write that hit ENOSPC
// failed, then the process died (SIGABRT: an assertion inside Debian's
// RocksDB when it wrote its LOG file again after the failure), and the store
// could not be opened again until space was freed. Now: below the free-space
// watermark writes fail with Unavailable (retryable) naming the free space
// and the watermark, reads go on, writes resume by themselves once space is
// back, an ENOSPC that gets past the watermark is Unavailable too, and a
// store on a full disk opens read-only.
//
// The file-system tests mount a small tmpfs; without root or CAP_SYS_ADMIN
// they skip, saying so.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "godwit/local_store.h"
#include "store/local/disk_space.h"
#include "testutil/tmpfs.h"

namespace godwit {
namespace {

using local::DiskSpaceGuard;
using local::FsSpace;

bool Contains(std::string_view s, std::string_view part) {
  return s.find(part) != std::string_view::npos;
}

// ---- the guard, with an injected file system and clock ---------------------

struct FakeFs {
  uint64_t free_bytes = uint64_t{1} << 30;
  uint64_t total_bytes = uint64_t{10} << 30;
  int64_t now = 0;
  int stats = 0;
};

DiskSpaceGuard::Options FakeOptions(FakeFs* fs, uint64_t min_free_bytes,
                                    double fraction = 0) {
  DiskSpaceGuard::Options o;
  o.path = "/fake/store";
  o.min_free_bytes = min_free_bytes;
  o.min_free_fraction = fraction;
  o.stat = [fs](const std::string&) -> Result<FsSpace> {
    ++fs->stats;
    return FsSpace{fs->free_bytes, fs->total_bytes};
  };
  o.now_micros = [fs] { return fs->now; };
  return o;
}

TEST(DiskSpaceGuard, ReadsFreeSpaceByTimeOrBytesNotPerWrite) {
  FakeFs fs;
  DiskSpaceGuard g(FakeOptions(&fs, 256 << 20));
  EXPECT_EQ(fs.stats, 1);                          // at construction
  EXPECT_EQ(g.check_bytes(), uint64_t{64} << 20);  // a quarter: 64 MiB
  for (int i = 0; i < 10000; ++i) ASSERT_TRUE(g.Admit(1000).ok());
  EXPECT_EQ(fs.stats, 1);  // 10 MB within the interval: no statvfs
  fs.now += DiskSpaceGuard::kCheckIntervalMicros;
  ASSERT_TRUE(g.Admit(1).ok());
  EXPECT_EQ(fs.stats, 2);  // the interval passed
  ASSERT_TRUE(g.Admit(64 << 20).ok());
  EXPECT_EQ(fs.stats, 3);  // 64 MiB written
}

TEST(DiskSpaceGuard, RefusesBelowTheWatermarkAndResumes) {
  FakeFs fs;
  fs.free_bytes = 100 << 20;
  DiskSpaceGuard g(FakeOptions(&fs, 256 << 20));
  Status s = g.Admit(10);
  ASSERT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  EXPECT_TRUE(s.retryable());
  EXPECT_TRUE(Contains(s.message(), "only 100 MiB free")) << s.message();
  EXPECT_TRUE(Contains(s.message(), "below the 256 MiB watermark"))
      << s.message();
  EXPECT_TRUE(Contains(s.message(), "/fake/store")) << s.message();
  // Refused writes do not read free space each time either.
  for (int i = 0; i < 1000; ++i) ASSERT_FALSE(g.Admit(10).ok());
  EXPECT_EQ(fs.stats, 1);
  // Space comes back: writes resume at the next reading.
  fs.free_bytes = 300 << 20;
  EXPECT_FALSE(g.Admit(10).ok());
  fs.now += DiskSpaceGuard::kCheckIntervalMicros;
  EXPECT_TRUE(g.Admit(10).ok());
}

TEST(DiskSpaceGuard, WatermarkIsTheSmallerOfBytesAndFraction) {
  EXPECT_EQ(local::Watermark(256 << 20, 0.05, uint64_t{64} << 20),
            (uint64_t{64} << 20) / 20);
  EXPECT_EQ(local::Watermark(256 << 20, 0.05, uint64_t{100} << 30),
            uint64_t{256} << 20);
  EXPECT_EQ(local::Watermark(0, 0.10, 1000), 100u);
  EXPECT_EQ(local::Watermark(5000, 0, 1000), 5000u);
  EXPECT_EQ(local::Watermark(0, 0, 1000), 0u);
  FakeFs fs;
  fs.total_bytes = 64 << 20;
  fs.free_bytes = 4 << 20;
  DiskSpaceGuard g(FakeOptions(&fs, 256 << 20, 0.05));  // 3.2 MiB
  EXPECT_TRUE(g.Admit(1).ok());
  fs.free_bytes = 3 << 20;
  EXPECT_TRUE(g.Refresh());
}

// ---- the store on a small tmpfs --------------------------------------------

Item MakeItem(int k, size_t value_bytes) {
  Item item;
  item.Set("pk", AttributeValue::S("k" + std::to_string(k)));
  item.Set("v", AttributeValue::S(std::string(value_bytes, 'v')));
  return item;
}

Key KeyOf(int k) {
  Key key;
  key.hash = AttributeValue::S("k" + std::to_string(k));
  return key;
}

LocalStoreOptions OnTmpfs(const test::Tmpfs& fs, uint64_t min_free) {
  LocalStoreOptions o;
  o.path = fs.Join("store");
  o.sync = false;
  o.min_free_bytes = min_free;
  o.min_free_fraction = 0;
  o.write_buffer_bytes = 4 << 20;
  o.block_cache_bytes = 4 << 20;
  o.retention_interval_micros = 0;
  return o;
}

TableOptions Hash() {
  TableOptions t;
  t.key_schema = KeySchema{{"pk", AttrType::kS}, std::nullopt};
  t.stream_enabled = true;
  return t;
}

// Retries `put` until it succeeds or `timeout` passes; true if it did.
template <typename Fn>
bool Eventually(Fn fn, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (fn()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

TEST(DiskFull, BelowTheWatermarkWritesAreRefusedReadsWorkAndWritesResume) {
  test::Tmpfs fs(64);
  if (!fs.ok()) GTEST_SKIP() << fs.error();
  auto store = LocalStore::Open(OnTmpfs(fs, 16 << 20));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  {
    Status created = (*store)->CreateTable("Tab", Hash());
    ASSERT_TRUE(created.ok()) << created.ToString();
  }
  auto table = (*store)->GetTable("Tab");
  ASSERT_TRUE(table.ok());
  ASSERT_TRUE((*table)->Put(MakeItem(0, 1000), Condition::None()).ok());
  ASSERT_TRUE((*store)->WriteStatus().ok());

  // 20 MiB free, watermark 16 MiB: 100 KB items until refused.
  fs.Fill(20 << 20);
  Status refused;
  int written = 1;
  for (; written < 2000; ++written) {
    auto r = (*table)->Put(MakeItem(written, 100000), Condition::None());
    if (!r.ok()) {
      refused = r.status();
      break;
    }
  }
  ASSERT_EQ(refused.code(), StatusCode::kUnavailable) << refused.ToString();
  EXPECT_TRUE(refused.retryable());
  EXPECT_TRUE(Contains(refused.message(), "below the 16 MiB watermark"))
      << refused.message();
  EXPECT_TRUE(Contains(refused.message(), "free on its file system"))
      << refused.message();
  EXPECT_GT(written, 1);
  EXPECT_EQ((*store)->WriteStatus().code(), StatusCode::kUnavailable);
  // The disk was never actually full.
  EXPECT_GT(fs.FreeBytes(), uint64_t{1} << 20);

  // Reads go on: every acknowledged item is there.
  for (int k = 0; k < written; ++k) {
    auto got = (*table)->Get(KeyOf(k));
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    ASSERT_TRUE(got->has_value()) << k;
  }
  // Deletes and creates are writes too.
  EXPECT_EQ((*table)->Delete(KeyOf(0), Condition::None()).status().code(),
            StatusCode::kUnavailable);
  EXPECT_EQ((*store)->CreateTable("Two", Hash()).code(),
            StatusCode::kUnavailable);

  // Space back: writes resume by themselves.
  fs.Unfill();
  EXPECT_TRUE(Eventually(
      [&] {
        return (*table)->Put(MakeItem(written, 1000), Condition::None()).ok();
      },
      std::chrono::seconds(10)));
  EXPECT_TRUE((*store)->WriteStatus().ok());
}

TEST(DiskFull, EnospcPastTheWatermarkIsUnavailableAndWritesResume) {
  test::Tmpfs fs(64);
  if (!fs.ok()) GTEST_SKIP() << fs.error();
  // No watermark: RocksDB itself meets ENOSPC (this aborted the process).
  auto store = LocalStore::Open(OnTmpfs(fs, 0));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  {
    Status created = (*store)->CreateTable("Tab", Hash());
    ASSERT_TRUE(created.ok()) << created.ToString();
  }
  auto table = (*store)->GetTable("Tab");
  ASSERT_TRUE(table.ok());
  ASSERT_TRUE((*table)->Put(MakeItem(0, 1000), Condition::None()).ok());
  fs.Fill(0);
  Status failed;
  int written = 1;
  for (; written < 1000; ++written) {
    auto r = (*table)->Put(MakeItem(written, 50000), Condition::None());
    if (!r.ok()) {
      failed = r.status();
      break;
    }
  }
  ASSERT_EQ(failed.code(), StatusCode::kUnavailable) << failed.ToString();
  EXPECT_TRUE(Contains(failed.message(), "no space left")) << failed.message();
  // Again, and a flush: still an error, not an abort.
  EXPECT_FALSE((*table)->Put(MakeItem(written, 50000), Condition::None()).ok());
  (void)(*store)->Flush();
  // Reads go on.
  auto got = (*table)->Get(KeyOf(0));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(got->has_value());
  // Space back: RocksDB resumes writes by itself (its SstFileManager polls
  // free space; allow it time).
  fs.Unfill();
  EXPECT_TRUE(Eventually(
      [&] {
        return (*table)
            ->Put(MakeItem(written + 1, 1000), Condition::None())
            .ok();
      },
      std::chrono::seconds(25)));
  for (int k = 0; k < written; ++k) {
    auto r = (*table)->Get(KeyOf(k));
    ASSERT_TRUE(r.ok() && r->has_value()) << k;
  }
}

TEST(DiskFull, StoreOnAFullDiskOpensReadOnly) {
  test::Tmpfs fs(64);
  if (!fs.ok()) GTEST_SKIP() << fs.error();
  LocalStoreOptions o = OnTmpfs(fs, 8 << 20);
  {
    auto store = LocalStore::Open(o);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    {
      Status created = (*store)->CreateTable("Tab", Hash());
      ASSERT_TRUE(created.ok()) << created.ToString();
    }
    auto table = (*store)->GetTable("Tab");
    ASSERT_TRUE(table.ok());
    for (int k = 0; k < 10; ++k) {
      ASSERT_TRUE((*table)->Put(MakeItem(k, 1000), Condition::None()).ok());
    }
  }
  fs.Fill(0);
  ASSERT_LT(fs.FreeBytes(), uint64_t{4096});
  // It could not open at all before.
  auto store = LocalStore::Open(o);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  Status ws = (*store)->WriteStatus();
  ASSERT_EQ(ws.code(), StatusCode::kUnavailable);
  EXPECT_TRUE(Contains(ws.message(), "opened read-only")) << ws.message();
  // Still one process (here: one open) at a time.
  auto second = LocalStore::Open(o);
  EXPECT_EQ(second.status().code(), StatusCode::kIOError)
      << second.status().ToString();
  auto table = (*store)->GetTable("Tab");
  ASSERT_TRUE(table.ok());
  for (int k = 0; k < 10; ++k) {
    auto got = (*table)->Get(KeyOf(k));
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_TRUE(got->has_value()) << k;
  }
  auto scan = (*table)->Scan(ScanOptions());
  ASSERT_TRUE(scan.ok()) << scan.status().ToString();
  EXPECT_EQ(scan->items.size(), 10u);
  Status put = (*table)->Put(MakeItem(99, 10), Condition::None()).status();
  EXPECT_EQ(put.code(), StatusCode::kUnavailable) << put.ToString();
  EXPECT_EQ((*store)->CreateTable("Two", Hash()).code(),
            StatusCode::kUnavailable);
  table->reset();
  store->reset();
  // Space back: it opens for writing again.
  fs.Unfill();
  store = LocalStore::Open(o);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_TRUE((*store)->WriteStatus().ok());
  table = (*store)->GetTable("Tab");
  ASSERT_TRUE(table.ok());
  EXPECT_TRUE((*table)->Put(MakeItem(99, 10), Condition::None()).ok());
}

}  // namespace
}  // namespace godwit
