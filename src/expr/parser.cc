// The syntax pass: a recursive-descent parser over the tokens of lexer.cc,
// one grammar per expression kind (keywords case-insensitive):
//
//   condition  := or
//   or         := and ( OR and )*
//   and        := not ( AND not )*
//   not        := NOT not | primary
//   primary    := '(' condition ')'
//               | operand comparator operand
//               | operand BETWEEN operand AND operand
//               | operand IN '(' operand ( ',' operand )* ')'
//               | call                        (a function used as condition)
//   comparator := '=' | '<>' | '<' | '<=' | '>' | '>='
//   operand    := call | path | value-ref
//   call       := ident '(' operand ( ',' operand )* ')'
//   path       := element ( '.' element | '[' number ']' )*
//   element    := ident | name-ref
//
//   update     := clause+
//   clause     := SET set-action ( ',' set-action )*
//               | REMOVE path ( ',' path )*
//               | ADD path value-ref ( ',' path value-ref )*
//               | DELETE path value-ref ( ',' path value-ref )*
//   set-action := path '=' set-value
//   set-value  := set-term ( ( '+' | '-' ) set-term )?
//   set-term   := operand | '(' set-value ')'
//
//   projection := path ( ',' path )*
//
// Keywords (AND OR NOT BETWEEN IN, and SET REMOVE ADD DELETE in updates)
// cannot be bare attribute names. Recursion depth (parentheses, NOT, nested
// calls) is capped at kMaxExpressionNesting.
//
// A syntax error names the offending token and the text "near" it: from the
// start of the previous token to the end of the next one, as DynamoDB does
// ("a-b" -> token "-", near "a-b"); at the end of input the token is "<EOF>"
// and the text runs from the previous token to the end.
#include <charconv>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "expr/ast.h"

namespace godwit {
namespace expr_internal {

Status ExprError(ExpressionKind kind, std::string_view detail) {
  std::string msg = "Invalid ";
  msg += ExpressionKindName(kind);
  msg += ": ";
  msg += detail;
  return Status::InvalidArgument(std::move(msg));
}

namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 'a' + 'A');
    if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 'a' + 'A');
    if (x != y) return false;
  }
  return true;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

class Parser {
 public:
  Parser(std::string_view expr, ExpressionKind kind, Occurrences* occ)
      : expr_(expr), kind_(kind), occ_(occ), toks_(Lex(expr)) {}

  Status WholeCondition(Condition* out) {
    RETURN_IF_ERROR(ParseOr(0, out));
    if (Peek().type != Tok::kEof) return SyntaxError();
    return Status::OK();
  }

  Status WholeUpdate(Update* out) {
    while (Peek().type != Tok::kEof) {
      const Token& t = Peek();
      UpdateAction::Kind section;
      if (!SectionKeyword(t, &section)) return SyntaxError();
      occ_->sections.push_back(Upper(Text(t)));
      Advance();
      while (true) {
        UpdateAction action;
        action.kind = section;
        RETURN_IF_ERROR(ParseAction(&action));
        out->actions.push_back(std::move(action));
        if (Peek().type == Tok::kComma) {
          Advance();
          continue;
        }
        break;
      }
      UpdateAction::Kind ignored;
      if (Peek().type != Tok::kEof && !SectionKeyword(Peek(), &ignored)) {
        return SyntaxError();
      }
    }
    return Status::OK();
  }

  Status WholeProjection(std::vector<Operand>* out) {
    while (true) {
      Operand path;
      RETURN_IF_ERROR(ParsePath(&path));
      out->push_back(std::move(path));
      if (Peek().type == Tok::kComma) {
        Advance();
        continue;
      }
      if (Peek().type == Tok::kEof) return Status::OK();
      return SyntaxError();
    }
  }

 private:
  const Token& Peek(size_t ahead = 0) const {
    size_t k = i_ + ahead;
    return k < toks_.size() ? toks_[k] : toks_.back();
  }
  void Advance() {
    if (i_ + 1 < toks_.size()) ++i_;
  }
  std::string_view Text(const Token& t) const {
    return expr_.substr(t.pos, t.len);
  }

  bool IsWord(const Token& t, std::string_view word) const {
    return t.type == Tok::kIdent && EqualsIgnoreCase(Text(t), word);
  }

