// LoopSignal: one coroutine on an event loop waits, with a time limit, until another piece of
// loop code notifies it. A notification with nobody waiting is kept for the next Wait.
// LoopTask: a background coroutine on the loop that Stop() ends and waits for (the reply-record
// trimmer, the lease grace).
//
// Threading: loop-thread only (to notify from another thread, Post a call of Notify). At most
// one coroutine waits at a time.
#pragma once

#include <coroutine>

#include "common/event_loop.h"
#include "common/task.h"

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

class LoopTask {
 public:
  explicit LoopTask(EventLoop& loop) : loop_(loop), signal_(loop) {}

  // Spawns `body`, which checks stopping() and pauses with Sleep. REQUIRES: not running.
  void Start(Task<void> body) {
    running_ = true;
    loop_.Spawn(Run(std::move(body)));
  }
  // Ends it: cuts a Sleep short, then waits until the body has returned (at once if it never
  // started).
  Task<void> Stop() {
    stopping_ = true;
    signal_.Notify();
    while (running_) co_await loop_.Sleep(std::chrono::milliseconds(10));
  }
  bool stopping() const { return stopping_; }
  // `co_await task.Sleep(d)`: returns after `d`, or at once when Stop is called.
  auto Sleep(Clock::duration d) { return signal_.Wait(d); }

 private:
  Task<void> Run(Task<void> body) {
    co_await body;
    running_ = false;
  }

  EventLoop& loop_;
  LoopSignal signal_;
  bool stopping_ = false;
  bool running_ = false;
};

}  // namespace weft::mds
