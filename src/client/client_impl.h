// Client's insides, shared by client.cc (calls by inode) and client_path.cc (calls by path).
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "client/client.h"
#include "client/cluster.h"
#include "client/file_io.h"
#include "client/meta_client.h"
#include "client/name_leases.h"
#include "client/path_walk.h"
#include "common/event_loop.h"

namespace weft::client {

struct Client::Impl {
  explicit Impl(std::chrono::microseconds loop_spin)
      : thread(EventLoop::Options{.name = "weft-client", .spin = loop_spin}) {}

  LoopThread thread;
  std::string fsname;
  std::atomic<bool> mounted{false};
  NameLeaseCache leases;  // any thread; outlives the connections
  // Loop-thread only, from mount to unmount.
  std::unique_ptr<Cluster> cluster;
  std::unique_ptr<MetaClient> meta;
  std::unique_ptr<FileIo> io;
  std::unique_ptr<PathWalker> walker;

  EventLoop& loop() { return thread.loop(); }
  template <typename T>
  T Run(Task<T> task) {
    return RunOn(loop(), std::move(task));
  }
  Status CheckMounted() const {
    if (mounted.load()) return Status::Ok();
    return Status(StatusCode::kRpcShutdown, "file system " + fsname + " is not mounted");
  }
};

}  // namespace weft::client
