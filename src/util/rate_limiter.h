// A token bucket: Acquire(n) blocks until n tokens are available. Rate 0
// means unlimited. Thread-safe; the rate can change while threads wait.
#ifndef GODWIT_UTIL_RATE_LIMITER_H_
#define GODWIT_UTIL_RATE_LIMITER_H_

#include <algorithm>
#include <chrono>
#include <mutex>
#include <thread>

namespace godwit {

class RateLimiter {
 public:
  explicit RateLimiter(double per_second = 0) { SetRate(per_second); }

  void SetRate(double per_second) {
    std::lock_guard lock(mu_);
    rate_ = per_second > 0 ? per_second : 0;
    // Burst: a tenth of a second's worth, at least one batch.
    burst_ = std::max(25.0, rate_ / 10);
    tokens_ = std::min(tokens_, burst_);
    last_ = Clock::now();
  }

  double rate() const {
    std::lock_guard lock(mu_);
    return rate_;
  }

  // Blocks until `n` tokens are taken (n may exceed the burst: the bucket
  // goes into debt and later callers wait it out).
  void Acquire(double n) {
    std::unique_lock lock(mu_);
    if (rate_ == 0) return;
    Refill();
    tokens_ -= n;
    while (tokens_ < 0 && rate_ > 0) {
      auto wait = std::chrono::duration<double>(-tokens_ / rate_);
      lock.unlock();
      std::this_thread::sleep_for(std::min<std::chrono::duration<double>>(
          wait, std::chrono::milliseconds(100)));
      lock.lock();
      Refill();
    }
  }

 private:
  using Clock = std::chrono::steady_clock;
  void Refill() {
    auto now = Clock::now();
    tokens_ = std::min(
        burst_,
        tokens_ + std::chrono::duration<double>(now - last_).count() * rate_);
    last_ = now;
  }

  mutable std::mutex mu_;
  double rate_ = 0;                        // GUARDED_BY(mu_)
  double burst_ = 25;                      // GUARDED_BY(mu_)
  double tokens_ = 0;                      // GUARDED_BY(mu_)
  Clock::time_point last_ = Clock::now();  // GUARDED_BY(mu_)
};

}  // namespace godwit

#endif  // GODWIT_UTIL_RATE_LIMITER_H_
