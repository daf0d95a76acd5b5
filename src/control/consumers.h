// Downstream consumers of a table's stream, and how far they have got: the
// cutover gate of `migrate --wait-for-consumers` (docs/operations.md,
// "Downstream completion").
//
// A consumer (a search indexer, a cache warmer) reads the destination's
// stream during a migration. When it has processed every record up to a
// sequence number, it says so:
//
//   godwit consumer ack Orders indexer 000000000000000004711
//
// which writes one item of the control table (grammar in consumers.cc and
// docs/formats/consumers.md). A consumer without the CLI writes the same
// item itself (a PutItem on `godwit_control`). An acknowledgement only
// moves forward: an older position than the one recorded is ignored, so
// consumers that ack from several threads or after a restart cannot move
// the gate back.
//
// The gate compares each named consumer's position with the flip point, the
// newest sequence number of the destination's stream when the gate is
// checked; it holds the cutover until every one has reached it.
//
// Thread safety: the functions are safe to call from many threads and
// processes (a compare-and-swap on the recorded position).
#ifndef GODWIT_CONTROL_CONSUMERS_H_
#define GODWIT_CONTROL_CONSUMERS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "godwit/status.h"
#include "godwit/store.h"

namespace godwit::control {

struct ConsumerAck {
  std::string table;      // the logical table whose stream it reads
  std::string name;       // the consumer's name ("indexer")
  uint64_t position = 0;  // every record up to this sequence is processed
  int64_t at_micros = 0;  // when it said so (microseconds since the epoch)
  std::string by;         // who said so ("host pid")
};

// A consumer name: 1 to 64 characters of [A-Za-z0-9._-].
// Errors: InvalidArgument naming the name and what is allowed.
Status ValidateConsumerName(const std::string& name);

// Records that consumer `name` of `table` processed the stream up to
// `position`. Returns the position recorded afterwards (the greater of the
// old and the new). Errors: InvalidArgument for a bad name; the store's.
Result<uint64_t> AckConsumer(Store* store, const std::string& table,
                             const std::string& name, uint64_t position);

// Every consumer of `table` that acknowledged something, by name.
// Errors: the store's; DataLoss for a record that is not a consumer's.
Result<std::vector<ConsumerAck>> ListConsumers(Store* store,
                                               const std::string& table);

// The gate: "" when each of `names` has acknowledged `target`, else one
// sentence naming every consumer that has not and where it is, e.g.
// "consumers behind the flip point 4711 of Orders: indexer at 4700, cache
// (no acknowledgement yet); each acknowledges with `godwit consumer ack
// Orders NAME POSITION`". Errors: the store's.
Result<std::string> ConsumersBehind(Store* store, const std::string& table,
                                    const std::vector<std::string>& names,
                                    uint64_t target);

}  // namespace godwit::control

#endif  // GODWIT_CONTROL_CONSUMERS_H_
