#include "client/fuse/capability_cache.h"

#include <iterator>

namespace weft::fuse {

bool NoCapabilityCache::KnownAbsent(uint64_t ino, Clock::time_point now) {
  if (ttl_ <= Clock::duration::zero()) return false;
  std::lock_guard lock(mu_);
  auto it = until_.find(ino);
  if (it == until_.end()) return false;
  if (now < it->second) return true;
  until_.erase(it);
  return false;
}

void NoCapabilityCache::NoteAbsent(uint64_t ino, Clock::time_point now) {
  if (ttl_ <= Clock::duration::zero()) return;
  std::lock_guard lock(mu_);
  if (until_.size() >= kMaxEntries) {
    // Expired entries first; if all are live, start over (a cost of one MDS call each).
    for (auto it = until_.begin(); it != until_.end();) {
      it = now < it->second ? std::next(it) : until_.erase(it);
    }
    if (until_.size() >= kMaxEntries) until_.clear();
  }
  until_[ino] = now + ttl_;
}

void NoCapabilityCache::Drop(uint64_t ino) {
  std::lock_guard lock(mu_);
  until_.erase(ino);
}

size_t NoCapabilityCache::size() {
  std::lock_guard lock(mu_);
  return until_.size();
}

}  // namespace weft::fuse
