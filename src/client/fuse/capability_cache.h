// NoCapabilityCache: which inodes this mount found, within the attribute timeout, to have no
// security.capability xattr.
//
// The kernel asks a FUSE file system for security.capability before every write(2) to a
// regular file (file_remove_privs: a FUSE superblock is not SB_NOSEC, so the kernel never
// remembers that a file has nothing to strip). Unanswered here, that is one MDS round trip per
// write: 4 KiB random writes paid two round trips each, and tar one extra per small file. An
// ENODATA from the MDS is kept for attr_timeout, as the attributes are, and answered locally;
// so is a file this mount just created (a new file has no capability).
//
// Coherence: a capability another client sets is seen here after at most attr_timeout (the
// kernel's attributes have the same bound); this mount's own setxattr and removexattr, an
// open (close-to-open) and the kernel's forget drop the entry at once.
//
// Thread-safety: every method may be called from any FUSE worker thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <unordered_map>

namespace weft::fuse {

class NoCapabilityCache {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr const char* kName = "security.capability";
  static constexpr size_t kMaxEntries = 65536;

  // `ttl` of zero keeps nothing.
  explicit NoCapabilityCache(Clock::duration ttl) : ttl_(ttl) {}

  // True if `ino` was found without the xattr less than ttl ago.
  bool KnownAbsent(uint64_t ino, Clock::time_point now = Clock::now());
  // The MDS said ENODATA for `ino`'s security.capability at `now`.
  void NoteAbsent(uint64_t ino, Clock::time_point now = Clock::now());
  void Drop(uint64_t ino);
  size_t size();

 private:
  const Clock::duration ttl_;
  std::mutex mu_;
  std::unordered_map<uint64_t, Clock::time_point> until_;
};

}  // namespace weft::fuse
