// The backfiller: the parallel segmented copy. Worker threads take scan
// segments in turn; each pages through its segment (scan -> up -> claim
// the destination keys -> batch write), and moves the segment's checkpoint
// (its page token, in the run's progress) past a page only once the page's
// writes were acknowledged. When the last segment is done, the run moves to
// replay and `on_done` runs (it switches replay on).
//
// Threads: any number of Worker() threads; the rest is thread-safe.
#ifndef GODWIT_MIGRATE_BACKFILLER_H_
#define GODWIT_MIGRATE_BACKFILLER_H_

#include <functional>
#include <memory>

#include "godwit/migrate.h"
#include "godwit/store.h"
#include "migrate/key_map.h"
#include "migrate/mapping.h"
#include "migrate/run.h"
#include "util/mutex.h"
#include "util/rate_limiter.h"

namespace godwit::migrate {

class Backfiller {
 public:
  // Borrows every pointer. `limiter` paces the destination writes.
  Backfiller(Run* run, std::shared_ptr<Table> source,
             std::shared_ptr<Table> destination, KeyMap* keys,
             MapperFactory* mappers, ItemErrorSink* errors,
             RateLimiter* limiter, std::function<void()> on_done);
  Backfiller(const Backfiller&) = delete;
  Backfiller& operator=(const Backfiller&) = delete;

  // A worker thread: copies segments until none is left or the run stops.
  // An error fails the run.
  void Worker() EXCLUDES(mu_);
  // Copies segment `seg` from its checkpoint to its end.
  // Errors: Cancelled when the run stops; the store's, the mapper's, the
  // key map's (a collision); too many item errors.
  Status CopySegment(ItemMapper* mapper, int seg);

 private:
  // The next segment not done and not taken, or -1.
  int TakeSegment() EXCLUDES(mu_);

  Run* const run_;
  const std::shared_ptr<Table> source_;
  const std::shared_ptr<Table> destination_;
  KeyMap* const keys_;
  MapperFactory* const mappers_;
  ItemErrorSink* const errors_;
  RateLimiter* const limiter_;
  const std::function<void()> on_done_;

  Mutex mu_;
  int next_segment_ GUARDED_BY(mu_) = 0;
};

}  // namespace godwit::migrate

#endif  // GODWIT_MIGRATE_BACKFILLER_H_
