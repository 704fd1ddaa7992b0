// The built-in RPC service (id 0) that every RpcServer answers: Ping, for liveness checks and
// transport benchmarks (bench/rpc_bench).
#pragma once

#include "common/rpc_service.h"
#include "rpc.pb.h"

namespace weft::rpc {

#define WEFT_RPC_BUILTIN_METHODS(M) M(1, Ping, PingRequest, PingReply, kReadOnly)
WEFT_RPC_SERVICE(BuiltinService, 0, "rpc", WEFT_RPC_BUILTIN_METHODS);

// Answers Ping: pulls the request payload, replies with reply_size bytes (zeros).
class BuiltinHandler : public BuiltinService::Handler {
 public:
  Task<Result<PingReply>> Ping(ServerCall& call, const PingRequest& request) override;
};

}  // namespace weft::rpc
