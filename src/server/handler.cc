// RequestHandler: the table of operations and the error boundary.
//
// A request is X-Amz-Target + a JSON body. The target names one entry of
// kOperations (DynamoDB_20120810.* and DynamoDBStreams_20120810.*), or
// godwit's own admin operations (GodwitAdmin_20261121.*, served by
// HandlerOptions::admin). The body is parsed with simdjson's DOM parser (one
// per thread); the operation (operations.h) returns a body or a Status, and
// a Status becomes a DynamoDB error here and only here
// (wire::ApiError::FromStatus).
#include <simdjson.h>

#include <chrono>
#include <exception>
#include <string>
#include <string_view>

#include "godwit/server.h"
#include "server/capacity.h"
#include "server/metrics.h"
#include "server/operations.h"
#include "wire/errors.h"

namespace godwit::server {
namespace {

using Handler = Result<std::string> (Operations::*)(const wire::Fields&);

struct Operation {
  std::string_view target;
  Handler handler;
};

constexpr std::string_view kDynamoPrefix = "DynamoDB_20120810.";
constexpr std::string_view kStreamsPrefix = "DynamoDBStreams_20120810.";

// Every operation godwit serve answers (docs/server.md, "Operations").
constexpr Operation kOperations[] = {
    // DynamoDB: tables.
    {"DynamoDB_20120810.CreateTable", &Operations::CreateTable},
    {"DynamoDB_20120810.DescribeTable", &Operations::DescribeTable},
    {"DynamoDB_20120810.ListTables", &Operations::ListTables},
    {"DynamoDB_20120810.DeleteTable", &Operations::DeleteTable},
    {"DynamoDB_20120810.UpdateTable", &Operations::UpdateTable},
    {"DynamoDB_20120810.UpdateTimeToLive", &Operations::UpdateTimeToLive},
    {"DynamoDB_20120810.DescribeTimeToLive", &Operations::DescribeTimeToLive},
    // DynamoDB: items.
    {"DynamoDB_20120810.PutItem", &Operations::PutItem},
    {"DynamoDB_20120810.GetItem", &Operations::GetItem},
    {"DynamoDB_20120810.DeleteItem", &Operations::DeleteItem},
    {"DynamoDB_20120810.UpdateItem", &Operations::UpdateItem},
    {"DynamoDB_20120810.BatchWriteItem", &Operations::BatchWriteItem},
    {"DynamoDB_20120810.BatchGetItem", &Operations::BatchGetItem},
    {"DynamoDB_20120810.Query", &Operations::Query},
    {"DynamoDB_20120810.Scan", &Operations::Scan},
    // DynamoDB Streams.
    {"DynamoDBStreams_20120810.ListStreams", &Operations::ListStreams},
    {"DynamoDBStreams_20120810.DescribeStream", &Operations::DescribeStream},
    {"DynamoDBStreams_20120810.GetShardIterator",
     &Operations::GetShardIterator},
    {"DynamoDBStreams_20120810.GetRecords", &Operations::GetRecords},
};

const Operation* FindOperation(std::string_view target) {
  for (const Operation& op : kOperations) {
    if (op.target == target) return &op;
  }
  return nullptr;
}

HttpResult ToHttp(const Status& s) {
  wire::ApiError e = wire::ApiError::FromStatus(s);
  return {e.http_status(), e.Body()};
}

// The type of an error answer ({"__type":"<prefix>#<Type>",...}), "" for
// a success.
std::string_view ErrorTypeOf(const HttpResult& r) {
  if (r.status == 200) return {};
  std::string_view b = r.body;
  size_t at = b.find("\"__type\"");
  if (at == std::string_view::npos) return "unknown";
  size_t hash = b.find('#', at);
  size_t end = hash == std::string_view::npos ? hash : b.find('"', hash);
  if (end == std::string_view::npos) return "unknown";
  return b.substr(hash + 1, end - hash - 1);
}

}  // namespace

std::string ErrorBody(std::string_view type, std::string_view message) {
  return wire::ErrorBody(type, message);
}

struct RequestHandler::Impl {
  Impl(Store* store, HandlerOptions opts) : ops(store, std::move(opts)) {}
  Operations ops;
};

RequestHandler::RequestHandler(Store* store, HandlerOptions opts)
    : impl_(std::make_unique<Impl>(store, std::move(opts))) {}

RequestHandler::~RequestHandler() = default;

HttpResult RequestHandler::Handle(std::string_view target,
                                  std::string_view body) {
  ServerMetrics* metrics = impl_->ops.options().metrics;
  if (metrics == nullptr) return HandleRequest(target, body);
  TakeCharges();  // nothing of an earlier request on this thread
  auto t0 = std::chrono::steady_clock::now();
  HttpResult r = HandleRequest(target, body);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  // A label from the operation table only: a client's text never becomes
  // one.
  std::string_view op = "unknown";
  if (target.starts_with(kAdminTargetPrefix)) {
    op = "admin";
  } else if (FindOperation(target) != nullptr) {
    op = target.substr(target.find('.') + 1);
  }
  metrics->Record(op, r.status, seconds, ErrorTypeOf(r), TakeCharges());
  return r;
}

HttpResult RequestHandler::HandleRequest(std::string_view target,
                                         std::string_view body) {
  try {
    const HandlerOptions& opts = impl_->ops.options();
    if (target.starts_with(kAdminTargetPrefix) && opts.admin) {
      return opts.admin(target.substr(kAdminTargetPrefix.size()), body);
    }
    if (!target.starts_with(kDynamoPrefix) &&
        !target.starts_with(kStreamsPrefix)) {
      return ToHttp(wire::UnknownOperation(target.empty()
                                               ? "Missing X-Amz-Target header"
                                               : "Unknown operation"));
    }
    thread_local simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (parser.parse(body.data(), body.size()).get(doc) != simdjson::SUCCESS) {
      return ToHttp(wire::Serialization("Malformed JSON request body"));
    }
    simdjson::dom::object obj;
    if (doc.get_object().get(obj) != simdjson::SUCCESS) {
      return ToHttp(
          wire::Serialization("The request body must be a JSON object"));
    }
    const Operation* op = FindOperation(target);
    if (op == nullptr) {
      std::string_view name = target.substr(target.find('.') + 1);
      return ToHttp(
          wire::UnknownOperation("Unknown operation: " + std::string(name)));
    }
    Result<std::string> r = (impl_->ops.*(op->handler))(wire::Fields(obj));
    if (!r.ok()) return ToHttp(r.status());
    return {200, *std::move(r)};
  } catch (const std::exception& e) {
    return ToHttp(wire::InternalServerError(e.what()));
  } catch (...) {
    return ToHttp(wire::InternalServerError("unknown error"));
  }
}

}  // namespace godwit::server
