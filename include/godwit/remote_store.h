// The remote store: a Store over any endpoint that speaks the DynamoDB and
// DynamoDB Streams JSON 1.0 APIs (AWS, `godwit serve`, moto, Alternator).
// See docs/remote.md for settings, retries, streams and the cutover contract.
//
// Settings resolve the way the AWS tools do (ResolveRemoteSettings):
//   endpoint     explicit > AWS_ENDPOINT_URL_DYNAMODB > AWS_ENDPOINT_URL >
//                endpoint_url of the profile in ~/.aws/config >
//                https://dynamodb.<region>.amazonaws.com
//   region       explicit > AWS_REGION > AWS_DEFAULT_REGION > region of the
//                profile in ~/.aws/config
//   credentials  explicit > AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY
//                (+AWS_SESSION_TOKEN) > the profile (AWS_PROFILE, default
//                "default") in ~/.aws/credentials > in ~/.aws/config
//   AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE move the two files.
//
// Errors map to Status codes (status.h): throttling -> ResourceExhausted,
// 5xx and connection failures -> Unavailable, timeouts -> DeadlineExceeded
// (all three retryable() and retried inside up to RetryOptions::max_attempts
// with full-jitter exponential backoff; the Status returned after that names
// the operation, the attempts and that the run can be resumed), a failed
// condition -> Aborted, a missing table -> NotFound, bad requests ->
// InvalidArgument, bad credentials -> FailedPrecondition, a trimmed stream
// position -> DataLoss. The DynamoDB error type stays with the Status (its
// subcode; read it with wire::ErrorTypeOf, src/wire/errors.h).
//
// Thread safety: the store and its tables may be used from many threads; the
// HTTP connections are pooled and one adaptive (AIMD) request rate is shared
// by every thread of one store.
//
// Example:
//   ASSIGN_OR_RETURN(RemoteStoreOptions o,
//                    ResolveRemoteSettings({.explicit_options = flags}));
//   ASSIGN_OR_RETURN(std::unique_ptr<Store> store, OpenRemoteStore(o));
#ifndef GODWIT_REMOTE_STORE_H_
#define GODWIT_REMOTE_STORE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "godwit/status.h"
#include "godwit/store.h"

namespace godwit {

struct RemoteCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty: none
  // Where they came from ("explicit", "environment", "profile default in
  // /root/.aws/credentials", ...), for messages.
  std::string source;
};

struct RetryOptions {
  int max_attempts = 10;   // per request, the first one included
  int base_delay_ms = 25;  // backoff: uniform(0, min(max, base * 2^n))
  int max_delay_ms = 5000;
};

struct RemoteStoreOptions {
  // "http://127.0.0.1:8000" or "https://dynamodb.eu-west-1.amazonaws.com".
  std::string endpoint;
  // DynamoDB Streams; empty: the same as `endpoint`, except for the AWS
  // endpoint, whose streams live at https://streams.dynamodb.<region>...
  std::string streams_endpoint;
  std::string region;
  RemoteCredentials credentials;
  RetryOptions retry;
  int max_connections = 32;  // pooled HTTP connections
  int connect_timeout_ms = 5000;
  int request_timeout_ms = 60000;
  int table_wait_seconds = 300;  // CreateTable/DeleteTable/UpdateTable
  // The shared AIMD rate (requests/s): 0 starts unlimited; the first
  // throttle sets it to half the measured rate, each further throttle halves
  // it, every success adds `rate_increase` requests/s, and a rate above
  // `max_rate` goes back to unlimited.
  double rate_increase = 0.5;
  double max_rate = 20000;
  double min_rate = 2;
  // Streams (docs/remote.md, "Streams"). A shard counts as read to its head
  // only after this many consecutive empty GetRecords pages, all requested
  // after the moment in question (DynamoDB may return an empty page although
  // records follow; godwit assumes fewer than this many in a row).
  int stream_empty_pages_at_head = 3;
  // How long after a write is acknowledged its record may still be missing
  // from GetRecords (DynamoDB: "near-real time", under a second in practice).
  // Drains and the fence wait for a head read that started this much after
  // the moment they need.
  int stream_record_delay_ms = 1000;
  // After an empty page, a shard is asked again no sooner than this (4 per
  // second; DynamoDB allows 5 GetRecords per shard per second).
  int stream_idle_poll_ms = 250;
};

// What the resolver reads besides explicit values. Empty functions/strings
// mean the process's environment and $HOME.
struct RemoteSettingsInput {
  RemoteStoreOptions explicit_options;  // empty fields are resolved
  std::string profile;                  // empty: AWS_PROFILE, then "default"
  std::function<std::optional<std::string>(const std::string&)> getenv;
  std::string home;
};

// Errors: InvalidArgument naming the setting or the file and line (bad
// endpoint URL, no region for the AWS endpoint, no credentials for the AWS
// endpoint, half a key pair, a malformed ~/.aws file, an unknown profile
// named explicitly). For a non-AWS endpoint without credentials, fixed
// placeholder credentials are used (local servers accept any).
Result<RemoteStoreOptions> ResolveRemoteSettings(const RemoteSettingsInput& in);

// Opens the store. Nothing is sent until the first call.
// Errors: InvalidArgument for options that cannot work.
Result<std::unique_ptr<Store>> OpenRemoteStore(const RemoteStoreOptions& opts);

// Counters of a store opened by OpenRemoteStore (zeros for other stores).
struct RemoteStoreStats {
  uint64_t requests = 0;  // HTTP requests sent, retries included
  uint64_t retries = 0;
  uint64_t throttles = 0;          // throttling errors received
  uint64_t server_errors = 0;      // 5xx
  uint64_t connection_errors = 0;  // resets, refused, timeouts
  double rate = 0;                 // the current AIMD rate; 0 = unlimited
};
RemoteStoreStats GetRemoteStoreStats(Store* store);

}  // namespace godwit

#endif  // GODWIT_REMOTE_STORE_H_
