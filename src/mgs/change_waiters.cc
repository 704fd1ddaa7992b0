#include "mgs/change_waiters.h"

#include <cassert>
#include <utility>

namespace weft::mgs {

ChangeWaiters::~ChangeWaiters() { assert(waiting_.empty()); }

void ChangeWaiters::Add(Waiter* w, std::coroutine_handle<> h) {
  w->handle = h;
  w->timer = loop_.AddTimer(w->deadline, [this, w] { OnDeadline(w); });
  waiting_.insert(w);
}

void ChangeWaiters::OnDeadline(Waiter* w) {
  waiting_.erase(w);
  w->handle.resume();
}

void ChangeWaiters::WakeAll() {
  std::unordered_set<Waiter*> woken = std::exchange(waiting_, {});
  for (Waiter* w : woken) {
    loop_.CancelTimer(w->timer);
    loop_.Resume(w->handle);
  }
}

}  // namespace weft::mgs
