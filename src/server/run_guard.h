// Which migration runs need a table's change stream.
//
// A run reads its source's stream (capture, replay, then after a cutover
// the destination's for reverse sync), so turning that stream off under an
// unfinished run would lose the changes made while it is off (and starting
// it again opens a new stream: the run could only be abandoned). The
// server therefore refuses an UpdateTable that disables the stream of a
// table that an unfinished run (phase other than finished) has as source
// or destination.
#ifndef GODWIT_SERVER_RUN_GUARD_H_
#define GODWIT_SERVER_RUN_GUARD_H_

#include <string>

#include "godwit/status.h"
#include "godwit/store.h"

namespace godwit::server {

// OK unless a run record of the control table of `store` (pk "run#<table>",
// sk "state"; src/migrate/run_state.h) is unfinished and has one of `names`
// (the name asked for and the physical table it resolves to) as source or
// destination: then a ValidationException naming the run, its tables and
// its phase. No control table: OK.
// Errors: that ValidationException; InternalServerError for a run record
// that cannot be read (the stream is then left alone); the store's errors.
Status CheckNoRunNeedsStream(Store* store, const std::string& name,
                             const std::string& physical);

}  // namespace godwit::server

#endif  // GODWIT_SERVER_RUN_GUARD_H_
