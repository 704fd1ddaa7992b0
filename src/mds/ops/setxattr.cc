// setxattr(2) with XATTR_CREATE / XATTR_REPLACE.
#include "mds/keys.h"
#include "mds/mdt.h"
#include "mds/ops/op_util.h"
#include "mds/ops/xattr_util.h"
#include "mds/txn.h"

namespace weft::mds {
namespace {
constexpr uint32_t kXattrCreate = 1;
constexpr uint32_t kXattrReplace = 2;
}  // namespace

Result<EmptyReply> Mdt::Setxattr(const SetxattrRequest& req, const ReplyTag* tag) {
  if ((req.flags() & ~(kXattrCreate | kXattrReplace)) != 0 ||
      req.flags() == (kXattrCreate | kXattrReplace)) {
    return Status(StatusCode::kInvalidArgument, "bad setxattr flags");
  }
  WEFT_RETURN_IF_ERROR(CheckXattrName(req.name()));
  if (req.value().size() > kXattrValueMax) {
    return Status(StatusCode::kTooBig, "attribute value larger than 64 KiB");
  }
  MultiLock inode_lock(inode_locks_, {req.ino()});
  WEFT_ASSIGN_OR_RETURN(Inode inode, GetInode(req.ino()));
  WEFT_RETURN_IF_ERROR(CheckXattrAccess(inode, req.cred(), req.name(), true));
  std::string key = XattrKey(inode.ino(), req.name());
  Result<std::string> old = store_->Get(Family::kXattrs, key);
  if (!old.ok() && old.status().code() != StatusCode::kNotFound) return old.status();
  if (old.ok() && (req.flags() & kXattrCreate)) {
    return Status(StatusCode::kAlreadyExists, "attribute exists");
  }
  if (!old.ok() && (req.flags() & kXattrReplace)) {
    return Status(StatusCode::kNoData, "no such attribute");
  }
  inode.set_ctime_ns(NowNs());
  Txn txn(*this);
  txn.batch().Put(Family::kXattrs, std::move(key), req.value());
  txn.PutInode(inode);
  EmptyReply reply;
  WEFT_RETURN_IF_ERROR(txn.Commit(tag, reply));
  return reply;
}

}  // namespace weft::mds
