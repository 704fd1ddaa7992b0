// removexattr(2).
#include "mds/keys.h"
#include "mds/mdt.h"
#include "mds/ops/op_util.h"
#include "mds/ops/xattr_util.h"
#include "mds/txn.h"

namespace weft::mds {

Result<EmptyReply> Mdt::Removexattr(const RemovexattrRequest& req, const ReplyTag* tag) {
  WEFT_RETURN_IF_ERROR(CheckXattrName(req.name()));
  MultiLock inode_lock(inode_locks_, {req.ino()});
  WEFT_ASSIGN_OR_RETURN(Inode inode, GetInode(req.ino()));
  WEFT_RETURN_IF_ERROR(CheckXattrAccess(inode, req.cred(), req.name(), true));
  std::string key = XattrKey(inode.ino(), req.name());
  Result<std::string> old = store_->Get(Family::kXattrs, key);
  if (!old.ok() && old.status().code() == StatusCode::kNotFound) {
    return Status(StatusCode::kNoData, "no attribute " + req.name());
  }
  if (!old.ok()) return old.status();
  inode.set_ctime_ns(NowNs());
  Txn txn(*this);
  txn.batch().Delete(Family::kXattrs, std::move(key));
  txn.PutInode(inode);
  EmptyReply reply;
  WEFT_RETURN_IF_ERROR(txn.Commit(tag, reply));
  return reply;
}

}  // namespace weft::mds
