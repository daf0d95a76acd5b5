// Server: RequestHandler behind a Boost.Beast HTTP/1.1 listener. The
// connections are in http_session.cc; memory and descriptor limits are
// described in http_server.h.
//
// Threads: `threads` runners of one io_context. Each connection is a
// Session on its own strand; a request is handled synchronously on the
// strand (store calls block), so one connection handles one request at a
// time, and connections run in parallel up to the number of runners. A large
// request runs on a worker thread of its own (RunOnWorker).
//
// Shutdown: the acceptor closes, every session that is waiting for a request
// has its socket closed, a session that is handling one writes its response
// and then closes (stopping_ is checked before reading the next request).
// Shutdown() waits up to 10 s for the sessions to end, then for the workers
// (each finishes its request), then stops the io_context and joins the
// runners. No acknowledged write is lost: a write's response is only sent
// after the store acknowledged it.
//
// Boost reports errors through error_code here; anything Boost throws is
// caught at the edge (Start, and each runner's run loop).
#include "server/http_server.h"

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>

#include "server/stream_hub.h"

namespace godwit::server {
namespace internal {

bool ByteBudget::TryAcquire(size_t n) {
  size_t used = used_.load();
  do {
    if (n > limit_ || used > limit_ - n) return false;
  } while (!used_.compare_exchange_weak(used, used + n));
  return true;
}

void Reservation::ShrinkTo(size_t n) {
  if (budget_ == nullptr || n >= n_) return;
  budget_->Release(n_ - n);
  n_ = n;
}

void Reservation::Release() {
  if (budget_ != nullptr && n_ > 0) budget_->Release(n_);
  budget_ = nullptr;
  n_ = 0;
}

// What parsing and handling cost. simdjson's DOM parser (the handler's)
// takes a padded copy of the input (1 byte per byte), a string buffer (1
// byte per byte plus 5 per string), a structural index (4 bytes per
// structural character or scalar) and a tape (8 bytes per string or
// container end, 16 per number); the handler then copies each item's JSON
// (minified) and builds its values (an AttributeValue, a name, a string per
// typed value, {"S": ...} being one '{').
// The estimate: 4 * n + 48 * (brackets, braces) + 24 * (commas, colons)
//               + 24 * quotes
// calibrated on the ASan build's peak RSS (which a release build stays well
// under), e.g. (body MiB: peak MiB over the start / estimate + body):
//   one 8 MB string                        7.6:  32 /  38
//   400k {"N":"1"} in one list             3.8:  42 / 101
//   BatchWriteItem, 25 x 60k {"N":"1"}    14.3: 317 / 400
//   BatchWriteItem, 25 x 20k-entry maps   10.7: 181 / 188
//   700k {} in one list                    2.0:  30 /  90
// A body of "{}" elements is estimated at 44 bytes per byte, long strings
// at 4.
size_t EstimateHandleBytes(std::string_view body) {
  size_t brackets = 0, separators = 0, quotes = 0;
  for (char c : body) {
    switch (c) {
      case '{':
      case '}':
      case '[':
      case ']':
        ++brackets;
        break;
      case ',':
      case ':':
        ++separators;
        break;
      case '"':
        ++quotes;
        break;
      default:
        break;
    }
  }
  return 4 * body.size() + 48 * brackets + 24 * separators + 24 * quotes;
}

size_t DefaultMaxConnections() {
  struct rlimit rl {};
  size_t soft = 1024;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
    soft = static_cast<size_t>(rl.rlim_cur);
  } else if (rl.rlim_cur == RLIM_INFINITY) {
    soft = size_t{1} << 20;
  }
  size_t reserve = std::min<size_t>(1024, soft / 4);
  return std::clamp<size_t>(soft - reserve, 16, 4096);
}

namespace {

// The physical tables' handler: the same, without the admin operations
// (they belong to the routing side).
HandlerOptions PhysicalOptions(const ServerOptions& opts) {
  HandlerOptions h = opts.handler;
  h.admin = nullptr;
  return h;
}

// accept() errors are errno values (system category). Compared by value,
// and described with strerror, without the error category's virtual calls:
// with no descriptor left, a sanitizer build cannot check those calls (its
// check opens a pipe) and aborts.
bool OutOfDescriptors(const beast::error_code& ec) {
  int v = ec.value();
  return v == EMFILE || v == ENFILE || v == ENOBUFS || v == ENOMEM;
}

}  // namespace

ServerImpl::ServerImpl(Store* store, const ServerOptions& opts)
    : opts_(opts),
      budget_(opts.max_inflight_bytes),
      handler_(store, opts.handler),
      physical_handler_(opts.physical != nullptr
                            ? std::make_unique<RequestHandler>(
                                  opts.physical, PhysicalOptions(opts))
                            : nullptr),
      max_connections_(opts.max_connections > 0 ? opts.max_connections
                                                : DefaultMaxConnections()),
      ioc_(std::max(1, opts.threads)),
      acceptor_(asio::make_strand(ioc_)),
      accept_timer_(acceptor_.get_executor()) {}

Status ServerImpl::Listen() {
  if (opts_.max_inflight_bytes / kHeaderTimeFactor < opts_.max_body_bytes) {
    return Status::InvalidArgument(
        "max_inflight_bytes (" + std::to_string(opts_.max_inflight_bytes) +
        ") must be at least " + std::to_string(kHeaderTimeFactor) +
        " times max_body_bytes (" + std::to_string(opts_.max_body_bytes) +
        "): a body and the least its parsing takes");
  }
  beast::error_code ec;
  asio::ip::address addr = asio::ip::make_address(opts_.host, ec);
  if (ec) {
    tcp::resolver resolver(ioc_);
    auto results = resolver.resolve(opts_.host, std::to_string(opts_.port), ec);
    if (ec || results.empty()) {
      return Status::InvalidArgument("cannot resolve listen host " +
                                     opts_.host);
    }
    addr = results.begin()->endpoint().address();
  }
  tcp::endpoint ep(addr, opts_.port);
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::IOError("cannot listen on " + opts_.host + ":" +
                           std::to_string(opts_.port) + ": " + ec.message());
  }
  port_ = acceptor_.local_endpoint(ec).port();
  asio::post(acceptor_.get_executor(), [this] { Accept(); });
  int n = std::max(1, opts_.threads);
  for (int i = 0; i < n; ++i) {
    runners_.emplace_back([this] {
      for (;;) {
        try {
          ioc_.run();
          return;
        } catch (const std::exception& e) {
          std::fprintf(stderr, "godwit serve: %s\n", e.what());
        }
      }
    });
  }
  return Status::OK();
}

