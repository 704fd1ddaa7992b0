// symlink(2): a new symbolic link holding `target` (resolved by clients, never here).
#include "mds/mdt.h"
#include "mds/ops/op_util.h"

namespace weft::mds {

Result<EntryReply> Mdt::Symlink(const SymlinkRequest& req, const ReplyTag* tag) {
  if (req.target().empty()) return Status(StatusCode::kNotFound, "empty symlink target");
  if (req.target().size() >= kPathMax) {
    return Status(StatusCode::kNameTooLong, "symlink target longer than PATH_MAX");
  }
  NewEntry entry{.cred = req.cred(),
                 .parent = req.parent(),
                 .name = req.name(),
                 .type = SYMLINK,
                 .mode = 0777};
  entry.target = req.target();
  return MakeEntry(entry, tag);
}

}  // namespace weft::mds
