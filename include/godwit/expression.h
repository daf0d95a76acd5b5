// DynamoDB's expression language: ConditionExpression, FilterExpression,
// KeyConditionExpression, ProjectionExpression and UpdateExpression, with
// ExpressionAttributeNames (#n) and ExpressionAttributeValues (:v).
//
// One lexer and one recursive-descent parser serve every kind of expression;
// parsing resolves placeholders, applies DynamoDB's validation rules and
// returns an immutable parsed form that is evaluated against items without
// the context.
//
// Errors. Every parse error is Status::InvalidArgument carrying DynamoDB's
// message text, so that the server can return it as a ValidationException
// unchanged, e.g.
//   Invalid ConditionExpression: Syntax error; token: "-", near: "a-b"
//   Invalid UpdateExpression: Attribute name is a reserved keyword;
//       reserved keyword: status
//   Value provided in ExpressionAttributeValues unused in expressions:
//       keys: {:x}
// A condition that evaluates to false is not an error: EvaluateCondition
// returns false and the caller turns that into ConditionalCheckFailed.
// ApplyUpdate returns InvalidArgument with DynamoDB's runtime messages (an
// operand of the wrong type, a document path that cannot be updated, a number
// out of range).
//
// One request, several expressions. All expressions of one request share one
// ExpressionContext. Each Parse* call records which placeholders it used; once
// every expression of the request is parsed, CheckAllUsed() reports the
// placeholders none of them used, as DynamoDB does.
//
// Thread safety. ExpressionContext records usage in mutable state: use one
// context from one thread. Parsed* objects are immutable (ParsedCondition and
// ParsedUpdate copies share their tree); evaluate and apply them from any
// number of threads.
//
// Example (UpdateItem with a condition):
//   ExpressionContext ctx(std::nullopt,
//                         ExpressionContext::ValueMap{{":one", one}});
//   RETURN_IF_ERROR(ctx.Validate());
//   ASSIGN_OR_RETURN(ParsedUpdate update, ParseUpdate("ADD n :one", ctx));
//   ASSIGN_OR_RETURN(ParsedCondition cond,
//                    ParseCondition("attribute_exists(pk)", ctx));
//   RETURN_IF_ERROR(CheckAllUsed(ctx));
//   if (!EvaluateCondition(cond, old_item)) return Status::Aborted("...");
//   ASSIGN_OR_RETURN(UpdateResult r,
//                    ApplyUpdate(update, old_item_or_null, &key_item));
#ifndef GODWIT_EXPRESSION_H_
#define GODWIT_EXPRESSION_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "godwit/item.h"
#include "godwit/status.h"

namespace godwit {

// The kinds of expression. The kind only changes the error-message prefix
// ("Invalid FilterExpression: ...") and which functions are allowed.
enum class ExpressionKind : uint8_t {
  kCondition,
  kFilter,
  kKeyCondition,
  kProjection,
  kUpdate,
};
// "ConditionExpression", "FilterExpression", "KeyConditionExpression",
// "ProjectionExpression", "UpdateExpression".
std::string_view ExpressionKindName(ExpressionKind kind);

// DynamoDB's limits on expressions.
inline constexpr size_t kMaxExpressionBytes = 4096;
inline constexpr int kMaxExpressionOperators = 300;
// Operands of IN, counting the left-hand one.
inline constexpr int kMaxInOperands = 100;
// Elements of one document path (a.b[2].c has 4).
inline constexpr int kMaxDocumentPathDepth = 32;
// Nesting of parentheses and NOT: godwit's own cap, so that hostile input
// cannot exhaust the stack. DynamoDB documents no such limit.
inline constexpr int kMaxExpressionNesting = 100;
// Longest placeholder key ("#name" or ":value"), in bytes.
inline constexpr size_t kMaxPlaceholderBytes = 255;

// True if `word` is one of DynamoDB's reserved words (case-insensitive).
bool IsReservedWord(std::string_view word);

// One step of a document path: a map key (or top-level attribute name) or a
// list index.
struct PathElement {
  enum class Kind : uint8_t { kName, kIndex };
  Kind kind = Kind::kName;
  std::string name;    // kName
  uint32_t index = 0;  // kIndex

  static PathElement Name(std::string n) {
    return {Kind::kName, std::move(n), 0};
  }
  static PathElement Index(uint32_t i) { return {Kind::kIndex, {}, i}; }
  bool is_name() const { return kind == Kind::kName; }
  friend bool operator==(const PathElement&, const PathElement&) = default;
};

// A resolved document path such as a.b[2].c. The first element is always a
// name.
struct DocumentPath {
  std::vector<PathElement> elements;

