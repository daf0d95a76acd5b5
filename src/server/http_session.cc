// One connection of godwit serve: read a request's header, decide on the
// header alone whether to take the body, read it, hand the request to the
// RequestHandler, write the response; repeat while keep-alive.
//
// On the header (before any byte of the body is read), in this order:
//   - GET without a body: the health answer. Any other method but POST:
//     refused (UnknownOperationException).
//   - Content-Length over max_body_bytes: HTTP 413.
//   - With --auth: everything SigV4 decides without the body
//     (CheckSigV4Headers): no or a malformed Authorization header, an
//     unknown key, another region or service, a stale date, a missing or
//     wrong session token. Refused with the same errors as after the body.
//   - 5 bytes per byte of the announced body from the server's budget
//     (http_server.h): refused with ThrottlingException when they do not
//     fit now, with 413 when they never can.
// A request refused here is answered at once, before its body is read. Then
// its body is read into a 16 KiB buffer and dropped, and the connection goes
// on (keep-alive); but it closes when the body is not coming (the request
// had "Expect: 100-continue") or not worth reading (over the body cap, or
// the client asked to close): the server shuts its side and drains what the
// client still sends (up to the announced length, for 2 s), so that the
// client reads the answer instead of a reset. A request that passes, sent
// with "Expect: 100-continue", gets "100 Continue" before its body is read;
// one refused never gets it, only the final status (curl and the SDKs then
// do not send the body).
//
// After the body: the SigV4 signature; X-Godwit-Physical-Tables (with --auth,
// only if signed); the body and its parse and handling estimate from the
// budget, if more than was reserved (over: ThrottlingException; more than
// the whole budget: 413); then the handler, inline on the connection's
// strand, or on a worker thread for a large one.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <limits>

#include "server/http_server.h"

