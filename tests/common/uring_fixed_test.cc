// Uring's fixed-buffer slots (AddFixedBuffer / RemoveFixedBuffer): data written from one
// registered buffer reads back into another, slots are reused, and a slot means nothing to
// another ring.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <vector>

#include "common/event_loop.h"
#include "common/uring.h"

namespace weft {
namespace {

constexpr size_t kLen = 64 * 1024;

struct Outcome {
  std::vector<Status> statuses;
  std::vector<uint16_t> slots;
  size_t registered_after_remove = 0;
  uint64_t fixed_ops = 0;
};

Task<Outcome> RoundTrip(Uring* ring, int fd, char* src, char* dst) {
  Outcome out;
  Result<FixedBuffer> a = ring->AddFixedBuffer(src, kLen);
  Result<FixedBuffer> b = ring->AddFixedBuffer(dst, kLen);
  out.statuses.push_back(a.status());
  out.statuses.push_back(b.status());
  if (!a.ok() || !b.ok()) co_return out;
  out.slots = {a->index, b->index};
  EXPECT_EQ(a->ring, ring);
  uint64_t ops_before = ring->stats().fixed_ops;
  Result<size_t> w = co_await ring->WriteFixed(fd, src, kLen, 0, a->index);
  out.statuses.push_back(w.status());
  // The second half, into the middle of the second buffer.
  Result<size_t> r = co_await ring->ReadFixed(fd, dst + kLen / 2, kLen / 2, kLen / 2, b->index);
  out.statuses.push_back(r.status());
  out.fixed_ops = ring->stats().fixed_ops - ops_before;
  ring->RemoveFixedBuffer(*a);
  out.registered_after_remove = ring->fixed_buffers();
  // The freed slot is handed out again.
  Result<FixedBuffer> c = ring->AddFixedBuffer(src, kLen);
  out.statuses.push_back(c.status());
  if (c.ok()) out.slots.push_back(c->index);
  if (c.ok()) ring->RemoveFixedBuffer(*c);
  ring->RemoveFixedBuffer(*b);
  co_return out;
}

TEST(UringFixedTest, RegisteredSlotsCarryDataAndAreReused) {
  char path[] = "/tmp/weft_uring_fixed_XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  unlink(path);
  auto* src = static_cast<char*>(std::aligned_alloc(4096, kLen));
  auto* dst = static_cast<char*>(std::aligned_alloc(4096, kLen));
  for (size_t i = 0; i < kLen; ++i) src[i] = static_cast<char>(i * 7 + i / 4096);
  std::memset(dst, 0, kLen);
  LoopThread thread;
  Outcome out = RunOn(thread.loop(), RoundTrip(&thread.loop().uring(), fd, src, dst));
  for (const Status& s : out.statuses) EXPECT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(out.slots.size(), 3u);
  EXPECT_NE(out.slots[0], out.slots[1]);
  EXPECT_EQ(out.slots[2], out.slots[0]) << "the freed slot was not reused";
  EXPECT_EQ(out.registered_after_remove, 1u);
  EXPECT_EQ(out.fixed_ops, 2u);
  EXPECT_EQ(std::memcmp(dst + kLen / 2, src + kLen / 2, kLen / 2), 0);
  std::free(src);
  std::free(dst);
  close(fd);
}

TEST(UringFixedTest, SlotOfAnotherRingIsIgnoredOnRemove) {
  LoopThread one, two;
  auto* buf = static_cast<char*>(std::aligned_alloc(4096, kLen));
  Result<FixedBuffer> slot =
      RunOn(one.loop(), [](Uring* ring, char* buf) -> Task<Result<FixedBuffer>> {
        co_return ring->AddFixedBuffer(buf, kLen);
      }(&one.loop().uring(), buf));
  ASSERT_TRUE(slot.ok()) << slot.status().ToString();
  size_t left = RunOn(two.loop(), [](Uring* ring, FixedBuffer f) -> Task<size_t> {
    ring->RemoveFixedBuffer(f);  // not this ring's: nothing happens
    co_return ring->fixed_buffers();
  }(&two.loop().uring(), *slot));
  EXPECT_EQ(left, 0u);
  size_t mine = RunOn(one.loop(), [](Uring* ring, FixedBuffer f) -> Task<size_t> {
    size_t n = ring->fixed_buffers();
    ring->RemoveFixedBuffer(f);
    co_return n;
  }(&one.loop().uring(), *slot));
  EXPECT_EQ(mine, 1u);
  std::free(buf);
}

}  // namespace
}  // namespace weft
