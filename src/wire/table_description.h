// Tables on the wire: DescribeTable / CreateTable / DeleteTable /
// UpdateTable answers (a TableDescription and what the protocol adds to
// it), and CreateTable requests, both ways. The server writes answers and
// reads requests; the remote store writes requests and reads answers.
//
//   description := {"TableName", "TableArn"?, "TableStatus",
//                   "CreationDateTime" (seconds, a JSON number),
//                   "ItemCount", "TableSizeBytes", "KeySchema",
//                   "AttributeDefinitions", "ProvisionedThroughput",
//                   "BillingModeSummary", "GlobalSecondaryIndexes"?,
//                   "LocalSecondaryIndexes"?, "StreamSpecification"?,
//                   "LatestStreamLabel"?, "LatestStreamArn"?}
//   create-request := {"TableName", "KeySchema", "AttributeDefinitions",
//                      "BillingMode", "ProvisionedThroughput"?,
//                      "GlobalSecondaryIndexes"?, "LocalSecondaryIndexes"?,
//                      "StreamSpecification"?}
// (field contents as in the DynamoDB API reference, CreateTable and
// TableDescription).
//
// Thread safety: pure functions.
#ifndef GODWIT_WIRE_TABLE_DESCRIPTION_H_
#define GODWIT_WIRE_TABLE_DESCRIPTION_H_

#include <string>
#include <string_view>

#include "godwit/status.h"
#include "godwit/store.h"
#include "wire/json_reader.h"
#include "wire/json_writer.h"

namespace godwit::wire {

// [{"AttributeName":..,"KeyType":"HASH"}, {..,"KeyType":"RANGE"}].
JsonArray KeySchemaJson(const KeySchema& ks);

// A table as an answer describes it: the store's description plus the
// protocol's own fields.
struct DescribedTable {
  TableDescription desc;
  std::string status = "ACTIVE";  // TableStatus
  std::string table_arn;          // empty: not written
  std::string stream_label;       // LatestStreamLabel; empty: not written
  std::string stream_arn;         // LatestStreamArn; empty: not written
  // Read: every index that reports an IndexStatus is ACTIVE. Written as
  // each global index's IndexStatus (ACTIVE, else CREATING).
  bool indexes_active = true;
};

// The description object (the value of "Table" / "TableDescription").
//   - AttributeDefinitions: the key attributes of the table and of its
//     indexes, each once (the first type given wins).
//   - Billing: kProvisioned writes BillingModeSummary PROVISIONED and its
//     capacities; kDefault and kPayPerRequest write PAY_PER_REQUEST and
//     zero capacities (godwit serve's tables are on demand).
//   - StreamSpecification only when the stream is on.
std::string DescriptionJson(const DescribedTable& t);

// Reads a description object, leniently (endpoints leave fields out):
// absent fields keep their defaults. TableStatus defaults to ACTIVE; a key
// attribute without an AttributeDefinition is S; billing is
// BillingModeSummary's, else (a table created provisioned and never
// switched has no summary) kProvisioned when ProvisionedThroughput has a
// nonzero capacity, else kDefault; capacities are read on provisioned
// tables only; CreationDateTime outside [0, 2^32) seconds (year 2106) is
// ignored (beyond it the seconds would not map back to the same
// microsecond).
// Errors: Internal "DescribeTable: no KeySchema for the table in the
// response" when the table (or an index: "for index <name>") has none.
Result<DescribedTable> ParseDescription(dom::element table);
// The same from JSON text (the description object itself).
// Errors: also Unavailable for malformed JSON.
Result<DescribedTable> ParseDescription(std::string_view json);

// A CreateTable request: the table's name and options.
struct CreateTableRequest {
  std::string name;
  TableOptions options;
};

// True for 3 to 255 characters of [a-zA-Z0-9_.-] (DynamoDB's table names).
bool IsValidTableName(std::string_view name);
// OK, or the ValidationException DynamoDB answers for a bad TableName.
Status CheckTableName(std::string_view name);

// The request body. Writes StreamSpecification only when the stream is on
// (with options.stream_view_type), BillingMode always (PROVISIONED with
// ProvisionedThroughput for kProvisioned, else PAY_PER_REQUEST), a global
// index of a provisioned table without capacities of its own gets the
// table's. Errors: InvalidArgument for an attribute given two types (say S
// as the table's key, N as an index's), naming it and both places.
Result<std::string> CreateTableRequestJson(const CreateTableRequest& req);

// Reads a request as DynamoDB validates it, with its wording
// (ValidationException; SerializationException for a field of the wrong
// JSON type): a valid table name, KeySchema (HASH, then optionally RANGE)
// and AttributeDefinitions (S, N or B, each name once, exactly the key
// attributes of the table and its indexes), indexes with a name, a key
// schema and a projection (ALL, KEYS_ONLY or INCLUDE), BillingMode
// (PAY_PER_REQUEST or PROVISIONED), a StreamViewType when StreamEnabled.
// options.stream_enabled is false unless the request turns it on.
Result<CreateTableRequest> ParseCreateTableRequest(const Fields& f);
// The same from JSON text. Errors: also SerializationException for
// malformed JSON or a body that is not an object.
Result<CreateTableRequest> ParseCreateTableRequest(std::string_view json);

}  // namespace godwit::wire

#endif  // GODWIT_WIRE_TABLE_DESCRIPTION_H_
