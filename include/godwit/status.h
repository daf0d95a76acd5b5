// Status and Result<T>: how every fallible godwit call reports failure.
//
// Nothing throws across modules. A call that can fail returns a Status (or a
// Result<T>, which holds either a T or a non-OK Status). OK is represented by a
// null pointer, so returning and testing an OK status costs one word.
//
// The code says what the caller should do:
//   kInvalidArgument    bad input; the message names the place. Do not retry.
//   kNotFound           a table, item, file or position does not exist.
//   kAlreadyExists      create of something that exists.
//   kAborted            a condition failed (conditional write). Not retryable
//                       as is; the caller decides.
//   kFailedPrecondition the system is not in the state the call needs.
//   kResourceExhausted  throttled or over a limit; retryable after backoff.
//   kUnavailable        transient failure (5xx, connection reset); retryable.
//   kDeadlineExceeded   timed out; retryable.
//   kDataLoss           data was lost or corrupted (e.g. a trimmed stream
//                       position, a corrupt record). Never retry blindly.
//   kOutOfRange         a position past the end.
//   kIOError            the OS or the storage engine failed.
//   kInternal           a bug.
//   kCancelled          the caller or a signal stopped the work.
//
// A status may also carry a subcode: a refinement of the code defined by the
// layer that made it (0: none). Only src/wire sets one today: the DynamoDB
// error type (wire::ErrorType), so that an error such as
// SerializationException travels with its status without being written into
// the message. Copies and WithContext keep it; ToString does not show it.
//
// Usage:
//   Result<Item> ParseIt(std::string_view s);
//   Status Load(std::string_view s) {
//     ASSIGN_OR_RETURN(Item item, ParseIt(s));
//     RETURN_IF_ERROR(Store(item));
//     return Status::OK();
//   }
#ifndef GODWIT_STATUS_H_
#define GODWIT_STATUS_H_

#include <cassert>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace godwit {

enum class StatusCode : uint8_t {
  kOk = 0,
  kInvalidArgument,
  kNotFound,
  kAlreadyExists,
  kAborted,
  kFailedPrecondition,
  kResourceExhausted,
  kUnavailable,
  kDeadlineExceeded,
  kDataLoss,
  kOutOfRange,
  kIOError,
  kInternal,
  kCancelled,
  kUnimplemented,
};

// "InvalidArgument", "NotFound", ...
std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message);
  // With a subcode (see above). An OK code makes an OK status.
  Status(StatusCode code, uint16_t subcode, std::string message);
  Status(const Status& other);
  Status& operator=(const Status& other);
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;

  static Status OK() { return Status(); }
  static Status InvalidArgument(std::string msg) {
    return {StatusCode::kInvalidArgument, std::move(msg)};
  }
  static Status NotFound(std::string msg) {
    return {StatusCode::kNotFound, std::move(msg)};
  }
  static Status AlreadyExists(std::string msg) {
    return {StatusCode::kAlreadyExists, std::move(msg)};
  }
  static Status Aborted(std::string msg) {
    return {StatusCode::kAborted, std::move(msg)};
  }
  static Status FailedPrecondition(std::string msg) {
    return {StatusCode::kFailedPrecondition, std::move(msg)};
  }
  static Status ResourceExhausted(std::string msg) {
    return {StatusCode::kResourceExhausted, std::move(msg)};
  }
  static Status Unavailable(std::string msg) {
    return {StatusCode::kUnavailable, std::move(msg)};
  }
  static Status DeadlineExceeded(std::string msg) {
    return {StatusCode::kDeadlineExceeded, std::move(msg)};
  }
  static Status DataLoss(std::string msg) {
    return {StatusCode::kDataLoss, std::move(msg)};
  }
  static Status OutOfRange(std::string msg) {
    return {StatusCode::kOutOfRange, std::move(msg)};
  }
  static Status IOError(std::string msg) {
    return {StatusCode::kIOError, std::move(msg)};
  }
  static Status Internal(std::string msg) {
    return {StatusCode::kInternal, std::move(msg)};
  }
  static Status Cancelled(std::string msg) {
    return {StatusCode::kCancelled, std::move(msg)};
  }
  static Status Unimplemented(std::string msg) {
    return {StatusCode::kUnimplemented, std::move(msg)};
  }

  bool ok() const { return state_ == nullptr; }
  StatusCode code() const {
    return state_ ? state_->code : StatusCode::kOk;
  }
  // 0 unless the layer that made the status set one (see above).
  uint16_t subcode() const { return state_ ? state_->subcode : 0; }
  // Empty for OK.
  std::string_view message() const {
    return state_ ? std::string_view(state_->message) : std::string_view();
  }
  // True for the codes a caller may retry after backoff: ResourceExhausted,
  // Unavailable, DeadlineExceeded.
  bool retryable() const;

  bool IsInvalidArgument() const {
    return code() == StatusCode::kInvalidArgument;
  }
  bool IsNotFound() const { return code() == StatusCode::kNotFound; }
  bool IsAborted() const { return code() == StatusCode::kAborted; }

  // Returns a copy whose message is "prefix: message" (same code and
  // subcode). OK stays OK.
  Status WithContext(std::string_view prefix) const;

  // "OK" or "InvalidArgument: message".
  std::string ToString() const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code() == b.code() && a.subcode() == b.subcode() &&
           a.message() == b.message();
  }

 private:
  struct State {
    StatusCode code;
    std::string message;
    uint16_t subcode = 0;
  };
  std::unique_ptr<State> state_;
};

