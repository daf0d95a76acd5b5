// Inside godwit serve's HTTP listener (include/godwit/server.h): the server,
// its connections (Session, http_session.cc) and the byte budget they share.
// Not a public interface.
//
// Memory. Every request reserves bytes from one ByteBudget
// (ServerOptions::max_inflight_bytes) before it may hold them:
//   1. on its headers: 5 bytes per byte of the body it announces
//      (Content-Length; chunked: max_body_bytes), the body and the least
//      that parsing it takes, before one byte of the body is read;
//   2. on its body: the body and the estimated memory to parse and handle
//      it (EstimateHandleBytes), if more, before the handler runs;
//   3. on its response: the response's size, taken even over the bound (the
//      work is done), so that requests after it wait until it is written.
// A request refused at 1 or 2 gets ThrottlingException (HTTP 400, which SDKs
// retry); one that could never fit gets HTTP 413. The rest of what a
// connection holds is bounded by the connection cap: a header of at most
// kHeaderLimit and a read buffer of at most kHeaderLimit plus one read
// (Beast reads at most 64 KiB at a time) each.
//
// Requests whose handling is estimated at kWorkerBytes or more run on a
// thread of their own that ends with them: the handler keeps per-thread
// parse buffers sized to the largest document the thread parsed, and those
// go with the thread instead of staying with an I/O thread for good.
//
// File descriptors. Connections are capped (ServerOptions::max_connections,
// by default derived from RLIMIT_NOFILE so that the store keeps fds for its
// files). At the cap, or when accept() fails for lack of descriptors
// (EMFILE, ENFILE) or memory, the longest-idle keep-alive connections (those
// waiting for their next request) are closed; after an accept() failure the
// listener waits (5 ms after shedding, else 10 ms doubling up to 500 ms)
// instead of retrying at once, which spun a core before.
#ifndef GODWIT_SERVER_HTTP_SERVER_H_
#define GODWIT_SERVER_HTTP_SERVER_H_

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <cassert>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "godwit/server.h"
#include "server/metrics.h"

namespace godwit::server::internal {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// Largest request header (AWS SDK headers, a session token included, are a
// few KB).
inline constexpr size_t kHeaderLimit = 16 * 1024;
// Reserved per byte of an announced body before it is read: the body and
// the least its parsing takes (EstimateHandleBytes >= 4 bytes per byte).
inline constexpr size_t kHeaderTimeFactor = 5;
// Requests estimated to need this much or more run on a worker thread.
inline constexpr size_t kWorkerBytes = size_t{4} << 20;

// Bytes of a bound that callers take and give back. Thread-safe.
class ByteBudget {
 public:
  explicit ByteBudget(size_t limit) : limit_(limit) {}
  // Takes n if used() + n <= limit(). False (nothing taken) otherwise.
  bool TryAcquire(size_t n);
  // Takes n whatever the limit.
  void ForceAcquire(size_t n) { used_.fetch_add(n); }
  void Release(size_t n) {
    size_t before = used_.fetch_sub(n);
    assert(before >= n);  // a reservation given back twice
    (void)before;
  }
  size_t used() const { return used_.load(); }
  size_t limit() const { return limit_; }

 private:
  const size_t limit_;
  std::atomic<size_t> used_{0};
};

// Bytes held in a ByteBudget, given back when released or destroyed.
class Reservation {
 public:
  Reservation() = default;
  Reservation(ByteBudget* budget, size_t n) : budget_(budget), n_(n) {}
  Reservation(Reservation&& o) noexcept { *this = std::move(o); }
  Reservation& operator=(Reservation&& o) noexcept {
    if (this != &o) {
      Release();
      budget_ = o.budget_;
      n_ = o.n_;
      o.budget_ = nullptr;
      o.n_ = 0;
    }
    return *this;
  }
  ~Reservation() { Release(); }
  size_t size() const { return n_; }
  // Gives back all but n (n <= size()).
  void ShrinkTo(size_t n);
  // Holds n more bytes, already taken from the budget (TryAcquire).
  void Extend(size_t n) { n_ += n; }
  void Release();

 private:
  ByteBudget* budget_ = nullptr;
  size_t n_ = 0;
};

// An estimate (an upper bound for the shapes measured; see the .cc) of the
// memory it takes to parse the JSON `body` (a DOM: tape, structural index,
// string buffer, padded copy) and handle it (items built from it), not
// counting `body` itself. Linear in the body, one pass.
size_t EstimateHandleBytes(std::string_view body);

// The connection cap from the open-file limit: the soft RLIMIT_NOFILE minus
// min(1024, a quarter of it) for the store's files, at most 4096, at
// least 16.
size_t DefaultMaxConnections();

class ServerImpl;

// One connection. Lives while a handler or I/O operation holds it.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, ServerImpl* server);
  ~Session();
  void Start();
  // From any thread: close if no request is being handled (Shutdown).
  void OnShutdown();
  // From any thread: close if still waiting for the next request.
  void Shed();

