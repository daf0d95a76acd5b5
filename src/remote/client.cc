#include "remote/client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <thread>

#include "godwit/server.h"
#include "util/sigv4.h"
#include "wire/errors.h"

namespace godwit::remote {
namespace {

std::once_flag g_curl_init;

size_t WriteBody(char* p, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(p, size * n);
  return size * n;
}

std::string HostOf(const std::string& url) {
  size_t b = url.find("://");
  b = b == std::string::npos ? 0 : b + 3;
  size_t e = url.find('/', b);
  return url.substr(b, e == std::string::npos ? std::string::npos : e - b);
}

double Uniform(double hi) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0, hi)(rng);
}

}  // namespace

// ---- AdaptiveRate ------------------------------------------------------

void AdaptiveRate::Refill(Clock::time_point now) {
  double dt = std::chrono::duration<double>(now - last_).count();
  last_ = now;
  if (rate_ > 0)
    tokens_ = std::min(tokens_ + dt * rate_, std::max(1.0, rate_ / 10));
}

void AdaptiveRate::Acquire() {
  std::unique_lock lock(mu_);
  Clock::time_point now = Clock::now();
  double w = std::chrono::duration<double>(now - window_start_).count();
  if (w >= 1.0) {
    last_window_rate_ = window_count_ / w;
    window_count_ = 0;
    window_start_ = now;
  }
  window_count_ += 1;
  if (rate_ == 0) return;
  Refill(now);
  tokens_ -= 1;
  while (tokens_ < 0 && rate_ > 0) {
    auto wait = std::chrono::duration<double>(-tokens_ / rate_);
    lock.unlock();
    std::this_thread::sleep_for(std::min<std::chrono::duration<double>>(
        wait, std::chrono::milliseconds(200)));
    lock.lock();
    Refill(Clock::now());
  }
}

void AdaptiveRate::OnSuccess() {
  std::lock_guard lock(mu_);
  if (rate_ == 0) return;
  rate_ += increase_;
  if (rate_ > max_rate_) rate_ = 0;
}

void AdaptiveRate::OnThrottle() {
  std::lock_guard lock(mu_);
  Clock::time_point now = Clock::now();
  // One decrease per second: the throttles of one second, from any number
  // of threads, are one congestion signal (a decrease per throttle would
  // drive the rate to the floor whenever a steady small fraction of
  // requests is throttled, which is how a hot partition looks).
  if (now - last_decrease_ < std::chrono::seconds(1)) return;
  last_decrease_ = now;
  double base = rate_;
  if (base == 0) {
    double w = std::chrono::duration<double>(now - window_start_).count();
    base = std::max(last_window_rate_, w > 0.05 ? window_count_ / w : 0);
    if (base == 0) base = 2 * min_rate_;
    tokens_ = 0;
    last_ = now;
  }
  rate_ = std::max(min_rate_, base / 2);
}

double AdaptiveRate::rate() const {
  std::lock_guard lock(mu_);
  return rate_;
}

// ---- errors --------------------------------------------------------------

bool IsThrottle(std::string_view type) {
  const wire::ErrorInfo* e = wire::FindError(type);
  return e != nullptr && e->code == StatusCode::kResourceExhausted;
}

Status MapError(long http, std::string_view body) {
  return wire::ApiError::FromResponse(http, body).ToClientStatus();
}

// ---- Client --------------------------------------------------------------

