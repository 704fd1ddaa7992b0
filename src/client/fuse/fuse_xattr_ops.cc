// The extended-attribute operations; "weft.layout" is the file's layout (layout_xattr.h).
#include <sys/xattr.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "client/fuse/capability_cache.h"
#include "client/fuse/fuse_request.h"
#include "client/layout_xattr.h"

namespace weft::fuse {
namespace {

// POSIX ACLs are not implemented: their attributes are refused, so that programs (cp -a, tar
// --acls) fall back to the mode bits instead of storing an ACL nothing enforces.
bool IsPosixAcl(const char* name) {
  return std::strcmp(name, "system.posix_acl_access") == 0 ||
         std::strcmp(name, "system.posix_acl_default") == 0;
}

void ReplyXattr(fuse_req_t req, const std::string& value, size_t size) {
  if (size == 0) return (void)fuse_reply_xattr(req, value.size());
  if (size < value.size()) return ReplyErrno(req, ERANGE);
  fuse_reply_buf(req, value.data(), value.size());
}

}  // namespace

void Setxattr(fuse_req_t req, fuse_ino_t ino, const char* name, const char* value, size_t size,
              int flags) {
  Begin(req, FuseOp::kSetxattr);
  if ((flags & ~(XATTR_CREATE | XATTR_REPLACE)) != 0) return ReplyErrno(req, EINVAL);
  if (IsPosixAcl(name)) return ReplyErrno(req, EOPNOTSUPP);
  Fs(req).no_caps->Drop(ino);
  std::string v(value, size);
  if (std::strcmp(name, client::kLayoutXattr) == 0) {
    Result<client::LayoutRequest> want = client::ParseLayoutXattr(v);
    if (!want.ok()) return ReplyError(req, want.status());
    auto set = ClientOf(req).SetLayout(CallerOf(req), ino, want->stripe_size, want->stripe_count,
                                       want->start_ost);
    return ReplyStatus(req, set.status());
  }
  Status st = ClientOf(req).Setxattr(CallerOf(req), ino, name, v, static_cast<uint32_t>(flags));
  Fs(req).no_caps->Drop(ino);  // again: a getxattr may have raced the set
  ReplyStatus(req, st);
}

void Getxattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size) {
  Begin(req, FuseOp::kGetxattr);
  if (IsPosixAcl(name)) return ReplyErrno(req, EOPNOTSUPP);
  if (std::strcmp(name, client::kLayoutXattr) == 0) {
    auto layout = ClientOf(req).GetLayout(CallerOf(req), ino);
    if (!layout.ok()) return ReplyError(req, layout.status());
    return ReplyXattr(req, client::FormatLayoutXattr(*layout), size);
  }
  bool capability = std::strcmp(name, NoCapabilityCache::kName) == 0;
  if (capability && Fs(req).no_caps->KnownAbsent(ino)) return ReplyErrno(req, ENODATA);
  Result<std::string> value = ClientOf(req).Getxattr(CallerOf(req), ino, name);
  if (capability && value.status().code() == StatusCode::kNoData) Fs(req).no_caps->NoteAbsent(ino);
  if (!value.ok()) return ReplyError(req, value.status());
  ReplyXattr(req, *value, size);
}

void Listxattr(fuse_req_t req, fuse_ino_t ino, size_t size) {
  Begin(req, FuseOp::kListxattr);
  Result<std::vector<std::string>> names = ClientOf(req).Listxattr(CallerOf(req), ino);
  if (!names.ok()) return ReplyError(req, names.status());
  std::string list;
  for (const std::string& n : *names) {
    list += n;
    list.push_back('\0');
  }
  ReplyXattr(req, list, size);
}

void Removexattr(fuse_req_t req, fuse_ino_t ino, const char* name) {
  Begin(req, FuseOp::kRemovexattr);
  if (std::strcmp(name, client::kLayoutXattr) == 0) return ReplyErrno(req, EPERM);
  if (IsPosixAcl(name)) return ReplyErrno(req, EOPNOTSUPP);
  Status st = ClientOf(req).Removexattr(CallerOf(req), ino, name);
  Fs(req).no_caps->Drop(ino);
  ReplyStatus(req, st);
}

}  // namespace weft::fuse
