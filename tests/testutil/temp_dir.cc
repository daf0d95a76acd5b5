#include "testutil/temp_dir.h"

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace godwit::test {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl =
      std::string(base && *base ? base : "/tmp") + "/godwit-test-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed for " + tmpl);
  }
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::Join(const std::string& name) const {
  return path_ + "/" + name;
}

}  // namespace godwit::test
