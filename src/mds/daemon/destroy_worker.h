// DestroyWorker: drains the MDT's destroy queue (files whose last link and last open went)
// against the OSTs. For each queued file it sends OssService Destroy for every (OST, object)
// of its layout, to the OST's NID in the MGS configuration, and removes the file from the
// queue (Mdt::DestroyDone) only once every object was acknowledged, whether it existed or not.
//
// Files go in batches (up to `batch`): one Destroy call per OST names the objects of all the
// batch's files on it (DestroyRequest.more), and one applied WriteBatch dequeues the files
// whose calls all succeeded. One call and one dequeue per file cost as much CPU as the unlinks
// themselves, and an unlink storm ran at half the rate beside them. New files wait up to
// `gather` (50 ms) for a batch to fill.
//
// An object whose OST is missing from the configuration or not UP is not tried: its file
// waits. A failed Destroy leaves the file queued. The whole queue is scanned at start, after a
// pause once files failed or waited (retry, doubling after every scan that met such files, up
// to 32 times retry; at once when an OST comes UP), and every idle_rescan; new items come from
// the Mdt's hook (Mdt::SetDestroyQueuedHook) with their layouts, so a burst of unlinks neither
// rescans nor reads the queue. The queue is in the store, so what a previous
// run left is picked up at start.
//
// Metrics: weft_mds_destroy_queue (files queued: counted at start, then kept by the hook and
// the worker),
// weft_mds_destroys_sent_total and weft_mds_destroys_failed_total (Destroy RPCs).
//
// Threading: loop-thread only, except Wake, which any thread may call. Store calls run on the
// blocking pool.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/blocking_pool.h"
#include "common/event_loop.h"
#include "common/metrics.h"
#include "common/rpc_client.h"
#include "mds/daemon/loop_signal.h"
#include "mds/mdt.h"
#include "mgs.pb.h"

namespace weft::mds {

class DestroyWorker {
 public:
  struct Options {
    std::string net = "tcp";  // the fabric the OSTs are on
    std::string host_hint;    // an address to pick the local interface by (the MDS's own)
    Clock::duration retry = std::chrono::seconds(1);  // first pause after a pass with failures
    size_t in_flight = 32;       // Destroy calls at once (each: one OST's objects of a batch)
    size_t batch = 256;          // files per batch, and queue items read per store scan
    // New files wait up to this long for a batch to fill before they are destroyed.
    Clock::duration gather = std::chrono::milliseconds(50);
    Clock::duration rpc_timeout = std::chrono::seconds(5);  // per Destroy call
    // With nothing queued and no wake-up, look at the queue again after this long anyway.
    Clock::duration idle_rescan = std::chrono::seconds(30);
  };

  // REQUIRES: on loop's thread; `mdt` and `pool` outlive the worker.
  static Result<std::unique_ptr<DestroyWorker>> Open(EventLoop& loop, Options options, Mdt& mdt,
                                                     BlockingPool& pool);
  // REQUIRES: Stop() was awaited (or Start never called).
  ~DestroyWorker();

  // Learns each OST's NID and state from an MGS configuration.
  void ApplyConfig(const mgs::GetConfigReply& config);
  // Starts draining the queue.
  void Start();
  // Tells the worker that `item` was queued (durably). Thread-safe.
  void Wake(const DestroyItem& item);
  // Stops: waits for the Destroy calls in flight to return; the queue stays as it is.
  Task<void> Stop();

 private:
  struct Ost {
    std::string nid;  // empty: no usable address (then `peer` means nothing)
    bool up = false;
    rpc::PeerId peer = 0;
  };
  // What one pass over the queue met.
  struct Pass {
    bool failed = false;   // some Destroy failed
    bool waiting = false;  // some object's OST is absent or down
  };

  DestroyWorker(EventLoop& loop, Options options, Mdt& mdt, BlockingPool& pool);
  Task<void> Run();
  // One pass over the whole queue, in batches.
  Task<Pass> DrainQueue();
  // One pass over new items (the hook's; a scan may have finished some of them already).
  Task<Pass> DrainFresh(std::vector<DestroyItem> items);
  // Destroys `items`, options_.batch files at a time.
  Task<void> Launch(std::vector<DestroyItem> items, Pass* pass);
  // The pause before the next scan after one that met failed or waiting files.
  Clock::duration Backoff() const;
  // One Destroy call per OST for the objects of `items`, then the dequeue of the files done.
  Task<void> DestroyBatch(std::vector<DestroyItem> items, Pass* pass);
  // One call: the objects `call.request` names; sets call.status.
  struct OstCall;
  Task<void> SendCall(OstCall* call);

  EventLoop& loop_;
  Options options_;
  Mdt& mdt_;
  BlockingPool& pool_;
  std::unique_ptr<rpc::RpcClient> client_;
  std::map<uint32_t, Ost> osts_;  // by OST index
  std::vector<DestroyItem> fresh_;  // files queued since the worker last looked
  Clock::time_point fresh_since_;  // when the first of fresh_ came
  Clock::time_point next_scan_;   // when to scan the whole queue next
  int backoff_ = 0;               // scans in a row that met failed or waiting files
  LoopSignal wake_;               // new items queued, or stopping
  LoopSignal slot_;               // a Destroy call returned
  size_t in_flight_ = 0;
  bool stopping_ = false;
  bool running_ = false;
  Gauge& queue_gauge_;
  Counter& sent_;
  Counter& failed_;
};

}  // namespace weft::mds
