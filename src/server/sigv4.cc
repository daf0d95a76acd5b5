// AWS Signature Version 4 verification for `godwit serve --auth FILE`.
//
// Auth file grammar (one key per line):
//   file  := (line "\n")*
//   line  := ws [key] ws ["#" comment]
//   key   := access_key_id ws secret_access_key [ws session_token]
// Fields are separated by spaces or tabs and contain neither nor '#'. An
// access key id may appear on one line only. A key with a session_token is
// a temporary credential: its requests must carry that X-Amz-Security-Token.
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
// The path and query are taken as sent (SDKs send "/" for DynamoDB). REGION
// must be the server's and SERVICE "dynamodb" (DynamoDB Streams is signed
// as "dynamodb" too); DATE must be X-Amz-Date's day, and X-Amz-Date within 15
// minutes of the server's clock; Host must be signed, and so must
// X-Amz-Security-Token when sent. Signatures and tokens are compared in
// constant time.
//
// Everything but the signature is decided by the headers alone
// (CheckSigV4Headers), so the server refuses an unsigned or mis-scoped
// request before it reads the body.
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

std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t pos;
  while ((pos = s.find(sep)) != std::string_view::npos) {
    out.emplace_back(s.substr(0, pos));
    s.remove_prefix(pos + 1);
  }
  out.emplace_back(s);
  return out;
}

// A request's Authorization header and what the headers alone decide.
struct Parsed {
  std::map<std::string, std::string> headers;  // lower-case name -> value
  std::string signed_headers;                  // as sent: "a;b;c"
  std::vector<std::string> signed_list;
  std::string signature;
  std::string access_key_id, date, region, service;
  const AuthKey* key = nullptr;
  std::string amz_date;
};

// Everything but the signature. nullopt and *p filled, or the refusal.
std::optional<HttpResult> ParseAndCheck(const SigV4Request& req,
                                        const AuthKeys& keys,
                                        const SigV4Scope& scope,
                                        int64_t now_seconds, Parsed* p) {
  for (const auto& [name, value] : req.headers) {
    std::string k = Lower(name);
    std::string v = sigv4::CanonicalHeaderValue(value);
    auto it = p->headers.find(k);
    if (it == p->headers.end()) {
      p->headers.emplace(std::move(k), std::move(v));
    } else {
      it->second += "," + v;
    }
  }
  auto auth_it = p->headers.find("authorization");
  if (auth_it == p->headers.end()) {
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
  std::string credential;
  while (!auth.empty()) {
    size_t comma = auth.find(',');
    std::string_view part = Trim(auth.substr(0, comma));
    auth = comma == std::string_view::npos ? std::string_view()
                                           : auth.substr(comma + 1);
    size_t eq = part.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view k = part.substr(0, eq), v = part.substr(eq + 1);
    if (k == "Credential") credential = v;
    if (k == "SignedHeaders") p->signed_headers = v;
    if (k == "Signature") p->signature = v;
  }
  if (credential.empty() || p->signed_headers.empty() || p->signature.empty()) {
    return Refuse("IncompleteSignatureException",
                  "Authorization header requires Credential, SignedHeaders "
                  "and Signature");
  }
  // Credential = AKID/DATE/REGION/SERVICE/aws4_request
  std::vector<std::string> scope_parts = Split(credential, '/');
  if (scope_parts.size() != 5 || scope_parts[4] != "aws4_request" ||
      scope_parts[0].empty()) {
    return Refuse("IncompleteSignatureException",
                  "Credential should be scoped to a valid region and "
                  "service");
  }
  p->access_key_id = scope_parts[0];
  p->date = scope_parts[1];
  p->region = scope_parts[2];
  p->service = scope_parts[3];
  if (p->service != scope.service) {
    return Refuse("InvalidSignatureException",
                  "Credential should be scoped to correct service: '" +
                      scope.service + "', not '" + p->service + "'.");
  }
  if (p->region != scope.region) {
    return Refuse("InvalidSignatureException",
                  "Credential should be scoped to a valid region, not '" +
                      p->region + "' (this server's region is '" +
                      scope.region + "': godwit serve --region).");
  }
  p->signed_list = Split(p->signed_headers, ';');
  auto is_signed = [&](std::string_view name) {
    return std::find(p->signed_list.begin(), p->signed_list.end(), name) !=
           p->signed_list.end();
  };
  if (!is_signed("host")) {
    return Refuse("IncompleteSignatureException",
                  "The Host header must be among the signed headers");
  }
  auto date_it = p->headers.find("x-amz-date");
  if (date_it == p->headers.end()) {
    return Refuse("IncompleteSignatureException",
                  "X-Amz-Date header is required");
  }
  p->amz_date = date_it->second;
  std::optional<int64_t> when = ParseAmzDate(p->amz_date);
  if (!when || !p->amz_date.starts_with(p->date) || p->date.size() != 8) {
    return Refuse("IncompleteSignatureException",
                  "X-Amz-Date is malformed or does not match the credential "
                  "scope");
  }
  if (*when < now_seconds - 15 * 60 || *when > now_seconds + 15 * 60) {
    return Refuse("InvalidSignatureException",
                  "Signature expired: " + p->amz_date +
                      " is more than 15 minutes from the server's time");
  }
  auto key_it = keys.find(p->access_key_id);
  if (key_it == keys.end()) {
    return Refuse("UnrecognizedClientException",
                  "The security token included in the request is invalid.");
  }
  p->key = &key_it->second;
  auto token_it = p->headers.find("x-amz-security-token");
  if (token_it != p->headers.end() && !is_signed("x-amz-security-token")) {
    return Refuse("IncompleteSignatureException",
                  "X-Amz-Security-Token must be among the signed headers");
  }
  const std::string& want = p->key->session_token;
  bool token_ok = token_it == p->headers.end()
                      ? want.empty()
                      : !want.empty() && sigv4::ConstantTimeEquals(
                                             token_it->second,
                                             sigv4::CanonicalHeaderValue(want));
  if (!token_ok) {
    return Refuse("UnrecognizedClientException",
                  "The security token included in the request is invalid.");
  }
  return std::nullopt;
}

}  // namespace

