// The error table and how a DynamoDB error type travels: factories put it
// in the Status subcode, the server writes it once (ApiError::FromStatus),
// the remote client reads it back (ApiError::FromResponse).
#include "wire/errors.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace godwit::wire {
namespace {

std::string Body(std::string_view type) {
  return std::string("{\"__type\":\"com.amazonaws.dynamodb.v20120810#") +
         std::string(type) + "\",\"message\":\"m\"}";
}

TEST(ErrorTable, RowsAreConsistent) {
  size_t n = 0;
  const ErrorInfo* rows = ErrorTable(&n);
  ASSERT_GT(n, 20u);
  std::set<std::string_view> names;
  std::set<ErrorType> types;
  for (size_t i = 0; i < n; ++i) {
    const ErrorInfo& e = rows[i];
    EXPECT_TRUE(names.insert(e.name).second) << e.name;
    EXPECT_TRUE(types.insert(e.type).second) << e.name;
    EXPECT_NE(e.type, ErrorType::kNone);
    // retryable is the code's, so a reader never disagrees with retryable().
    EXPECT_EQ(e.retryable, Status(e.code, "x").retryable()) << e.name;
    EXPECT_EQ(FindError(e.name), &e);
    EXPECT_EQ(FindError(e.type), &e);
    EXPECT_TRUE(e.http_status == 400 || e.http_status == 500 ||
                e.http_status == 503)
        << e.name;
  }
  EXPECT_EQ(FindError("NoSuchException"), nullptr);
  EXPECT_EQ(FindError(ErrorType::kNone), nullptr);
  EXPECT_EQ(FindError("com.amazon.coral.service#SerializationException"),
            FindError(ErrorType::kSerialization));
}

// docs/server.md, "Errors": the coral prefix for protocol-level types.
TEST(ErrorTable, TypePrefixes) {
  EXPECT_EQ(FullTypeName("ValidationException"),
            "com.amazonaws.dynamodb.v20120810#ValidationException");
  for (const char* coral :
       {"SerializationException", "UnknownOperationException",
        "MissingAuthenticationTokenException", "InvalidSignatureException"}) {
    EXPECT_EQ(FullTypeName(coral),
              std::string("com.amazon.coral.service#") + coral);
  }
  EXPECT_EQ(FullTypeName("SomethingNew"),
            "com.amazonaws.dynamodb.v20120810#SomethingNew");
  EXPECT_EQ(ErrorBody("ValidationException", "a \"b\"\n"),
            "{\"__type\":\"com.amazonaws.dynamodb.v20120810#"
            "ValidationException\",\"message\":\"a \\\"b\\\"\\u000a\"}");
}

TEST(WireErrors, AFactoryCarriesItsTypeInTheSubcodeNotTheMessage) {
  Status s = Serialization("Malformed JSON request body");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "Malformed JSON request body");
  EXPECT_EQ(ErrorTypeOf(s), ErrorType::kSerialization);
  // Copies and context keep it; a plain status has none.
  Status copy = s;
  EXPECT_EQ(ErrorTypeOf(copy), ErrorType::kSerialization);
  Status ctx = s.WithContext("PutItem");
  EXPECT_EQ(ctx.message(), "PutItem: Malformed JSON request body");
  EXPECT_EQ(ErrorTypeOf(ctx), ErrorType::kSerialization);
  EXPECT_EQ(ErrorTypeOf(Status::InvalidArgument("x")), ErrorType::kNone);
  EXPECT_EQ(ErrorTypeOf(Status::OK()), ErrorType::kNone);
  // Equality sees the subcode: the same text of another type differs.
  EXPECT_FALSE(Validation("x") == Serialization("x"));
  EXPECT_TRUE(Validation("x") == Validation("x"));
}

TEST(WireErrors, TheServerWritesTheCarriedTypeElseTheCodesDefault) {
  struct Case {
    Status status;
    std::string name;
    int http;
    std::string message;
  } cases[] = {
      {Serialization("s"), "SerializationException", 400, "s"},
      {UnknownOperation("u"), "UnknownOperationException", 400, "u"},
      {ResourceInUse("r"), "ResourceInUseException", 400, "r"},
      {TrimmedDataAccess("t"), "TrimmedDataAccessException", 400, "t"},
      {Status::InvalidArgument("v"), "ValidationException", 400, "v"},
      {Status::NotFound("n"), "ResourceNotFoundException", 400, "n"},
      {Status::AlreadyExists("a"), "ResourceInUseException", 400, "a"},
      {Status::Aborted("condition"), "ConditionalCheckFailedException", 400,
       "The conditional request failed"},
      {Status::ResourceExhausted("x"), "ProvisionedThroughputExceededException",
       400, "x"},
      {Status::DataLoss("d"), "TrimmedDataAccessException", 400, "d"},
      {Status::Unavailable("u"), "ServiceUnavailable", 503, "u"},
      {Status::IOError("disk"), "InternalServerError", 500, "disk"},
      {Status::Internal("bug"), "InternalServerError", 500, "bug"},
      {Status::FailedPrecondition("f"), "InternalServerError", 500, "f"},
  };
  for (const Case& c : cases) {
    ApiError e = ApiError::FromStatus(c.status);
    EXPECT_EQ(e.name(), c.name) << c.status.ToString();
    EXPECT_EQ(e.http_status(), c.http) << c.status.ToString();
    EXPECT_EQ(e.message(), c.message) << c.status.ToString();
  }
}

