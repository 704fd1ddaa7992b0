// weft-fuse: a Weft file system mounted through the low-level libfuse3 API.
//
// Each FUSE request becomes one libweft call (src/client/client.h) with the caller's uid, gid
// and supplementary groups, and the MDS checks permissions. The kernel checks mode bits first
// (default_permissions, on unless -o default_permissions=false): it alone sees a path walked
// through names it has cached, which another user may have looked up. FUSE node ids are Weft
// inode numbers (the root, inode 1, is FUSE_ROOT_ID), so the daemon keeps no inode table and
// forget is free. The kernel's writeback cache is off (ARCHITECTURE.md: with two clients it
// loses writes); page-cache data is dropped at every open (close-to-open), and flush reports the
// size written to the MDS, so a file closed here is complete for whoever opens it next.
//
// Locks (flock, fcntl) are the kernel's own, local to this mount: the daemon implements no lock
// operations, which is how FUSE asks the kernel to keep them.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include "client/client.h"
#include "client/fuse/caller_groups.h"
#include "client/fuse/capability_cache.h"
#include "client/fuse/fuse_metrics.h"
#include "client/fuse/fuse_options.h"
#include "common/status.h"

struct fuse_lowlevel_ops;
struct fuse_session;

namespace weft::fuse {

// Runs weft-fuse or mount.weft with its command line and returns the exit code: 0 after a
// clean unmount (or, detached, once the mount is up), 1 for wrong usage, 32 if mounting failed
// (mount(8)'s codes).
int RunWeftFuse(int argc, const char* const* argv, bool mount_helper);

// The requests answered from the client's loop thread rather than the worker that received
// them (lookup, getattr, read: Client::LookupAsync and the like). The session may end only
// once each has been answered: WaitIdle before fuse_session_destroy.
class AsyncReplies {
 public:
  void Begin() {
    std::lock_guard lock(mu_);
    ++pending_;
  }
  void End() {
    std::lock_guard lock(mu_);
    if (--pending_ == 0) idle_.notify_all();
  }
  void WaitIdle() {
    std::unique_lock lock(mu_);
    idle_.wait(lock, [this] { return pending_ == 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable idle_;
  size_t pending_ = 0;
};

// An open file: the libweft handle that fi->fh points at.
struct OpenFile {
  client::FileHandle file;
};

// The files the kernel has open and has not released. At unmount the rest are closed, so that
// a SIGTERM between a close(2) and the kernel's RELEASE loses no size report and leaks nothing.
class OpenFiles {
 public:
  OpenFile* Add(client::FileHandle file) {
    auto of = std::make_unique<OpenFile>(OpenFile{std::move(file)});
    OpenFile* p = of.get();
    std::lock_guard lock(mu_);
    files_.emplace(p, std::move(of));
    return p;
  }
  // Ends the registration of `of` (from Add), or null if it has none; the caller closes it.
  std::unique_ptr<OpenFile> Take(OpenFile* of) {
    std::lock_guard lock(mu_);
    auto it = files_.find(of);
    if (it == files_.end()) return nullptr;
    std::unique_ptr<OpenFile> taken = std::move(it->second);
    files_.erase(it);
    return taken;
  }
  std::vector<std::unique_ptr<OpenFile>> TakeAll() {
    std::lock_guard lock(mu_);
    std::vector<std::unique_ptr<OpenFile>> all;
    for (auto& [p, of] : files_) all.push_back(std::move(of));
    files_.clear();
    return all;
  }

 private:
  std::mutex mu_;
  std::unordered_map<OpenFile*, std::unique_ptr<OpenFile>> files_;
};

// The low-level operations over a mounted client. Exposed for the daemon's main only.
struct FuseFs {
  client::Client* client;
  const FuseOptions* options;
  FuseMetrics* metrics;             // the mount's counters; outlives the session
  NoCapabilityCache* no_caps;       // answers the kernel's security.capability before writes
  CallerGroupsCache* groups;        // callers' supplementary groups, read once per burst
  fuse_session* session = nullptr;  // set once the session exists, before the mount
  AsyncReplies async{};             // requests answered on the client's loop, not yet answered
  OpenFiles open_files{};           // closed at unmount if the kernel has not released them
};

// The libfuse operation table; userdata is a FuseFs*.
const struct fuse_lowlevel_ops* WeftFuseOps();

}  // namespace weft::fuse