  // DynamoDB's rendering in messages: "[a, b, [2], c]".
  std::string ToString() const;
  friend bool operator==(const DocumentPath&, const DocumentPath&) = default;
};

// Finds the value at `path` in `item`; nullptr if any step is missing or has
// the wrong type. The pointer is valid until `item` changes.
const AttributeValue* FindPath(const Item& item, const DocumentPath& path);

// The ExpressionAttributeNames and ExpressionAttributeValues of one request,
// and which of them the request's expressions used.
class ExpressionContext {
 public:
  using NameMap = std::map<std::string, std::string, std::less<>>;
  using ValueMap = std::map<std::string, AttributeValue, std::less<>>;

  // No names, no values.
  ExpressionContext() = default;
  // nullopt: the request did not carry that map (as opposed to an empty one,
  // which DynamoDB rejects; see Validate()).
  ExpressionContext(std::optional<NameMap> names,
                    std::optional<ValueMap> values);

  // Checks the maps themselves, as DynamoDB does before reading any
  // expression. Errors (InvalidArgument):
  //   "ExpressionAttributeNames must not be empty"
  //   "ExpressionAttributeNames contains invalid key: Syntax error; key: \"a\""
  //   "ExpressionAttributeNames contains invalid key: The expression attribute
  //    map contains a key that is too long; size of key: 300"
  //   and the same three for ExpressionAttributeValues.
  Status Validate() const;

  // Looks a placeholder up and marks it used. nullptr if undefined.
  const std::string* LookupName(std::string_view placeholder) const;
  const AttributeValue* LookupValue(std::string_view placeholder) const;

  const std::optional<NameMap>& names() const { return names_; }
  const std::optional<ValueMap>& values() const { return values_; }

 private:
  friend Status CheckAllUsed(const ExpressionContext& ctx);

  std::optional<NameMap> names_;
  std::optional<ValueMap> values_;
  // Usage, recorded by the Parse* calls.
  mutable std::set<std::string, std::less<>> used_names_;
  mutable std::set<std::string, std::less<>> used_values_;
};

// Call after parsing every expression of a request. Errors (InvalidArgument),
// keys sorted:
//   "Value provided in ExpressionAttributeNames unused in expressions:
//    keys: {#a, #b}"
//   "Value provided in ExpressionAttributeValues unused in expressions:
//    keys: {:x}"
// Names are checked before values.
Status CheckAllUsed(const ExpressionContext& ctx);

namespace expr_internal {
struct Condition;
struct Update;
}  // namespace expr_internal

// ---------------------------------------------------------------------------
// ConditionExpression and FilterExpression.

class ParsedCondition {
 public:
  // The empty condition: evaluates to true (no ConditionExpression given).
  ParsedCondition() = default;
  bool empty() const { return root_ == nullptr; }