// Holds a T or a non-OK Status. Constructing a Result from an OK Status is a
// bug (it becomes Internal).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(const T& value) : v_(value) {}  // NOLINT: implicit by design
  Result(T&& value) : v_(std::move(value)) {}  // NOLINT
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    if (std::get<Status>(v_).ok()) {
      v_ = Status::Internal("Result constructed from an OK Status");
    }
  }
  template <typename U,
            typename = std::enable_if_t<std::is_convertible_v<U&&, T> &&
                                        !std::is_same_v<std::decay_t<U>, T> &&
                                        !std::is_same_v<std::decay_t<U>, Status>>>
  Result(U&& value) : v_(T(std::forward<U>(value))) {}  // NOLINT

  bool ok() const { return std::holds_alternative<T>(v_); }
  // OK when a value is held.
  Status status() const {
    return ok() ? Status::OK() : std::get<Status>(v_);
  }

  // REQUIRES: ok().
  const T& value() const& {
    assert(ok());
    return std::get<T>(v_);
  }
  T& value() & {
    assert(ok());
    return std::get<T>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<T>(std::move(v_));
  }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

 private:
  std::variant<Status, T> v_;
};

namespace internal {
inline Status AsStatus(const Status& s) { return s; }
inline Status AsStatus(Status&& s) { return std::move(s); }
template <typename T>
Status AsStatus(const Result<T>& r) {
  return r.status();
}
}  // namespace internal

}  // namespace godwit

#define GODWIT_CONCAT_INNER_(a, b) a##b
#define GODWIT_CONCAT_(a, b) GODWIT_CONCAT_INNER_(a, b)

// Returns the status from the current function if `expr` is not OK.
#define RETURN_IF_ERROR(expr)                                  \
  do {                                                         \
    ::godwit::Status godwit_status_ = ::godwit::internal::AsStatus(expr); \
    if (!godwit_status_.ok()) return godwit_status_;           \
  } while (0)

// `lhs` = the value of Result `rexpr`, or returns its status.
#define ASSIGN_OR_RETURN(lhs, rexpr) \
  GODWIT_ASSIGN_OR_RETURN_IMPL_(GODWIT_CONCAT_(godwit_result_, __LINE__), lhs, rexpr)
#define GODWIT_ASSIGN_OR_RETURN_IMPL_(res, lhs, rexpr) \
  auto res = (rexpr);                                  \
  if (!res.ok()) return res.status();                  \
  lhs = std::move(res).value()

#endif  // GODWIT_STATUS_H_
