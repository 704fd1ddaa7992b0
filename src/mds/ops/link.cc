// link(2): another name for an existing inode (not a directory).
#include "mds/mdt.h"
#include "mds/ops/op_util.h"
#include "mds/txn.h"

namespace weft::mds {

Result<EntryReply> Mdt::Link(const LinkRequest& req, const ReplyTag* tag) {
  WEFT_RETURN_IF_ERROR(CheckName(req.new_name()));
  MultiLock dir_lock(dir_locks_, {req.new_parent()});
  MultiLock inode_lock(inode_locks_, {req.new_parent(), req.ino()});
  WEFT_ASSIGN_OR_RETURN(Inode parent, GetDir(req.new_parent()));
  if (parent.nlink() == 0) return Status(StatusCode::kNotFound, "directory was removed");
  WEFT_RETURN_IF_ERROR(CheckAccess(parent, req.cred(), kMayExec));
  WEFT_ASSIGN_OR_RETURN(std::optional<Dentry> existing, GetDentry(parent.ino(), req.new_name()));
  if (existing) return Status(StatusCode::kAlreadyExists, "'" + req.new_name() + "' exists");
  WEFT_RETURN_IF_ERROR(CheckAccess(parent, req.cred(), kMayWrite));
  WEFT_ASSIGN_OR_RETURN(Inode inode, GetInode(req.ino()));
  if (inode.type() == DIRECTORY) {
    return Status(StatusCode::kNotPermitted, "hard links to directories are not allowed");
  }
  if (inode.nlink() == 0) return Status(StatusCode::kNotFound, "the file was unlinked");
  if (inode.nlink() >= options_.link_max) {
    return Status(StatusCode::kTooManyLinks, "the file has too many links");
  }
  int64_t now = NowNs();
  inode.set_nlink(inode.nlink() + 1);
  inode.set_ctime_ns(now);
  TouchTimes(&parent, now, true, true);
  Txn txn(*this);
  txn.NamespaceChange();
  txn.PutInode(inode);
  txn.PutInode(parent);
  txn.PutDentry(parent.ino(), req.new_name(), inode.ino(), inode.type());
  EntryReply reply;
  *reply.mutable_inode() = inode;
  *reply.mutable_parent() = parent;
  reply.set_created(true);
  WEFT_RETURN_IF_ERROR(txn.Commit(tag, reply));
  return reply;
}

}  // namespace weft::mds
