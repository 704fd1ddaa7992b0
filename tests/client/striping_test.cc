// The striping math against the formula of ARCHITECTURE.md applied byte by byte.
#include "client/striping.h"

#include <gtest/gtest.h>

#include <random>

namespace weft::client {
namespace {

// Where byte `o` lives: (stripe, object offset).
std::pair<uint32_t, uint64_t> Locate(const StripeGeometry& g, uint64_t o) {
  return {static_cast<uint32_t>((o / g.stripe_size) % g.stripe_count),
          (o / (g.stripe_size * g.stripe_count)) * g.stripe_size + o % g.stripe_size};
}

TEST(StripingTest, PiecesCoverTheRangeAndPutEveryByteWhereTheFormulaSays) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 300; ++round) {
    StripeGeometry g{uint64_t{1} << (4 + rng() % 4), static_cast<uint32_t>(1 + rng() % 5)};
    uint64_t offset = rng() % 2000;
    uint64_t length = rng() % 700;
    uint64_t max_piece = 1 + rng() % 100;
    std::vector<StripePiece> pieces = SplitRange(g, offset, length, max_piece);
    uint64_t covered = 0;
    for (const StripePiece& p : pieces) {
      ASSERT_EQ(p.buffer_offset, covered) << "pieces in file order, no gap";
      ASSERT_GT(p.length, 0u);
      ASSERT_LE(p.length, max_piece);
      for (uint64_t i = 0; i < p.length; ++i) {
        auto [stripe, object_offset] = Locate(g, offset + p.buffer_offset + i);
        ASSERT_EQ(stripe, p.stripe);
        ASSERT_EQ(object_offset, p.object_offset + i);
      }
      covered += p.length;
    }
    EXPECT_EQ(covered, length);
  }
}

TEST(StripingTest, OneStripeMergesUpToTheRpcSizeManyStripesSplitAtUnits) {
  auto one = SplitRange({64, 1}, 10, 1000, 256);
  ASSERT_EQ(one.size(), 4u);
  EXPECT_EQ(one[0].length, 256u);
  EXPECT_EQ(one[3].length, 1000u - 3 * 256);
  auto four = SplitRange({64, 4}, 0, 64 * 8, 1 << 20);
  ASSERT_EQ(four.size(), 8u);
  EXPECT_EQ(four[5].stripe, 1u);
  EXPECT_EQ(four[5].object_offset, 64u);
}

TEST(StripingTest, ObjectSizesMatchTheBytesEachObjectHolds) {
  for (uint32_t count = 1; count <= 4; ++count) {
    StripeGeometry g{16, count};
    for (uint64_t size = 0; size < 200; ++size) {
      std::vector<uint64_t> expect(count, 0);
      for (uint64_t o = 0; o < size; ++o) {
        auto [stripe, object_offset] = Locate(g, o);
        expect[stripe] = std::max(expect[stripe], object_offset + 1);
      }
      for (uint32_t s = 0; s < count; ++s) {
        ASSERT_EQ(ObjectSizeForFileSize(g, s, size), expect[s]) << size << " stripe " << s;
      }
    }
  }
}

TEST(StripingTest, FileOffsetOfInvertsLocate) {
  for (uint32_t count = 1; count <= 4; ++count) {
    StripeGeometry g{16, count};
    for (uint64_t o = 0; o < 300; ++o) {
      auto [stripe, object_offset] = Locate(g, o);
      ASSERT_EQ(FileOffsetOf(g, stripe, object_offset), o) << "count " << count;
    }
  }
}

}  // namespace
}  // namespace weft::client
