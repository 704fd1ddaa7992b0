// The checker works on an in-memory model of the store: each problem found is repaired in the
// model (so later checks see the repaired state and do not report its consequences again) and
// its fix appended to one WriteBatch, committed only with --repair.
#include "mds/fsck.h"

#include <deque>
#include <map>
#include <set>

#include "mds/keys.h"
#include "mds/lock_table.h"
#include "mds/ops/op_util.h"
#include "mds.pb.h"

namespace weft::mds {
namespace {

constexpr std::string_view kLostFound = "lost+found";

struct Entry {
  uint64_t parent;
  std::string name;
  uint64_t child;
  FileType type;
  bool removed = false;
};

std::string EntryName(const Entry& e) {
  return "entry " + std::to_string(e.parent) + "/'" + e.name + "'";
}

std::string Ino(uint64_t ino) { return "inode " + std::to_string(ino); }

class Checker {
 public:
  explicit Checker(MdtStore& store) : store_(store) {}
  Result<FsckResult> Run(const FsckOptions& options);

 private:
  void Problem(std::string line) { result_.problems.push_back(std::move(line)); }
  Status Load();
  Status LoadInodes();
  Status LoadEntries();
  Status LoadOrphans();
  Status LoadMeta();
  void CheckEntries();
  void CheckOrphans();
  void CheckReachable();
  Status AttachLost(uint64_t ino);
  Status EnsureLostFound();
  void DropUnlinked(uint64_t ino);
  void CheckLinks();
  Status CheckXattrs();
  void CheckCounters();
  void RemoveEntry(Entry& e) {
    e.removed = true;
    batch_.Delete(Family::kDentries, DentryKey(e.parent, e.name));
  }
  void PutEntry(const Entry& e) {
    Dentry d;
    d.set_ino(e.child);
    d.set_type(e.type);
    batch_.Put(Family::kDentries, DentryKey(e.parent, e.name), d.SerializeAsString());
  }
  void PutInode(const Inode& inode) {
    batch_.Put(Family::kInodes, InodeKey(inode.ino()), inode.SerializeAsString());
  }
  bool OpenUnlinked(uint64_t ino) const {
    auto it = orphans_.find(ino);
    return it != orphans_.end() && it->second.reason() == Orphan::OPEN_UNLINKED;
  }

