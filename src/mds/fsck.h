// Fsck: the offline consistency check (and repair) of a metadata target's store.
//
// Checks, over the whole store:
//   - every entry's parent is a directory and its child exists, with the entry's type; a
//     directory has exactly one entry, and nothing names the root;
//   - every inode but the root is reachable from the root, or is an open-unlinked orphan;
//   - link counts: a directory has 2 + its subdirectories, anything else its entries (0 for an
//     open-unlinked orphan); a directory's parent pointer names the directory holding it;
//   - orphans: OPEN_UNLINKED has an inode with no entries; DESTROY has no inode;
//   - extended attributes belong to existing inodes;
//   - next_ino lies above every inode number, and the per-stripe inode counts match.
//
// Each problem is one line naming the inode or entry. Repairs (each check also says what it
// does): unreadable records and entries that point nowhere, or name the root, or are a
// directory's second entry, are removed; an entry of the wrong type is rewritten; an
// unreachable inode with links (or any unreachable directory) is linked into /lost+found
// (created when needed) as "#INO"; an unreachable non-directory with no links and no orphan
// record is dropped as the MDS drops a file (its objects queued for destruction); wrong link
// counts and parent pointers are set; orphan records that contradict their inode are removed
// (a DESTROY record whose inode exists is dropped: the data stays); stray xattrs are removed;
// counters are set. All repairs are one WriteBatch.
//
// Threading: single-threaded. REQUIRES: nothing else uses the store meanwhile (offline).
// Memory: every inode and entry of the MDT is held in memory.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "mds/store/mdt_store.h"

namespace weft::mds {

struct FsckOptions {
  bool repair = false;  // commit the repairs (otherwise only report)
};

struct FsckResult {
  std::vector<std::string> problems;  // one line each, in the order found
  uint64_t inodes = 0;                // records seen
  uint64_t entries = 0;
  uint64_t orphans = 0;
  uint64_t xattrs = 0;
  bool repaired = false;  // the repairs of `problems` were committed
  bool clean() const { return problems.empty(); }
};

// Checks the MDT in `store`, and repairs it when options.repair. Errors: kNotFound for a store
// without an MDT format record; store errors as they come.
Result<FsckResult> CheckMdt(MdtStore& store, const FsckOptions& options);

}  // namespace weft::mds
