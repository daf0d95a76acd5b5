#include "godwit/status.h"

#include <gtest/gtest.h>

#include <string>

namespace godwit {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) return Status::InvalidArgument("odd: " + std::to_string(x));
  return x / 2;
}

Result<int> Quarter(int x) {
  ASSIGN_OR_RETURN(int h, Half(x));
  ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

Status CheckEven(int x) {
  RETURN_IF_ERROR(Half(x));
  return Status::OK();
}

TEST(Status, OkIsDefaultAndEmpty) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kOk);
  EXPECT_EQ(s.message(), "");
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(Status, CarriesCodeAndMessage) {
  Status s = Status::NotFound("table Orders");
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(s.IsNotFound());
  EXPECT_EQ(s.ToString(), "NotFound: table Orders");
  Status copy = s;
  EXPECT_EQ(copy, s);
  EXPECT_EQ(s.WithContext("open").message(), "open: table Orders");
  EXPECT_TRUE(Status::OK().WithContext("x").ok());
}

TEST(Status, RetryableCodes) {
  EXPECT_TRUE(Status::ResourceExhausted("throttled").retryable());
  EXPECT_TRUE(Status::Unavailable("503").retryable());
  EXPECT_TRUE(Status::DeadlineExceeded("t").retryable());
  EXPECT_FALSE(Status::Aborted("condition").retryable());
  EXPECT_FALSE(Status::InvalidArgument("x").retryable());
  EXPECT_FALSE(Status::DataLoss("x").retryable());
}

TEST(Result, PropagatesThroughMacros) {
  EXPECT_EQ(*Quarter(12), 3);
  Result<int> bad = Quarter(6);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().ToString(), "InvalidArgument: odd: 3");
  EXPECT_TRUE(CheckEven(4).ok());
  EXPECT_TRUE(CheckEven(5).IsInvalidArgument());
}

TEST(Result, OkStatusBecomesInternal) {
  Result<int> r(Status::OK());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace godwit
