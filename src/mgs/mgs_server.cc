#include "mgs/mgs_server.h"

namespace weft::mgs {

Result<std::unique_ptr<MgsServer>> MgsServer::Start(EventLoop& loop, const MgsOptions& options,
                                                    MetricsRegistry& metrics) {
  std::unique_ptr<MgsServer> s(new MgsServer());
  WEFT_ASSIGN_OR_RETURN(s->store_, RocksRegistryStore::Open(RegistryPath(options), options.fsname));
  WEFT_ASSIGN_OR_RETURN(s->registry_, Registry::Open(loop, *s->store_, RegistryOptions(options)));
  s->metrics_ = std::make_unique<MgsMetrics>(metrics);
  s->metrics_->Update(*s->registry_);
  Registry* registry = s->registry_.get();
  MgsMetrics* m = s->metrics_.get();
  registry->set_on_change([m, registry] { m->Update(*registry); });
  s->service_ = std::make_unique<MgsServiceImpl>(*registry, m->registrations());

  Nid nid = ListenNid(options);
  rpc::RpcServer::Options ro;
  ro.net = nid.net;
  ro.host = nid.host;
  ro.port = nid.port;
  Result<std::unique_ptr<rpc::RpcServer>> rpc = rpc::RpcServer::Start(loop, ro);
  if (!rpc.ok()) {
    return rpc.status().WithContext("serving the MGS on " + nid.ToString() +
                                    " (is another process using that port? see mgs.listen)");
  }
  s->rpc_ = std::move(rpc).value();
  s->rpc_->AddService(MgsService::Table(s->service_.get()));
  return s;
}

MgsServer::~MgsServer() = default;

Task<void> MgsServer::Shutdown() {
  registry_->Stop();
  co_await rpc_->Shutdown();
}

}  // namespace weft::mgs
