// A full OST: writes get kNoSpace and leave the object as acknowledged; reads and Destroy go
// on working, and writes work again once space is freed. Needs root (mounts a 4 MiB tmpfs).
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <cstring>
#include <filesystem>

#include "oss_fixture.h"

namespace weft::test {
namespace {

class OssEnospcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mnt_ = dir_.path() + "/mnt";
    std::filesystem::create_directories(mnt_);
    if (::mount("tmpfs", mnt_.c_str(), "tmpfs", 0, "size=4m") != 0) {
      GTEST_SKIP() << "cannot mount a tmpfs (not root?): " << std::strerror(errno);
    }
    mounted_ = true;
    ASSERT_TRUE(FormatOst(mnt_ + "/ost", 0).ok());
    server_ = std::make_unique<OssServerThread>(std::vector<std::string>{mnt_ + "/ost"});
    client_ = std::make_unique<OssClient>(server_->port());
  }
  void TearDown() override {
    client_.reset();
    server_.reset();
    if (mounted_) ::umount2(mnt_.c_str(), MNT_DETACH);
  }

  TempDir dir_;
  std::string mnt_;
  bool mounted_ = false;
  std::unique_ptr<OssServerThread> server_;
  std::unique_ptr<OssClient> client_;
};

TEST_F(OssEnospcTest, FullDiskThenDestroyThenWriteAgain) {
  auto& stub = client_->stub();
  const size_t kChunk = 256 * 1024 + 512;  // unaligned: a write may land partly
  uint64_t acked = 0;
  Status st;
  for (int i = 0; i < 100; ++i) {
    st = client_->Run(OssClient::WriteAt(stub, 0, Oid(1), acked, Pattern(1, acked, kChunk)));
    if (!st.ok()) break;
    acked += kChunk;
  }
  ASSERT_EQ(st.code(), StatusCode::kNoSpace) << st.ToString();
  ASSERT_GT(acked, 0u);
  oss::GetAttrRequest g;
  *g.mutable_object() = Oid(1);
  auto attr = client_->Run(stub.GetAttr(g));
  ASSERT_TRUE(attr.ok());
  EXPECT_EQ(attr->size(), acked);  // nothing of the refused write shows
  auto fs = client_->Run(stub.Statfs(oss::StatfsRequest{}));
  ASSERT_TRUE(fs.ok());
  EXPECT_LT(fs->bytes_avail(), kChunk);
  EXPECT_LE(fs->bytes_total(), 4u << 20);

  // A second object cannot be written either, but reads work.
  st = client_->Run(OssClient::WriteAt(stub, 0, Oid(2), 0, Pattern(2, 0, 1 << 20)));
  EXPECT_EQ(st.code(), StatusCode::kNoSpace) << st.ToString();
  auto got = client_->Run(OssClient::ReadAt(stub, 0, Oid(1), 0, acked));
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(*got == Pattern(1, 0, acked));

  oss::DestroyRequest d;
  *d.mutable_object() = Oid(1);
  ASSERT_TRUE(client_->Run(stub.Destroy(d)).ok());
  st = client_->Run(OssClient::WriteAt(stub, 0, Oid(2), 0, Pattern(2, 0, 1 << 20)));
  ASSERT_TRUE(st.ok()) << st.ToString();
  got = client_->Run(OssClient::ReadAt(stub, 0, Oid(2), 0, 1 << 20));
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(*got == Pattern(2, 0, 1 << 20));
}

}  // namespace
}  // namespace weft::test