void ServerImpl::Shutdown() {
  if (shut_.exchange(true)) return;
  // The Time to Live expirer writes to the store: stopped first.
  if (opts_.handler.stream_hub) opts_.handler.stream_hub->Stop();
  stopping_ = true;
  if (runners_.empty()) return;  // Listen() failed: nothing runs
  asio::post(acceptor_.get_executor(), [this] {
    beast::error_code ec;
    acceptor_.close(ec);
    accept_timer_.cancel();
  });
  // Take references under the lock, act outside it: dropping the last
  // reference runs ~Session, which takes mu_.
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (Session* s : sessions_) {
      if (auto p = s->weak_from_this().lock()) live.push_back(std::move(p));
    }
  }
  for (auto& s : live) s->OnShutdown();
  live.clear();
  {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait_for(l, std::chrono::seconds(10),
                 [this] { return sessions_.empty(); });
    // A worker posts its result to its session's strand: it must be done
    // before the io_context stops (it finishes the request it has).
    cv_.wait(l, [this] { return workers_ == 0; });
  }
  // The acceptor's close may still be queued: give it a moment.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (acceptor_open_.load() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ioc_.stop();
  for (std::thread& t : runners_) t.join();
  runners_.clear();
}

void ServerImpl::Register(Session* s) {
  std::lock_guard<std::mutex> l(mu_);
  sessions_.insert(s);
  connections_.store(sessions_.size());
}

void ServerImpl::Unregister(Session* s) {
  std::lock_guard<std::mutex> l(mu_);
  if (s->idle_) {
    idle_.erase(s->idle_pos_);
    s->idle_ = false;
  }
  sessions_.erase(s);
  connections_.store(sessions_.size());
  if (sessions_.empty()) cv_.notify_all();
}

void ServerImpl::SetIdle(Session* s, bool idle) {
  std::lock_guard<std::mutex> l(mu_);
  if (s->idle_) {
    idle_.erase(s->idle_pos_);
    s->idle_ = false;
  }
  if (idle) {
    s->idle_pos_ = idle_.insert(idle_.end(), s);
    s->idle_ = true;
  }
}

size_t ServerImpl::ShedIdle(size_t n) {
  std::vector<std::shared_ptr<Session>> shed;
  size_t asked = 0;
  {
    std::lock_guard<std::mutex> l(mu_);
    while (asked < n && !idle_.empty()) {
      Session* s = idle_.front();
      idle_.pop_front();
      s->idle_ = false;
      ++asked;
      if (auto p = s->weak_from_this().lock()) shed.push_back(std::move(p));
    }
  }
  for (auto& s : shed) s->Shed();
  return asked;
}

void ServerImpl::RunOnWorker(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> l(mu_);
    ++workers_;
  }
  auto shared = std::make_shared<std::function<void()>>(std::move(fn));
  try {
    std::thread([this, shared] {
      (*shared)();
      *shared = nullptr;  // what it holds goes before the count does
      std::lock_guard<std::mutex> l(mu_);
      --workers_;
      // Under mu_: Shutdown (and ~ServerImpl after it) cannot get past its
      // wait before this thread let go of mu_, its last use of `this`.
      cv_.notify_all();
    }).detach();
  } catch (const std::system_error& e) {
    // No thread to be had (EAGAIN): run it here, on the I/O thread.
    Note(std::string("cannot start a worker thread (") + e.what() +
         "): a large request runs on an I/O thread");
    {
      std::lock_guard<std::mutex> l(mu_);
      --workers_;
    }
    if (*shared) (*shared)();
  }
}

