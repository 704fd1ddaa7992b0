#include "mgs/mgs_service_impl.h"

#include <spdlog/spdlog.h>

namespace weft::mgs {

Task<Result<RegisterTargetReply>> MgsServiceImpl::RegisterTarget(
    rpc::ServerCall& call, const RegisterTargetRequest& request) {
  Result<RegisterTargetReply> reply = registry_.RegisterTarget(request);
  if (!reply.ok()) {
    spdlog::warn("mgs: registration from {} refused: {}", call.peer_nid(),
                 reply.status().ToString());
    co_return reply;
  }
  registrations_.Increment();
  co_return reply;
}

Task<Result<GetConfigReply>> MgsServiceImpl::GetConfig(rpc::ServerCall& call,
                                                       const GetConfigRequest& request) {
  co_return co_await registry_.GetConfig(request, call.deadline() - kReplyMargin);
}

Task<Result<HeartbeatReply>> MgsServiceImpl::Heartbeat(rpc::ServerCall& call,
                                                       const HeartbeatRequest& request) {
  co_return registry_.Heartbeat(request);
}

}  // namespace weft::mgs
