// The ledger: which migrations of a logical table have been applied, in the
// control table (src/control/control_table.h):
//
//   pk = "ledger#<Table>"  sk = number, 10 digits zero-padded ("0000000002")
//   table:S  number:N  name:S  sha256:S  applied_at:S (ISO-8601 UTC)
//   applied_micros:N  run:S  items_read:N  items_written:N  items_dropped:N
//   items_failed:N
//
// A record is written once (conditional put) when a run finishes and never
// changed. The active-table pointer lives in the same table; GetActiveTable
// and SetActiveTable are here for callers that think in ledger terms.
//
// Thread safety: the functions are safe to call from many threads (the store
// is).
#ifndef GODWIT_CONTROL_LEDGER_H_
#define GODWIT_CONTROL_LEDGER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "godwit/status.h"
#include "godwit/store.h"

namespace godwit::control {

struct LedgerEntry {
  std::string table;  // logical table
  int64_t number = 0;
  std::string name;    // "key_by_customer"
  std::string sha256;  // of the file when it was applied
  int64_t applied_micros = 0;
  std::string run_id;
  uint64_t items_read = 0;
  uint64_t items_written = 0;
  uint64_t items_dropped = 0;
  uint64_t items_failed = 0;

  // "0002_key_by_customer" (as MigrationFile::id()).
  std::string id() const;
  friend bool operator==(const LedgerEntry&, const LedgerEntry&) = default;
};

// The applied migrations of `table`, sorted by number. A store without a
// control table has none. Errors: those of the store; DataLoss for a record
// missing its fields.
Result<std::vector<LedgerEntry>> ReadLedger(Store* store,
                                            const std::string& table);

// Records an applied migration (creating the control table if needed).
// Errors: AlreadyExists if this number of this table is recorded already;
// InvalidArgument for an empty table, name or sha256; those of the store.
Status RecordMigration(Store* store, const LedgerEntry& entry);

// The physical table `logical` names now (itself if it has no pointer).
Result<std::string> GetActiveTable(Store* store, const std::string& logical);
// Points `logical` at `physical` (epoch + 1, state "active").
Status SetActiveTable(Store* store, const std::string& logical,
                      const std::string& physical);

}  // namespace godwit::control

#endif  // GODWIT_CONTROL_LEDGER_H_
