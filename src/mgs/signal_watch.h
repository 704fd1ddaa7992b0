// SignalWatch: SIGINT and SIGTERM delivered to an event loop, through a signalfd polled by the
// loop, so that a daemon shuts down in ordinary code and not in a signal handler. A busy loop
// reads the signalfd at most every kReadInterval (a read is a system call, and the loop turns
// several times per request); a blocked one wakes when the signalfd becomes readable.
//
// BlockShutdownSignals() must run before the process starts any thread, so that every thread
// inherits the blocked mask and the signals wait in the signalfd.
//
// Threading: Open, Wait and destruction on the loop thread.
#pragma once

#include <chrono>
#include <coroutine>
#include <memory>

#include "common/event_loop.h"
#include "common/status.h"

namespace weft::mgs {

// Blocks SIGINT and SIGTERM in the calling thread (and the threads it starts later).
Status BlockShutdownSignals();

class SignalWatch : public EventLoop::Poller {
 public:
  // REQUIRES: on loop's thread; BlockShutdownSignals() was called.
  static Result<std::unique_ptr<SignalWatch>> Open(EventLoop& loop);
  ~SignalWatch() override;

  struct Awaiter {
    SignalWatch* watch;
    bool await_ready() const noexcept { return watch->signal_ != 0; }
    void await_suspend(std::coroutine_handle<> h) { watch->waiter_ = h; }
    int await_resume() const noexcept { return watch->signal_; }
  };
  // `int sig = co_await watch.Wait()`: resumes with the first SIGINT or SIGTERM received.
  // REQUIRES: one waiter at a time.
  Awaiter Wait() { return Awaiter{this}; }

  // How often a busy loop looks for a signal: a shutdown waits at most this long.
  static constexpr std::chrono::milliseconds kReadInterval{2};

  int Poll() override;
  int WaitFd() override { return fd_; }
  bool TryWait() override { return true; }

 private:
  SignalWatch(EventLoop& loop, int fd) : loop_(loop), fd_(fd) {}

  EventLoop& loop_;
  int fd_;
  int signal_ = 0;
  Clock::time_point next_read_{};
  std::coroutine_handle<> waiter_;
};

}  // namespace weft::mgs
