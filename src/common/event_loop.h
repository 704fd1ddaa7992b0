// EventLoop: one thread's reactor. Every Weft daemon runs a few of them (LoopGroup).
//
// A loop owns, and only its own thread touches:
//   - a queue of ready work (posted functions and coroutines to resume),
//   - timers (deadlines, sleeps),
//   - pollers: completion sources polled every iteration (the libfabric completion queue of
//     the RPC engines bound to this loop),
//   - one io_uring (uring.h), whose submissions are batched and submitted once per iteration.
//
// One iteration: run ready work; submit queued io_uring SQEs; reap io_uring completions; poll
// every poller; fire due timers. When an iteration found nothing to do the loop spins for
// `Options::spin` and then blocks in epoll_wait on: an eventfd (cross-thread wakeup), the
// io_uring's eventfd, each poller's wait fd (after the poller's TryWait() says blocking is
// safe, as fi_trywait requires), bounded by the next timer.
//
// Thread-safety: Post, Spawn, Stop and InLoopThread may be called from any thread. Everything
// else is loop-thread only (REQUIRES: InLoopThread()), including the awaitables.
#pragma once

#include <atomic>
#include <chrono>
#include <coroutine>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/task.h"

namespace weft {

class ConfigRegistry;
class Uring;

using Clock = std::chrono::steady_clock;

// How long an idle loop polls before it blocks, unless told: 400 µs. A loop that blocks pays a
// wake-up when its next message or completion arrives, and on a virtual machine whose vCPU
// went idle that is an IPI and a return from the halt: about 40 µs on the 2-vCPU machines this
// was measured on (a 64 B RPC round trip, two wake-ups, took 94-105 µs; polling, 20 µs).
// What a loop waits for mostly comes within a few hundred microseconds: a 4 KiB disk read
// (40-50 µs), the reply to an OSS read (80-150 µs) or to an MDS change (the log sync, 300-450
// µs), so the loop polls that long first. It yields the core between polls (sched_yield), and
// blocks as soon as a yield ran another thread: a loop that yields stays runnable, so its next
// event would wait for that thread's time slice to end, while a blocked loop is woken at once
// (a plain busy-poll on 2 vCPUs slowed creates through the mount by 25-40%).
// docs/runtime.md, docs/performance.md.
std::chrono::microseconds DefaultLoopSpin();

// Declares "loop.spin_us" (how long a daemon's idle event loops poll before they block; default
// DefaultLoopSpin()) bound to `spin_us`.
void AddLoopKeys(ConfigRegistry& registry, int64_t* spin_us);

class EventLoop {
 public:
  struct Options {
    std::string name = "loop";
    // How long an idle loop polls, yielding the core between polls, before it blocks in epoll
    // (wake-up latency vs. CPU burnt when there is nothing to do).
    std::chrono::microseconds spin = DefaultLoopSpin();
    // Submission queue entries of the loop's io_uring.
    unsigned uring_entries = 256;
  };

  // A completion source polled by the loop (the RPC engine's fabric CQ is one).
  class Poller {
   public:
    virtual ~Poller() = default;
    // Handles whatever completions are ready; returns how many (0 = none).
    virtual int Poll() = 0;
    // An fd that becomes readable when Poll may have work, or -1 to be polled while spinning
    // only (the loop then never blocks longer than 1 ms).
    virtual int WaitFd() = 0;
    // Called before blocking on WaitFd(); false means "poll me again first" (fi_trywait).
    virtual bool TryWait() = 0;
    // While the poller has work that no fd will announce (posts to retry), the time by which
    // it wants to be polled again: the loop then blocks no longer than that. None: only when
    // its fd fires.
    virtual std::optional<std::chrono::steady_clock::time_point> PollBy() const {
      return std::nullopt;
    }
  };

  using TimerId = uint64_t;

  explicit EventLoop(Options options);
  EventLoop() : EventLoop(Options{}) {}
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Runs the loop on the calling thread until Stop(). REQUIRES: not already running, and every
  // Run of a loop on the same thread (its io_uring is single-issuer; see uring.h).
  void Run();
  // Asks the loop to return from Run() after the current iteration. Thread-safe.
  void Stop();

  // Runs fn on the loop thread, in order of posting. Thread-safe.
  void Post(std::function<void()> fn);
  // Starts a task on the loop thread, detached: it frees itself when it finishes. Thread-safe.
  void Spawn(Task<void> task);
  // Resumes a suspended coroutine on the loop thread. Thread-safe.
  void Resume(std::coroutine_handle<> h);

  bool InLoopThread() const;
  // The loop running on the calling thread, or nullptr.
  static EventLoop* Current();
  const std::string& name() const { return options_.name; }

  // Calls fn on the loop thread at `when` (or soon after), unless cancelled first.
  TimerId AddTimer(Clock::time_point when, std::function<void()> fn);
  // Cancels a timer that has not fired; a no-op for fired or unknown ids.
  void CancelTimer(TimerId id);

  // `co_await loop.Sleep(d)`: resumes on this loop after d.
  auto Sleep(Clock::duration d);
  // `co_await loop.Schedule()`: moves the awaiting coroutine onto this loop (from any thread).
  auto Schedule();

  // REQUIRES: the poller outlives its registration; both calls on the loop thread.
  void AddPoller(Poller* poller);
  void RemovePoller(Poller* poller);

  Uring& uring();

 private:
  struct Impl;
  Options options_;
  std::unique_ptr<Impl> impl_;
};

inline auto EventLoop::Sleep(Clock::duration d) {
  struct Awaiter {
    EventLoop* loop;
    Clock::time_point when;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) {
      loop->AddTimer(when, [h] { h.resume(); });
    }
    void await_resume() const noexcept {}
  };
  return Awaiter{this, Clock::now() + d};
}

inline auto EventLoop::Schedule() {
  struct Awaiter {
    EventLoop* loop;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) { loop->Resume(h); }
    void await_resume() const noexcept {}
  };
  return Awaiter{this};
}

// An EventLoop running on a thread of its own, from construction to destruction.
class LoopThread {
 public:
  explicit LoopThread(EventLoop::Options options = {});
  ~LoopThread();  // stops the loop and joins the thread
  EventLoop& loop() { return *loop_; }

 private:
  std::unique_ptr<EventLoop> loop_;
  std::thread thread_;
};

// A daemon's few event loops. Work is spread over them round robin by Next().
class LoopGroup {
 public:
  LoopGroup(size_t count, const std::string& name_prefix);
  size_t size() const { return threads_.size(); }
  EventLoop& at(size_t i) { return threads_[i]->loop(); }
  EventLoop& Next();  // thread-safe

 private:
  std::vector<std::unique_ptr<LoopThread>> threads_;
  std::atomic<size_t> next_{0};
};

// Runs `task` on `loop` and blocks the calling thread until it finishes; returns its result.
// For mains, tools and tests. REQUIRES: not called on loop's own thread.
template <typename T>
T RunOn(EventLoop& loop, Task<T> task) {
  std::promise<T> done;
  auto future = done.get_future();
  auto wrapper = [](Task<T> t, std::promise<T>* p) -> Task<void> {
    if constexpr (std::is_void_v<T>) {
      co_await std::move(t);
      p->set_value();
    } else {
      p->set_value(co_await std::move(t));
    }
  };
  loop.Spawn(wrapper(std::move(task), &done));
  return future.get();
}

}  // namespace weft
