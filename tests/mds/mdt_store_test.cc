// The MdtStore contract, run against both stores; then what only RocksMdtStore promises.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "mdt_fixture.h"

namespace weft::mds::test {
namespace {

template <typename Store>
class MdtStoreTest : public ::testing::Test {
 protected:
  MdtStoreTest() : store(Store::Make(dir.path())) {}
  std::vector<std::string> Keys(Family family, std::string_view from, std::string_view prefix) {
    std::vector<std::string> keys;
    EXPECT_TRUE(store->Scan(family, from, prefix, [&](std::string_view k, std::string_view) {
                       keys.emplace_back(k);
                       return true;
                     }).ok());
    return keys;
  }
  TempDir dir;
  std::unique_ptr<MdtStore> store;
};
TYPED_TEST_SUITE(MdtStoreTest, StoreTypes);

TYPED_TEST(MdtStoreTest, PutGetDelete) {
  WriteBatch put;
  put.Put(Family::kInodes, "k", "v1");
  ASSERT_TRUE(this->store->Commit(put).ok());
  EXPECT_EQ(*this->store->Get(Family::kInodes, "k"), "v1");
  WriteBatch del;
  del.Delete(Family::kInodes, "k");
  ASSERT_TRUE(this->store->Commit(del).ok());
  EXPECT_CODE(this->store->Get(Family::kInodes, "k"), kNotFound);
}

TYPED_TEST(MdtStoreTest, FamiliesAreSeparate) {
  WriteBatch batch;
  batch.Put(Family::kDentries, "k", "dentry");
  batch.Put(Family::kMeta, "k", "meta");
  ASSERT_TRUE(this->store->Commit(batch).ok());
  EXPECT_EQ(*this->store->Get(Family::kDentries, "k"), "dentry");
  EXPECT_EQ(*this->store->Get(Family::kMeta, "k"), "meta");
  EXPECT_CODE(this->store->Get(Family::kXattrs, "k"), kNotFound);
}

TYPED_TEST(MdtStoreTest, BatchAppliesInOrder) {
  WriteBatch batch;
  batch.Put(Family::kOrphans, "a", "1");
  batch.Delete(Family::kOrphans, "a");
  batch.Put(Family::kOrphans, "b", "1");
  batch.Put(Family::kOrphans, "b", "2");
  ASSERT_TRUE(this->store->Commit(batch).ok());
  EXPECT_CODE(this->store->Get(Family::kOrphans, "a"), kNotFound);
  EXPECT_EQ(*this->store->Get(Family::kOrphans, "b"), "2");
}

TYPED_TEST(MdtStoreTest, ScanVisitsPrefixInOrderFromKey) {
  WriteBatch batch;
  for (std::string k : std::vector<std::string>{"p/3", "p/1", "q/1", "p/2", "o/9", "p/\xff"}) {
    batch.Put(Family::kDentries, k, "v");
  }
  ASSERT_TRUE(this->store->Commit(batch).ok());
  std::vector<std::string> all = {"p/1", "p/2", "p/3", std::string("p/\xff", 3)};
  EXPECT_EQ(this->Keys(Family::kDentries, "", "p/"), all);
  std::vector<std::string> tail = {"p/2", "p/3", std::string("p/\xff", 3)};
  EXPECT_EQ(this->Keys(Family::kDentries, "p/2", "p/"), tail);
  EXPECT_TRUE(this->Keys(Family::kDentries, "", "r/").empty());
  // Prefixes that end in 0xff bytes (their upper bound is shorter) and keys just past them.
  WriteBatch more;
  for (std::string k : {std::string("p\xff\xff", 3), std::string("p\xff\xff\x01", 4),
                        std::string("p\xff\xfe", 3), std::string("q", 1)}) {
    more.Put(Family::kDentries, k, "v");
  }
  ASSERT_TRUE(this->store->Commit(more).ok());
  std::vector<std::string> ff = {std::string("p\xff\xff", 3), std::string("p\xff\xff\x01", 4)};
  EXPECT_EQ(this->Keys(Family::kDentries, "", std::string("p\xff\xff", 3)), ff);
  std::vector<std::string> f = {std::string("p\xff\xfe", 3), std::string("p\xff\xff", 3),
                                std::string("p\xff\xff\x01", 4)};
  EXPECT_EQ(this->Keys(Family::kDentries, "", std::string("p\xff", 2)), f);
}

TYPED_TEST(MdtStoreTest, ScanStopsWhenVisitorSaysSo) {
  WriteBatch batch;
  for (int i = 0; i < 10; ++i) batch.Put(Family::kMeta, "x" + std::to_string(i), "v");
  ASSERT_TRUE(this->store->Commit(batch).ok());
  int seen = 0;
  ASSERT_TRUE(this->store
                  ->Scan(Family::kMeta, "", "x",
                         [&](std::string_view, std::string_view) { return ++seen < 3; })
                  .ok());
  EXPECT_EQ(seen, 3);
}

TYPED_TEST(MdtStoreTest, AppliedBatchIsVisibleAtOnceAndSyncSucceeds) {
  WriteBatch batch;
  batch.Put(Family::kDentries, "a", "1");
  batch.Put(Family::kInodes, "b", "2");
  ASSERT_TRUE(this->store->Apply(batch).ok());
  EXPECT_EQ(*this->store->Get(Family::kDentries, "a"), "1");
  EXPECT_EQ(*this->store->Get(Family::kInodes, "b"), "2");
  ASSERT_TRUE(this->store->Sync().ok());
  ASSERT_TRUE(this->store->Sync().ok());  // nothing new to sync
}

// Group commit: many threads applying and syncing at once all finish, with everything applied.
TYPED_TEST(MdtStoreTest, ConcurrentApplyAndSyncAllComplete) {
  constexpr int kThreads = 8, kEach = 40;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t, &failures] {
      for (int i = 0; i < kEach; ++i) {
        WriteBatch batch;
        batch.Put(Family::kMeta, "k" + std::to_string(t * kEach + i), "v");
        if (!this->store->Apply(batch).ok() || !this->store->Sync().ok()) ++failures;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(this->Keys(Family::kMeta, "", "k").size(), size_t{kThreads * kEach});
}

TEST(RocksMdtStoreTest, ReopenKeepsEverything) {
  TempDir dir;
  {
    auto store = RocksMdtStore::Open(dir.path() + "/db", RocksMdtStore::OpenMode::kCreate);
    ASSERT_TRUE(store.ok());
    WriteBatch batch;
    batch.Put(Family::kXattrs, "k", "v");
    ASSERT_TRUE((*store)->Commit(batch).ok());
  }
  auto store = RocksMdtStore::Open(dir.path() + "/db", RocksMdtStore::OpenMode::kExisting);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(*(*store)->Get(Family::kXattrs, "k"), "v");
}

TEST(RocksMdtStoreTest, AppliedAndSyncedBatchesSurviveReopen) {
  TempDir dir;
  {
    auto store = RocksMdtStore::Open(dir.path() + "/db", RocksMdtStore::OpenMode::kCreate);
    ASSERT_TRUE(store.ok());
    WriteBatch batch;
    batch.Put(Family::kOrphans, "o", "1");
    ASSERT_TRUE((*store)->Apply(batch).ok());
    ASSERT_TRUE((*store)->Sync().ok());
  }
  auto store = RocksMdtStore::Open(dir.path() + "/db", RocksMdtStore::OpenMode::kExisting);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(*(*store)->Get(Family::kOrphans, "o"), "1");
}

// The bulk-load mode (sync off) still keeps everything once the store is closed.
TEST(RocksMdtStoreTest, BulkLoadWithoutSyncKeepsEverythingAfterClose) {
  TempDir dir;
  {
    RocksMdtStore::Options options;
    options.sync = false;
    auto store =
        RocksMdtStore::Open(dir.path() + "/db", RocksMdtStore::OpenMode::kCreate, options);
    ASSERT_TRUE(store.ok());
    for (int i = 0; i < 100; ++i) {
      WriteBatch batch;
      batch.Put(Family::kDentries, "d" + std::to_string(i), "v");
      ASSERT_TRUE((*store)->Commit(batch).ok());
      ASSERT_TRUE((*store)->Sync().ok());
    }
  }
  auto store = RocksMdtStore::Open(dir.path() + "/db", RocksMdtStore::OpenMode::kExisting);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  int n = 0;
  ASSERT_TRUE((*store)
                  ->Scan(Family::kDentries, "", "d",
                         [&n](std::string_view, std::string_view) { return ++n > 0; })
                  .ok());
  EXPECT_EQ(n, 100);
}

// What an event loop's reads rely on: with CacheOnlyReads a Get that would read a table from
// the disk says kWouldBlock instead; from memory (memtable, or the block cache once read) it
// answers. And SyncPending says whether a Sync would wait.
TEST(RocksMdtStoreTest, CacheOnlyReadsSayWouldBlockInsteadOfReadingTheDisk) {
  TempDir dir;
  {
    RocksMdtStore::Options options;
    options.sync = false;  // closing flushes the memtables: the key ends up in a table only
    auto store =
        RocksMdtStore::Open(dir.path() + "/db", RocksMdtStore::OpenMode::kCreate, options);
    ASSERT_TRUE(store.ok());
    WriteBatch batch;
    batch.Put(Family::kInodes, "on-disk", "v");
    ASSERT_TRUE((*store)->Commit(batch).ok());
  }
  auto store = RocksMdtStore::Open(dir.path() + "/db", RocksMdtStore::OpenMode::kExisting);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  {
    CacheOnlyReads cache_only;
    EXPECT_EQ((*store)->Get(Family::kInodes, "on-disk").status().code(), StatusCode::kWouldBlock);
  }
  EXPECT_FALSE(CacheOnlyReads::Active());
  EXPECT_EQ(*(*store)->Get(Family::kInodes, "on-disk"), "v");  // reads the table, caches it
  {
    CacheOnlyReads cache_only;
    EXPECT_EQ(*(*store)->Get(Family::kInodes, "on-disk"), "v");
  }

  EXPECT_FALSE((*store)->SyncPending());
  WriteBatch batch;
  batch.Put(Family::kInodes, "in-memory", "w");
  ASSERT_TRUE((*store)->Apply(batch).ok());
  EXPECT_TRUE((*store)->SyncPending());
  {
    CacheOnlyReads cache_only;
    EXPECT_EQ(*(*store)->Get(Family::kInodes, "in-memory"), "w");  // the memtable
  }
  ASSERT_TRUE((*store)->Sync().ok());
  EXPECT_FALSE((*store)->SyncPending());
}

// A kSoon batch holds no reader back (SyncPending) but counts as unsynced until a Sync; a
// kBeforeSeen batch after it is pending, and its sync covers both.
TEST(RocksMdtStoreTest, SoonBatchesAreUnsyncedButNotPending) {
  TempDir dir;
  auto store = RocksMdtStore::Open(dir.path() + "/db", RocksMdtStore::OpenMode::kCreate);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_FALSE((*store)->Unsynced());
  WriteBatch soon;
  soon.Put(Family::kInodes, "mode", "0600");
  ASSERT_TRUE((*store)->Apply(soon, SyncNeed::kSoon).ok());
  EXPECT_FALSE((*store)->SyncPending());
  EXPECT_TRUE((*store)->Unsynced());
  EXPECT_EQ(*(*store)->Get(Family::kInodes, "mode"), "0600");  // seen at once
  ASSERT_TRUE((*store)->Sync().ok());
  EXPECT_FALSE((*store)->Unsynced());

  ASSERT_TRUE((*store)->Apply(soon, SyncNeed::kSoon).ok());
  WriteBatch seen;
  seen.Put(Family::kDentries, "name", "1");
  ASSERT_TRUE((*store)->Apply(seen).ok());
  EXPECT_TRUE((*store)->SyncPending());
  EXPECT_TRUE((*store)->Unsynced());
  ASSERT_TRUE((*store)->Sync().ok());
  EXPECT_FALSE((*store)->SyncPending());
  EXPECT_FALSE((*store)->Unsynced());
}

TEST(RocksMdtStoreTest, OpenExistingOfMissingDatabaseNamesThePath) {
  TempDir dir;
  auto store = RocksMdtStore::Open(dir.path() + "/nothing", RocksMdtStore::OpenMode::kExisting);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kNotFound);
  EXPECT_NE(store.status().message().find(dir.path() + "/nothing"), std::string::npos);
}

}  // namespace
}  // namespace weft::mds::test
