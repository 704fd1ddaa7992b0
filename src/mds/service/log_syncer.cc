#include "mds/service/log_syncer.h"

#include <pthread.h>

#include <spdlog/spdlog.h>

namespace weft::mds {

LogSyncer::LogSyncer(MdtStore& store, MetricsRegistry* metrics) : store_(store) {
  MetricsRegistry& m = metrics != nullptr ? *metrics : MetricsRegistry::Global();
  sync_seconds_ = &m.Histogram("weft_mds_log_sync_seconds",
                               "Log syncs of the MDS's sync thread (fdatasync of the MDT's "
                               "write-ahead log, none if another sync covered it already), and "
                               "how long each took")
                       .With({});
  replies_ = &m.Counter("weft_mds_log_sync_replies_total",
                        "Replies that waited for a log sync; divided by the syncs' count, "
                        "the replies one sync released on average")
                 .With({});
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "mds-sync");
    Run();
  });
}

LogSyncer::~LogSyncer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

void LogSyncer::Enqueue(Awaiter* awaiter) {
  bool wake;
  {
    std::lock_guard lock(mu_);
    wake = waiting_.empty();
    waiting_.push_back(awaiter);
  }
  if (wake) cv_.notify_one();
}

void LogSyncer::SyncSoon() {
  bool wake;
  {
    std::lock_guard lock(mu_);
    wake = !soon_ && waiting_.empty();
    soon_ = true;
  }
  if (wake) cv_.notify_one();
}

// Every awaiter taken here enqueued itself after its batch was applied, so the Sync that starts
// after taking them covers them all. Awaiters that come during the sync wait for the next one.
void LogSyncer::Run() {
  std::vector<Awaiter*> batch;
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || soon_ || !waiting_.empty(); });
    if (waiting_.empty() && soon_ && !stopping_) {
      // Only kSoon batches: give more of them, and any reply that must wait, the same sync.
      cv_.wait_for(lock, kSoonDelay, [this] { return stopping_ || !waiting_.empty(); });
    }
    if (waiting_.empty() && !soon_) return;  // stopping, and nothing left to sync
    soon_ = false;
    batch.swap(waiting_);
    lock.unlock();
    auto start = std::chrono::steady_clock::now();
    Status synced = store_.Sync();
    sync_seconds_->ObserveDuration(std::chrono::steady_clock::now() - start);
    replies_->Increment(batch.size());
    if (!synced.ok()) spdlog::error("mds: log sync: {}", synced.ToString());
    for (Awaiter* a : batch) {
      // The coroutine may resume, and free its awaiter, as soon as it is handed back.
      EventLoop* loop = a->loop_;
      std::coroutine_handle<> h = a->awaiter_;
      a->status_ = synced;
      if (loop != nullptr) {
        loop->Resume(h);
      } else {
        h.resume();
      }
    }
    batch.clear();
    lock.lock();
  }
}

}  // namespace weft::mds
