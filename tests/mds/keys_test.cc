#include "mds/keys.h"

#include <gtest/gtest.h>

#include <set>

namespace weft::mds {
namespace {

TEST(KeysTest, InodeKeysSortNumerically) {
  EXPECT_LT(InodeKey(1), InodeKey(2));
  EXPECT_LT(InodeKey(255), InodeKey(256));
  EXPECT_LT(InodeKey(uint64_t{1} << 48), InodeKey((uint64_t{1} << 48) + 1));
  EXPECT_EQ(InodeFromKey(InodeKey(0x0102030405060708ULL)), 0x0102030405060708ULL);
}

TEST(KeysTest, DentryKeyDecodes) {
  std::string key = DentryKey(42, "hello");
  std::optional<DentryKeyParts> parts = DecodeDentryKey(key);
  ASSERT_TRUE(parts);
  EXPECT_EQ(parts->parent, 42u);
  EXPECT_EQ(parts->hash, NameHash("hello"));
  EXPECT_EQ(parts->name, "hello");
  EXPECT_TRUE(key.starts_with(DentryPrefix(42)));
  EXPECT_FALSE(DecodeDentryKey("short"));
}

TEST(KeysTest, NameHashIsStableAndInRange) {
  // The hash is part of the on-disk format: these values must never change.
  EXPECT_EQ(NameHash("a"), NameHash("a"));
  EXPECT_NE(NameHash("a"), NameHash("b"));
  std::set<uint64_t> seen;
  for (int i = 0; i < 10000; ++i) {
    uint64_t h = NameHash("file" + std::to_string(i));
    EXPECT_GE(h, kMinNameHash);
    EXPECT_LE(h, kMaxNameHash);
    seen.insert(h);
  }
  EXPECT_EQ(seen.size(), 10000u);
}

TEST(KeysTest, EntriesOfOneDirectoryShareAPrefixAndNoOther) {
  EXPECT_TRUE(DentryKey(7, "x").starts_with(DentryPrefix(7)));
  EXPECT_FALSE(DentryKey(8, "x").starts_with(DentryPrefix(7)));
  EXPECT_LT(DentrySeekKey(7, 5), DentrySeekKey(7, 6));
}

}  // namespace
}  // namespace weft::mds
