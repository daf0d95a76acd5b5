#include "migrate/dead_letters.h"

namespace godwit::migrate {

Status DeadLetters::OnItemError(std::string_view phase, const Item& item,
                                const KeySchema& schema, const ItemError& error,
                                std::string_view reason) {
  bool first;
  {
    MutexLock lock(&mu_);
    if (writer_ == nullptr) {
      ASSIGN_OR_RETURN(writer_, DeadLetterWriter::Open(
                                    run_->id().dead_letter_path,
                                    DeadLetterSource{run_->id().run_id,
                                                     run_->id().logical}));
    }
    ASSIGN_OR_RETURN(first, writer_->Write(phase, item, schema, error));
    RETURN_IF_ERROR(writer_->Flush());
  }
  if (!first) return Status::OK();  // counted when it was first written
  uint64_t errors = 0;
  run_->Update([&](RunState& s) { errors = ++s.errors; });
  if (errors > max_errors_) {
    return Status::Aborted("more than " + std::to_string(max_errors_) +
                           " item errors (--max-errors); the items and "
                           "reasons are in " +
                           run_->id().dead_letter_path +
                           "; last: " + std::string(reason));
  }
  return Status::OK();
}

void DeadLetters::Close() {
  MutexLock lock(&mu_);
  writer_.reset();
}

}  // namespace godwit::migrate
