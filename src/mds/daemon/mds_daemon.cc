#include "mds/daemon/mds_daemon.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "common/blocking_pool.h"
#include "common/config.h"
#include "common/event_loop.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/rpc_server.h"
#include "common/target_label.h"
#include "mds/daemon/destroy_worker.h"
#include "mds/daemon/lease_grace.h"
#include "mds/daemon/mds_config.h"
#include "mds/daemon/mdt_metrics.h"
#include "mds/daemon/mgs_link.h"
#include "mds/daemon/reply_trimmer.h"
#include "mds/service/mds_reply_store.h"
#include "mds/service/mds_service_impl.h"
#include "mds/store/rocks_mdt_store.h"
#include "mgs/signal_watch.h"

namespace weft::mds {
namespace {

constexpr char kProgram[] = "weft-mds";
constexpr char kDescription[] =
    "Weft metadata server: serves the namespace of one metadata target (MDT), formatted by "
    "`weftctl mkfs --mdt`, and registers it with the file system's MGS.";

// `--target X` and `--target=X` are short for `--mds.target`.
std::vector<std::string> ExpandAliases(int argc, const char* const* argv) {
  std::vector<std::string> args(argv, argv + argc);
  for (std::string& a : args) {
    if (a == "--target" || a.starts_with("--target=")) a.replace(0, 8, "--mds.target");
  }
  return args;
}

Result<ParseOutcome> Configure(int argc, const char* const* argv, MdsOptions* options) {
  ConfigRegistry config;
  AddMdsKeys(config, options);
  std::vector<std::string> args = ExpandAliases(argc, argv);
  std::vector<const char*> ptrs;
  for (const std::string& a : args) ptrs.push_back(a.c_str());
  Result<ParseOutcome> outcome =
      ParseCommandLine(static_cast<int>(ptrs.size()), ptrs.data(), kProgram, kDescription, config);
  if (!outcome.ok()) std::fprintf(stderr, "%s: %s\n", kProgram, outcome.status().message().c_str());
  return outcome;
}

// The label of the target directory, which must be an MDT's.
Result<TargetLabel> ReadMdtLabel(const std::string& dir) {
  WEFT_ASSIGN_OR_RETURN(TargetLabel label, ReadTargetLabel(dir));
  if (label.type != "MDT") {
    return Status(StatusCode::kInvalidArgument,
                  dir + " holds " + label.Name() + ", an " + label.type +
                      ", not a metadata target; weft-mds serves MDTs only");
  }
  return label;
}

Result<std::unique_ptr<Mdt>> OpenMdt(const std::string& dir, bool sync_namespace,
                                     OstAllocator* allocator) {
  std::string db = dir + "/db";
  Result<std::unique_ptr<RocksMdtStore>> store =
      RocksMdtStore::Open(db, RocksMdtStore::OpenMode::kExisting);
  if (!store.ok()) return store.status().WithContext("opening the MDT store " + db);
  MdtOptions options;
  options.space_path = dir;
  options.sync_namespace = sync_namespace;
  return Mdt::Open(std::move(store).value(), allocator, options);
}

// Everything the daemon serves with, in construction order (destroyed in reverse).
struct Parts {
  explicit Parts(size_t threads) : pool(threads, "mds-pool") {}
  BlockingPool pool;
  RoundRobinOstAllocator allocator;
  std::unique_ptr<Mdt> mdt;
  std::vector<GaugeCallbackHandle> mdt_gauges;  // read the mdt: released before it
  std::unique_ptr<DestroyWorker> destroyer;
  std::unique_ptr<ReplyTrimmer> trimmer;
  std::unique_ptr<MdtReplyStore> replies;
  std::unique_ptr<NameLeases> leases;  // its sender uses rpc: set once that is up
  std::unique_ptr<LeaseGrace> grace;
  std::unique_ptr<MdsServiceImpl> service;
  std::unique_ptr<rpc::RpcServer> rpc;
  std::unique_ptr<MgsLink> link;
};

Status StartRpc(EventLoop& loop, const MdsOptions& options, Parts& p) {
  p.replies = std::make_unique<MdtReplyStore>(*p.mdt);
  p.service = std::make_unique<MdsServiceImpl>(*p.mdt, p.pool, *p.replies, *p.leases,
                                               RootSquashOf(options));
  Nid nid = ListenNid(options);
  rpc::RpcServer::Options ro;
  ro.net = nid.net;
  ro.host = nid.host;
  ro.port = nid.port;
  ro.reply_store = p.replies.get();
  Result<std::unique_ptr<rpc::RpcServer>> rpc = rpc::RpcServer::Start(loop, ro);
  if (!rpc.ok()) {
    return rpc.status().WithContext("serving the MDS on " + nid.ToString() +
                                    " (is another process using that port? see mds.listen)");
  }
  p.rpc = std::move(rpc).value();
  p.rpc->AddService(MdsService::Table(p.service.get()));
  rpc::RpcServer* server = p.rpc.get();
  p.leases->SetSender([server](std::string_view address, uint64_t client, const std::string& body) {
    return server->Notify(address, client, MdsService::kId, kNotifyNamesRemoved, body);
  });
  return Status::Ok();
}

// The destroy worker (woken by the Mdt when it queues files) and the reply-record trimmer.
Status StartBackground(EventLoop& loop, const MdsOptions& options, Parts& p) {
  Nid nid = ListenNid(options);
  DestroyWorker::Options wo;
  wo.net = nid.net;
  wo.host_hint = nid.host;
  wo.retry = std::chrono::milliseconds(options.destroy_retry_ms);
  wo.in_flight = static_cast<size_t>(options.destroy_in_flight);
  wo.batch = static_cast<size_t>(options.destroy_batch);
  WEFT_ASSIGN_OR_RETURN(p.destroyer, DestroyWorker::Open(loop, wo, *p.mdt, p.pool));
  DestroyWorker* worker = p.destroyer.get();
  p.mdt->SetDestroyQueuedHook([worker](const DestroyItem& item) { worker->Wake(item); });
  p.destroyer->Start();
  ReplyTrimmer::Options to{static_cast<uint64_t>(options.reply_records_keep),
                           std::chrono::milliseconds(options.reply_trim_ms)};
  p.trimmer = std::make_unique<ReplyTrimmer>(loop, to, *p.mdt, p.pool);
  p.trimmer->Start();
  p.grace->Start();
  return Status::Ok();
}

Task<void> StopBackground(Parts& p) {
  if (p.grace) co_await p.grace->Stop();
  if (p.trimmer) co_await p.trimmer->Stop();
  if (p.destroyer) {
    p.mdt->SetDestroyQueuedHook(nullptr);
    co_await p.destroyer->Stop();
  }
}

Status StartLink(EventLoop& loop, const MdsOptions& options, const TargetLabel& label,
                 Parts& p) {
  DestroyWorker* worker = p.destroyer.get();
  MgsLink::Options lo{label, p.rpc->nid(), options.target,
                      std::chrono::milliseconds(options.heartbeat_ms),
                      [worker](const mgs::GetConfigReply& c) { worker->ApplyConfig(c); }};
  WEFT_ASSIGN_OR_RETURN(p.link, MgsLink::Open(loop, lo, *p.mdt, p.pool, p.allocator));
  return Status::Ok();
}

// Registers with the MGS and announces readiness; a refusal ends the daemon with exit code 1
// (through a SIGTERM to itself, which the signal watch turns into a clean shutdown).
Task<void> RegisterAndAnnounce(MgsLink& link, const TargetLabel& label, std::string nid,
                               int* exit_code) {
  Status st = co_await link.Register();
  if (st.ok()) {
    spdlog::info("{}: serving {} on {}, registered with the MGS at {}", kProgram, label.Name(),
                 nid, label.mgs);
    co_return;
  }
  if (st.code() == StatusCode::kCancelled) co_return;
  spdlog::error("{}: the MGS at {} refused {}: {}", kProgram, label.mgs, label.Name(),
                st.ToString());
  *exit_code = 1;
  ::kill(::getpid(), SIGTERM);
}

Task<int> ServeUntilSignal(EventLoop& loop, const MdsOptions& options, const TargetLabel& label) {
  Result<std::unique_ptr<mgs::SignalWatch>> signals = mgs::SignalWatch::Open(loop);
  if (!signals.ok()) {
    spdlog::error("{}: {}", kProgram, signals.status().ToString());
    co_return 1;
  }
  Parts p(static_cast<size_t>(options.threads));
  // Creates that come between serving and the first configuration from the MGS wait for it.
  p.allocator.WaitForFirstUpdate(std::chrono::seconds(2));
  Result<std::unique_ptr<Mdt>> mdt = co_await p.pool.Run(
      [&] { return OpenMdt(options.target, options.sync_namespace, &p.allocator); });
  if (!mdt.ok()) {
    spdlog::error("{}: cannot start: {}", kProgram, mdt.status().ToString());
    co_return 1;
  }
  p.mdt = std::move(mdt).value();
  if (!p.mdt->sync_namespace()) {
    spdlog::warn(
        "{}: mds.sync_namespace is false: namespace changes are answered before "
        "their log sync; a crash of this machine may lose the last 5 ms of them",
        kProgram);
  }
  p.mdt_gauges = AddMdtGauges(MetricsRegistry::Global(), options.target, label.Name(), *p.mdt);
  // Name leases; the clients that held some before this start are read before serving.
  NameLeases::Options lo;
  lo.term = std::chrono::milliseconds(options.lease_ms);
  p.leases = std::make_unique<NameLeases>(lo);
  p.grace = std::make_unique<LeaseGrace>(loop, lo.term, *p.leases, *p.mdt, p.pool);
  Status grace = co_await p.grace->Begin();
  if (!grace.ok()) {
    spdlog::warn(
        "{}: reading the clients that held name leases: {}; a client may see a name "
        "removed after this start until its lease runs out",
        kProgram, grace.ToString());
  }
  Status st = StartRpc(loop, options, p);
  if (!st.ok()) {
    spdlog::error("{}: cannot start: {}", kProgram, st.ToString());
    co_return 1;
  }
  int exit_code = 0;
  MetricsServer metrics_server(MetricsRegistry::Global());
  st = metrics_server.Start(options.metrics);
  if (st.ok()) st = StartBackground(loop, options, p);
  if (st.ok()) st = StartLink(loop, options, label, p);
  if (st.ok()) {
    if (metrics_server.port() != 0) {
      spdlog::info("{}: metrics at http://{}:{}/metrics", kProgram, options.metrics.address,
                   metrics_server.port());
    }
    spdlog::info("{}: {} open, serving on {}; registering with the MGS at {}", kProgram,
                 label.Name(), p.rpc->nid(), label.mgs);
    loop.Spawn(RegisterAndAnnounce(*p.link, label, p.rpc->nid(), &exit_code));
    int sig = co_await (*signals)->Wait();
    spdlog::info("{}: {} received, shutting down", kProgram, strsignal(sig));
    co_await p.link->Stop();
  } else {
    spdlog::error("{}: cannot start: {}", kProgram, st.ToString());
    exit_code = 1;
  }
  co_await p.rpc->Shutdown();
  co_await StopBackground(p);
  metrics_server.Stop();
  co_return exit_code;
}

Task<void> Serve(EventLoop& loop, const MdsOptions& options, const TargetLabel& label,
                 int* exit_code) {
  *exit_code = co_await ServeUntilSignal(loop, options, label);
  loop.Stop();
}

}  // namespace

int RunMdsDaemon(int argc, const char* const* argv) {
  Status st = mgs::BlockShutdownSignals();
  if (!st.ok()) {
    std::fprintf(stderr, "%s: %s\n", kProgram, st.ToString().c_str());
    return 1;
  }
  MdsOptions options;
  Result<ParseOutcome> outcome = Configure(argc, argv, &options);
  if (!outcome.ok()) return 2;
  if (*outcome == ParseOutcome::kHelpShown) return 0;
  st = InitLogging(kProgram, options.log.level);
  if (!st.ok()) {
    std::fprintf(stderr, "%s: %s\n", kProgram, st.message().c_str());
    return 2;
  }
  Result<TargetLabel> label = ReadMdtLabel(options.target);
  if (!label.ok()) {
    std::fprintf(stderr, "%s: %s\n", kProgram, label.status().message().c_str());
    return 1;
  }
  EventLoop::Options loop_options;
  loop_options.name = "mds";
  loop_options.spin = std::chrono::microseconds(options.loop_spin_us);
  EventLoop loop(loop_options);
  int exit_code = 1;
  loop.Spawn(Serve(loop, options, *label, &exit_code));
  loop.Run();
  return exit_code;
}

}  // namespace weft::mds
