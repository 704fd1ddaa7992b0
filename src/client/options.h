// What a client is told at mount (ClientOptions) and who is calling (Credentials).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/event_loop.h"
#include "common/status.h"

namespace weft::client {

// The caller of one operation. The MDS checks permissions from these (after root squash); the
// client does not check anything itself.
struct Credentials {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> groups;  // supplementary groups

  // The calling process's effective uid, gid and supplementary groups.
  static Credentials OfProcess();
};

struct ClientOptions {
  // Largest data payload of one OSS Read or Write RPC (1 MiB). REQUIRES: > 0, <= 64 MiB.
  size_t max_rpc_size = size_t{1} << 20;
  // RPCs in flight to one OST at a time, across all files of this client (8). REQUIRES: > 0.
  size_t max_rpcs_in_flight = 8;
  // How long one call may take, resends included: a server that is down (restarting) is
  // retried until then, and the call fails with kRpcDeadlineExceeded after (30 s).
  std::chrono::milliseconds call_timeout{30000};
  // No reply within this long: the RPC layer sends again with the same request id (2 s).
  std::chrono::milliseconds attempt_timeout{2000};
  // How long one GetConfig long poll waits at the MGS (1 s). Unmount waits for the poll in
  // progress, so this also bounds how long unmount takes while the MGS is up.
  std::chrono::milliseconds config_poll{1000};
  // Readahead: a read that starts where the previous read of the file ended fetches this many
  // bytes (or the read's size, if larger) and keeps them for the reads that follow (4 MiB;
  // 0: off). Kept per open inode, dropped at every open and by this client's writes and
  // truncates of the file.
  size_t readahead = size_t{4} << 20;
  // Write gathering: a write smaller than max_rpc_size is kept and sent together with the
  // sequential writes that follow it, in RPCs of up to max_rpc_size, when the buffer is full,
  // a write elsewhere comes, or before any other call on the file (read, fsync, close,
  // truncate).
  bool gather_writes = true;
  // Write-behind: what a write sends (its gathered writes, or itself if max_rpc_size or more,
  // copied) goes out in the background and Pwrite returns; at most this many such writes per
  // open inode are in flight (4). One that overlaps a write in flight waits for it; every call
  // other than a write waits for all of them. An error comes back from the next write or call
  // on the file, and from the next fsync or close. 0: sent before the call returns.
  size_t write_behind = 4;
  // A getattr of a directory this client just changed (create, mknod, mkdir, symlink, link,
  // unlink, rmdir) is answered, within this long of the change's reply, from the directory's
  // attributes that reply carried, if this client sent no other change to that directory
  // meanwhile and none beside it (MetaClient::Change). weft-fuse sets it to attr_timeout: the
  // kernel drops a directory's attributes after each change in it and asks again at its next
  // permission check. 0: every getattr asks the MDS.
  std::chrono::milliseconds fresh_dir_attrs{0};
  // Ask the MDS for name leases with lookups and the calls that make a name (docs/client.md,
  // "Name leases"), and keep them (Client::NameLeaseRemaining). Only worth it to a caller that
  // caches names and acts on Client::SetNamesRemovedHandler: weft-fuse sets it.
  bool name_leases = false;
  // How long the client's idle event loop polls before it blocks (DefaultLoopSpin(): 400 µs).
  // A call's reply that comes within it is not paid for with a wake-up.
  std::chrono::microseconds loop_spin = DefaultLoopSpin();
};

// Ok if the options can work; kInvalidArgument naming the bad field otherwise.
Status CheckOptions(const ClientOptions& options);

}  // namespace weft::client
