#include "tools/mgs_query.h"

#include <algorithm>
#include <memory>

#include "common/rpc_client.h"
#include "mgs/mgs_service.h"

namespace weft::tools {
namespace {

Task<Result<mgs::GetConfigReply>> FetchOnLoop(EventLoop& loop, Nid nid, std::string fsname,
                                              Clock::duration timeout) {
  rpc::RpcClient::Options o;
  o.net = nid.net;
  o.host_hint = nid.host;
  o.default_timeout = timeout;
  o.attempt_timeout = std::min<Clock::duration>(timeout, std::chrono::seconds(2));
  WEFT_CO_ASSIGN_OR_RETURN(std::unique_ptr<rpc::RpcClient> client, rpc::RpcClient::Open(loop, o));
  WEFT_CO_ASSIGN_OR_RETURN(rpc::PeerId peer, client->AddPeer(nid));
  mgs::MgsService::Stub stub(client.get(), peer);
  mgs::GetConfigRequest request;
  request.set_fsname(fsname);
  rpc::CallOptions options;
  options.timeout = timeout;
  co_return co_await stub.GetConfig(request, options);
}

}  // namespace

Result<mgs::GetConfigReply> FetchConfig(const Nid& mgs, const std::string& fsname,
                                        Clock::duration timeout) {
  LoopThread thread;
  return RunOn(thread.loop(), FetchOnLoop(thread.loop(), mgs, fsname, timeout));
}

}  // namespace weft::tools
