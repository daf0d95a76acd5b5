// ResolveRemoteSettings: explicit values, then the environment, then the
// shared AWS files (see include/godwit/remote_store.h for the order).
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>

#include "godwit/remote_store.h"

namespace godwit {
namespace {

using Section = std::map<std::string, std::string>;
using IniFile = std::map<std::string, Section>;

std::string Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) {
    s.remove_prefix(1);
  }
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) {
    s.remove_suffix(1);
  }
  return std::string(s);
}

// The shared-file format: [section] headers, key = value lines, # and ;
// comments. Indented lines (nested service settings) are skipped. A missing
// file is an empty one.
Result<IniFile> ReadIni(const std::string& path) {
  IniFile out;
  std::ifstream f(path);
  if (!f) return out;
  std::string line, section;
  bool in_section = false;
  int n = 0;
  while (std::getline(f, line)) {
    ++n;
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) continue;
    std::string l = Trim(line);
    if (l.empty() || l[0] == '#' || l[0] == ';') continue;
    if (l[0] == '[') {
      if (l.back() != ']') {
        return Status::InvalidArgument(path + ":" + std::to_string(n) +
                                       ": malformed section header " + l);
      }
      section = Trim(std::string_view(l).substr(1, l.size() - 2));
      out[section];
      in_section = true;
      continue;
    }
    size_t eq = l.find('=');
    if (eq == std::string::npos || !in_section) {
      return Status::InvalidArgument(
          path + ":" + std::to_string(n) +
          (in_section ? ": want key = value, got " + l
                      : ": a setting before any [section]"));
    }
    std::string key = Trim(std::string_view(l).substr(0, eq));
    std::string value = Trim(std::string_view(l).substr(eq + 1));
    // A value opening a nested block ("dynamodb =") holds nothing here.
    if (!value.empty()) out[section][key] = value;
  }
  return out;
}

bool IsAwsEndpoint(const std::string& endpoint) {
  return endpoint.find(".amazonaws.com") != std::string::npos;
}

Status CheckEndpoint(const std::string& e, const std::string& where) {
  if (e.rfind("http://", 0) != 0 && e.rfind("https://", 0) != 0) {
    return Status::InvalidArgument(where + ": endpoint \"" + e +
                                   "\" must start with http:// or https://");
  }
  size_t host = e.find("://") + 3;
  if (host >= e.size() || e[host] == '/' || e[host] == ':') {
    return Status::InvalidArgument(where + ": endpoint \"" + e +
                                   "\" has no host");
  }
  return Status::OK();
}

}  // namespace

