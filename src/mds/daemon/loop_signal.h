// LoopSignal: one coroutine on an event loop waits, with a time limit, until another piece of
// loop code notifies it. A notification with nobody waiting is kept for the next Wait.
//
// Threading: loop-thread only (to notify from another thread, Post a call of Notify). At most
// one coroutine waits at a time.
#pragma once

#include <coroutine>

#include "common/event_loop.h"

namespace weft::mds {

class LoopSignal {
 public:
  explicit LoopSignal(EventLoop& loop) : loop_(loop) {}
  LoopSignal(const LoopSignal&) = delete;
  LoopSignal& operator=(const LoopSignal&) = delete;

  // Wakes the waiter (on the loop, not inside this call), or the next Wait if none waits.
  void Notify() {
    if (!waiter_) {
      notified_ = true;
      return;
    }
    loop_.CancelTimer(timer_);
    std::coroutine_handle<> h = waiter_;
    waiter_ = nullptr;
    loop_.Resume(h);
  }

  // `co_await signal.Wait(d)`: returns after a Notify or after `d`, whichever comes first.
  auto Wait(Clock::duration limit) {
    struct Awaiter {
      LoopSignal* s;
      Clock::duration limit;
      bool await_ready() const noexcept { return s->notified_; }
      void await_suspend(std::coroutine_handle<> h) {
        s->waiter_ = h;
        LoopSignal* signal = s;
        s->timer_ = s->loop_.AddTimer(Clock::now() + limit, [signal] { signal->TimedOut(); });
      }
      void await_resume() const noexcept { s->notified_ = false; }
    };
    return Awaiter{this, limit};
  }

 private:
  void TimedOut() {
    if (!waiter_) return;
    std::coroutine_handle<> h = waiter_;
    waiter_ = nullptr;
    h.resume();
  }

  EventLoop& loop_;
  bool notified_ = false;
  std::coroutine_handle<> waiter_;
  EventLoop::TimerId timer_ = 0;
};

}  // namespace weft::mds
