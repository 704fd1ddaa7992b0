#include "client/mount_source.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace weft::client {
namespace {

using ::testing::HasSubstr;

TEST(MountSourceTest, ParsesOneOrMoreMgsNidsAndTheFsname) {
  auto one = ParseMountSource("10.0.1.4@tcp:/weft");
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  EXPECT_EQ(one->fsname, "weft");
  ASSERT_EQ(one->mgs.size(), 1u);
  EXPECT_EQ(one->mgs[0].ToString(), "10.0.1.4:9880@tcp");
  auto two = ParseMountSource("10.0.1.4:7000@tcp,10.0.1.5@tcp:/fs_2");
  ASSERT_TRUE(two.ok()) << two.status().ToString();
  ASSERT_EQ(two->mgs.size(), 2u);
  EXPECT_EQ(two->mgs[0].port, 7000);
  EXPECT_EQ(two->mgs[1].ToString(), "10.0.1.5:9880@tcp");
  EXPECT_EQ(two->fsname, "fs_2");
}

TEST(MountSourceTest, ErrorsNameWhatIsWrong) {
  auto no_fs = ParseMountSource("10.0.1.4@tcp");
  EXPECT_EQ(no_fs.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(no_fs.status().message(), HasSubstr(":/FSNAME"));
  auto empty_fs = ParseMountSource("10.0.1.4@tcp:/");
  EXPECT_THAT(empty_fs.status().message(), HasSubstr("1 to 8 characters"));
  auto bad_fs = ParseMountSource("10.0.1.4@tcp:/Weft");
  EXPECT_THAT(bad_fs.status().message(), HasSubstr("a-z, 0-9 and _"));
  auto no_mgs = ParseMountSource(":/weft");
  EXPECT_THAT(no_mgs.status().message(), HasSubstr("names no MGS"));
  auto empty_nid = ParseMountSource("10.0.1.4@tcp,:/weft");
  EXPECT_EQ(empty_nid.status().code(), StatusCode::kBadNid);
  EXPECT_THAT(empty_nid.status().message(), HasSubstr("empty MGS NID"));
  auto bad_net = ParseMountSource("10.0.1.4@carrier_pigeon:/weft");
  EXPECT_FALSE(bad_net.ok());
  EXPECT_THAT(bad_net.status().message(), HasSubstr("10.0.1.4@carrier_pigeon"));
  auto bad_port = ParseMountSource("10.0.1.4:99999@tcp:/weft");
  EXPECT_FALSE(bad_port.ok());
}

}  // namespace
}  // namespace weft::client
