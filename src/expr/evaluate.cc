// Condition evaluation with DynamoDB's semantics.
//
//   operand missing (absent path, size of a number, ...):
//       "<>" is true, every other comparison, BETWEEN and IN are false
//   operands of different types: "=" false, "<>" true, ordering false
//   ordering: only N (numeric), S and B (bytewise, unsigned)
//   size(x): S and B length in bytes, sets/L/M element count, else none
//   contains(a, b): substring (S in S, B in B), set membership (S in SS,
//       N in NS, B in BS), or list membership (any type in L)
//   begins_with(a, b): prefix, both S or both B
#include <cstring>
#include <string>
#include <string_view>

#include "expr/ast.h"

namespace godwit {
namespace expr_internal {

int CompareScalars(const AttributeValue& a, const AttributeValue& b) {
  if (a.is(AttrType::kN)) return a.n().Compare(b.n());
  const std::string& x = a.is(AttrType::kS) ? a.s() : a.b();
  const std::string& y = b.is(AttrType::kS) ? b.s() : b.b();
  size_t m = x.size() < y.size() ? x.size() : y.size();
  int c = m == 0 ? 0 : std::memcmp(x.data(), y.data(), m);
  if (c != 0) return c < 0 ? -1 : 1;
  if (x.size() == y.size()) return 0;
  return x.size() < y.size() ? -1 : 1;
}

bool EvalOperand(const Operand& op, const Item* item,
                 const AttributeValue** out, AttributeValue* scratch) {
  switch (op.kind) {
    case Operand::Kind::kPath:
      if (item == nullptr) return false;
      *out = FindPath(*item, op.path);
      return *out != nullptr;
    case Operand::Kind::kValue:
      *out = &op.value;
      return true;
    case Operand::Kind::kCall: {
      // Only size() evaluates to a value (validated at parse time).
      if (op.fn != "size" || op.args.size() != 1) return false;
      const AttributeValue* v = nullptr;
      AttributeValue inner;
      if (!EvalOperand(op.args[0], item, &v, &inner)) return false;
      int64_t size;
      switch (v->type()) {
        case AttrType::kS:
          size = static_cast<int64_t>(v->s().size());
          break;
        case AttrType::kB:
          size = static_cast<int64_t>(v->b().size());
          break;
        case AttrType::kSS:
          size = static_cast<int64_t>(v->ss().size());
          break;
        case AttrType::kBS:
          size = static_cast<int64_t>(v->bs().size());
          break;
        case AttrType::kNS:
          size = static_cast<int64_t>(v->ns().size());
          break;
        case AttrType::kL:
          size = static_cast<int64_t>(v->l().size());
          break;
        case AttrType::kM:
          size = static_cast<int64_t>(v->m().size());
          break;
        default:
          return false;
      }
      *scratch = AttributeValue::N(Number::FromInt64(size));
      *out = scratch;
      return true;
    }
    case Operand::Kind::kPlus:
    case Operand::Kind::kMinus:
      return false;  // update expressions only
  }
  return false;
}

namespace {

bool Compare(CmpOp op, const AttributeValue* a, const AttributeValue* b) {
  if (a == nullptr || b == nullptr || a->type() != b->type()) {
    return op == CmpOp::kNe;
  }
  switch (op) {
    case CmpOp::kEq:
      return *a == *b;
    case CmpOp::kNe:
      return !(*a == *b);
    default:
      break;
  }
  if (!IsOrderedType(a->type())) return false;
  int c = CompareScalars(*a, *b);
  switch (op) {
    case CmpOp::kLt:
      return c < 0;
    case CmpOp::kLe:
      return c <= 0;
    case CmpOp::kGt:
      return c > 0;
    case CmpOp::kGe:
      return c >= 0;
    default:
      return false;
  }
}

bool Contains(const AttributeValue& a, const AttributeValue& b) {
  switch (a.type()) {
    case AttrType::kS:
      return b.is(AttrType::kS) && a.s().find(b.s()) != std::string::npos;
    case AttrType::kB:
      return b.is(AttrType::kB) && a.b().find(b.b()) != std::string::npos;
    case AttrType::kSS:
      if (!b.is(AttrType::kS)) return false;
      for (const std::string& m : a.ss()) {
        if (m == b.s()) return true;
      }
      return false;
    case AttrType::kBS:
      if (!b.is(AttrType::kB)) return false;
      for (const std::string& m : a.bs()) {
        if (m == b.b()) return true;
      }
      return false;
    case AttrType::kNS:
      if (!b.is(AttrType::kN)) return false;
      for (const Number& m : a.ns()) {
        if (m == b.n()) return true;
      }
      return false;
    case AttrType::kL:
      for (const AttributeValue& e : a.l()) {
        if (e == b) return true;
      }
      return false;
    default:
      return false;
  }
}

bool BeginsWith(const AttributeValue& a, const AttributeValue& b) {
  if (a.type() != b.type()) return false;
  if (a.is(AttrType::kS))
    return a.s().compare(0, b.s().size(), b.s()) == 0 &&
           a.s().size() >= b.s().size();
  if (a.is(AttrType::kB))
    return a.b().compare(0, b.b().size(), b.b()) == 0 &&
           a.b().size() >= b.b().size();
  return false;
}

bool EvalFunction(const Operand& call, const Item* item) {
  const std::string& fn = call.fn;
  if (fn == "attribute_exists" || fn == "attribute_not_exists") {
    bool exists = item != nullptr &&
                  call.args[0].kind == Operand::Kind::kPath &&
                  FindPath(*item, call.args[0].path) != nullptr;
    return fn == "attribute_exists" ? exists : !exists;
  }
  if (call.args.size() != 2) return false;
  const AttributeValue* a = nullptr;
  const AttributeValue* b = nullptr;
  AttributeValue sa, sb;
  if (!EvalOperand(call.args[0], item, &a, &sa)) return false;
  if (!EvalOperand(call.args[1], item, &b, &sb)) return false;
  if (fn == "attribute_type") {
    return b->is(AttrType::kS) && AttrTypeName(a->type()) == b->s();
  }
  if (fn == "begins_with") return BeginsWith(*a, *b);
  if (fn == "contains") return Contains(*a, *b);
  return false;
}

}  // namespace

bool EvalCondition(const Condition& c, const Item* item) {
  switch (c.kind) {
    case Condition::Kind::kAnd:
      for (const Condition& child : c.children) {
        if (!EvalCondition(child, item)) return false;
      }
      return true;
    case Condition::Kind::kOr:
      for (const Condition& child : c.children) {
        if (EvalCondition(child, item)) return true;
      }
      return false;
    case Condition::Kind::kNot:
      return !EvalCondition(c.children[0], item);
    case Condition::Kind::kCompare: {
      const AttributeValue* a = nullptr;
      const AttributeValue* b = nullptr;
      AttributeValue sa, sb;
      if (!EvalOperand(c.operands[0], item, &a, &sa)) a = nullptr;
      if (!EvalOperand(c.operands[1], item, &b, &sb)) b = nullptr;
      return Compare(c.op, a, b);
    }
    case Condition::Kind::kBetween: {
      const AttributeValue* v = nullptr;
      const AttributeValue* lo = nullptr;
      const AttributeValue* hi = nullptr;
      AttributeValue sv, sl, sh;
      if (!EvalOperand(c.operands[0], item, &v, &sv) ||
          !EvalOperand(c.operands[1], item, &lo, &sl) ||
          !EvalOperand(c.operands[2], item, &hi, &sh)) {
        return false;
      }
      if (v->type() != lo->type() || v->type() != hi->type() ||
          !IsOrderedType(v->type())) {
        return false;
      }
      return CompareScalars(*lo, *v) <= 0 && CompareScalars(*v, *hi) <= 0;
    }
    case Condition::Kind::kIn: {
      const AttributeValue* v = nullptr;
      AttributeValue sv;
      if (!EvalOperand(c.operands[0], item, &v, &sv)) return false;
      for (size_t i = 1; i < c.operands.size(); ++i) {
        const AttributeValue* x = nullptr;
        AttributeValue sx;
        if (EvalOperand(c.operands[i], item, &x, &sx) && *x == *v) return true;
      }
      return false;
    }
    case Condition::Kind::kFunction:
      return EvalFunction(c.operands[0], item);
  }
  return false;
}

}  // namespace expr_internal
}  // namespace godwit
