// fsck: the checks of the tree (entries, orphans, reachability, link counts).
#include <deque>
#include <set>

#include "mds/fsck_checker.h"
#include "mds/ops/op_util.h"

namespace weft::mds::fsck_internal {
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

}  // namespace weft::mds::fsck_internal
