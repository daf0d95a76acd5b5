// Endpoints for the remote store's tests, all on loopback:
//   ServeEndpoint  an in-process `godwit serve` (Server over a temp local
//                  store), optionally behind a FaultServer
//   FaultServer    a small HTTP/1.1 server over RequestHandler that answers a
//                  fraction of requests with throttling errors or 5xx, or
//                  drops the connection (before or after applying it)
//   MotoEndpoint   moto_server started on a free port (absent: skip)
#ifndef GODWIT_TESTS_REMOTE_REMOTE_TEST_UTIL_H_
#define GODWIT_TESTS_REMOTE_REMOTE_TEST_UTIL_H_

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "godwit/local_store.h"
#include "godwit/remote_store.h"
#include "godwit/server.h"
#include "testutil/process.h"
#include "testutil/temp_dir.h"

namespace godwit::test {

inline RemoteStoreOptions LocalOptions(uint16_t port) {
  RemoteStoreOptions o;
  o.endpoint = "http://127.0.0.1:" + std::to_string(port);
  o.streams_endpoint = o.endpoint;
  o.region = "us-east-1";
  o.credentials = {"AKIDTEST", "secret", "", "test"};
  o.retry.base_delay_ms = 5;
  o.retry.max_delay_ms = 200;
  o.retry.max_attempts = 12;
  o.table_wait_seconds = 30;
  return o;
}

struct FaultPlan {
  double throttle = 0;      // 400 ThrottlingException / ProvisionedThroughput
  double server_error = 0;  // 500 / 503
  double drop = 0;          // close the connection without an answer
  double drop_after = 0;    // apply, then close without an answer (only
                            // idempotent BatchWriteItem/PutItem w/o cond.)
};

// HTTP/1.1 keep-alive server over RequestHandler with injected faults.
class FaultServer {
 public:
  FaultServer(Store* store, FaultPlan plan) : handler_(store), plan_(plan) {}
  ~FaultServer() { Stop(); }

  bool Start() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
      return false;
    }
    socklen_t len = sizeof(a);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    listen(fd_, 64);
    accept_ = std::thread([this] { AcceptLoop(); });
    return true;
  }
  void Stop() {
    if (stop_.exchange(true)) return;
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    if (accept_.joinable()) accept_.join();
    std::vector<std::thread> conns;
    {
      std::lock_guard lock(mu_);
      for (int c : open_) shutdown(c, SHUT_RDWR);
      conns.swap(conns_);
    }
    for (auto& t : conns) t.join();
  }
  uint16_t port() const { return port_; }
  void set_plan(FaultPlan p) {
    std::lock_guard lock(mu_);
    plan_ = p;
  }
  uint64_t faults() const { return faults_.load(); }
  uint64_t requests() const { return requests_.load(); }

 private:
  void AcceptLoop() {
    while (!stop_.load()) {
      int c = accept(fd_, nullptr, nullptr);
      if (c < 0) {
        if (stop_.load()) return;
        continue;
      }
      int one = 1;
      setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      std::lock_guard lock(mu_);
      open_.push_back(c);
      conns_.emplace_back([this, c] { Serve(c); });
    }
  }

  static bool ReadRequest(int c, std::string* buf, std::string* target,
                          std::string* body) {
    size_t end;
    while ((end = buf->find("\r\n\r\n")) == std::string::npos) {
      char tmp[8192];
      ssize_t n = recv(c, tmp, sizeof(tmp), 0);
      if (n <= 0) return false;
      buf->append(tmp, static_cast<size_t>(n));
    }
    std::string head = buf->substr(0, end);
    size_t length = 0;
    target->clear();
    size_t pos = 0;
    while (pos < head.size()) {
      size_t eol = head.find("\r\n", pos);
      if (eol == std::string::npos) eol = head.size();
      std::string line = head.substr(pos, eol - pos);
      pos = eol + 2;
      size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      for (char& ch : name) ch = static_cast<char>(std::tolower(ch));
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value[0] == ' ') value.erase(0, 1);
      if (name == "content-length") length = std::stoul(value);
      if (name == "x-amz-target") *target = value;
    }
    while (buf->size() < end + 4 + length) {
      char tmp[65536];
      ssize_t n = recv(c, tmp, sizeof(tmp), 0);
      if (n <= 0) return false;
      buf->append(tmp, static_cast<size_t>(n));
    }
    *body = buf->substr(end + 4, length);
    buf->erase(0, end + 4 + length);
    return true;
  }

  static void Reply(int c, int code, const std::string& body) {
    std::string r = "HTTP/1.1 " + std::to_string(code) +
                    " X\r\nContent-Type: application/x-amz-json-1.0\r\n"
                    "Content-Length: " +
                    std::to_string(body.size()) + "\r\n\r\n" + body;
    size_t off = 0;
    while (off < r.size()) {
      ssize_t n = send(c, r.data() + off, r.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += static_cast<size_t>(n);
    }
  }

  void Serve(int c) {
    std::mt19937_64 rng(
        std::hash<std::thread::id>()(std::this_thread::get_id()));
    std::uniform_real_distribution<double> u(0, 1);
    std::string buf, target, body;
    while (!stop_.load() && ReadRequest(c, &buf, &target, &body)) {
      ++requests_;
      FaultPlan p;
      {
        std::lock_guard lock(mu_);
        p = plan_;
      }
      double x = u(rng);
      if (x < p.throttle) {
        ++faults_;
        Reply(c, 400,
              server::ErrorBody(x < p.throttle / 2
                                    ? "ProvisionedThroughputExceededException"
                                    : "ThrottlingException",
                                "injected throttle"));
        continue;
      }
      x -= p.throttle;
      if (x < p.server_error) {
        ++faults_;
        Reply(c, x < p.server_error / 2 ? 500 : 503,
              server::ErrorBody("InternalServerError", "injected 5xx"));
        continue;
      }
      x -= p.server_error;
      if (x < p.drop) {
        ++faults_;
        break;
      }
      x -= p.drop;
      server::HttpResult r = handler_.Handle(target, body);
      bool idempotent = target.ends_with(".BatchWriteItem") ||
                        (target.ends_with(".PutItem") &&
                         body.find("ConditionExpression") == std::string::npos);
      if (idempotent && x < p.drop_after) {
        ++faults_;
        break;
      }
      Reply(c, r.status, r.body);
    }
    close(c);
    std::lock_guard lock(mu_);
    open_.erase(std::remove(open_.begin(), open_.end(), c), open_.end());
  }

  server::RequestHandler handler_;
  FaultPlan plan_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> faults_{0}, requests_{0};
  std::mutex mu_;
  std::vector<int> open_;
  std::vector<std::thread> conns_;
  std::thread accept_;
};

