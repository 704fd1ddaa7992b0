// TimerHeap: the event loop's timers, an indexed binary heap (private to the runtime).
//
// Threading: owned by one EventLoop and used on its thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "common/event_loop.h"

namespace weft::internal {

// Timers in a binary min-heap ordered by (deadline, order of adding). A TimerId is a slot index
// and the slot's generation, bumped whenever the slot is freed, so the id of a fired or
// cancelled timer never names the slot's next occupant. Cancelling removes the entry at once:
// cancelled deadlines (every completed RPC's) do not pile up. Id 0 is never issued.
class TimerHeap {
 public:
  EventLoop::TimerId Add(Clock::time_point when, std::function<void()> fn);
  void Cancel(EventLoop::TimerId id);
  bool empty() const { return heap_.empty(); }
  // REQUIRES: !empty().
  Clock::time_point next() const { return slots_[heap_.front()].when; }
  // Moves the earliest timer's callback into *fn and removes the timer, if it is due at `now`.
  bool PopDue(Clock::time_point now, std::function<void()>* fn);

 private:
  static constexpr uint32_t kNotInHeap = UINT32_MAX;
  struct Slot {
    Clock::time_point when;
    uint64_t order = 0;
    std::function<void()> fn;
    uint32_t generation = 1;
    uint32_t heap_pos = kNotInHeap;
  };

  bool Before(uint32_t a, uint32_t b) const;
  void Place(size_t pos, uint32_t slot);
  void SiftUp(size_t pos);
  void SiftDown(size_t pos);
  void RemoveAt(size_t pos);
  void Release(uint32_t slot);

  std::vector<Slot> slots_;
  std::vector<uint32_t> free_slots_;
  std::vector<uint32_t> heap_;  // slot indices
  uint64_t next_order_ = 0;
};

}  // namespace weft::internal