  MdtStore& store_;
  FsckResult result_;
  WriteBatch batch_;
  MdtFormat format_;
  uint64_t root_ = 0;
  uint64_t next_ino_ = 0;
  uint64_t lost_found_ = 0;
  std::map<uint64_t, Inode> inodes_;
  std::vector<Entry> entries_;
  std::map<uint64_t, Orphan> orphans_;
  // The stored inode counts: per lock stripe, whose sum (only) must be the number of inodes.
  std::map<uint32_t, int64_t> icounts_;
  int64_t icount_delta_ = 0;  // inodes the repairs added (lost+found) or dropped
};

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

// Entries whose parent is not a directory or whose child is missing, of the wrong type, the
// root, or a directory's second entry (the one whose parent pointer agrees is kept).
void Checker::CheckEntries() {
  std::map<uint64_t, size_t> dir_entry;  // directory -> index of its kept entry
  for (size_t i = 0; i < entries_.size(); ++i) {
    Entry& e = entries_[i];
    auto parent = inodes_.find(e.parent);
    auto child = inodes_.find(e.child);
    if (parent == inodes_.end() || parent->second.type() != DIRECTORY) {
      Problem(EntryName(e) + ": its parent is missing or not a directory: removed");
      RemoveEntry(e);
    } else if (child == inodes_.end()) {
      Problem(EntryName(e) + ": points to missing " + Ino(e.child) + ": removed");
      RemoveEntry(e);
    } else if (e.child == root_) {
      Problem(EntryName(e) + ": names the root: removed");
      RemoveEntry(e);
    } else if (child->second.type() != e.type) {
      Problem(EntryName(e) + ": type " + FileType_Name(e.type) + " but " + Ino(e.child) +
              " is " + FileType_Name(child->second.type()) + ": rewritten");
      e.type = child->second.type();
      PutEntry(e);
    }
    if (e.removed || e.type != DIRECTORY) continue;
    auto [it, first] = dir_entry.emplace(e.child, i);
    if (first) continue;
    // Keep the entry the directory's parent pointer names.
    Entry& kept = entries_[it->second];
    Entry& extra = inodes_[e.child].parent() == e.parent && kept.parent != e.parent ? kept : e;
    if (&extra == &kept) it->second = i;
    Problem(EntryName(extra) + ": a second entry of directory " + std::to_string(e.child) +
            ": removed");
    RemoveEntry(extra);
  }
}

void Checker::CheckOrphans() {
  std::set<uint64_t> linked;
  for (const Entry& e : entries_) {
    if (!e.removed) linked.insert(e.child);
  }
  for (auto it = orphans_.begin(); it != orphans_.end();) {
    uint64_t ino = it->first;
    bool exists = inodes_.contains(ino);
    std::string why;
    if (it->second.reason() == Orphan::DESTROY && exists) {
      why = "queued for destruction but its inode exists: record removed, data kept";
    } else if (it->second.reason() == Orphan::OPEN_UNLINKED && !exists) {
      why = "open-unlinked orphan without an inode: record removed";
    } else if (it->second.reason() == Orphan::OPEN_UNLINKED && linked.contains(ino)) {
      why = "open-unlinked orphan that still has entries: record removed";
    }
    if (why.empty()) {
      ++it;
      continue;
    }
    Problem("orphan " + std::to_string(ino) + ": " + why);
    batch_.Delete(Family::kOrphans, InodeKey(ino));
    it = orphans_.erase(it);
  }
}

// Inodes not reachable from the root. The tops of detached trees (no entry at all) are
// attached to /lost+found, or dropped when they are unlinked non-directories; a detached loop
// of directories is broken at its lowest directory.
void Checker::CheckReachable() {
  for (;;) {
    std::multimap<uint64_t, size_t> children;  // parent -> entry index
    std::map<uint64_t, int> incoming;
    for (size_t i = 0; i < entries_.size(); ++i) {
      if (entries_[i].removed) continue;
      children.emplace(entries_[i].parent, i);
      ++incoming[entries_[i].child];
    }
    std::set<uint64_t> seen = {root_};
    std::deque<uint64_t> todo = {root_};
    while (!todo.empty()) {
      auto [b, end] = children.equal_range(todo.front());
      todo.pop_front();
      for (auto it = b; it != end; ++it) {
        uint64_t child = entries_[it->second].child;
        if (seen.insert(child).second) todo.push_back(child);
      }
    }
    std::vector<uint64_t> tops;
    uint64_t loop_dir = 0;
    for (const auto& [ino, inode] : inodes_) {
      if (seen.contains(ino) || (OpenUnlinked(ino) && !incoming.contains(ino))) continue;
      if (!incoming.contains(ino)) tops.push_back(ino);
      if (inode.type() == DIRECTORY && loop_dir == 0) loop_dir = ino;
    }
    if (tops.empty() && loop_dir == 0) return;
    if (tops.empty()) {
      for (Entry& e : entries_) {
        if (!e.removed && e.child == loop_dir) RemoveEntry(e);
      }
      Problem(Ino(loop_dir) + ": a directory in a loop detached from the root: unlinked");
      tops.push_back(loop_dir);
    }
    for (uint64_t ino : tops) {
      const Inode& inode = inodes_[ino];
      if (inode.type() != DIRECTORY && inode.nlink() == 0) {
        Problem(Ino(ino) + ": no entries, no links and no orphan record: dropped");
        DropUnlinked(ino);
      } else if (Status st = AttachLost(ino); st.ok()) {
        Problem(Ino(ino) + ": not reachable from the root: linked as /lost+found/#" +
                std::to_string(ino));
      } else {
        Problem(Ino(ino) + ": not reachable from the root; " + st.message());
        return;
      }
    }
  }
}

Status Checker::EnsureLostFound() {
  if (lost_found_ != 0) return Status::Ok();
  for (const Entry& e : entries_) {
    if (e.removed || e.parent != root_ || e.name != kLostFound) continue;
    if (e.type != DIRECTORY) {
      return Status(StatusCode::kAlreadyExists,
                    "cannot attach it: /lost+found is not a directory (rename it and run again)");
    }
    lost_found_ = e.child;
    return Status::Ok();
  }
  Inode dir;
  uint64_t ino = std::max(next_ino_, (uint64_t{format_.index()} << 48) | 2);
  if (!inodes_.empty()) ino = std::max(ino, inodes_.rbegin()->first + 1);
  dir.set_ino(ino);
  next_ino_ = ino + 1;
  ++icount_delta_;
  dir.set_type(DIRECTORY);
  dir.set_mode(0700);
  dir.set_nlink(2);
  int64_t now = NowNs();
  dir.set_atime_ns(now);
  dir.set_mtime_ns(now);
  dir.set_ctime_ns(now);
  dir.set_generation(1);
  dir.set_parent(root_);
  inodes_[dir.ino()] = dir;
  PutInode(dir);
  std::string next;
  AppendU64(&next, next_ino_);
  batch_.Put(Family::kMeta, std::string(kNextInoKey), next);
  entries_.push_back({root_, std::string(kLostFound), dir.ino(), DIRECTORY});
  PutEntry(entries_.back());
  Inode& root = inodes_[root_];
  root.set_nlink(root.nlink() + 1);
  PutInode(root);
  lost_found_ = dir.ino();
  return Status::Ok();
}

// Links `ino` into /lost+found; a directory moves there with its parent pointer and the link
// counts of lost+found following, so CheckLinks finds nothing to say about the move itself.
Status Checker::AttachLost(uint64_t ino) {
  WEFT_RETURN_IF_ERROR(EnsureLostFound());
  Inode& inode = inodes_[ino];
  entries_.push_back({lost_found_, "#" + std::to_string(ino), ino, inode.type()});
  PutEntry(entries_.back());
  if (inode.type() == DIRECTORY) {
    inode.set_parent(lost_found_);
    PutInode(inode);
    Inode& lost = inodes_[lost_found_];
    lost.set_nlink(lost.nlink() + 1);
    PutInode(lost);
  }
  return Status::Ok();
}

// As Mdt::DeleteInode: the inode goes and a file's objects are queued for destruction (its
// xattrs go as strays in CheckXattrs).
void Checker::DropUnlinked(uint64_t ino) {
  const Inode& inode = inodes_[ino];
  batch_.Delete(Family::kInodes, InodeKey(ino));
  if (inode.type() == REGULAR && inode.layout().objects_size() > 0) {
    Orphan orphan;
    orphan.set_reason(Orphan::DESTROY);
    *orphan.mutable_layout() = inode.layout();
    batch_.Put(Family::kOrphans, InodeKey(ino), orphan.SerializeAsString());
    orphans_[ino] = orphan;
  }
  --icount_delta_;
  inodes_.erase(ino);
}

void Checker::CheckLinks() {
  std::map<uint64_t, uint32_t> links, subdirs;
  std::map<uint64_t, uint64_t> holder;  // directory -> the directory its entry is in
  for (const Entry& e : entries_) {
    if (e.removed) continue;
    ++links[e.child];
    if (e.type == DIRECTORY) {
      ++subdirs[e.parent];
      holder[e.child] = e.parent;
    }
  }
  for (auto& [ino, inode] : inodes_) {
    bool changed = false;
    uint32_t want = inode.type() == DIRECTORY ? 2 + subdirs[ino] : links[ino];
    if (OpenUnlinked(ino) && links[ino] == 0) want = 0;
    if (inode.nlink() != want) {
      Problem(Ino(ino) + ": link count " + std::to_string(inode.nlink()) + ", counted " +
              std::to_string(want) + ": set");
      inode.set_nlink(want);
      changed = true;
    }
    uint64_t parent = ino == root_ ? root_ : holder[ino];
    if (inode.type() == DIRECTORY && parent != 0 && inode.parent() != parent) {
      Problem(Ino(ino) + ": parent pointer " + std::to_string(inode.parent()) +
              ", but its entry is in " + std::to_string(parent) + ": set");
      inode.set_parent(parent);
      changed = true;
    }
    if (changed) PutInode(inode);
  }
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

}  // namespace

Result<FsckResult> CheckMdt(MdtStore& store, const FsckOptions& options) {
  Checker checker(store);
  return checker.Run(options);
}

}  // namespace weft::mds
