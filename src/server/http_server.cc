// Server: RequestHandler behind a Boost.Beast HTTP/1.1 listener.
//
// Threads: `threads` runners of one io_context. Each connection is a
// Session on its own strand; a request is handled synchronously on the
// strand (store calls block), so one connection handles one request at a
// time, and connections run in parallel up to the number of runners.
//
// Shutdown: the acceptor closes, every session that is waiting for a request
// has its socket closed, a session that is handling one writes its response
// and then closes (stopping_ is checked before reading the next request).
// Shutdown() waits up to 10 s for the sessions to end, then stops the
// io_context and joins the runners. No acknowledged write is lost: a write's
// response is only sent after the store acknowledged it.
//
// Boost reports errors through error_code here; anything Boost throws is
// caught at the edge (Start, and each runner's run loop).
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "godwit/server.h"
#include "server/stream_hub.h"

namespace godwit::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

class ServerImpl;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, ServerImpl* server);
  ~Session();
  void Start();
  // Called from any thread by Shutdown(), which holds a reference.
  void OnShutdown();

 private:
  void Read();
  void OnRead(beast::error_code ec, size_t bytes);
  void Send(http::response<http::string_body> res);
  void OnWrite(bool close, beast::error_code ec, size_t bytes);
  void Close();

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<http::response<http::string_body>> res_;
  ServerImpl* server_;
  bool busy_ = false;  // a request is being handled (strand only)
};

// The physical tables' handler: the same, without the admin operations
// (they belong to the routing side).
HandlerOptions PhysicalOptions(const ServerOptions& opts) {
  HandlerOptions h = opts.handler;
  h.admin = nullptr;
  return h;
}

class ServerImpl : public Server {
 public:
  ServerImpl(Store* store, const ServerOptions& opts)
      : opts_(opts),
        handler_(store, opts.handler),
        physical_handler_(opts.physical != nullptr
                              ? std::make_unique<RequestHandler>(
                                    opts.physical, PhysicalOptions(opts))
                              : nullptr),
        ioc_(std::max(1, opts.threads)),
        acceptor_(asio::make_strand(ioc_)) {}

  ~ServerImpl() override { Shutdown(); }

