// AWS Signature Version 4 verification for `godwit serve --auth FILE`.
//
// Auth file grammar (one key per line):
//   file := (line "\n")*
//   line := ws [access_key_id ws secret_access_key] ws ["#" comment]
//
// Verification, as AWS defines it for a header-signed request (the
// primitives are shared with the signer, src/util/sigv4.h):
//   Authorization: AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/
//                  aws4_request, SignedHeaders=h1;h2, Signature=HEX
//   canonical  = METHOD \n PATH \n SORTED-QUERY \n
//                (name ":" trimmed-value \n)* for the signed headers \n
//                signed-headers \n hex(sha256(body))
//   to_sign    = "AWS4-HMAC-SHA256" \n X-Amz-Date \n scope \n
//                hex(sha256(canonical))
//   key        = HMAC(HMAC(HMAC(HMAC("AWS4" secret, DATE), REGION),
//                SERVICE), "aws4_request")
//   signature  = hex(HMAC(key, to_sign))
// The path and query are taken as sent (SDKs send "/" for DynamoDB). The
// request time must be within 15 minutes of the server's clock. Signatures
// are compared in constant time.
#include "util/sigv4.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "godwit/server.h"

namespace godwit::server {
namespace {

using sigv4::Lower;
using sigv4::Trim;

HttpResult Refuse(std::string_view type, std::string_view message) {
  return {400, ErrorBody(type, message)};
}

std::optional<int64_t> ParseAmzDate(std::string_view d) {
  // YYYYMMDDTHHMMSSZ
  if (d.size() != 16 || d[8] != 'T' || d[15] != 'Z') return std::nullopt;
  for (size_t i : {0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14}) {
    if (d[i] < '0' || d[i] > '9') return std::nullopt;
  }
  auto num = [&](size_t pos, size_t len) {
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) v = v * 10 + (d[i] - '0');
    return v;
  };
  struct tm tm {};
  tm.tm_year = num(0, 4) - 1900;
  tm.tm_mon = num(4, 2) - 1;
  tm.tm_mday = num(6, 2);
  tm.tm_hour = num(9, 2);
  tm.tm_min = num(11, 2);
  tm.tm_sec = num(13, 2);
  return static_cast<int64_t>(timegm(&tm));
}

}  // namespace

Result<AuthKeys> LoadAuthFile(const std::string& path) {
  std::ifstream f(path);
  if (!f) return Status::NotFound("cannot read auth file " + path);
  AuthKeys keys;
  std::string line;
  int n = 0;
  while (std::getline(f, line)) {
    ++n;
    std::string_view l = line;
    size_t hash = l.find('#');
    if (hash != std::string_view::npos) l = l.substr(0, hash);
    l = Trim(l);
    if (l.empty()) continue;
    std::istringstream in{std::string(l)};
    std::string id, secret, extra;
    in >> id >> secret;
    if (id.empty() || secret.empty() || (in >> extra)) {
      return Status::InvalidArgument(path + ":" + std::to_string(n) +
                                     ": want ACCESS_KEY_ID SECRET_ACCESS_KEY");
    }
    keys[id] = secret;
  }
  if (keys.empty()) {
    return Status::InvalidArgument("auth file " + path + " has no keys");
  }
  return keys;
}

std::optional<HttpResult> CheckSigV4(const SigV4Request& req,
                                     const AuthKeys& keys,
                                     int64_t now_seconds) {
  std::map<std::string, std::string> headers;  // lower-case name -> value
  for (const auto& [name, value] : req.headers) {
    std::string k = Lower(name);
    std::string v = sigv4::CanonicalHeaderValue(value);
    auto it = headers.find(k);
    if (it == headers.end()) {
      headers.emplace(std::move(k), std::move(v));
    } else {
      it->second += "," + v;
    }
  }
  auto auth_it = headers.find("authorization");
  if (auth_it == headers.end()) {
    return Refuse("MissingAuthenticationTokenException",
                  "Request is missing Authentication Token");
  }
  std::string_view auth = auth_it->second;
  constexpr std::string_view kAlgo = "AWS4-HMAC-SHA256 ";
  if (!auth.starts_with(kAlgo)) {
    return Refuse("IncompleteSignatureException",
                  "Authorization header requires AWS4-HMAC-SHA256");
  }
  auth.remove_prefix(kAlgo.size());
  std::string credential, signed_headers, signature;
  while (!auth.empty()) {
    size_t comma = auth.find(',');
    std::string_view part = Trim(auth.substr(0, comma));
    auth = comma == std::string_view::npos ? std::string_view()
                                           : auth.substr(comma + 1);
    size_t eq = part.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view k = part.substr(0, eq), v = part.substr(eq + 1);
    if (k == "Credential") credential = v;
    if (k == "SignedHeaders") signed_headers = v;
    if (k == "Signature") signature = v;
  }
  if (credential.empty() || signed_headers.empty() || signature.empty()) {
    return Refuse("IncompleteSignatureException",
                  "Authorization header requires Credential, SignedHeaders "
                  "and Signature");
  }
  // Credential = AKID/DATE/REGION/SERVICE/aws4_request
  std::vector<std::string> scope_parts;
  {
    std::string_view c = credential;
    size_t pos;
    while ((pos = c.find('/')) != std::string_view::npos) {
      scope_parts.emplace_back(c.substr(0, pos));
      c.remove_prefix(pos + 1);
    }
    scope_parts.emplace_back(c);
  }
  if (scope_parts.size() != 5 || scope_parts[4] != "aws4_request") {
    return Refuse("IncompleteSignatureException",
                  "Credential should be scoped to a valid region and "
                  "service");
  }
  auto key_it = keys.find(scope_parts[0]);
  if (key_it == keys.end()) {
    return Refuse("UnrecognizedClientException",
                  "The security token included in the request is invalid.");
  }
  auto date_it = headers.find("x-amz-date");
  if (date_it == headers.end()) {
    return Refuse("IncompleteSignatureException",
                  "X-Amz-Date header is required");
  }
  std::optional<int64_t> when = ParseAmzDate(date_it->second);
  if (!when || !date_it->second.starts_with(scope_parts[1])) {
    return Refuse("IncompleteSignatureException",
                  "X-Amz-Date is malformed or does not match the credential "
                  "scope");
  }
  if (*when < now_seconds - 15 * 60 || *when > now_seconds + 15 * 60) {
    return Refuse("InvalidSignatureException",
                  "Signature expired: " + date_it->second +
                      " is more than 15 minutes from the server's time");
  }

  std::string canonical =
      sigv4::CanonicalRequest(req.method, req.target, req.headers,
                              signed_headers, sigv4::Sha256Hex(req.body));
  std::string scope =
      sigv4::Scope(scope_parts[1], scope_parts[2], scope_parts[3]);
  std::string to_sign = sigv4::StringToSign(date_it->second, scope, canonical);
  std::string expected = sigv4::Signature(
      key_it->second, scope_parts[1], scope_parts[2], scope_parts[3], to_sign);
  unsigned char diff = expected.size() == signature.size() ? 0 : 1;
  for (size_t i = 0; i < std::min(expected.size(), signature.size()); ++i) {
    diff |= static_cast<unsigned char>(expected[i] ^ signature[i]);
  }
  if (diff != 0) {
    return Refuse("InvalidSignatureException",
                  "The request signature we calculated does not match the "
                  "signature you provided. Check your AWS Secret Access Key "
                  "and signing method.");
  }
  return std::nullopt;
}

}  // namespace godwit::server
