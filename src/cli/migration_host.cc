// See migration_host.h.
#include "cli/migration_host.h"

#include <curl/curl.h>
#include <simdjson.h>

#include <cstdio>
#include <ctime>
#include <mutex>

#include "godwit/json.h"
#include "util/sigv4.h"

namespace godwit::cli {

// One hosted run. `setup` owns the mappers the migration uses; `mu`
// serialises the commands that change the run (a progress query does not
// wait for them).
struct MigrationHost::Run {
  RunSetup setup;
  std::unique_ptr<Migration> migration;
  std::mutex mu;
};

namespace {

using server::ErrorBody;
using server::HttpResult;

HttpResult Error(std::string_view type, std::string_view message) {
  return {400, ErrorBody(type, message)};
}

HttpResult Failed(const Status& s) {
  return Error("MigrationException", s.ToString());
}

// The body's object, or a ValidationException.
Result<simdjson::dom::object> ParseBody(simdjson::dom::parser& parser,
                                        std::string_view body) {
  simdjson::dom::object obj;
  if (parser.parse(body.data(), body.size()).get(obj) != simdjson::SUCCESS) {
    return Status::InvalidArgument("the body is not a JSON object");
  }
  return obj;
}

Result<std::string> TableName(const simdjson::dom::object& obj) {
  std::string_view t;
  if (obj["TableName"].get(t) != simdjson::SUCCESS || t.empty()) {
    return Status::InvalidArgument(
        "TableName (a non-empty string) is required");
  }
  return std::string(t);
}

// An optional number field in [lo, hi]; `*out` keeps its value if absent.
Status NumberField(const simdjson::dom::object& obj, const char* name,
                   double lo, double hi, double* out) {
  simdjson::dom::element e;
  if (obj[name].get(e) != simdjson::SUCCESS) return Status::OK();
  double v;
  if (e.get(v) != simdjson::SUCCESS || v < lo || v > hi) {
    return Status::InvalidArgument(
        std::string(name) + " must be a number in [" +
        std::to_string(static_cast<int64_t>(lo)) + ", " +
        std::to_string(static_cast<int64_t>(hi)) + "]");
  }
  *out = v;
  return Status::OK();
}

bool BoolField(const simdjson::dom::object& obj, const char* name) {
  bool v = false;
  return obj[name].get(v) == simdjson::SUCCESS && v;
}

}  // namespace

MigrationHost::MigrationHost(const Session* session, const Context* ctx)
    : session_(session), ctx_(ctx) {}

MigrationHost::~MigrationHost() {
  std::lock_guard lock(mu_);
  for (auto& [table, run] : runs_) {
    std::lock_guard run_lock(run->mu);
    run->migration->Stop();
  }
}

HttpResult MigrationHost::Handle(std::string_view op, std::string_view body) {
  if (op == "StartMigration") return Start(body);
  if (op == "MigrationCommand") return Command(body);
  return {400, ErrorBody("UnknownOperationException",
                         "Unknown operation GodwitAdmin." + std::string(op))};
}

HttpResult MigrationHost::Start(std::string_view body) {
  simdjson::dom::parser parser;
  Result<simdjson::dom::object> obj = ParseBody(parser, body);
  if (!obj.ok()) return Error("ValidationException", obj.status().message());
  Result<std::string> table = TableName(*obj);
  if (!table.ok())
    return Error("ValidationException", table.status().message());
  MigrateOptions o = BaseOptions(*session_, *table);
  double segments = o.segments, threads = o.threads, rate = 0, max_errors = 0;
  for (Status s : {NumberField(*obj, "Segments", 1, 1 << 20, &segments),
                   NumberField(*obj, "Threads", 1, 256, &threads),
                   NumberField(*obj, "Rate", 0, 1e9, &rate),
                   NumberField(*obj, "MaxErrors", 0, 1e12, &max_errors)}) {
    if (!s.ok()) return Error("ValidationException", s.message());
  }
  bool resume = BoolField(*obj, "Resume");

  // One start at a time: the check for a hosted run and the insertion must
  // not interleave with another start of the same table.
  std::lock_guard lock(mu_);
  if (runs_.count(*table) > 0) {
    return Error("ResourceInUseException",
                 "a migration of " + *table + " already runs in this server");
  }
  auto run = std::make_shared<Run>();
  Result<RunSetup> setup = PrepareRun(*session_, *table);
  if (!setup.ok()) return Failed(setup.status());
  run->setup = std::move(*setup);
  if (resume && !run->setup.resuming) {
    return Failed(
        Status::FailedPrecondition("no run of " + *table + " to resume"));
  }
  if (!resume && run->setup.resuming) {
    return Failed(Status::FailedPrecondition(
        "a run of " + *table + " is in progress; continue it with Resume"));
  }
  if (!run->setup.resuming) {
    if (Status s = CheckDeterminism(*session_, run->setup); !s.ok()) {
      return Failed(s);
    }
  }
  o.segments = static_cast<int>(segments);
  o.threads = static_cast<int>(threads);
  o.rate = rate;
  o.max_errors = static_cast<size_t>(max_errors);
  o.on_finish = LedgerRecorder(session_->store.get());
  Result<std::unique_ptr<Migration>> m =
      Migration::Open(session_->router.get(), session_->store.get(),
                      run->setup.mappers.get(), run->setup.plan, o);
  if (!m.ok()) return Failed(m.status());
  run->migration = std::move(*m);
  const MigrationPlan& plan = run->migration->plan();
  std::string out =
      "{\"RunId\":" + JsonQuoted(plan.run_id) +
      ",\"Source\":" + JsonQuoted(plan.source_table) +
      ",\"Destination\":" + JsonQuoted(plan.destination_table) +
      ",\"Phase\":" + JsonQuoted(RunPhaseName(run->migration->phase())) +
      ",\"Resumed\":" + (run->setup.resuming ? "true" : "false") + "}";
  std::fprintf(stderr, "godwit serve: %s migration %s: %s -> %s\n",
               run->setup.resuming ? "resumed" : "started", plan.run_id.c_str(),
               plan.source_table.c_str(), plan.destination_table.c_str());
  runs_[*table] = std::move(run);
  return {200, std::move(out)};
}

HttpResult MigrationHost::Command(std::string_view body) {
  simdjson::dom::parser parser;
  Result<simdjson::dom::object> obj = ParseBody(parser, body);
  if (!obj.ok()) return Error("ValidationException", obj.status().message());
  Result<std::string> table = TableName(*obj);
  if (!table.ok())
    return Error("ValidationException", table.status().message());
  std::string_view command;
  if ((*obj)["Command"].get(command) != simdjson::SUCCESS || command.empty()) {
    return Error("ValidationException",
                 "Command (a non-empty string) is required");
  }
  bool json = BoolField(*obj, "Json");
  std::shared_ptr<Run> run;
  {
    std::lock_guard lock(mu_);
    auto it = runs_.find(*table);
    if (it == runs_.end()) {
      return Error("ResourceNotFoundException",
                   "no migration of " + *table +
                       " runs in this server (start or resume it with "
                       "`godwit migrate --server URL " +
                       *table + " [--resume]`)");
    }
    run = it->second;
  }
  std::string text;
  int code;
  if (command == "progress") {
    code = RunCommand(*run->migration, std::string(command), json, &text);
  } else {
    std::lock_guard run_lock(run->mu);
    code = RunCommand(*run->migration, std::string(command), json, &text);
    if (code == 0 && command == "finish") {
      std::lock_guard lock(mu_);
      runs_.erase(*table);
    }
  }
  return {200, "{\"ExitCode\":" + std::to_string(code) +
                   ",\"Output\":" + JsonQuoted(text) + "}"};
}

// --------------------------------------------------------------- client

namespace {

size_t Append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

}  // namespace

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