namespace godwit::server::internal {
namespace {

constexpr std::string_view kJsonType = "application/x-amz-json-1.0";
// The buffer a refused request's body is read into and dropped.
constexpr size_t kDiscardBytes = 16 * 1024;

std::string ThrottleBody(size_t need, const ByteBudget& budget) {
  return ErrorBody(
      "ThrottlingException",
      "Rate of requests exceeds the allowed throughput: this request needs " +
          std::to_string(need) + " bytes in flight and the server holds " +
          std::to_string(budget.used()) + " of its " +
          std::to_string(budget.limit()) +
          " (--max-inflight-bytes); retry with backoff");
}

std::string TooLargeBody(size_t need, const ByteBudget& budget) {
  return ErrorBody("ValidationException",
                   "Request is too large for this server: reading, parsing "
                   "and handling it needs about " +
                       std::to_string(need) + " bytes, over its bound of " +
                       std::to_string(budget.limit()) +
                       " bytes in flight (--max-inflight-bytes)");
}

SigV4Request HeadersOf(const http::request_header<>& h) {
  SigV4Request sr;
  sr.method = std::string(h.method_string());
  sr.target = std::string(h.target());
  for (const auto& field : h) {
    sr.headers.emplace_back(std::string(field.name_string()),
                            std::string(field.value()));
  }
  return sr;
}

}  // namespace

Session::Session(tcp::socket socket, ServerImpl* server)
    : stream_(std::move(socket)), server_(server) {
  server_->Register(this);
}

Session::~Session() { server_->Unregister(this); }

void Session::Start() {
  asio::dispatch(stream_.get_executor(),
                 [self = shared_from_this()] { self->ReadHeader(); });
}

void Session::OnShutdown() {
  asio::post(stream_.get_executor(), [self = shared_from_this()] {
    if (!self->busy_ || self->lingering_) self->Close();
  });
}

void Session::Shed() {
  asio::post(stream_.get_executor(), [self = shared_from_this()] {
    if (self->waiting_ && !self->busy_) self->Close();
  });
}

void Session::ReadHeader() {
  if (server_->stopping()) return Close();
  // A read buffer left large (a pipelined body) is not kept while idle.
  if (buffer_.size() == 0 && buffer_.capacity() > 64 * 1024) {
    buffer_.shrink_to_fit();
  }
  header_.emplace();
  header_->header_limit(kHeaderLimit);
  // The Content-Length is judged in OnHeader (Beast would fail the header
  // read on one over its default 1 MB limit, without an answer).
  header_->body_limit(std::numeric_limits<std::uint64_t>::max());
  waiting_ = true;
  server_->SetIdle(this, true);
  stream_.expires_after(
      std::chrono::seconds(server_->options().idle_timeout_seconds));
  http::async_read_header(
      stream_, buffer_, *header_,
      beast::bind_front_handler(&Session::OnHeader, shared_from_this()));
}

void Session::OnHeader(beast::error_code ec, size_t) {
  waiting_ = false;
  server_->SetIdle(this, false);
  if (ec) return Close();  // EOF, timeout, malformed HTTP: just close
  busy_ = true;
  const ServerOptions& o = server_->options();
  const http::request_header<>& h = header_->get();
  keep_alive_ = header_->keep_alive();
  auto expect = h.find(http::field::expect);
  expect_continue_ =
      expect != h.end() && beast::iequals(expect->value(), "100-continue");
  const bool chunked = header_->chunked();
  const uint64_t length = header_->content_length().value_or(0);
  announced_ = chunked ? o.max_body_bytes : length;
  if (h.method() == http::verb::get && !chunked && length == 0) {
    header_.reset();
    return Respond(200, "healthy: godwit serve", "text/plain");
  }
  if (h.method() != http::verb::post) {
    return RefuseUnread(400, ErrorBody("UnknownOperationException",
                                       "Only POST requests are supported"));
  }
  if (length > o.max_body_bytes) {
    return RefuseUnread(
        413, ErrorBody("ValidationException",
                       "Request body is larger than " +
                           std::to_string(o.max_body_bytes) + " bytes"));
  }
  if (!o.auth.empty()) {
    if (auto refused = CheckSigV4Headers(
            HeadersOf(h), o.auth, {.region = o.handler.region},
            static_cast<int64_t>(std::time(nullptr)))) {
      return RefuseUnread(refused->status, std::move(refused->body));
    }
  }
  // The body and the least that parsing it takes (EstimateHandleBytes is
  // never under 2 bytes per byte): most requests need no more once read.
  ByteBudget& budget = server_->budget();
  const size_t need = kHeaderTimeFactor * announced_;
  if (need > budget.limit()) {
    return RefuseUnread(413, TooLargeBody(need, budget));
  }
  if (!budget.TryAcquire(need)) {
    server_->Note("refusing requests: bytes in flight at the bound (" +
                  std::to_string(budget.limit()) +
                  ", --max-inflight-bytes); clients get ThrottlingException");
    return RefuseUnread(400, ThrottleBody(need, budget));
  }
  res_bytes_ = Reservation(&budget, need);
  if (expect_continue_) {
    static constexpr std::string_view kContinue =
        "HTTP/1.1 100 Continue\r\n\r\n";
    stream_.expires_after(std::chrono::seconds(30));
    return asio::async_write(
        stream_, asio::buffer(kContinue.data(), kContinue.size()),
        [self = shared_from_this()](beast::error_code ec, size_t) {
          if (ec) return self->Close();
          self->ReadBody();
        });
  }
  ReadBody();
}

void Session::ReadBody() {
  body_.emplace(std::move(*header_));
  header_.reset();
  body_->body_limit(server_->options().max_body_bytes);
  stream_.expires_after(
      std::chrono::seconds(server_->options().idle_timeout_seconds));
  http::async_read(
      stream_, buffer_, *body_,
      beast::bind_front_handler(&Session::OnBody, shared_from_this()));
}

void Session::OnBody(beast::error_code ec, size_t) {
  if (ec == http::error::body_limit) {  // a chunked body over the cap
    body_.reset();
    res_bytes_.Release();
    keep_alive_ = false;  // the rest of the body is not read: linger, close
    return RefuseUnread(
        413, ErrorBody("ValidationException",
                       "Request body is larger than " +
                           std::to_string(server_->options().max_body_bytes) +
                           " bytes"));
  }
  if (ec) return Close();  // cut short, timeout: just close
  req_ = body_->release();
  body_.reset();
  // A chunked body reserved for max_body_bytes.
  res_bytes_.ShrinkTo(kHeaderTimeFactor * req_.body().size());
  Dispatch();
}

void Session::Dispatch() {
  const ServerOptions& o = server_->options();
  std::string target(req_["X-Amz-Target"]);
  SigV4Signer signer;
  if (!o.auth.empty()) {
    SigV4Request sr = HeadersOf(req_.base());
    sr.body = req_.body();
    if (auto refused =
            CheckSigV4(sr, o.auth, {.region = o.handler.region},
                       static_cast<int64_t>(std::time(nullptr)), &signer)) {
      return Finish(*std::move(refused));
    }
  }
  RequestHandler* handler = &server_->handler();
  constexpr std::string_view kPhysical = kPhysicalTablesHeader;
  if (server_->physical_handler() != nullptr &&
      req_.find(beast::string_view(kPhysical.data(), kPhysical.size())) !=
          req_.end() &&
      (o.auth.empty() || signer.Signs("x-godwit-physical-tables"))) {
    handler = server_->physical_handler();
  }
  ByteBudget& budget = server_->budget();
  const size_t need = req_.body().size() + EstimateHandleBytes(req_.body());
  if (need > budget.limit()) {
    return Finish({413, TooLargeBody(need, budget)});
  }
  if (need > res_bytes_.size()) {
    if (!budget.TryAcquire(need - res_bytes_.size())) {
      server_->Note("refusing requests: bytes in flight at the bound (" +
                    std::to_string(budget.limit()) +
                    ", --max-inflight-bytes); clients get ThrottlingException");
      return Finish({400, ThrottleBody(need, budget)});
    }
    res_bytes_.Extend(need - res_bytes_.size());
  }
  if (need >= kWorkerBytes) {
    server_->RunOnWorker([self = shared_from_this(), handler,
                          target = std::move(target),
                          body = std::move(req_.body())]() mutable {
      HttpResult r = handler->Handle(target, body);
      body = std::string();
      asio::post(
          self->stream_.get_executor(),
          [self, r = std::move(r)]() mutable { self->Finish(std::move(r)); });
    });
    return;
  }
  Finish(handler->Handle(target, req_.body()));
}

void Session::Finish(HttpResult r) {
  req_ = {};
  res_bytes_.Release();
  Respond(r.status, std::move(r.body), kJsonType);
}

void Session::Respond(int status, std::string body,
                      std::string_view content_type) {
  http::response<http::string_body> res{static_cast<http::status>(status), 11};
  res.set(http::field::server, "godwit");
  res.set(http::field::content_type,
          beast::string_view(content_type.data(), content_type.size()));
  res.set("x-amzn-RequestId", "godwit");
  res.keep_alive(keep_alive_);
  res.body() = std::move(body);
  res.prepare_payload();
  // The response is held until written: counted, even over the bound.
  server_->budget().ForceAcquire(res.body().size());
  response_res_ = Reservation(&server_->budget(), res.body().size());
  Send(std::move(res), Then::kReadNext);
}

void Session::RefuseUnread(int status, std::string body) {
  // The body (not read) is drained into a small buffer when the client is
  // sending it anyway and the connection can go on; with "Expect:
  // 100-continue" the client does not send it, and a body over the cap is
  // not worth reading: close (lingering).
  const bool drain = keep_alive_ && !expect_continue_ && header_ &&
                     announced_ <= server_->options().max_body_bytes &&
                     !server_->stopping();
  if (!drain) {
    header_.reset();
    keep_alive_ = false;
  }
  http::response<http::string_body> res{static_cast<http::status>(status), 11};
  res.set(http::field::server, "godwit");
  res.set(http::field::content_type,
          beast::string_view(kJsonType.data(), kJsonType.size()));
  res.set("x-amzn-RequestId", "godwit");
  res.keep_alive(drain);
  res.body() = std::move(body);
  res.prepare_payload();
  Send(std::move(res), drain ? Then::kDrainBody : Then::kLingerAndClose);
}

void Session::Send(http::response<http::string_body> res, Then then) {
  busy_ = true;
  res_ = std::make_shared<http::response<http::string_body>>(std::move(res));
  bool close = !res_->keep_alive();
  stream_.expires_after(std::chrono::seconds(30));
  http::async_write(stream_, *res_,
                    beast::bind_front_handler(&Session::OnWrite,
                                              shared_from_this(), close, then));
}

void Session::OnWrite(bool close, Then then, beast::error_code ec, size_t) {
  busy_ = false;
  res_.reset();
  response_res_.Release();
  if (ec) return Close();
  if (then == Then::kLingerAndClose) return Linger();
  if (then == Then::kDrainBody) return Drain();
  if (close || server_->stopping()) return Close();
  ReadHeader();
}

void Session::Drain() {
  busy_ = true;       // not shed
  lingering_ = true;  // but closed by Shutdown
  drain_.emplace(std::move(*header_));
  header_.reset();
  drain_->body_limit(server_->options().max_body_bytes);
  discard_buf_ = std::make_unique<char[]>(kDiscardBytes);
  stream_.expires_after(
      std::chrono::seconds(server_->options().idle_timeout_seconds));
  DrainSome();
}

void Session::DrainSome() {
  drain_->get().body().data = discard_buf_.get();
  drain_->get().body().size = kDiscardBytes;
  http::async_read(stream_, buffer_, *drain_,
                   [self = shared_from_this()](beast::error_code ec, size_t) {
                     if (ec == http::error::need_buffer) ec = {};
                     if (ec) return self->Close();
                     if (!self->drain_->is_done()) return self->DrainSome();
                     self->drain_.reset();
                     self->discard_buf_.reset();
                     self->lingering_ = false;
                     self->busy_ = false;
                     if (self->server_->stopping()) return self->Close();
                     self->ReadHeader();
                   });
}

void Session::Linger() {
  busy_ = true;  // not shed
  lingering_ = true;
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (ec) return Close();
  discarded_ = buffer_.size();
  buffer_.consume(buffer_.size());
  buffer_.shrink_to_fit();
  discard_buf_ = std::make_unique<char[]>(kDiscardBytes);
  stream_.expires_after(std::chrono::seconds(2));
  Discard();
}

void Session::Discard() {
  stream_.async_read_some(
      asio::buffer(discard_buf_.get(), kDiscardBytes),
      [self = shared_from_this()](beast::error_code ec, size_t n) {
        self->discarded_ += n;
        // Up to what the request announced (and a little more for the
        // rest of a header): a client sending more is cut off.
        if (ec || self->discarded_ > self->announced_ + kHeaderLimit) {
          return self->Close();
        }
        self->Discard();
      });
}

void Session::Close() {
  busy_ = false;
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
  stream_.socket().close(ec);
}

}  // namespace godwit::server::internal
