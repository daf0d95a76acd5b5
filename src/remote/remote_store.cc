// The remote store: Store and Table over the DynamoDB JSON API, StreamReader
// over DynamoDB Streams (see include/godwit/remote_store.h, docs/remote.md).
// This file: the Store (tables) and OpenRemoteStore; remote_internal.h
// lists the others.
//
// latest_sequence (Describe) has no DynamoDB counterpart and is reported as
// 0: the store keeps no tail reader (a reader of its own on every shard
// would take the application's second reader slot). The engine learns that
// it is caught up from its capturing reader (ReadInfo, docs/remote.md).
//
// Snapshots do not exist on DynamoDB: GetSnapshot is Unimplemented (the
// engine then verifies by repeated live comparison), and so are stream
// consumers (retention cannot be pinned).
#include "godwit/remote_store.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "remote/remote_internal.h"
#include "wire/errors.h"
#include "wire/json_reader.h"
#include "wire/json_writer.h"

namespace godwit {
namespace remote {

using Clock = std::chrono::steady_clock;
using wire::JsonObject;

Status Parse(const std::string& body, std::string_view op, Doc* d) {
  if (d->parser.parse(body).get(d->root) != simdjson::SUCCESS) {
    return Status::Unavailable(
        std::string(op) +
        ": the endpoint sent a malformed JSON body: " + body.substr(0, 200));
  }
  return Status::OK();
}

Result<Item> ItemOf(dom::element el, std::string_view what) {
  Result<Item> item = wire::ThreadItemParser().ParseItem(simdjson::minify(el));
  if (!item.ok()) return item.status().WithContext(what);
  return item;
}

Status RemoteStoreImpl::CreateTable(const std::string& name,
                                    const TableOptions& opts) {
  if (!wire::IsValidTableName(name)) {
    return Status::InvalidArgument(
        "bad table name \"" + name +
        "\": DynamoDB wants 3-255 characters of [a-zA-Z0-9_.-]");
  }
  wire::CreateTableRequest req{name, opts};
  // The stream reader needs both images, whatever the view type asked for.
  req.options.stream_view_type = StreamViewType::kNewAndOldImages;
  ASSIGN_OR_RETURN(std::string body, wire::CreateTableRequestJson(req));
  Result<std::string> r = client_.Call(Service::kDynamoDB, "CreateTable", body);
  if (!r.ok()) {
    if (wire::ErrorTypeOf(r.status()) == wire::ErrorType::kResourceInUse) {
      return Status::AlreadyExists("table " + name + " already exists");
    }
    return r.status();
  }
  return WaitFor(name, [](const Result<wire::DescribedTable>& d) {
    return d.ok() && d->status == "ACTIVE" && d->indexes_active;
  });
}

Status RemoteStoreImpl::DropTable(const std::string& name) {
  Result<std::string> r =
      client_.Call(Service::kDynamoDB, "DeleteTable",
                   JsonObject().Str("TableName", name).Done());
  if (!r.ok()) {
    if (r.status().IsNotFound()) {
      return Status::NotFound("table " + name + " does not exist");
    }
    return r.status();
  }
  return WaitFor(name, [](const Result<wire::DescribedTable>& d) {
    return !d.ok() && d.status().IsNotFound();
  });
}

Result<std::vector<std::string>> RemoteStoreImpl::ListTables() {
  std::vector<std::string> out;
  std::string start;
  do {
    JsonObject body;
    body.Int("Limit", 100);
    if (!start.empty()) body.Str("ExclusiveStartTableName", start);
    ASSIGN_OR_RETURN(std::string resp, client_.Call(Service::kDynamoDB,
                                                    "ListTables", body.Done()));
    Doc d;
    RETURN_IF_ERROR(Parse(resp, "ListTables", &d));
    dom::array names;
    if (d.root["TableNames"].get_array().get(names) == simdjson::SUCCESS) {
      for (dom::element n : names) {
        std::string_view s;
        if (n.get_string().get(s) == simdjson::SUCCESS) out.emplace_back(s);
      }
    }
    start = wire::OptionalString(d.root, "LastEvaluatedTableName").value_or("");
  } while (!start.empty());
  return out;
}

Result<TableDescription> RemoteStoreImpl::DescribeTable(
    const std::string& name) {
  ASSIGN_OR_RETURN(wire::DescribedTable d, DescribeRaw(name));
  d.desc.latest_sequence = 0;  // no tail reader (see above)
  d.desc.stream_first_sequence = 1;
  return d.desc;
}

Result<std::shared_ptr<Table>> RemoteStoreImpl::GetTable(
    const std::string& name) {
  ASSIGN_OR_RETURN(wire::DescribedTable d, DescribeRaw(name));
  return std::shared_ptr<Table>(
      std::make_shared<RemoteTable>(this, name, d.desc.key_schema));
}

Status RemoteStoreImpl::UpdateStream(const std::string& name, bool enabled) {
  ASSIGN_OR_RETURN(wire::DescribedTable d, DescribeRaw(name));
  if (d.desc.stream_enabled == enabled) return Status::OK();
  JsonObject spec;
  spec.Bool("StreamEnabled", enabled);
  if (enabled) spec.Str("StreamViewType", "NEW_AND_OLD_IMAGES");
  std::string body = JsonObject()
                         .Str("TableName", name)
                         .Object("StreamSpecification", std::move(spec))
                         .Done();
  RETURN_IF_ERROR(
      client_.Call(Service::kDynamoDB, "UpdateTable", body).status());
  return WaitFor(name, [enabled](const Result<wire::DescribedTable>& d) {
    return d.ok() && d->status == "ACTIVE" && d->desc.stream_enabled == enabled;
  });
}

Result<wire::DescribedTable> RemoteStoreImpl::DescribeRaw(
    const std::string& name) {
  Result<std::string> resp =
      client_.Call(Service::kDynamoDB, "DescribeTable",
                   JsonObject().Str("TableName", name).Done());
  if (!resp.ok()) {
    if (resp.status().IsNotFound()) {
      return Status::NotFound("table " + name + " does not exist");
    }
    return resp.status();
  }
  Doc doc;
  RETURN_IF_ERROR(Parse(*resp, "DescribeTable", &doc));
  dom::element t;
  if (doc.root["Table"].get(t) != simdjson::SUCCESS) {
    return Status::Unavailable("DescribeTable: no Table in the response");
  }
  ASSIGN_OR_RETURN(wire::DescribedTable d, wire::ParseDescription(t));
  d.desc.name = name;
  return d;
}

Status RemoteStoreImpl::WaitFor(
    const std::string& name,
    const std::function<bool(const Result<wire::DescribedTable>&)>& done) {
  auto deadline =
      Clock::now() + std::chrono::seconds(client_.options().table_wait_seconds);
  auto delay = std::chrono::milliseconds(20);
  while (true) {
    Result<wire::DescribedTable> d = DescribeRaw(name);
    if (done(d)) return Status::OK();
    if (!d.ok() && !d.status().IsNotFound()) return d.status();
    if (Clock::now() > deadline) {
      return Status::DeadlineExceeded(
          "table " + name + " did not reach the wanted state within " +
          std::to_string(client_.options().table_wait_seconds) + " s (status " +
          (d.ok() ? d->status : d.status().ToString()) + ")");
    }
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, std::chrono::milliseconds(1000));
  }
}

}  // namespace remote

Result<std::unique_ptr<Store>> OpenRemoteStore(const RemoteStoreOptions& o) {
  if (o.endpoint.rfind("http://", 0) != 0 &&
      o.endpoint.rfind("https://", 0) != 0) {
    return Status::InvalidArgument("remote store: endpoint \"" + o.endpoint +
                                   "\" must start with http:// or https:// "
                                   "(use ResolveRemoteSettings to fill it)");
  }
  RemoteStoreOptions opts = o;
  if (opts.streams_endpoint.empty()) opts.streams_endpoint = opts.endpoint;
  if (opts.region.empty()) opts.region = "us-east-1";
  if (opts.credentials.access_key_id.empty()) {
    return Status::InvalidArgument(
        "remote store: no credentials (use ResolveRemoteSettings)");
  }
  return std::unique_ptr<Store>(
      std::make_unique<remote::RemoteStoreImpl>(opts));
}

RemoteStoreStats GetRemoteStoreStats(Store* store) {
  auto* r = dynamic_cast<remote::RemoteStoreImpl*>(store);
  return r == nullptr ? RemoteStoreStats{} : r->client()->stats();
}

}  // namespace godwit
