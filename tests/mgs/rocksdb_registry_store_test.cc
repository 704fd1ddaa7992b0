// The RocksDB registry store on its own: what survives a reopen, and what it refuses to open.
#include "mgs/rocksdb_registry_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "temp_dir.h"

namespace weft::test {
namespace {

using mgs::RocksRegistryStore;
using ::testing::HasSubstr;

mgs::TargetInfo Target(mgs::TargetType type, uint32_t index, std::string uuid) {
  mgs::TargetInfo t;
  t.set_type(type);
  t.set_index(index);
  t.set_uuid(std::move(uuid));
  t.set_nid("10.0.0.1:988@tcp");
  t.set_state(mgs::UP);
  return t;
}

TEST(RocksRegistryStoreTest, ReopenKeepsTargetsAndGeneration) {
  TempDir dir;
  std::string path = dir.path() + "/a/b/registry";  // parents are created
  {
    auto store = RocksRegistryStore::Open(path, "weft");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto empty = (*store)->Load();
    ASSERT_TRUE(empty.ok());
    EXPECT_EQ(empty->generation, 0u);
    EXPECT_TRUE(empty->targets.empty());
    ASSERT_TRUE((*store)->Put(Target(mgs::OST, 0x10, "o16"), 1).ok());
    ASSERT_TRUE((*store)->Put(Target(mgs::MDT, 0, "m0"), 2).ok());
    ASSERT_TRUE((*store)->Put(Target(mgs::OST, 0x10, "o16-moved"), 7).ok());
  }
  auto store = RocksRegistryStore::Open(path, "weft");
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto loaded = (*store)->Load();
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->generation, 7u);
  ASSERT_EQ(loaded->targets.size(), 2u);
  EXPECT_EQ(loaded->targets[0].uuid(), "m0");
  EXPECT_EQ(loaded->targets[1].uuid(), "o16-moved");
}

TEST(RocksRegistryStoreTest, AnotherFsnameIsRefusedWithBothNames) {
  TempDir dir;
  ASSERT_TRUE(RocksRegistryStore::Open(dir.path() + "/r", "weft").ok());
  auto other = RocksRegistryStore::Open(dir.path() + "/r", "other");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().code(), StatusCode::kMgsFsnameMismatch);
  EXPECT_THAT(other.status().message(), HasSubstr(dir.path() + "/r"));
  EXPECT_THAT(other.status().message(), HasSubstr("belongs to file system 'weft', not 'other'"));
}

TEST(RocksRegistryStoreTest, SecondOpenSaysAnotherMgsRuns) {
  TempDir dir;
  auto first = RocksRegistryStore::Open(dir.path() + "/r", "weft");
  ASSERT_TRUE(first.ok());
  auto second = RocksRegistryStore::Open(dir.path() + "/r", "weft");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kMgsStoreError);
  EXPECT_THAT(second.status().message(), HasSubstr(dir.path() + "/r"));
  EXPECT_THAT(second.status().message(), HasSubstr("another weft-mgs"));
}

TEST(RocksRegistryStoreTest, UnusablePathIsNamed) {
  TempDir dir;
  std::ofstream(dir.path() + "/file") << "not a directory";
  auto store = RocksRegistryStore::Open(dir.path() + "/file/registry", "weft");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kMgsStoreError);
  EXPECT_THAT(store.status().message(), HasSubstr(dir.path() + "/file/registry"));
}

}  // namespace
}  // namespace weft::test
