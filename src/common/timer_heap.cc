#include "common/timer_heap.h"

namespace weft::internal {

EventLoop::TimerId TimerHeap::Add(Clock::time_point when, std::function<void()> fn) {
  uint32_t slot;
  if (free_slots_.empty()) {
    slot = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  } else {
    slot = free_slots_.back();
    free_slots_.pop_back();
  }
  Slot& s = slots_[slot];
  s.when = when;
  s.order = next_order_++;
  s.fn = std::move(fn);
  heap_.push_back(slot);
  Place(heap_.size() - 1, slot);
  SiftUp(heap_.size() - 1);
  return (uint64_t{s.generation} << 32) | slot;
}

void TimerHeap::Cancel(EventLoop::TimerId id) {
  auto slot = static_cast<uint32_t>(id);
  auto generation = static_cast<uint32_t>(id >> 32);
  if (slot >= slots_.size()) return;
  Slot& s = slots_[slot];
  if (s.generation != generation || s.heap_pos == kNotInHeap) return;
  RemoveAt(s.heap_pos);
  Release(slot);
}

bool TimerHeap::PopDue(Clock::time_point now, std::function<void()>* fn) {
  if (heap_.empty()) return false;
  uint32_t slot = heap_.front();
  if (slots_[slot].when > now) return false;
  *fn = std::move(slots_[slot].fn);
  RemoveAt(0);
  Release(slot);
  return true;
}

bool TimerHeap::Before(uint32_t a, uint32_t b) const {
  const Slot& x = slots_[a];
  const Slot& y = slots_[b];
  return x.when != y.when ? x.when < y.when : x.order < y.order;
}

void TimerHeap::Place(size_t pos, uint32_t slot) {
  heap_[pos] = slot;
  slots_[slot].heap_pos = static_cast<uint32_t>(pos);
}

void TimerHeap::SiftUp(size_t pos) {
  uint32_t slot = heap_[pos];
  while (pos > 0) {
    size_t parent = (pos - 1) / 2;
    if (!Before(slot, heap_[parent])) break;
    Place(pos, heap_[parent]);
    pos = parent;
  }
  Place(pos, slot);
}

void TimerHeap::SiftDown(size_t pos) {
  uint32_t slot = heap_[pos];
  for (;;) {
    size_t child = 2 * pos + 1;
    if (child >= heap_.size()) break;
    if (child + 1 < heap_.size() && Before(heap_[child + 1], heap_[child])) ++child;
    if (!Before(heap_[child], slot)) break;
    Place(pos, heap_[child]);
    pos = child;
  }
  Place(pos, slot);
}

void TimerHeap::RemoveAt(size_t pos) {
  uint32_t last = heap_.back();
  heap_.pop_back();
  if (pos == heap_.size()) return;
  Place(pos, last);
  SiftDown(pos);
  SiftUp(slots_[last].heap_pos);
}

void TimerHeap::Release(uint32_t slot) {
  Slot& s = slots_[slot];
  s.fn = nullptr;
  s.heap_pos = kNotInHeap;
  if (++s.generation == 0) s.generation = 1;
  free_slots_.push_back(slot);
}

}  // namespace weft::internal
