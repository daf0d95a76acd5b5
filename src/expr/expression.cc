// Entry points shared by every expression kind: the placeholder context, the
// checks DynamoDB makes on any expression before its semantics (length,
// path depth, reserved words, function names, placeholders), and the
// ConditionExpression / FilterExpression / ProjectionExpression parsers.
#include "godwit/expression.h"

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "expr/ast.h"

namespace godwit {

using expr_internal::Condition;
using expr_internal::ExprError;
using expr_internal::Occurrences;
using expr_internal::Operand;

std::string_view ExpressionKindName(ExpressionKind kind) {
  switch (kind) {
    case ExpressionKind::kCondition:
      return "ConditionExpression";
    case ExpressionKind::kFilter:
      return "FilterExpression";
    case ExpressionKind::kKeyCondition:
      return "KeyConditionExpression";
    case ExpressionKind::kProjection:
      return "ProjectionExpression";
    case ExpressionKind::kUpdate:
      return "UpdateExpression";
  }
  return "Expression";
}

std::string DocumentPath::ToString() const {
  std::string out = "[";
  for (size_t i = 0; i < elements.size(); ++i) {
    if (i > 0) out += ", ";
    const PathElement& e = elements[i];
    if (e.is_name()) {
      out += e.name;
    } else {
      out += "[" + std::to_string(e.index) + "]";
    }
  }
  out += "]";
  return out;
}

const AttributeValue* FindPath(const Item& item, const DocumentPath& path) {
  if (path.elements.empty() || !path.elements[0].is_name()) return nullptr;
  const AttributeValue* v = item.Find(path.elements[0].name);
  for (size_t i = 1; v != nullptr && i < path.elements.size(); ++i) {
    const PathElement& e = path.elements[i];
    if (e.is_name()) {
      v = v->is(AttrType::kM) ? v->m().Find(e.name) : nullptr;
    } else if (v->is(AttrType::kL) && e.index < v->l().size()) {
      v = &v->l()[e.index];
    } else {
      v = nullptr;
    }
  }
  return v;
}

// ---------------------------------------------------------------------------
// ExpressionContext.

ExpressionContext::ExpressionContext(std::optional<NameMap> names,
                                     std::optional<ValueMap> values)
    : names_(std::move(names)), values_(std::move(values)) {}

namespace {

bool IsPlaceholderKey(std::string_view key, char sigil) {
  if (key.size() < 2 || key[0] != sigil) return false;
  for (size_t i = 1; i < key.size(); ++i) {
    char c = key[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

template <typename Map>
Status ValidateKeys(const Map& map, std::string_view what, char sigil) {
  if (map.empty()) {
    return Status::InvalidArgument(std::string(what) + " must not be empty");
  }
  for (const auto& [key, unused] : map) {
    if (key.size() > kMaxPlaceholderBytes) {
      return Status::InvalidArgument(
          std::string(what) +
          " contains invalid key: The expression attribute map contains a "
          "key that is too long; size of key: " +
          std::to_string(key.size()));
    }
    if (!IsPlaceholderKey(key, sigil)) {
      return Status::InvalidArgument(std::string(what) +
                                     " contains invalid key: Syntax error; "
                                     "key: \"" +
                                     key + "\"");
    }
  }
  return Status::OK();
}

template <typename Map, typename Used>
std::string UnusedKeys(const Map& map, const Used& used) {
  std::string keys;
  for (const auto& [key, unused] : map) {
    if (used.count(key) != 0) continue;
    if (!keys.empty()) keys += ", ";
    keys += key;
  }
  return keys;
}

}  // namespace

Status ExpressionContext::Validate() const {
  if (names_) {
    RETURN_IF_ERROR(ValidateKeys(*names_, "ExpressionAttributeNames", '#'));
    for (const auto& [key, name] : *names_) {
      if (name.empty()) {
        return Status::InvalidArgument(
            "ExpressionAttributeNames contains invalid value: The attribute "
            "name can not be empty; key: " +
            key);
      }
    }
  }
  if (values_) {
    RETURN_IF_ERROR(ValidateKeys(*values_, "ExpressionAttributeValues", ':'));
  }
  return Status::OK();
}

const std::string* ExpressionContext::LookupName(
    std::string_view placeholder) const {
  if (!names_) return nullptr;
  auto it = names_->find(placeholder);
  if (it == names_->end()) return nullptr;
  used_names_.insert(it->first);
  return &it->second;
}

const AttributeValue* ExpressionContext::LookupValue(
    std::string_view placeholder) const {
  if (!values_) return nullptr;
  auto it = values_->find(placeholder);
  if (it == values_->end()) return nullptr;
  used_values_.insert(it->first);
  return &it->second;
}

Status CheckAllUsed(const ExpressionContext& ctx) {
  if (ctx.names_) {
    std::string keys = UnusedKeys(*ctx.names_, ctx.used_names_);
    if (!keys.empty()) {
      return Status::InvalidArgument(
          "Value provided in ExpressionAttributeNames unused in expressions: "
          "keys: {" +
          keys + "}");
    }
  }
  if (ctx.values_) {
    std::string keys = UnusedKeys(*ctx.values_, ctx.used_values_);
    if (!keys.empty()) {
      return Status::InvalidArgument(
          "Value provided in ExpressionAttributeValues unused in expressions: "
          "keys: {" +
          keys + "}");
    }
  }
  return Status::OK();
}

// ---------------------------------------------------------------------------
// Checks common to all kinds.

namespace expr_internal {
namespace {

constexpr std::string_view kConditionFunctions[] = {
    "attribute_exists", "attribute_not_exists",
    "attribute_type",   "begins_with",
    "contains",         "size"};
constexpr std::string_view kUpdateFunctions[] = {"if_not_exists",
                                                 "list_append"};

template <size_t N>
bool OneOf(std::string_view s, const std::string_view (&list)[N]) {
  return std::find(std::begin(list), std::end(list), s) != std::end(list);
}

}  // namespace

Status CheckLength(std::string_view expr, ExpressionKind kind) {
  if (expr.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return ExprError(kind, "The expression can not be empty;");
  }
  if (expr.size() > kMaxExpressionBytes) {
    return ExprError(kind,
                     "Expression size has exceeded the maximum allowed size; "
                     "expression size: " +
                         std::to_string(expr.size()));
  }
  return Status::OK();
}

Status CheckOccurrences(std::string_view expr, ExpressionKind kind,
                        const Occurrences& occ, const ExpressionContext& ctx) {
  if (occ.max_path_depth > kMaxDocumentPathDepth) {
    return ExprError(kind,
                     "The document path has too many nesting levels; "
                     "nesting levels: " +
                         std::to_string(occ.max_path_depth));
  }
  if (occ.redundant_parentheses) {
    return ExprError(kind, "The expression has redundant parentheses;");
  }
  for (const std::string& name : occ.bare_names) {
    if (IsReservedWord(name)) {
      return ExprError(
          kind,
          "Attribute name is a reserved keyword; reserved keyword: " + name);
    }
  }
  const bool update = kind == ExpressionKind::kUpdate;
  for (const std::string& fn : occ.functions) {
    bool cond_fn = OneOf(fn, kConditionFunctions);
    bool update_fn = OneOf(fn, kUpdateFunctions);
    if (update ? update_fn : cond_fn) continue;
    if (update && cond_fn) {
      return ExprError(kind,
                       "The function is not allowed in an update expression; "
                       "function: " +
                           fn);
    }
    if (!update && update_fn) {
      return ExprError(kind,
                       "The function is not allowed in a condition "
                       "expression; function: " +
                           fn);
    }
    return ExprError(kind, "Invalid function name; function: " + fn);
  }
  for (size_t i = 0; i < occ.sections.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (occ.sections[i] == occ.sections[j]) {
        return ExprError(kind, "The \"" + occ.sections[i] +
                                   "\" section can only be used once in an "
                                   "update expression;");
      }
    }
  }
  for (const std::string& ref : occ.name_refs) {
    if (ctx.LookupName(ref) == nullptr) {
      return ExprError(kind,
                       "An expression attribute name used in the document "
                       "path is not defined; attribute name: " +
                           ref);
    }
  }
  for (const std::string& ref : occ.value_refs) {
    if (ctx.LookupValue(ref) == nullptr) {
      return ExprError(kind,
                       "An expression attribute value used in expression is "
                       "not defined; attribute value: " +
                           ref);
    }
  }
  return Status::OK();
}

void ResolveOperand(Operand* op, const ExpressionContext& ctx) {
  switch (op->kind) {
    case Operand::Kind::kPath: {
      op->path.elements.clear();
      op->path.elements.reserve(op->raw_path.size());
      for (const RawElement& e : op->raw_path) {
        if (e.kind == PathElement::Kind::kIndex) {
          op->path.elements.push_back(PathElement::Index(e.index));
        } else if (e.placeholder) {
          const std::string* name = ctx.LookupName(e.text);
          op->path.elements.push_back(
              PathElement::Name(name != nullptr ? *name : e.text));
        } else {
          op->path.elements.push_back(PathElement::Name(e.text));
        }
      }
      break;
    }
    case Operand::Kind::kValue: {
      const AttributeValue* v = ctx.LookupValue(op->ref);
      if (v != nullptr) op->value = *v;
      break;
    }
    case Operand::Kind::kCall:
    case Operand::Kind::kPlus:
    case Operand::Kind::kMinus:
      for (Operand& arg : op->args) ResolveOperand(&arg, ctx);
      break;
  }
}

void ResolveCondition(Condition* c, const ExpressionContext& ctx) {
  for (Condition& child : c->children) ResolveCondition(&child, ctx);
  for (Operand& op : c->operands) ResolveOperand(&op, ctx);
}

// Parses and validates a condition-like expression (condition, filter, key
// condition).
Result<std::shared_ptr<Condition>> ParseConditionTree(
    std::string_view expr, const ExpressionContext& ctx, ExpressionKind kind) {
  RETURN_IF_ERROR(CheckLength(expr, kind));
  auto cond = std::make_shared<Condition>();
  Occurrences occ;
  RETURN_IF_ERROR(ParseConditionSyntax(expr, kind, cond.get(), &occ));
  RETURN_IF_ERROR(CheckOccurrences(expr, kind, occ, ctx));
  ResolveCondition(cond.get(), ctx);
  int ops = CountOperators(*cond);
  if (ops > kMaxExpressionOperators) {
    return ExprError(kind,
                     "The expression contains too many operators; operator "
                     "count: " +
                         std::to_string(ops));
  }
  RETURN_IF_ERROR(CheckConditionSemantics(*cond, kind));
  return cond;
}

}  // namespace expr_internal

// ---------------------------------------------------------------------------
// Conditions and filters.

Result<ParsedCondition> ParseCondition(std::string_view expression,
                                       const ExpressionContext& ctx,
                                       ExpressionKind kind) {
  if (kind != ExpressionKind::kFilter) kind = ExpressionKind::kCondition;
  ASSIGN_OR_RETURN(std::shared_ptr<Condition> tree,
                   expr_internal::ParseConditionTree(expression, ctx, kind));
  ParsedCondition out;
  out.root_ = std::move(tree);
  return out;
}

bool EvaluateCondition(const ParsedCondition& condition, const Item* item) {
  if (condition.root_ == nullptr) return true;
  return expr_internal::EvalCondition(*condition.root_, item);
}

// ---------------------------------------------------------------------------
// Projections.

Result<ParsedProjection> ParseProjection(std::string_view expression,
                                         const ExpressionContext& ctx) {
  constexpr ExpressionKind kind = ExpressionKind::kProjection;
  RETURN_IF_ERROR(expr_internal::CheckLength(expression, kind));
  std::vector<Operand> paths;
  Occurrences occ;
  RETURN_IF_ERROR(
      expr_internal::ParseProjectionSyntax(expression, &paths, &occ));
  RETURN_IF_ERROR(expr_internal::CheckOccurrences(expression, kind, occ, ctx));
  ParsedProjection out;
  out.paths_.reserve(paths.size());
  for (Operand& p : paths) {
    expr_internal::ResolveOperand(&p, ctx);
    out.paths_.push_back(std::move(p.path));
  }
  RETURN_IF_ERROR(expr_internal::CheckPathsDisjoint(out.paths_, kind));
  return out;
}

}  // namespace godwit
