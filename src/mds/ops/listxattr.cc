// listxattr(2): the names visible to the caller; size rules as getxattr.
#include "mds/keys.h"
#include "mds/mdt.h"
#include "mds/ops/xattr_util.h"

namespace weft::mds {

Result<ListxattrReply> Mdt::Listxattr(const ListxattrRequest& req) {
  WEFT_ASSIGN_OR_RETURN(Inode inode, GetInode(req.ino()));
  ListxattrReply reply;
  uint64_t size = 0;
  std::string prefix = InodeKey(inode.ino());
  WEFT_RETURN_IF_ERROR(store_->Scan(Family::kXattrs, prefix, prefix,
                                    [&](std::string_view key, std::string_view) {
                                      std::string_view name = key.substr(prefix.size());
                                      if (!XattrVisible(req.cred(), name)) return true;
                                      reply.add_names(std::string(name));
                                      size += name.size() + 1;
                                      return true;
                                    }));
  reply.set_size(static_cast<uint32_t>(size));
  if (req.size() == 0) {
    reply.clear_names();
    return reply;
  }
  if (req.size() < size) return Status(StatusCode::kOutOfRange, "buffer too small");
  return reply;
}

}  // namespace weft::mds
