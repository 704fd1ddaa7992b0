// ChangeWaiters: coroutines waiting, each until its own deadline, for the next change of the
// registry. This is the MGS's long poll: GetConfig with the current generation waits here.
//
// Threading: loop-thread only, like the EventLoop it uses for its timers.
#pragma once

#include <coroutine>
#include <cstddef>
#include <unordered_set>

#include "common/event_loop.h"

namespace weft::mgs {

class ChangeWaiters {
 public:
  explicit ChangeWaiters(EventLoop& loop) : loop_(loop) {}
  // REQUIRES: no coroutine waiting (WakeAll first; the MGS does so before it shuts down).
  ~ChangeWaiters();
  ChangeWaiters(const ChangeWaiters&) = delete;
  ChangeWaiters& operator=(const ChangeWaiters&) = delete;

  struct Waiter {
    ChangeWaiters* owner;
    Clock::time_point deadline;
    std::coroutine_handle<> handle;
    EventLoop::TimerId timer = 0;

    bool await_ready() const noexcept { return deadline <= Clock::now(); }
    void await_suspend(std::coroutine_handle<> h) { owner->Add(this, h); }
    void await_resume() const noexcept {}
  };

  // `co_await waiters.WaitUntil(t)`: resumes after the next WakeAll() or at t, whichever comes
  // first; at once when t has passed.
  Waiter WaitUntil(Clock::time_point deadline) { return Waiter{this, deadline, {}, 0}; }

  // Resumes every waiting coroutine, on the loop after the caller returns (so a waker never
  // runs a waiter's code inside its own).
  void WakeAll();

  size_t size() const { return waiting_.size(); }

 private:
  void Add(Waiter* w, std::coroutine_handle<> h);
  void OnDeadline(Waiter* w);

  EventLoop& loop_;
  std::unordered_set<Waiter*> waiting_;
};

}  // namespace weft::mgs
