#include "common/status.h"

#include <cstring>

namespace weft {

std::string StatusCodeName(StatusCode code) {
  switch (code) {
#define WEFT_STATUS_NAME(name, value, err, desc) \
  case StatusCode::name:                         \
    return #name;
    WEFT_STATUS_CODES(WEFT_STATUS_NAME)
#undef WEFT_STATUS_NAME
  }
  return "kUnknown(" + std::to_string(static_cast<int32_t>(code)) + ")";
}

int StatusCodeToErrno(StatusCode code) {
  switch (code) {
#define WEFT_STATUS_ERRNO(name, value, err, desc) \
  case StatusCode::name:                          \
    return err;
    WEFT_STATUS_CODES(WEFT_STATUS_ERRNO)
#undef WEFT_STATUS_ERRNO
  }
  return EIO;
}

bool IsKnownStatusCode(int32_t value) {
  switch (value) {
#define WEFT_STATUS_KNOWN(name, v, err, desc) case v:
    WEFT_STATUS_CODES(WEFT_STATUS_KNOWN)
#undef WEFT_STATUS_KNOWN
    return true;
  }
  return false;
}

std::string Status::ToString() const {
  if (ok()) return "kOk";
  std::string s = StatusCodeName(code_);
  if (!message_.empty()) s += ": " + message_;
  return s;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  return Status(code_, std::string(context) + ": " + message_);
}

Status ErrnoStatus(std::string_view what, int err) {
  StatusCode code = StatusCode::kIoError;
  switch (err) {
    case ENOENT: code = StatusCode::kNotFound; break;
    case EEXIST: code = StatusCode::kAlreadyExists; break;
    case EACCES:
    case EPERM: code = StatusCode::kPermissionDenied; break;
    case ENOSPC:
    case EDQUOT: code = StatusCode::kNoSpace; break;
    case EINVAL: code = StatusCode::kInvalidArgument; break;
    case EAGAIN: code = StatusCode::kUnavailable; break;
    case ETIMEDOUT: code = StatusCode::kTimeout; break;
    case EBUSY: code = StatusCode::kBusy; break;
    case EOPNOTSUPP: code = StatusCode::kNotSupported; break;
    default: break;
  }
  return Status(code, std::string(what) + ": " + std::strerror(err));
}

}  // namespace weft
