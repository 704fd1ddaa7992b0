// MgsServiceImpl: the MGS's RPC handlers. Thin: each hands its request to the Registry, which
// checks every field and owns the rules, and returns the Registry's answer.
//
// Threading: handlers run on the RPC server's loop, the Registry's loop.
#pragma once

#include <chrono>

#include "common/metrics.h"
#include "mgs/mgs_service.h"
#include "mgs/registry.h"

namespace weft::mgs {

class MgsServiceImpl : public MgsService::Handler {
 public:
  // REQUIRES: `registry` and `registrations` outlive the handler.
  MgsServiceImpl(Registry& registry, Counter& registrations)
      : registry_(registry), registrations_(registrations) {}

  Task<Result<RegisterTargetReply>> RegisterTarget(rpc::ServerCall& call,
                                                   const RegisterTargetRequest& request) override;
  Task<Result<GetConfigReply>> GetConfig(rpc::ServerCall& call,
                                         const GetConfigRequest& request) override;
  Task<Result<HeartbeatReply>> Heartbeat(rpc::ServerCall& call,
                                         const HeartbeatRequest& request) override;

  // A long poll answers this long before its caller's attempt deadline, so that the reply
  // reaches the caller before it gives up on the attempt and sends again.
  static constexpr Clock::duration kReplyMargin = std::chrono::milliseconds(250);

 private:
  Registry& registry_;
  Counter& registrations_;  // accepted registrations
};

}  // namespace weft::mgs
