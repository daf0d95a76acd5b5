// The run's item errors: each goes to the run's dead-letter file (one line
// per source key and phase, also across resumed runs) and, the first time,
// counts against --max-errors in the run's progress.
#ifndef GODWIT_MIGRATE_DEAD_LETTERS_H_
#define GODWIT_MIGRATE_DEAD_LETTERS_H_

#include <memory>
#include <string>

#include "godwit/transform.h"
#include "migrate/mapping.h"
#include "migrate/run.h"
#include "util/mutex.h"

namespace godwit::migrate {

class DeadLetters : public ItemErrorSink {
 public:
  DeadLetters(Run* run, size_t max_errors)
      : run_(run), max_errors_(max_errors) {}

  // Writes the dead letter (opening the file on first use) and counts the
  // error if this key had none in this phase. Errors: IOError of the file;
  // Aborted when more than max_errors items failed, naming the file.
  Status OnItemError(std::string_view phase, const Item& item,
                     const KeySchema& schema, const ItemError& error,
                     std::string_view reason) override EXCLUDES(mu_);
  // Closes the file (a later error opens it again).
  void Close() EXCLUDES(mu_);

 private:
  Run* const run_;
  const size_t max_errors_;
  Mutex mu_;
  std::unique_ptr<DeadLetterWriter> writer_ GUARDED_BY(mu_);
};

}  // namespace godwit::migrate

#endif  // GODWIT_MIGRATE_DEAD_LETTERS_H_
