// DynamoDB and DynamoDB Streams errors: one table of error types, their
// godwit StatusCode, HTTP status, retryability and `__type` prefix, used by
// the server to write errors and by the remote client to read them.
//
// The wire form (DynamoDB JSON 1.0):
//   HTTP <status>
//   {"__type":"<prefix>#<Name>","message":"<text>"}
//   prefix := "com.amazonaws.dynamodb.v20120810"   most types
//           | "com.amazon.coral.service"           protocol-level types
//                                                  (SerializationException,
//                                                  UnknownOperationException,
//                                                  MissingAuthenticationToken-,
//                                                  InvalidSignatureException)
// A reader accepts any prefix (or none) and "Message" for "message".
//
// How a type travels with a Status. Inside godwit an error is a Status; a
// Status made by a factory below carries its ErrorType as the Status
// subcode (include/godwit/status.h), never inside the message:
//
//   Status s = wire::Validation("Item is required");      // server side
//   s.code() == StatusCode::kInvalidArgument
//   wire::ErrorTypeOf(s) == wire::ErrorType::kValidation
//
// At the boundary (once) a Status becomes an ApiError and then bytes:
//   ApiError e = ApiError::FromStatus(s);   // type from the subcode, else
//   e.http_status(); e.Body();              // the default type of the code
// and the remote client reads a response back into a Status:
//   Status r = ApiError::FromResponse(http, body).ToClientStatus();
//   if (wire::ErrorTypeOf(r) == wire::ErrorType::kExpiredIterator) ...
//
// Thread safety: everything here is immutable or a value type.
#ifndef GODWIT_WIRE_ERRORS_H_
#define GODWIT_WIRE_ERRORS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "godwit/status.h"

namespace godwit::wire {

// Every DynamoDB / Streams / protocol error type godwit writes or reads by
// name. kNone (0) is "no type": a plain Status, or a name not in the table.
enum class ErrorType : uint16_t {
  kNone = 0,
  kValidation,
  kSerialization,
  kItemCollectionSizeLimitExceeded,
  kUnknownOperation,
  kResourceNotFound,
  kResourceInUse,
  kConditionalCheckFailed,
  kTransactionConflict,
  kProvisionedThroughputExceeded,
  kThrottling,
  kThrottlingShort,  // "Throttling" (some AWS endpoints)
  kRequestLimitExceeded,
  kLimitExceeded,
  kTooManyRequests,
  kTrimmedDataAccess,
  kExpiredIterator,
  kInternalServerError,
  kServiceUnavailable,
  kInternalFailure,
  kMissingAuthenticationToken,
  kIncompleteSignature,
  kUnrecognizedClient,
  kInvalidSignature,
  kAccessDenied,
  kExpiredToken,
};

// One row of the table.
struct ErrorInfo {
  ErrorType type;
  std::string_view name;  // "ValidationException"
  // What a reader of this type gets (and what ApiError::ToStatus gives).
  StatusCode code;
  int http_status;  // as DynamoDB sends it
  // Worth retrying after backoff; always Status(code, ..).retryable().
  bool retryable;
  bool coral;        // __type prefix com.amazon.coral.service
  bool credentials;  // an authentication / authorisation failure
};

// The row of `type`; nullptr for kNone.
const ErrorInfo* FindError(ErrorType type);
// The row named `name` ("ValidationException", or with any "prefix#");
// nullptr if the name is not in the table.
const ErrorInfo* FindError(std::string_view name);
// Every row, for tests and documentation.
const ErrorInfo* ErrorTable(size_t* size);

// "com.amazonaws.dynamodb.v20120810#ValidationException" etc.
std::string FullTypeName(std::string_view name);

// A Status carrying `type` as its subcode, with the table's code.
// REQUIRES: type != kNone.
Status MakeError(ErrorType type, std::string message);
// The type a Status carries; kNone for a plain Status.
ErrorType ErrorTypeOf(const Status& s);

// Factories for the types godwit makes itself.
inline Status Validation(std::string m) {
  return MakeError(ErrorType::kValidation, std::move(m));
}
inline Status Serialization(std::string m) {
  return MakeError(ErrorType::kSerialization, std::move(m));
}
inline Status UnknownOperation(std::string m) {
  return MakeError(ErrorType::kUnknownOperation, std::move(m));
}
inline Status ResourceNotFound(std::string m) {
  return MakeError(ErrorType::kResourceNotFound, std::move(m));
}
inline Status ResourceInUse(std::string m) {
  return MakeError(ErrorType::kResourceInUse, std::move(m));
}
inline Status ConditionalCheckFailed(std::string m) {
  return MakeError(ErrorType::kConditionalCheckFailed, std::move(m));
}
inline Status TrimmedDataAccess(std::string m) {
  return MakeError(ErrorType::kTrimmedDataAccess, std::move(m));
}
inline Status ExpiredIterator(std::string m) {
  return MakeError(ErrorType::kExpiredIterator, std::move(m));
}
inline Status InternalServerError(std::string m) {
  return MakeError(ErrorType::kInternalServerError, std::move(m));
}

// {"__type":"<prefix>#<name>","message":"..."} for any type name (a name not
// in the table gets the dynamodb prefix).
std::string ErrorBody(std::string_view name, std::string_view message);

// An error as it is on the wire: a type (by name, known or not), a message
// and an HTTP status.
class ApiError {
 public:
  ApiError(ErrorType type, std::string message);

  // The error a Status stands for, at the server's boundary:
  //   - its subcode's type, if it carries one, except a credentials type,
  //     which can only come from a store below the server (the server's
  //     own authentication refusals do not go through a Status) and is
  //     that store's problem, not the client's: InternalServerError;
  //   - else the default type of its code: InvalidArgument -> Validation,
  //     NotFound -> ResourceNotFound, AlreadyExists -> ResourceInUse,
  //     Aborted -> ConditionalCheckFailed, ResourceExhausted ->
  //     ProvisionedThroughputExceeded, DataLoss -> TrimmedDataAccess,
  //     Unavailable -> ServiceUnavailable (503), anything else ->
  //     InternalServerError (500).
  // A failed condition always reads "The conditional request failed", as
  // in DynamoDB. REQUIRES: !s.ok().
  static ApiError FromStatus(const Status& s);

  // Reads an error response (any body: a missing or malformed one is
  // "HTTP <status>" with the first 200 bytes of the body).
  static ApiError FromResponse(long http_status, std::string_view body);

  ErrorType type() const { return type_; }
  const std::string& name() const { return name_; }
  const std::string& message() const { return message_; }
  int http_status() const { return http_; }
  bool retryable() const;

  // The response body.
  std::string Body() const { return ErrorBody(name_, message_); }

  // As a client sees it: a Status whose message is "<Name>: <message>"
  // (plus " (check the credentials and region)" for a credentials type)
  // and whose subcode is the type. The code is the table's, except that a
  // throttling type is ResourceExhausted and any other 5xx is Unavailable
  // whatever the type, and a type not in the table is FailedPrecondition
  // (the caller decides; the message keeps the name).
  Status ToClientStatus() const;

 private:
  ApiError(ErrorType type, std::string name, std::string message, int http);
  ErrorType type_;
  std::string name_;
  std::string message_;
  int http_;
};

}  // namespace godwit::wire

#endif  // GODWIT_WIRE_ERRORS_H_