 private:
  friend Result<ParsedCondition> ParseCondition(std::string_view,
                                                const ExpressionContext&,
                                                ExpressionKind);
  friend bool EvaluateCondition(const ParsedCondition&, const Item*);
  std::shared_ptr<const expr_internal::Condition> root_;
};

// Parses a ConditionExpression (kind kCondition) or FilterExpression (kind
// kFilter). REQUIRES: kind is kCondition or kFilter.
// Errors: InvalidArgument with DynamoDB's message, among them
//   "Invalid ConditionExpression: The expression can not be empty;"
//   "Invalid ConditionExpression: Expression size has exceeded the maximum
//    allowed size; expression size: 4097"
//   "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"=\""
//   "Invalid ConditionExpression: Attribute name is a reserved keyword;
//    reserved keyword: name"
//   "Invalid ConditionExpression: Invalid function name; function: foo"
//   "Invalid ConditionExpression: The function is not allowed in a condition
//    expression; function: if_not_exists"
//   "Invalid ConditionExpression: The function is not allowed to be used this
//    way in an expression; function: size"
//   "Invalid ConditionExpression: Incorrect number of operands for operator
//    or function; operator or function: size, number of operands: 2"
//   "Invalid ConditionExpression: Operator or function requires a document
//    path; operator or function: attribute_exists"
//   "Invalid ConditionExpression: Incorrect operand type for operator or
//    function; operator or function: <, operand type: L"
//   "Invalid ConditionExpression: Invalid attribute type name found; type: X,
//    valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}"
//   "Invalid ConditionExpression: The BETWEEN operator requires upper bound
//    to be greater than or equal to lower bound; lower bound operand:
//    AttributeValue: {N:5}, upper bound operand: AttributeValue: {N:1}"
//   "Invalid ConditionExpression: The BETWEEN operator requires same data
//    type for lower and upper bounds; ..."
//   "Invalid ConditionExpression: The first operand must be distinct from the
//    remaining operands for this operator or function; operator: =, first
//    operand: [a]"
//   "Invalid ConditionExpression: The IN operator is provided with too many
//    operands; number of operands: 101"
//   "Invalid ConditionExpression: The expression contains too many operators;
//    operator count: 301"
//   "Invalid ConditionExpression: The expression has redundant parentheses;"
//   "Invalid ConditionExpression: The document path has too many nesting
//    levels; nesting levels: 33"
//   "Invalid ConditionExpression: An expression attribute name used in the
//    document path is not defined; attribute name: #n"
//   "Invalid ConditionExpression: An expression attribute value used in
//    expression is not defined; attribute value: :v"
Result<ParsedCondition> ParseCondition(
    std::string_view expression, const ExpressionContext& ctx,
    ExpressionKind kind = ExpressionKind::kCondition);

// Evaluates with DynamoDB's semantics: a missing attribute makes every
// comparison false except <>, which is true; operands of different types are
// never equal and never ordered; N compares numerically, S and B bytewise
// (unsigned); only N, S and B are ordered. `item` nullptr means the item does
// not exist (every path is missing). The empty condition is true.
bool EvaluateCondition(const ParsedCondition& condition, const Item* item);

// ---------------------------------------------------------------------------
// KeyConditionExpression.

enum class SortKeyOp : uint8_t {
  kEq,
  kLt,
  kLe,
  kGt,
  kGe,
  kBetween,
  kBeginsWith,
};
// "=", "<", "<=", ">", ">=", "BETWEEN", "begins_with".
std::string_view SortKeyOpName(SortKeyOp op);

struct SortKeyCondition {
  std::string attribute;  // the sort key's name
  SortKeyOp op = SortKeyOp::kEq;
  AttributeValue value;  // the operand; the lower bound for kBetween
  AttributeValue upper;  // kBetween only

  // True if a sort key value satisfies the condition. REQUIRES: the value
  // has the schema's type (S, N or B).
  bool Matches(const AttributeValue& sort_value) const;
};

// What a Query needs: the partition key value and an optional sort key
// condition, both checked against the schema's types.
struct KeyCondition {
  std::string hash_attribute;
  AttributeValue hash_value;
  std::optional<SortKeyCondition> sort;

  // True if `key` is in the queried range.
  bool Matches(const Key& key) const;
};

// Parses a KeyConditionExpression against the table's (or index's) key
// schema. Beyond the condition errors above (prefixed "Invalid
// KeyConditionExpression: "), errors as DynamoDB words them:
//   "Query condition missed key schema element: pk"
//   "Query key condition not supported"
//   "KeyConditionExpressions must only contain one condition per key"
//   "Conditions can be of length 1 or 2 only"
//   "Invalid operator used in KeyConditionExpression: OR"
//   "KeyConditionExpressions cannot have conditions on nested attributes"
//   "Invalid condition in KeyConditionExpression: Multiple attribute names
//    used in one condition"
//   "Invalid condition in KeyConditionExpression: No key attribute specified"
//   "One or more parameter values were invalid: Condition parameter type does
//    not match schema type"
Result<KeyCondition> ParseKeyCondition(std::string_view expression,
                                       const ExpressionContext& ctx,
                                       const KeySchema& schema);

// ---------------------------------------------------------------------------
// ProjectionExpression.

class ParsedProjection {
 public:
  // In expression order, names resolved.
  const std::vector<DocumentPath>& paths() const { return paths_; }

