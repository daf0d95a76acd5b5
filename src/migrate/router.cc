#include "migrate/router.h"

#include <map>
#include <string>

#include "util/mutex.h"

namespace godwit::migrate {
namespace {

// One logical table's route.
struct Route {
  Route(std::string l, std::shared_ptr<Table> t)
      : logical(std::move(l)), active(std::move(t)) {}
  const std::string logical;
  // Readers/writers take it shared for the length of one operation; a hold
  // takes it exclusively.
  SharedMutex gate;
  std::shared_ptr<Table> active GUARDED_BY(gate);
};

// A table whose every operation goes to the route's active table.
class RoutedTable : public Table {
 public:
  explicit RoutedTable(std::shared_ptr<Route> route)
      : route_(std::move(route)) {}

  const std::string& name() const override { return route_->logical; }
  // WARNING: the schema changes at a flip (the destination may be keyed
  // differently); an application writing across a flip uses
  // Router::WithActiveTable.
  const KeySchema& key_schema() const override {
    ReaderMutexLock lock(&route_->gate);
    return route_->active->key_schema();
  }
  Result<std::optional<Item>> Get(const Key& key) override {
    ReaderMutexLock lock(&route_->gate);
    return route_->active->Get(key);
  }
  Status WithStableTable(const std::function<Status(Table&)>& fn) override {
    ReaderMutexLock lock(&route_->gate);
    return fn(*route_->active);
  }
  Result<std::optional<Item>> Put(const Item& item,
                                  const Condition& cond) override {
    ReaderMutexLock lock(&route_->gate);
    return route_->active->Put(item, cond);
  }
  Result<std::optional<Item>> Delete(const Key& key,
                                     const Condition& cond) override {
    ReaderMutexLock lock(&route_->gate);
    return route_->active->Delete(key, cond);
  }
  Result<BatchWriteResult> BatchWrite(
      std::vector<WriteRequest> requests) override {
    ReaderMutexLock lock(&route_->gate);
    return route_->active->BatchWrite(std::move(requests));
  }
  Result<Page> Query(const QueryOptions& opts) override {
    ReaderMutexLock lock(&route_->gate);
    return route_->active->Query(opts);
  }
  Result<Page> Scan(const ScanOptions& opts) override {
    ReaderMutexLock lock(&route_->gate);
    return route_->active->Scan(opts);
  }
  Result<std::unique_ptr<Snapshot>> GetSnapshot() override {
    ReaderMutexLock lock(&route_->gate);
    return route_->active->GetSnapshot();
  }
  Result<std::unique_ptr<StreamReader>> OpenStream(
      const StreamPosition& pos) override {
    ReaderMutexLock lock(&route_->gate);
    return route_->active->OpenStream(pos);
  }
  Result<TableDescription> Describe() override {
    ReaderMutexLock lock(&route_->gate);
    return route_->active->Describe();
  }

 private:
  std::shared_ptr<Route> route_;
};

// Holds the route's gate exclusively from construction to destruction (a
// lock the analysis cannot follow across functions; Flip asserts it).
class Hold : public WriteHold {
 public:
  explicit Hold(std::shared_ptr<Route> route) NO_THREAD_SAFETY_ANALYSIS
      : route_(std::move(route)),
        start_(std::chrono::steady_clock::now()) {
    route_->gate.Lock();
  }
  ~Hold() override NO_THREAD_SAFETY_ANALYSIS { route_->gate.Unlock(); }
  double held_ms() const override {
    return std::chrono::duration<double, std::milli>(
               std::chrono::steady_clock::now() - start_)
        .count();
  }
  Route* route() const { return route_.get(); }

 private:
  std::shared_ptr<Route> route_;
  std::chrono::steady_clock::time_point start_;
};

class RouterImpl;

// The store applications see: table management passes through; GetTable
// returns routed tables.
class RoutedStore : public Store {
 public:
  explicit RoutedStore(RouterImpl* router, Store* inner)
      : router_(router), inner_(inner) {}
  Status CreateTable(const std::string& name,
                     const TableOptions& opts) override {
    return inner_->CreateTable(name, opts);
  }
  Status DropTable(const std::string& name) override;
  Result<std::vector<std::string>> ListTables() override {
    return inner_->ListTables();
  }
  Result<TableDescription> DescribeTable(const std::string& name) override;
  Result<std::shared_ptr<Table>> GetTable(const std::string& name) override;
  Status UpdateStream(const std::string& name, bool enabled) override;
  Status UpdateStreamSpecification(const std::string& name, bool enabled,
                                   StreamViewType view_type) override;

