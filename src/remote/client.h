// The DynamoDB JSON 1.0 client under the remote store: pooled libcurl easy
// handles (each keeps its connection alive), SigV4 signing, error mapping,
// retries with full-jitter exponential backoff and a shared AIMD rate.
#ifndef GODWIT_REMOTE_CLIENT_H_
#define GODWIT_REMOTE_CLIENT_H_

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "godwit/remote_store.h"

namespace godwit::remote {

// Additive-increase, multiplicative-decrease request rate shared by all the
// threads of one store (a token bucket whose rate moves).
class AdaptiveRate {
 public:
  AdaptiveRate(double increase, double max_rate, double min_rate)
      : increase_(increase), max_rate_(max_rate), min_rate_(min_rate) {}
  // Blocks until the caller may send one request.
  void Acquire();
  void OnSuccess();
  void OnThrottle();
  double rate() const;

 private:
  using Clock = std::chrono::steady_clock;
  void Refill(Clock::time_point now);
  const double increase_, max_rate_, min_rate_;
  mutable std::mutex mu_;
  double rate_ = 0;  // 0: unlimited
  double tokens_ = 0;
  Clock::time_point last_ = Clock::now();
  // Requests started in the current one-second window and the last one
  // (the measured rate the first throttle halves).
  Clock::time_point window_start_ = Clock::now();
  double window_count_ = 0, last_window_rate_ = 0;
  Clock::time_point last_decrease_{};
};

enum class Service { kDynamoDB, kStreams };

class Client {
 public:
  explicit Client(const RemoteStoreOptions& opts);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends `op` ("PutItem") with a JSON body; returns the response body of a
  // 2xx. Retries retryable failures (see remote_store.h).
  Result<std::string> Call(Service svc, std::string_view op,
                           const std::string& body);

  RemoteStoreStats stats() const;
  const RemoteStoreOptions& options() const { return opts_; }

 private:
  struct Response {
    long http = 0;
    std::string body;
    Status transport;  // a curl failure
  };
  Response Send(Service svc, std::string_view op, const std::string& body);
  void* TakeHandle();
  void ReturnHandle(void* h);

  RemoteStoreOptions opts_;
  std::string host_, streams_host_;
  std::mutex pool_mu_;
  std::vector<void*> pool_;
  AdaptiveRate rate_;
  std::atomic<uint64_t> requests_{0}, retries_{0}, throttles_{0},
      server_errors_{0}, connection_errors_{0};
};

// Maps a DynamoDB error response (HTTP status, body) to a Status whose
// message is "<Type>: <message>" and whose subcode is the type
// (wire::ApiError::ToClientStatus, wire/errors.h: one table of types; read
// it back with wire::ErrorTypeOf).
Status MapError(long http, std::string_view body);
// True for the throttling error types (ResourceExhausted in wire's table).
bool IsThrottle(std::string_view type);

}  // namespace godwit::remote

#endif  // GODWIT_REMOTE_CLIENT_H_
