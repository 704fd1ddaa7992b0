// Replies that wait for the log sync off the pool: DeferredSync notes the sync a change needs
// (and holds back the destroys it queued), LogSyncer runs the sync and resumes the waiters.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "common/event_loop.h"
#include "mds/service/log_syncer.h"
#include "mds/txn.h"
#include "mdt_fixture.h"

namespace weft::mds::test {
namespace {

WriteBatch OnePut(int i) {
  WriteBatch batch;
  batch.Put(Family::kMeta, "k" + std::to_string(i), "v");
  return batch;
}

// Each of many coroutines on one loop applies a batch (not durable yet) and awaits Synced: all
// finish ok, the log is synced at the end, and the syncs were shared.
TEST(LogSyncerTest, WaitersOnALoopResumeOnceTheirBatchesAreDurable) {
  TempDir dir;
  std::unique_ptr<MdtStore> store = RocksStore::Make(dir.path());
  LogSyncer syncer(*store);
  LoopThread loop_thread;
  EventLoop& loop = loop_thread.loop();
  constexpr int kWaiters = 64;

  struct Shared {
    MdtStore* store;
    LogSyncer* syncer;
    EventLoop* loop;
    std::atomic<int> ok{0};
    std::atomic<int> pending_before{0};
    std::atomic<int> wrong_thread{0};
  } shared{store.get(), &syncer, &loop};
  // (A plain function, not a lambda: GCC 12 miscompiles capturing lambdas in coroutines.)
  struct Waiter {
    static Task<void> Run(Shared* s, int i) {
      if (!s->store->Apply(OnePut(i)).ok()) co_return;
      if (s->store->SyncPending()) s->pending_before.fetch_add(1);
      Status st = co_await s->syncer->Synced();
      if (!s->loop->InLoopThread()) s->wrong_thread.fetch_add(1);
      if (st.ok()) s->ok.fetch_add(1);
    }
    static Task<void> All(Shared* s) {
      for (int i = 0; i < kWaiters; ++i) s->loop->Spawn(Run(s, i));
      co_return;
    }
  };
  RunOn(loop, Waiter::All(&shared));
  for (int spins = 0; shared.ok.load() < kWaiters && spins < 2000; ++spins) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(shared.ok.load(), kWaiters);
  EXPECT_EQ(shared.wrong_thread.load(), 0);
  EXPECT_GT(shared.pending_before.load(), 0);  // there was something to sync
  EXPECT_FALSE(store->SyncPending());
  for (int i = 0; i < kWaiters; ++i) {
    EXPECT_TRUE(store->Get(Family::kMeta, "k" + std::to_string(i)).ok()) << i;
  }
}

// Nothing applied and unsynced: Synced does not wait for the syncer at all.
TEST(LogSyncerTest, NothingPendingMeansNoWait) {
  TempDir dir;
  std::unique_ptr<MdtStore> store = RocksStore::Make(dir.path());
  LogSyncer syncer(*store);
  ASSERT_TRUE(store->Commit(OnePut(1)).ok());
  EXPECT_TRUE(syncer.Synced().await_ready());
  ASSERT_TRUE(store->Apply(OnePut(2)).ok());
  EXPECT_FALSE(syncer.Synced().await_ready());
}

// A kSoon batch: Synced does not wait for it, SyncedAll does; SyncSoon has the syncer's thread
// sync it by itself within a few milliseconds, with nobody waiting.
TEST(LogSyncerTest, SoonBatchesAreSyncedSoonWithoutAWaiter) {
  TempDir dir;
  std::unique_ptr<MdtStore> store = RocksStore::Make(dir.path());
  LogSyncer syncer(*store);
  ASSERT_TRUE(store->Apply(OnePut(1), SyncNeed::kSoon).ok());
  EXPECT_TRUE(syncer.Synced().await_ready());
  EXPECT_FALSE(syncer.SyncedAll().await_ready());
  syncer.SyncSoon();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (store->Unsynced() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_FALSE(store->Unsynced());
  EXPECT_TRUE(syncer.SyncedAll().await_ready());
}

// A change applied with Txn::SyncSoon under a DeferredSync marks it soon(), not needed();
// without a scope, Commit syncs as before.
TEST(DeferredSyncTest, AnAttributeChangeAsksForASyncSoonNotAWait) {
  TempDir dir;
  MdtHarness h(RocksStore::Make(dir.path()));
  uint64_t ino = h.Create(h.root(), "f")->inode().ino();
  ASSERT_TRUE(h.mdt().store().Sync().ok());
  DeferredSync deferred(h.mdt());
  {
    DeferredSync::Scope scope(deferred);
    SetattrRequest req;
    *req.mutable_cred() = Cred(0, 0);
    req.set_ino(ino);
    req.set_mode(0600);
    ASSERT_TRUE(h.mdt().Setattr(req).ok());
  }
  EXPECT_TRUE(deferred.soon());
  EXPECT_FALSE(deferred.needed());
  EXPECT_FALSE(h.mdt().store().SyncPending());
  EXPECT_TRUE(h.mdt().store().Unsynced());

  SetattrRequest trunc;  // a truncate is synced before anyone sees it
  *trunc.mutable_cred() = Cred(0, 0);
  trunc.set_ino(ino);
  trunc.set_size(0);
  DeferredSync deferred2(h.mdt());
  {
    DeferredSync::Scope scope(deferred2);
    ASSERT_TRUE(h.mdt().Setattr(trunc).ok());
  }
  EXPECT_TRUE(deferred2.needed());
  EXPECT_TRUE(h.mdt().store().SyncPending());
}

// Under a DeferredSync, an unlink that queues a file for destruction returns at once; the
// Mdt's hook hears of the file only at Finish, and without the scope at once as before.
TEST(DeferredSyncTest, DestroysAreAnnouncedAtFinishNotBefore) {
  TempDir dir;
  MdtHarness h(RocksStore::Make(dir.path()));
  std::mutex mu;
  std::vector<uint64_t> heard;
  h.mdt().SetDestroyQueuedHook([&](const DestroyItem& item) {
    std::lock_guard lock(mu);
    heard.push_back(item.ino);
  });
  uint64_t a = h.Create(h.root(), "a")->inode().ino();
  uint64_t b = h.Create(h.root(), "b")->inode().ino();

  DeferredSync deferred(h.mdt());
  {
    DeferredSync::Scope scope(deferred);
    EXPECT_EQ(DeferredSync::Current(), &deferred);
    ASSERT_TRUE(h.Unlink(h.root(), "a").ok());
  }
  EXPECT_EQ(DeferredSync::Current(), nullptr);
  EXPECT_TRUE(deferred.needed());
  EXPECT_TRUE(heard.empty());
  // The change is visible (applied) though its sync was left to the owner.
  EXPECT_EQ(h.Lookup(h.root(), "a").status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(h.mdt().store().Sync().ok());
  deferred.Finish();
  EXPECT_EQ(heard, std::vector<uint64_t>{a});

  ASSERT_TRUE(h.Unlink(h.root(), "b").ok());  // no scope: synced and announced at once
  EXPECT_EQ(heard, (std::vector<uint64_t>{a, b}));
  h.mdt().SetDestroyQueuedHook(nullptr);
}

// With MdtOptions::sync_namespace = false, every namespace change is applied as kSoon: its
// reply need not wait, no reader is held back, and it counts as unsynced until a sync. The
// destroy queue still hands out an unlinked file only once its unlink is durable.
TEST(DeferredSyncTest, NamespaceChangesAskForASyncSoonWhenTheMdtSaysSo) {
  TempDir dir;
  MdtOptions options;
  options.sync_namespace = false;
  MdtHarness h(RocksStore::Make(dir.path()), options);
  ASSERT_TRUE(h.mdt().store().Sync().ok());
  uint64_t file = 0;
  // Run under a fresh DeferredSync, the way the RPC service runs every change.
  auto expect_soon = [&h](const char* what, auto change) {
    DeferredSync deferred(h.mdt());
    {
      DeferredSync::Scope scope(deferred);
      ASSERT_TRUE(change()) << what;
    }
    EXPECT_TRUE(deferred.soon()) << what;
    EXPECT_FALSE(deferred.needed()) << what;
    EXPECT_FALSE(h.mdt().store().SyncPending()) << what;
    EXPECT_TRUE(h.mdt().store().Unsynced()) << what;
    deferred.Finish();
    ASSERT_TRUE(h.mdt().store().Sync().ok());
  };
  expect_soon("create", [&] {
    auto r = h.Create(h.root(), "f");
    file = r.ok() ? r->inode().ino() : 0;
    return r.ok();
  });
  expect_soon("mkdir", [&] { return h.Mkdir(h.root(), "d").ok(); });
  expect_soon("link", [&] { return h.Link(file, h.root(), "g").ok(); });
  expect_soon("rename", [&] { return h.Rename(h.root(), "g", h.root(), "h").ok(); });
  expect_soon("unlink", [&] { return h.Unlink(h.root(), "h").ok(); });
  expect_soon("rmdir", [&] { return h.Rmdir(h.root(), "d").ok(); });
  expect_soon("last unlink", [&] { return h.Unlink(h.root(), "f").ok(); });
  EXPECT_EQ(h.Lookup(h.root(), "f").status().code(), StatusCode::kNotFound);
  ASSERT_FALSE(h.mdt().store().Unsynced());

  // An unlink applied but not synced: the destroy queue syncs it before handing the file out.
  ASSERT_TRUE(h.Create(h.root(), "x").ok());
  DeferredSync deferred(h.mdt());
  {
    DeferredSync::Scope scope(deferred);
    ASSERT_TRUE(h.Unlink(h.root(), "x").ok());
  }
  EXPECT_TRUE(h.mdt().store().Unsynced());
  auto pending = h.mdt().PendingDestroys(16);
  ASSERT_TRUE(pending.ok()) << pending.status().ToString();
  EXPECT_FALSE(pending->empty());
  EXPECT_FALSE(h.mdt().store().Unsynced());
}

// The default: a namespace change's reply waits for its sync.
TEST(DeferredSyncTest, NamespaceChangesWaitForTheirSyncByDefault) {
  TempDir dir;
  MdtHarness h(RocksStore::Make(dir.path()));
  DeferredSync deferred(h.mdt());
  {
    DeferredSync::Scope scope(deferred);
    ASSERT_TRUE(h.Create(h.root(), "f").ok());
  }
  EXPECT_TRUE(deferred.needed());
  EXPECT_FALSE(deferred.soon());
  EXPECT_TRUE(h.mdt().store().SyncPending());
}

// A failed change applies nothing: no sync is needed.
TEST(DeferredSyncTest, AFailedChangeNeedsNoSync) {
  TempDir dir;
  MdtHarness h(RocksStore::Make(dir.path()));
  DeferredSync deferred(h.mdt());
  DeferredSync::Scope scope(deferred);
  EXPECT_EQ(h.Unlink(h.root(), "missing").status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(deferred.needed());
}

}  // namespace
}  // namespace weft::mds::test
