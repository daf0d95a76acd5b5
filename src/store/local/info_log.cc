#include "store/local/info_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <ctime>

namespace godwit::local {
namespace {

constexpr off_t kMaxBytes = off_t{16} << 20;

class InfoLog final : public rocksdb::Logger {
 public:
  InfoLog(const std::string& dir, rocksdb::InfoLogLevel level)
      : rocksdb::Logger(level) {
    std::string path = dir + "/LOG";
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && st.st_size > kMaxBytes) {
      ::rename(path.c_str(), (dir + "/LOG.old").c_str());
    }
    fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  }
  ~InfoLog() override {
    if (fd_ >= 0) ::close(fd_);
  }

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    if (fd_ < 0) return;
    char line[2048];
    struct timeval tv {};
    gettimeofday(&tv, nullptr);
    struct tm tm {};
    time_t secs = tv.tv_sec;
    localtime_r(&secs, &tm);
    int n = std::snprintf(
        line, sizeof(line), "%04d/%02d/%02d-%02d:%02d:%02d.%06ld ",
        tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
        tm.tm_sec, static_cast<long>(tv.tv_usec));
    if (n < 0) return;
    size_t len = static_cast<size_t>(n);
    va_list copy;
    va_copy(copy, ap);
    int m = std::vsnprintf(line + len, sizeof(line) - len - 1, format, copy);
    va_end(copy);
    if (m < 0) return;
    len = std::min(sizeof(line) - 2, len + static_cast<size_t>(m));
    if (line[len - 1] != '\n') line[len++] = '\n';
    // One write(2) per line (O_APPEND: whole lines); a failure (ENOSPC) only
    // loses this line.
    ssize_t ignored = ::write(fd_, line, len);
    (void)ignored;
  }

 private:
  int fd_ = -1;
};

}  // namespace

std::shared_ptr<rocksdb::Logger> NewInfoLog(const std::string& dir,
                                            rocksdb::InfoLogLevel level) {
  return std::make_shared<InfoLog>(dir, level);
}

}  // namespace godwit::local