bool SigV4Signer::Signs(std::string_view name) const {
  return std::find(signed_headers.begin(), signed_headers.end(), name) !=
         signed_headers.end();
}

Result<AuthKeys> LoadAuthFile(const std::string& path) {
  std::ifstream f(path);
  if (!f) return Status::NotFound("cannot read auth file " + path);
  AuthKeys keys;
  std::map<std::string, int> line_of;  // access key id -> its line
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
    std::string id, secret, token, extra;
    in >> id >> secret >> token;
    if (id.empty() || secret.empty() || (in >> extra)) {
      return Status::InvalidArgument(
          path + ":" + std::to_string(n) +
          ": want ACCESS_KEY_ID SECRET_ACCESS_KEY [SESSION_TOKEN]");
    }
    auto [it, inserted] = line_of.emplace(id, n);
    if (!inserted) {
      return Status::InvalidArgument(
          path + ":" + std::to_string(n) + ": access key id " + id +
          " is also on line " + std::to_string(it->second) +
          "; give each key once");
    }
    keys[id] = AuthKey(std::move(secret), std::move(token));
  }
  if (keys.empty()) {
    return Status::InvalidArgument("auth file " + path + " has no keys");
  }
  return keys;
}

std::optional<HttpResult> CheckSigV4Headers(const SigV4Request& req,
                                            const AuthKeys& keys,
                                            const SigV4Scope& scope,
                                            int64_t now_seconds) {
  Parsed p;
  return ParseAndCheck(req, keys, scope, now_seconds, &p);
}

std::optional<HttpResult> CheckSigV4(const SigV4Request& req,
                                     const AuthKeys& keys,
                                     const SigV4Scope& scope,
                                     int64_t now_seconds, SigV4Signer* signer) {
  Parsed p;
  if (auto refused = ParseAndCheck(req, keys, scope, now_seconds, &p)) {
    return refused;
  }
  std::string canonical =
      sigv4::CanonicalRequest(req.method, req.target, req.headers,
                              p.signed_headers, sigv4::Sha256Hex(req.body));
  std::string scope_text = sigv4::Scope(p.date, p.region, p.service);
  std::string to_sign = sigv4::StringToSign(p.amz_date, scope_text, canonical);
  std::string expected =
      sigv4::Signature(p.key->secret, p.date, p.region, p.service, to_sign);
  if (!sigv4::ConstantTimeEquals(expected, p.signature)) {
    return Refuse("InvalidSignatureException",
                  "The request signature we calculated does not match the "
                  "signature you provided. Check your AWS Secret Access Key "
                  "and signing method.");
  }
  if (signer != nullptr) {
    signer->access_key_id = p.access_key_id;
    signer->signed_headers = std::move(p.signed_list);
  }
  return std::nullopt;
}

}  // namespace godwit::server