Result<RemoteStoreOptions> ResolveRemoteSettings(
    const RemoteSettingsInput& in) {
  auto env = [&](const std::string& name) -> std::string {
    if (in.getenv) return in.getenv(name).value_or("");
    const char* v = std::getenv(name.c_str());
    return v == nullptr ? "" : v;
  };
  RemoteStoreOptions o = in.explicit_options;
  std::string home = in.home.empty() ? env("HOME") : in.home;
  std::string cred_path = env("AWS_SHARED_CREDENTIALS_FILE");
  if (cred_path.empty()) cred_path = home + "/.aws/credentials";
  std::string config_path = env("AWS_CONFIG_FILE");
  if (config_path.empty()) config_path = home + "/.aws/config";

  std::string profile = in.profile;
  bool profile_named = !profile.empty();
  if (profile.empty()) {
    profile = env("AWS_PROFILE");
    profile_named = !profile.empty();
  }
  if (profile.empty()) profile = "default";
  ASSIGN_OR_RETURN(IniFile creds_file, ReadIni(cred_path));
  ASSIGN_OR_RETURN(IniFile config_file, ReadIni(config_path));
  const Section* cred_sec = nullptr;
  if (auto it = creds_file.find(profile); it != creds_file.end()) {
    cred_sec = &it->second;
  }
  const Section* conf_sec = nullptr;
  std::string conf_name =
      profile == "default" ? "default" : "profile " + profile;
  if (auto it = config_file.find(conf_name); it != config_file.end()) {
    conf_sec = &it->second;
  } else if (auto it2 = config_file.find(profile); it2 != config_file.end()) {
    conf_sec = &it2->second;
  }
  if (profile_named && cred_sec == nullptr && conf_sec == nullptr) {
    return Status::InvalidArgument("AWS profile \"" + profile +
                                   "\" is in neither " + cred_path + " nor " +
                                   config_path);
  }
  auto lookup = [](const Section* s, const std::string& k) -> std::string {
    if (s == nullptr) return "";
    auto it = s->find(k);
    return it == s->end() ? "" : it->second;
  };

  // Region.
  std::string region_from = "explicit";
  if (o.region.empty()) {
    o.region = env("AWS_REGION");
    region_from = "AWS_REGION";
  }
  if (o.region.empty()) {
    o.region = env("AWS_DEFAULT_REGION");
    region_from = "AWS_DEFAULT_REGION";
  }
  if (o.region.empty()) {
    o.region = lookup(conf_sec, "region");
    region_from = config_path;
  }

  // Endpoint.
  std::string endpoint_from = "explicit endpoint";
  if (o.endpoint.empty()) {
    o.endpoint = env("AWS_ENDPOINT_URL_DYNAMODB");
    endpoint_from = "AWS_ENDPOINT_URL_DYNAMODB";
  }
  if (o.endpoint.empty()) {
    o.endpoint = env("AWS_ENDPOINT_URL");
    endpoint_from = "AWS_ENDPOINT_URL";
  }
  if (o.endpoint.empty()) {
    o.endpoint = lookup(conf_sec, "endpoint_url");
    endpoint_from = config_path + " [" + conf_name + "] endpoint_url";
  }
  if (o.endpoint.empty()) {
    if (o.region.empty()) {
      return Status::InvalidArgument(
          "no region for the AWS DynamoDB endpoint: set --region, "
          "AWS_REGION, AWS_DEFAULT_REGION or region in [" +
          conf_name + "] of " + config_path +
          " (or an endpoint with AWS_ENDPOINT_URL_DYNAMODB)");
    }
    o.endpoint = "https://dynamodb." + o.region + ".amazonaws.com";
    endpoint_from = "the region";
  }
  while (o.endpoint.size() > 1 && o.endpoint.back() == '/') {
    o.endpoint.pop_back();
  }
  RETURN_IF_ERROR(CheckEndpoint(o.endpoint, endpoint_from));
  bool aws = IsAwsEndpoint(o.endpoint);
  if (o.streams_endpoint.empty()) {
    if (aws && o.endpoint.find("://dynamodb.") != std::string::npos) {
      o.streams_endpoint = o.endpoint;
      o.streams_endpoint.replace(o.streams_endpoint.find("://dynamodb.") + 3, 0,
                                 "streams.");
    } else {
      o.streams_endpoint = o.endpoint;
    }
  }
  RETURN_IF_ERROR(CheckEndpoint(o.streams_endpoint, "streams endpoint"));
  if (o.region.empty()) o.region = "us-east-1";  // local endpoints ignore it
  (void)region_from;

  // Credentials.
  RemoteCredentials& c = o.credentials;
  if (c.access_key_id.empty() != c.secret_access_key.empty()) {
    return Status::InvalidArgument(
        "explicit credentials need both an access key id and a secret key");
  }
  if (!c.access_key_id.empty()) {
    if (c.source.empty()) c.source = "explicit";
  } else {
    std::string id = env("AWS_ACCESS_KEY_ID");
    std::string secret = env("AWS_SECRET_ACCESS_KEY");
    if (id.empty() != secret.empty()) {
      return Status::InvalidArgument(
          std::string(id.empty() ? "AWS_SECRET_ACCESS_KEY"
                                 : "AWS_ACCESS_KEY_ID") +
          " is set but " +
          (id.empty() ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY") +
          " is not");
    }
    if (!id.empty()) {
      c = {id, secret, env("AWS_SESSION_TOKEN"), "environment"};
    } else {
      for (auto [sec, path] :
           {std::pair{cred_sec, cred_path}, std::pair{conf_sec, config_path}}) {
        std::string fid = lookup(sec, "aws_access_key_id");
        std::string fsecret = lookup(sec, "aws_secret_access_key");
        if (fid.empty() && fsecret.empty()) continue;
        if (fid.empty() || fsecret.empty()) {
          return Status::InvalidArgument(
              path + ": profile \"" + profile + "\" has " +
              (fid.empty() ? "aws_secret_access_key but no aws_access_key_id"
                           : "aws_access_key_id but no aws_secret_access_key"));
        }
        c = {fid, fsecret, lookup(sec, "aws_session_token"),
             "profile " + profile + " in " + path};
        break;
      }
    }
  }
  if (c.access_key_id.empty()) {
    if (aws) {
      return Status::InvalidArgument(
          "no AWS credentials for " + o.endpoint +
          ": set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE "
          "with keys in " +
          cred_path);
    }
    c = {"godwit", "godwit", "", "placeholder (no credentials configured)"};
  }
  return o;
}

}  // namespace godwit
