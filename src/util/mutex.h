// A mutex, a condition variable and lock guards that clang's thread-safety
// analysis checks (-Wthread-safety, an error in the debug preset).
// libstdc++'s std::mutex carries no annotations, so a GUARDED_BY naming one
// would check nothing; these wrap it and say what they do.
//
//   class Counter {
//    public:
//     void Add(int n) EXCLUDES(mu_) {
//       MutexLock lock(&mu_);
//       total_ += n;
//       cv_.SignalAll();
//     }
//     void WaitFor(int n) EXCLUDES(mu_) {
//       MutexLock lock(&mu_);
//       while (total_ < n) cv_.Wait(&mu_);
//     }
//    private:
//     Mutex mu_;
//     CondVar cv_;
//     int total_ GUARDED_BY(mu_) = 0;
//   };
//
// The macros are clang's
// (https://clang.llvm.org/docs/ThreadSafetyAnalysis.html); with another
// compiler they expand to nothing.
#ifndef GODWIT_UTIL_MUTEX_H_
#define GODWIT_UTIL_MUTEX_H_

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <shared_mutex>

#if defined(__clang__)
#define GODWIT_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define GODWIT_THREAD_ANNOTATION(x)
#endif

#define CAPABILITY(x) GODWIT_THREAD_ANNOTATION(capability(x))
#define SCOPED_CAPABILITY GODWIT_THREAD_ANNOTATION(scoped_lockable)
#define GUARDED_BY(x) GODWIT_THREAD_ANNOTATION(guarded_by(x))
#define PT_GUARDED_BY(x) GODWIT_THREAD_ANNOTATION(pt_guarded_by(x))
#define ACQUIRED_BEFORE(...) \
  GODWIT_THREAD_ANNOTATION(acquired_before(__VA_ARGS__))
#define ACQUIRED_AFTER(...) \
  GODWIT_THREAD_ANNOTATION(acquired_after(__VA_ARGS__))
#define REQUIRES(...) GODWIT_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define REQUIRES_SHARED(...) \
  GODWIT_THREAD_ANNOTATION(requires_shared_capability(__VA_ARGS__))
#define ACQUIRE(...) GODWIT_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define ACQUIRE_SHARED(...) \
  GODWIT_THREAD_ANNOTATION(acquire_shared_capability(__VA_ARGS__))
#define RELEASE(...) GODWIT_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define RELEASE_SHARED(...) \
  GODWIT_THREAD_ANNOTATION(release_shared_capability(__VA_ARGS__))
#define RELEASE_GENERIC(...) \
  GODWIT_THREAD_ANNOTATION(release_generic_capability(__VA_ARGS__))
#define TRY_ACQUIRE(...) \
  GODWIT_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
#define EXCLUDES(...) GODWIT_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define ASSERT_CAPABILITY(x) GODWIT_THREAD_ANNOTATION(assert_capability(x))
#define RETURN_CAPABILITY(x) GODWIT_THREAD_ANNOTATION(lock_returned(x))
#define NO_THREAD_SAFETY_ANALYSIS \
  GODWIT_THREAD_ANNOTATION(no_thread_safety_analysis)

namespace godwit {

class CondVar;

// A non-recursive exclusive mutex.
class CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ACQUIRE() { mu_.lock(); }
  void Unlock() RELEASE() { mu_.unlock(); }
  bool TryLock() TRY_ACQUIRE(true) { return mu_.try_lock(); }
  // Tells the analysis that the caller holds the mutex (where it cannot see
  // it, e.g. a lock taken by an object that outlives one function). Checks
  // nothing at run time.
  void AssertHeld() ASSERT_CAPABILITY(this) {}

 private:
  friend class CondVar;
  std::mutex mu_;
};

// Holds a Mutex for its scope.
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ACQUIRE(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() RELEASE() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

// A reader/writer mutex.
class CAPABILITY("shared mutex") SharedMutex {
 public:
  SharedMutex() = default;
  SharedMutex(const SharedMutex&) = delete;
  SharedMutex& operator=(const SharedMutex&) = delete;

  void Lock() ACQUIRE() { mu_.lock(); }
  void Unlock() RELEASE() { mu_.unlock(); }
  void ReaderLock() ACQUIRE_SHARED() { mu_.lock_shared(); }
  void ReaderUnlock() RELEASE_SHARED() { mu_.unlock_shared(); }
  // As Mutex::AssertHeld, for the exclusive lock.
  void AssertHeld() ASSERT_CAPABILITY(this) {}

 private:
  std::shared_mutex mu_;
};

// Holds a SharedMutex shared for its scope.
class SCOPED_CAPABILITY ReaderMutexLock {
 public:
  explicit ReaderMutexLock(SharedMutex* mu) ACQUIRE_SHARED(mu) : mu_(mu) {
    mu_->ReaderLock();
  }
  ~ReaderMutexLock() RELEASE() { mu_->ReaderUnlock(); }
  ReaderMutexLock(const ReaderMutexLock&) = delete;
  ReaderMutexLock& operator=(const ReaderMutexLock&) = delete;

 private:
  SharedMutex* const mu_;
};

// A condition variable used with a Mutex the caller holds.
class CondVar {
 public:
  CondVar() = default;
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;

  // Releases *mu, waits for a signal (or a spurious wake-up), re-acquires
  // *mu. Callers wait in a loop on their condition.
  void Wait(Mutex* mu) REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    cv_.wait(lock);
    lock.release();  // still held: the caller's
  }
  // As Wait, for at most `timeout`. Returns false on a timeout.
  template <typename Rep, typename Period>
  bool WaitFor(Mutex* mu, std::chrono::duration<Rep, Period> timeout)
      REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    std::cv_status s = cv_.wait_for(lock, timeout);
    lock.release();
    return s == std::cv_status::no_timeout;
  }
  void Signal() { cv_.notify_one(); }
  void SignalAll() { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

}  // namespace godwit

#endif  // GODWIT_UTIL_MUTEX_H_
