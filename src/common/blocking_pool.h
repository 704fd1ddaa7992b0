// BlockingPool: threads for work that blocks (RocksDB calls, directory fsync, name lookups),
// awaitable from event-loop coroutines, which must never block.
//
//   Result<std::string> v = co_await pool.Run([&] { return store.Get(key); });
//
// `co_await pool.Run(fn)` runs fn() on a pool thread and resumes the awaiting coroutine on the
// event loop it awaited from (EventLoop::Current() at the await), giving fn's result (void
// allowed). Awaited off any event loop, the coroutine resumes on the pool thread instead. Jobs
// start in the order they were awaited. The job is the awaiter itself, in the awaiting
// coroutine's frame: Run allocates nothing beyond fn's own captures.
//
// Thread-safety: Run may be awaited from any thread. fn runs on a pool thread, so whatever it
// touches must be safe to use from there; it must not throw (that terminates the process).
// REQUIRES: the pool outlives every job awaited on it.
#pragma once

#include <condition_variable>
#include <coroutine>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/event_loop.h"

namespace weft {

class BlockingPool {
 public:
  // Starts `threads` threads named "<name>-<i>" (cut to 15 characters). REQUIRES: threads > 0.
  BlockingPool(size_t threads, std::string name);
  // Runs every job already queued, then joins the threads. REQUIRES: nothing awaits Run after
  // destruction starts.
  ~BlockingPool();
  BlockingPool(const BlockingPool&) = delete;
  BlockingPool& operator=(const BlockingPool&) = delete;

  // A queued job: the base of Run's awaiter.
  class Job {
   protected:
    explicit Job(void (*execute)(Job*)) : execute_(execute) {}

   private:
    friend class BlockingPool;
    void (*execute_)(Job*);
    Job* next_ = nullptr;
  };

  template <typename F>
  class Awaiter;

  // `co_await pool.Run(fn)`: see the file comment. fn is moved into the awaiter.
  template <typename F>
  Awaiter<F> Run(F fn) {
    return Awaiter<F>(this, std::move(fn));
  }

  size_t size() const { return threads_.size(); }

 private:
  void Enqueue(Job* job);
  void Work();

  std::mutex mu_;
  std::condition_variable cv_;
  Job* head_ = nullptr;    // FIFO of queued jobs, guarded by mu_
  Job* tail_ = nullptr;    // guarded by mu_
  bool stopping_ = false;  // guarded by mu_
  std::vector<std::thread> threads_;
};

template <typename F>
class BlockingPool::Awaiter : private BlockingPool::Job {
 public:
  using Value = std::invoke_result_t<F&>;
  static_assert(!std::is_reference_v<Value>, "BlockingPool::Run: fn must return by value");

  Awaiter(BlockingPool* pool, F fn) : Job(&Execute), pool_(pool), fn_(std::move(fn)) {}
  // Queued, the pool holds the awaiter's address: it never moves.
  Awaiter(const Awaiter&) = delete;
  Awaiter& operator=(const Awaiter&) = delete;

  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> awaiter) {
    loop_ = EventLoop::Current();
    awaiter_ = awaiter;
    pool_->Enqueue(this);
  }
  Value await_resume() {
    if constexpr (!std::is_void_v<Value>) return std::move(*result_);
  }

 private:
  struct Nothing {};

  // On a pool thread. Touches nothing of the awaiter after handing the coroutine back: the
  // coroutine may resume, and free the awaiter, at once.
  static void Execute(Job* job) {
    auto* self = static_cast<Awaiter*>(job);
    if constexpr (std::is_void_v<Value>) {
      self->fn_();
    } else {
      self->result_.emplace(self->fn_());
    }
    EventLoop* loop = self->loop_;
    std::coroutine_handle<> awaiter = self->awaiter_;
    if (loop != nullptr) {
      loop->Resume(awaiter);
    } else {
      awaiter.resume();
    }
  }

  BlockingPool* pool_;
  F fn_;
  EventLoop* loop_ = nullptr;
  std::coroutine_handle<> awaiter_;
  [[no_unique_address]] std::conditional_t<std::is_void_v<Value>, Nothing, std::optional<Value>>
      result_;
};

}  // namespace weft
