// Semantic checks of a parsed, resolved condition, in DynamoDB's words:
// which functions may appear where, their operand counts and kinds, the
// types of literal operands, BETWEEN bounds, the IN operand limit, distinct
// operands; and the overlap/conflict rule for the paths of one projection or
// update. Recursion follows the tree, whose depth the parser bounded.
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "expr/ast.h"

namespace godwit {
namespace expr_internal {

std::string_view CmpOpName(CmpOp op) {
  switch (op) {
    case CmpOp::kEq:
      return "=";
    case CmpOp::kNe:
      return "<>";
    case CmpOp::kLt:
      return "<";
    case CmpOp::kLe:
      return "<=";
    case CmpOp::kGt:
      return ">";
    case CmpOp::kGe:
      return ">=";
  }
  return "?";
}

bool IsOrderedType(AttrType t) {
  return t == AttrType::kN || t == AttrType::kS || t == AttrType::kB;
}

std::string OperandValueString(const AttributeValue& v) {
  std::string out = "AttributeValue: {";
  out += AttrTypeName(v.type());
  out += ":";
  switch (v.type()) {
    case AttrType::kS:
      out += v.s();
      break;
    case AttrType::kN:
      out += v.n().text();
      break;
    case AttrType::kBool:
      out += v.boolean() ? "true" : "false";
      break;
    case AttrType::kNull:
      out += "true";
      break;
    default:
      out += DebugString(v);
      break;
  }
  out += "}";
  return out;
}

int CountOperators(const Operand& op) {
  int n = 0;
  if (op.kind == Operand::Kind::kCall || op.kind == Operand::Kind::kPlus ||
      op.kind == Operand::Kind::kMinus) {
    n = 1;
  }
  for (const Operand& arg : op.args) n += CountOperators(arg);
  return n;
}

int CountOperators(const Condition& c) {
  int n = 0;
  switch (c.kind) {
    case Condition::Kind::kAnd:
    case Condition::Kind::kOr:
    case Condition::Kind::kNot:
      break;
    case Condition::Kind::kCompare:
    case Condition::Kind::kBetween:
    case Condition::Kind::kIn:
      n = 1;
      break;
    case Condition::Kind::kFunction:
      break;  // the call operand counts itself
  }
  for (const Condition& child : c.children) n += CountOperators(child);
  for (const Operand& op : c.operands) n += CountOperators(op);
  return n;
}

namespace {

Status NotAllowedThisWay(ExpressionKind kind, std::string_view fn) {
  return ExprError(kind,
                   "The function is not allowed to be used this way in an "
                   "expression; function: " +
                       std::string(fn));
}

Status OperandCount(ExpressionKind kind, std::string_view fn, size_t n) {
  return ExprError(kind,
                   "Incorrect number of operands for operator or function; "
                   "operator or function: " +
                       std::string(fn) +
                       ", number of operands: " + std::to_string(n));
}

Status IncorrectOperandType(ExpressionKind kind, std::string_view fn,
                            std::string_view type) {
  return ExprError(kind,
                   "Incorrect operand type for operator or function; "
                   "operator or function: " +
                       std::string(fn) +
                       ", operand type: " + std::string(type));
}

Status RequiresPath(ExpressionKind kind, std::string_view fn) {
  return ExprError(kind,
                   "Operator or function requires a document path; operator "
                   "or function: " +
                       std::string(fn));
}

// An operand used as a value (compared, tested): a path, a placeholder, or
// size(x).
Status CheckValueOperand(const Operand& op, ExpressionKind kind) {
  if (op.kind != Operand::Kind::kCall) return Status::OK();
  if (op.fn != "size") return NotAllowedThisWay(kind, op.fn);
  if (op.args.size() != 1) return OperandCount(kind, op.fn, op.args.size());
  if (op.args[0].kind == Operand::Kind::kCall) {
    return NotAllowedThisWay(kind, op.args[0].fn);
  }
  return Status::OK();
}

// DynamoDB refuses "a = a", "contains(a, a)", ...
Status CheckDistinct(const std::vector<Operand>& ops, std::string_view name,
                     ExpressionKind kind) {
  if (ops.empty() || ops[0].kind != Operand::Kind::kPath) {
    return Status::OK();
  }
  for (size_t i = 1; i < ops.size(); ++i) {
    if (ops[i].kind == Operand::Kind::kPath && ops[i].path == ops[0].path) {
      return ExprError(kind,
                       "The first operand must be distinct from the "
                       "remaining operands for this operator or function; "
                       "operator: " +
                           std::string(name) +
                           ", first operand: " + ops[0].path.ToString());
    }
  }
  return Status::OK();
}

Status CheckOrderedValues(const std::vector<Operand>& ops,
                          std::string_view name, ExpressionKind kind) {
  for (const Operand& op : ops) {
    if (op.kind == Operand::Kind::kValue && !IsOrderedType(op.value.type())) {
      return IncorrectOperandType(kind, name, AttrTypeName(op.value.type()));
    }
  }
  return Status::OK();
}

bool ValidTypeName(std::string_view s) {
  return AttrTypeFromName(s).has_value();
}

Status CheckFunctionCondition(const Operand& call, ExpressionKind kind) {
  const std::string& fn = call.fn;
  const std::vector<Operand>& args = call.args;
  if (fn == "size") return NotAllowedThisWay(kind, fn);
  size_t want =
      (fn == "attribute_exists" || fn == "attribute_not_exists") ? 1 : 2;
  if (args.size() != want) return OperandCount(kind, fn, args.size());
  if (want == 1) {
    if (args[0].kind != Operand::Kind::kPath) return RequiresPath(kind, fn);
    return Status::OK();
  }
  for (const Operand& arg : args) {
    if (arg.kind == Operand::Kind::kCall) {
      return NotAllowedThisWay(kind, arg.fn);
    }
  }
  if (fn == "attribute_type") {
    const Operand& type = args[1];
    if (type.kind != Operand::Kind::kValue) {
      return IncorrectOperandType(kind, fn, "PATH");
    }
    if (!type.value.is(AttrType::kS)) {
      return IncorrectOperandType(kind, fn, AttrTypeName(type.value.type()));
    }
    if (!ValidTypeName(type.value.s())) {
      return ExprError(
          kind, "Invalid attribute type name found; type: " + type.value.s() +
                    ", valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}");
    }
    return Status::OK();
  }
  RETURN_IF_ERROR(CheckDistinct(args, fn, kind));
  if (fn == "begins_with") {
    for (const Operand& arg : args) {
      if (arg.kind == Operand::Kind::kValue && !arg.value.is(AttrType::kS) &&
          !arg.value.is(AttrType::kB)) {
        return IncorrectOperandType(kind, fn, AttrTypeName(arg.value.type()));
      }
    }
  }
  return Status::OK();
}

}  // namespace

Status CheckConditionSemantics(const Condition& c, ExpressionKind kind) {
  switch (c.kind) {
    case Condition::Kind::kAnd:
    case Condition::Kind::kOr:
    case Condition::Kind::kNot:
      for (const Condition& child : c.children) {
        RETURN_IF_ERROR(CheckConditionSemantics(child, kind));
      }
      return Status::OK();
    case Condition::Kind::kFunction:
      return CheckFunctionCondition(c.operands[0], kind);
    case Condition::Kind::kCompare: {
      for (const Operand& op : c.operands) {
        RETURN_IF_ERROR(CheckValueOperand(op, kind));
      }
      std::string_view name = CmpOpName(c.op);
      RETURN_IF_ERROR(CheckDistinct(c.operands, name, kind));
      if (c.op != CmpOp::kEq && c.op != CmpOp::kNe) {
        RETURN_IF_ERROR(CheckOrderedValues(c.operands, name, kind));
      }
      return Status::OK();
    }
    case Condition::Kind::kBetween: {
      for (const Operand& op : c.operands) {
        RETURN_IF_ERROR(CheckValueOperand(op, kind));
      }
      RETURN_IF_ERROR(CheckDistinct(c.operands, "BETWEEN", kind));
      RETURN_IF_ERROR(CheckOrderedValues(c.operands, "BETWEEN", kind));
      const Operand& low = c.operands[1];
      const Operand& high = c.operands[2];
      if (low.kind == Operand::Kind::kValue &&
          high.kind == Operand::Kind::kValue) {
        std::string bounds =
            "lower bound operand: " + OperandValueString(low.value) +
            ", upper bound operand: " + OperandValueString(high.value);
        if (low.value.type() != high.value.type()) {
          return ExprError(kind,
                           "The BETWEEN operator requires same data type for "
                           "lower and upper bounds; " +
                               bounds);
        }
        if (CompareScalars(low.value, high.value) > 0) {
          return ExprError(kind,
                           "The BETWEEN operator requires upper bound to be "
                           "greater than or equal to lower bound; " +
                               bounds);
        }
      }
      return Status::OK();
    }
    case Condition::Kind::kIn: {
      if (c.operands.size() > static_cast<size_t>(kMaxInOperands)) {
        return ExprError(kind,
                         "The IN operator is provided with too many "
                         "operands; number of operands: " +
                             std::to_string(c.operands.size()));
      }
      for (const Operand& op : c.operands) {
        RETURN_IF_ERROR(CheckValueOperand(op, kind));
      }
      return CheckDistinct(c.operands, "IN", kind);
    }
  }
  return Status::OK();
}

Status CheckPathsDisjoint(const std::vector<DocumentPath>& paths,
                          ExpressionKind kind) {
  auto message = [&](std::string_view what, const DocumentPath& a,
                     const DocumentPath& b) {
    return ExprError(kind, "Two document paths " + std::string(what) +
                               " with each other; must remove or rewrite one "
                               "of these paths; path one: " +
                               a.ToString() + ", path two: " + b.ToString());
  };
  // DynamoDB reports an overlap anywhere before a conflict anywhere.
  for (size_t j = 0; j < paths.size(); ++j) {
    for (size_t i = 0; i < j; ++i) {
      const auto& a = paths[i].elements;
      const auto& b = paths[j].elements;
      size_t m = std::min(a.size(), b.size());
      if (std::equal(a.begin(), a.begin() + m, b.begin())) {
        return message("overlap", paths[i], paths[j]);
      }
    }
  }
  for (size_t j = 0; j < paths.size(); ++j) {
    for (size_t i = 0; i < j; ++i) {
      const auto& a = paths[i].elements;
      const auto& b = paths[j].elements;
      size_t m = std::min(a.size(), b.size());
      for (size_t k = 0; k < m; ++k) {
        if (a[k] == b[k]) continue;
        if (a[k].kind != b[k].kind) {
          return message("conflict", paths[i], paths[j]);
        }
        break;
      }
    }
  }
  return Status::OK();
}

}  // namespace expr_internal
}  // namespace godwit
