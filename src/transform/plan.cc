#include "transform/plan.h"

#include <map>

namespace godwit {

Result<TablePlan> PlanTable(const std::string& table,
                            std::vector<MigrationFile> files,
                            const std::vector<control::LedgerEntry>& applied) {
  TablePlan plan;
  plan.table = table;
  std::map<int64_t, const control::LedgerEntry*> by_number;
  int64_t last_applied = -1;
  for (const control::LedgerEntry& e : applied) {
    by_number[e.number] = &e;
    last_applied = std::max(last_applied, e.number);
  }
  std::map<int64_t, bool> seen;
  for (MigrationFile& f : files) {
    auto it = by_number.find(f.number);
    if (it == by_number.end()) {
      if (f.number < last_applied) {
        return Status::FailedPrecondition(
            f.path + " is numbered " + std::to_string(f.number) +
            ", below migration " + std::to_string(last_applied) + " of " +
            table +
            " which is already applied; renumber it after the last applied "
            "migration");
      }
      plan.pending.push_back(std::move(f));
      continue;
    }
    const control::LedgerEntry& e = *it->second;
    seen[f.number] = true;
    if (e.name != f.name) {
      return Status::FailedPrecondition(
          "migration " + std::to_string(f.number) + " of " + table +
          " was applied as " + e.id() + " but the file is now " + f.path +
          "; applied migrations must not be renamed");
    }
    if (e.sha256 != f.sha256) {
      return Status::FailedPrecondition(
          f.path + " was changed after it was applied (ledger sha256 " +
          e.sha256.substr(0, 12) + "..., file " + f.sha256.substr(0, 12) +
          "...); restore it and write a new migration for the change");
    }
    plan.applied.emplace_back(std::move(f), e);
  }
  for (const control::LedgerEntry& e : applied) {
    if (!seen.count(e.number)) {
      return Status::FailedPrecondition(
          "migration " + e.id() + " of " + table +
          " is in the ledger but its file is missing from the migrations "
          "folder; restore " +
          e.id() + ".lua");
    }
  }
  return plan;
}

Result<TablePlan> LoadTablePlan(Store* store, const std::string& migrations_dir,
                                const std::string& table) {
  ASSIGN_OR_RETURN(std::vector<MigrationFile> files,
                   ListMigrations(migrations_dir, table));
  ASSIGN_OR_RETURN(std::vector<control::LedgerEntry> applied,
                   control::ReadLedger(store, table));
  return PlanTable(table, std::move(files), applied);
}

}  // namespace godwit
