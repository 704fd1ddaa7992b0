// fsck: loading the model of the store, the xattr and counter checks, and CheckMdt.
#include "mds/fsck.h"

#include "mds/fsck_checker.h"
#include "mds/lock_table.h"

namespace weft::mds {
namespace fsck_internal {

Result<FsckResult> Checker::Run(const FsckOptions& options) {
  WEFT_RETURN_IF_ERROR(Load());
  CheckEntries();
  CheckOrphans();
  CheckReachable();
  CheckLinks();
  WEFT_RETURN_IF_ERROR(CheckXattrs());
  CheckCounters();
  if (options.repair && !batch_.empty()) {
    WEFT_RETURN_IF_ERROR(store_.Commit(batch_));
    result_.repaired = true;
  }
  return std::move(result_);
}

Status Checker::Load() {
  Result<std::string> format = store_.Get(Family::kMeta, kFormatKey);
  if (!format.ok() && format.status().code() == StatusCode::kNotFound) {
    return Status(StatusCode::kNotFound, "the store holds no formatted MDT (no format record)");
  }
  if (!format.ok()) return format.status();
  if (!format_.ParseFromString(*format)) {
    return Status(StatusCode::kInternal, "the MDT's format record is unreadable");
  }
  root_ = (uint64_t{format_.index()} << 48) | 1;
  WEFT_RETURN_IF_ERROR(LoadInodes());
  WEFT_RETURN_IF_ERROR(LoadEntries());
  WEFT_RETURN_IF_ERROR(LoadOrphans());
  return LoadMeta();
}

Status Checker::LoadInodes() {
  return store_.Scan(Family::kInodes, "", "", [this](std::string_view key, std::string_view v) {
    ++result_.inodes;
    Inode inode;
    if (key.size() != 8 || !inode.ParseFromArray(v.data(), static_cast<int>(v.size())) ||
        inode.ino() != InodeFromKey(key)) {
      Problem("unreadable inode record (key of " + std::to_string(key.size()) +
              " bytes): removed");
      batch_.Delete(Family::kInodes, std::string(key));
      return true;
    }
    inodes_[inode.ino()] = std::move(inode);
    return true;
  });
}

Status Checker::LoadEntries() {
  return store_.Scan(Family::kDentries, "", "", [this](std::string_view key, std::string_view v) {
    ++result_.entries;
    std::optional<DentryKeyParts> parts = DecodeDentryKey(key);
    Dentry d;
    if (!parts || parts->hash != NameHash(parts->name) ||
        !d.ParseFromArray(v.data(), static_cast<int>(v.size()))) {
      Problem("unreadable entry record: removed");
      batch_.Delete(Family::kDentries, std::string(key));
      return true;
    }
    entries_.push_back({parts->parent, std::string(parts->name), d.ino(), d.type()});
    return true;
  });
}

Status Checker::LoadOrphans() {
  return store_.Scan(Family::kOrphans, "", "", [this](std::string_view key, std::string_view v) {
    ++result_.orphans;
    Orphan o;
    if (key.size() != 8 || !o.ParseFromArray(v.data(), static_cast<int>(v.size())) ||
        (o.reason() != Orphan::OPEN_UNLINKED && o.reason() != Orphan::DESTROY)) {
      Problem("unreadable orphan record: removed");
      batch_.Delete(Family::kOrphans, std::string(key));
      return true;
    }
    orphans_[InodeFromKey(key)] = std::move(o);
    return true;
  });
}

Status Checker::LoadMeta() {
  Result<std::string> next = store_.Get(Family::kMeta, kNextInoKey);
  if (next.ok() && next->size() == 8) {
    next_ino_ = ReadU64(*next);
  } else if (next.ok() || next.status().code() == StatusCode::kNotFound) {
    next_ino_ = 0;  // reported by CheckCounters
  } else {
    return next.status();
  }
  return store_.Scan(Family::kMeta, kInodeCountPrefix, kInodeCountPrefix,
                     [this](std::string_view key, std::string_view v) {
                       if (key.size() == kInodeCountPrefix.size() + 8 && v.size() == 8) {
                         uint64_t stripe = ReadU64(key.substr(kInodeCountPrefix.size()));
                         icounts_[static_cast<uint32_t>(stripe)] =
                             static_cast<int64_t>(ReadU64(v));
                       }
                       return true;
                     });
}

Status Checker::CheckXattrs() {
  return store_.Scan(Family::kXattrs, "", "", [this](std::string_view key, std::string_view) {
    ++result_.xattrs;
    if (key.size() > 8 && inodes_.contains(InodeFromKey(key.substr(0, 8)))) return true;
    std::string owner = key.size() >= 8 ? std::to_string(InodeFromKey(key.substr(0, 8))) : "?";
    std::string name(key.size() > 8 ? key.substr(8) : std::string_view());
    Problem("xattr '" + name + "' of missing inode " + owner + ": removed");
    batch_.Delete(Family::kXattrs, std::string(key));
    return true;
  });
}

// next_ino, and the inode counts: an operation counts its inodes under the lock stripe of an
// inode it holds (often the parent's), so only their sum is checked; a repair puts the whole
// count under the root's stripe.
void Checker::CheckCounters() {
  uint64_t max = inodes_.empty() ? root_ : std::max(root_, inodes_.rbegin()->first);
  if (next_ino_ <= max) {
    Problem("next_ino " + std::to_string(next_ino_) + " is not above the highest inode " +
            std::to_string(max) + ": raised");
    next_ino_ = max + 1;
    std::string value;
    AppendU64(&value, next_ino_);
    batch_.Put(Family::kMeta, std::string(kNextInoKey), value);
  }
  int64_t stored = 0;
  for (const auto& [stripe, n] : icounts_) stored += n;
  int64_t counted = static_cast<int64_t>(inodes_.size());
  if (stored + icount_delta_ == counted && icount_delta_ == 0) return;
  if (stored + icount_delta_ != counted) {
    Problem("the inode counts add up to " + std::to_string(stored) + ", counted " +
            std::to_string(counted - icount_delta_) + ": set");
  }
  for (const auto& [stripe, n] : icounts_) batch_.Delete(Family::kMeta, InodeCountKey(stripe));
  std::string value;
  AppendU64(&value, static_cast<uint64_t>(counted));
  batch_.Put(Family::kMeta, InodeCountKey(LockTable::StripeOf(root_)), value);
}

}  // namespace fsck_internal

Result<FsckResult> CheckMdt(MdtStore& store, const FsckOptions& options) {
  fsck_internal::Checker checker(store);
  return checker.Run(options);
}

}  // namespace weft::mds
