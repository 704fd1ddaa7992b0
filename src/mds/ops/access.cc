// access(2): may the caller read, write or execute the inode (by its mode bits)?
#include "mds/mdt.h"
#include "mds/ops/op_util.h"

namespace weft::mds {

Result<EmptyReply> Mdt::Access(const AccessRequest& req) {
  if ((req.mask() & ~7u) != 0) return Status(StatusCode::kInvalidArgument, "bad access mask");
  WEFT_ASSIGN_OR_RETURN(Inode inode, GetInode(req.ino()));
  WEFT_RETURN_IF_ERROR(CheckAccess(inode, req.cred(), req.mask()));
  return EmptyReply();
}

}  // namespace weft::mds
