// The file system's default layout comes from the MGS (`mgs.default_stripe_count` and
// `mgs.default_stripe_size`): a file created in a directory without a layout of its own gets
// it, not the MDT's format-time default of one stripe.
#include <gtest/gtest.h>

#include <fcntl.h>

#include <thread>

#include "weft_cluster.h"

namespace weft::test {
namespace {

TEST(FsDefaultLayoutTest, NewFilesGetTheMgsDefaultWhenNoDirectoryHasALayout) {
  WeftCluster cluster;
  ASSERT_NO_FATAL_FAILURE(cluster.Start());
  auto fs = cluster.Mount();
  ASSERT_TRUE(fs.ok()) << fs.status().ToString();
  client::Credentials cred = client::Credentials::OfProcess();
  // The MDS learns the OSTs and the default from the MGS by long poll: right after start a
  // create may fail (kNoSpace) or get fewer stripes. It must reach all of them.
  int stripes = -1;
  uint64_t stripe_size = 0;
  for (int attempt = 0; attempt < 200 && stripes != static_cast<int>(WeftCluster::kOsts);
       ++attempt) {
    std::string name = "f" + std::to_string(attempt);
    auto made = (*fs)->Create(cred, client::Client::kRootIno, name, 0600, O_CREAT | O_RDWR);
    if (made.ok()) {
      stripes = made->first.layout().objects_size();
      stripe_size = made->first.layout().stripe_size();
      ASSERT_TRUE((*fs)->Close(made->second).ok());
    } else {
      ASSERT_EQ(made.status().code(), StatusCode::kNoSpace) << made.status().ToString();
    }
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(stripes, static_cast<int>(WeftCluster::kOsts))
      << "weft-mgs runs with --mgs.default_stripe_count=-1";
  EXPECT_EQ(stripe_size, WeftCluster::kStripeSize);
}

}  // namespace
}  // namespace weft::test
