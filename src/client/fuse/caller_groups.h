// CallerGroupsCache: the supplementary groups of recent callers, by process.
//
// The kernel sends a FUSE request with the caller's pid, uid and gid but not its supplementary
// groups, and the MDS needs them for its permission checks; libfuse reads them from
// /proc/PID/task/PID/status, about 10 µs (an open, two reads and a close) on the VMs measured,
// for every request. A process sends its requests in bursts (a stat of each file, an untar), so
// the list read for one request is kept for the next ones of the same process, with the same
// uid and gid, for at most the attribute timeout.
//
// Coherence: a process that changes its supplementary groups with setgroups(2) and keeps its
// uid and gid may be checked with its old list for up to that timeout, as the kernel keeps its
// attributes; changing the uid or gid (setuid, newgrp, su) starts a new entry at once.
//
// Thread-safety: every method may be called from any FUSE worker thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

namespace weft::fuse {

class CallerGroupsCache {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr size_t kMaxEntries = 4096;

  // `ttl` of zero keeps nothing.
  explicit CallerGroupsCache(Clock::duration ttl) : ttl_(ttl) {}

  // The groups read for `pid` running as uid:gid less than ttl ago.
  std::optional<std::vector<uint32_t>> Find(pid_t pid, uint32_t uid, uint32_t gid,
                                            Clock::time_point now = Clock::now());
  // `groups` were read for `pid` running as uid:gid at `now`.
  void Note(pid_t pid, uint32_t uid, uint32_t gid, std::vector<uint32_t> groups,
            Clock::time_point now = Clock::now());
  size_t size();

 private:
  struct Entry {
    uint32_t uid = 0;
    uint32_t gid = 0;
    Clock::time_point until;
    std::vector<uint32_t> groups;
  };
  const Clock::duration ttl_;
  std::mutex mu_;
  std::unordered_map<pid_t, Entry> entries_;
};

}  // namespace weft::fuse
