#include "common/event_loop.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <thread>
#include <vector>

namespace weft {
namespace {

using namespace std::chrono_literals;

// Waits, sleeping between checks, until pred() holds or `limit` passes; returns pred().
bool WaitFor(const std::function<bool()>& pred, std::chrono::milliseconds limit = 2s) {
  auto deadline = Clock::now() + limit;
  while (!pred() && Clock::now() < deadline) std::this_thread::sleep_for(1ms);
  return pred();
}

std::chrono::nanoseconds ThreadCpuTime() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

Task<std::thread::id> ThreadId() { co_return std::this_thread::get_id(); }

TEST(EventLoopTest, RunOnReturnsValues) {
  LoopThread thread;
  EXPECT_EQ(RunOn(thread.loop(), []() -> Task<int> { co_return 42; }()), 42);
  EXPECT_NE(RunOn(thread.loop(), ThreadId()), std::this_thread::get_id());
}

TEST(EventLoopTest, CurrentAndInLoopThread) {
  LoopThread thread;
  EventLoop* loop = &thread.loop();
  EXPECT_EQ(EventLoop::Current(), nullptr);
  EXPECT_FALSE(loop->InLoopThread());
  bool in_loop = RunOn(*loop, [](EventLoop* l) -> Task<bool> {
    co_return EventLoop::Current() == l && l->InLoopThread();
  }(loop));
  EXPECT_TRUE(in_loop);
}

TEST(EventLoopTest, RunsOnTheCallingThreadUntilStopped) {
  EventLoop loop;
  loop.Stop();
  loop.Run();  // stopped before it ran: returns at once
  int ran = 0;
  loop.Post([&] { ++ran; });
  loop.Post([&] {
    ++ran;
    loop.Stop();
  });
  loop.Run();
  EXPECT_EQ(ran, 2);
  EXPECT_FALSE(loop.InLoopThread());
}

TEST(EventLoopTest, PostsFromManyThreadsAllRunInOrderPerPoster) {
  constexpr int kPosters = 8;
  constexpr int kItems = 10'000;
  LoopThread thread;
  std::array<int, kPosters> last;  // loop thread only
  last.fill(-1);
  int out_of_order = 0;
  int ran = 0;
  std::promise<void> all_ran;
  std::vector<std::thread> posters;
  for (int p = 0; p < kPosters; ++p) {
    posters.emplace_back([&, p] {
      for (int i = 0; i < kItems; ++i) {
        thread.loop().Post([&, p, i] {
          if (last[p] != i - 1) ++out_of_order;
          last[p] = i;
          if (++ran == kPosters * kItems) all_ran.set_value();
        });
      }
    });
  }
  for (std::thread& t : posters) t.join();
  ASSERT_EQ(all_ran.get_future().wait_for(10s), std::future_status::ready);
  EXPECT_EQ(out_of_order, 0);
}

TEST(EventLoopTest, TimersFireInDeadlineOrder) {
  LoopThread thread;
  std::vector<int> order;
  RunOn(thread.loop(), [](EventLoop* loop, std::vector<int>* order) -> Task<void> {
    auto start = Clock::now();
    const int delays_ms[] = {30, 10, 20, 10, 0, 40};
    for (int i = 0; i < 6; ++i) {
      loop->AddTimer(start + std::chrono::milliseconds(delays_ms[i]),
                     [order, i] { order->push_back(i); });
    }
    co_await loop->Sleep(60ms);
  }(&thread.loop(), &order));
  // Equal deadlines fire in the order they were added.
  EXPECT_EQ(order, (std::vector<int>{4, 1, 3, 2, 0, 5}));
}

TEST(EventLoopTest, CancelledTimersDoNotFire) {
  LoopThread thread;
  std::vector<char> fired;
  RunOn(thread.loop(), [](EventLoop* loop, std::vector<char>* fired) -> Task<void> {
    auto now = Clock::now();
    EventLoop::TimerId c = loop->AddTimer(now + 15ms, [fired] { fired->push_back('c'); });
    EventLoop::TimerId a = loop->AddTimer(now + 5ms, [fired, loop, c] {
      fired->push_back('a');
      loop->CancelTimer(c);
    });
    EventLoop::TimerId b = loop->AddTimer(now + 10ms, [fired] { fired->push_back('b'); });
    EXPECT_NE(a, 0u);
    EXPECT_NE(b, 0u);
    loop->CancelTimer(b);
    loop->CancelTimer(12345);  // unknown: no-op
    co_await loop->Sleep(20ms);
    // The slot of the last freed timer (c) goes to d: the stale ids of c (cancelled) and a
    // (fired) must not cancel it.
    loop->AddTimer(Clock::now() + 1ms, [fired] { fired->push_back('d'); });
    loop->CancelTimer(c);
    loop->CancelTimer(a);
    co_await loop->Sleep(5ms);
  }(&thread.loop(), &fired));
  EXPECT_EQ(fired, (std::vector<char>{'a', 'd'}));
}

TEST(EventLoopTest, SleepSleepsAtLeastTheDuration) {
  LoopThread thread;
  auto slept = RunOn(thread.loop(), [](EventLoop* loop) -> Task<Clock::duration> {
    auto start = Clock::now();
    co_await loop->Sleep(20ms);
    co_return Clock::now() - start;
  }(&thread.loop()));
  EXPECT_GE(slept, 20ms);
  EXPECT_LT(slept, 1s);
}

TEST(EventLoopTest, ScheduleMovesACoroutineBetweenLoops) {
  LoopThread a;
  LoopThread b;
  std::thread::id a_id = RunOn(a.loop(), ThreadId());
  std::thread::id b_id = RunOn(b.loop(), ThreadId());
  ASSERT_NE(a_id, b_id);
  auto ids = RunOn(a.loop(), [](EventLoop* a, EventLoop* b) -> Task<std::vector<std::thread::id>> {
    std::vector<std::thread::id> seen{std::this_thread::get_id()};
    co_await b->Schedule();
    seen.push_back(std::this_thread::get_id());
    co_await a->Schedule();
    seen.push_back(std::this_thread::get_id());
    co_return seen;
  }(&a.loop(), &b.loop()));
  EXPECT_EQ(ids, (std::vector<std::thread::id>{a_id, b_id, a_id}));
}

TEST(EventLoopTest, IdleLoopBlocksAndWakesPromptlyOnPost) {
  LoopThread thread;
  auto cpu = [&] {
    return RunOn(thread.loop(),
                 []() -> Task<std::chrono::nanoseconds> { co_return ThreadCpuTime(); }());
  };
  auto before = cpu();
  std::this_thread::sleep_for(200ms);
  auto used = cpu() - before;
  EXPECT_LT(used, 20ms) << "an idle loop should block, not spin";

  auto posted = Clock::now();
  auto ran = RunOn(thread.loop(), []() -> Task<Clock::time_point> { co_return Clock::now(); }());
  EXPECT_LT(ran - posted, 50ms);
}

// A spinning loop hands its core to a thread that needs it and blocks. A loop that kept
// spinning would still yield the core, but it would stay runnable: work posted to it would
// wait for the busy thread's time slice to end (milliseconds), where a blocked loop is woken,
// and scheduled, at once.
TEST(EventLoopTest, SpinEndsWhenAnotherThreadNeedsTheCore) {
  cpu_set_t allowed;
  ASSERT_EQ(sched_getaffinity(0, sizeof(allowed), &allowed), 0);
  if (CPU_COUNT(&allowed) < 2) GTEST_SKIP() << "needs two CPUs";
  int cpu = 0;
  while (!CPU_ISSET(cpu, &allowed)) ++cpu;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  cpu_set_t others = allowed;
  CPU_CLR(cpu, &others);
  ASSERT_EQ(sched_setaffinity(0, sizeof(others), &others), 0);  // this thread posts from elsewhere

  LoopThread thread(EventLoop::Options{.name = "spin-test", .spin = 10s});
  RunOn(thread.loop(), [](cpu_set_t* set) -> Task<void> {
    sched_setaffinity(0, sizeof(*set), set);
    co_return;
  }(&one));
  std::atomic<bool> done{false};
  std::thread busy([&] {
    sched_setaffinity(0, sizeof(one), &one);
    while (!done.load(std::memory_order_relaxed)) {
    }
  });
  std::vector<Clock::duration> delays;
  for (int i = 0; i < 21; ++i) {
    std::this_thread::sleep_for(10ms);
    Clock::time_point posted = Clock::now();
    Clock::time_point ran =
        RunOn(thread.loop(), []() -> Task<Clock::time_point> { co_return Clock::now(); }());
    delays.push_back(ran - posted);
  }
  done = true;
  busy.join();
  sched_setaffinity(0, sizeof(allowed), &allowed);
  std::sort(delays.begin(), delays.end());
  EXPECT_LT(delays[delays.size() / 2], 1ms)
      << "median delay of work posted to a loop that spins beside a busy thread: "
      << std::chrono::duration_cast<std::chrono::microseconds>(delays[delays.size() / 2]).count()
      << " µs";
}

// A completion source whose wait fd is an eventfd.
class EventFdPoller : public EventLoop::Poller {
 public:
  EventFdPoller() : fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
  ~EventFdPoller() override { close(fd_); }
  int Poll() override {
    uint64_t v;
    if (read(fd_, &v, sizeof(v)) != sizeof(v)) return 0;
    received_ += v;
    return 1;
  }
  int WaitFd() override { return fd_; }
  bool TryWait() override {
    ++try_waits_;
    return true;
  }
  void Signal() {
    uint64_t one = 1;
    ASSERT_EQ(write(fd_, &one, sizeof(one)), 8);
  }

