#include "mds/ops/op_util.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>

namespace weft::mds {

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Status CheckName(std::string_view name) {
  if (name.empty() || name == "." || name == "..") {
    return Status(StatusCode::kInvalidArgument, "invalid name '" + std::string(name) + "'");
  }
  if (name.find('/') != std::string_view::npos || name.find('\0') != std::string_view::npos) {
    return Status(StatusCode::kInvalidArgument, "a name may not contain '/' or NUL");
  }
  if (name.size() > kNameMax) {
    return Status(StatusCode::kNameTooLong,
                  "name of " + std::to_string(name.size()) + " bytes (at most 255)");
  }
  return Status::Ok();
}

bool IsRoot(const Credentials& cred) { return cred.uid() == 0; }

bool InGroup(const Credentials& cred, uint32_t gid) {
  if (cred.gid() == gid) return true;
  return std::find(cred.groups().begin(), cred.groups().end(), gid) != cred.groups().end();
}

bool IsOwner(const Credentials& cred, const Inode& inode) {
  return IsRoot(cred) || cred.uid() == inode.uid();
}

Status CheckAccess(const Inode& inode, const Credentials& cred, uint32_t mask) {
  uint32_t mode = inode.mode();
  if (IsRoot(cred)) {
    bool any_exec = (mode & 0111) != 0 || inode.type() == DIRECTORY;
    if ((mask & kMayExec) == 0 || any_exec) return Status::Ok();
  } else {
    uint32_t bits = mode & 07;
    if (cred.uid() == inode.uid()) {
      bits = (mode >> 6) & 07;
    } else if (InGroup(cred, inode.gid())) {
      bits = (mode >> 3) & 07;
    }
    if ((bits & mask) == mask) return Status::Ok();
  }
  return Status(StatusCode::kPermissionDenied,
                "permission denied on inode " + std::to_string(inode.ino()));
}

Status CheckSticky(const Inode& dir, const Inode& victim, const Credentials& cred) {
  if ((dir.mode() & S_ISVTX) == 0 || IsRoot(cred)) return Status::Ok();
  if (cred.uid() == dir.uid() || cred.uid() == victim.uid()) return Status::Ok();
  return Status(StatusCode::kNotPermitted,
                "sticky directory: only the owner of the entry or of the directory may remove it");
}

uint32_t StMode(const Inode& inode) {
  uint32_t type = 0;
  switch (inode.type()) {
    case REGULAR: type = S_IFREG; break;
    case DIRECTORY: type = S_IFDIR; break;
    case SYMLINK: type = S_IFLNK; break;
    case FIFO: type = S_IFIFO; break;
    case SOCKET: type = S_IFSOCK; break;
    case CHAR_DEVICE: type = S_IFCHR; break;
    case BLOCK_DEVICE: type = S_IFBLK; break;
    default: break;
  }
  return type | (inode.mode() & kPermBits);
}

FileType TypeOfMode(uint32_t mode) {
  switch (mode & S_IFMT) {
    case S_IFREG: return REGULAR;
    case S_IFDIR: return DIRECTORY;
    case S_IFLNK: return SYMLINK;
    case S_IFIFO: return FIFO;
    case S_IFSOCK: return SOCKET;
    case S_IFCHR: return CHAR_DEVICE;
    case S_IFBLK: return BLOCK_DEVICE;
    default: return FILE_TYPE_UNSPECIFIED;
  }
}

void TouchTimes(Inode* inode, int64_t now, bool mtime, bool ctime) {
  if (mtime) inode->set_mtime_ns(now);
  if (ctime) inode->set_ctime_ns(now);
}

uint32_t KillSuid(uint32_t mode) {
  mode &= ~static_cast<uint32_t>(S_ISUID);
  if ((mode & S_IXGRP) != 0) mode &= ~static_cast<uint32_t>(S_ISGID);
  return mode;
}

}  // namespace weft::mds
