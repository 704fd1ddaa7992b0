// mkdir(2): a new directory; the parent gains a link (the child's "..").
#include "mds/mdt.h"

namespace weft::mds {

Result<EntryReply> Mdt::Mkdir(const MkdirRequest& req, const ReplyTag* tag) {
  NewEntry entry{.cred = req.cred(),
                 .parent = req.parent(),
                 .name = req.name(),
                 .type = DIRECTORY,
                 .mode = req.mode() & ~req.umask()};
  return MakeEntry(entry, tag);
}

}  // namespace weft::mds
