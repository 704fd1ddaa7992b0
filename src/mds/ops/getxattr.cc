// getxattr(2): size 0 asks for the size only; a too-small size is ERANGE.
#include "mds/keys.h"
#include "mds/mdt.h"
#include "mds/ops/xattr_util.h"

namespace weft::mds {

Result<GetxattrReply> Mdt::Getxattr(const GetxattrRequest& req) {
  WEFT_RETURN_IF_ERROR(CheckXattrName(req.name()));
  WEFT_ASSIGN_OR_RETURN(Inode inode, GetInode(req.ino()));
  WEFT_RETURN_IF_ERROR(CheckXattrAccess(inode, req.cred(), req.name(), false));
  Result<std::string> value = store_->Get(Family::kXattrs, XattrKey(inode.ino(), req.name()));
  if (!value.ok() && value.status().code() == StatusCode::kNotFound) {
    return Status(StatusCode::kNoData, "no attribute " + req.name());
  }
  if (!value.ok()) return value.status();
  GetxattrReply reply;
  reply.set_size(static_cast<uint32_t>(value->size()));
  if (req.size() == 0) return reply;
  if (req.size() < value->size()) return Status(StatusCode::kOutOfRange, "buffer too small");
  reply.set_value(std::move(value).value());
  return reply;
}

}  // namespace weft::mds
