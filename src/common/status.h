// Status and Result<T>: errors are values in Weft.
//
// Every status code lives in the one table below, with a range per subsystem, the errno it
// becomes at the FUSE and syscall boundary, and a short description. Codes travel on the wire
// as their numeric value, so a value, once given, never changes meaning.
//
// Thread-safety: Status and Result are plain values; distinct objects may be used from
// distinct threads without synchronisation.
#pragma once

#include <cerrno>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace weft {

// X(Name, value, errno, description)
//   0..99      generic
//   1000..1099 configuration
//   1100..1199 RPC and fabric
//   1200..1299 runtime and local I/O
//   2000..2099 management server
//   3000..3099 metadata server
//   4000..4099 object storage server
#define WEFT_STATUS_CODES(X)                                                         \
  X(kOk, 0, 0, "ok")                                                                 \
  X(kInvalidArgument, 1, EINVAL, "invalid argument")                                 \
  X(kNotFound, 2, ENOENT, "not found")                                               \
  X(kAlreadyExists, 3, EEXIST, "already exists")                                     \
  X(kPermissionDenied, 4, EACCES, "permission denied")                               \
  X(kTimeout, 5, ETIMEDOUT, "timed out")                                             \
  X(kUnavailable, 6, EAGAIN, "unavailable, try again")                               \
  X(kInternal, 7, EIO, "internal error")                                             \
  X(kNoSpace, 8, ENOSPC, "no space left")                                            \
  X(kCancelled, 9, ECANCELED, "cancelled")                                           \
  X(kIoError, 10, EIO, "I/O error")                                                  \
  X(kNotSupported, 11, EOPNOTSUPP, "operation not supported")                        \
  X(kOutOfRange, 12, ERANGE, "out of range")                                         \
  X(kBusy, 13, EBUSY, "busy")                                                        \
  X(kWouldBlock, 14, EAGAIN, "would block")                                          \
  X(kConfigInvalid, 1000, EINVAL, "invalid configuration")                           \
  X(kConfigUnknownKey, 1001, EINVAL, "unknown configuration key")                    \
  X(kConfigParse, 1002, EINVAL, "configuration file does not parse")                 \
  X(kRpcBadMessage, 1100, EPROTO, "malformed RPC message")                           \
  X(kRpcUnknownService, 1101, EPROTO, "unknown RPC service")                         \
  X(kRpcUnknownMethod, 1102, EPROTO, "unknown RPC method")                           \
  X(kRpcBadVersion, 1103, EPROTO, "unsupported RPC protocol version")                \
  X(kRpcTooLarge, 1104, EMSGSIZE, "RPC message too large")                           \
  X(kRpcDeadlineExceeded, 1105, ETIMEDOUT, "RPC deadline exceeded")                  \
  X(kRpcBulkChecksum, 1106, EIO, "bulk transfer checksum mismatch")                  \
  X(kRpcBulkFailed, 1107, EIO, "bulk transfer failed")                               \
  X(kFabricError, 1108, EIO, "libfabric call failed")                                \
  X(kBadNid, 1109, EINVAL, "malformed network address (NID)")                        \
  X(kRpcShutdown, 1110, ESHUTDOWN, "RPC engine shutting down")                       \
  X(kUringError, 1200, EIO, "io_uring call failed")                                  \
  X(kMgsIndexConflict, 2000, EEXIST, "target index already registered by another uuid") \
  X(kMgsFsnameMismatch, 2001, EINVAL, "target belongs to another file system")        \
  X(kMgsStoreError, 2002, EIO, "MGS registry store error")                      \
  X(kNotDirectory, 3000, ENOTDIR, "not a directory")                                 \
  X(kIsDirectory, 3001, EISDIR, "is a directory")                                    \
  X(kNotEmpty, 3002, ENOTEMPTY, "directory not empty")                               \
  X(kNameTooLong, 3003, ENAMETOOLONG, "file name too long")                          \
  X(kTooManyLinks, 3004, EMLINK, "too many links")                                   \
  X(kNotPermitted, 3005, EPERM, "operation not permitted")                           \
  X(kNoData, 3006, ENODATA, "no such attribute")                                     \
  X(kTooBig, 3007, E2BIG, "attribute value too large")

enum class StatusCode : int32_t {
#define WEFT_STATUS_ENUM(name, value, err, desc) name = value,
  WEFT_STATUS_CODES(WEFT_STATUS_ENUM)
#undef WEFT_STATUS_ENUM
};

// Name of a code ("kNotFound"), or "kUnknown(N)" for values not in the table.
std::string StatusCodeName(StatusCode code);
// The errno a code becomes at the FUSE / syscall boundary (EIO for unknown codes).
int StatusCodeToErrno(StatusCode code);
// True if `value` is a code in the table (used when decoding codes off the wire).
bool IsKnownStatusCode(int32_t value);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  int ToErrno() const { return StatusCodeToErrno(code_); }
  // "kNotFound: target weft-OST0001 is not registered"
  std::string ToString() const;

  // Prefixes context to the message, keeping the code: "opening /x: kNotFound: ...".
  Status WithContext(std::string_view context) const;

  // Explicitly discards a status whose failure is acceptable; says so at the call site.
  void IgnoreError() const {}

  friend bool operator==(const Status& a, const Status& b) { return a.code_ == b.code_; }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Builds a Status from errno-style failure of a named syscall: "open(/x): No such file".
Status ErrnoStatus(std::string_view what, int err);

// Result<T>: a T or a non-ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {}  // NOLINT(google-explicit-constructor)
  Result(StatusCode code, std::string message) : v_(Status(code, std::move(message))) {}

  bool ok() const { return std::holds_alternative<T>(v_); }
  // REQUIRES: !ok() for a meaningful status; returns Ok when a value is held.
  Status status() const { return ok() ? Status() : std::get<Status>(v_); }

  // REQUIRES: ok().
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace weft

#define WEFT_CONCAT_INNER(a, b) a##b
#define WEFT_CONCAT(a, b) WEFT_CONCAT_INNER(a, b)

// Returns the status from the enclosing function if `expr` (a Status) is not ok.
#define WEFT_RETURN_IF_ERROR(expr)          \
  do {                                      \
    ::weft::Status weft_st_ = (expr);       \
    if (!weft_st_.ok()) return weft_st_;    \
  } while (0)

// `lhs = value of expr` (a Result<T>), or returns its status from the enclosing function.
#define WEFT_ASSIGN_OR_RETURN(lhs, expr) \
  WEFT_ASSIGN_OR_RETURN_IMPL(WEFT_CONCAT(weft_res_, __LINE__), lhs, expr, return)

// The same two for coroutines, which must co_return.
#define WEFT_CO_RETURN_IF_ERROR(expr)       \
  do {                                      \
    ::weft::Status weft_st_ = (expr);       \
    if (!weft_st_.ok()) co_return weft_st_; \
  } while (0)
#define WEFT_CO_ASSIGN_OR_RETURN(lhs, expr) \
  WEFT_ASSIGN_OR_RETURN_IMPL(WEFT_CONCAT(weft_res_, __LINE__), lhs, expr, co_return)

#define WEFT_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr, ret) \
  auto tmp = (expr);                                    \
  if (!tmp.ok()) ret tmp.status();                      \
  lhs = std::move(tmp).value()
