#include "util/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>

namespace godwit::sigv4 {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) {
    s.remove_prefix(1);
  }
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) {
    s.remove_suffix(1);
  }
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string Hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char ch : bytes) {
    auto c = static_cast<unsigned char>(ch);
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

std::string Sha256Hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  return Hex(std::string_view(reinterpret_cast<const char*>(md), len));
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), md,
       &len);
  return std::string(reinterpret_cast<const char*>(md), len);
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

std::string CanonicalHeaderValue(std::string_view v) {
  v = Trim(v);
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

std::string CanonicalQuery(std::string_view query) {
  std::vector<std::string> params;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string p(query.substr(0, amp));
    if (!p.empty()) {
      if (p.find('=') == std::string::npos) p += "=";
      params.push_back(std::move(p));
    }
    query = amp == std::string_view::npos ? std::string_view()
                                          : query.substr(amp + 1);
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (size_t i = 0; i < params.size(); ++i) {
    if (i) out.push_back('&');
    out += params[i];
  }
  return out;
}

std::string CanonicalRequest(std::string_view method,
                             std::string_view path_and_query,
                             const Headers& headers,
                             std::string_view signed_headers,
                             std::string_view payload_sha256_hex) {
  std::map<std::string, std::string> values;  // lower-case name -> value
  for (const auto& [name, value] : headers) {
    std::string k = Lower(name);
    std::string v = CanonicalHeaderValue(value);
    auto it = values.find(k);
    if (it == values.end()) {
      values.emplace(std::move(k), std::move(v));
    } else {
      it->second += "," + v;
    }
  }
  size_t q = path_and_query.find('?');
  std::string path(path_and_query.substr(0, q));
  if (path.empty()) path = "/";
  std::string query = q == std::string_view::npos
                          ? std::string()
                          : CanonicalQuery(path_and_query.substr(q + 1));
  std::string out(method);
  out += "\n" + path + "\n" + query + "\n";
  std::string_view sh = signed_headers;
  while (!sh.empty()) {
    size_t semi = sh.find(';');
    std::string name(sh.substr(0, semi));
    auto it = values.find(name);
    out += name + ":" + (it == values.end() ? "" : it->second) + "\n";
    sh = semi == std::string_view::npos ? std::string_view()
                                        : sh.substr(semi + 1);
  }
  out += "\n";
  out += signed_headers;
  out += "\n";
  out += payload_sha256_hex;
  return out;
}

std::string Scope(std::string_view date, std::string_view region,
                  std::string_view service) {
  std::string s(date);
  s += "/";
  s += region;
  s += "/";
  s += service;
  s += "/aws4_request";
  return s;
}

std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request) {
  std::string s = "AWS4-HMAC-SHA256\n";
  s += amz_date;
  s += "\n";
  s += scope;
  s += "\n";
  s += Sha256Hex(canonical_request);
  return s;
}

std::string SigningKey(std::string_view secret, std::string_view date,
                       std::string_view region, std::string_view service) {
  std::string k = HmacSha256("AWS4" + std::string(secret), date);
  k = HmacSha256(k, region);
  k = HmacSha256(k, service);
  return HmacSha256(k, "aws4_request");
}

std::string Signature(std::string_view secret, std::string_view date,
                      std::string_view region, std::string_view service,
                      std::string_view string_to_sign) {
  return Hex(
      HmacSha256(SigningKey(secret, date, region, service), string_to_sign));
}

std::string AmzDate(int64_t unix_seconds) {
  time_t t = static_cast<time_t>(unix_seconds);
  struct tm tm {};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

Signed Sign(const SignInput& in, const Credentials& creds) {
  Signed out;
  std::string amz_date = AmzDate(in.unix_seconds);
  std::string date = amz_date.substr(0, 8);
  Headers all = in.headers;
  all.emplace_back("host", in.host);
  all.emplace_back("x-amz-date", amz_date);
  out.add.emplace_back("X-Amz-Date", amz_date);
  if (!creds.session_token.empty()) {
    all.emplace_back("x-amz-security-token", creds.session_token);
    out.add.emplace_back("X-Amz-Security-Token", creds.session_token);
  }
  std::vector<std::string> names;
  for (const auto& [name, value] : all) names.push_back(Lower(name));
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) out.signed_headers.push_back(';');
    out.signed_headers += names[i];
  }
  out.canonical_request =
      CanonicalRequest(in.method, in.path_and_query, all, out.signed_headers,
                       Sha256Hex(in.body));
  std::string scope = Scope(date, in.region, in.service);
  out.string_to_sign = StringToSign(amz_date, scope, out.canonical_request);
  out.signature = Signature(creds.secret_access_key, date, in.region,
                            in.service, out.string_to_sign);
  out.add.emplace_back("Authorization",
                       "AWS4-HMAC-SHA256 Credential=" + creds.access_key_id +
                           "/" + scope + ", SignedHeaders=" +
                           out.signed_headers + ", Signature=" + out.signature);
  return out;
}

}  // namespace godwit::sigv4
