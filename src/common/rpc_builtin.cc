#include "common/rpc_builtin.h"

namespace weft::rpc {

Task<Result<PingReply>> BuiltinHandler::Ping(ServerCall& call, const PingRequest& request) {
  PingReply reply;
  if (call.request_payload_size() > 0) {
    WEFT_CO_ASSIGN_OR_RETURN(auto data, co_await call.RequestPayload());
    reply.set_received(data.size());
  }
  if (request.reply_size() > 0) {
    WEFT_CO_ASSIGN_OR_RETURN(auto out, call.ResponsePayload(request.reply_size()));
    (void)out;  // contents do not matter to a ping; the buffer is sent as it is
  }
  co_return reply;
}

}  // namespace weft::rpc