void ServerImpl::Note(const std::string& what) {
  auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> l(note_mu_);
    if (last_note_ != std::chrono::steady_clock::time_point{} &&
        now - last_note_ < std::chrono::seconds(10)) {
      return;
    }
    last_note_ = now;
  }
  std::fprintf(stderr, "godwit serve: %s\n", what.c_str());
}

void ServerImpl::Accept() {
  acceptor_.async_accept(asio::make_strand(ioc_),
                         [this](beast::error_code ec, tcp::socket socket) {
                           OnAccept(ec, std::move(socket));
                         });
}

void ServerImpl::AcceptAfter(std::chrono::milliseconds delay) {
  accept_timer_.expires_after(delay);
  accept_timer_.async_wait([this](beast::error_code) {
    if (stopping_ || !acceptor_.is_open()) {
      acceptor_open_ = false;
      return;
    }
    Accept();
  });
}

void ServerImpl::OnAccept(beast::error_code ec, tcp::socket socket) {
  if (stopping_ || !acceptor_.is_open()) {
    beast::error_code ignored;
    acceptor_.close(ignored);
    acceptor_open_ = false;
    return;
  }
  if (ec) {
    if (OutOfDescriptors(ec)) {
      // The connection waits in the backlog; accepting again at once fails
      // again at once (this spun a core). Make room, then wait a little.
      size_t shed = ShedIdle(16);
      backoff_ = shed > 0
                     ? std::chrono::milliseconds(5)
                     : std::clamp(backoff_ * 2, std::chrono::milliseconds(10),
                                  std::chrono::milliseconds(500));
      Note("accept failed: " + std::string(std::strerror(ec.value())) + " (" +
           std::to_string(connections_.load()) + " connections open); " +
           (shed > 0 ? "closed " + std::to_string(shed) +
                           " idle keep-alive connection(s)"
                     : std::string("no idle connection to close")) +
           ", retrying in " + std::to_string(backoff_.count()) + " ms");
      return AcceptAfter(backoff_);
    }
    // Another error (a connection reset before it was accepted): go on,
    // but never in a tight loop.
    backoff_ = std::clamp(backoff_ * 2, std::chrono::milliseconds(1),
                          std::chrono::milliseconds(100));
    return AcceptAfter(backoff_);
  }
  backoff_ = std::chrono::milliseconds(0);
  if (connections_.load() >= max_connections_ && ShedIdle(1) == 0) {
    // Every connection is busy: this one is closed unserved.
    Note("connection cap (" + std::to_string(max_connections_) +
         ") reached with no idle connection: closing new connections");
    beast::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
  } else {
    std::make_shared<Session>(std::move(socket), this)->Start();
  }
  Accept();
}

}  // namespace internal

Result<std::pair<std::string, uint16_t>> ParseListenAddress(
    std::string_view spec) {
  std::string host;
  std::string_view port_text;
  if (spec.starts_with("[")) {
    size_t end = spec.find("]:");
    if (end == std::string_view::npos) {
      return Status::InvalidArgument("bad listen address: " +
                                     std::string(spec));
    }
    host = std::string(spec.substr(1, end - 1));
    port_text = spec.substr(end + 2);
  } else {
    size_t colon = spec.rfind(':');
    if (colon == std::string_view::npos || colon == 0) {
      return Status::InvalidArgument("bad listen address (want HOST:PORT): " +
                                     std::string(spec));
    }
    host = std::string(spec.substr(0, colon));
    port_text = spec.substr(colon + 1);
  }
  if (port_text.empty() || port_text.size() > 5) {
    return Status::InvalidArgument("bad port in " + std::string(spec));
  }
  uint32_t port = 0;
  for (char c : port_text) {
    if (c < '0' || c > '9') {
      return Status::InvalidArgument("bad port in " + std::string(spec));
    }
    port = port * 10 + static_cast<uint32_t>(c - '0');
  }
  if (port > 65535) {
    return Status::InvalidArgument("bad port in " + std::string(spec));
  }
  return std::make_pair(host, static_cast<uint16_t>(port));
}

Result<std::unique_ptr<Server>> Server::Start(Store* store,
                                              const ServerOptions& opts) {
  RETURN_IF_ERROR(StreamHub::Validate(opts.handler));
  try {
    // One stream state for both handlers (stream_hub.h), over the store
    // the control table is in.
    ServerOptions o = opts;
    if (!o.handler.stream_hub) {
      o.handler.stream_hub = MakeStreamHub(
          opts.physical != nullptr ? opts.physical : store, o.handler);
    }
    auto s = std::make_unique<internal::ServerImpl>(store, o);
    RETURN_IF_ERROR(s->Listen());
    return std::unique_ptr<Server>(std::move(s));
  } catch (const std::exception& e) {
    return Status::IOError(std::string("server start failed: ") + e.what());
  }
}

}  // namespace godwit::server
