// What `weftctl status` prints, from a configuration the MGS gave.
#include "tools/status_table.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace weft::test {
namespace {

using ::testing::HasSubstr;
using tools::FormatAge;
using tools::FormatStatus;

TEST(StatusTableTest, AgesReadLikeAnOperatorSaysThem) {
  constexpr int64_t kNow = 1'700'000'000'000;
  EXPECT_EQ(FormatAge(kNow, kNow - 3'400), "3s ago");
  EXPECT_EQ(FormatAge(kNow, kNow - 250'000), "4m 10s ago");
  EXPECT_EQ(FormatAge(kNow, kNow - 7'500'000), "2h 5m ago");
  EXPECT_EQ(FormatAge(kNow, kNow - 273'600'000), "3d 4h ago");
  EXPECT_EQ(FormatAge(kNow, kNow + 5'000), "0s ago");
  EXPECT_EQ(FormatAge(kNow, 0), "never");
}

mgs::TargetInfo Target(const char* name, mgs::TargetType type, const char* nid,
                       mgs::TargetState state, int64_t last_seen) {
  mgs::TargetInfo t;
  t.set_name(name);
  t.set_type(type);
  t.set_nid(nid);
  t.set_state(state);
  t.set_last_seen_unix_ms(last_seen);
  return t;
}

TEST(StatusTableTest, TableHasAHeaderAndAlignedColumns) {
  constexpr int64_t kNow = 1'700'000'000'000;
  mgs::GetConfigReply config;
  config.set_fsname("weft");
  config.set_generation(5);
  *config.add_targets() = Target("weft-MDT0000", mgs::MDT, "10.0.1.5:988@tcp", mgs::UP, kNow);
  *config.add_targets() =
      Target("weft-OST0001", mgs::OST, "10.0.1.16:988@tcp", mgs::DOWN, kNow - 17'000);
  EXPECT_EQ(FormatStatus(config, "10.0.1.4:9880@tcp", kNow),
            "fsname weft, generation 5, 2 targets (1 down), MGS 10.0.1.4:9880@tcp\n"
            "NAME          TYPE  NID                STATE  LAST SEEN\n"
            "weft-MDT0000  MDT   10.0.1.5:988@tcp   UP     0s ago\n"
            "weft-OST0001  OST   10.0.1.16:988@tcp  DOWN   17s ago\n");
}

TEST(StatusTableTest, EmptyRegistrySaysSo) {
  mgs::GetConfigReply config;
  config.set_fsname("weft");
  EXPECT_THAT(FormatStatus(config, "x:1@tcp", 0), HasSubstr("no targets registered"));
}

}  // namespace
}  // namespace weft::test
