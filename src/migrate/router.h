// The router's engine-side interface: holding a logical table's writes and
// flipping its active table. Applications see only godwit::Router.
#ifndef GODWIT_MIGRATE_ROUTER_H_
#define GODWIT_MIGRATE_ROUTER_H_

#include <chrono>
#include <memory>
#include <string>

#include "control/control_table.h"
#include "godwit/migrate.h"

namespace godwit::migrate {

// While a WriteHold lives, every operation on the logical table through the
// router waits. Destroying it releases them.
class WriteHold {
 public:
  virtual ~WriteHold() = default;
  // Milliseconds since the hold began.
  virtual double held_ms() const = 0;
};

class RouterControl : public Router {
 public:
  // Blocks until the operations in flight on `logical` finish, then holds
  // new ones.
  virtual Result<std::unique_ptr<WriteHold>> HoldWrites(
      const std::string& logical) = 0;
  // Writes the pointer `logical` -> `p` to the control table and routes
  // operations to it. REQUIRES: `hold` is the live hold of `logical`.
  virtual Status Flip(const std::string& logical, const control::Pointer& p,
                      WriteHold* hold) = 0;
};

// The concrete router (what NewRouter returns).
Result<std::unique_ptr<RouterControl>> NewRouterControl(Store* inner);

}  // namespace godwit::migrate

#endif  // GODWIT_MIGRATE_ROUTER_H_
