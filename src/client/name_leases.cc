#include "client/name_leases.h"

#include <algorithm>
#include <utility>

namespace weft::client {
namespace {

// Taken off every lease: the MDS's clock starts after the request's sending, but a lease is not
// worth leaning on to its last millisecond (a notification still on its way, a slow loop).
constexpr std::chrono::milliseconds kMargin{250};

}  // namespace

void NameLeaseCache::Granted(uint64_t dir, const mds::Lease& lease, Clock::time_point sent) {
  if (lease.ms() == 0) return;
  Clock::time_point until = sent + std::chrono::milliseconds(lease.ms()) - kMargin;
  std::lock_guard<std::mutex> lock(mu_);
  ++grants_;
  Clock::time_point& kept = until_[dir];
  kept = std::max(kept, until);
  if (until_.size() >= prune_at_) {
    Clock::time_point now = Clock::now();
    std::erase_if(until_, [now](const auto& e) { return e.second <= now; });
    prune_at_ = std::max<size_t>(1024, 2 * until_.size());
  }
}

NameLeaseCache::Clock::duration NameLeaseCache::Remaining(uint64_t dir) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = until_.find(dir);
  if (it == until_.end()) return Clock::duration::zero();
  return std::max(Clock::duration::zero(), it->second - Clock::now());
}

void NameLeaseCache::Removed(const mds::NamesRemoved& names) {
  RemovedHandler handler;
  {
    std::lock_guard<std::mutex> lock(mu_);
    removed_ += static_cast<uint64_t>(names.names_size());
    handler = handler_;
  }
  if (!handler) return;
  for (const mds::RemovedName& n : names.names()) handler(n.parent(), n.name());
}

void NameLeaseCache::SetRemovedHandler(RemovedHandler handler) {
  std::lock_guard<std::mutex> lock(mu_);
  handler_ = std::move(handler);
}

uint64_t NameLeaseCache::grants() const {
  std::lock_guard<std::mutex> lock(mu_);
  return grants_;
}

uint64_t NameLeaseCache::removed_names() const {
  std::lock_guard<std::mutex> lock(mu_);
  return removed_;
}

}  // namespace weft::client
