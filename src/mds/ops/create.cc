// create(2) / open(O_CREAT): a new regular file, or (without O_EXCL) the existing one.
#include <fcntl.h>

#include "mds/mdt.h"
#include "mds/ops/op_util.h"

namespace weft::mds {

Result<EntryReply> Mdt::Create(const CreateRequest& req, const ReplyTag* tag) {
  NewEntry entry{.cred = req.cred(),
                 .parent = req.parent(),
                 .name = req.name(),
                 .type = REGULAR,
                 .mode = req.mode() & ~req.umask()};
  entry.open = req.open();
  Result<EntryReply> made = MakeEntry(entry, tag);
  if (made.ok() || made.status().code() != StatusCode::kAlreadyExists || req.exclusive()) {
    return made;
  }
  // The name exists and O_EXCL was not asked for: open (or just return) what is there.
  LookupRequest lookup;
  *lookup.mutable_cred() = req.cred();
  lookup.set_parent(req.parent());
  lookup.set_name(req.name());
  WEFT_ASSIGN_OR_RETURN(AttrReply found, Lookup(lookup));
  if (found.inode().type() == DIRECTORY) {
    return Status(StatusCode::kIsDirectory, "'" + req.name() + "' is a directory");
  }
  EntryReply reply;
  reply.set_created(false);
  if (!req.open()) {
    *reply.mutable_inode() = found.inode();
    return reply;
  }
  OpenRequest open;
  *open.mutable_cred() = req.cred();
  open.set_ino(found.inode().ino());
  open.set_flags(req.open_flags() & ~static_cast<uint32_t>(O_CREAT | O_EXCL));
  WEFT_ASSIGN_OR_RETURN(AttrReply opened, Open(open));
  *reply.mutable_inode() = opened.inode();
  return reply;
}

}  // namespace weft::mds
