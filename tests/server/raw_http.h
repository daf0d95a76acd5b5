// A raw HTTP/1.1 client over POSIX sockets for the hardening tests: they need
// what a library client hides (sending a header without its body, reading
// the answer while the body is still being sent, many idle connections).
#ifndef GODWIT_TESTS_SERVER_RAW_HTTP_H_
#define GODWIT_TESTS_SERVER_RAW_HTTP_H_

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace godwit::test::raw_http {

// A connected socket to 127.0.0.1:port, or -1.
inline int Connect(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

inline bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

struct Response {
  int status = 0;
  std::string head;  // status line and headers
  std::string body;
  bool Has(std::string_view part) const {
    return head.find(part) != std::string::npos ||
           body.find(part) != std::string::npos;
  }
};

// The header block of a POST to "/" with `op` ("DynamoDB_20120810.X") and
// `content_length`, plus `extra` header lines ("Name: value").
inline std::string PostHead(std::string_view op, size_t content_length,
                            const std::vector<std::string>& extra = {}) {
  std::string h = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  h += "Content-Type: application/x-amz-json-1.0\r\n";
  if (!op.empty()) h += "X-Amz-Target: " + std::string(op) + "\r\n";
  h += "Content-Length: " + std::to_string(content_length) + "\r\n";
  for (const auto& e : extra) h += e + "\r\n";
  h += "\r\n";
  return h;
}

// Parses one response from the front of `buf` (removing it). nullopt if
// `buf` does not hold a whole one yet.
inline std::optional<Response> TakeResponse(std::string* buf) {
  size_t end = buf->find("\r\n\r\n");
  if (end == std::string::npos) return std::nullopt;
  Response r;
  r.head = buf->substr(0, end + 4);
  if (r.head.size() < 12 || r.head.compare(0, 5, "HTTP/") != 0) {
    return std::nullopt;
  }
  r.status = std::atoi(r.head.c_str() + 9);
  size_t length = 0;
  for (std::string_view key : {"Content-Length: ", "content-length: "}) {
    size_t at = r.head.find(key);
    if (at != std::string::npos) {
      length = std::strtoull(r.head.c_str() + at + key.size(), nullptr, 10);
    }
  }
  if (buf->size() < end + 4 + length) return std::nullopt;
  r.body = buf->substr(end + 4, length);
  buf->erase(0, end + 4 + length);
  return r;
}

// Reads one response within `timeout`; nullopt on timeout, EOF or error.
inline std::optional<Response> ReadResponse(
    int fd, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  std::string buf;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char chunk[65536];
  for (;;) {
    if (auto r = TakeResponse(&buf)) return r;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      return std::nullopt;
    }
    ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
    if (n <= 0) return std::nullopt;
    buf.append(chunk, static_cast<size_t>(n));
  }
}

// Sends `request` while watching for an early answer (as curl does): once
// a response arrives, the rest is not sent. Returns the response, or
// nullopt (timeout, reset before any response).
inline std::optional<Response> Exchange(
    int fd, std::string_view request,
    std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  std::string buf;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char chunk[65536];
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto r = TakeResponse(&buf)) return r;
    pollfd p{fd, static_cast<short>(POLLIN | (request.empty() ? 0 : POLLOUT)),
             0};
    if (::poll(&p, 1, 100) < 0) return std::nullopt;
    if (p.revents & POLLIN) {
      ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
      if (n <= 0) return TakeResponse(&buf);
      buf.append(chunk, static_cast<size_t>(n));
      continue;
    }
    if ((p.revents & POLLOUT) && !request.empty()) {
      size_t want = std::min<size_t>(request.size(), 256 * 1024);
      ssize_t n = ::send(fd, request.data(), want, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        request = {};  // the server closed its side: read what it said
        continue;
      }
      if (n > 0) request.remove_prefix(static_cast<size_t>(n));
    }
    if (p.revents & (POLLHUP | POLLERR)) {
      return ReadResponse(fd, std::chrono::milliseconds(100));
    }
  }
  return std::nullopt;
}

}  // namespace godwit::test::raw_http

#endif  // GODWIT_TESTS_SERVER_RAW_HTTP_H_