// `godwit serve` in process, on a temp local store.
class ServeEndpoint {
 public:
  // faults: put a FaultServer in front (same store, its own port).
  explicit ServeEndpoint(const server::AuthKeys& auth = {}) {
    LocalStoreOptions lo;
    lo.path = dir_.Join("store");
    lo.sync = false;
    auto s = OpenLocalStore(lo);
    if (!s.ok()) {
      error_ = s.status().ToString();
      return;
    }
    store_ = std::move(*s);
    server::ServerOptions so;
    so.port = 0;
    so.threads = 4;
    so.auth = auth;
    so.handler.region = "us-east-1";  // LocalOptions' region
    auto srv = server::Server::Start(store_.get(), so);
    if (!srv.ok()) {
      error_ = srv.status().ToString();
      return;
    }
    server_ = std::move(*srv);
  }
  ~ServeEndpoint() {
    faults_.reset();
    if (server_) server_->Shutdown();
    server_.reset();
    store_.reset();
  }
  bool StartFaults(FaultPlan plan) {
    faults_ = std::make_unique<FaultServer>(store_.get(), plan);
    return faults_->Start();
  }
  FaultServer* faults() { return faults_.get(); }
  const std::string& error() const { return error_; }
  uint16_t port() const { return faults_ ? faults_->port() : server_->port(); }
  RemoteStoreOptions Options() const { return LocalOptions(port()); }
  Store* local() { return store_.get(); }

 private:
  TempDir dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<server::Server> server_;
  std::unique_ptr<FaultServer> faults_;
  std::string error_;
};

// moto_server on a free loopback port (test::MotoServer), as an
// endpoint for the remote store.
class MotoEndpoint {
 public:
  MotoEndpoint() {
    std::string bin = MotoBinary();
    if (bin.empty()) {
      error_ = "moto_server not found";
    } else if (!server_.Start(bin, "")) {
      error_ = "moto_server did not start and listen within 30 s";
    }
  }
  const std::string& error() const { return error_; }
  RemoteStoreOptions Options() const { return LocalOptions(server_.port()); }

 private:
  MotoServer server_;
  std::string error_;
};

}  // namespace godwit::test

#endif  // GODWIT_TESTS_REMOTE_REMOTE_TEST_UTIL_H_
