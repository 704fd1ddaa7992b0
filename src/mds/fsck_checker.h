// The checker behind CheckMdt (fsck.h): private to src/mds/fsck*.cc.
//
// It works on an in-memory model of the store: each problem found is repaired in the model (so
// later checks see the repaired state and do not report its consequences again) and its fix
// appended to one WriteBatch, committed only with --repair. fsck.cc loads the model and checks
// xattrs and counters; fsck_tree.cc checks the tree (entries, orphans, reachability, links).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "mds.pb.h"
#include "mds/fsck.h"
#include "mds/keys.h"

namespace weft::mds::fsck_internal {

constexpr std::string_view kLostFound = "lost+found";

struct Entry {
  uint64_t parent;
  std::string name;
  uint64_t child;
  FileType type;
  bool removed = false;
};

inline std::string EntryName(const Entry& e) {
  return "entry " + std::to_string(e.parent) + "/'" + e.name + "'";
}

inline std::string Ino(uint64_t ino) { return "inode " + std::to_string(ino); }

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

}  // namespace weft::mds::fsck_internal
