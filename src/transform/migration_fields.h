// The declarative fields of a migration's table (internal to the transform
// layer): which fields exist, and key_schema and indexes parsed from their
// Lua values (converted to AttributeValues first, so this is plain C++).
//
// Every function here reports problems by appending one message per problem
// (without the file's name; the caller adds it), so that a file with three
// mistakes gets three messages.
#ifndef GODWIT_TRANSFORM_MIGRATION_FIELDS_H_
#define GODWIT_TRANSFORM_MIGRATION_FIELDS_H_

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "godwit/item.h"
#include "godwit/status.h"
#include "godwit/store.h"

namespace godwit::transform_internal {

// The fields a migration's table may have, in the order docs/migrations.md
// lists them.
inline constexpr std::string_view kMigrationFields[] = {
    "description", "key_schema", "indexes", "prepare",
    "up",          "down",       "validate"};
inline constexpr std::string_view kKeySchemaFields[] = {"hash", "range"};
inline constexpr std::string_view kIndexFields[] = {
    "hash", "range", "projection", "include", "kind"};

// "unknown field `valdiate` (did you mean `validate`?); the fields of <what>
// are a, b and c". `what` is e.g. "a migration".
std::string UnknownFieldMessage(std::string_view name, std::string_view what,
                                std::span<const std::string_view> known);

// A key attribute spec: "pk" (type S), "pk:S", "pk:N" or "pk:B"; the name is
// 1 to 255 bytes. Errors: InvalidArgument saying what is wrong.
Result<KeyAttribute> ParseKeyName(std::string_view spec);

// key_schema = { hash = "pk", range = "sk" }. `v` is the field's value
// converted to an AttributeValue. Returns the schema when there is no
// problem.
std::optional<KeySchema> ParseKeySchemaField(
    const AttributeValue& v, std::vector<std::string>* problems);

// indexes = { name = { hash = ..., range = ..., projection = "ALL" |
// "KEYS_ONLY" | "INCLUDE", include = { ... }, kind = "global" | "local" } }.
// Returns the indexes, sorted by name, when there is no problem.
std::optional<std::vector<SecondaryIndex>> ParseIndexesField(
    const AttributeValue& v, std::vector<std::string>* problems);

// The checks that need the table the indexes are on (the destination): a
// local index has the table's hash key and a range key, on a table with a
// range key; an attribute has one type in every key it is part of.
// An empty `table_schema.hash.name` (not known) skips them.
std::vector<std::string> CheckIndexesForTable(
    const std::vector<SecondaryIndex>& indexes, const KeySchema& table_schema);

}  // namespace godwit::transform_internal

#endif  // GODWIT_TRANSFORM_MIGRATION_FIELDS_H_
