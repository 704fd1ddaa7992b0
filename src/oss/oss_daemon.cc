#include "oss/oss_daemon.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "common/config.h"
#include "common/event_loop.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/rpc_client.h"
#include "common/rpc_server.h"
#include "mgs/mgs_service.h"
#include "mgs/signal_watch.h"
#include "oss/object_store.h"
#include "oss/oss_config.h"
#include "oss/oss_handler.h"

namespace weft::oss {
namespace {

constexpr char kProgram[] = "weft-oss";
constexpr char kDescription[] =
    "Weft object storage server: serves the objects of one or more OSTs (weft-oss --target PATH "
    "[--target PATH ...]), registers them with the MGS and reports their space.";

// What the daemon runs on its loop; shared by the registration tasks.
struct Daemon {
  const OssOptions* options = nullptr;
  std::vector<std::unique_ptr<ObjectStore>> stores;
  OssHandler handler;
  std::unique_ptr<rpc::RpcServer> server;
  std::unique_ptr<rpc::RpcClient> mgs_client;
  std::vector<GaugeCallbackHandle> gauges;
  bool stopping = false;
  int running_tasks = 0;
  int fatal_exit = 0;  // set when the MGS refuses a target
};

mgs::TargetSpace SpaceOf(const ObjectStore& store) {
  mgs::TargetSpace space;
  Result<StoreSpace> s = store.Statfs();
  if (s.ok()) {
    space.set_bytes_total(s->bytes_total);
    space.set_bytes_free(s->bytes_avail);
    space.set_inodes_total(s->inodes_total);
    space.set_inodes_free(s->inodes_free);
  }
  return space;
}

// The OST's space and inodes (statvfs of its directory, as heartbeats report them to the MGS)
// and its object count, read at scrape time.
void AddStoreGauges(MetricsRegistry& metrics, ObjectStore* store,
                    std::vector<GaugeCallbackHandle>* gauges) {
  MetricLabels labels = {{"target", store->label().Name()}};
  auto add = [&](const char* name, const char* help, double (*read)(const StoreSpace&)) {
    gauges->push_back(metrics.GaugeCallback(name, help, labels, [store, read] {
      Result<StoreSpace> s = store->Statfs();
      return s.ok() ? read(*s) : 0.0;
    }));
  };
  add("weft_oss_capacity_bytes", "Size of the file system holding the OST, in bytes",
      [](const StoreSpace& s) { return double(s.bytes_total); });
  add("weft_oss_bytes_free", "Bytes available to the OST on its file system",
      [](const StoreSpace& s) { return double(s.bytes_avail); });
  add("weft_oss_bytes_used", "Bytes used on the file system holding the OST",
      [](const StoreSpace& s) { return double(s.bytes_total - s.bytes_free); });
  add("weft_oss_files_free", "Inodes free on the file system holding the OST",
      [](const StoreSpace& s) { return double(s.inodes_free); });
  add("weft_oss_files_used", "Inodes used on the file system holding the OST",
      [](const StoreSpace& s) { return double(s.inodes_total - s.inodes_free); });
  gauges->push_back(metrics.GaugeCallback("weft_oss_objects", "Objects stored on the OST", labels,
                                          [store] { return double(store->object_count()); }));
}

// Sleeps up to `d` in short steps, returning early once the daemon stops.
Task<void> Nap(EventLoop& loop, Daemon& d, Clock::duration total) {
  auto end = Clock::now() + total;
  while (!d.stopping && Clock::now() < end) {
    co_await loop.Sleep(std::min<Clock::duration>(std::chrono::milliseconds(100), end - Clock::now()));
  }
}

// Registers one OST with its MGS (retrying while the MGS is away), then heartbeats until the
// daemon stops; registers again if the MGS forgot it.
Task<void> RegisterAndHeartbeat(EventLoop& loop, Daemon& d, ObjectStore* store) {
  d.running_tasks++;
  const TargetLabel& label = store->label();
  Result<Nid> mgs_nid = ParseNid(label.mgs);
  Result<rpc::PeerId> peer = mgs_nid.ok()
                                 ? d.mgs_client->AddPeer(mgs_nid->WithDefaultPort(mgs::kDefaultMgsPort))
                                 : Result<rpc::PeerId>(mgs_nid.status());
  if (!peer.ok()) {
    spdlog::error("{}: {}: MGS {}: {}", kProgram, label.Name(), label.mgs, peer.status().ToString());
    d.fatal_exit = 1;
    d.running_tasks--;
    ::kill(::getpid(), SIGTERM);
    co_return;
  }
  mgs::MgsService::Stub stub(d.mgs_client.get(), *peer);
  rpc::CallOptions call;
  call.timeout = std::chrono::seconds(2);
  auto interval = std::chrono::milliseconds(d.options->heartbeat_interval_ms);
  bool registered = false;
  bool warned = false;
  while (!d.stopping) {
    if (!registered) {
      mgs::RegisterTargetRequest r;
      r.set_fsname(label.fsname);
      r.set_type(mgs::OST);
      r.set_index(label.index);
      r.set_uuid(label.uuid);
      r.set_nid(d.server->nid());
      Result<mgs::RegisterTargetReply> reply = co_await stub.RegisterTarget(r, call);
      if (reply.ok()) {
        registered = true;
        spdlog::info("{}: {} registered with the MGS at {}", kProgram, label.Name(), label.mgs);
      } else if (reply.status().code() == StatusCode::kMgsFsnameMismatch ||
                 reply.status().code() == StatusCode::kMgsIndexConflict) {
        spdlog::error("{}: the MGS refuses {}: {}", kProgram, label.Name(),
                      reply.status().ToString());
        d.fatal_exit = 1;
        break;
      } else {
        if (!warned) {
          spdlog::warn("{}: {}: MGS at {} not answering ({}); retrying", kProgram, label.Name(),
                       label.mgs, reply.status().ToString());
          warned = true;
        }
        co_await Nap(loop, d, std::chrono::milliseconds(500));
        continue;
      }
    }
    mgs::HeartbeatRequest h;
    h.set_fsname(label.fsname);
    h.set_type(mgs::OST);
    h.set_index(label.index);
    h.set_uuid(label.uuid);
    *h.mutable_space() = SpaceOf(*store);
    Result<mgs::HeartbeatReply> hb = co_await stub.Heartbeat(h, call);
    if (!hb.ok() && hb.status().code() != StatusCode::kRpcDeadlineExceeded) {
      spdlog::warn("{}: {}: heartbeat refused ({}); registering again", kProgram, label.Name(),
                   hb.status().ToString());
      registered = false;
      warned = false;
    }
    co_await Nap(loop, d, interval);
  }
  d.running_tasks--;
  // Shut down the ordinary way: through the signal watch.
  if (d.fatal_exit != 0 && !d.stopping) ::kill(::getpid(), SIGTERM);
}

Task<int> ServeUntilSignal(EventLoop& loop, Daemon& d) {
  const OssOptions& options = *d.options;
  Result<std::unique_ptr<mgs::SignalWatch>> signals = mgs::SignalWatch::Open(loop);
  if (!signals.ok()) {
    spdlog::error("{}: {}", kProgram, signals.status().ToString());
    co_return 1;
  }
  Nid nid = ListenNid(options);
  rpc::RpcServer::Options so;
  so.net = nid.net;
  so.host = nid.host;
  so.port = nid.port;
  Result<std::unique_ptr<rpc::RpcServer>> server = rpc::RpcServer::Start(loop, so);
  if (!server.ok()) {
    spdlog::error("{}: cannot serve on {}: {}", kProgram, nid.ToString(), server.status().ToString());
    co_return 1;
  }
  d.server = std::move(server).value();
  d.server->AddService(OssService::Table(&d.handler));
  rpc::RpcClient::Options co;
  co.net = nid.net;
  co.host_hint = d.stores.front()->label().mgs.substr(0, d.stores.front()->label().mgs.find(':'));
  co.attempt_timeout = std::chrono::seconds(1);
  Result<std::unique_ptr<rpc::RpcClient>> client = rpc::RpcClient::Open(loop, co);
  if (!client.ok()) {
    spdlog::error("{}: cannot open an RPC client for the MGS: {}", kProgram,
                  client.status().ToString());
    co_await d.server->Shutdown();
    co_return 1;
  }
  d.mgs_client = std::move(client).value();

  MetricsRegistry& metrics = MetricsRegistry::Global();
  for (const auto& s : d.stores) AddStoreGauges(metrics, s.get(), &d.gauges);
  MetricsServer metrics_server(metrics);
  Status st = metrics_server.Start(options.metrics);
  int exit_code = 0;
  if (!st.ok()) {
    spdlog::error("{}: cannot serve metrics: {}", kProgram, st.ToString());
    exit_code = 1;
  } else {
    if (metrics_server.port() != 0) {
      spdlog::info("{}: metrics at http://{}:{}/metrics", kProgram, options.metrics.address,
                   metrics_server.port());
    }
    for (const auto& s : d.stores) loop.Spawn(RegisterAndHeartbeat(loop, d, s.get()));
    std::string names;
    for (const auto& s : d.stores) names += " " + s->label().Name();
    spdlog::info("{}: serving{} on {}", kProgram, names, d.server->nid());
    int sig = co_await (*signals)->Wait();
    spdlog::info("{}: {} received, shutting down", kProgram, strsignal(sig));
  }
  d.stopping = true;
  while (d.running_tasks > 0) co_await loop.Sleep(std::chrono::milliseconds(20));
  co_await d.server->Shutdown();
  metrics_server.Stop();
  d.gauges.clear();
  d.mgs_client.reset();
  d.server.reset();
  co_return exit_code;
}

Task<void> Serve(EventLoop& loop, Daemon& d, int* exit_code) {
  *exit_code = co_await ServeUntilSignal(loop, d);
  loop.Stop();
}

}  // namespace

int RunOssDaemon(int argc, const char* const* argv) {
  Status st = mgs::BlockShutdownSignals();
  if (!st.ok()) {
    std::fprintf(stderr, "%s: %s\n", kProgram, st.ToString().c_str());
    return 1;
  }
  OssOptions options;
  Result<std::vector<std::string>> rest = TakeTargets(argc, argv, &options.targets);
  if (!rest.ok()) {
    std::fprintf(stderr, "%s: %s\n", kProgram, rest.status().message().c_str());
    return 2;
  }
  std::vector<const char*> args;
  for (const std::string& a : *rest) args.push_back(a.c_str());
  ConfigRegistry config;
  AddOssKeys(config, &options);
  Result<ParseOutcome> outcome = ParseCommandLine(static_cast<int>(args.size()), args.data(),
                                                  kProgram, kDescription, config);
  if (!outcome.ok()) {
    std::fprintf(stderr, "%s: %s\n", kProgram, outcome.status().message().c_str());
    return 2;
  }
  if (*outcome == ParseOutcome::kHelpShown) {
    std::printf("\nTargets: --target PATH, repeatable: a directory formatted with "
                "`weftctl mkfs --ost`.\n");
    return 0;
  }
  if (options.targets.empty()) {
    std::fprintf(stderr, "%s: give at least one --target PATH (an OST formatted with "
                 "`weftctl mkfs --ost`)\n", kProgram);
    return 2;
  }
  st = InitLogging(kProgram, options.log.level);
  if (!st.ok()) {
    std::fprintf(stderr, "%s: %s\n", kProgram, st.message().c_str());
    return 2;
  }
  Daemon d;
  d.options = &options;
  ObjectStore::Options so;
  so.max_open_objects = static_cast<size_t>(options.max_open_objects);
  so.use_direct_io = options.direct_io;
  so.stream_writes = options.stream_writes;
  for (const std::string& path : options.targets) {
    Result<std::unique_ptr<ObjectStore>> store = ObjectStore::Open(path, so);
    if (!store.ok()) {
      std::fprintf(stderr, "%s: target %s: %s\n", kProgram, path.c_str(),
                   store.status().message().c_str());
      return 2;
    }
    const TargetLabel& label = (*store)->label();
    for (const auto& other : d.stores) {
      if (other->label().fsname != label.fsname) {
        std::fprintf(stderr, "%s: target %s belongs to file system %s, but %s to %s; one OSS "
                     "serves one file system\n", kProgram, path.c_str(), label.fsname.c_str(),
                     other->dir().c_str(), other->label().fsname.c_str());
        return 2;
      }
      if (other->label().index == label.index) {
        std::fprintf(stderr, "%s: targets %s and %s are both %s\n", kProgram,
                     other->dir().c_str(), path.c_str(), label.Name().c_str());
        return 2;
      }
    }
    d.handler.AddStore(store->get());
    d.stores.push_back(std::move(store).value());
  }
  EventLoop::Options loop_options;
  loop_options.name = "oss";
  loop_options.spin = std::chrono::microseconds(options.loop_spin_us);
  int exit_code = 1;
  {
    EventLoop loop(loop_options);
    loop.Spawn(Serve(loop, d, &exit_code));
    loop.Run();
  }
  if (d.fatal_exit != 0) return d.fatal_exit;  // the MGS refused a target
  return exit_code;
}

}  // namespace weft::oss
