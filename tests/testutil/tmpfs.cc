#include "testutil/tmpfs.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace godwit::test {

Tmpfs::Tmpfs(int megabytes) : path_(dir_.Join("tmpfs")) {
  if (::mkdir(path_.c_str(), 0755) != 0) {
    error_ = "mkdir " + path_ + ": " + std::strerror(errno);
    return;
  }
  std::string opts = "size=" + std::to_string(megabytes) + "m";
  if (::mount("tmpfs", path_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV,
              opts.c_str()) != 0) {
    error_ = "cannot mount a tmpfs on " + path_ + " (" + std::strerror(errno) +
             "): this test needs root or CAP_SYS_ADMIN";
    return;
  }
  mounted_ = true;
}

Tmpfs::~Tmpfs() {
  if (filler_ >= 0) ::close(filler_);
  if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
}

uint64_t Tmpfs::FreeBytes() const {
  struct statvfs st {};
  if (::statvfs(path_.c_str(), &st) != 0) return 0;
  return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
}

uint64_t Tmpfs::Fill(uint64_t leave) {
  if (filler_ < 0) {
    filler_ = ::open(Join("filler").c_str(),
                     O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    filled_ = 0;
    if (filler_ < 0) return 0;
  }
  std::vector<char> chunk(1 << 20, 'f');
  for (;;) {
    uint64_t free = FreeBytes();
    if (free <= leave) break;
    size_t n =
        static_cast<size_t>(std::min<uint64_t>(chunk.size(), free - leave));
    // Whole pages: a tmpfs hands out pages, and a last partial one would
    // leave a page free.
    if (leave == 0) n = chunk.size();
    ssize_t w = ::pwrite(filler_, chunk.data(), n, static_cast<off_t>(filled_));
    if (w <= 0) break;  // ENOSPC
    filled_ += static_cast<uint64_t>(w);
  }
  return filled_;
}

void Tmpfs::Unfill() {
  if (filler_ >= 0) ::close(filler_);
  filler_ = -1;
  filled_ = 0;
  ::unlink(Join("filler").c_str());
}

}  // namespace godwit::test
