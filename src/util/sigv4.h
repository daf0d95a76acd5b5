// AWS Signature Version 4: the primitives shared by the signer (the remote
// DynamoDB store) and the verifier (`godwit serve --auth`), so that both
// compute one canonical form.
//
//   canonical  = METHOD \n PATH \n SORTED-QUERY \n
//                (lower(name) ":" trimmed-value \n)* for the signed headers
//                \n signed-headers \n hex(sha256(body))
//   to_sign    = "AWS4-HMAC-SHA256" \n AMZ-DATE \n scope \n
//                hex(sha256(canonical))
//   scope      = DATE/REGION/SERVICE/aws4_request
//   key        = HMAC(HMAC(HMAC(HMAC("AWS4" secret, DATE), REGION),
//                SERVICE), "aws4_request")
//   signature  = hex(HMAC(key, to_sign))
//
// The path and query are used as given (already URI-encoded by the caller;
// DynamoDB uses "/" and no query). Header values are trimmed and runs of
// spaces collapsed; repeated headers are joined with ",".
#ifndef GODWIT_UTIL_SIGV4_H_
#define GODWIT_UTIL_SIGV4_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace godwit::sigv4 {

using Headers = std::vector<std::pair<std::string, std::string>>;

// Lower-case hex of bytes.
std::string Hex(std::string_view bytes);
// Without leading and trailing white space.
std::string_view Trim(std::string_view s);
// ASCII lower case (header names).
std::string Lower(std::string_view s);
// hex(sha256(data)).
std::string Sha256Hex(std::string_view data);
// Raw HMAC-SHA256 (32 bytes).
std::string HmacSha256(std::string_view key, std::string_view data);
// a == b, in time that depends on the lengths only (signatures, tokens).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// Trims and collapses runs of spaces/tabs into one space.
std::string CanonicalHeaderValue(std::string_view v);
// "a=1&b=2": the query's parameters sorted, "k" becomes "k=".
std::string CanonicalQuery(std::string_view query);

// The canonical request. `signed_headers` are lower-case names separated by
// ';' in sorted order; values are looked up in `headers` (any case; repeated
// names joined with ','). `path_and_query` is the request target ("/?a=b").
std::string CanonicalRequest(std::string_view method,
                             std::string_view path_and_query,
                             const Headers& headers,
                             std::string_view signed_headers,
                             std::string_view payload_sha256_hex);

// "DATE/REGION/SERVICE/aws4_request".
std::string Scope(std::string_view date, std::string_view region,
                  std::string_view service);
std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request);
std::string SigningKey(std::string_view secret, std::string_view date,
                       std::string_view region, std::string_view service);
// hex(HMAC(SigningKey(...), to_sign)).
std::string Signature(std::string_view secret, std::string_view date,
                      std::string_view region, std::string_view service,
                      std::string_view string_to_sign);

// "YYYYMMDDTHHMMSSZ" for a Unix time.
std::string AmzDate(int64_t unix_seconds);

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty: none
};

struct SignInput {
  std::string method = "POST";
  std::string path_and_query = "/";
  std::string host;  // "dynamodb.us-east-1.amazonaws.com" or "127.0.0.1:8000"
  Headers headers;   // other headers to sign (e.g. Content-Type, X-Amz-Target)
  std::string_view body;
  std::string region;
  std::string service;
  int64_t unix_seconds = 0;
};

struct Signed {
  // The headers to add to the request: X-Amz-Date, X-Amz-Security-Token
  // (with a session token) and Authorization. Host is not added (the HTTP
  // client sends it) but is signed.
  Headers add;
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;
  std::string signed_headers;
};

// Signs every header of `in.headers` plus host, x-amz-date and (if any)
// x-amz-security-token.
Signed Sign(const SignInput& in, const Credentials& creds);

}  // namespace godwit::sigv4

#endif  // GODWIT_UTIL_SIGV4_H_
