// A plain HTTP GET for tests that read what a server publishes (metrics
// endpoints, Prometheus's query API), over libcurl.
#ifndef GODWIT_TESTUTIL_HTTP_GET_H_
#define GODWIT_TESTUTIL_HTTP_GET_H_

#include <string>

namespace godwit::test {

// The body of GET `url`, or "" on any failure (no answer within
// `timeout_seconds`, a transport error).
std::string HttpGet(const std::string& url, long timeout_seconds = 10);

}  // namespace godwit::test

#endif  // GODWIT_TESTUTIL_HTTP_GET_H_
