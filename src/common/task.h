// Task<T>: the coroutine type of Weft's runtime.
//
// A Task is lazy: creating one runs nothing. It starts when it is co_awaited or when it is
// handed to EventLoop::Spawn (detached: the frame frees itself when it finishes). An awaited
// task that finishes without suspending returns to its awaiter without suspending it, so a loop
// of awaits uses constant stack whatever the compiler does with tail calls (GCC with
// AddressSanitizer does not make symmetric transfer a tail call); a task that suspended resumes
// its awaiter by symmetric transfer when it finishes.
//
// A Task is move-only and owns its coroutine frame until it is awaited or spawned. Exceptions
// do not cross tasks: an exception escaping a task body terminates the process (errors are
// Status values, see status.h).
//
// Thread-safety: a task runs on whichever thread resumes it; awaitables of the runtime resume
// it on the event loop that awaited them.
#pragma once

#include <atomic>
#include <coroutine>
#include <cstdlib>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

namespace weft {

template <typename T = void>
class Task;

namespace detail {

struct FinalAwaiter {
  bool await_ready() const noexcept { return false; }
  template <typename P>
  std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
    auto& p = h.promise();
    if (p.detached) {
      h.destroy();
      return std::noop_coroutine();
    }
    // Second at the rendezvous: the awaiter is suspended and waiting for us.
    if (p.rendezvous.exchange(true, std::memory_order_acq_rel)) return p.continuation;
    return std::noop_coroutine();
  }
  void await_resume() const noexcept {}
};

struct PromiseBase {
  std::coroutine_handle<> continuation;
  // Set by whichever of Task::await_suspend (after starting the task) and FinalAwaiter comes
  // first; the second one continues the awaiter. Atomic because the task may finish on another
  // thread (it may have moved with EventLoop::Schedule) while its starter is still returning.
  std::atomic<bool> rendezvous{false};
  bool detached = false;
  std::suspend_always initial_suspend() const noexcept { return {}; }
  FinalAwaiter final_suspend() const noexcept { return {}; }
  void unhandled_exception() const noexcept { std::terminate(); }
};

template <typename T>
struct Promise : PromiseBase {
  std::optional<T> value;
  Task<T> get_return_object() noexcept;
  template <typename U>
  void return_value(U&& v) {
    value.emplace(std::forward<U>(v));
  }
};

template <>
struct Promise<void> : PromiseBase {
  Task<void> get_return_object() noexcept;
  void return_void() const noexcept {}
};

}  // namespace detail

template <typename T>
class [[nodiscard]] Task {
 public:
  using promise_type = detail::Promise<T>;
  using Handle = std::coroutine_handle<promise_type>;

  Task() = default;
  explicit Task(Handle h) : h_(h) {}
  Task(Task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  Task& operator=(Task&& o) noexcept {
    if (this != &o) {
      Reset();
      h_ = std::exchange(o.h_, {});
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() { Reset(); }

  bool valid() const { return static_cast<bool>(h_); }

  // Awaiting: starts the task and resumes the awaiter with its result when it finishes.
  // REQUIRES: valid(), not started.
  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> awaiter) noexcept {
    auto& p = h_.promise();
    p.continuation = awaiter;
    h_.resume();
    // First at the rendezvous: the task suspended and will resume the awaiter when it finishes.
    // Second: it already finished, so the awaiter goes on without suspending.
    return !p.rendezvous.exchange(true, std::memory_order_acq_rel);
  }
  T await_resume() {
    if constexpr (!std::is_void_v<T>) return std::move(*h_.promise().value);
  }

  // Gives up ownership of a not-yet-started task so that it frees itself when it finishes.
  // Used by EventLoop::Spawn; REQUIRES: valid(), not started.
  std::coroutine_handle<> ReleaseDetached() {
    h_.promise().detached = true;
    return std::exchange(h_, {});
  }

 private:
  void Reset() {
    if (h_) h_.destroy();
    h_ = {};
  }
  Handle h_;
};

namespace detail {
template <typename T>
Task<T> Promise<T>::get_return_object() noexcept {
  return Task<T>(std::coroutine_handle<Promise<T>>::from_promise(*this));
}
inline Task<void> Promise<void>::get_return_object() noexcept {
  return Task<void>(std::coroutine_handle<Promise<void>>::from_promise(*this));
}
}  // namespace detail

}  // namespace weft
