// CallerGroupsCache: the supplementary groups the mount keeps per calling process.
#include "client/fuse/caller_groups.h"

#include <gtest/gtest.h>

namespace weft::fuse {
namespace {

using namespace std::chrono_literals;
using Clock = CallerGroupsCache::Clock;

TEST(CallerGroupsCacheTest, AListIsKeptForTheTtlForTheSameUidAndGid) {
  CallerGroupsCache cache(1s);
  Clock::time_point t0 = Clock::now();
  EXPECT_FALSE(cache.Find(100, 1000, 1000, t0));
  cache.Note(100, 1000, 1000, {4, 27}, t0);
  ASSERT_TRUE(cache.Find(100, 1000, 1000, t0 + 999ms));
  EXPECT_EQ(*cache.Find(100, 1000, 1000, t0 + 999ms), (std::vector<uint32_t>{4, 27}));
  EXPECT_FALSE(cache.Find(101, 1000, 1000, t0));  // another process
  EXPECT_FALSE(cache.Find(100, 1000, 1000, t0 + 1s));  // expired, and forgotten
  EXPECT_EQ(cache.size(), 0u);
}

TEST(CallerGroupsCacheTest, ANewUidOrGidIsANewCaller) {
  CallerGroupsCache cache(1s);
  Clock::time_point t0 = Clock::now();
  cache.Note(100, 0, 0, {1, 2, 3}, t0);
  EXPECT_FALSE(cache.Find(100, 1000, 0, t0));  // setuid: the old list is dropped
  cache.Note(100, 1000, 1000, {}, t0);
  EXPECT_FALSE(cache.Find(100, 1000, 50, t0));  // newgrp
  EXPECT_EQ(cache.size(), 0u);
}

TEST(CallerGroupsCacheTest, AZeroTtlKeepsNothing) {
  CallerGroupsCache cache(Clock::duration::zero());
  cache.Note(100, 1, 1, {2});
  EXPECT_FALSE(cache.Find(100, 1, 1));
  EXPECT_EQ(cache.size(), 0u);
}

TEST(CallerGroupsCacheTest, StaysBounded) {
  CallerGroupsCache cache(1h);
  Clock::time_point t0 = Clock::now();
  for (pid_t pid = 1; pid <= static_cast<pid_t>(CallerGroupsCache::kMaxEntries) + 10; ++pid) {
    cache.Note(pid, 0, 0, {}, t0);
  }
  EXPECT_LE(cache.size(), CallerGroupsCache::kMaxEntries);
  EXPECT_TRUE(cache.Find(static_cast<pid_t>(CallerGroupsCache::kMaxEntries) + 10, 0, 0, t0));
}

}  // namespace
}  // namespace weft::fuse
