#include "server/run_guard.h"

#include "control/control_table.h"
#include "migrate/run_state.h"
#include "wire/errors.h"

namespace godwit::server {

Status CheckNoRunNeedsStream(Store* store, const std::string& name,
                             const std::string& physical) {
  Result<std::shared_ptr<Table>> control =
      store->GetTable(control::kControlTable);
  if (!control.ok()) {
    if (control.status().IsNotFound()) return Status::OK();
    return control.status();
  }
  // The control table is small (ledger entries, pointers, runs): a scan.
  ScanOptions opts;
  opts.limit = 1000;
  while (true) {
    ASSIGN_OR_RETURN(Page page, (*control)->Scan(opts));
    for (const Item& item : page.items) {
      const AttributeValue* pk = item.Find("pk");
      const AttributeValue* sk = item.Find("sk");
      if (pk == nullptr || sk == nullptr || pk->type() != AttrType::kS ||
          sk->type() != AttrType::kS || !pk->s().starts_with("run#") ||
          sk->s() != "state") {
        continue;
      }
      Result<migrate::RunState> run = migrate::RunStateFromItem(item);
      if (!run.ok()) {
        return wire::InternalServerError(
            "cannot tell whether a migration run needs the stream of " + name +
            ": its record " + pk->s() + " in " + control::kControlTable +
            " is unreadable (" + std::string(run.status().message()) +
            "); the stream is left on");
      }
      if (run->phase == RunPhase::kFinished) continue;
      for (const std::string& t : {run->source, run->destination}) {
        if (t != name && t != physical) continue;
        return wire::Validation(
            "Cannot disable the stream of table " + name + ": migration run " +
            run->run_id + " of " + run->logical + " (" + run->source + " -> " +
            run->destination + ", phase " +
            std::string(RunPhaseName(run->phase)) + ") has it as its " +
            (t == run->source ? "source" : "destination") +
            " and reads its stream; finish or abandon the run first");
      }
    }
    if (page.next_page_token.empty()) return Status::OK();
    opts.page_token = page.next_page_token;
  }
}

}  // namespace godwit::server
