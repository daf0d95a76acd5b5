// SigV4 verification of `godwit serve --auth`: what it let through before.
// Signatures scoped to another region or to services "s3" or "zzz" were
// accepted, X-Amz-Security-Token was ignored, and an unsigned
// X-Godwit-Physical-Tables header added to a signed request changed the
// routing. DynamoDB Streams requests are signed with service "dynamodb": the
// SDKs' service model for streams.dynamodb has signingName "dynamodb" (AWS
// SDK for JavaScript v3, client-dynamodb-streams ServiceMetadata; botocore's
// dynamodbstreams model), so that is the one service accepted.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "godwit/server.h"
#include "testutil/temp_dir.h"
#include "util/sigv4.h"

namespace godwit::server {
namespace {

constexpr int64_t kNow = 1700000000;

bool Contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

struct Signing {
  std::string region = "eu-west-1";
  std::string service = "dynamodb";
  std::string akid = "AKIDGODWIT";
  std::string secret = "secret";
  std::string token;
  std::string target = "DynamoDB_20120810.ListTables";
  // Extra headers to sign, and to add unsigned after signing.
  sigv4::Headers signed_extra, unsigned_extra;
};

SigV4Request SignedRequest(const Signing& s, std::string_view body = "{}") {
  sigv4::SignInput in;
  in.host = "127.0.0.1:8000";
  in.headers = {{"Content-Type", "application/x-amz-json-1.0"},
                {"X-Amz-Target", s.target}};
  for (const auto& h : s.signed_extra) in.headers.push_back(h);
  in.body = body;
  in.region = s.region;
  in.service = s.service;
  in.unix_seconds = kNow;
  sigv4::Signed sig = sigv4::Sign(in, {s.akid, s.secret, s.token});
  SigV4Request req;
  req.method = "POST";
  req.target = "/";
  req.headers = in.headers;
  req.headers.emplace_back("Host", in.host);
  for (const auto& h : sig.add) req.headers.push_back(h);
  for (const auto& h : s.unsigned_extra) req.headers.push_back(h);
  req.body = body;
  return req;
}

const SigV4Scope kScope{.region = "eu-west-1"};
const AuthKeys kKeys{{"AKIDGODWIT", "secret"},
                     {"ASIATEMP", AuthKey("tempsecret", "the-token")}};

TEST(SigV4Scope, AcceptsTheServersRegionAndServiceDynamodb) {
  SigV4Signer signer;
  auto refused = CheckSigV4(SignedRequest({}), kKeys, kScope, kNow, &signer);
  EXPECT_FALSE(refused.has_value()) << refused->body;
  EXPECT_EQ(signer.access_key_id, "AKIDGODWIT");
  EXPECT_TRUE(signer.Signs("x-amz-target"));
}

TEST(SigV4Scope, StreamsRequestsSignedAsDynamodbAreAccepted) {
  Signing s;
  s.target = "DynamoDBStreams_20120810.ListStreams";
  EXPECT_FALSE(CheckSigV4(SignedRequest(s), kKeys, kScope, kNow).has_value());
}

TEST(SigV4Scope, AnotherRegionIsRefused) {
  Signing s;
  s.region = "us-east-1";
  auto refused = CheckSigV4(SignedRequest(s), kKeys, kScope, kNow);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 400);
  EXPECT_TRUE(Contains(refused->body, "#InvalidSignatureException"))
      << refused->body;
  EXPECT_TRUE(Contains(refused->body, "not 'us-east-1'")) << refused->body;
  EXPECT_TRUE(Contains(refused->body, "'eu-west-1'")) << refused->body;
  // Refused on the headers alone, before a body is read.
  EXPECT_TRUE(CheckSigV4Headers(SignedRequest(s), kKeys, kScope, kNow));
}

TEST(SigV4Scope, ServicesS3AndZzzAreRefused) {
  for (const char* service : {"s3", "zzz", "dynamodbstreams", "DynamoDB"}) {
    Signing s;
    s.service = service;
    auto refused = CheckSigV4(SignedRequest(s), kKeys, kScope, kNow);
    ASSERT_TRUE(refused.has_value()) << service;
    EXPECT_TRUE(Contains(refused->body, "#InvalidSignatureException"))
        << refused->body;
    EXPECT_TRUE(Contains(refused->body, "correct service: 'dynamodb'"))
        << refused->body;
    EXPECT_TRUE(CheckSigV4Headers(SignedRequest(s), kKeys, kScope, kNow));
  }
}

TEST(SigV4Scope, SessionTokenIsCheckedAsTheAuthFileSays) {
  Signing temp;
  temp.akid = "ASIATEMP";
  temp.secret = "tempsecret";
  // Without the token the key requires, with a wrong one: refused.
  auto refused = CheckSigV4(SignedRequest(temp), kKeys, kScope, kNow);
  ASSERT_TRUE(refused.has_value());
  EXPECT_TRUE(Contains(refused->body, "#UnrecognizedClientException"))
      << refused->body;
  temp.token = "not-the-token";
  EXPECT_TRUE(CheckSigV4(SignedRequest(temp), kKeys, kScope, kNow));
  // With it: accepted.
  temp.token = "the-token";
  refused = CheckSigV4(SignedRequest(temp), kKeys, kScope, kNow);
  EXPECT_FALSE(refused.has_value()) << refused->body;
  // A key without a token, used with one: refused.
  Signing plain;
  plain.token = "the-token";
  refused = CheckSigV4(SignedRequest(plain), kKeys, kScope, kNow);
  ASSERT_TRUE(refused.has_value());
  EXPECT_TRUE(Contains(refused->body, "#UnrecognizedClientException"));
  // The right token, but added after signing (not signed): refused.
  Signing added;
  added.akid = "ASIATEMP";
  added.secret = "tempsecret";
  added.unsigned_extra = {{"X-Amz-Security-Token", "the-token"}};
  refused = CheckSigV4(SignedRequest(added), kKeys, kScope, kNow);
  ASSERT_TRUE(refused.has_value());
  EXPECT_TRUE(Contains(refused->body, "#IncompleteSignatureException"))
      << refused->body;
}

TEST(SigV4Scope, UnsignedPhysicalTablesHeaderIsNotAmongTheSigned) {
  Signing unsigned_header;
  unsigned_header.unsigned_extra = {{"X-Godwit-Physical-Tables", "1"}};
  SigV4Signer signer;
  // Still a valid signature (an unsigned header does not break it), but the
  // server must not take the header from it.
  EXPECT_FALSE(
      CheckSigV4(SignedRequest(unsigned_header), kKeys, kScope, kNow, &signer)
          .has_value());
  EXPECT_FALSE(signer.Signs("x-godwit-physical-tables"));
  Signing signed_header;
  signed_header.signed_extra = {{"X-Godwit-Physical-Tables", "1"}};
  EXPECT_FALSE(
      CheckSigV4(SignedRequest(signed_header), kKeys, kScope, kNow, &signer)
          .has_value());
  EXPECT_TRUE(signer.Signs("x-godwit-physical-tables"));
}

TEST(SigV4Scope, HeadersCheckDecidesEverythingButTheSignature) {
  SigV4Request req = SignedRequest({}, "{\"Limit\":1}");
  EXPECT_FALSE(CheckSigV4Headers(req, kKeys, kScope, kNow).has_value());
  // A changed body fails only the full check.
  req.body = "{\"Limit\":2}";
  EXPECT_FALSE(CheckSigV4Headers(req, kKeys, kScope, kNow).has_value());
  auto refused = CheckSigV4(req, kKeys, kScope, kNow);
  ASSERT_TRUE(refused.has_value());
  EXPECT_TRUE(Contains(refused->body, "#InvalidSignatureException"));
  // No Authorization header at all.
  SigV4Request bare;
  bare.method = "POST";
  bare.target = "/";
  bare.headers = {{"Host", "h"}};
  refused = CheckSigV4Headers(bare, kKeys, kScope, kNow);
  ASSERT_TRUE(refused.has_value());
  EXPECT_TRUE(Contains(refused->body, "MissingAuthenticationToken"));
  // Unknown key, stale date.
  Signing unknown;
  unknown.akid = "NOBODY";
  refused = CheckSigV4Headers(SignedRequest(unknown), kKeys, kScope, kNow);
  ASSERT_TRUE(refused.has_value());
  EXPECT_TRUE(Contains(refused->body, "#UnrecognizedClientException"));
  refused = CheckSigV4Headers(SignedRequest({}), kKeys, kScope, kNow + 3600);
  ASSERT_TRUE(refused.has_value());
  EXPECT_TRUE(Contains(refused->body, "Signature expired"));
}

// The "get-vanilla" case of AWS's SigV4 test suite, scoped to its own
// region and service.
TEST(SigV4Scope, AwsTestVectorStillVerifies) {
  SigV4Request req;
  req.method = "GET";
  req.target = "/";
  req.headers = {
      {"Host", "example.amazonaws.com"},
      {"X-Amz-Date", "20150830T123600Z"},
      {"Authorization",
       "AWS4-HMAC-SHA256 "
       "Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
       "SignedHeaders=host;x-amz-date, "
       "Signature="
       "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"}};
  AuthKeys keys{{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}};
  auto refused = CheckSigV4(req, keys, {"us-east-1", "service"}, 1440938160);
  EXPECT_FALSE(refused.has_value()) << refused->body;
  EXPECT_TRUE(CheckSigV4(req, keys, {"us-east-1", "dynamodb"}, 1440938160));
}

TEST(AuthFile, SessionTokenColumnAndDuplicateKeys) {
  test::TempDir dir;
  std::string path = dir.Join("auth");
  std::ofstream(path) << "# keys\n"
                         "AKIDONE secret1\n"
                         "\n"
                         "ASIATWO secret2 FwoGZXIvYXdzEBQaDH+token/=  # temp\n";
  Result<AuthKeys> keys = LoadAuthFile(path);
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ(keys->at("AKIDONE").secret, "secret1");
  EXPECT_EQ(keys->at("AKIDONE").session_token, "");
  EXPECT_EQ(keys->at("ASIATWO").secret, "secret2");
  EXPECT_EQ(keys->at("ASIATWO").session_token, "FwoGZXIvYXdzEBQaDH+token/=");

  // A key given twice silently won before; now the file is refused, naming
  // both lines.
  std::ofstream(path) << "AKIDONE secret1\n# x\nAKIDONE other\n";
  keys = LoadAuthFile(path);
  ASSERT_EQ(keys.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(std::string(keys.status().message()),
                       path + ":3: access key id AKIDONE is also on line 1"))
      << keys.status().ToString();

  std::ofstream(path) << "AKIDONE secret1 token extra\n";
  keys = LoadAuthFile(path);
  ASSERT_EQ(keys.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(std::string(keys.status().message()), path + ":1:"));
}

}  // namespace
}  // namespace godwit::server
