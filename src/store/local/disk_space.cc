#include "store/local/disk_space.h"

#include <sys/statvfs.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

namespace godwit::local {
namespace {

int64_t SteadyMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Result<FsSpace> StatFileSystem(const std::string& path) {
  struct statvfs st {};
  if (statvfs(path.c_str(), &st) != 0) {
    return Status::IOError("statvfs " + path + ": " + std::strerror(errno));
  }
  FsSpace s;
  s.free_bytes = static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
  s.total_bytes = static_cast<uint64_t>(st.f_blocks) * st.f_frsize;
  return s;
}

std::string HumanBytes(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB"};
  if (bytes < 1024) return std::to_string(bytes) + " bytes";
  double v = static_cast<double>(bytes);
  int u = -1;
  while (v >= 1024 && u < 3) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  if (v == static_cast<double>(static_cast<uint64_t>(v))) {
    std::snprintf(buf, sizeof(buf), "%.0f %s", v, kUnits[u]);
  } else {
    std::snprintf(buf, sizeof(buf), "%.1f %s", v, kUnits[u]);
  }
  return buf;
}

uint64_t Watermark(uint64_t min_free_bytes, double min_free_fraction,
                   uint64_t total_bytes) {
  uint64_t by_fraction =
      min_free_fraction > 0
          ? static_cast<uint64_t>(min_free_fraction *
                                  static_cast<double>(total_bytes))
          : 0;
  if (min_free_bytes == 0) return by_fraction;
  if (by_fraction == 0) return min_free_bytes;
  return std::min(min_free_bytes, by_fraction);
}

DiskSpaceGuard::DiskSpaceGuard(Options opts)
    : opts_(std::move(opts)),
      enabled_(opts_.min_free_bytes > 0 || opts_.min_free_fraction > 0) {
  std::lock_guard l(mu_);
  RefreshLocked(opts_.now_micros ? opts_.now_micros() : SteadyMicros());
}

bool DiskSpaceGuard::Refresh() {
  std::lock_guard l(mu_);
  RefreshLocked(opts_.now_micros ? opts_.now_micros() : SteadyMicros());
  return low();
}

void DiskSpaceGuard::RefreshLocked(int64_t now) {
  reads_.fetch_add(1);
  Result<FsSpace> s =
      opts_.stat ? opts_.stat(opts_.path) : StatFileSystem(opts_.path);
  written_.store(0);
  next_check_.store(now + kCheckIntervalMicros);
  if (!s.ok()) {
    // Cannot tell: admit writes rather than refuse them on a guess; the
    // storage engine still reports a real ENOSPC (as Unavailable).
    low_.store(false);
    return;
  }
  uint64_t w =
      Watermark(opts_.min_free_bytes, opts_.min_free_fraction, s->total_bytes);
  watermark_.store(w);
  // A quarter of the watermark, between 1 MiB and 64 MiB: a writer cannot
  // get more than that past the watermark before the next reading.
  check_bytes_.store(
      std::clamp<uint64_t>(w / 4, uint64_t{1} << 20, uint64_t{64} << 20));
  free_.store(s->free_bytes);
  low_.store(w > 0 && s->free_bytes < w);
}

Status DiskSpaceGuard::Admit(size_t bytes) {
  if (!enabled_) return Status::OK();
  int64_t now = opts_.now_micros ? opts_.now_micros() : SteadyMicros();
  uint64_t written =
      written_.fetch_add(bytes, std::memory_order_relaxed) + bytes;
  if (now >= next_check_.load(std::memory_order_relaxed) ||
      written >= check_bytes_.load(std::memory_order_relaxed)) {
    std::lock_guard l(mu_);
    // Another writer may have just read it.
    if (now >= next_check_.load() || written_.load() >= check_bytes_.load()) {
      RefreshLocked(now);
    }
  }
  if (!low()) return Status::OK();
  return LowSpaceError();
}

Status DiskSpaceGuard::LowSpaceError() const {
  return Status::Unavailable(
      "store " + opts_.path + ": only " + HumanBytes(free_.load()) +
      " free on its file system, below the " + HumanBytes(watermark_.load()) +
      " watermark (--min-free-space): writes are refused until space is "
      "freed; reads go on");
}

}  // namespace godwit::local
