// readlink(2): the target of a symbolic link.
#include "mds/mdt.h"

namespace weft::mds {

Result<ReadlinkReply> Mdt::Readlink(const ReadlinkRequest& req) {
  WEFT_ASSIGN_OR_RETURN(Inode inode, GetInode(req.ino()));
  if (inode.type() != SYMLINK) return Status(StatusCode::kInvalidArgument, "not a symlink");
  ReadlinkReply reply;
  reply.set_target(inode.symlink_target());
  return reply;
}

}  // namespace weft::mds
