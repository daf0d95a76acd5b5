// Reading requests in the server: items, keys, expressions and the
// parameters several operations share, with DynamoDB's error types and
// wording (wire::Validation / wire::Serialization).
//
// Borrowing: dom values point into the thread's request parser; they are
// valid for the request being handled.
#ifndef GODWIT_SERVER_REQUEST_H_
#define GODWIT_SERVER_REQUEST_H_

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "godwit/expression.h"
#include "godwit/item.h"
#include "godwit/status.h"
#include "godwit/store.h"
#include "wire/json_reader.h"

namespace godwit::server {

namespace dom = simdjson::dom;
using wire::Fields;

// An item (DynamoDB JSON object). `what` names the field in messages.
Result<Item> ParseItemElement(dom::element el, std::string_view what);
// A key of `schema`: exactly its attributes, of their types.
Result<Key> ParseKeyElement(dom::element el, const KeySchema& schema);
// The request's "Key".
Result<Key> RequiredKey(const Fields& f, const KeySchema& schema);

// ExpressionAttributeNames / ExpressionAttributeValues, validated.
Result<ExpressionContext> BuildContext(const Fields& f);
// ValidationException for the first of `names` present (legacy
// parameters godwit serve does not support).
Status RejectLegacy(const Fields& f,
                    std::initializer_list<std::string_view> names);
// The condition in `field`, or the empty condition.
Result<ParsedCondition> OptionalCondition(const Fields& f,
                                          std::string_view field,
                                          const ExpressionContext& ctx,
                                          ExpressionKind kind);
Result<std::optional<ParsedProjection>> OptionalProjection(
    const Fields& f, const ExpressionContext& ctx);
// ValidationException unless `rv` is absent or one of `allowed`.
Status CheckReturnValues(const std::optional<std::string>& rv,
                         std::initializer_list<std::string_view> allowed);

// ResourceNotFoundException "Requested resource not found: Table: X not
// found".
Status TableNotFound(std::string_view name);
// godwit's own tables (control table, key maps), left out of ListTables and
// ListStreams.
bool IsInternalTable(std::string_view name);

}  // namespace godwit::server

#endif  // GODWIT_SERVER_REQUEST_H_
