// NoCapabilityCache: what the mount remembers of files without security.capability.
#include "client/fuse/capability_cache.h"

#include <gtest/gtest.h>

namespace weft::fuse {
namespace {

using namespace std::chrono_literals;
using Clock = NoCapabilityCache::Clock;

TEST(NoCapabilityCacheTest, AnAbsenceIsKeptForTheTtlAndDroppedOnRequest) {
  NoCapabilityCache cache(1s);
  Clock::time_point t0 = Clock::now();
  EXPECT_FALSE(cache.KnownAbsent(7, t0));
  cache.NoteAbsent(7, t0);
  EXPECT_TRUE(cache.KnownAbsent(7, t0 + 999ms));
  EXPECT_FALSE(cache.KnownAbsent(8, t0));
  EXPECT_FALSE(cache.KnownAbsent(7, t0 + 1s));  // expired, and forgotten
  EXPECT_EQ(cache.size(), 0u);
  cache.NoteAbsent(7, t0);
  cache.Drop(7);
  EXPECT_FALSE(cache.KnownAbsent(7, t0));
}

TEST(NoCapabilityCacheTest, AZeroTtlKeepsNothing) {
  NoCapabilityCache cache(Clock::duration::zero());
  cache.NoteAbsent(7);
  EXPECT_FALSE(cache.KnownAbsent(7));
  EXPECT_EQ(cache.size(), 0u);
}

TEST(NoCapabilityCacheTest, StaysBounded) {
  NoCapabilityCache cache(1h);
  Clock::time_point t0 = Clock::now();
  for (uint64_t ino = 1; ino <= NoCapabilityCache::kMaxEntries + 10; ++ino) {
    cache.NoteAbsent(ino, t0);
  }
  EXPECT_LE(cache.size(), NoCapabilityCache::kMaxEntries);
  EXPECT_TRUE(cache.KnownAbsent(NoCapabilityCache::kMaxEntries + 10, t0));
}

}  // namespace
}  // namespace weft::fuse
