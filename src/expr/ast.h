// Internal to src/expr: tokens, the syntax tree shared by every kind of
// expression, and the passes over it (parse, validate, evaluate).
#ifndef GODWIT_SRC_EXPR_AST_H_
#define GODWIT_SRC_EXPR_AST_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "godwit/expression.h"
#include "godwit/item.h"
#include "godwit/status.h"

namespace godwit {
namespace expr_internal {

// ---------------------------------------------------------------------------
// Tokens.

enum class Tok : uint8_t {
  kEof,
  kIdent,     // [A-Za-z][A-Za-z0-9_]*
  kNameRef,   // #[A-Za-z0-9_]+
  kValueRef,  // :[A-Za-z0-9_]+
  kNumber,    // [0-9]+ (only valid as a list index)
  kLParen,
  kRParen,
  kLBracket,
  kRBracket,
  kComma,
  kDot,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kPlus,
  kMinus,
  kInvalid,  // any other character (one UTF-8 sequence)
};

struct Token {
  Tok type = Tok::kEof;
  uint32_t pos = 0;  // byte offset in the expression
  uint32_t len = 0;
};

// Splits `expr` into tokens, skipping spaces, tabs, CR and LF. The last token
// is always kEof at expr.size(). REQUIRES: expr.size() < 2^32.
std::vector<Token> Lex(std::string_view expr);

// ---------------------------------------------------------------------------
// Tree.

// One step of a path as written: a bare name, a #placeholder, or [index].
struct RawElement {
  PathElement::Kind kind = PathElement::Kind::kName;
  bool placeholder = false;  // text is "#x"
  std::string text;          // name or placeholder (kName)
  uint32_t index = 0;        // kIndex
};

// An operand: a path, a value placeholder, a function call, or (update
// expressions only) a + b or a - b.
struct Operand {
  enum class Kind : uint8_t { kPath, kValue, kCall, kPlus, kMinus };
  Kind kind = Kind::kPath;
  uint32_t pos = 0;  // of its first token

  std::vector<RawElement> raw_path;  // kPath, as written
  DocumentPath path;                 // kPath, names resolved

  std::string ref;       // kValue: ":v"
  AttributeValue value;  // kValue, resolved

  std::string fn;             // kCall: function name as written
  std::vector<Operand> args;  // kCall arguments; kPlus/kMinus: {lhs, rhs}
};

enum class CmpOp : uint8_t { kEq, kNe, kLt, kLe, kGt, kGe };
std::string_view CmpOpName(CmpOp op);  // "=", "<>", ...

struct Condition {
  enum class Kind : uint8_t {
    kAnd,       // children, two or more
    kOr,        // children, two or more
    kNot,       // children[0]
    kCompare,   // operands[0] op operands[1]
    kBetween,   // operands[0] BETWEEN operands[1] AND operands[2]
    kIn,        // operands[0] IN (operands[1..])
    kFunction,  // operands[0] is a kCall used as a condition
  };
  Kind kind = Kind::kCompare;
  CmpOp op = CmpOp::kEq;
  bool parenthesized = false;  // written as ( ... )
  uint32_t pos = 0;
  std::vector<Condition> children;
  std::vector<Operand> operands;
};

struct UpdateAction {
  enum class Kind : uint8_t { kSet, kRemove, kAdd, kDelete };
  Kind kind = Kind::kSet;
  Operand target;  // always kPath
  Operand value;   // kSet: the new value; kAdd/kDelete: the kValue operand
};

struct Update {
  std::vector<UpdateAction> actions;  // in expression order
  std::vector<DocumentPath> targets;  // actions[i].target.path
};

// ---------------------------------------------------------------------------
// Parsing.

// What the syntax pass saw, in text order, for the checks that DynamoDB makes
// after the syntax is known good and before anything else.
struct Occurrences {
  std::vector<std::string> bare_names;  // unquoted path names
  std::vector<std::string> name_refs;   // "#x"
  std::vector<std::string> value_refs;  // ":x"
  std::vector<std::string> functions;   // function names as written
  std::vector<std::string> sections;    // update clause keywords, upper case
  int max_path_depth = 0;
  bool redundant_parentheses = false;
};

// The syntax pass. Each returns a syntax error in DynamoDB's words, or the
// tree with placeholders unresolved. `kind` selects the error prefix.
Status ParseConditionSyntax(std::string_view expr, ExpressionKind kind,
                            Condition* out, Occurrences* occ);
Status ParseUpdateSyntax(std::string_view expr, Update* out, Occurrences* occ);
Status ParseProjectionSyntax(std::string_view expr, std::vector<Operand>* paths,
                             Occurrences* occ);

// Parses and validates a condition-like expression (condition, filter, key
// condition): length, syntax, occurrences, resolution, operator count,
// semantics.
Result<std::shared_ptr<Condition>> ParseConditionTree(
    std::string_view expr, const ExpressionContext& ctx, ExpressionKind kind);

// "Invalid <Kind>: <detail>".
Status ExprError(ExpressionKind kind, std::string_view detail);

// Checks common to every kind, in DynamoDB's order, once the syntax is
// good: empty and size were checked before the syntax; here the path depth,
// reserved words, function names, update sections, then placeholders (which
// are marked used). Names and values are then resolved by the caller.
Status CheckOccurrences(std::string_view expr, ExpressionKind kind,
                        const Occurrences& occ, const ExpressionContext& ctx);
// Empty and over-long expressions.
Status CheckLength(std::string_view expr, ExpressionKind kind);

// Resolves #names and :values in place. REQUIRES: CheckOccurrences passed.
void ResolveOperand(Operand* op, const ExpressionContext& ctx);
void ResolveCondition(Condition* c, const ExpressionContext& ctx);

// Semantic checks of a resolved condition (function use, arity, operand
// types, BETWEEN bounds, IN size, distinct operands, operator count).
Status CheckConditionSemantics(const Condition& c, ExpressionKind kind);
// Counts operators (comparisons, BETWEEN, IN, functions, + and -).
int CountOperators(const Condition& c);
int CountOperators(const Operand& op);

// Overlap and conflict between the paths of one projection or update.
Status CheckPathsDisjoint(const std::vector<DocumentPath>& paths,
                          ExpressionKind kind);

// ---------------------------------------------------------------------------
// Evaluation helpers.

// The value of an operand in a condition: a path's value, a placeholder's
// value, or size(x). Returns false if there is none (missing attribute,
// size of a number, ...). `scratch` holds computed values.
bool EvalOperand(const Operand& op, const Item* item,
                 const AttributeValue** out, AttributeValue* scratch);
bool EvalCondition(const Condition& c, const Item* item);
// DynamoDB ordering of two values of one type (N, S or B): <0, 0, >0.
// REQUIRES: a.type() == b.type() and the type is N, S or B.
int CompareScalars(const AttributeValue& a, const AttributeValue& b);
bool IsOrderedType(AttrType t);

// "AttributeValue: {N:5}" as DynamoDB prints operands in messages.
std::string OperandValueString(const AttributeValue& v);

}  // namespace expr_internal
}  // namespace godwit

#endif  // GODWIT_SRC_EXPR_AST_H_
