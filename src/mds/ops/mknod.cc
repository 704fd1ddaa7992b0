// mknod(2): regular files, FIFOs, sockets, character and block devices.
#include <sys/stat.h>

#include "mds/mdt.h"
#include "mds/ops/op_util.h"

namespace weft::mds {

Result<EntryReply> Mdt::Mknod(const MknodRequest& req, const ReplyTag* tag) {
  uint32_t format = req.mode() & S_IFMT;
  FileType type = format == 0 ? REGULAR : TypeOfMode(req.mode());
  if (type == FILE_TYPE_UNSPECIFIED || type == DIRECTORY || type == SYMLINK) {
    return Status(StatusCode::kInvalidArgument, "mknod makes files, FIFOs, sockets and devices");
  }
  bool device = type == CHAR_DEVICE || type == BLOCK_DEVICE;
  if (device && !IsRoot(req.cred())) {
    return Status(StatusCode::kNotPermitted, "only root may make device nodes");
  }
  NewEntry entry{.cred = req.cred(),
                 .parent = req.parent(),
                 .name = req.name(),
                 .type = type,
                 .mode = req.mode() & ~req.umask()};
  entry.rdev = device ? req.rdev() : 0;
  return MakeEntry(entry, tag);
}

}  // namespace weft::mds