 private:
  RouterImpl* router_;
  Store* inner_;
};

class RouterImpl : public RouterControl {
 public:
  explicit RouterImpl(Store* inner) : inner_(inner), store_(this, inner) {}

  Store* store() override { return &store_; }

  Result<std::string> Resolve(const std::string& logical) override {
    return control::ResolveActiveTable(inner_, logical);
  }

  Status WithActiveTable(
      const std::string& logical,
      const std::function<Status(Table& active)>& fn) override {
    ASSIGN_OR_RETURN(std::shared_ptr<Route> route, GetRoute(logical));
    ReaderMutexLock lock(&route->gate);
    return fn(*route->active);
  }

  Result<std::shared_ptr<Route>> GetRoute(const std::string& logical)
      EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    auto it = routes_.find(logical);
    if (it != routes_.end()) return it->second;
    ASSIGN_OR_RETURN(std::string physical, Resolve(logical));
    ASSIGN_OR_RETURN(std::shared_ptr<Table> table, inner_->GetTable(physical));
    auto route = std::make_shared<Route>(logical, std::move(table));
    routes_.emplace(logical, route);
    return route;
  }

  void Forget(const std::string& logical) EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    routes_.erase(logical);
  }

  Result<std::unique_ptr<WriteHold>> HoldWrites(
      const std::string& logical) override {
    ASSIGN_OR_RETURN(std::shared_ptr<Route> route, GetRoute(logical));
    return std::unique_ptr<WriteHold>(new Hold(std::move(route)));
  }

  Status Flip(const std::string& logical, const control::Pointer& p,
              WriteHold* hold) override {
    auto* h = dynamic_cast<Hold*>(hold);
    if (h == nullptr || h->route()->logical != logical) {
      return Status::Internal("Flip of " + logical + " without its hold");
    }
    ASSIGN_OR_RETURN(std::shared_ptr<Table> table,
                     inner_->GetTable(p.physical));
    RETURN_IF_ERROR(control::SetPointer(inner_, logical, p));
    h->route()->gate.AssertHeld();  // the hold has it exclusively
    h->route()->active = std::move(table);
    return Status::OK();
  }

 private:
  Store* inner_;
  RoutedStore store_;
  Mutex mu_;
  std::map<std::string, std::shared_ptr<Route>> routes_ GUARDED_BY(mu_);
};

Status RoutedStore::DropTable(const std::string& name) {
  RETURN_IF_ERROR(inner_->DropTable(name));
  router_->Forget(name);
  return Status::OK();
}

Result<TableDescription> RoutedStore::DescribeTable(const std::string& name) {
  ASSIGN_OR_RETURN(std::string physical, router_->Resolve(name));
  return inner_->DescribeTable(physical);
}

Status RoutedStore::UpdateStream(const std::string& name, bool enabled) {
  ASSIGN_OR_RETURN(std::string physical, router_->Resolve(name));
  return inner_->UpdateStream(physical, enabled);
}

Status RoutedStore::UpdateStreamSpecification(const std::string& name,
                                              bool enabled,
                                              StreamViewType view_type) {
  ASSIGN_OR_RETURN(std::string physical, router_->Resolve(name));
  return inner_->UpdateStreamSpecification(physical, enabled, view_type);
}

Result<std::shared_ptr<Table>> RoutedStore::GetTable(const std::string& name) {
  ASSIGN_OR_RETURN(std::shared_ptr<Route> route, router_->GetRoute(name));
  return std::shared_ptr<Table>(
      std::make_shared<RoutedTable>(std::move(route)));
}

}  // namespace

Result<std::unique_ptr<RouterControl>> NewRouterControl(Store* inner) {
  return std::unique_ptr<RouterControl>(new RouterImpl(inner));
}

}  // namespace godwit::migrate

namespace godwit {

Result<std::unique_ptr<Router>> NewRouter(Store* inner) {
  ASSIGN_OR_RETURN(std::unique_ptr<migrate::RouterControl> r,
                   migrate::NewRouterControl(inner));
  return std::unique_ptr<Router>(std::move(r));
}

}  // namespace godwit
