// The SigV4 signer against cases of AWS's published Signature Version 4 test
// suite (credentials AKIDEXAMPLE / wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY,
// us-east-1, service "service", 2015-08-30T12:36:00Z), and the verifier's
// primitives against the signer.
#include "util/sigv4.h"

#include <gtest/gtest.h>

namespace godwit::sigv4 {
namespace {

constexpr int64_t kSuiteTime = 1440938160;  // 20150830T123600Z
constexpr char kEmptySha[] =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

Credentials Suite() {
  return {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
}

Signed SignCase(std::string method, std::string target, Headers headers,
                std::string_view body = "") {
  SignInput in;
  in.method = std::move(method);
  in.path_and_query = std::move(target);
  in.host = "example.amazonaws.com";
  in.headers = std::move(headers);
  in.body = body;
  in.region = "us-east-1";
  in.service = "service";
  in.unix_seconds = kSuiteTime;
  return Sign(in, Suite());
}

TEST(SigV4Suite, Primitives) {
  EXPECT_EQ(Sha256Hex(""), kEmptySha);
  EXPECT_EQ(AmzDate(kSuiteTime), "20150830T123600Z");
  EXPECT_EQ(CanonicalHeaderValue("  a   b\t c "), "a b c");
  EXPECT_EQ(CanonicalQuery("b=2&a=1&c"), "a=1&b=2&c=");
  EXPECT_EQ(Scope("20150830", "us-east-1", "service"),
            "20150830/us-east-1/service/aws4_request");
}

TEST(SigV4Suite, GetVanilla) {
  Signed s = SignCase("GET", "/", {});
  EXPECT_EQ(s.canonical_request,
            std::string("GET\n/\n\nhost:example.amazonaws.com\n"
                        "x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n") +
                kEmptySha);
  EXPECT_EQ(s.signature,
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
  ASSERT_EQ(s.add.size(), 2u);
  EXPECT_EQ(s.add[0].second, "20150830T123600Z");
  EXPECT_EQ(s.add[1].second,
            "AWS4-HMAC-SHA256 "
            "Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1"
            "d763fbf31");
}

TEST(SigV4Suite, PostVanilla) {
  EXPECT_EQ(SignCase("POST", "/", {}).signature,
            "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
}

TEST(SigV4Suite, PostVanillaQuery) {
  Signed s = SignCase("POST", "/?Param1=value1", {});
  EXPECT_EQ(s.string_to_sign,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/"
            "aws4_request\n"
            "9d659678c1756bb3113e2ce898845a0a79dbbc57b740555917687f1b3340fbbd");
  EXPECT_EQ(s.signature,
            "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11");
}

TEST(SigV4Suite, PostHeaderKeySortAndValueCase) {
  EXPECT_EQ(SignCase("POST", "/", {{"My-Header1", "value1"}}).signature,
            "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c");
  EXPECT_EQ(SignCase("POST", "/", {{"My-Header1", "VALUE1"}}).signature,
            "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d");
}

TEST(SigV4Suite, GetHeaderValueTrim) {
  Signed s =
      SignCase("GET", "/",
               {{"My-Header1", " value1"}, {"My-Header2", " \"a   b   c\""}});
  EXPECT_EQ(s.signed_headers, "host;my-header1;my-header2;x-amz-date");
  EXPECT_EQ(s.signature,
            "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736");
}

TEST(SigV4Suite, PostXWwwFormUrlencoded) {
  Signed s = SignCase("POST", "/",
                      {{"Content-Type", "application/x-www-form-urlencoded"}},
                      "Param1=value1");
  EXPECT_EQ(s.signed_headers, "content-type;host;x-amz-date");
  EXPECT_EQ(s.signature,
            "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a");
}

TEST(SigV4Suite, SessionTokenIsSentAndSigned) {
  Credentials c = Suite();
  c.session_token = "TOKEN";
  SignInput in;
  in.host = "example.amazonaws.com";
  in.region = "us-east-1";
  in.service = "service";
  in.unix_seconds = kSuiteTime;
  Signed s = Sign(in, c);
  EXPECT_EQ(s.signed_headers, "host;x-amz-date;x-amz-security-token");
  ASSERT_EQ(s.add.size(), 3u);
  EXPECT_EQ(s.add[1].first, "X-Amz-Security-Token");
  // A different token is a different signature.
  c.session_token = "OTHER";
  EXPECT_NE(Sign(in, c).signature, s.signature);
}

}  // namespace
}  // namespace godwit::sigv4
