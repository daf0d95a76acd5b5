// UpdateExpression: validation after the syntax pass, and application.
//
// Validation order (DynamoDB's, as far as it shows): length, syntax, path
// depth, reserved words, function names, repeated sections, undefined
// placeholders, operator count, ADD/DELETE operand types, path overlap, path
// conflict, SET operand rules (function arity, paths, literal types).
//
// Application: every right-hand side is evaluated against the old item
// first; REMOVE targets are checked against the old item too. Then SET, ADD
// and DELETE write in ascending path order (paths never overlap, so only
// appends past the end of one list notice the order: they land sorted by
// index, as DynamoDB documents), and the removals (REMOVE targets that
// exist, and sets that DELETE emptied) run last, in descending path order,
// so that list indexes always mean positions in the old list.
#include <algorithm>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "expr/ast.h"
#include "godwit/expression.h"

namespace godwit {

using expr_internal::ExprError;
using expr_internal::Operand;
using expr_internal::Update;
using expr_internal::UpdateAction;

namespace {

constexpr ExpressionKind kUpdateKind = ExpressionKind::kUpdate;

constexpr char kMissingAttribute[] =
    "The provided expression refers to an attribute that does not exist in "
    "the item";
constexpr char kInvalidPath[] =
    "The document path provided in the update expression is invalid for "
    "update";
constexpr char kIncorrectType[] =
    "An operand in the update expression has an incorrect data type";

// The operand type names of the ADD/DELETE messages.
std::string_view LongTypeName(AttrType t) {
  switch (t) {
    case AttrType::kS:
      return "STRING";
    case AttrType::kN:
      return "NUMBER";
    case AttrType::kB:
      return "BINARY";
    case AttrType::kBool:
      return "BOOLEAN";
    case AttrType::kNull:
      return "NULL";
    case AttrType::kM:
      return "MAP";
    case AttrType::kL:
      return "LIST";
    case AttrType::kSS:
      return "STRING_SET";
    case AttrType::kNS:
      return "NUMBER_SET";
    case AttrType::kBS:
      return "BINARY_SET";
  }
  return "UNKNOWN";
}

bool IsSet(AttrType t) {
  return t == AttrType::kSS || t == AttrType::kNS || t == AttrType::kBS;
}

Status OperandCount(std::string_view fn, size_t n) {
  return ExprError(kUpdateKind,
                   "Incorrect number of operands for operator or function; "
                   "operator or function: " +
                       std::string(fn) +
                       ", number of operands: " + std::to_string(n));
}

Status IncorrectOperandType(std::string_view fn, AttrType t) {
  return ExprError(kUpdateKind,
                   "Incorrect operand type for operator or function; "
                   "operator or function: " +
                       std::string(fn) +
                       ", operand type: " + std::string(AttrTypeName(t)));
}

// Rules for a SET right-hand side.
Status CheckSetValue(const Operand& op) {
  switch (op.kind) {
    case Operand::Kind::kPath:
    case Operand::Kind::kValue:
      return Status::OK();
    case Operand::Kind::kPlus:
    case Operand::Kind::kMinus: {
      std::string_view name = op.kind == Operand::Kind::kPlus ? "+" : "-";
      for (const Operand& arg : op.args) {
        RETURN_IF_ERROR(CheckSetValue(arg));
      }
      for (const Operand& arg : op.args) {
        if (arg.kind == Operand::Kind::kValue && !arg.value.is(AttrType::kN)) {
          return IncorrectOperandType(name, arg.value.type());
        }
      }
      return Status::OK();
    }
    case Operand::Kind::kCall:
      break;
  }
  if (op.args.size() != 2) return OperandCount(op.fn, op.args.size());
  if (op.fn == "if_not_exists") {
    if (op.args[0].kind != Operand::Kind::kPath) {
      return ExprError(kUpdateKind,
                       "Operator or function requires a document path; "
                       "operator or function: if_not_exists");
    }
    return CheckSetValue(op.args[1]);
  }
  // list_append
  for (const Operand& arg : op.args) {
    if (arg.kind == Operand::Kind::kCall && arg.fn == "list_append") {
      return ExprError(kUpdateKind,
                       "The function is not allowed to be used this way in "
                       "an expression; function: list_append");
    }
    RETURN_IF_ERROR(CheckSetValue(arg));
  }
  for (const Operand& arg : op.args) {
    if (arg.kind == Operand::Kind::kValue && !arg.value.is(AttrType::kL)) {
      return IncorrectOperandType("list_append", arg.value.type());
    }
  }
  return Status::OK();
}

// ---------------------------------------------------------------------------
// Application helpers.

// Evaluates a SET right-hand side against the old item.
Result<AttributeValue> EvalValue(const Operand& op, const Item& old) {
  switch (op.kind) {
    case Operand::Kind::kValue:
      return op.value;
    case Operand::Kind::kPath: {
      const AttributeValue* v = FindPath(old, op.path);
      if (v == nullptr) return Status::InvalidArgument(kMissingAttribute);
      return *v;
    }
    case Operand::Kind::kPlus:
    case Operand::Kind::kMinus: {
      ASSIGN_OR_RETURN(AttributeValue a, EvalValue(op.args[0], old));
      ASSIGN_OR_RETURN(AttributeValue b, EvalValue(op.args[1], old));
      if (!a.is(AttrType::kN) || !b.is(AttrType::kN)) {
        return Status::InvalidArgument(kIncorrectType);
      }
      Result<Number> r = op.kind == Operand::Kind::kPlus
                             ? AddNumbers(a.n(), b.n())
                             : SubtractNumbers(a.n(), b.n());
      if (!r.ok()) return r.status();
      return AttributeValue::N(std::move(r).value());
    }
    case Operand::Kind::kCall:
      break;
  }
  if (op.fn == "if_not_exists") {
    const AttributeValue* v = FindPath(old, op.args[0].path);
    if (v != nullptr) return *v;
    return EvalValue(op.args[1], old);
  }
  // list_append
  ASSIGN_OR_RETURN(AttributeValue a, EvalValue(op.args[0], old));
  ASSIGN_OR_RETURN(AttributeValue b, EvalValue(op.args[1], old));
  if (!a.is(AttrType::kL) || !b.is(AttrType::kL)) {
    return Status::InvalidArgument(kIncorrectType);
  }
  AttributeValue::List out = a.l();
  out.insert(out.end(), b.l().begin(), b.l().end());
  return AttributeValue::L(std::move(out));
}

// The container holding the last element of `path` (nullptr for a
// top-level attribute, whose container is the item). Error if a step is
// missing or the container's type does not fit the last element.
Status FindParent(Item* item, const DocumentPath& path,
                  AttributeValue** parent) {
  *parent = nullptr;
  const auto& el = path.elements;
  if (el.size() == 1) return Status::OK();
  AttributeValue* v = item->Find(el[0].name);
  for (size_t i = 1; v != nullptr && i + 1 < el.size(); ++i) {
    if (el[i].is_name()) {
      v = v->is(AttrType::kM) ? v->mutable_m().Find(el[i].name) : nullptr;
    } else if (v->is(AttrType::kL) && el[i].index < v->l().size()) {
      v = &v->mutable_l()[el[i].index];
    } else {
      v = nullptr;
    }
  }
  if (v == nullptr) return Status::InvalidArgument(kInvalidPath);
  const PathElement& last = el.back();
  if (last.is_name() ? !v->is(AttrType::kM) : !v->is(AttrType::kL)) {
    return Status::InvalidArgument(kInvalidPath);
  }
  *parent = v;
  return Status::OK();
}

// The existing value at the end of `path` inside `parent` (or the item).
AttributeValue* FindChild(Item* item, AttributeValue* parent,
                          const PathElement& last) {
  if (parent == nullptr) return item->Find(last.name);
  if (last.is_name()) return parent->mutable_m().Find(last.name);
  if (last.index < parent->l().size()) {
    return &parent->mutable_l()[last.index];
  }
  return nullptr;
}

// Writes `value` at the end of `path` (a list index past the end appends).
void Store(Item* item, AttributeValue* parent, const PathElement& last,
           AttributeValue value) {
  if (parent == nullptr) {
    item->Set(last.name, std::move(value));
  } else if (last.is_name()) {
    parent->mutable_m().Set(last.name, std::move(value));
  } else if (last.index < parent->l().size()) {
    parent->mutable_l()[last.index] = std::move(value);
  } else {
    parent->mutable_l().push_back(std::move(value));
  }
}

// Union or difference of two sets of one type; canonical order kept.
AttributeValue SetOp(const AttributeValue& a, const AttributeValue& b,
                     bool add) {
  if (a.is(AttrType::kNS)) {
    auto less = [](const Number& x, const Number& y) {
      return x.Compare(y) < 0;
    };
    AttributeValue::NumberSet out;
    if (add) {
      std::set_union(a.ns().begin(), a.ns().end(), b.ns().begin(), b.ns().end(),
                     std::back_inserter(out), less);
    } else {
      std::set_difference(a.ns().begin(), a.ns().end(), b.ns().begin(),
                          b.ns().end(), std::back_inserter(out), less);
    }
    return AttributeValue::NSUnchecked(std::move(out));
  }
  const AttributeValue::StringSet& x = a.is(AttrType::kSS) ? a.ss() : a.bs();
  const AttributeValue::StringSet& y = b.is(AttrType::kSS) ? b.ss() : b.bs();
  AttributeValue::StringSet out;
  if (add) {
    std::set_union(x.begin(), x.end(), y.begin(), y.end(),
                   std::back_inserter(out));
  } else {
    std::set_difference(x.begin(), x.end(), y.begin(), y.end(),
                        std::back_inserter(out));
  }
  return a.is(AttrType::kSS) ? AttributeValue::SSUnchecked(std::move(out))
                             : AttributeValue::BSUnchecked(std::move(out));
}

bool SetEmpty(const AttributeValue& v) {
  switch (v.type()) {
    case AttrType::kSS:
      return v.ss().empty();
    case AttrType::kBS:
      return v.bs().empty();
    case AttrType::kNS:
      return v.ns().empty();
    default:
      return false;
  }
}

// Ascending path order: names bytewise, list indexes numerically, names
// before indexes, a prefix first.
bool PathLess(const DocumentPath& a, const DocumentPath& b) {
  const auto& x = a.elements;
  const auto& y = b.elements;
  size_t m = std::min(x.size(), y.size());
  for (size_t i = 0; i < m; ++i) {
    if (x[i] == y[i]) continue;
    if (x[i].kind != y[i].kind) return x[i].kind < y[i].kind;
    if (x[i].is_name()) return x[i].name < y[i].name;
    return x[i].index < y[i].index;
  }
  return x.size() < y.size();
}

// Removals run in descending path order: later list positions first.
bool RemoveBefore(const DocumentPath& a, const DocumentPath& b) {
  return PathLess(b, a);
}

void Remove(Item* item, const DocumentPath& path) {
  AttributeValue* parent = nullptr;
  if (!FindParent(item, path, &parent).ok()) return;
  const PathElement& last = path.elements.back();
  if (parent == nullptr) {
    item->Erase(last.name);
  } else if (last.is_name()) {
    parent->mutable_m().Erase(last.name);
  } else if (last.index < parent->l().size()) {
    auto& l = parent->mutable_l();
    l.erase(l.begin() + last.index);
  }
}

}  // namespace

const std::vector<DocumentPath>& ParsedUpdate::target_paths() const {
  static const std::vector<DocumentPath> kNone;
  return impl_ != nullptr ? impl_->targets : kNone;
}

Result<ParsedUpdate> ParseUpdate(std::string_view expression,
                                 const ExpressionContext& ctx) {
  RETURN_IF_ERROR(expr_internal::CheckLength(expression, kUpdateKind));
  auto update = std::make_shared<Update>();
  expr_internal::Occurrences occ;
  RETURN_IF_ERROR(
      expr_internal::ParseUpdateSyntax(expression, update.get(), &occ));
  RETURN_IF_ERROR(
      expr_internal::CheckOccurrences(expression, kUpdateKind, occ, ctx));
  int ops = 0;
  for (UpdateAction& a : update->actions) {
    expr_internal::ResolveOperand(&a.target, ctx);
    if (a.kind != UpdateAction::Kind::kRemove) {
      expr_internal::ResolveOperand(&a.value, ctx);
      ops += expr_internal::CountOperators(a.value);
    }
    update->targets.push_back(a.target.path);
  }
  if (ops > kMaxExpressionOperators) {
    return ExprError(kUpdateKind,
                     "The expression contains too many operators; operator "
                     "count: " +
                         std::to_string(ops));
  }
  for (const UpdateAction& a : update->actions) {
    if (a.kind != UpdateAction::Kind::kAdd &&
        a.kind != UpdateAction::Kind::kDelete) {
      continue;
    }
    AttrType t = a.value.value.type();
    bool add = a.kind == UpdateAction::Kind::kAdd;
    bool ok = IsSet(t) || (add && t == AttrType::kN);
    if (!ok) {
      return ExprError(
          kUpdateKind,
          "Incorrect operand type for operator or function; operator: " +
              std::string(add ? "ADD" : "DELETE") + ", operand type: " +
              std::string(LongTypeName(t)) + ", typeSet: " +
              std::string(add ? "ALLOWED_FOR_ADD_OPERAND"
                              : "ALLOWED_FOR_DELETE_OPERAND"));
    }
  }
  RETURN_IF_ERROR(
      expr_internal::CheckPathsDisjoint(update->targets, kUpdateKind));
  for (const UpdateAction& a : update->actions) {
    if (a.kind == UpdateAction::Kind::kSet) {
      RETURN_IF_ERROR(CheckSetValue(a.value));
    }
  }
  ParsedUpdate out;
  out.impl_ = std::move(update);
  return out;
}

Status CheckUpdateKeepsKey(const ParsedUpdate& update,
                           const KeySchema& schema) {
  for (const DocumentPath& p : update.target_paths()) {
    const std::string& top = p.elements[0].name;
    if (top == schema.hash.name ||
        (schema.range.has_value() && top == schema.range->name)) {
      return Status::InvalidArgument(
          "One or more parameter values were invalid: Cannot update "
          "attribute " +
          top + ". This attribute is part of the key");
    }
  }
  return Status::OK();
}

Result<UpdateResult> ApplyUpdate(const ParsedUpdate& update,
                                 const Item* old_item, const Item* key_item) {
  static const Item kEmpty;
  const bool exists = old_item != nullptr;
  const Item& old =
      exists ? *old_item : (key_item != nullptr ? *key_item : kEmpty);
  UpdateResult result;
  result.item = old;
  if (update.impl_ == nullptr) return result;
  const Update& u = *update.impl_;

  // 1. Right-hand sides and removal targets, against the old item.
  std::vector<AttributeValue> values(u.actions.size());
  std::vector<DocumentPath> removals;
  for (size_t i = 0; i < u.actions.size(); ++i) {
    const UpdateAction& a = u.actions[i];
    if (a.kind == UpdateAction::Kind::kSet) {
      ASSIGN_OR_RETURN(values[i], EvalValue(a.value, old));
    } else if (a.kind == UpdateAction::Kind::kRemove) {
      AttributeValue* parent = nullptr;
      Status s = FindParent(&result.item, a.target.path, &parent);
      if (!s.ok()) {
        if (!exists) continue;  // DynamoDB ignores it on a missing item
        return s;
      }
      if (FindChild(&result.item, parent, a.target.path.elements.back()) !=
          nullptr) {
        removals.push_back(a.target.path);
      }
    }
  }

  // 2. SET, ADD, DELETE in path order (list appends by index).
  std::vector<size_t> order;
  for (size_t i = 0; i < u.actions.size(); ++i) {
    if (u.actions[i].kind != UpdateAction::Kind::kRemove) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
    return PathLess(u.actions[x].target.path, u.actions[y].target.path);
  });
  for (size_t i : order) {
    const UpdateAction& a = u.actions[i];
    const DocumentPath& path = a.target.path;
    AttributeValue* parent = nullptr;
    RETURN_IF_ERROR(FindParent(&result.item, path, &parent));
    const PathElement& last = path.elements.back();
    AttributeValue* current = FindChild(&result.item, parent, last);
    switch (a.kind) {
      case UpdateAction::Kind::kSet:
        Store(&result.item, parent, last, std::move(values[i]));
        break;
      case UpdateAction::Kind::kAdd: {
        const AttributeValue& v = a.value.value;
        if (current == nullptr) {
          Store(&result.item, parent, last, v);
        } else if (current->type() != v.type()) {
          return Status::InvalidArgument(kIncorrectType);
        } else if (v.is(AttrType::kN)) {
          ASSIGN_OR_RETURN(Number sum, AddNumbers(current->n(), v.n()));
          *current = AttributeValue::N(std::move(sum));
        } else {
          *current = SetOp(*current, v, /*add=*/true);
        }
        break;
      }
      case UpdateAction::Kind::kDelete: {
        const AttributeValue& v = a.value.value;
        if (current == nullptr) break;
        if (current->type() != v.type()) {
          return Status::InvalidArgument(kIncorrectType);
        }
        *current = SetOp(*current, v, /*add=*/false);
        if (SetEmpty(*current)) removals.push_back(path);
        break;
      }
      case UpdateAction::Kind::kRemove:
        break;
    }
  }

  // 3. Removals, later list positions first.
  std::sort(removals.begin(), removals.end(), RemoveBefore);
  for (const DocumentPath& p : removals) Remove(&result.item, p);

  for (const DocumentPath& p : u.targets) {
    result.changed_attributes.push_back(p.elements[0].name);
  }
  std::sort(result.changed_attributes.begin(), result.changed_attributes.end());
  result.changed_attributes.erase(std::unique(result.changed_attributes.begin(),
                                              result.changed_attributes.end()),
                                  result.changed_attributes.end());
  if (exists) result.updated_old = ProjectPaths(u.targets, *old_item);
  result.updated_new = ProjectPaths(u.targets, result.item);
  return result;
}

}  // namespace godwit
