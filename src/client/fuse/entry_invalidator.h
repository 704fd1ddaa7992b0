// EntryInvalidator: drops the kernel's cached entry of each name the MDS says another client
// removed or replaced (name leases, docs/client.md), with fuse_lowlevel_notify_inval_entry, on
// a thread of its own. The kernel takes the directory's inode lock for it, which a request in
// that directory may hold while it waits for the client's loop: so neither the loop (which
// hands the names over) nor a FUSE worker may make the call.
//
// The lock also orders it after a lookup that raced with the removal: the kernel holds the
// directory's lock from before it sends a LOOKUP (or CREATE, MKDIR...) until it has entered
// the reply's entry, so an invalidation of that name, sent after the MDS's notification
// arrived, lands after the entry it must drop.
//
// Threading: Push from any thread; Start, Stop and Join from the daemon's main thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "common/metrics.h"

struct fuse_session;

namespace weft::fuse {

class EntryInvalidator {
 public:
  explicit EntryInvalidator(MetricsRegistry& metrics);
  ~EntryInvalidator();  // Stop() and Join()

  // Starts the thread on a mounted session.
  void Start(fuse_session* se);
  // Queues one name; never blocks. Names queued past kMaxQueued are dropped (counted): their
  // entries expire by themselves within the lease.
  void Push(uint64_t parent, std::string name);
  // Stops taking names and drops what is queued; then, after the session is unmounted (which
  // ends a notification the kernel holds), Join.
  void Stop();
  void Join();

 private:
  void Run();

  static constexpr size_t kMaxQueued = 1 << 16;
  fuse_session* se_ = nullptr;
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::pair<uint64_t, std::string>> queue_;
  bool stopping_ = false;
  std::thread thread_;
  Counter* invalidated_;
  Counter* dropped_;
};

}  // namespace weft::fuse
