// setattr: chmod, chown, truncate, utimes, with Linux's owner rules and ctime.
#include <sys/stat.h>

#include "mds/mds_service.h"
#include "mds/mdt.h"
#include "mds/ops/op_util.h"
#include "mds/txn.h"

namespace weft::mds {
namespace {

Status ApplyMode(const SetattrRequest& req, Inode* inode) {
  if (!req.has_mode()) return Status::Ok();
  uint32_t mode = req.mode() & kPermBits;
  if (!IsOwner(req.cred(), *inode)) {
    // What a write(2) by the caller would clear (the kernel sends it as a chmod by the
    // writer): allowed to whoever may write the file, as the write itself would be.
    uint32_t now = inode->mode() & kPermBits;
    bool write_kill = inode->type() == REGULAR && mode != now && mode == KillSuid(now);
    if (!write_kill || !CheckAccess(*inode, req.cred(), kMayWrite).ok()) {
      return Status(StatusCode::kNotPermitted, "only the owner may change the mode");
    }
    inode->set_mode(mode);
    return Status::Ok();
  }
  // A caller outside the file's group cannot keep setgid on it (Linux's setattr_prepare).
  if (!IsRoot(req.cred()) && !InGroup(req.cred(), inode->gid())) {
    mode &= ~static_cast<uint32_t>(S_ISGID);
  }
  inode->set_mode(mode);
  return Status::Ok();
}

Status ApplyOwner(const SetattrRequest& req, Inode* inode) {
  if (!req.has_uid() && !req.has_gid()) return Status::Ok();
  const Credentials& cred = req.cred();
  bool uid_change = req.has_uid() && req.uid() != inode->uid();
  bool gid_change = req.has_gid() && req.gid() != inode->gid();
  if (!IsRoot(cred)) {
    if (uid_change) return Status(StatusCode::kNotPermitted, "only root may change the owner");
    if (gid_change && (cred.uid() != inode->uid() || !InGroup(cred, req.gid()))) {
      return Status(StatusCode::kNotPermitted, "the owner may only change to a group of theirs");
    }
  }
  if (req.has_uid()) inode->set_uid(req.uid());
  if (req.has_gid()) inode->set_gid(req.gid());
  if (inode->type() != DIRECTORY) inode->set_mode(KillSuid(inode->mode()));
  return Status::Ok();
}

// `open` says whether the file is open anywhere: a grow-only report, or a truncate through a
// descriptor open for writing, needs no write access then (the open checked it).
Status ApplySize(const SetattrRequest& req, int64_t now, bool open, Inode* inode) {
  if (!req.has_size()) return Status::Ok();
  if (inode->type() == DIRECTORY) return Status(StatusCode::kIsDirectory, "truncate of a directory");
  if (inode->type() != REGULAR) return Status(StatusCode::kInvalidArgument, "truncate of a special file");
  bool resize = !req.size_grow_only() || req.size() > inode->size();
  if (!resize && !req.data_written()) return Status::Ok();
  if (!open) WEFT_RETURN_IF_ERROR(CheckAccess(*inode, req.cred(), kMayWrite));
  if (resize) {
    if (req.size() < inode->size()) inode->set_blocks(std::min(inode->blocks(), (req.size() + 511) / 512));
    inode->set_size(req.size());
  }
  if (req.size_grow_only() && req.data_written() && req.has_blocks())
    inode->set_blocks(req.blocks());
  inode->set_mtime_ns(now);
  if (!IsRoot(req.cred())) inode->set_mode(KillSuid(inode->mode()));
  return Status::Ok();
}

// utimes: explicit times need the owner; "now" for both needs the owner or write access.
Status ApplyTimes(const SetattrRequest& req, int64_t now, Inode* inode) {
  bool any_set = req.atime().how() == TimeSet::SET || req.mtime().how() == TimeSet::SET;
  bool any_now = req.atime().how() == TimeSet::NOW || req.mtime().how() == TimeSet::NOW;
  if (!any_set && !any_now) return Status::Ok();
  if (!IsOwner(req.cred(), *inode)) {
    if (any_set) return Status(StatusCode::kNotPermitted, "only the owner may set times");
    WEFT_RETURN_IF_ERROR(CheckAccess(*inode, req.cred(), kMayWrite));
  }
  auto pick = [now](const TimeSet& t, int64_t old) {
    return t.how() == TimeSet::NOW ? now : t.how() == TimeSet::SET ? t.ns() : old;
  };
  inode->set_atime_ns(pick(req.atime(), inode->atime_ns()));
  inode->set_mtime_ns(pick(req.mtime(), inode->mtime_ns()));
  return Status::Ok();
}

}  // namespace

Result<AttrReply> Mdt::Setattr(const SetattrRequest& req, const ReplyTag* tag) {
  MultiLock inode_lock(inode_locks_, {req.ino()});
  WEFT_ASSIGN_OR_RETURN(Inode inode, GetInode(req.ino()));
  bool only_size = !req.has_mode() && !req.has_uid() && !req.has_gid() &&
                   req.atime().how() == TimeSet::OMIT && req.mtime().how() == TimeSet::OMIT;
  // A size report that another client's larger one already covers: nothing to write or sync.
  if (only_size && req.size_grow_only() && !req.data_written() && req.has_size() &&
      req.size() <= inode.size() && inode.type() == REGULAR) {
    AttrReply reply;
    *reply.mutable_inode() = std::move(inode);
    return reply;
  }
  int64_t now = NowNs();
  bool open = (req.size_grow_only() || req.through_open_file()) && OpenCount(req.ino()) > 0;
  WEFT_RETURN_IF_ERROR(ApplySize(req, now, open, &inode));
  WEFT_RETURN_IF_ERROR(ApplyOwner(req, &inode));
  WEFT_RETURN_IF_ERROR(ApplyMode(req, &inode));
  WEFT_RETURN_IF_ERROR(ApplyTimes(req, now, &inode));
  inode.set_ctime_ns(now);
  Txn txn(*this);
  // Seen at once, synced soon (docs/mds.md, "Attribute changes"); a truncate is synced before
  // anyone sees it, since the OSTs then cut the objects.
  if (!TruncatesFile(req)) txn.SyncSoon();
  txn.PutInode(inode);
  AttrReply reply;
  *reply.mutable_inode() = inode;
  WEFT_RETURN_IF_ERROR(txn.Commit(tag, reply));
  return reply;
}

}  // namespace weft::mds
