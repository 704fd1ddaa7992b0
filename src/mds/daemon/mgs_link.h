// MgsLink: the MDS's side of the management protocol. Registers the MDT with the MGS (retrying
// while the MGS cannot be reached), then heartbeats with the target's space every interval and
// follows the MGS configuration by long poll, feeding the OST allocator with each OST's state
// and free space.
//
// Threading: everything on the daemon's loop thread; statfs runs on the blocking pool.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "common/blocking_pool.h"
#include "common/event_loop.h"
#include "common/rpc_client.h"
#include "common/target_label.h"
#include "mds/mdt.h"
#include "mgs.pb.h"

namespace weft::mds {

class MgsLink {
 public:
  struct Options {
    TargetLabel label;      // the MDT's identity and its MGS
    std::string nid;        // where this MDS serves, sent in the registration
    std::string target_dir; // for the space reported in heartbeats
    Clock::duration heartbeat_interval = std::chrono::seconds(3);
    // Also called, on the loop thread, with every configuration the MGS answers (the destroy
    // worker learns the OSTs' addresses from it). May be empty.
    std::function<void(const mgs::GetConfigReply&)> on_config = {};
  };

  // REQUIRES: on loop's thread; `mdt`, `pool` and `allocator` outlive the link.
  static Result<std::unique_ptr<MgsLink>> Open(EventLoop& loop, Options options, Mdt& mdt,
                                               BlockingPool& pool,
                                               RoundRobinOstAllocator& allocator);
  // REQUIRES: Stop() was awaited.
  ~MgsLink();

  // Registers, retrying while the MGS is unreachable, until registered (Ok), refused for good
  // (that status), or stopped (kCancelled). Then starts the heartbeat and configuration loops.
  Task<Status> Register();
  // Ends the loops and waits for their calls to return.
  Task<void> Stop();

 private:
  MgsLink(EventLoop& loop, Options options, Mdt& mdt, BlockingPool& pool,
          RoundRobinOstAllocator& allocator)
      : loop_(loop), options_(std::move(options)), mdt_(mdt), pool_(pool),
        allocator_(allocator) {}
  Task<void> HeartbeatLoop();
  Task<void> ConfigLoop();
  Task<mgs::TargetSpace> Space();
  // Feeds the allocator; logs the OST count when `log`.
  void ApplyConfig(const mgs::GetConfigReply& config, bool log);
  // Sleeps about `d`, returning early (false) once stopping.
  Task<bool> Pause(Clock::duration d);

  EventLoop& loop_;
  Options options_;
  Mdt& mdt_;
  BlockingPool& pool_;
  RoundRobinOstAllocator& allocator_;
  std::unique_ptr<rpc::RpcClient> client_;
  rpc::PeerId mgs_ = 0;
  bool stopping_ = false;
  int running_ = 0;  // loops not yet returned
};

}  // namespace weft::mds
