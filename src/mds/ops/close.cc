// close: one open fewer. Records the size the client reports (the largest wins) and, if it
// wrote, the time of the writes; the last close of an unlinked file drops it and queues its
// objects for destruction.
#include "mds/keys.h"
#include "mds/mdt.h"
#include "mds/ops/op_util.h"
#include "mds/txn.h"

namespace weft::mds {

Result<EmptyReply> Mdt::Close(const CloseRequest& req) {
  MultiLock inode_lock(inode_locks_, {req.ino()});
  uint32_t count = OpenCount(req.ino());
  if (count == 0) return Status(StatusCode::kInvalidArgument, "the file is not open");
  WEFT_ASSIGN_OR_RETURN(Inode inode, GetInode(req.ino()));
  Txn txn(*this);
  if (count == 1 && inode.nlink() == 0) {
    WEFT_RETURN_IF_ERROR(DeleteInode(txn, inode));
  } else if ((req.has_size() && req.size() > inode.size()) || req.data_written()) {
    if (req.has_size() && req.size() > inode.size()) inode.set_size(req.size());
    if (req.data_written()) {  // as write(2) does
      if (req.has_blocks()) inode.set_blocks(req.blocks());
      int64_t now = NowNs();
      inode.set_mtime_ns(now);
      inode.set_ctime_ns(now);
      if (!IsRoot(req.cred())) inode.set_mode(KillSuid(inode.mode()));
    }
    txn.PutInode(inode);
    txn.SyncSoon();  // a size report, as Setattr's (docs/mds.md, "Attribute changes")
  }
  if (!txn.batch().empty()) WEFT_RETURN_IF_ERROR(txn.Commit(nullptr, EmptyReply()));
  std::lock_guard lock(open_mu_);
  if (--open_counts_[req.ino()] == 0) open_counts_.erase(req.ino());
  return EmptyReply();
}

}  // namespace weft::mds
