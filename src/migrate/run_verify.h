// Verifying a run: which tables to compare in the run's phase, and holding
// the right sync at the snapshot's point while comparing.
//
// Before cutover (and after a rollback): up(source) against the
// destination, with replay held at the source snapshot's mark. After
// cutover: down(destination) against the source, with reverse sync held
// at the destination snapshot's mark, and up(source) against the
// destination over the same snapshots, so that every destination item is
// accounted for by `up` of a source item whatever `down` returns.
//
// The result is recorded in the run state (Run::RecordVerify), with the
// phase and the destination's creation time: what the flips' gate checks.
#ifndef GODWIT_MIGRATE_RUN_VERIFY_H_
#define GODWIT_MIGRATE_RUN_VERIFY_H_

#include <memory>

#include "godwit/migrate.h"
#include "migrate/run.h"
#include "migrate/sync_loop.h"
#include "migrate/verifier.h"

namespace godwit::migrate {

class RunVerifier {
 public:
  // Borrows everything.
  RunVerifier(Run* run, std::shared_ptr<Table> source,
              std::shared_ptr<Table> destination, SyncLoop* replay,
              SyncLoop* reverse, Verifier* verifier)
      : run_(run),
        source_(std::move(source)),
        destination_(std::move(destination)),
        replay_(replay),
        reverse_(reverse),
        verifier_(verifier) {}

  // Compares the run's tables as the phase says (the snapshot comparison
  // where the store has snapshots, the live one otherwise). Writers may
  // run. REQUIRES: backfill is done; no other control operation runs.
  // Errors: the store's, the run's error (either forgets the last verify).
  Result<VerifyReport> Verify(size_t max_reported);

 private:
  Result<VerifyReport> Compare(bool cut_over, size_t max_reported);

  Run* const run_;
  const std::shared_ptr<Table> source_;
  const std::shared_ptr<Table> destination_;
  SyncLoop* const replay_;
  SyncLoop* const reverse_;
  Verifier* const verifier_;
};

}  // namespace godwit::migrate

#endif  // GODWIT_MIGRATE_RUN_VERIFY_H_
