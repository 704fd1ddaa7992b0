#include "common/target_label.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace weft {
namespace {

class TargetLabelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("weft-label-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  TargetLabel Label() { return {"weft", "OST", 3, NewUuid(), "127.0.0.1:9880@tcp"}; }
  std::filesystem::path dir_;
};

TEST_F(TargetLabelTest, RoundTripsAndNamesTheTarget) {
  TargetLabel l = Label();
  ASSERT_TRUE(WriteTargetLabel(dir_, l, false).ok());
  auto r = ReadTargetLabel(dir_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->uuid, l.uuid);
  EXPECT_EQ(r->index, 3u);
  EXPECT_EQ(r->Name(), "weft-OST0003");
}

TEST_F(TargetLabelTest, RefusesToFormatTwiceWithoutOverwrite) {
  ASSERT_TRUE(WriteTargetLabel(dir_, Label(), false).ok());
  Status st = WriteTargetLabel(dir_, Label(), false);
  EXPECT_EQ(st.code(), StatusCode::kAlreadyExists);
  EXPECT_TRUE(WriteTargetLabel(dir_, Label(), true).ok());
}

TEST_F(TargetLabelTest, UnformattedOrDamagedDirectoryIsRefusedWithAHint) {
  std::filesystem::create_directories(dir_);
  auto r = ReadTargetLabel(dir_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("weftctl mkfs"), std::string::npos);
  std::ofstream(dir_ / kLabelFile) << "fsname = \"weft\"\ntype = \"DISK\"\n";
  r = ReadTargetLabel(dir_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("type"), std::string::npos);
}

TEST_F(TargetLabelTest, BadFieldsAreRefused) {
  TargetLabel l = Label();
  l.fsname = "Bad-Name";
  EXPECT_FALSE(WriteTargetLabel(dir_, l, false).ok());
  l = Label();
  l.index = 70000;
  EXPECT_FALSE(WriteTargetLabel(dir_, l, false).ok());
  l = Label();
  l.mgs = "nohost:99999@tcp";
  EXPECT_FALSE(WriteTargetLabel(dir_, l, false).ok());
  EXPECT_FALSE(std::filesystem::exists(dir_ / kLabelFile));
}

TEST(UuidTest, VersionFourAndUnique) {
  std::string a = NewUuid(), b = NewUuid();
  EXPECT_EQ(a.size(), 36u);
  EXPECT_EQ(a[14], '4');
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace weft
