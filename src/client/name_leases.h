// NameLeaseCache: the name leases this client holds (docs/client.md, "Name leases"), by
// directory, and where the MDS's NamesRemoved notifications go.
//
// A lookup, create, mknod, mkdir, symlink or link that asked for a lease (ClientOptions::
// name_leases) and got one extends the directory's lease to the request's sending time plus
// the lease's length, less a margin: the MDS counts from when it granted, later. While it
// lasts the MDS tells this client of every name of the directory that another client removes
// or replaces; the names handed out may be cached that long (weft-fuse gives the kernel that
// entry timeout) as long as each notification is acted on (weft-fuse invalidates the kernel's
// entry). A lease is never revoked whole: a notification names the names it concerns.
//
// Thread-safety: every method may be called from any thread (one mutex).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "mds.pb.h"

namespace weft::client {

class NameLeaseCache {
 public:
  using Clock = std::chrono::steady_clock;
  // Told of each removed or replaced name (directory inode, name), on the client's loop: it must
  // not block (weft-fuse queues the kernel's invalidation to a thread of its own).
  using RemovedHandler = std::function<void(uint64_t parent, const std::string& name)>;

  // A reply's lease on `dir`, for a request sent at `sent`. No-op for none (ms 0).
  void Granted(uint64_t dir, const mds::Lease& lease, Clock::time_point sent);
  // How much longer names of `dir` this client looked up may be cached: zero without a lease.
  Clock::duration Remaining(uint64_t dir) const;
  // A NamesRemoved from the MDS: hands each name to the handler.
  void Removed(const mds::NamesRemoved& names);
  void SetRemovedHandler(RemovedHandler handler);

  // Leases granted (counting extensions) and names the MDS told of, since the start.
  uint64_t grants() const;
  uint64_t removed_names() const;

 private:
  mutable std::mutex mu_;
  std::unordered_map<uint64_t, Clock::time_point> until_;  // by directory
  size_t prune_at_ = 1024;  // prune expired leases when this many are kept
  RemovedHandler handler_;
  uint64_t grants_ = 0;
  uint64_t removed_ = 0;
};

}  // namespace weft::client
