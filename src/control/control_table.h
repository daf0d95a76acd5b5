// The control table, `godwit_control`: the one table godwit keeps about its
// own work, in the same store as the data (so that it moves with it).
//
// Key schema: pk:S (hash), sk:S (range). Records:
//
//   pk = "ledger#<Table>"   sk = "<number, 10 digits zero-padded>"
//        an applied migration (see src/control/ledger.h)
//   pk = "pointer#<Table>"  sk = "pointer"
//        the active physical table of a logical table:
//        physical:S  epoch:N  state:S ("active" | "switching")  run:S
//   pk = "run#<Table>"      sk = "state"
//        the migration run in progress (src/migrate/run_state.h)
//   pk = "lease#<Table>"    sk = "<name>" ("run", ...)
//        a lease: who may do it now (src/control/lease.h)
//   pk = "consumer#<Table>" sk = "<name>"
//        how far a downstream consumer processed the table's stream
//        (src/control/consumers.h)
//
// A logical table with no pointer record is its own physical table.
#ifndef GODWIT_CONTROL_CONTROL_TABLE_H_
#define GODWIT_CONTROL_CONTROL_TABLE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "godwit/status.h"
#include "godwit/store.h"

namespace godwit::control {

inline constexpr char kControlTable[] = "godwit_control";

// Creates the control table if it does not exist (no stream).
Status EnsureControlTable(Store* store);

// The record key {pk, sk} of the control table.
Key ControlKey(const std::string& pk, const std::string& sk);

struct Pointer {
  std::string physical;  // the active physical table
  uint64_t epoch = 0;    // +1 at every flip
  std::string state = "active";
  std::string run;  // the run that set it, if any
};

// The pointer of `logical`; nullopt if it has none (it is its own table).
Result<std::optional<Pointer>> GetPointer(Store* store,
                                          const std::string& logical);
// Writes the pointer in one put (atomic).
Status SetPointer(Store* store, const std::string& logical, const Pointer& p);
// The active physical table of `logical`.
Result<std::string> ResolveActiveTable(Store* store,
                                       const std::string& logical);

// Every pointer in the store: (logical table, pointer), by logical name.
// A store without a control table has none. Errors: those of the store;
// DataLoss for a pointer without its physical table.
Result<std::vector<std::pair<std::string, Pointer>>> ListPointers(Store* store);

// Attributes of control-table records. GetS/GetN: false if `name` is
// absent or of another type (or, for GetN, not an integer of int64 range).
AttributeValue Num(int64_t v);
bool GetS(const Item& item, std::string_view name, std::string* out);
template <typename T>
bool GetN(const Item& item, std::string_view name, T* out) {
  const AttributeValue* v = item.Find(name);
  if (v == nullptr || !v->is(AttrType::kN)) return false;
  std::optional<int64_t> i = v->n().ToInt64();
  if (!i) return false;
  *out = static_cast<T>(*i);
  return true;
}

}  // namespace godwit::control

#endif  // GODWIT_CONTROL_CONTROL_TABLE_H_