  Status Listen() {
    beast::error_code ec;
    asio::ip::address addr = asio::ip::make_address(opts_.host, ec);
    if (ec) {
      tcp::resolver resolver(ioc_);
      auto results =
          resolver.resolve(opts_.host, std::to_string(opts_.port), ec);
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
    Accept();
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

  uint16_t port() const override { return port_; }

  void Shutdown() override {
    if (shut_.exchange(true)) return;
    // The Time to Live expirer writes to the store: stopped first.
    if (opts_.handler.stream_hub) opts_.handler.stream_hub->Stop();
    stopping_ = true;
    if (runners_.empty()) return;  // Listen() failed: nothing runs
    asio::post(acceptor_.get_executor(), [this] {
      beast::error_code ec;
      acceptor_.close(ec);
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
    }
    // The acceptor's close may still be queued: give it a moment.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (acceptor_open_.load() &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ioc_.stop();
    for (std::thread& t : runners_) t.join();
    runners_.clear();
  }

  // For sessions.
  bool stopping() const { return stopping_.load(); }
  const ServerOptions& options() const { return opts_; }
  RequestHandler& handler() { return handler_; }
  // nullptr without ServerOptions::physical.
  RequestHandler* physical_handler() { return physical_handler_.get(); }
  void Register(Session* s) {
    std::lock_guard<std::mutex> l(mu_);
    sessions_.insert(s);
  }
  void Unregister(Session* s) {
    std::lock_guard<std::mutex> l(mu_);
    sessions_.erase(s);
    if (sessions_.empty()) cv_.notify_all();
  }

 private:
  void Accept() {
    acceptor_.async_accept(asio::make_strand(ioc_), [this](beast::error_code ec,
                                                           tcp::socket socket) {
      if (ec || stopping_) {
        if (!acceptor_.is_open() || stopping_) {
          beast::error_code ignored;
          acceptor_.close(ignored);
          acceptor_open_ = false;
          return;
        }
      } else {
        std::make_shared<Session>(std::move(socket), this)->Start();
      }
      Accept();
    });
  }

  // Declared first so that they outlive the io_context, whose destruction
  // destroys pending handlers and with them the last Sessions.
  ServerOptions opts_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::set<Session*> sessions_;  // guarded by mu_
  std::atomic<bool> stopping_{false};
  std::atomic<bool> shut_{false};
  std::atomic<bool> acceptor_open_{true};

  // Constant after construction.
  RequestHandler handler_;
  std::unique_ptr<RequestHandler> physical_handler_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::vector<std::thread> runners_;
};

Session::Session(tcp::socket socket, ServerImpl* server)
    : stream_(std::move(socket)), server_(server) {
  server_->Register(this);
}

Session::~Session() { server_->Unregister(this); }

void Session::Start() {
  asio::dispatch(stream_.get_executor(),
                 [self = shared_from_this()] { self->Read(); });
}

void Session::OnShutdown() {
  asio::post(stream_.get_executor(), [self = shared_from_this()] {
    if (!self->busy_) self->Close();
  });
}

void Session::Read() {
  if (server_->stopping()) return Close();
  parser_.emplace();
  parser_->body_limit(server_->options().max_body_bytes);
  parser_->header_limit(64 * 1024);
  stream_.expires_after(
      std::chrono::seconds(server_->options().idle_timeout_seconds));
  http::async_read(
      stream_, buffer_, *parser_,
      beast::bind_front_handler(&Session::OnRead, shared_from_this()));
}

void Session::OnRead(beast::error_code ec, size_t) {
  if (ec == http::error::body_limit) {
    http::response<http::string_body> res{http::status::payload_too_large, 11};
    res.set(http::field::content_type, "application/x-amz-json-1.0");
    res.body() = ErrorBody(
        "ValidationException",
        "Request body is larger than " +
            std::to_string(server_->options().max_body_bytes) + " bytes");
    res.keep_alive(false);
    res.prepare_payload();
    busy_ = true;
    return Send(std::move(res));
  }
  if (ec) return Close();  // EOF, timeout, malformed HTTP: just close
  busy_ = true;
  http::request<http::string_body> req = parser_->release();
  http::response<http::string_body> res{http::status::ok, req.version()};
  res.set(http::field::server, "godwit");
  res.set(http::field::content_type, "application/x-amz-json-1.0");
  res.keep_alive(req.keep_alive());
  if (req.method() == http::verb::get) {
    res.body() = "healthy: godwit serve";
    res.set(http::field::content_type, "text/plain");
  } else if (req.method() != http::verb::post) {
    res.result(http::status::bad_request);
    res.body() = ErrorBody("UnknownOperationException",
                           "Only POST requests are supported");
  } else {
    auto target_it = req.find("X-Amz-Target");
    std::string_view target;
    if (target_it != req.end()) {
      target = std::string_view(target_it->value().data(),
                                target_it->value().size());
    }
    std::optional<HttpResult> refused;
    if (!server_->options().auth.empty()) {
      SigV4Request sr;
      sr.method = std::string(req.method_string());
      sr.target = std::string(req.target());
      for (const auto& field : req) {
        sr.headers.emplace_back(std::string(field.name_string()),
                                std::string(field.value()));
      }
      sr.body = req.body();
      refused = CheckSigV4(sr, server_->options().auth,
                           static_cast<int64_t>(std::time(nullptr)));
    }
    RequestHandler* handler = &server_->handler();
    if (server_->physical_handler() != nullptr &&
        req.find(beast::string_view(kPhysicalTablesHeader.data(),
                                    kPhysicalTablesHeader.size())) !=
            req.end()) {
      handler = server_->physical_handler();
    }
    HttpResult r =
        refused ? *std::move(refused) : handler->Handle(target, req.body());
    res.result(static_cast<unsigned>(r.status));
    res.body() = std::move(r.body);
  }
  res.set("x-amzn-RequestId", "godwit");
  res.prepare_payload();
  Send(std::move(res));
}

void Session::Send(http::response<http::string_body> res) {
  res_ = std::make_shared<http::response<http::string_body>>(std::move(res));
  bool close = !res_->keep_alive();
  stream_.expires_after(std::chrono::seconds(30));
  http::async_write(
      stream_, *res_,
      beast::bind_front_handler(&Session::OnWrite, shared_from_this(), close));
}

void Session::OnWrite(bool close, beast::error_code ec, size_t) {
  busy_ = false;
  res_.reset();
  if (ec || close || server_->stopping()) return Close();
  Read();
}

void Session::Close() {
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
  stream_.socket().close(ec);
}

}  // namespace

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
    auto s = std::make_unique<ServerImpl>(store, o);
    RETURN_IF_ERROR(s->Listen());
    return std::unique_ptr<Server>(std::move(s));
  } catch (const std::exception& e) {
    return Status::IOError(std::string("server start failed: ") + e.what());
  }
}

}  // namespace godwit::server
