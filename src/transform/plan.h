// Applied and pending migrations of a table: the files on disk checked
// against the ledger.
#ifndef GODWIT_TRANSFORM_PLAN_H_
#define GODWIT_TRANSFORM_PLAN_H_

#include <string>
#include <utility>
#include <vector>

#include "control/ledger.h"
#include "godwit/status.h"
#include "godwit/store.h"
#include "godwit/transform.h"

namespace godwit {

struct TablePlan {
  std::string table;
  // Applied migrations (file and record), by number.
  std::vector<std::pair<MigrationFile, control::LedgerEntry>> applied;
  // Files not in the ledger, by number: what the next run composes.
  std::vector<MigrationFile> pending;
};

// Matches `files` (sorted by number) with the ledger records of one table.
// Errors, all FailedPrecondition naming the file:
//   - an applied file whose SHA-256 changed;
//   - an applied number whose file now has another name, or no file at all;
//   - a pending file numbered below the last applied migration.
Result<TablePlan> PlanTable(const std::string& table,
                            std::vector<MigrationFile> files,
                            const std::vector<control::LedgerEntry>& applied);

// ListMigrations + ReadLedger + PlanTable.
Result<TablePlan> LoadTablePlan(Store* store, const std::string& migrations_dir,
                                const std::string& table);

}  // namespace godwit

#endif  // GODWIT_TRANSFORM_PLAN_H_
