// The settings resolver: explicit values, environment, shared AWS files.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "godwit/remote_store.h"
#include "testutil/temp_dir.h"

namespace godwit {
namespace {

class SettingsTest : public ::testing::Test {
 protected:
  RemoteSettingsInput Input() {
    RemoteSettingsInput in;
    in.home = dir_.path();
    in.getenv = [this](const std::string& k) -> std::optional<std::string> {
      auto it = env_.find(k);
      if (it == env_.end()) return std::nullopt;
      return it->second;
    };
    return in;
  }
  void Write(const std::string& name, const std::string& text) {
    std::filesystem::create_directories(dir_.Join(".aws"));
    std::ofstream(dir_.Join(".aws/" + name)) << text;
  }
  test::TempDir dir_;
  std::map<std::string, std::string> env_;
};

TEST_F(SettingsTest, AwsEndpointFromRegionAndEnvironmentCredentials) {
  env_ = {{"AWS_REGION", "eu-west-1"},
          {"AWS_DEFAULT_REGION", "us-west-2"},
          {"AWS_ACCESS_KEY_ID", "AKID"},
          {"AWS_SECRET_ACCESS_KEY", "SECRET"},
          {"AWS_SESSION_TOKEN", "TOKEN"}};
  auto o = ResolveRemoteSettings(Input());
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->region, "eu-west-1");
  EXPECT_EQ(o->endpoint, "https://dynamodb.eu-west-1.amazonaws.com");
  EXPECT_EQ(o->streams_endpoint,
            "https://streams.dynamodb.eu-west-1.amazonaws.com");
  EXPECT_EQ(o->credentials.access_key_id, "AKID");
  EXPECT_EQ(o->credentials.session_token, "TOKEN");
  EXPECT_EQ(o->credentials.source, "environment");
  env_.erase("AWS_REGION");
  o = ResolveRemoteSettings(Input());
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->region, "us-west-2");
}

TEST_F(SettingsTest, ExplicitValuesWin) {
  env_ = {{"AWS_REGION", "eu-west-1"},
          {"AWS_ENDPOINT_URL", "http://env:1"},
          {"AWS_ACCESS_KEY_ID", "AKID"},
          {"AWS_SECRET_ACCESS_KEY", "SECRET"}};
  RemoteSettingsInput in = Input();
  in.explicit_options.region = "ap-south-1";
  in.explicit_options.endpoint = "http://127.0.0.1:8000/";
  in.explicit_options.credentials = {"X", "Y", "", ""};
  auto o = ResolveRemoteSettings(in);
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->region, "ap-south-1");
  EXPECT_EQ(o->endpoint, "http://127.0.0.1:8000");
  EXPECT_EQ(o->streams_endpoint, "http://127.0.0.1:8000");
  EXPECT_EQ(o->credentials.access_key_id, "X");
  EXPECT_EQ(o->credentials.source, "explicit");
}

TEST_F(SettingsTest, ServiceEndpointBeatsGlobalEndpoint) {
  env_ = {{"AWS_ENDPOINT_URL", "http://global:1"},
          {"AWS_ENDPOINT_URL_DYNAMODB", "http://ddb:2"}};
  auto o = ResolveRemoteSettings(Input());
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->endpoint, "http://ddb:2");
  env_.erase("AWS_ENDPOINT_URL_DYNAMODB");
  o = ResolveRemoteSettings(Input());
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->endpoint, "http://global:1");
  // A local endpoint without credentials gets placeholders.
  EXPECT_EQ(o->credentials.access_key_id, "godwit");
}

TEST_F(SettingsTest, ProfileFromSharedFiles) {
  Write("credentials",
        "# comment\n[default]\naws_access_key_id = DEF\n"
        "aws_secret_access_key = DEFSECRET\n\n[work]\n"
        "aws_access_key_id=WORK\naws_secret_access_key=WORKSECRET\n"
        "aws_session_token=WT\n");
  Write("config",
        "[default]\nregion = us-east-2\n[profile work]\nregion = eu-north-1\n"
        "s3 =\n  max_concurrent_requests = 4\n");
  auto o = ResolveRemoteSettings(Input());
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->credentials.access_key_id, "DEF");
  EXPECT_EQ(o->region, "us-east-2");
  env_["AWS_PROFILE"] = "work";
  o = ResolveRemoteSettings(Input());
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->credentials.access_key_id, "WORK");
  EXPECT_EQ(o->credentials.session_token, "WT");
  EXPECT_EQ(o->region, "eu-north-1");
  EXPECT_EQ(o->endpoint, "https://dynamodb.eu-north-1.amazonaws.com");
  EXPECT_NE(o->credentials.source.find("credentials"), std::string::npos);
  // The environment's keys beat the profile's.
  env_["AWS_ACCESS_KEY_ID"] = "ENV";
  env_["AWS_SECRET_ACCESS_KEY"] = "ENVSECRET";
  o = ResolveRemoteSettings(Input());
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->credentials.access_key_id, "ENV");
}

TEST_F(SettingsTest, CredentialsInConfigFileAndMovedFiles) {
  std::ofstream(dir_.Join("cfg")) << "[profile p]\nregion = sa-east-1\n"
                                     "aws_access_key_id = C\n"
                                     "aws_secret_access_key = S\n";
  env_ = {{"AWS_CONFIG_FILE", dir_.Join("cfg")}, {"AWS_PROFILE", "p"}};
  auto o = ResolveRemoteSettings(Input());
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->credentials.access_key_id, "C");
  EXPECT_EQ(o->region, "sa-east-1");
}

TEST_F(SettingsTest, ClearErrors) {
  // No region for AWS.
  auto o = ResolveRemoteSettings(Input());
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.status().message().find("no region"), std::string_view::npos);
  // Half a key pair.
  env_ = {{"AWS_REGION", "us-east-1"}, {"AWS_ACCESS_KEY_ID", "A"}};
  o = ResolveRemoteSettings(Input());
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.status().message().find("AWS_SECRET_ACCESS_KEY"),
            std::string_view::npos)
      << o.status().ToString();
  // No credentials for AWS.
  env_ = {{"AWS_REGION", "us-east-1"}};
  o = ResolveRemoteSettings(Input());
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.status().message().find("no AWS credentials"),
            std::string_view::npos);
  // A malformed file names the line.
  Write("credentials", "[default]\naws_access_key_id = A\ngarbage\n");
  o = ResolveRemoteSettings(Input());
  ASSERT_FALSE(o.ok());
  EXPECT_TRUE(o.status().IsInvalidArgument());
  EXPECT_NE(o.status().message().find("credentials:3"), std::string_view::npos)
      << o.status().ToString();
  // Half a pair in a profile.
  Write("credentials", "[default]\naws_access_key_id = A\n");
  o = ResolveRemoteSettings(Input());
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.status().message().find("no aws_secret_access_key"),
            std::string_view::npos)
      << o.status().ToString();
  // An unknown profile named explicitly.
  env_["AWS_PROFILE"] = "nope";
  o = ResolveRemoteSettings(Input());
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.status().message().find("\"nope\""), std::string_view::npos);
  // A bad endpoint.
  env_ = {{"AWS_ENDPOINT_URL", "localhost:8000"}};
  o = ResolveRemoteSettings(Input());
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.status().message().find("AWS_ENDPOINT_URL"),
            std::string_view::npos)
      << o.status().ToString();
}

}  // namespace
}  // namespace godwit
