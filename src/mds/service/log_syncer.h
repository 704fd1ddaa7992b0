// LogSyncer: the MDS's replies that wait for the log sync wait here, off the pool.
//
// A change runs on a pool thread under a DeferredSync: it applies its batch, lets go of its
// locks and returns, and the handler then awaits Synced() on the loop. One thread of the
// syncer's own runs the store's group sync for every operation waiting at the time and resumes
// them all; no pool thread sleeps through a sync, and a sync costs one wake-up of the syncer
// rather than one per operation.
//
// Attribute changes (SyncNeed::kSoon) do not wait: their handler calls SyncSoon, and the thread
// syncs them within kSoonDelay, sooner if a reply that waits comes first. Their window is what
// a machine crash may take back; a killed daemon takes nothing (the log is written already).
//
// Threading: Synced is awaited on an event loop (or any thread: it then resumes inline on the
// syncer's thread). The store must outlive the syncer.
#pragma once

#include <chrono>
#include <condition_variable>
#include <coroutine>
#include <mutex>
#include <thread>
#include <vector>

#include "common/event_loop.h"
#include "common/metrics.h"
#include "common/status.h"
#include "mds/store/mdt_store.h"

namespace weft::mds {

class LogSyncer {
 public:
  // Counts its syncs in `metrics` (weft_mds_log_sync_*; the process's registry if null).
  explicit LogSyncer(MdtStore& store, MetricsRegistry* metrics = nullptr);
  // Finishes the syncs awaited so far, then joins the thread.
  ~LogSyncer();
  LogSyncer(const LogSyncer&) = delete;
  LogSyncer& operator=(const LogSyncer&) = delete;

  class Awaiter {
   public:
    Awaiter(LogSyncer* syncer, bool all) : syncer_(syncer), all_(all) {}
    Awaiter(const Awaiter&) = delete;
    Awaiter& operator=(const Awaiter&) = delete;

    // Nothing to wait for when no batch applied so far awaits a sync.
    bool await_ready() const {
      return all_ ? !syncer_->store_.Unsynced() : !syncer_->store_.SyncPending();
    }
    void await_suspend(std::coroutine_handle<> awaiter) {
      loop_ = EventLoop::Current();
      awaiter_ = awaiter;
      syncer_->Enqueue(this);
    }
    Status await_resume() { return std::move(status_); }

   private:
    friend class LogSyncer;
    LogSyncer* syncer_;
    bool all_;
    EventLoop* loop_ = nullptr;
    std::coroutine_handle<> awaiter_;
    Status status_;
  };

  // How long a kSoon change may wait for its sync when nothing else asks for one.
  static constexpr std::chrono::milliseconds kSoonDelay{5};

  // `co_await syncer.Synced()`: returns once every kBeforeSeen batch applied before the call
  // is durable (the status of the sync that made it so).
  Awaiter Synced() { return Awaiter(this, false); }
  // The same for every batch, kSoon ones too (the MDS's Sync call: fsync).
  Awaiter SyncedAll() { return Awaiter(this, true); }
  // A kSoon batch was applied: sync it within kSoonDelay. Never blocks.
  void SyncSoon();

 private:
  void Enqueue(Awaiter* awaiter);
  void Run();

  MdtStore& store_;
  Histogram* sync_seconds_;  // each store sync the thread ran, how long it took
  Counter* replies_;         // replies that waited for a sync, released
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Awaiter*> waiting_;  // guarded by mu_
  bool soon_ = false;              // guarded by mu_: a kSoon batch awaits a sync
  bool stopping_ = false;          // guarded by mu_
  std::thread thread_;
};

}  // namespace weft::mds
