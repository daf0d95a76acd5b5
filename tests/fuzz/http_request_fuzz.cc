// Fuzzes godwit serve's request handling (RequestHandler::Handle: target +
// body -> status + body), without sockets, against a local store in a
// temporary directory.
//
// Input: one byte choosing the operation (table DDL is left out so that the
// store does not grow a column family per input), then the JSON body. A
// table "T" (pk S, sk N, stream on) exists from the start.
//
// Whatever the input: no crash, no sanitizer report, a status of 200, 400
// or 500, and a body that is a JSON object (an error body has __type and
// message).
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>

#include "godwit/local_store.h"
#include "godwit/server.h"

namespace {

constexpr const char* kTargets[] = {
    "DynamoDB_20120810.PutItem",
    "DynamoDB_20120810.GetItem",
    "DynamoDB_20120810.DeleteItem",
    "DynamoDB_20120810.UpdateItem",
    "DynamoDB_20120810.Query",
    "DynamoDB_20120810.Scan",
    "DynamoDB_20120810.BatchWriteItem",
    "DynamoDB_20120810.BatchGetItem",
    "DynamoDB_20120810.DescribeTable",
    "DynamoDB_20120810.ListTables",
    "DynamoDBStreams_20120810.ListStreams",
    "DynamoDBStreams_20120810.DescribeStream",
    "DynamoDBStreams_20120810.GetShardIterator",
    "DynamoDBStreams_20120810.GetRecords",
    "DynamoDB_20120810.NoSuchOperation",
    "",
};

struct Env {
  std::string dir;
  std::unique_ptr<godwit::Store> store;
  std::unique_ptr<godwit::server::RequestHandler> handler;
};

Env* env = nullptr;

void Cleanup() {
  if (env == nullptr) return;
  env->handler.reset();
  env->store.reset();
  std::error_code ec;
  std::filesystem::remove_all(env->dir, ec);
}

Env* GetEnv() {
  if (env != nullptr) return env;
  env = new Env;
  std::string tmpl =
      (std::filesystem::temp_directory_path() / "godwit-http-fuzz-XXXXXX")
          .string();
  if (mkdtemp(tmpl.data()) == nullptr) std::abort();
  env->dir = tmpl;
  godwit::LocalStoreOptions o;
  o.path = env->dir + "/db";
  o.sync = false;
  o.retention_interval_micros = 0;
  auto s = godwit::OpenLocalStore(o);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.status().ToString().c_str());
    std::abort();
  }
  env->store = *std::move(s);
  env->handler =
      std::make_unique<godwit::server::RequestHandler>(env->store.get());
  auto r = env->handler->Handle("DynamoDB_20120810.CreateTable", R"({
    "TableName":"Tbl",
    "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},
                 {"AttributeName":"sk","KeyType":"RANGE"}],
    "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},
                            {"AttributeName":"sk","AttributeType":"N"}],
    "StreamSpecification":{"StreamEnabled":true,
                           "StreamViewType":"NEW_AND_OLD_IMAGES"}})");
  if (r.status != 200) {
    std::fprintf(stderr, "CreateTable: %s\n", r.body.c_str());
    std::abort();
  }
  std::atexit(Cleanup);
  return env;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 64 * 1024) return 0;
  Env* e = GetEnv();
  const char* target = kTargets[data[0] % std::size(kTargets)];
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  godwit::server::HttpResult r = e->handler->Handle(target, body);
  if (r.status != 200 && r.status != 400 && r.status != 500) std::abort();
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(r.body).get(doc) != simdjson::SUCCESS) {
    std::fprintf(stderr, "response is not JSON: %s\n", r.body.c_str());
    std::abort();
  }
  simdjson::dom::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS) std::abort();
  if (r.status != 200) {
    std::string_view type;
    if (obj["__type"].get_string().get(type) != simdjson::SUCCESS ||
        type.find('#') == std::string_view::npos) {
      std::abort();
    }
  }
  return 0;
}
