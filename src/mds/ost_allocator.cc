#include "mds/ost_allocator.h"

#include <algorithm>

namespace weft::mds {

void RoundRobinOstAllocator::Update(std::vector<OstState> osts) {
  std::sort(osts.begin(), osts.end(),
            [](const OstState& a, const OstState& b) { return a.index < b.index; });
  std::vector<Slot> slots;
  std::vector<uint32_t> known;
  for (const OstState& ost : osts) {
    known.push_back(ost.index);
    if (!ost.active) continue;
    // Weights in MiB keep the sums far from overflow; every active OST gets at least 1.
    int64_t weight = std::max<int64_t>(1, static_cast<int64_t>(ost.bytes_free >> 20));
    slots.push_back({ost.index, weight, 0});
  }
  {
    std::lock_guard lock(mu_);
    slots_ = std::move(slots);
    known_ = std::move(known);
    updated_once_ = true;
  }
  updated_.notify_all();
}

bool RoundRobinOstAllocator::Knows(uint32_t index) {
  std::lock_guard lock(mu_);
  return std::binary_search(known_.begin(), known_.end(), index);
}

size_t RoundRobinOstAllocator::PickStart() {
  int64_t total = 0;
  size_t best = 0;
  for (size_t i = 0; i < slots_.size(); ++i) {
    slots_[i].current += slots_[i].weight;
    total += slots_[i].weight;
    if (slots_[i].current > slots_[best].current) best = i;
  }
  slots_[best].current -= total;
  return best;
}

Result<std::vector<uint32_t>> RoundRobinOstAllocator::Choose(int32_t stripe_count,
                                                            int32_t start_ost) {
  std::unique_lock lock(mu_);
  if (!updated_once_ && first_update_wait_.count() > 0) {
    updated_.wait_for(lock, first_update_wait_, [this] { return updated_once_; });
  }
  if (slots_.empty()) return Status(StatusCode::kNoSpace, "no active OSTs to place objects on");
  size_t count = slots_.size();
  if (stripe_count > 0) count = std::min(count, static_cast<size_t>(stripe_count));
  size_t start = 0;
  if (start_ost >= 0) {
    // The first active OST at or after start_ost, wrapping: slots_ is in index order.
    auto at = std::lower_bound(slots_.begin(), slots_.end(), static_cast<uint32_t>(start_ost),
                               [](const Slot& s, uint32_t i) { return s.index < i; });
    start = at == slots_.end() ? 0 : static_cast<size_t>(at - slots_.begin());
  } else {
    start = PickStart();
  }
  std::vector<uint32_t> chosen;
  chosen.reserve(count);
  for (size_t i = 0; i < count; ++i) chosen.push_back(slots_[(start + i) % slots_.size()].index);
  return chosen;
}

}  // namespace weft::mds