  std::atomic<uint64_t> received_{0};
  std::atomic<int> try_waits_{0};

 private:
  int fd_;
};

TEST(EventLoopTest, PollerWithWaitFdWakesTheBlockedLoop) {
  LoopThread thread;
  EventFdPoller poller;
  thread.loop().Post([&] { thread.loop().AddPoller(&poller); });
  // The loop asks TryWait only when it is about to block.
  ASSERT_TRUE(WaitFor([&] { return poller.try_waits_.load() > 0; }));
  std::this_thread::sleep_for(10ms);
  int waits = poller.try_waits_.load();
  poller.Signal();
  EXPECT_TRUE(WaitFor([&] { return poller.received_.load() == 1; }, 1s));
  EXPECT_LT(waits, 50) << "a blocked loop should not keep asking";
  RunOn(thread.loop(), [](EventLoop* loop, EventFdPoller* p) -> Task<void> {
    loop->RemovePoller(p);
    co_return;
  }(&thread.loop(), &poller));
  poller.Signal();
  std::this_thread::sleep_for(10ms);
  EXPECT_EQ(poller.received_.load(), 1u);
}

// A completion source without a wait fd: polled while the loop spins, and every 1 ms at most.
class CountingPoller : public EventLoop::Poller {
 public:
  explicit CountingPoller(EventLoop* loop, bool remove_on_first_poll = false)
      : loop_(loop), remove_on_first_poll_(remove_on_first_poll) {}
  int Poll() override {
    ++polls_;
    if (remove_on_first_poll_) loop_->RemovePoller(this);
    return 0;
  }
  int WaitFd() override { return -1; }
  bool TryWait() override { return true; }
  std::atomic<int> polls_{0};

