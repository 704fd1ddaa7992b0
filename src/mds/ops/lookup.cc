// lookup: a name in a directory to its inode. "." and ".." are answered from the directory.
#include "mds/mdt.h"
#include "mds/ops/op_util.h"

namespace weft::mds {

Result<AttrReply> Mdt::Lookup(const LookupRequest& req) {
  WEFT_ASSIGN_OR_RETURN(Inode parent, GetDir(req.parent()));
  WEFT_RETURN_IF_ERROR(CheckAccess(parent, req.cred(), kMayExec));
  AttrReply reply;
  if (req.name() == "." || req.name() == "..") {
    uint64_t ino = req.name() == "." ? parent.ino() : parent.parent();
    WEFT_ASSIGN_OR_RETURN(*reply.mutable_inode(), GetInode(ino));
    return reply;
  }
  WEFT_RETURN_IF_ERROR(CheckName(req.name()));
  WEFT_ASSIGN_OR_RETURN(std::optional<Dentry> dentry, GetDentry(req.parent(), req.name()));
  if (!dentry) return Status(StatusCode::kNotFound, "no entry '" + req.name() + "'");
  WEFT_ASSIGN_OR_RETURN(*reply.mutable_inode(), GetInode(dentry->ino()));
  return reply;
}

}  // namespace weft::mds
