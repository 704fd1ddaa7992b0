#include "common/task.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "common/event_loop.h"
#include "common/status.h"

namespace weft {
namespace {

using namespace std::chrono_literals;

// Runs a task that never suspends to completion on the calling thread and returns its result.
template <typename T>
T RunInline(Task<T> task) {
  std::optional<T> out;
  auto driver = [](Task<T> t, std::optional<T>* result) -> Task<void> {
    result->emplace(co_await std::move(t));
  };
  driver(std::move(task), &out).ReleaseDetached().resume();
  EXPECT_TRUE(out.has_value()) << "the task suspended";
  return std::move(*out);
}

// Counts its destructions: shows when a coroutine frame holding it is freed.
class Tracker {
 public:
  explicit Tracker(std::atomic<int>* destroyed) : destroyed_(destroyed) {}
  Tracker(Tracker&& o) noexcept : destroyed_(std::exchange(o.destroyed_, nullptr)) {}
  Tracker& operator=(Tracker&&) = delete;
  ~Tracker() {
    if (destroyed_ != nullptr) destroyed_->fetch_add(1);
  }

 private:
  std::atomic<int>* destroyed_;
};

Task<int> Add(int a, int b) { co_return a + b; }

Task<int64_t> SumOfSums(int n) {
  int64_t total = 0;
  for (int i = 0; i < n; ++i) total += co_await Add(i, 1);
  co_return total;
}

Task<Result<int>> ParsePositive(std::string s) {
  if (s.empty() || s[0] == '-') co_return Status(StatusCode::kInvalidArgument, "not positive");
  co_return std::stoi(s);
}

Task<Result<int>> ParseAndDouble(std::string s) {
  WEFT_CO_ASSIGN_OR_RETURN(int v, co_await ParsePositive(std::move(s)));
  co_return 2 * v;
}

Task<Status> CheckBoth(std::string a, std::string b) {
  WEFT_CO_RETURN_IF_ERROR((co_await ParsePositive(std::move(a))).status());
  WEFT_CO_RETURN_IF_ERROR((co_await ParsePositive(std::move(b))).status());
  co_return Status::Ok();
}

TEST(TaskTest, ReturnsValues) {
  EXPECT_EQ(RunInline(Add(2, 3)), 5);
  auto p = RunInline([]() -> Task<std::unique_ptr<int>> { co_return std::make_unique<int>(7); }());
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(*p, 7);
}

TEST(TaskTest, NestedTasksPropagateValuesAndErrors) {
  EXPECT_EQ(RunInline(SumOfSums(10)), 55);
  Result<int> ok = RunInline(ParseAndDouble("21"));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 42);
  Result<int> bad = RunInline(ParseAndDouble("-1"));
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(RunInline(CheckBoth("1", "2")).ok());
  EXPECT_EQ(RunInline(CheckBoth("1", "-2")).code(), StatusCode::kInvalidArgument);
}

TEST(TaskTest, LongChainOfSequentialAwaitsDoesNotGrowTheStack) {
  constexpr int kAwaits = 100'000;
  EXPECT_EQ(RunInline(SumOfSums(kAwaits)), int64_t{kAwaits} * (kAwaits + 1) / 2);
}

TEST(TaskTest, IsLazyAndFreesAnUnstartedFrame) {
  std::atomic<int> destroyed{0};
  bool ran = false;
  {
    auto body = [](Tracker, bool* ran) -> Task<void> {
      *ran = true;
      co_return;
    };
    Task<void> task = body(Tracker(&destroyed), &ran);
    EXPECT_TRUE(task.valid());
  }
  EXPECT_FALSE(ran);
  EXPECT_EQ(destroyed.load(), 1);
}

Task<void> Finish(Tracker, std::atomic<int>* finished) {
  finished->fetch_add(1);
  co_return;
}

Task<void> SleepThenFinish(Tracker, EventLoop* loop, std::atomic<int>* finished) {
  co_await loop->Sleep(1ms);
  finished->fetch_add(1);
}

TEST(TaskTest, SpawnedTasksFreeThemselves) {
  LoopThread thread;
  std::atomic<int> destroyed{0};
  std::atomic<int> finished{0};
  for (int i = 0; i < 50; ++i) {
    thread.loop().Spawn(Finish(Tracker(&destroyed), &finished));
    thread.loop().Spawn(SleepThenFinish(Tracker(&destroyed), &thread.loop(), &finished));
  }
  // The frames are freed on the loop thread; wait for it without spinning hard.
  for (int i = 0; i < 2000 && destroyed.load() < 100; ++i) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(finished.load(), 100);
  EXPECT_EQ(destroyed.load(), 100);
}

// The awaited task finishes on another loop's thread while its awaiter may still be returning
// from starting it: the awaiter must be resumed exactly once, with the value.
Task<int> ValueFrom(EventLoop* other, int v) {
  co_await other->Schedule();
  co_return v;
}

Task<int64_t> HopBackAndForth(EventLoop* home, EventLoop* other, int n) {
  int64_t total = 0;
  for (int i = 0; i < n; ++i) {
    total += co_await ValueFrom(other, i);
    co_await home->Schedule();
  }
  co_return total;
}

TEST(TaskTest, AwaitedTaskMayFinishOnAnotherThread) {
  LoopThread a;
  LoopThread b;
  constexpr int kHops = 1000;
  EXPECT_EQ(RunOn(a.loop(), HopBackAndForth(&a.loop(), &b.loop(), kHops)),
            int64_t{kHops} * (kHops - 1) / 2);
}

}  // namespace
}  // namespace weft
