#include "mds/ops/xattr_util.h"

#include <sys/stat.h>

#include "mds/ops/op_util.h"

namespace weft::mds {
namespace {

bool HasPrefix(std::string_view name, std::string_view prefix) {
  return name.size() > prefix.size() && name.starts_with(prefix);
}

Status Refused(bool write, std::string_view why) {
  return write ? Status(StatusCode::kNotPermitted, std::string(why))
               : Status(StatusCode::kNoData, "no such attribute");
}

}  // namespace

Status CheckXattrName(std::string_view name) {
  if (name.empty() || name.size() > kXattrNameMax) {
    return Status(StatusCode::kOutOfRange, "attribute name empty or longer than 255 bytes");
  }
  for (std::string_view ns : {"user.", "trusted.", "security.", "system."}) {
    if (HasPrefix(name, ns)) return Status::Ok();
  }
  return Status(StatusCode::kNotSupported, "unknown attribute namespace: " + std::string(name));
}

Status CheckXattrAccess(const Inode& inode, const Credentials& cred, std::string_view name,
                        bool write) {
  if (HasPrefix(name, "trusted.")) {
    return IsRoot(cred) ? Status::Ok() : Refused(write, "trusted attributes are root's");
  }
  if (HasPrefix(name, "security.") || HasPrefix(name, "system.")) {
    if (!write || IsOwner(cred, inode)) return Status::Ok();
    return Status(StatusCode::kNotPermitted, "only the owner may change this attribute");
  }
  if (inode.type() != REGULAR && inode.type() != DIRECTORY) {
    return Refused(write, "user attributes are for files and directories only");
  }
  if (write && inode.type() == DIRECTORY && (inode.mode() & S_ISVTX) != 0 &&
      !IsOwner(cred, inode)) {
    return Status(StatusCode::kNotPermitted, "sticky directory: owner only");
  }
  return CheckAccess(inode, cred, write ? kMayWrite : kMayRead);
}

bool XattrVisible(const Credentials& cred, std::string_view name) {
  return IsRoot(cred) || !HasPrefix(name, "trusted.");
}

}  // namespace weft::mds
