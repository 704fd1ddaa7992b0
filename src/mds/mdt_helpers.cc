// Mdt: helpers shared by the operations in src/mds/ops/.
#include <sys/stat.h>

#include "mds/keys.h"
#include "mds/mdt.h"
#include "mds/ops/op_util.h"
#include "mds/txn.h"

namespace weft::mds {

Result<Inode> Mdt::GetInode(uint64_t ino) {
  Result<std::string> value = store_->Get(Family::kInodes, InodeKey(ino));
  if (!value.ok() && value.status().code() == StatusCode::kNotFound) {
    return Status(StatusCode::kNotFound, "no inode " + std::to_string(ino));
  }
  if (!value.ok()) return value.status();
  Inode inode;
  if (!inode.ParseFromString(*value)) {
    return Status(StatusCode::kInternal, "unreadable inode " + std::to_string(ino));
  }
  return inode;
}

Result<Inode> Mdt::GetDir(uint64_t ino) {
  WEFT_ASSIGN_OR_RETURN(Inode inode, GetInode(ino));
  if (inode.type() != DIRECTORY) {
    return Status(StatusCode::kNotDirectory, "inode " + std::to_string(ino) + " is not a directory");
  }
  return inode;
}

Result<std::optional<Dentry>> Mdt::GetDentry(uint64_t parent, std::string_view name) {
  Result<std::string> value = store_->Get(Family::kDentries, DentryKey(parent, name));
  if (!value.ok() && value.status().code() == StatusCode::kNotFound) {
    return std::optional<Dentry>();
  }
  if (!value.ok()) return value.status();
  Dentry dentry;
  if (!dentry.ParseFromString(*value)) {
    return Status(StatusCode::kInternal, "unreadable entry '" + std::string(name) + "'");
  }
  return std::optional<Dentry>(std::move(dentry));
}

Result<bool> Mdt::DirIsEmpty(uint64_t dir) {
  bool empty = true;
  std::string prefix = DentryPrefix(dir);
  WEFT_RETURN_IF_ERROR(store_->Scan(Family::kDentries, prefix, prefix,
                                    [&empty](std::string_view, std::string_view) {
                                      empty = false;
                                      return false;
                                    }));
  return empty;
}

Result<uint64_t> Mdt::AllocateIno() {
  std::lock_guard lock(ino_mu_);
  if (next_ino_ == ino_limit_) {
    std::string value;
    AppendU64(&value, ino_limit_ + options_.ino_range);
    WriteBatch batch;
    batch.Put(Family::kMeta, std::string(kNextInoKey), std::move(value));
    WEFT_RETURN_IF_ERROR(store_->Commit(batch));
    ino_limit_ += options_.ino_range;
  }
  return next_ino_++;
}

void Mdt::SetFsDefaultLayout(uint64_t stripe_size, int32_t stripe_count) {
  if (stripe_size == 0) return;
  fs_stripe_count_.store(stripe_count, std::memory_order_relaxed);
  fs_stripe_size_.store(stripe_size, std::memory_order_relaxed);
}

Layout Mdt::DefaultLayout(const Inode& dir) const {
  if (dir.has_layout()) return dir.layout();
  Layout def = format_.default_layout();
  if (uint64_t size = fs_stripe_size_.load(std::memory_order_relaxed); size != 0) {
    def.set_stripe_size(size);
    def.set_stripe_count(fs_stripe_count_.load(std::memory_order_relaxed));
  }
  return def;
}

Status Mdt::AssignLayout(const Inode& parent, Inode* file) {
  Layout def = DefaultLayout(parent);
  WEFT_ASSIGN_OR_RETURN(std::vector<uint32_t> osts,
                        allocator_->Choose(def.stripe_count(),
                                           def.has_start_ost() ? def.start_ost() : -1));
  Layout* layout = file->mutable_layout();
  layout->Clear();
  layout->set_stripe_size(def.stripe_size());
  layout->set_stripe_count(static_cast<int32_t>(osts.size()));
  for (uint32_t ost : osts) {
    StripeObject* object = layout->add_objects();
    object->set_ost_index(ost);
    object->set_object_id(file->ino());
  }
  return Status::Ok();
}

Result<Inode> Mdt::NewChild(const Inode& parent, const Credentials& cred, FileType type,
                            uint32_t mode, int64_t now) {
  WEFT_ASSIGN_OR_RETURN(uint64_t ino, AllocateIno());
  Inode inode;
  inode.set_ino(ino);
  inode.set_type(type);
  inode.set_uid(cred.uid());
  inode.set_gid(cred.gid());
  mode &= kPermBits;
  if ((parent.mode() & S_ISGID) != 0) {
    inode.set_gid(parent.gid());
    if (type == DIRECTORY) mode |= S_ISGID;
  }
  if (type != DIRECTORY && (mode & S_ISGID) != 0 && !IsRoot(cred) &&
      !InGroup(cred, inode.gid())) {
    mode &= ~static_cast<uint32_t>(S_ISGID);
  }
  inode.set_mode(mode);
  inode.set_nlink(type == DIRECTORY ? 2 : 1);
  inode.set_atime_ns(now);
  inode.set_mtime_ns(now);
  inode.set_ctime_ns(now);
  inode.set_generation(1);
  if (type == DIRECTORY) {
    inode.set_parent(parent.ino());
    if (parent.has_layout()) *inode.mutable_layout() = parent.layout();
  }
  if (type == REGULAR) WEFT_RETURN_IF_ERROR(AssignLayout(parent, &inode));
  return inode;
}

bool Mdt::IsOpen(uint64_t ino) {
  std::lock_guard lock(open_mu_);
  return open_counts_.contains(ino);
}

Status Mdt::DropLink(Txn& txn, Inode inode, int64_t now) {
  inode.set_nlink(inode.type() == DIRECTORY || inode.nlink() == 0 ? 0 : inode.nlink() - 1);
  inode.set_ctime_ns(now);
  if (inode.nlink() > 0) {
    txn.PutInode(inode);
    return Status::Ok();
  }
  if (!IsOpen(inode.ino())) return DeleteInode(txn, inode);
  txn.PutInode(inode);
  Orphan orphan;
  orphan.set_reason(Orphan::OPEN_UNLINKED);
  txn.batch().Put(Family::kOrphans, InodeKey(inode.ino()), orphan.SerializeAsString());
  return Status::Ok();
}

Status Mdt::DeleteInode(Txn& txn, const Inode& inode) {
  txn.batch().Delete(Family::kInodes, InodeKey(inode.ino()));
  std::string prefix = InodeKey(inode.ino());
  WEFT_RETURN_IF_ERROR(store_->Scan(Family::kXattrs, prefix, prefix,
                                    [&txn](std::string_view key, std::string_view) {
                                      txn.batch().Delete(Family::kXattrs, std::string(key));
                                      return true;
                                    }));
  if (inode.type() == REGULAR && inode.layout().objects_size() > 0) {
    Orphan orphan;
    orphan.set_reason(Orphan::DESTROY);
    *orphan.mutable_layout() = inode.layout();
    txn.batch().Put(Family::kOrphans, InodeKey(inode.ino()), orphan.SerializeAsString());
    txn.NoteDestroyQueued(inode.ino(), inode.layout());
  } else {
    txn.batch().Delete(Family::kOrphans, InodeKey(inode.ino()));
  }
  txn.CountInodes(inode.ino(), -1);
  return Status::Ok();
}

}  // namespace weft::mds