  // Words the grammar of this kind reserves for itself.
  bool IsKeyword(const Token& t) const {
    if (t.type != Tok::kIdent) return false;
    if (kind_ == ExpressionKind::kProjection) return false;
    std::string_view s = Text(t);
    for (std::string_view w : {"AND", "OR", "NOT", "BETWEEN", "IN"}) {
      if (EqualsIgnoreCase(s, w)) return true;
    }
    if (kind_ == ExpressionKind::kUpdate) {
      for (std::string_view w : {"SET", "REMOVE", "ADD", "DELETE"}) {
        if (EqualsIgnoreCase(s, w)) return true;
      }
    }
    return false;
  }

  bool SectionKeyword(const Token& t, UpdateAction::Kind* out) const {
    if (IsWord(t, "SET")) {
      *out = UpdateAction::Kind::kSet;
    } else if (IsWord(t, "REMOVE")) {
      *out = UpdateAction::Kind::kRemove;
    } else if (IsWord(t, "ADD")) {
      *out = UpdateAction::Kind::kAdd;
    } else if (IsWord(t, "DELETE")) {
      *out = UpdateAction::Kind::kDelete;
    } else {
      return false;
    }
    return true;
  }

  Status SyntaxError() const {
    const Token& t = toks_[i_];
    size_t start = i_ > 0 ? toks_[i_ - 1].pos : t.pos;
    size_t end;
    std::string token;
    if (t.type == Tok::kEof) {
      token = "<EOF>";
      end = expr_.size();
    } else {
      token = std::string(Text(t));
      const Token& next = toks_[i_ + 1];  // kEof at worst
      end = next.type == Tok::kEof ? t.pos + t.len : next.pos + next.len;
    }
    std::string detail = "Syntax error; token: \"";
    detail += token;
    detail += "\", near: \"";
    detail += expr_.substr(start, end - start);
    detail += "\"";
    return ExprError(kind_, detail);
  }

  Status Expect(Tok type) {
    if (Peek().type != type) return SyntaxError();
    Advance();
    return Status::OK();
  }

  Status CheckDepth(int depth) const {
    if (depth > kMaxExpressionNesting) {
      return ExprError(kind_,
                       "The expression has too many nesting levels; "
                       "maximum: " +
                           std::to_string(kMaxExpressionNesting));
    }
    return Status::OK();
  }

  // --- conditions ---------------------------------------------------------

  Status ParseOr(int depth, Condition* out) {
    Condition first;
    RETURN_IF_ERROR(ParseAnd(depth, &first));
    if (!IsWord(Peek(), "OR")) {
      *out = std::move(first);
      return Status::OK();
    }
    Condition node;
    node.kind = Condition::Kind::kOr;
    node.pos = first.pos;
    node.children.push_back(std::move(first));
    while (IsWord(Peek(), "OR")) {
      Advance();
      Condition next;
      RETURN_IF_ERROR(ParseAnd(depth, &next));
      node.children.push_back(std::move(next));
    }
    *out = std::move(node);
    return Status::OK();
  }

  Status ParseAnd(int depth, Condition* out) {
    Condition first;
    RETURN_IF_ERROR(ParseNot(depth, &first));
    if (!IsWord(Peek(), "AND")) {
      *out = std::move(first);
      return Status::OK();
    }
    Condition node;
    node.kind = Condition::Kind::kAnd;
    node.pos = first.pos;
    node.children.push_back(std::move(first));
    while (IsWord(Peek(), "AND")) {
      Advance();
      Condition next;
      RETURN_IF_ERROR(ParseNot(depth, &next));
      node.children.push_back(std::move(next));
    }
    *out = std::move(node);
    return Status::OK();
  }

  Status ParseNot(int depth, Condition* out) {
    if (IsWord(Peek(), "NOT")) {
      RETURN_IF_ERROR(CheckDepth(depth + 1));
      Condition node;
      node.kind = Condition::Kind::kNot;
      node.pos = Peek().pos;
      Advance();
      Condition child;
      RETURN_IF_ERROR(ParseNot(depth + 1, &child));
      node.children.push_back(std::move(child));
      *out = std::move(node);
      return Status::OK();
    }
    return ParsePrimary(depth, out);
  }

