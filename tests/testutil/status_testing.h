// gtest assertions on Status and Result<T>, shared by the tests:
//
//   ASSERT_OK(table->Put(item)) << "context";
//   EXPECT_OK(store->CreateTable("T", opts));
//   ASSERT_OK_AND_ASSIGN(std::shared_ptr<Table> t, store->GetTable("T"));
//
// The message names the expression and the status.
#ifndef GODWIT_TESTUTIL_STATUS_TESTING_H_
#define GODWIT_TESTUTIL_STATUS_TESTING_H_

#include <gtest/gtest.h>

#include "godwit/status.h"

#define ASSERT_OK(expr)                                                    \
  switch (0)                                                               \
  case 0:                                                                  \
  default:                                                                 \
    if (::godwit::Status s_ = ::godwit::internal::AsStatus(expr); s_.ok()) \
      ;                                                                    \
    else                                                                   \
      FAIL() << #expr << ": " << s_.ToString() << " "

#define EXPECT_OK(expr)                                                    \
  switch (0)                                                               \
  case 0:                                                                  \
  default:                                                                 \
    if (::godwit::Status s_ = ::godwit::internal::AsStatus(expr); s_.ok()) \
      ;                                                                    \
    else                                                                   \
      ADD_FAILURE() << #expr << ": " << s_.ToString() << " "

#define ASSERT_OK_AND_ASSIGN(lhs, rexpr) \
  ASSERT_OK_AND_ASSIGN_IMPL_(GODWIT_CONCAT_(r_, __LINE__), lhs, rexpr)
#define ASSERT_OK_AND_ASSIGN_IMPL_(r, lhs, rexpr)                 \
  auto r = (rexpr);                                               \
  ASSERT_TRUE(r.ok()) << #rexpr << ": " << r.status().ToString(); \
  lhs = std::move(r).value()

#endif  // GODWIT_TESTUTIL_STATUS_TESTING_H_
