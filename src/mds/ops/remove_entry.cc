// The steps unlink and rmdir share: find the entry, check, remove it, drop the link.
#include "mds/keys.h"
#include "mds/mdt.h"
#include "mds/ops/op_util.h"
#include "mds/txn.h"

namespace weft::mds {

// As MakeEntry: the locks cover the checks and applying the batch, not the log sync.
Result<UnlinkReply> Mdt::RemoveEntry(const UnlinkRequest& req, bool dir, const ReplyTag* tag) {
  WEFT_RETURN_IF_ERROR(CheckName(req.name()));
  Txn txn(*this);
  txn.NamespaceChange();
  UnlinkReply reply;
  {
    MultiLock dir_lock(dir_locks_, {req.parent()});
    WEFT_ASSIGN_OR_RETURN(std::optional<Dentry> dentry, GetDentry(req.parent(), req.name()));
    MultiLock inode_lock(inode_locks_, {req.parent(), dentry ? dentry->ino() : 0});
    WEFT_ASSIGN_OR_RETURN(Inode parent, GetDir(req.parent()));
    WEFT_RETURN_IF_ERROR(CheckAccess(parent, req.cred(), kMayExec));
    if (!dentry) return Status(StatusCode::kNotFound, "no entry '" + req.name() + "'");
    WEFT_RETURN_IF_ERROR(CheckAccess(parent, req.cred(), kMayWrite));
    WEFT_ASSIGN_OR_RETURN(Inode child, GetInode(dentry->ino()));
    if (!dir && child.type() == DIRECTORY) {
      return Status(StatusCode::kIsDirectory, "'" + req.name() + "' is a directory");
    }
    if (dir && child.type() != DIRECTORY) {
      return Status(StatusCode::kNotDirectory, "'" + req.name() + "' is not a directory");
    }
    WEFT_RETURN_IF_ERROR(CheckSticky(parent, child, req.cred()));
    if (dir) {
      WEFT_ASSIGN_OR_RETURN(bool empty, DirIsEmpty(child.ino()));
      if (!empty) return Status(StatusCode::kNotEmpty, "'" + req.name() + "' is not empty");
      parent.set_nlink(parent.nlink() - 1);
    }
    int64_t now = NowNs();
    TouchTimes(&parent, now, true, true);
    txn.DeleteDentry(parent.ino(), req.name());
    txn.PutInode(parent);
    *reply.mutable_parent() = parent;
    WEFT_RETURN_IF_ERROR(DropLink(txn, std::move(child), now));
    WEFT_RETURN_IF_ERROR(txn.Apply(tag, reply));
  }
  WEFT_RETURN_IF_ERROR(txn.Durable());
  return reply;
}

Result<UnlinkReply> Mdt::Unlink(const UnlinkRequest& req, const ReplyTag* tag) {
  return RemoveEntry(req, false, tag);
}

Result<UnlinkReply> Mdt::Rmdir(const UnlinkRequest& req, const ReplyTag* tag) {
  return RemoveEntry(req, true, tag);
}

}  // namespace weft::mds