  static bool Comparator(Tok t, CmpOp* op) {
    switch (t) {
      case Tok::kEq:
        *op = CmpOp::kEq;
        return true;
      case Tok::kNe:
        *op = CmpOp::kNe;
        return true;
      case Tok::kLt:
        *op = CmpOp::kLt;
        return true;
      case Tok::kLe:
        *op = CmpOp::kLe;
        return true;
      case Tok::kGt:
        *op = CmpOp::kGt;
        return true;
      case Tok::kGe:
        *op = CmpOp::kGe;
        return true;
      default:
        return false;
    }
  }

  Status ParsePrimary(int depth, Condition* out) {
    if (Peek().type == Tok::kLParen) {
      RETURN_IF_ERROR(CheckDepth(depth + 1));
      uint32_t pos = Peek().pos;
      Advance();
      Condition inner;
      RETURN_IF_ERROR(ParseOr(depth + 1, &inner));
      RETURN_IF_ERROR(Expect(Tok::kRParen));
      if (inner.parenthesized) occ_->redundant_parentheses = true;
      inner.parenthesized = true;
      inner.pos = pos;
      *out = std::move(inner);
      return Status::OK();
    }
    Condition node;
    node.pos = Peek().pos;
    Operand first;
    RETURN_IF_ERROR(ParseOperand(depth, &first));
    CmpOp op;
    if (Comparator(Peek().type, &op)) {
      Advance();
      Operand second;
      RETURN_IF_ERROR(ParseOperand(depth, &second));
      node.kind = Condition::Kind::kCompare;
      node.op = op;
      node.operands.push_back(std::move(first));
      node.operands.push_back(std::move(second));
    } else if (IsWord(Peek(), "BETWEEN")) {
      Advance();
      Operand low, high;
      RETURN_IF_ERROR(ParseOperand(depth, &low));
      if (!IsWord(Peek(), "AND")) return SyntaxError();
      Advance();
      RETURN_IF_ERROR(ParseOperand(depth, &high));
      node.kind = Condition::Kind::kBetween;
      node.operands.push_back(std::move(first));
      node.operands.push_back(std::move(low));
      node.operands.push_back(std::move(high));
    } else if (IsWord(Peek(), "IN")) {
      Advance();
      RETURN_IF_ERROR(Expect(Tok::kLParen));
      node.kind = Condition::Kind::kIn;
      node.operands.push_back(std::move(first));
      while (true) {
        Operand item;
        RETURN_IF_ERROR(ParseOperand(depth, &item));
        node.operands.push_back(std::move(item));
        if (Peek().type == Tok::kComma) {
          Advance();
          continue;
        }
        break;
      }
      RETURN_IF_ERROR(Expect(Tok::kRParen));
    } else if (first.kind == Operand::Kind::kCall) {
      node.kind = Condition::Kind::kFunction;
      node.operands.push_back(std::move(first));
    } else {
      return SyntaxError();
    }
    *out = std::move(node);
    return Status::OK();
  }

  // --- operands -----------------------------------------------------------

  Status ParseOperand(int depth, Operand* out) {
    const Token& t = Peek();
    out->pos = t.pos;
    if (t.type == Tok::kValueRef) {
      out->kind = Operand::Kind::kValue;
      out->ref = std::string(Text(t));
      occ_->value_refs.push_back(out->ref);
      Advance();
      return Status::OK();
    }
    if (t.type == Tok::kIdent && !IsKeyword(t) &&
        Peek(1).type == Tok::kLParen) {
      RETURN_IF_ERROR(CheckDepth(depth + 1));
      out->kind = Operand::Kind::kCall;
      out->fn = std::string(Text(t));
      occ_->functions.push_back(out->fn);
      Advance();
      Advance();
      while (true) {
        Operand arg;
        RETURN_IF_ERROR(ParseOperand(depth + 1, &arg));
        out->args.push_back(std::move(arg));
        if (Peek().type == Tok::kComma) {
          Advance();
          continue;
        }
        break;
      }
      return Expect(Tok::kRParen);
    }
    return ParsePath(out);
  }