Client::Client(const RemoteStoreOptions& opts)
    : opts_(opts),
      host_(HostOf(opts.endpoint)),
      streams_host_(HostOf(opts.streams_endpoint)),
      rate_(opts.rate_increase, opts.max_rate, opts.min_rate) {
  std::call_once(g_curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

Client::~Client() {
  for (void* h : pool_) curl_easy_cleanup(static_cast<CURL*>(h));
}

void* Client::TakeHandle() {
  {
    std::lock_guard lock(pool_mu_);
    if (!pool_.empty()) {
      void* h = pool_.back();
      pool_.pop_back();
      return h;
    }
  }
  return curl_easy_init();
}

void Client::ReturnHandle(void* h) {
  std::lock_guard lock(pool_mu_);
  if (static_cast<int>(pool_.size()) < opts_.max_connections) {
    pool_.push_back(h);
  } else {
    curl_easy_cleanup(static_cast<CURL*>(h));
  }
}

Client::Response Client::Send(Service svc, std::string_view op,
                              const std::string& body) {
  Response r;
  bool streams = svc == Service::kStreams;
  std::string target = std::string(streams ? "DynamoDBStreams_20120810."
                                           : "DynamoDB_20120810.") +
                       std::string(op);
  sigv4::SignInput in;
  in.method = "POST";
  in.path_and_query = "/";
  in.host = streams ? streams_host_ : host_;
  // godwit serve: address physical tables, not the tables their names
  // route to (ServerOptions::physical). Signed: with --auth the server
  // takes it only from the signed headers; other endpoints ignore it.
  in.headers = {{"Content-Type", "application/x-amz-json-1.0"},
                {"X-Amz-Target", target},
                {std::string(server::kPhysicalTablesHeader), "1"}};
  in.body = body;
  in.region = opts_.region;
  in.service = "dynamodb";
  in.unix_seconds = std::chrono::duration_cast<std::chrono::seconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
  sigv4::Credentials creds{opts_.credentials.access_key_id,
                           opts_.credentials.secret_access_key,
                           opts_.credentials.session_token};
  sigv4::Signed sig = sigv4::Sign(in, creds);

  CURL* h = static_cast<CURL*>(TakeHandle());
  if (h == nullptr) {
    r.transport = Status::Internal("curl_easy_init failed");
    return r;
  }
  curl_easy_reset(h);
  struct curl_slist* hdrs = nullptr;
  for (const auto& [k, v] : in.headers) {
    hdrs = curl_slist_append(hdrs, (k + ": " + v).c_str());
  }
  for (const auto& [k, v] : sig.add) {
    hdrs = curl_slist_append(hdrs, (k + ": " + v).c_str());
  }
  hdrs = curl_slist_append(hdrs, "Expect:");
  const std::string& url = streams ? opts_.streams_endpoint : opts_.endpoint;
  std::string full = url + "/";
  curl_easy_setopt(h, CURLOPT_URL, full.c_str());
  curl_easy_setopt(h, CURLOPT_POST, 1L);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                   static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(opts_.connect_timeout_ms));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(opts_.request_timeout_ms));
  curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
  CURLcode rc = curl_easy_perform(h);
  curl_slist_free_all(hdrs);
  ++requests_;
  if (rc != CURLE_OK) {
    std::string what = std::string(curl_easy_strerror(rc)) + " (" + full + ")";
    r.transport =
        rc == CURLE_OPERATION_TIMEDOUT
            ? Status::DeadlineExceeded("request timed out: " + what)
        : rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL
            ? Status::InvalidArgument("bad endpoint: " + what)
            : Status::Unavailable("connection failed: " + what);
    // A broken connection is not reused.
    curl_easy_cleanup(h);
    return r;
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.http);
  ReturnHandle(h);
  return r;
}

Result<std::string> Client::Call(Service svc, std::string_view op,
                                 const std::string& body) {
  auto start = std::chrono::steady_clock::now();
  Status last;
  const int max_attempts = std::max(1, opts_.retry.max_attempts);
  for (int attempt = 0; attempt < max_attempts; ++attempt) {
    if (attempt > 0) {
      ++retries_;
      double cap = std::min<double>(
          opts_.retry.max_delay_ms,
          opts_.retry.base_delay_ms * std::pow(2.0, std::min(attempt, 20)));
      std::this_thread::sleep_for(
          std::chrono::microseconds(static_cast<int64_t>(Uniform(cap) * 1000)));
    }
    rate_.Acquire();
    Response r = Send(svc, op, body);
    if (!r.transport.ok()) {
      last = r.transport;
      if (!last.retryable()) return last.WithContext(std::string(op));
      ++connection_errors_;
      continue;
    }
    if (r.http >= 200 && r.http < 300) {
      rate_.OnSuccess();
      return std::move(r.body);
    }
    last = MapError(r.http, r.body);
    if (last.code() == StatusCode::kResourceExhausted) {
      ++throttles_;
      rate_.OnThrottle();
    } else if (last.code() == StatusCode::kUnavailable) {
      ++server_errors_;
    }
    if (!last.retryable()) return last.WithContext(std::string(op));
  }
  double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  char buf[160];
  std::snprintf(buf, sizeof(buf),
                " (gave up after %d attempts over %.1f s; the error is "
                "transient: resume the run to continue)",
                max_attempts, secs);
  return Status(last.code(), last.subcode(),
                std::string(op) + ": " + std::string(last.message()) + buf);
}

RemoteStoreStats Client::stats() const {
  RemoteStoreStats s;
  s.requests = requests_;
  s.retries = retries_;
  s.throttles = throttles_;
  s.server_errors = server_errors_;
  s.connection_errors = connection_errors_;
  s.rate = rate_.rate();
  return s;
}

}  // namespace godwit::remote
