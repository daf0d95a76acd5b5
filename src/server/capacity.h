// Consumed capacity, with DynamoDB's arithmetic (developer guide, "Read/write
// capacity mode"): a write costs ceil(size / 1 KB) units, at least 1; a read
// ceil(size / 4 KB) units, at least 1, halved unless strongly consistent.
// Sizes are DynamoDB's item sizes (ItemSize).
#ifndef GODWIT_SERVER_CAPACITY_H_
#define GODWIT_SERVER_CAPACITY_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "godwit/status.h"
#include "wire/json_reader.h"

namespace godwit::server {

double ReadUnits(size_t bytes, bool consistent);
double WriteUnits(size_t bytes);

// ReturnConsumedCapacity: TOTAL or INDEXES true, NONE or absent false.
// Errors: ValidationException for another value.
Result<bool> WantCapacity(const wire::Fields& f);

// {"TableName":..,"CapacityUnits":..}; whole units are written "1.0" as
// DynamoDB writes them.
std::string CapacityJson(std::string_view table, double units);

// Records what the request handled on this thread charged `table` (for
// the metrics; RequestHandler::Handle collects them per request). Every
// operation that reads or writes items charges, whether or not the client
// asked for ConsumedCapacity.
void Charge(std::string_view table, double read_units, double write_units);
// This thread's charges since the last TakeCharges(), which clears them.
std::vector<struct Charged> TakeCharges();

}  // namespace godwit::server

#endif  // GODWIT_SERVER_CAPACITY_H_
