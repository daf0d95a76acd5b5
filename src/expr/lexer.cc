// The expression lexer. Token grammar (bytes):
//   space     := ' ' | '\t' | '\r' | '\n'            (skipped)
//   ident     := [A-Za-z] [A-Za-z0-9_]*     (DynamoDB: no leading '_')
//   name-ref  := '#' [A-Za-z0-9_]+
//   value-ref := ':' [A-Za-z0-9_]+
//   number    := [0-9]+
//   punct     := '(' ')' '[' ']' ',' '.' '=' '<>' '<=' '<' '>=' '>' '+' '-'
//   invalid   := anything else: one byte, or one whole UTF-8 sequence
// A lone '#' or ':' is an invalid token. Keywords (AND, SET, ...) are idents;
// the parser recognises them case-insensitively.
#include <string_view>
#include <vector>

#include "expr/ast.h"

namespace godwit {
namespace expr_internal {
namespace {

bool IsAlpha(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool IsDigit(unsigned char c) { return c >= '0' && c <= '9'; }
bool IsWord(unsigned char c) { return IsAlpha(c) || IsDigit(c) || c == '_'; }

// Length of the UTF-8 sequence starting with lead byte c (1 for ASCII and
// for stray continuation bytes).
size_t Utf8Length(unsigned char c) {
  if (c >= 0xF0 && c <= 0xF7) return 4;
  if (c >= 0xE0) return 3;
  if (c >= 0xC0) return 2;
  return 1;
}

}  // namespace

std::vector<Token> Lex(std::string_view expr) {
  std::vector<Token> out;
  out.reserve(expr.size() / 2 + 2);
  size_t i = 0;
  const size_t n = expr.size();
  auto at = [&](size_t k) -> unsigned char {
    return k < n ? static_cast<unsigned char>(expr[k]) : 0;
  };
  auto emit = [&](Tok t, size_t start, size_t len) {
    out.push_back(
        Token{t, static_cast<uint32_t>(start), static_cast<uint32_t>(len)});
  };
  while (i < n) {
    unsigned char c = at(i);
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      ++i;
      continue;
    }
    size_t start = i;
    if (IsAlpha(c)) {
      while (i < n && IsWord(at(i))) ++i;
      emit(Tok::kIdent, start, i - start);
      continue;
    }
    if (IsDigit(c)) {
      while (i < n && IsDigit(at(i))) ++i;
      emit(Tok::kNumber, start, i - start);
      continue;
    }
    if (c == '#' || c == ':') {
      ++i;
      while (i < n && IsWord(at(i))) ++i;
      if (i - start == 1) {
        emit(Tok::kInvalid, start, 1);
      } else {
        emit(c == '#' ? Tok::kNameRef : Tok::kValueRef, start, i - start);
      }
      continue;
    }
    switch (c) {
      case '(':
        emit(Tok::kLParen, start, 1);
        break;
      case ')':
        emit(Tok::kRParen, start, 1);
        break;
      case '[':
        emit(Tok::kLBracket, start, 1);
        break;
      case ']':
        emit(Tok::kRBracket, start, 1);
        break;
      case ',':
        emit(Tok::kComma, start, 1);
        break;
      case '.':
        emit(Tok::kDot, start, 1);
        break;
      case '=':
        emit(Tok::kEq, start, 1);
        break;
      case '+':
        emit(Tok::kPlus, start, 1);
        break;
      case '-':
        emit(Tok::kMinus, start, 1);
        break;
      case '<':
        if (at(i + 1) == '>') {
          emit(Tok::kNe, start, 2);
          ++i;
        } else if (at(i + 1) == '=') {
          emit(Tok::kLe, start, 2);
          ++i;
        } else {
          emit(Tok::kLt, start, 1);
        }
        break;
      case '>':
        if (at(i + 1) == '=') {
          emit(Tok::kGe, start, 2);
          ++i;
        } else {
          emit(Tok::kGt, start, 1);
        }
        break;
      default: {
        size_t len = Utf8Length(c);
        if (start + len > n) len = n - start;
        emit(Tok::kInvalid, start, len);
        i += len - 1;
        break;
      }
    }
    ++i;
  }
  emit(Tok::kEof, n, 0);
  return out;
}

}  // namespace expr_internal
}  // namespace godwit