 private:
  EventLoop* loop_;
  bool remove_on_first_poll_;
};

TEST(EventLoopTest, PollerWithoutWaitFdIsPolledWhileIdle) {
  LoopThread thread;
  CountingPoller poller(&thread.loop());
  CountingPoller once(&thread.loop(), /*remove_on_first_poll=*/true);
  thread.loop().Post([&] {
    thread.loop().AddPoller(&poller);
    thread.loop().AddPoller(&once);
  });
  ASSERT_TRUE(WaitFor([&] { return poller.polls_.load() > 0; }));
  int start = poller.polls_.load();
  std::this_thread::sleep_for(50ms);
  EXPECT_GE(poller.polls_.load() - start, 10);
  EXPECT_EQ(once.polls_.load(), 1);  // removed itself from inside Poll
  thread.loop().Post([&] { thread.loop().RemovePoller(&poller); });
  RunOn(thread.loop(), []() -> Task<void> { co_return; }());
}

TEST(EventLoopTest, LoopGroupHandsOutLoopsRoundRobin) {
  LoopGroup group(3, "grp");
  ASSERT_EQ(group.size(), 3u);
  EXPECT_EQ(group.at(1).name(), "grp1");
  for (int i = 0; i < 6; ++i) EXPECT_EQ(&group.Next(), &group.at(i % 3));
}

}  // namespace
}  // namespace weft