  Status ParseElement(Operand* out) {
    const Token& t = Peek();
    RawElement e;
    if (t.type == Tok::kIdent && !IsKeyword(t)) {
      e.text = std::string(Text(t));
      occ_->bare_names.push_back(e.text);
    } else if (t.type == Tok::kNameRef) {
      e.placeholder = true;
      e.text = std::string(Text(t));
      occ_->name_refs.push_back(e.text);
    } else {
      return SyntaxError();
    }
    out->raw_path.push_back(std::move(e));
    Advance();
    return Status::OK();
  }

  Status ParsePath(Operand* out) {
    out->kind = Operand::Kind::kPath;
    out->pos = Peek().pos;
    RETURN_IF_ERROR(ParseElement(out));
    while (true) {
      if (Peek().type == Tok::kDot) {
        Advance();
        RETURN_IF_ERROR(ParseElement(out));
      } else if (Peek().type == Tok::kLBracket) {
        Advance();
        const Token& num = Peek();
        if (num.type != Tok::kNumber) return SyntaxError();
        std::string_view digits = Text(num);
        uint32_t index = 0;
        auto [ptr, ec] = std::from_chars(digits.data(),
                                         digits.data() + digits.size(), index);
        if (ec != std::errc() || ptr != digits.data() + digits.size() ||
            index > static_cast<uint32_t>(INT32_MAX)) {
          return SyntaxError();
        }
        Advance();
        RETURN_IF_ERROR(Expect(Tok::kRBracket));
        RawElement e;
        e.kind = PathElement::Kind::kIndex;
        e.index = index;
        out->raw_path.push_back(std::move(e));
      } else {
        break;
      }
    }
    int depth = static_cast<int>(out->raw_path.size());
    if (depth > occ_->max_path_depth) occ_->max_path_depth = depth;
    return Status::OK();
  }

  // --- updates ------------------------------------------------------------

  Status ParseAction(UpdateAction* action) {
    RETURN_IF_ERROR(ParsePath(&action->target));
    switch (action->kind) {
      case UpdateAction::Kind::kSet:
        RETURN_IF_ERROR(Expect(Tok::kEq));
        return ParseSetValue(0, &action->value);
      case UpdateAction::Kind::kRemove:
        return Status::OK();
      case UpdateAction::Kind::kAdd:
      case UpdateAction::Kind::kDelete: {
        const Token& t = Peek();
        if (t.type != Tok::kValueRef) return SyntaxError();
        return ParseOperand(0, &action->value);
      }
    }
    return Status::OK();
  }

  Status ParseSetValue(int depth, Operand* out) {
    Operand lhs;
    RETURN_IF_ERROR(ParseSetTerm(depth, &lhs));
    Tok t = Peek().type;
    if (t != Tok::kPlus && t != Tok::kMinus) {
      *out = std::move(lhs);
      return Status::OK();
    }
    Advance();
    Operand rhs;
    RETURN_IF_ERROR(ParseSetTerm(depth, &rhs));
    out->kind = t == Tok::kPlus ? Operand::Kind::kPlus : Operand::Kind::kMinus;
    out->pos = lhs.pos;
    out->args.push_back(std::move(lhs));
    out->args.push_back(std::move(rhs));
    return Status::OK();
  }

  Status ParseSetTerm(int depth, Operand* out) {
    if (Peek().type == Tok::kLParen) {
      RETURN_IF_ERROR(CheckDepth(depth + 1));
      Advance();
      RETURN_IF_ERROR(ParseSetValue(depth + 1, out));
      return Expect(Tok::kRParen);
    }
    return ParseOperand(depth, out);
  }

  std::string_view expr_;
  ExpressionKind kind_;
  Occurrences* occ_;
  std::vector<Token> toks_;
  size_t i_ = 0;
};

}  // namespace

Status ParseConditionSyntax(std::string_view expr, ExpressionKind kind,
                            Condition* out, Occurrences* occ) {
  Parser p(expr, kind, occ);
  return p.WholeCondition(out);
}

Status ParseUpdateSyntax(std::string_view expr, Update* out, Occurrences* occ) {
  Parser p(expr, ExpressionKind::kUpdate, occ);
  return p.WholeUpdate(out);
}

Status ParseProjectionSyntax(std::string_view expr, std::vector<Operand>* paths,
                             Occurrences* occ) {
  Parser p(expr, ExpressionKind::kProjection, occ);
  return p.WholeProjection(paths);
}

}  // namespace expr_internal
}  // namespace godwit
