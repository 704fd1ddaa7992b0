// MgsServer: a running management server on one event loop: its registry store, the registry,
// the MGS service and the RPC server that serves it. weft-mgs runs one; tests may too.
//
// Threading: Start, Shutdown, the accessors and destruction on the loop thread.
#pragma once

#include <memory>
#include <string>

#include "common/event_loop.h"
#include "common/metrics.h"
#include "common/rpc_server.h"
#include "mgs/mgs_config.h"
#include "mgs/mgs_metrics.h"
#include "mgs/mgs_service_impl.h"
#include "mgs/registry.h"
#include "mgs/rocksdb_registry_store.h"

namespace weft::mgs {

class MgsServer {
 public:
  // Opens the registry at RegistryPath(options), loads it and starts serving on
  // ListenNid(options). Errors name what failed (the store's path, the NID).
  // REQUIRES: on loop's thread; `options` passed validation; `metrics` outlives the server.
  static Result<std::unique_ptr<MgsServer>> Start(EventLoop& loop, const MgsOptions& options,
                                                  MetricsRegistry& metrics);
  // REQUIRES: Shutdown() has finished.
  ~MgsServer();

  // Answers waiting long polls, stops taking requests and waits for the running ones.
  Task<void> Shutdown();

  // "127.0.0.1:9880@tcp"
  std::string nid() const { return rpc_->nid(); }
  const Registry& registry() const { return *registry_; }

 private:
  MgsServer() = default;

  // Declared in construction order; destroyed in reverse, the RPC server first.
  std::unique_ptr<RocksRegistryStore> store_;
  std::unique_ptr<MgsMetrics> metrics_;
  std::unique_ptr<Registry> registry_;
  std::unique_ptr<MgsServiceImpl> service_;
  std::unique_ptr<rpc::RpcServer> rpc_;
};

}  // namespace weft::mgs
