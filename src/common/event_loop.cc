#include "common/event_loop.h"
#include "common/config.h"
#include "common/timer_heap.h"

#include <pthread.h>
#include <sched.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <utility>

#include "common/uring.h"

namespace weft {
namespace {

thread_local EventLoop* t_current_loop = nullptr;

// epoll_event.data tags: which fd woke the loop.
constexpr uint64_t kWakeTag = 1;
constexpr uint64_t kUringTag = 2;
constexpr uint64_t kPollerTag = 3;
// The longest an idle loop blocks while a poller without a wait fd is registered.
constexpr std::chrono::milliseconds kFdlessPollerMaxBlock{1};
constexpr int kMaxEpollEvents = 16;
// A sched_yield that returns later than this ran another thread (one that finds no other
// thread returns in under 2 µs here; one that does, after that thread's slice, often ms).
constexpr std::chrono::microseconds kContendedYield{20};

[[noreturn]] void Fatal(const std::string& loop, const char* what, int err) {
  spdlog::critical("event loop '{}': {}: {}", loop, what, std::strerror(err));
  std::abort();
}

void SignalEventFd(int fd) {
  uint64_t one = 1;
  // Fails only when the counter is saturated, and then the fd is readable anyway.
  [[maybe_unused]] ssize_t n = write(fd, &one, sizeof(one));
}

void DrainEventFd(int fd) {
  uint64_t value;
  [[maybe_unused]] ssize_t n = read(fd, &value, sizeof(value));
}

void SetThreadName(const std::string& name) {
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
}

}  // namespace

// One unit of ready work: a coroutine to resume, or else a function to call.
struct ReadyItem {
  std::coroutine_handle<> coroutine;
  std::function<void()> fn;
};

struct EventLoop::Impl {
 public:
  explicit Impl(const Options& options);
  ~Impl();

  void Run(EventLoop* self);
  void Stop();
  void Enqueue(ReadyItem item);
  bool InLoopThread() const { return loop_thread_.load() == std::this_thread::get_id(); }
  bool running() const { return loop_thread_.load() != std::thread::id(); }
  TimerId AddTimer(Clock::time_point when, std::function<void()> fn);
  void CancelTimer(TimerId id) { timers_.Cancel(id); }
  void AddPoller(Poller* poller);
  void RemovePoller(Poller* poller);
  Uring& uring() { return uring_; }

 private:
  struct PollerEntry {
    Poller* poller;  // nullptr once removed, until the list is compacted
    int fd;
  };

  void AddToEpoll(int fd, uint64_t tag);
  int RunOnce();
  int RunReady();
  int PollPollers();
  int FireTimers();
  void Block();
  bool PollersAllowBlocking();
  std::optional<Clock::duration> BlockLimit() const;
  void Wait(std::optional<Clock::duration> limit);
  int EpollWait(epoll_event* events, std::optional<Clock::duration> limit);

  const Options& options_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: written by other threads to wake a blocked loop
  Uring uring_;
  std::atomic<std::thread::id> loop_thread_{};
  std::atomic<bool> stop_{false};
  // True while the loop is (about to be) blocked in epoll: only then do posters write wake_fd_.
  std::atomic<bool> sleeping_{false};
  // True when ready_ may be non-empty: lets the loop skip the mutex when there is nothing.
  std::atomic<bool> ready_pending_{false};

  std::mutex mu_;
  std::vector<ReadyItem> ready_;  // guarded by mu_

  // Loop thread only.
  std::vector<ReadyItem> running_;  // the batch being run; keeps its capacity
  internal::TimerHeap timers_;
  std::vector<PollerEntry> pollers_;
  bool pollers_dirty_ = false;
  int fdless_pollers_ = 0;
  bool have_pwait2_ = true;
};

EventLoop::Impl::Impl(const Options& options) : options_(options), uring_(options.uring_entries) {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) Fatal(options_.name, "epoll_create1", errno);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) Fatal(options_.name, "eventfd", errno);
  AddToEpoll(wake_fd_, kWakeTag);
  if (uring_.ok()) {
    AddToEpoll(uring_.event_fd(), kUringTag);
  } else {
    spdlog::warn("event loop '{}': {}; file I/O on this loop will fail", options_.name,
                 uring_.status().ToString());
  }
}

