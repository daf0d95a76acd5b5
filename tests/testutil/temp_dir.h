// A directory under $TMPDIR (or /tmp) removed with everything in it when the
// TempDir is destroyed.
#ifndef GODWIT_TESTUTIL_TEMP_DIR_H_
#define GODWIT_TESTUTIL_TEMP_DIR_H_

#include <string>

namespace godwit::test {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  // path() + "/" + name
  std::string Join(const std::string& name) const;

 private:
  std::string path_;
};

}  // namespace godwit::test

#endif  // GODWIT_TESTUTIL_TEMP_DIR_H_
