// A small tmpfs for disk-full tests: mounted on a fresh directory, filled on
// demand, unmounted (lazily) when destroyed. Mounting needs root or
// CAP_SYS_ADMIN; where it fails, the test says why and skips.
#ifndef GODWIT_TESTUTIL_TMPFS_H_
#define GODWIT_TESTUTIL_TMPFS_H_

#include <cstdint>
#include <string>

#include "testutil/temp_dir.h"

namespace godwit::test {

class Tmpfs {
 public:
  // Mounts a tmpfs of `megabytes` MiB. Check ok() (and error()).
  explicit Tmpfs(int megabytes);
  ~Tmpfs();
  Tmpfs(const Tmpfs&) = delete;
  Tmpfs& operator=(const Tmpfs&) = delete;

  bool ok() const { return mounted_; }
  const std::string& error() const { return error_; }
  const std::string& path() const { return path_; }
  std::string Join(const std::string& name) const { return path_ + "/" + name; }

  // Free bytes (statvfs f_bavail).
  uint64_t FreeBytes() const;
  // Grows the filler file until at most `leave` bytes are free (0: until
  // the file system refuses, ENOSPC). Returns the filler's size.
  uint64_t Fill(uint64_t leave = 0);
  // Deletes the filler file.
  void Unfill();

 private:
  TempDir dir_;
  std::string path_;
  std::string error_;
  bool mounted_ = false;
  int filler_ = -1;
  uint64_t filled_ = 0;
};

}  // namespace godwit::test

#endif  // GODWIT_TESTUTIL_TMPFS_H_