EventLoop::Impl::~Impl() {
  close(wake_fd_);
  close(epoll_fd_);
}

void EventLoop::Impl::AddToEpoll(int fd, uint64_t tag) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = tag;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0 && errno != EEXIST) {
    Fatal(options_.name, "epoll_ctl(ADD)", errno);
  }
}

std::chrono::microseconds DefaultLoopSpin() { return std::chrono::microseconds(400); }

void AddLoopKeys(ConfigRegistry& registry, int64_t* spin_us) {
  registry.Add<int64_t>("loop.spin_us", spin_us, DefaultLoopSpin().count(),
                        "Microseconds an idle event loop polls before it blocks (0: block at "
                        "once); polling ends early when another thread needs the core",
                        CheckRange<int64_t>(0, 100'000));
}

// ---- Running ----

void EventLoop::Impl::Run(EventLoop* self) {
  EventLoop* previous = std::exchange(t_current_loop, self);
  loop_thread_.store(std::this_thread::get_id());
  if (Status st = uring_.BindToCurrentThread(); !st.ok()) {
    spdlog::critical("event loop '{}': {}", options_.name, st.ToString());
    std::abort();
  }
  bool idle = false;
  bool contended = false;  // a yield in this idle spell let another thread run
  Clock::time_point idle_since;
  while (!stop_.load(std::memory_order_acquire)) {
    if (RunOnce() > 0) {
      idle = false;
      continue;
    }
    Clock::time_point now = Clock::now();
    if (!idle) {
      idle = true;
      contended = false;
      idle_since = now;
    }
    if (!contended && now - idle_since < options_.spin) {
      // Hand the core to any thread that is ready to run (event_loop.h, Options::spin); with
      // none, this returns at once and the loop polls again. A yield that took long ran some
      // other thread: the core has other work, so poll once more and then block, to be woken
      // (and scheduled) when work comes rather than after that thread's next slice.
      sched_yield();
      contended = Clock::now() - now > kContendedYield;
      continue;
    }
    Block();
    idle = false;
  }
  stop_.store(false);
  loop_thread_.store(std::thread::id());
  t_current_loop = previous;
}

void EventLoop::Impl::Stop() {
  stop_.store(true, std::memory_order_release);
  SignalEventFd(wake_fd_);
}

// One iteration, in the order event_loop.h promises; returns how much work it found.
int EventLoop::Impl::RunOnce() {
  int work = RunReady();
  work += uring_.Submit();
  work += uring_.Reap();
  work += PollPollers();
  work += FireTimers();
  return work;
}

int EventLoop::Impl::RunReady() {
  if (!ready_pending_.load(std::memory_order_acquire)) return 0;
  {
    std::lock_guard lock(mu_);
    running_.swap(ready_);
    ready_pending_.store(false, std::memory_order_relaxed);
  }
  // Work posted while this batch runs waits for the next iteration, so that completions and
  // timers are not starved by work that keeps posting more.
  for (ReadyItem& item : running_) {
    if (item.coroutine) {
      item.coroutine.resume();
    } else {
      item.fn();
    }
  }
  int n = static_cast<int>(running_.size());
  running_.clear();
  return n;
}

void EventLoop::Impl::Enqueue(ReadyItem item) {
  {
    std::lock_guard lock(mu_);
    ready_.push_back(std::move(item));
    ready_pending_.store(true, std::memory_order_seq_cst);
  }
  // Pairs with Block(): it sets sleeping_ and then reads ready_pending_, we set ready_pending_
  // and then read sleeping_ (all seq_cst), so one of us sees the other. Only the first poster
  // to see a sleeping loop pays for the write.
  if (sleeping_.load(std::memory_order_seq_cst) && sleeping_.exchange(false)) {
    SignalEventFd(wake_fd_);
  }
}

int EventLoop::Impl::PollPollers() {
  int work = 0;
  // By index: a Poll may add or remove pollers.
  for (size_t i = 0; i < pollers_.size(); ++i) {
    if (Poller* p = pollers_[i].poller) work += std::max(0, p->Poll());
  }
  if (pollers_dirty_) {
    std::erase_if(pollers_, [](const PollerEntry& e) { return e.poller == nullptr; });
    pollers_dirty_ = false;
  }
  return work;
}

int EventLoop::Impl::FireTimers() {
  if (timers_.empty()) return 0;
  // Only timers due when the step starts: a callback that adds a due timer cannot keep the
  // loop here.
  Clock::time_point now = Clock::now();
  int fired = 0;
  std::function<void()> fn;
  while (timers_.PopDue(now, &fn)) {
    fn();
    ++fired;
  }
  return fired;
}

// ---- Blocking ----

void EventLoop::Impl::Block() {
  if (!uring_.Quiescent() || !PollersAllowBlocking()) return;
  std::optional<Clock::duration> limit = BlockLimit();
  if (limit && *limit <= Clock::duration::zero()) return;
  sleeping_.store(true, std::memory_order_seq_cst);
  if (ready_pending_.load(std::memory_order_seq_cst) || stop_.load()) {
    sleeping_.store(false, std::memory_order_relaxed);
    return;
  }
  Wait(limit);
  sleeping_.store(false, std::memory_order_relaxed);
}

bool EventLoop::Impl::PollersAllowBlocking() {
  for (const PollerEntry& e : pollers_) {
    if (e.poller != nullptr && e.fd >= 0 && !e.poller->TryWait()) return false;
  }
  return true;
}

// How long the loop may block: until the next timer or the earliest time a poller asks to be
// polled by, at most kFdlessPollerMaxBlock if a poller has no wait fd, forever otherwise.
std::optional<Clock::duration> EventLoop::Impl::BlockLimit() const {
  std::optional<Clock::time_point> until;
  if (!timers_.empty()) until = timers_.next();
  Clock::time_point now = Clock::now();
  if (fdless_pollers_ > 0) {
    until = std::min(until.value_or(Clock::time_point::max()), now + kFdlessPollerMaxBlock);
  }
  for (const PollerEntry& e : pollers_) {
    if (e.poller == nullptr) continue;
    if (std::optional<Clock::time_point> by = e.poller->PollBy()) {
      until = std::min(until.value_or(Clock::time_point::max()), *by);
    }
  }
  if (!until) return std::nullopt;
  return *until - now;
}

void EventLoop::Impl::Wait(std::optional<Clock::duration> limit) {
  epoll_event events[kMaxEpollEvents];
  int n = EpollWait(events, limit);
  if (n < 0) {
    // EINTR: a signal, or io_uring task work (COOP_TASKRUN) wanting to run; either way a wakeup.
    if (errno != EINTR) Fatal(options_.name, "epoll_wait", errno);
    return;
  }
  for (int i = 0; i < n; ++i) {
    if (events[i].data.u64 == kWakeTag) DrainEventFd(wake_fd_);
    if (events[i].data.u64 == kUringTag) DrainEventFd(uring_.event_fd());
  }
}

// epoll_pwait2 for a timeout in nanoseconds; epoll_wait, rounding up to a millisecond, on
// kernels older than 5.11.
int EventLoop::Impl::EpollWait(epoll_event* events, std::optional<Clock::duration> limit) {
  auto ns = limit ? std::chrono::duration_cast<std::chrono::nanoseconds>(*limit).count() : 0;
  if (have_pwait2_) {
    timespec ts{.tv_sec = ns / 1'000'000'000, .tv_nsec = ns % 1'000'000'000};
    int n = epoll_pwait2(epoll_fd_, events, kMaxEpollEvents, limit ? &ts : nullptr, nullptr);
    if (n >= 0 || errno != ENOSYS) return n;
    have_pwait2_ = false;
  }
  int ms = limit ? static_cast<int>(std::min<int64_t>((ns + 999'999) / 1'000'000, INT_MAX)) : -1;
  return epoll_wait(epoll_fd_, events, kMaxEpollEvents, ms);
}

// ---- Timers and pollers ----

EventLoop::TimerId EventLoop::Impl::AddTimer(Clock::time_point when, std::function<void()> fn) {
  return timers_.Add(when, std::move(fn));
}

void EventLoop::Impl::AddPoller(Poller* poller) {
  int fd = poller->WaitFd();
  pollers_.push_back({poller, fd});
  if (fd < 0) {
    ++fdless_pollers_;
    return;
  }
  AddToEpoll(fd, kPollerTag);  // pollers may share a wait fd: EEXIST is fine
}

void EventLoop::Impl::RemovePoller(Poller* poller) {
  auto it = std::find_if(pollers_.begin(), pollers_.end(),
                         [&](const PollerEntry& e) { return e.poller == poller; });
  if (it == pollers_.end()) return;
  int fd = it->fd;
  it->poller = nullptr;
  pollers_dirty_ = true;
  if (fd < 0) {
    --fdless_pollers_;
    return;
  }
  bool shared = std::any_of(pollers_.begin(), pollers_.end(),
                            [&](const PollerEntry& e) { return e.poller && e.fd == fd; });
  // The poller may already have closed its fd; the kernel then dropped it from the set.
  if (!shared) epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
}

// ---- EventLoop ----

EventLoop::EventLoop(Options options)
    : options_(std::move(options)), impl_(std::make_unique<Impl>(options_)) {}

EventLoop::~EventLoop() {
  if (impl_->running()) {
    spdlog::critical("event loop '{}' destroyed while running", options_.name);
    std::abort();
  }
}

void EventLoop::Run() { impl_->Run(this); }
void EventLoop::Stop() { impl_->Stop(); }
void EventLoop::Post(std::function<void()> fn) { impl_->Enqueue({{}, std::move(fn)}); }
void EventLoop::Spawn(Task<void> task) { Resume(task.ReleaseDetached()); }
void EventLoop::Resume(std::coroutine_handle<> h) { impl_->Enqueue({h, {}}); }
bool EventLoop::InLoopThread() const { return impl_->InLoopThread(); }
EventLoop* EventLoop::Current() { return t_current_loop; }

EventLoop::TimerId EventLoop::AddTimer(Clock::time_point when, std::function<void()> fn) {
  return impl_->AddTimer(when, std::move(fn));
}

void EventLoop::CancelTimer(TimerId id) { impl_->CancelTimer(id); }
void EventLoop::AddPoller(Poller* poller) { impl_->AddPoller(poller); }
void EventLoop::RemovePoller(Poller* poller) { impl_->RemovePoller(poller); }
Uring& EventLoop::uring() { return impl_->uring(); }

// ---- LoopThread, LoopGroup ----

LoopThread::LoopThread(EventLoop::Options options)
    : loop_(std::make_unique<EventLoop>(std::move(options))) {
  thread_ = std::thread([loop = loop_.get()] {
    SetThreadName(loop->name());
    loop->Run();
  });
}

LoopThread::~LoopThread() {
  loop_->Stop();
  thread_.join();
}

LoopGroup::LoopGroup(size_t count, const std::string& name_prefix) {
  threads_.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    EventLoop::Options options;
    options.name = name_prefix + std::to_string(i);
    threads_.push_back(std::make_unique<LoopThread>(std::move(options)));
  }
}

EventLoop& LoopGroup::Next() {
  return at(next_.fetch_add(1, std::memory_order_relaxed) % threads_.size());
}

}  // namespace weft
