// Cluster: the client's connections. One RpcClient on the client's loop; the MGS configuration
// fetched at mount and followed by long poll; a peer per MDT and OST by the NIDs in it; a
// semaphore per OST bounding the RPCs in flight to it.
//
// Private to src/client. Threading: loop-thread only (every member, including destruction).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/async_util.h"
#include "client/mount_source.h"
#include "client/options.h"
#include "common/rpc_client.h"
#include "mds/mds_service.h"
#include "mgs/mgs_service.h"
#include "oss/oss_service.h"

namespace weft::client {

// One OST as the I/O path needs it.
struct OstLink {
  oss::OssService::Stub stub;
  AsyncSemaphore* slots;  // max_rpcs_in_flight; owned by the Cluster
};

class Cluster {
 public:
  // Opens the RPC client, fetches the configuration from the first MGS that answers (trying
  // them in turn until call_timeout), checks that an MDT is registered, and starts following
  // the configuration. REQUIRES: on loop's thread.
  static Task<Result<std::unique_ptr<Cluster>>> Connect(EventLoop& loop, MountSource source,
                                                        ClientOptions options);
  // REQUIRES: Stop() has finished and no call is waiting.
  ~Cluster();

  // Ends the configuration follower (waits for its poll in progress).
  Task<void> Stop();

  // The MDT that holds inode `ino` (its index is the top 16 bits).
  Result<mds::MdsService::Stub> Mdt(uint64_t ino) const;
  // OST `index`; if the configuration does not name it yet, waits for it up to call_timeout.
  Task<Result<OstLink>> Ost(uint32_t index);
  // Indexes of the OSTs the configuration lists, and whether each is UP.
  std::map<uint32_t, bool> OstStates() const;

  // Options for one call: the deadline is call_timeout.
  rpc::CallOptions CallOptions() const;
  const ClientOptions& options() const { return options_; }
  const std::string& fsname() const { return source_.fsname; }
  uint64_t generation() const { return generation_; }
  EventLoop& loop() { return loop_; }
  // Where the servers' one-way messages go (RpcClient::SetNotifyHandler).
  void SetNotifyHandler(rpc::RpcClient::NotifyHandler handler) {
    rpc_->SetNotifyHandler(std::move(handler));
  }

 private:
  struct Target {
    std::string nid;
    rpc::PeerId peer = 0;
    bool up = false;
    std::unique_ptr<AsyncSemaphore> slots;  // OSTs only
  };

  Cluster(EventLoop& loop, MountSource source, ClientOptions options);
  Task<Result<mgs::GetConfigReply>> FetchConfig(uint64_t known, uint32_t wait_ms,
                                                Clock::duration timeout);
  Status Apply(const mgs::GetConfigReply& config);
  Status ApplyTarget(const mgs::TargetInfo& info, std::map<uint32_t, Target>* targets);
  static Task<void> Follow(Cluster* self);

  EventLoop& loop_;
  MountSource source_;
  ClientOptions options_;
  std::unique_ptr<rpc::RpcClient> rpc_;
  std::vector<rpc::PeerId> mgs_peers_;
  size_t mgs_current_ = 0;  // the MGS that answered last
  uint64_t generation_ = 0;
  std::map<uint32_t, Target> mdts_;
  std::map<uint32_t, Target> osts_;
  bool stopping_ = false;
  WaitGroup follower_;
};

}  // namespace weft::client
