// getattr: an inode's attributes. No permission is needed (the path walk checked search).
#include "mds/mdt.h"

namespace weft::mds {

Result<AttrReply> Mdt::Getattr(const GetattrRequest& req) {
  AttrReply reply;
  WEFT_ASSIGN_OR_RETURN(*reply.mutable_inode(), GetInode(req.ino()));
  return reply;
}

}  // namespace weft::mds