 private:
  friend class ServerImpl;

  void ReadHeader();
  void OnHeader(beast::error_code ec, size_t bytes);
  void ReadBody();
  void OnBody(beast::error_code ec, size_t bytes);
  void Dispatch();
  void Finish(HttpResult r);
  // What follows a response.
  enum class Then { kReadNext, kDrainBody, kLingerAndClose };
  // A response before the body is read: then the body is drained and the
  // connection goes on, or it closes, lingering to drain what the client
  // still sends (so it reads the response rather than a reset).
  void RefuseUnread(int status, std::string body);
  void Respond(int status, std::string body, std::string_view content_type);
  void Send(http::response<http::string_body> res, Then then);
  void OnWrite(bool close, Then then, beast::error_code ec, size_t bytes);
  void Drain();
  void DrainSome();
  void Linger();
  void Discard();
  void Close();

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::empty_body>> header_;
  std::optional<http::request_parser<http::string_body>> body_;
  std::optional<http::request_parser<http::buffer_body>> drain_;
  http::request<http::string_body> req_;
  std::shared_ptr<http::response<http::string_body>> res_;
  // The request's bytes (body, then body and handling), its response's.
  Reservation res_bytes_, response_res_;
  ServerImpl* const server_;
  // On the strand only.
  bool busy_ = false;       // a request is being handled or answered
  bool waiting_ = false;    // waiting for the next request's header
  bool lingering_ = false;  // draining a refused request; Shutdown closes
  bool expect_continue_ = false;
  bool keep_alive_ = true;
  uint64_t announced_ = 0;  // Content-Length of a request refused unread
  uint64_t discarded_ = 0;
  std::unique_ptr<char[]> discard_buf_;
  // Guarded by ServerImpl::mu_: the place in the idle list.
  bool idle_ = false;
  std::list<Session*>::iterator idle_pos_;
};

class ServerImpl : public Server {
 public:
  ServerImpl(Store* store, const ServerOptions& opts);
  ~ServerImpl() override { Shutdown(); }

  Status Listen();
  uint16_t port() const override { return port_; }
  ServerStats stats() const override {
    return ServerStats{connections_.load(), budget_.used(), budget_.limit()};
  }
  void Shutdown() override;

  // For sessions.
  bool stopping() const { return stopping_.load(); }
  const ServerOptions& options() const { return opts_; }
  RequestHandler& handler() { return handler_; }
  // nullptr without ServerOptions::physical.
  RequestHandler* physical_handler() { return physical_handler_.get(); }
  ByteBudget& budget() { return budget_; }
  void Register(Session* s);
  void Unregister(Session* s);
  // Moves `s` to the back of the idle list, or out of it.
  void SetIdle(Session* s, bool idle);
  // Runs `fn` on a thread of its own; Shutdown waits for it.
  void RunOnWorker(std::function<void()> fn);
  // Says (at most every 10 s) why requests are refused.
  void Note(const std::string& what);

 private:
  void Accept();
  void OnAccept(beast::error_code ec, tcp::socket socket);
  void AcceptAfter(std::chrono::milliseconds delay);
  // Closes up to n of the longest-idle connections; how many were asked to.
  size_t ShedIdle(size_t n);

  // Declared first so that they outlive the io_context, whose destruction
  // destroys pending handlers and with them the last Sessions.
  ServerOptions opts_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::set<Session*> sessions_;  // guarded by mu_
  std::list<Session*> idle_;     // guarded by mu_; front: idle longest
  int workers_ = 0;              // guarded by mu_
  std::atomic<size_t> connections_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> shut_{false};
  std::atomic<bool> acceptor_open_{true};
  ByteBudget budget_;
  std::mutex note_mu_;
  std::chrono::steady_clock::time_point last_note_{};  // guarded by note_mu_

  // Constant after construction.
  RequestHandler handler_;
  std::unique_ptr<RequestHandler> physical_handler_;
  size_t max_connections_ = 0;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  asio::steady_timer accept_timer_;       // on the acceptor's strand
  std::chrono::milliseconds backoff_{0};  // acceptor's strand only
  uint16_t port_ = 0;
  std::vector<std::thread> runners_;
};

}  // namespace godwit::server::internal

#endif  // GODWIT_SERVER_HTTP_SERVER_H_
