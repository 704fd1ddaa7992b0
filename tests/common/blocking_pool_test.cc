#include "common/blocking_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "common/event_loop.h"

namespace weft {
namespace {

using namespace std::chrono_literals;

struct Threads {
  std::thread::id before;
  std::thread::id in_pool;
  std::thread::id after;
  int value = 0;
  bool void_ran = false;
};

Task<Threads> AwaitPool(BlockingPool* pool) {
  Threads t;
  t.before = std::this_thread::get_id();
  t.value = co_await pool->Run([&t] {
    t.in_pool = std::this_thread::get_id();
    return 7;
  });
  co_await pool->Run([&t] { t.void_ran = true; });
  t.after = std::this_thread::get_id();
  co_return t;
}

TEST(BlockingPoolTest, ReturnsValuesAndResumesOnTheAwaitingLoop) {
  BlockingPool pool(2, "test-pool");
  LoopThread thread;
  Threads t = RunOn(thread.loop(), AwaitPool(&pool));
  EXPECT_EQ(t.value, 7);
  EXPECT_TRUE(t.void_ran);
  EXPECT_NE(t.in_pool, t.before);
  EXPECT_EQ(t.after, t.before);
}

Task<void> SlowSquare(BlockingPool* pool, int i, std::atomic<int>* sum, std::atomic<int>* done) {
  auto p = co_await pool->Run([i] {
    std::this_thread::sleep_for(1ms);
    return std::make_unique<int>(i * i);  // move-only results are fine
  });
  sum->fetch_add(*p);
  done->fetch_add(1);
}

TEST(BlockingPoolTest, RunsManyJobsOnAllThreads) {
  BlockingPool pool(2, "test-pool");
  LoopThread thread;
  std::atomic<int> sum{0};
  std::atomic<int> done{0};
  for (int i = 0; i < 100; ++i) thread.loop().Spawn(SlowSquare(&pool, i, &sum, &done));
  for (int i = 0; i < 5000 && done.load() < 100; ++i) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(done.load(), 100);
  EXPECT_EQ(sum.load(), 328350);  // sum of i*i for i < 100
}

TEST(BlockingPoolTest, DestructorRunsQueuedJobsFirst) {
  std::atomic<int> ran{0};
  {
    BlockingPool pool(1, "test-pool");
    // Awaited off any loop: the coroutines resume on the pool thread.
    auto job = [](BlockingPool* pool, std::atomic<int>* ran) -> Task<void> {
      co_await pool->Run([] { std::this_thread::sleep_for(1ms); });
      ran->fetch_add(1);
    };
    for (int i = 0; i < 10; ++i) job(&pool, &ran).ReleaseDetached().resume();
  }
  EXPECT_EQ(ran.load(), 10);
}

}  // namespace
}  // namespace weft
