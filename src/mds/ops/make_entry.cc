// The steps every new name shares: create, mknod, mkdir, symlink.
#include "mds/keys.h"
#include "mds/mdt.h"
#include "mds/ops/op_util.h"
#include "mds/txn.h"

namespace weft::mds {

// The parent's locks are held while the entry is checked and its batch applied, but not while
// the log is synced: creates in one directory then share their syncs (group commit) instead
// of queueing for the directory one sync at a time.
Result<EntryReply> Mdt::MakeEntry(const NewEntry& entry, const ReplyTag* tag) {
  WEFT_RETURN_IF_ERROR(CheckName(entry.name));
  Txn txn(*this);
  txn.NamespaceChange();
  EntryReply reply;
  {
    MultiLock dir_lock(dir_locks_, {entry.parent});
    MultiLock inode_lock(inode_locks_, {entry.parent});
    WEFT_ASSIGN_OR_RETURN(Inode parent, GetDir(entry.parent));
    if (parent.nlink() == 0) return Status(StatusCode::kNotFound, "directory was removed");
    WEFT_RETURN_IF_ERROR(CheckAccess(parent, entry.cred, kMayExec));
    WEFT_ASSIGN_OR_RETURN(std::optional<Dentry> existing, GetDentry(entry.parent, entry.name));
    if (existing) return Status(StatusCode::kAlreadyExists, "'" + entry.name + "' exists");
    WEFT_RETURN_IF_ERROR(CheckAccess(parent, entry.cred, kMayWrite));
    bool is_dir = entry.type == DIRECTORY;
    if (is_dir && parent.nlink() >= options_.link_max) {
      return Status(StatusCode::kTooManyLinks, "directory has too many subdirectories");
    }
    int64_t now = NowNs();
    WEFT_ASSIGN_OR_RETURN(Inode child, NewChild(parent, entry.cred, entry.type, entry.mode, now));
    child.set_rdev(entry.rdev);
    if (entry.type == SYMLINK) {
      child.set_symlink_target(entry.target);
      child.set_size(entry.target.size());
    }
    if (is_dir) parent.set_nlink(parent.nlink() + 1);
    TouchTimes(&parent, now, true, true);
    txn.PutInode(child);
    txn.PutInode(parent);
    txn.PutDentry(parent.ino(), entry.name, child.ino(), child.type());
    txn.CountInodes(parent.ino(), 1);
    *reply.mutable_inode() = std::move(child);
    *reply.mutable_parent() = parent;
    reply.set_created(true);
    WEFT_RETURN_IF_ERROR(txn.Apply(tag, reply));
    if (entry.open) {  // under the parent's lock: no unlink can come between
      std::lock_guard lock(open_mu_);
      ++open_counts_[reply.inode().ino()];
    }
  }
  WEFT_RETURN_IF_ERROR(txn.Durable());
  return reply;
}

}  // namespace weft::mds
