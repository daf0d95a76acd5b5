// The ceiling for the engine benchmark: the store's raw copy rate. Scans a
// table of a local store in segments, THREADS threads at once, and writes
// the same items unchanged into a new table without a stream (no
// transform, no journal, no checkpoints) with BatchWrite, then prints one
// JSON line: items, bytes, seconds, items/s and the process's peak RSS.
//
//   godwit_raw_copy STORE TABLE DEST [THREADS] [SEGMENTS]
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "godwit/item.h"
#include "godwit/local_store.h"
#include "godwit/store.h"

namespace {

// VmHWM of /proc/self/status, in KiB.
long PeakRssKiB() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

int Fail(const godwit::Status& s) {
  std::fprintf(stderr, "godwit_raw_copy: %s\n", s.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace godwit;
  if (argc < 4) {
    std::fprintf(stderr,
                 "usage: godwit_raw_copy STORE TABLE DEST [THREADS] "
                 "[SEGMENTS]\n");
    return 2;
  }
  const int threads = argc > 4 ? std::atoi(argv[4]) : 1;
  const int segments = argc > 5 ? std::atoi(argv[5]) : 16;
  Result<std::unique_ptr<Store>> store =
      OpenLocalStore({.path = argv[1], .create_if_missing = false});
  if (!store.ok()) return Fail(store.status());
  Result<std::shared_ptr<Table>> src = (*store)->GetTable(argv[2]);
  if (!src.ok()) return Fail(src.status());
  TableOptions topts;
  topts.key_schema = (*src)->Describe()->key_schema;
  topts.stream_enabled = false;
  if (Status s = (*store)->CreateTable(argv[3], topts); !s.ok()) return Fail(s);
  Result<std::shared_ptr<Table>> dst = (*store)->GetTable(argv[3]);
  if (!dst.ok()) return Fail(dst.status());

  std::atomic<int> next_segment{0};
  std::atomic<uint64_t> items{0}, bytes{0};
  std::vector<Status> errors(static_cast<size_t>(threads));
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (int w = 0; w < threads; ++w) {
    workers.emplace_back([&, w] {
      for (int seg = next_segment++; seg < segments; seg = next_segment++) {
        ScanOptions so;
        so.segment = seg;
        so.total_segments = segments;
        do {
          Result<Page> page = (*src)->Scan(so);
          if (!page.ok()) {
            errors[w] = page.status();
            return;
          }
          std::vector<WriteRequest> batch;
          auto flush = [&]() -> bool {
            while (!batch.empty()) {
              Result<BatchWriteResult> r = (*dst)->BatchWrite(std::move(batch));
              if (!r.ok()) {
                errors[w] = r.status();
                return false;
              }
              batch = std::move(r->unprocessed);
            }
            return true;
          };
          for (Item& item : page->items) {
            bytes += ItemSize(item);
            batch.push_back(WriteRequest::Put(std::move(item)));
            if (batch.size() == kMaxBatchWriteItems && !flush()) return;
          }
          if (!flush()) return;
          items += page->items.size();
          so.page_token = page->next_page_token;
        } while (!so.page_token.empty());
      }
    });
  }
  for (std::thread& t : workers) t.join();
  for (const Status& s : errors) {
    if (!s.ok()) return Fail(s);
  }
  double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  std::printf(
      "{\"items\":%llu,\"bytes\":%llu,\"seconds\":%.3f,\"items_per_second\":"
      "%.0f,\"peak_rss_kib\":%ld}\n",
      static_cast<unsigned long long>(items.load()),
      static_cast<unsigned long long>(bytes.load()), secs, items / secs,
      PeakRssKiB());
  return 0;
}
