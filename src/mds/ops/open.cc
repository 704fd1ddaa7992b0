// open(2) on an existing inode: access check, O_TRUNC, and one more open on the count.
#include <fcntl.h>

#include "mds/mdt.h"
#include "mds/ops/op_util.h"
#include "mds/txn.h"

namespace weft::mds {
namespace {

uint32_t OpenMask(uint32_t flags) {
  uint32_t mask = 0;
  switch (flags & O_ACCMODE) {
    case O_RDONLY: mask = kMayRead; break;
    case O_WRONLY: mask = kMayWrite; break;
    default: mask = kMayRead | kMayWrite; break;
  }
  if ((flags & O_TRUNC) != 0) mask |= kMayWrite;
  return mask;
}

}  // namespace

Result<AttrReply> Mdt::Open(const OpenRequest& req) {
  MultiLock inode_lock(inode_locks_, {req.ino()});
  WEFT_ASSIGN_OR_RETURN(Inode inode, GetInode(req.ino()));
  if (inode.nlink() == 0) return Status(StatusCode::kNotFound, "the file was unlinked");
  uint32_t mask = OpenMask(req.flags());
  if (inode.type() == DIRECTORY && (mask & kMayWrite) != 0) {
    return Status(StatusCode::kIsDirectory, "a directory opens read-only");
  }
  if (inode.type() == SYMLINK) return Status(StatusCode::kInvalidArgument, "open of a symlink");
  WEFT_RETURN_IF_ERROR(CheckAccess(inode, req.cred(), mask));
  if ((req.flags() & O_TRUNC) != 0 && inode.type() == REGULAR) {
    int64_t now = NowNs();
    inode.set_size(0);
    inode.set_blocks(0);
    TouchTimes(&inode, now, true, true);
    if (!IsRoot(req.cred())) inode.set_mode(KillSuid(inode.mode()));
    Txn txn(*this);
    txn.PutInode(inode);
    WEFT_RETURN_IF_ERROR(txn.Commit(nullptr, EmptyReply()));
  }
  std::lock_guard lock(open_mu_);
  ++open_counts_[inode.ino()];
  AttrReply reply;
  *reply.mutable_inode() = std::move(inode);
  return reply;
}

uint32_t Mdt::OpenCount(uint64_t ino) {
  std::lock_guard lock(open_mu_);
  auto it = open_counts_.find(ino);
  return it == open_counts_.end() ? 0 : it->second;
}

}  // namespace weft::mds
