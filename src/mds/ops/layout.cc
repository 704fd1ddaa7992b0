// Layouts: get, and set on a directory (the default for new children) or an empty file.
#include "mds/mdt.h"
#include "mds/ops/op_util.h"
#include "mds/txn.h"

namespace weft::mds {
namespace {

constexpr uint64_t kStripeUnit = 64 * 1024;

Status CheckLayoutRequest(const SetLayoutRequest& req) {
  if (req.stripe_size() % kStripeUnit != 0) {
    return Status(StatusCode::kInvalidArgument, "stripe size must be a multiple of 64 KiB");
  }
  if (req.stripe_count() < -1 || req.stripe_count() > 65535) {
    return Status(StatusCode::kInvalidArgument, "stripe count must be -1 or 0..65535");
  }
  if (req.has_start_ost() && (req.start_ost() < -1 || req.start_ost() > 65535)) {
    return Status(StatusCode::kInvalidArgument, "start OST must be -1 or 0..65535");
  }
  return Status::Ok();
}

// `base` with the fields the request gives (non-zero) replaced.
Layout Override(Layout base, const SetLayoutRequest& req) {
  base.clear_objects();
  if (req.stripe_size() != 0) base.set_stripe_size(req.stripe_size());
  if (req.stripe_count() != 0) base.set_stripe_count(req.stripe_count());
  if (req.has_start_ost()) {
    if (req.start_ost() < 0) {
      base.clear_start_ost();
    } else {
      base.set_start_ost(req.start_ost());
    }
  }
  return base;
}

}  // namespace

Result<LayoutReply> Mdt::GetLayout(const GetLayoutRequest& req) {
  WEFT_ASSIGN_OR_RETURN(Inode inode, GetInode(req.ino()));
  LayoutReply reply;
  if (inode.type() == DIRECTORY) {
    *reply.mutable_layout() = DefaultLayout(inode);
    reply.set_inherited(!inode.has_layout());
    return reply;
  }
  if (inode.type() != REGULAR) return Status(StatusCode::kNoData, "only files have layouts");
  *reply.mutable_layout() = inode.layout();
  return reply;
}

Result<LayoutReply> Mdt::SetLayout(const SetLayoutRequest& req, const ReplyTag* tag) {
  WEFT_RETURN_IF_ERROR(CheckLayoutRequest(req));
  if (req.has_start_ost() && req.start_ost() >= 0 &&
      !allocator_->Knows(static_cast<uint32_t>(req.start_ost()))) {
    return Status(StatusCode::kInvalidArgument,
                  "OST " + std::to_string(req.start_ost()) + " is not part of the file system");
  }
  MultiLock inode_lock(inode_locks_, {req.ino()});
  WEFT_ASSIGN_OR_RETURN(Inode inode, GetInode(req.ino()));
  if (!IsOwner(req.cred(), inode)) {
    return Status(StatusCode::kNotPermitted, "only the owner may set a layout");
  }
  if (inode.type() == DIRECTORY) {
    *inode.mutable_layout() = Override(DefaultLayout(inode), req);
  } else if (inode.type() == REGULAR) {
    if (inode.size() != 0) return Status(StatusCode::kBusy, "the file already holds data");
    Inode shape;
    *shape.mutable_layout() = Override(inode.layout(), req);
    WEFT_RETURN_IF_ERROR(AssignLayout(shape, &inode));
  } else {
    return Status(StatusCode::kInvalidArgument, "only files and directories have layouts");
  }
  inode.set_ctime_ns(NowNs());
  Txn txn(*this);
  txn.PutInode(inode);
  LayoutReply reply;
  *reply.mutable_layout() = inode.layout();
  WEFT_RETURN_IF_ERROR(txn.Commit(tag, reply));
  return reply;
}

}  // namespace weft::mds
