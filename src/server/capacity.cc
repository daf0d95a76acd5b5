#include "server/capacity.h"

#include <algorithm>

#include "server/metrics.h"
#include "wire/errors.h"
#include "wire/json_writer.h"

namespace godwit::server {

double ReadUnits(size_t bytes, bool consistent) {
  double units =
      static_cast<double>(std::max<size_t>(1, (bytes + 4095) / 4096));
  return consistent ? units : units / 2;
}

double WriteUnits(size_t bytes) {
  return static_cast<double>(std::max<size_t>(1, (bytes + 1023) / 1024));
}

Result<bool> WantCapacity(const wire::Fields& f) {
  ASSIGN_OR_RETURN(auto v, f.Str("ReturnConsumedCapacity"));
  if (!v || *v == "NONE") return false;
  if (*v == "TOTAL" || *v == "INDEXES") return true;
  return wire::Validation(
      "1 validation error detected: Value '" + *v +
      "' at 'returnConsumedCapacity' failed to satisfy constraint: Member "
      "must satisfy enum value set: [INDEXES, TOTAL, NONE]");
}

std::string CapacityJson(std::string_view table, double units) {
  // DynamoDB writes whole units as 1.0, not 1 (typed clients do not care;
  // answers compared as JSON text do).
  std::string n = wire::JsonNumber(units);
  if (n.find_first_of(".eE") == std::string::npos) n += ".0";
  return wire::JsonObject()
      .Str("TableName", table)
      .Raw("CapacityUnits", n)
      .Done();
}

namespace {
thread_local std::vector<Charged> t_charges;
}  // namespace

void Charge(std::string_view table, double read_units, double write_units) {
  for (Charged& c : t_charges) {
    if (c.table == table) {
      c.read_units += read_units;
      c.write_units += write_units;
      return;
    }
  }
  t_charges.push_back(Charged{std::string(table), read_units, write_units});
}

std::vector<Charged> TakeCharges() {
  std::vector<Charged> out;
  out.swap(t_charges);
  return out;
}

}  // namespace godwit::server
