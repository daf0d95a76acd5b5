// KeyConditionExpression: parsed with the condition grammar (DynamoDB uses
// one parser for both), then reduced to what a Query needs.
//
// Shape checks, per condition in text order, then over the whole:
//   OR, NOT, IN, <> and functions other than begins_with are refused
//   ("Invalid operator used in KeyConditionExpression: OR");
//   size() anywhere: "KeyConditionExpressions cannot contain nested
//   operations"; BETWEEN and begins_with need the key first; exactly one
//   top-level attribute per condition; one condition per key; at most two
//   conditions. Then against the schema: the partition key with "=", the
//   other condition on the sort key, values of the key's type.
#include <string>
#include <string_view>
#include <vector>

#include "expr/ast.h"
#include "godwit/expression.h"

namespace godwit {

using expr_internal::CmpOp;
using expr_internal::Condition;
using expr_internal::Operand;

std::string_view SortKeyOpName(SortKeyOp op) {
  switch (op) {
    case SortKeyOp::kEq:
      return "=";
    case SortKeyOp::kLt:
      return "<";
    case SortKeyOp::kLe:
      return "<=";
    case SortKeyOp::kGt:
      return ">";
    case SortKeyOp::kGe:
      return ">=";
    case SortKeyOp::kBetween:
      return "BETWEEN";
    case SortKeyOp::kBeginsWith:
      return "begins_with";
  }
  return "?";
}

bool SortKeyCondition::Matches(const AttributeValue& v) const {
  if (v.type() != value.type()) return false;
  if (op == SortKeyOp::kBeginsWith) {
    const std::string& s = v.is(AttrType::kB) ? v.b() : v.s();
    const std::string& p = value.is(AttrType::kB) ? value.b() : value.s();
    if (!v.is(AttrType::kS) && !v.is(AttrType::kB)) return false;
    return s.size() >= p.size() && s.compare(0, p.size(), p) == 0;
  }
  if (!expr_internal::IsOrderedType(v.type())) return false;
  int c = expr_internal::CompareScalars(v, value);
  switch (op) {
    case SortKeyOp::kEq:
      return c == 0;
    case SortKeyOp::kLt:
      return c < 0;
    case SortKeyOp::kLe:
      return c <= 0;
    case SortKeyOp::kGt:
      return c > 0;
    case SortKeyOp::kGe:
      return c >= 0;
    case SortKeyOp::kBetween:
      return upper.type() == v.type() && c >= 0 &&
             expr_internal::CompareScalars(v, upper) <= 0;
    case SortKeyOp::kBeginsWith:
      break;
  }
  return false;
}

bool KeyCondition::Matches(const Key& key) const {
  if (!(key.hash == hash_value)) return false;
  if (!sort.has_value()) return true;
  return key.range.has_value() && sort->Matches(*key.range);
}

namespace {

// One primitive key condition after the shape checks.
struct Part {
  std::string attribute;
  SortKeyOp op = SortKeyOp::kEq;
  std::vector<AttributeValue> values;
};

Status InvalidOperator(std::string_view op) {
  return Status::InvalidArgument(
      "Invalid operator used in KeyConditionExpression: " + std::string(op));
}

Status InvalidCondition(std::string_view detail) {
  return Status::InvalidArgument(
      "Invalid condition in KeyConditionExpression: " + std::string(detail));
}

SortKeyOp FromCmp(CmpOp op, bool flipped) {
  switch (op) {
    case CmpOp::kLt:
      return flipped ? SortKeyOp::kGt : SortKeyOp::kLt;
    case CmpOp::kLe:
      return flipped ? SortKeyOp::kGe : SortKeyOp::kLe;
    case CmpOp::kGt:
      return flipped ? SortKeyOp::kLt : SortKeyOp::kGt;
    case CmpOp::kGe:
      return flipped ? SortKeyOp::kLe : SortKeyOp::kGe;
    default:
      return SortKeyOp::kEq;
  }
}

Status Collect(const Condition& c, std::vector<Part>* parts) {
  const std::vector<Operand>* operands = &c.operands;
  switch (c.kind) {
    case Condition::Kind::kAnd:
      for (const Condition& child : c.children) {
        RETURN_IF_ERROR(Collect(child, parts));
      }
      return Status::OK();
    case Condition::Kind::kOr:
      return InvalidOperator("OR");
    case Condition::Kind::kNot:
      return InvalidOperator("NOT");
    case Condition::Kind::kIn:
      return InvalidOperator("IN");
    case Condition::Kind::kCompare:
      if (c.op == CmpOp::kNe) return InvalidOperator("<>");
      break;
    case Condition::Kind::kFunction: {
      const Operand& call = c.operands[0];
      if (call.fn != "begins_with") return InvalidOperator(call.fn);
      if (call.args.empty() || call.args[0].kind != Operand::Kind::kPath) {
        return InvalidCondition(
            "begins_with operator must have the key attribute as its first "
            "operand");
      }
      operands = &call.args;
      break;
    }
    case Condition::Kind::kBetween:
      if (c.operands[0].kind != Operand::Kind::kPath) {
        return InvalidCondition(
            "BETWEEN operator must have the key attribute as its first "
            "operand");
      }
      break;
  }
  Part part;
  size_t path_index = 0;
  bool have_path = false;
  for (size_t i = 0; i < operands->size(); ++i) {
    const Operand& op = (*operands)[i];
    if (op.kind == Operand::Kind::kPath) {
      if (have_path) {
        return InvalidCondition(
            "Multiple attribute names used in one condition");
      }
      if (op.path.elements.size() > 1) {
        return Status::InvalidArgument(
            "KeyConditionExpressions cannot have conditions on nested "
            "attributes");
      }
      have_path = true;
      path_index = i;
      part.attribute = op.path.elements[0].name;
    } else if (op.kind == Operand::Kind::kCall) {
      return Status::InvalidArgument(
          "KeyConditionExpressions cannot contain nested operations");
    }
  }
  if (!have_path) return InvalidCondition("No key attribute specified");
  for (const Part& p : *parts) {
    if (p.attribute == part.attribute) {
      return Status::InvalidArgument(
          "KeyConditionExpressions must only contain one condition per key");
    }
  }
  for (size_t i = 0; i < operands->size(); ++i) {
    if (i != path_index) part.values.push_back((*operands)[i].value);
  }
  if (c.kind == Condition::Kind::kFunction) {
    part.op = SortKeyOp::kBeginsWith;
  } else if (c.kind == Condition::Kind::kBetween) {
    part.op = SortKeyOp::kBetween;
  } else {
    part.op = FromCmp(c.op, path_index != 0);
  }
  parts->push_back(std::move(part));
  return Status::OK();
}

Status CheckType(const AttributeValue& v, AttrType want) {
  if (v.type() != want) {
    return Status::InvalidArgument(
        "One or more parameter values were invalid: Condition parameter type "
        "does not match schema type");
  }
  return Status::OK();
}

}  // namespace

Result<KeyCondition> ParseKeyCondition(std::string_view expression,
                                       const ExpressionContext& ctx,
                                       const KeySchema& schema) {
  ASSIGN_OR_RETURN(std::shared_ptr<Condition> tree,
                   expr_internal::ParseConditionTree(
                       expression, ctx, ExpressionKind::kKeyCondition));
  std::vector<Part> parts;
  RETURN_IF_ERROR(Collect(*tree, &parts));
  if (parts.size() > 2) {
    return Status::InvalidArgument("Conditions can be of length 1 or 2 only");
  }
  const Part* hash = nullptr;
  const Part* range = nullptr;
  const Part* other = nullptr;
  for (const Part& p : parts) {
    if (p.attribute == schema.hash.name) {
      hash = &p;
    } else if (schema.range.has_value() && p.attribute == schema.range->name) {
      range = &p;
    } else {
      other = &p;
    }
  }
  if (hash == nullptr) {
    return Status::InvalidArgument(
        "Query condition missed key schema element: " + schema.hash.name);
  }
  if (hash->op != SortKeyOp::kEq) {
    return Status::InvalidArgument("Query key condition not supported");
  }
  if (other != nullptr) {
    if (schema.range.has_value()) {
      return Status::InvalidArgument(
          "Query condition missed key schema element: " + schema.range->name);
    }
    return Status::InvalidArgument("Query key condition not supported");
  }
  RETURN_IF_ERROR(CheckType(hash->values[0], schema.hash.type));
  KeyCondition out;
  out.hash_attribute = hash->attribute;
  out.hash_value = hash->values[0];
  if (range != nullptr) {
    for (const AttributeValue& v : range->values) {
      RETURN_IF_ERROR(CheckType(v, schema.range->type));
    }
    SortKeyCondition sort;
    sort.attribute = range->attribute;
    sort.op = range->op;
    sort.value = range->values[0];
    if (range->op == SortKeyOp::kBetween) sort.upper = range->values[1];
    out.sort = std::move(sort);
  }
  return out;
}

}  // namespace godwit
