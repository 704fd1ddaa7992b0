// rename(2) and renameat2(2) with RENAME_NOREPLACE and RENAME_EXCHANGE.
//
// Locks: rename_mu_ for moves across directories (so the subtree check sees a stable tree),
// then both parents' directory locks, then the inode locks of both parents and both entries.
#include "mds/keys.h"
#include "mds/mdt.h"
#include "mds/ops/op_util.h"
#include "mds/txn.h"

namespace weft::mds {
namespace {

constexpr uint32_t kNoReplace = 1;
constexpr uint32_t kExchange = 2;

Status CheckFlags(uint32_t flags) {
  if ((flags & ~(kNoReplace | kExchange)) != 0 || flags == (kNoReplace | kExchange)) {
    return Status(StatusCode::kInvalidArgument, "bad rename flags");
  }
  return Status::Ok();
}

// POSIX's rules for renaming `moved` over an existing `victim` (not for exchange).
Status CheckReplace(const Inode& moved, const Inode& victim, bool victim_empty) {
  bool moved_dir = moved.type() == DIRECTORY;
  bool victim_dir = victim.type() == DIRECTORY;
  if (moved_dir && !victim_dir) return Status(StatusCode::kNotDirectory, "target not a directory");
  if (!moved_dir && victim_dir) return Status(StatusCode::kIsDirectory, "target is a directory");
  if (victim_dir && !victim_empty) return Status(StatusCode::kNotEmpty, "target not empty");
  return Status::Ok();
}

// Moves directory `dir` from `from` to `to`, fixing ".." and both parents' link counts.
void Reparent(Inode* dir, Inode* from, Inode* to) {
  if (dir->type() != DIRECTORY || from == to) return;
  dir->set_parent(to->ino());
  from->set_nlink(from->nlink() - 1);
  to->set_nlink(to->nlink() + 1);
}

}  // namespace

Status Mdt::CheckNotAncestor(uint64_t moved, uint64_t dir) {
  for (uint64_t ino = dir;;) {
    if (ino == moved) return Status(StatusCode::kInvalidArgument, "cannot move a directory under itself");
    if (ino == root_ino_) return Status::Ok();
    WEFT_ASSIGN_OR_RETURN(Inode inode, GetInode(ino));
    ino = inode.parent();
  }
}

Result<EmptyReply> Mdt::Rename(const RenameRequest& req, const ReplyTag* tag) {
  WEFT_RETURN_IF_ERROR(CheckFlags(req.flags()));
  WEFT_RETURN_IF_ERROR(CheckName(req.src_name()));
  WEFT_RETURN_IF_ERROR(CheckName(req.dst_name()));
  bool exchange = (req.flags() & kExchange) != 0;
  uint64_t sp = req.src_parent(), dp = req.dst_parent();
  std::unique_lock<std::mutex> rename_lock(rename_mu_, std::defer_lock);
  if (sp != dp) rename_lock.lock();
  MultiLock dir_lock(dir_locks_, {sp, dp});
  WEFT_ASSIGN_OR_RETURN(std::optional<Dentry> src, GetDentry(sp, req.src_name()));
  WEFT_ASSIGN_OR_RETURN(std::optional<Dentry> dst, GetDentry(dp, req.dst_name()));
  MultiLock inode_lock(inode_locks_, {sp, dp, src ? src->ino() : 0, dst ? dst->ino() : 0});
  WEFT_ASSIGN_OR_RETURN(Inode src_dir, GetDir(sp));
  WEFT_ASSIGN_OR_RETURN(Inode other_dir, GetDir(dp));
  Inode* dst_dir = sp == dp ? &src_dir : &other_dir;
  if (dst_dir->nlink() == 0) return Status(StatusCode::kNotFound, "directory was removed");
  WEFT_RETURN_IF_ERROR(CheckAccess(src_dir, req.cred(), kMayExec));
  WEFT_RETURN_IF_ERROR(CheckAccess(*dst_dir, req.cred(), kMayExec));
  if (!src) return Status(StatusCode::kNotFound, "no entry '" + req.src_name() + "'");
  if (exchange && !dst) return Status(StatusCode::kNotFound, "no entry '" + req.dst_name() + "'");
  if (dst && (req.flags() & kNoReplace)) {
    return Status(StatusCode::kAlreadyExists, "'" + req.dst_name() + "' exists");
  }
  WEFT_RETURN_IF_ERROR(CheckAccess(src_dir, req.cred(), kMayWrite));
  WEFT_RETURN_IF_ERROR(CheckAccess(*dst_dir, req.cred(), kMayWrite));
  WEFT_ASSIGN_OR_RETURN(Inode moved, GetInode(src->ino()));
  WEFT_RETURN_IF_ERROR(CheckSticky(src_dir, moved, req.cred()));
  if (dst && dst->ino() == src->ino()) return EmptyReply();  // two names of one inode
  std::optional<Inode> victim;
  if (dst) {
    WEFT_ASSIGN_OR_RETURN(victim, GetInode(dst->ino()));
    WEFT_RETURN_IF_ERROR(CheckSticky(*dst_dir, *victim, req.cred()));
  }
  if (victim && !exchange) {
    bool empty = true;
    if (victim->type() == DIRECTORY) {
      WEFT_ASSIGN_OR_RETURN(empty, DirIsEmpty(victim->ino()));
    }
    WEFT_RETURN_IF_ERROR(CheckReplace(moved, *victim, empty));
  }
  if (sp != dp && moved.type() == DIRECTORY) {
    WEFT_RETURN_IF_ERROR(CheckNotAncestor(moved.ino(), dp));
    WEFT_RETURN_IF_ERROR(CheckAccess(moved, req.cred(), kMayWrite));
    bool net_gain = !victim || victim->type() != DIRECTORY;
    if (net_gain && dst_dir->nlink() >= options_.link_max) {
      return Status(StatusCode::kTooManyLinks, "target directory has too many subdirectories");
    }
  }
  if (exchange && sp != dp && victim->type() == DIRECTORY) {
    WEFT_RETURN_IF_ERROR(CheckNotAncestor(victim->ino(), sp));
    WEFT_RETURN_IF_ERROR(CheckAccess(*victim, req.cred(), kMayWrite));
  }
  int64_t now = NowNs();
  Txn txn(*this);
  txn.NamespaceChange();
  Reparent(&moved, &src_dir, dst_dir);
  moved.set_ctime_ns(now);
  txn.PutDentry(dp, req.dst_name(), moved.ino(), moved.type());
  if (exchange) {
    Reparent(&*victim, dst_dir, &src_dir);
    victim->set_ctime_ns(now);
    txn.PutDentry(sp, req.src_name(), victim->ino(), victim->type());
    txn.PutInode(*victim);
  } else {
    txn.DeleteDentry(sp, req.src_name());
    if (victim && victim->type() == DIRECTORY) dst_dir->set_nlink(dst_dir->nlink() - 1);
    if (victim) WEFT_RETURN_IF_ERROR(DropLink(txn, *victim, now));
  }
  TouchTimes(&src_dir, now, true, true);
  TouchTimes(dst_dir, now, true, true);
  txn.PutInode(moved);
  txn.PutInode(src_dir);
  if (sp != dp) txn.PutInode(other_dir);
  EmptyReply reply;
  WEFT_RETURN_IF_ERROR(txn.Commit(tag, reply));
  return reply;
}

}  // namespace weft::mds
