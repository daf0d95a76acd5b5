#include "wire/errors.h"

#include <simdjson.h>

#include <iterator>

#include "wire/json_writer.h"

namespace godwit::wire {
namespace {

using SC = StatusCode;
constexpr bool kCoral = true;
constexpr bool kCreds = true;

// The table. `retryable` is the code's (a unit test checks every row).
constexpr ErrorInfo kErrors[] = {
    // type, name, code, http, retryable, coral, credentials
    {ErrorType::kValidation, "ValidationException", SC::kInvalidArgument, 400,
     false, false, false},
    {ErrorType::kSerialization, "SerializationException", SC::kInvalidArgument,
     400, false, kCoral, false},
    {ErrorType::kItemCollectionSizeLimitExceeded,
     "ItemCollectionSizeLimitExceededException", SC::kInvalidArgument, 400,
     false, false, false},
    {ErrorType::kUnknownOperation, "UnknownOperationException",
     SC::kFailedPrecondition, 400, false, kCoral, false},
    {ErrorType::kResourceNotFound, "ResourceNotFoundException", SC::kNotFound,
     400, false, false, false},
    {ErrorType::kResourceInUse, "ResourceInUseException",
     SC::kFailedPrecondition, 400, false, false, false},
    {ErrorType::kConditionalCheckFailed, "ConditionalCheckFailedException",
     SC::kAborted, 400, false, false, false},
    {ErrorType::kTransactionConflict, "TransactionConflictException",
     SC::kAborted, 400, false, false, false},
    {ErrorType::kProvisionedThroughputExceeded,
     "ProvisionedThroughputExceededException", SC::kResourceExhausted, 400,
     true, false, false},
    {ErrorType::kThrottling, "ThrottlingException", SC::kResourceExhausted, 400,
     true, false, false},
    {ErrorType::kThrottlingShort, "Throttling", SC::kResourceExhausted, 400,
     true, false, false},
    {ErrorType::kRequestLimitExceeded, "RequestLimitExceeded",
     SC::kResourceExhausted, 400, true, false, false},
    {ErrorType::kLimitExceeded, "LimitExceededException",
     SC::kResourceExhausted, 400, true, false, false},
    {ErrorType::kTooManyRequests, "TooManyRequestsException",
     SC::kResourceExhausted, 400, true, false, false},
    {ErrorType::kTrimmedDataAccess, "TrimmedDataAccessException", SC::kDataLoss,
     400, false, false, false},
    {ErrorType::kExpiredIterator, "ExpiredIteratorException",
     SC::kFailedPrecondition, 400, false, false, false},
    {ErrorType::kInternalServerError, "InternalServerError", SC::kUnavailable,
     500, true, false, false},
    {ErrorType::kServiceUnavailable, "ServiceUnavailable", SC::kUnavailable,
     503, true, false, false},
    {ErrorType::kInternalFailure, "InternalFailure", SC::kUnavailable, 500,
     true, false, false},
    {ErrorType::kMissingAuthenticationToken,
     "MissingAuthenticationTokenException", SC::kFailedPrecondition, 400, false,
     kCoral, kCreds},
    {ErrorType::kIncompleteSignature, "IncompleteSignatureException",
     SC::kFailedPrecondition, 400, false, false, kCreds},
    {ErrorType::kUnrecognizedClient, "UnrecognizedClientException",
     SC::kFailedPrecondition, 400, false, false, kCreds},
    {ErrorType::kInvalidSignature, "InvalidSignatureException",
     SC::kFailedPrecondition, 400, false, kCoral, kCreds},
    {ErrorType::kAccessDenied, "AccessDeniedException", SC::kFailedPrecondition,
     400, false, false, kCreds},
    {ErrorType::kExpiredToken, "ExpiredTokenException", SC::kFailedPrecondition,
     400, false, false, kCreds},
};

constexpr std::string_view kDynamoPrefix = "com.amazonaws.dynamodb.v20120810#";
constexpr std::string_view kCoralPrefix = "com.amazon.coral.service#";

// The type the server writes for a Status without one.
ErrorType DefaultType(StatusCode code) {
  switch (code) {
    case SC::kInvalidArgument:
      return ErrorType::kValidation;
    case SC::kNotFound:
      return ErrorType::kResourceNotFound;
    case SC::kAlreadyExists:
      return ErrorType::kResourceInUse;
    case SC::kAborted:
      return ErrorType::kConditionalCheckFailed;
    case SC::kResourceExhausted:
      return ErrorType::kProvisionedThroughputExceeded;
    case SC::kDataLoss:
      return ErrorType::kTrimmedDataAccess;
    case SC::kUnavailable:
      return ErrorType::kServiceUnavailable;
    default:
      return ErrorType::kInternalServerError;
  }
}

}  // namespace

const ErrorInfo* FindError(ErrorType type) {
  for (const ErrorInfo& e : kErrors) {
    if (e.type == type) return &e;
  }
  return nullptr;
}

const ErrorInfo* FindError(std::string_view name) {
  if (size_t hash = name.rfind('#'); hash != std::string_view::npos) {
    name.remove_prefix(hash + 1);
  }
  for (const ErrorInfo& e : kErrors) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

const ErrorInfo* ErrorTable(size_t* size) {
  *size = std::size(kErrors);
  return kErrors;
}

std::string FullTypeName(std::string_view name) {
  const ErrorInfo* e = FindError(name);
  std::string out(e != nullptr && e->coral ? kCoralPrefix : kDynamoPrefix);
  out += name;
  return out;
}

Status MakeError(ErrorType type, std::string message) {
  const ErrorInfo* e = FindError(type);
  if (e == nullptr) return Status::Internal(std::move(message));
  return Status(e->code, static_cast<uint16_t>(type), std::move(message));
}

ErrorType ErrorTypeOf(const Status& s) {
  if (s.ok()) return ErrorType::kNone;
  const ErrorInfo* e = FindError(static_cast<ErrorType>(s.subcode()));
  return e == nullptr ? ErrorType::kNone : e->type;
}

std::string ErrorBody(std::string_view name, std::string_view message) {
  return JsonObject()
      .Str("__type", FullTypeName(name))
      .Str("message", message)
      .Done();
}

// ---- ApiError --------------------------------------------------------------

ApiError::ApiError(ErrorType type, std::string message)
    : ApiError(type, "", std::move(message), 500) {
  const ErrorInfo* e = FindError(type);
  if (e == nullptr) e = FindError(ErrorType::kInternalServerError);
  type_ = e->type;
  name_ = std::string(e->name);
  http_ = e->http_status;
}

ApiError::ApiError(ErrorType type, std::string name, std::string message,
                   int http)
    : type_(type),
      name_(std::move(name)),
      message_(std::move(message)),
      http_(http) {}

ApiError ApiError::FromStatus(const Status& s) {
  ErrorType type = ErrorTypeOf(s);
  if (type != ErrorType::kNone && FindError(type)->credentials) {
    type = ErrorType::kInternalServerError;
  }
  if (type == ErrorType::kNone) type = DefaultType(s.code());
  if (s.code() == SC::kAborted) {
    return ApiError(type, "The conditional request failed");
  }
  return ApiError(type, std::string(s.message()));
}

ApiError ApiError::FromResponse(long http_status, std::string_view body) {
  std::string name, message;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (!body.empty() &&
      parser.parse(body.data(), body.size()).get(doc) == simdjson::SUCCESS) {
    std::string_view t, m;
    if (doc["__type"].get_string().get(t) == simdjson::SUCCESS) name = t;
    if (doc["message"].get_string().get(m) == simdjson::SUCCESS ||
        doc["Message"].get_string().get(m) == simdjson::SUCCESS) {
      message = m;
    }
  }
  if (size_t hash = name.rfind('#'); hash != std::string::npos) {
    name = name.substr(hash + 1);
  }
  if (name.empty()) {
    name = "HTTP " + std::to_string(http_status);
    message = std::string(body.substr(0, 200));
  }
  const ErrorInfo* e = FindError(name);
  return ApiError(e == nullptr ? ErrorType::kNone : e->type, std::move(name),
                  std::move(message), static_cast<int>(http_status));
}

Status ApiError::ToClientStatus() const {
  const ErrorInfo* e = FindError(type_);
  std::string text = name_ + ": " + message_;
  StatusCode code = SC::kFailedPrecondition;
  if (e != nullptr && e->code == SC::kResourceExhausted) {
    code = SC::kResourceExhausted;
  } else if (http_ >= 500) {
    code = SC::kUnavailable;
  } else if (e != nullptr) {
    code = e->code;
  }
  if (e != nullptr && e->credentials) {
    text += " (check the credentials and region)";
  }
  return Status(code, static_cast<uint16_t>(type_), std::move(text));
}

bool ApiError::retryable() const { return ToClientStatus().retryable(); }

}  // namespace godwit::wire
