#include "testutil/http_get.h"

#include <curl/curl.h>

namespace godwit::test {
namespace {

size_t Append(char* p, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(p, size * n);
  return size * n;
}

}  // namespace

std::string HttpGet(const std::string& url, long timeout_seconds) {
  CURL* h = curl_easy_init();
  if (h == nullptr) return "";
  std::string body;
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout_seconds);
  CURLcode rc = curl_easy_perform(h);
  curl_easy_cleanup(h);
  return rc == CURLE_OK ? body : "";
}

}  // namespace godwit::test