// A store below the server (proxy mode) failing to authenticate is not the
// client's credentials problem.
TEST(WireErrors, ACredentialsErrorFromBelowIsTheServersInternalError) {
  Status below =
      ApiError::FromResponse(400, Body("UnrecognizedClientException"))
          .ToClientStatus()
          .WithContext("GetItem");
  ApiError e = ApiError::FromStatus(below);
  EXPECT_EQ(e.name(), "InternalServerError");
  EXPECT_EQ(e.http_status(), 500);
  // Other types from below pass through (a throttle stays a throttle).
  Status throttled =
      ApiError::FromResponse(400, Body("ThrottlingException")).ToClientStatus();
  EXPECT_EQ(ApiError::FromStatus(throttled).name(), "ThrottlingException");
}

// The remote client's mapping (docs/remote.md, "Retries, throttling,
// errors"), as RemoteClient.ErrorMapping had it.
TEST(WireErrors, AClientReadsTypesIntoCodes) {
  auto code = [](long http, const std::string& body) {
    return ApiError::FromResponse(http, body).ToClientStatus().code();
  };
  for (const char* t :
       {"ProvisionedThroughputExceededException", "ThrottlingException",
        "RequestLimitExceeded", "LimitExceededException", "Throttling",
        "TooManyRequestsException"}) {
    EXPECT_EQ(code(400, Body(t)), StatusCode::kResourceExhausted) << t;
    // A throttle is a throttle even as a 5xx.
    EXPECT_EQ(code(503, Body(t)), StatusCode::kResourceExhausted) << t;
  }
  EXPECT_EQ(code(500, Body("InternalServerError")), StatusCode::kUnavailable);
  EXPECT_EQ(code(400, Body("InternalFailure")), StatusCode::kUnavailable);
  EXPECT_EQ(code(503, "<html>"), StatusCode::kUnavailable);
  EXPECT_EQ(code(500, Body("ValidationException")), StatusCode::kUnavailable);
  EXPECT_EQ(code(400, Body("ConditionalCheckFailedException")),
            StatusCode::kAborted);
  EXPECT_EQ(code(400, Body("TransactionConflictException")),
            StatusCode::kAborted);
  EXPECT_EQ(code(400, Body("ResourceNotFoundException")),
            StatusCode::kNotFound);
  EXPECT_EQ(code(400, Body("ValidationException")),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(code(400, Body("SerializationException")),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(code(400, Body("TrimmedDataAccessException")),
            StatusCode::kDataLoss);
  EXPECT_EQ(code(400, Body("ResourceInUseException")),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(code(400, Body("ExpiredIteratorException")),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(code(400, Body("SomethingNewException")),
            StatusCode::kFailedPrecondition);

  Status auth = ApiError::FromResponse(400, Body("UnrecognizedClientException"))
                    .ToClientStatus();
  EXPECT_EQ(auth.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(auth.message(),
            "UnrecognizedClientException: m (check the credentials and "
            "region)");
  Status in_use = ApiError::FromResponse(400, Body("ResourceInUseException"))
                      .ToClientStatus();
  EXPECT_EQ(in_use.message(), "ResourceInUseException: m");
  EXPECT_EQ(ErrorTypeOf(in_use), ErrorType::kResourceInUse);
  EXPECT_FALSE(in_use.retryable());

  // No JSON: the HTTP status and the start of the body.
  Status html =
      ApiError::FromResponse(502, "<html>bad gateway</html>").ToClientStatus();
  EXPECT_EQ(html.message(), "HTTP 502: <html>bad gateway</html>");
  EXPECT_EQ(ErrorTypeOf(html), ErrorType::kNone);
  // "Message" (capital M) is read too; an unknown type keeps its name.
  Status other = ApiError::FromResponse(
                     400, R"({"__type":"a.b#NewException","Message":"x"})")
                     .ToClientStatus();
  EXPECT_EQ(other.message(), "NewException: x");
  EXPECT_EQ(ErrorTypeOf(other), ErrorType::kNone);
}

// What the server writes, the client reads as the same type.
TEST(WireErrors, EveryTypeRoundTripsThroughTheWire) {
  size_t n = 0;
  const ErrorInfo* rows = ErrorTable(&n);
  for (size_t i = 0; i < n; ++i) {
    ApiError sent(rows[i].type, "what happened");
    ApiError got = ApiError::FromResponse(sent.http_status(), sent.Body());
    EXPECT_EQ(got.type(), rows[i].type) << rows[i].name;
    EXPECT_EQ(got.name(), rows[i].name);
    EXPECT_EQ(got.message(), "what happened");
    EXPECT_EQ(got.ToClientStatus().code(), rows[i].code) << rows[i].name;
    EXPECT_EQ(got.retryable(), rows[i].retryable) << rows[i].name;
  }
}

}  // namespace
}  // namespace godwit::wire
