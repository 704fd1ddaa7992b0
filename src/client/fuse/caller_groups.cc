#include "client/fuse/caller_groups.h"

#include <iterator>
#include <utility>

namespace weft::fuse {

std::optional<std::vector<uint32_t>> CallerGroupsCache::Find(pid_t pid, uint32_t uid,
                                                             uint32_t gid, Clock::time_point now) {
  if (ttl_ <= Clock::duration::zero()) return std::nullopt;
  std::lock_guard lock(mu_);
  auto it = entries_.find(pid);
  if (it == entries_.end()) return std::nullopt;
  if (now >= it->second.until || it->second.uid != uid || it->second.gid != gid) {
    entries_.erase(it);
    return std::nullopt;
  }
  return it->second.groups;
}

void CallerGroupsCache::Note(pid_t pid, uint32_t uid, uint32_t gid, std::vector<uint32_t> groups,
                             Clock::time_point now) {
  if (ttl_ <= Clock::duration::zero()) return;
  std::lock_guard lock(mu_);
  if (entries_.size() >= kMaxEntries) {
    // Expired entries first; if all are live, start over (a /proc read each).
    for (auto it = entries_.begin(); it != entries_.end();) {
      it = now < it->second.until ? std::next(it) : entries_.erase(it);
    }
    if (entries_.size() >= kMaxEntries) entries_.clear();
  }
  entries_[pid] = Entry{uid, gid, now + ttl_, std::move(groups)};
}

size_t CallerGroupsCache::size() {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace weft::fuse