 private:
  friend Result<ParsedProjection> ParseProjection(std::string_view,
                                                  const ExpressionContext&);
  std::vector<DocumentPath> paths_;
};

// Errors: empty, size, syntax, reserved words, undefined names, path depth,
// and "Invalid ProjectionExpression: Two document paths overlap with each
// other; must remove or rewrite one of these paths; path one: [a], path two:
// [a, b]" (or "... conflict with each other ..." for a.b and a[1]).
Result<ParsedProjection> ParseProjection(std::string_view expression,
                                         const ExpressionContext& ctx);

// The part of `item` the projection selects, keeping DynamoDB's nested
// structure: a.b[2].y on {a: {b: [1, 2, {x, y}]}} gives {a: {b: [{y}]}};
// list elements keep their relative order; paths that do not exist are
// left out (an item with none of them projects to an empty item).
Item ApplyProjection(const ParsedProjection& projection, const Item& item);
// The same for an explicit list of non-overlapping paths.
Item ProjectPaths(const std::vector<DocumentPath>& paths, const Item& item);

// ---------------------------------------------------------------------------
// UpdateExpression.

struct UpdateResult;

class ParsedUpdate {
 public:
  ParsedUpdate() = default;
  // Every path the update writes (SET, REMOVE, ADD and DELETE targets), in
  // expression order. Empty for a default-constructed ParsedUpdate.
  const std::vector<DocumentPath>& target_paths() const;

 private:
  friend Result<ParsedUpdate> ParseUpdate(std::string_view,
                                          const ExpressionContext&);
  friend Result<UpdateResult> ApplyUpdate(const ParsedUpdate&, const Item*,
                                          const Item*);
  std::shared_ptr<const expr_internal::Update> impl_;
};

// Errors: empty, size, syntax, reserved words, function rules, undefined
// placeholders, operator count, path depth, and
//   "Invalid UpdateExpression: The \"SET\" section can only be used once in
//    an update expression;"
//   "Invalid UpdateExpression: Two document paths overlap with each other;
//    must remove or rewrite one of these paths; path one: [a], path two:
//    [a, b]"
//   "Invalid UpdateExpression: Two document paths conflict with each other;
//    must remove or rewrite one of these paths; path one: [a, b], path two:
//    [a, [1]]"
//   "Invalid UpdateExpression: Incorrect operand type for operator or
//    function; operator: ADD, operand type: STRING, typeSet:
//    ALLOWED_FOR_ADD_OPERAND"
//   "Invalid UpdateExpression: Incorrect operand type for operator or
//    function; operator or function: +, operand type: S"
Result<ParsedUpdate> ParseUpdate(std::string_view expression,
                                 const ExpressionContext& ctx);

// Refuses an update that writes a key attribute. Error (InvalidArgument):
//   "One or more parameter values were invalid: Cannot update attribute pk.
//    This attribute is part of the key"
Status CheckUpdateKeepsKey(const ParsedUpdate& update, const KeySchema& schema);

struct UpdateResult {
  // The item after the update. For an absent old item it starts from the
  // key item (or nothing): an item the caller should not create if the
  // update wrote nothing (DynamoDB does not create an item for a REMOVE
  // that removed nothing).
  Item item;
  // Top-level attribute names the update targeted, sorted, unique.
  std::vector<std::string> changed_attributes;
  // The targeted paths projected on the old and on the new item: what
  // ReturnValues UPDATED_OLD and UPDATED_NEW return (an absent old item
  // projects to nothing).
  Item updated_old;
  Item updated_new;
};

// Applies the update to `old_item`; nullptr means the item does not exist,
// in which case the update starts from `key_item` (the key attributes, so
// that "SET x = pk" works; may be nullptr) and a REMOVE whose parent is
// missing is ignored, as DynamoDB does for a missing item.
// All right-hand sides are evaluated against the old item first. Then SET,
// ADD and DELETE apply in path order, so that several list indexes past the
// end append in index order ("SET a[9] = :x, a[5] = :y" appends y then x);
// then REMOVE, whose list indexes refer to the old list (REMOVE a[1], a[3]
// removes the old second and fourth elements).
// Number arithmetic (+, -, ADD) is exact on decimal digits.
// Errors (InvalidArgument, DynamoDB's messages, unprefixed):
//   "The provided expression refers to an attribute that does not exist in
//    the item"
//   "The document path provided in the update expression is invalid for
//    update"
//   "An operand in the update expression has an incorrect data type"
//   "Number overflow. Attempting to store a number with magnitude larger
//    than supported range" (also for a result needing more than 38
//    significant digits, as DynamoDB reports it)
//   "Number underflow. Attempting to store a number with magnitude smaller
//    than supported range"
Result<UpdateResult> ApplyUpdate(const ParsedUpdate& update,
                                 const Item* old_item,
                                 const Item* key_item = nullptr);

// Exact decimal arithmetic on DynamoDB numbers (no double anywhere).
// Errors: the overflow/underflow messages above.
Result<Number> AddNumbers(const Number& a, const Number& b);
Result<Number> SubtractNumbers(const Number& a, const Number& b);

}  // namespace godwit

#endif  // GODWIT_EXPRESSION_H_
