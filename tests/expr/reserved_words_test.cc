// The reserved-word list: complete, sorted, case-insensitive; and the
// lexer's view of tricky input.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "expr/ast.h"
#include "godwit/expression.h"

namespace godwit {
namespace expr_internal {
const std::string_view* ReservedWordsBegin();
size_t ReservedWordsCount();
}  // namespace expr_internal

namespace {

TEST(ReservedWords, ListIsSortedAndComplete) {
  const std::string_view* words = expr_internal::ReservedWordsBegin();
  size_t n = expr_internal::ReservedWordsCount();
  EXPECT_EQ(n, 573u);
  EXPECT_EQ(words[0], "ABORT");
  EXPECT_EQ(words[n - 1], "ZONE");
  for (size_t i = 1; i < n; ++i) {
    EXPECT_LT(words[i - 1], words[i]) << i;
  }
  for (size_t i = 0; i < n; ++i) {
    EXPECT_TRUE(IsReservedWord(words[i])) << words[i];
  }
}

TEST(ReservedWords, CaseInsensitive) {
  EXPECT_TRUE(IsReservedWord("status"));
  EXPECT_TRUE(IsReservedWord("Status"));
  EXPECT_TRUE(IsReservedWord("STATUS"));
  EXPECT_TRUE(IsReservedWord("name"));
  EXPECT_TRUE(IsReservedWord("ttl"));
  EXPECT_TRUE(IsReservedWord("flattern"));  // sic, DynamoDB's spelling
  EXPECT_TRUE(IsReservedWord("inNter"));
}

TEST(ReservedWords, OrdinaryNamesAreNotReserved) {
  for (const char* w :
       {"pk", "sk", "customerId", "attribute_exists", "begins_with", "ABORTED",
        "", "a", "LOCALTIMESTAMPS", "statuses"}) {
    EXPECT_FALSE(IsReservedWord(w)) << w;
  }
}

TEST(Lexer, TokensAndPositions) {
  std::vector<expr_internal::Token> t =
      expr_internal::Lex("a.b[12] <>:v1 AND #n<=size(x)");
  using expr_internal::Tok;
  std::vector<Tok> types;
  for (const auto& tok : t) types.push_back(tok.type);
  std::vector<Tok> want = {
      Tok::kIdent,  Tok::kDot,      Tok::kIdent,  Tok::kLBracket,
      Tok::kNumber, Tok::kRBracket, Tok::kNe,     Tok::kValueRef,
      Tok::kIdent,  Tok::kNameRef,  Tok::kLe,     Tok::kIdent,
      Tok::kLParen, Tok::kIdent,    Tok::kRParen, Tok::kEof};
  EXPECT_EQ(types, want);
  EXPECT_EQ(t[4].pos, 4u);
  EXPECT_EQ(t[4].len, 2u);
  EXPECT_EQ(t[7].pos, 10u);
  EXPECT_EQ(t[7].len, 3u);
  EXPECT_EQ(t.back().pos, 29u);
}

TEST(Lexer, InvalidBytesBecomeSingleTokens) {
  std::vector<expr_internal::Token> t = expr_internal::Lex("\xE2\x82\xAC!\x80");
  ASSERT_EQ(t.size(), 4u);
  EXPECT_EQ(t[0].type, expr_internal::Tok::kInvalid);
  EXPECT_EQ(t[0].len, 3u);  // one UTF-8 sequence
  EXPECT_EQ(t[1].len, 1u);
  EXPECT_EQ(t[2].len, 1u);
  // A truncated sequence at the end stays inside the input.
  std::vector<expr_internal::Token> cut = expr_internal::Lex("\xE2\x82");
  ASSERT_EQ(cut.size(), 2u);
  EXPECT_EQ(cut[0].len, 2u);
}

TEST(DocumentPathTest, ToStringRendersLikeDynamoDB) {
  DocumentPath p{
      {PathElement::Name("a"), PathElement::Index(3), PathElement::Name("b")}};
  EXPECT_EQ(p.ToString(), "[a, [3], b]");
}

TEST(ExpressionKindTest, Names) {
  EXPECT_EQ(ExpressionKindName(ExpressionKind::kCondition),
            "ConditionExpression");
  EXPECT_EQ(ExpressionKindName(ExpressionKind::kFilter), "FilterExpression");
  EXPECT_EQ(ExpressionKindName(ExpressionKind::kKeyCondition),
            "KeyConditionExpression");
  EXPECT_EQ(ExpressionKindName(ExpressionKind::kProjection),
            "ProjectionExpression");
  EXPECT_EQ(ExpressionKindName(ExpressionKind::kUpdate), "UpdateExpression");
}

}  // namespace
}  // namespace godwit
