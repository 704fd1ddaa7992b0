// Small loop-thread-only synchronisation helpers for coroutines:
//   - AsyncSemaphore: at most N holders (the RPCs in flight to one OST);
//   - WaitGroup: a coroutine waits for every task it started (the pieces of one striped I/O,
//     the disk writes of one OSS Write whose data is still arriving);
//   - AsyncEvent: any number of coroutines wait for one thing to happen (a readahead fetch
//     that several reads need).
//
// Thread-safety: loop-thread only; waiters are resumed through EventLoop::Resume, so a release
// never runs another coroutine inside the caller's stack.
#pragma once

#include <coroutine>
#include <cstddef>
#include <deque>
#include <utility>
#include <vector>

#include "common/event_loop.h"
#include "common/status.h"

namespace weft {

class AsyncSemaphore {
 public:
  AsyncSemaphore(EventLoop& loop, size_t count) : loop_(&loop), free_(count) {}

  // `co_await sem.Acquire()`: returns once a unit is held; pair with Release().
  auto Acquire() {
    struct Awaiter {
      AsyncSemaphore* sem;
      bool await_ready() const noexcept {
        if (sem->free_ == 0) return false;
        --sem->free_;
        return true;
      }
      void await_suspend(std::coroutine_handle<> h) { sem->waiters_.push_back(h); }
      void await_resume() const noexcept {}
    };
    return Awaiter{this};
  }
  // Gives a unit back: to the first waiter (which then holds it), else to the pool.
  void Release() {
    if (waiters_.empty()) {
      ++free_;
      return;
    }
    std::coroutine_handle<> h = waiters_.front();
    waiters_.pop_front();
    loop_->Resume(h);
  }

 private:
  EventLoop* loop_;
  size_t free_;
  std::deque<std::coroutine_handle<>> waiters_;
};

// Counts tasks started with Add() and finished with Done(status); Wait() returns the first
// failure (or Ok) once all are done. REQUIRES: outlives every task that calls Done.
class WaitGroup {
 public:
  explicit WaitGroup(EventLoop& loop) : loop_(&loop) {}

  void Add() { ++pending_; }
  void Done(const Status& status) {
    if (!status.ok() && first_error_.ok()) first_error_ = status;
    if (--pending_ == 0 && waiter_) loop_->Resume(std::exchange(waiter_, {}));
  }
  auto Wait() {
    struct Awaiter {
      WaitGroup* group;
      bool await_ready() const noexcept { return group->pending_ == 0; }
      void await_suspend(std::coroutine_handle<> h) { group->waiter_ = h; }
      Status await_resume() const { return group->first_error_; }
    };
    return Awaiter{this};
  }

 private:
  EventLoop* loop_;
  size_t pending_ = 0;
  std::coroutine_handle<> waiter_;
  Status first_error_;
};

// Set once; Wait() returns at once after that, and every coroutine waiting before is resumed.
class AsyncEvent {
 public:
  explicit AsyncEvent(EventLoop& loop) : loop_(&loop) {}

  void Set() {
    set_ = true;
    for (std::coroutine_handle<> h : std::exchange(waiters_, {})) loop_->Resume(h);
  }
  bool is_set() const { return set_; }
  auto Wait() {
    struct Awaiter {
      AsyncEvent* event;
      bool await_ready() const noexcept { return event->set_; }
      void await_suspend(std::coroutine_handle<> h) { event->waiters_.push_back(h); }
      void await_resume() const noexcept {}
    };
    return Awaiter{this};
  }

 private:
  EventLoop* loop_;
  bool set_ = false;
  std::vector<std::coroutine_handle<>> waiters_;
};

}  // namespace weft
