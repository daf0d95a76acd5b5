// The local store's free-space watermark: writes are refused (Unavailable,
// retryable) while the file system holding the store has less free space
// than the watermark, and admitted again by themselves once it has more.
//
// Cheap: free space is read with statvfs at most every kCheckInterval, or
// sooner once check_bytes() were admitted since the last reading (so that a
// fast writer cannot run far past the watermark between two readings); one
// admitted write costs two relaxed atomic operations otherwise.
//
// Thread-safe.
#ifndef GODWIT_STORE_LOCAL_DISK_SPACE_H_
#define GODWIT_STORE_LOCAL_DISK_SPACE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

#include "godwit/status.h"

namespace godwit::local {

struct FsSpace {
  uint64_t free_bytes = 0;   // available to unprivileged users (f_bavail)
  uint64_t total_bytes = 0;  // the file system's size
};

// statvfs(path). Errors: IOError.
Result<FsSpace> StatFileSystem(const std::string& path);

// "12.3 MiB", "256 MiB", "17 bytes".
std::string HumanBytes(uint64_t bytes);

// The watermark for a file system of `total_bytes`: min_free_bytes and
// min_free_fraction * total_bytes, the smaller of those that are non-zero;
// 0 (no watermark) if both are 0.
uint64_t Watermark(uint64_t min_free_bytes, double min_free_fraction,
                   uint64_t total_bytes);

class DiskSpaceGuard {
 public:
  // Re-read free space at least this often while writes are admitted, and
  // while they are refused (how soon writes resume once space is back).
  static constexpr int64_t kCheckIntervalMicros = 250 * 1000;

  struct Options {
    std::string path;  // any path on the file system to watch
    uint64_t min_free_bytes = 0;
    double min_free_fraction = 0;
    // Injected for tests; default StatFileSystem and a steady clock.
    std::function<Result<FsSpace>(const std::string&)> stat;
    std::function<int64_t()> now_micros;
  };
  // Reads free space once. A watermark of 0 admits everything and never
  // reads again.
  explicit DiskSpaceGuard(Options opts);

  // OK, or Unavailable "store PATH: only F free on its file system, below
  // the W watermark (--min-free-space): writes are refused until space is
  // freed; reads go on" while below the watermark. `bytes`: about what the
  // write will add.
  Status Admit(size_t bytes);

  // Reads free space now (also below the interval). True if below.
  bool Refresh();
  bool low() const { return low_.load(std::memory_order_relaxed); }
  uint64_t watermark() const { return watermark_.load(); }
  uint64_t last_free_bytes() const { return free_.load(); }
  // The bytes after which Admit reads free space again.
  uint64_t check_bytes() const { return check_bytes_.load(); }
  // How many times free space was read (tests).
  uint64_t reads() const { return reads_.load(); }
  // The Unavailable status writes get now (also when not low).
  Status LowSpaceError() const;

 private:
  void RefreshLocked(int64_t now);

  const Options opts_;
  const bool enabled_;  // a watermark was asked for
  std::mutex mu_;       // serialises readings
  std::atomic<bool> low_{false};
  std::atomic<uint64_t> watermark_{0};
  std::atomic<uint64_t> check_bytes_{0};
  std::atomic<uint64_t> free_{0};
  std::atomic<uint64_t> written_{0};    // since the last reading
  std::atomic<int64_t> next_check_{0};  // micros
  std::atomic<uint64_t> reads_{0};
};

}  // namespace godwit::local

#endif  // GODWIT_STORE_LOCAL_DISK_SPACE_H_
