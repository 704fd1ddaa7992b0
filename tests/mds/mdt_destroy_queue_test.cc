// The destroy queue as the destroy worker sees it: the hook names each queued inode once its
// item is in the store, point reads and resumable scans find the items, DestroyDone ends them.
#include <mutex>
#include <vector>

#include "mds/keys.h"
#include "mdt_fixture.h"

namespace weft::mds::test {
namespace {

class DestroyQueueTest : public ::testing::Test {
 protected:
  DestroyQueueTest() : h(RocksStore::Make(dir.path())) {
    h.mdt().SetDestroyQueuedHook([this](const DestroyItem& item) {
      std::lock_guard lock(mu);
      // The item is readable by the time the hook runs, and the hook carries its layout.
      auto stored = h.mdt().GetDestroyItem(item.ino);
      EXPECT_TRUE(stored.ok() && stored->has_value()) << item.ino;
      if (stored.ok() && stored->has_value()) {
        EXPECT_EQ((*stored)->layout.SerializeAsString(), item.layout.SerializeAsString());
      }
      EXPECT_GT(item.layout.objects_size(), 0);
      heard.push_back(item.ino);
    });
  }
  ~DestroyQueueTest() override { h.mdt().SetDestroyQueuedHook(nullptr); }

  TempDir dir;
  MdtHarness h;
  std::mutex mu;
  std::vector<uint64_t> heard;
};

TEST_F(DestroyQueueTest, TheHookNamesEachQueuedFileAndTheQueueEndsWithDestroyDone) {
  std::vector<uint64_t> files;
  for (int i = 0; i < 5; ++i) {
    files.push_back(h.Create(h.root(), "f" + std::to_string(i))->inode().ino());
  }
  ASSERT_TRUE(h.Mkdir(h.root(), "d").ok());
  ASSERT_TRUE(h.Rmdir(h.root(), "d").ok());  // a directory has no objects: nothing queued
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(h.Unlink(h.root(), "f" + std::to_string(i)).ok());
  EXPECT_EQ(heard, files);

  auto item = h.mdt().GetDestroyItem(files[2]);
  ASSERT_TRUE(item.ok());
  ASSERT_TRUE(item->has_value());
  EXPECT_EQ((*item)->layout.objects_size(), 1);
  EXPECT_EQ((*item)->layout.objects(0).object_id(), files[2]);
  EXPECT_FALSE(h.mdt().GetDestroyItem(h.root())->has_value());

  auto first = h.mdt().PendingDestroys(2);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 2u);
  auto rest = h.mdt().PendingDestroys(10, first->back().ino);
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(rest->size(), 3u);
  EXPECT_EQ(*h.mdt().DestroyQueueLength(), 5u);

  ASSERT_TRUE(h.mdt().DestroyDone(files[2]).ok());
  EXPECT_FALSE(h.mdt().GetDestroyItem(files[2])->has_value());
  EXPECT_EQ(*h.mdt().DestroyQueueLength(), 4u);
  EXPECT_EQ(h.mdt().DestroyDone(files[2]).code(), StatusCode::kNotFound);
  // A batch: the files still queued go, one already gone is skipped.
  auto dequeued = h.mdt().DestroyDone(std::vector<uint64_t>{files[0], files[2], files[1]});
  ASSERT_TRUE(dequeued.ok()) << dequeued.status().ToString();
  EXPECT_EQ(*dequeued, 2u);
  EXPECT_EQ(*h.mdt().DestroyQueueLength(), 2u);
}

}  // namespace
}  // namespace weft::mds::test
