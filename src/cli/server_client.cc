// See server_client.h.
#include "cli/server_client.h"

#include <curl/curl.h>

#include <ctime>
#include <memory>
#include <mutex>

#include "cli/session.h"
#include "godwit/server.h"
#include "util/sigv4.h"
#include "wire/errors.h"

namespace godwit::cli {
namespace {

size_t Append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// The Status of a DynamoDB-shaped error answer ({"__type": "...#Type",
// "message": "..."}) of the server at `url`. The one place that maps
// error types; the wire error table replaces it.
Status AdminErrorStatus(const std::string& url,
                        const RemoteStoreOptions& server, int http,
                        const std::string& body) {
  wire::ApiError e = wire::ApiError::FromResponse(http, body);
  const wire::ErrorInfo* info = wire::FindError(e.type());
  if (e.name().rfind("HTTP ", 0) == 0) {  // no DynamoDB-shaped error body
    return Status::Unavailable(url + " answered " + e.name() + ": " +
                               e.message());
  }
  if (info != nullptr && info->credentials) {
    return Status::FailedPrecondition(
        "authentication failed at " + url + ": " + e.name() + ": " +
        e.message() + " (access key " + server.credentials.access_key_id +
        ", source: " + server.credentials.source +
        "; a server started with --auth wants a key pair of its auth "
        "file: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "
        "AWS_PROFILE)");
  }
  // The admin API's own refusals: not found and bad requests keep their
  // meaning; anything else (a run that cannot start, ...) is the server's
  // state, not this command's input.
  StatusCode code = StatusCode::kFailedPrecondition;
  if (info != nullptr && (info->code == StatusCode::kNotFound ||
                          info->code == StatusCode::kInvalidArgument)) {
    code = info->code;
  }
  return Status(code, e.message() + " (" + e.name() + " from " + url + ")");
}

// POSTs a GodwitAdmin operation to --server, signed with the credentials
// and region `--store URL` would use; the 200 answer's body, or the error.
Result<std::string> ServerCall(const Context& ctx, std::string_view op,
                               const std::string& body, double timeout_s) {
  ASSIGN_OR_RETURN(
      RemoteStoreOptions server,
      ResolveRemoteOptions(ctx.global, ctx.global.server_url, "--server"));
  ASSIGN_OR_RETURN(auto answer, AdminRequest(server, op, body, timeout_s));
  if (answer.first == 200) return std::move(answer.second);
  return AdminErrorStatus(ctx.global.server_url, server, answer.first,
                          answer.second);
}

}  // namespace

Result<RunInfo> StartOnServer(const Context& ctx, const RunRequest& req,
                              double timeout_s) {
  ASSIGN_OR_RETURN(
      std::string out,
      ServerCall(ctx, "StartMigration", RunRequestToJson(req), timeout_s));
  Result<RunInfo> info = RunInfoFromJson(out);
  if (!info.ok()) {
    return Status::DataLoss("unexpected answer from " + ctx.global.server_url +
                            ": " + std::string(info.status().message()));
  }
  return info;
}

Result<Reply> CommandOnServer(const Context& ctx, const std::string& table,
                              const Command& c, double timeout_s) {
  ASSIGN_OR_RETURN(std::string out,
                   ServerCall(ctx, "MigrationCommand",
                              TableCommandToJson(table, c), timeout_s));
  return ResultFromJson(out);
}

Result<std::pair<int, std::string>> AdminRequest(
    const RemoteStoreOptions& server, std::string_view op,
    const std::string& body, double timeout_s) {
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(),
                                              curl_easy_cleanup);
  if (!curl) return Status::Internal("curl_easy_init failed");
  // Host and path as sent: "http://HOST[:PORT][/PATH]"; the path is "/"
  // when none is given. Host is sent as signed.
  const std::string& url = server.endpoint;
  size_t host_at = url.find("://");
  host_at = host_at == std::string::npos ? 0 : host_at + 3;
  size_t path_at = url.find('/', host_at);
  std::string host =
      url.substr(host_at, path_at == std::string::npos ? std::string::npos
                                                       : path_at - host_at);
  std::string path = path_at == std::string::npos ? "/" : url.substr(path_at);
  std::string full = path_at == std::string::npos ? url + "/" : url;

  sigv4::SignInput in;
  in.method = "POST";
  in.path_and_query = path;
  in.host = host;
  in.headers = {{"Content-Type", "application/x-amz-json-1.0"},
                {"X-Amz-Target",
                 std::string(server::kAdminTargetPrefix) + std::string(op)}};
  in.body = body;
  in.region = server.region;
  in.service = "dynamodb";
  in.unix_seconds = static_cast<int64_t>(std::time(nullptr));
  sigv4::Signed sig = sigv4::Sign(in, {server.credentials.access_key_id,
                                       server.credentials.secret_access_key,
                                       server.credentials.session_token});
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, ("Host: " + host).c_str());
  for (const auto* list : {&in.headers, &sig.add}) {
    for (const auto& [k, v] : *list) {
      headers = curl_slist_append(headers, (k + ": " + v).c_str());
    }
  }
  headers = curl_slist_append(headers, "Expect:");
  std::unique_ptr<curl_slist, void (*)(curl_slist*)> free_headers(
      headers, curl_slist_free_all);
  std::string response;
  curl_easy_setopt(curl.get(), CURLOPT_URL, full.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_POST, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE,
                   static_cast<long>(body.size()));
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS,
                   static_cast<long>(timeout_s * 1000));
  curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT_MS, 5000L);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  CURLcode rc = curl_easy_perform(curl.get());
  if (rc == CURLE_OPERATION_TIMEDOUT) {
    return Status::DeadlineExceeded(
        "no answer from " + url + " within " +
        std::to_string(static_cast<int>(timeout_s)) + " s");
  }
  if (rc != CURLE_OK) {
    return Status::Unavailable("cannot reach godwit serve at " + url + ": " +
                               curl_easy_strerror(rc));
  }
  long status = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  return std::make_pair(static_cast<int>(status), std::move(response));
}

}  // namespace godwit::cli
