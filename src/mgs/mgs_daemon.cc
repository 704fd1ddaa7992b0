#include "mgs/mgs_daemon.h"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstring>

#include "common/config.h"
#include "common/event_loop.h"
#include "common/log.h"
#include "common/metrics.h"
#include "mgs/mgs_config.h"
#include "mgs/mgs_server.h"
#include "mgs/signal_watch.h"

namespace weft::mgs {
namespace {

constexpr char kProgram[] = "weft-mgs";
constexpr char kDescription[] =
    "Weft management server: keeps the registry of a file system's targets, serves it to clients "
    "and marks silent targets down.";

// Parses the command line into `options`: kRun, kHelpShown, or an error already printed.
Result<ParseOutcome> Configure(int argc, const char* const* argv, MgsOptions* options) {
  ConfigRegistry config;
  AddMgsKeys(config, options);
  Result<ParseOutcome> outcome = ParseCommandLine(argc, argv, kProgram, kDescription, config);
  if (!outcome.ok()) std::fprintf(stderr, "%s: %s\n", kProgram, outcome.status().message().c_str());
  return outcome;
}

// Serves until SIGINT or SIGTERM; returns the exit code.
Task<int> ServeUntilSignal(EventLoop& loop, const MgsOptions& options) {
  Result<std::unique_ptr<SignalWatch>> signals = SignalWatch::Open(loop);
  if (!signals.ok()) {
    spdlog::error("{}: {}", kProgram, signals.status().ToString());
    co_return 1;
  }
  MetricsRegistry& metrics = MetricsRegistry::Global();
  Result<std::unique_ptr<MgsServer>> server = MgsServer::Start(loop, options, metrics);
  if (!server.ok()) {
    spdlog::error("{}: cannot start: {}", kProgram, server.status().ToString());
    co_return 1;
  }
  MetricsServer metrics_server(metrics);
  Status st = metrics_server.Start(options.metrics);
  if (!st.ok()) {
    spdlog::error("{}: cannot serve metrics: {}", kProgram, st.ToString());
    co_await (*server)->Shutdown();
    co_return 1;
  }
  if (metrics_server.port() != 0) {
    spdlog::info("{}: metrics at http://{}:{}/metrics", kProgram, options.metrics.address,
                 metrics_server.port());
  }
  spdlog::info("{}: serving fsname {} on {}, {} targets registered", kProgram, options.fsname,
               (*server)->nid(), (*server)->registry().size());
  int sig = co_await (*signals)->Wait();
  spdlog::info("{}: {} received, shutting down", kProgram, strsignal(sig));
  co_await (*server)->Shutdown();
  metrics_server.Stop();
  co_return 0;
}

Task<void> Serve(EventLoop& loop, const MgsOptions& options, int* exit_code) {
  *exit_code = co_await ServeUntilSignal(loop, options);
  loop.Stop();
}

}  // namespace

int RunMgsDaemon(int argc, const char* const* argv) {
  Status st = BlockShutdownSignals();
  if (!st.ok()) {
    std::fprintf(stderr, "%s: %s\n", kProgram, st.ToString().c_str());
    return 1;
  }
  MgsOptions options;
  Result<ParseOutcome> outcome = Configure(argc, argv, &options);
  if (!outcome.ok()) return 2;
  if (*outcome == ParseOutcome::kHelpShown) return 0;
  st = InitLogging(kProgram, options.log.level);
  if (!st.ok()) {
    std::fprintf(stderr, "%s: %s\n", kProgram, st.message().c_str());
    return 2;
  }
  EventLoop::Options loop_options;
  loop_options.name = "mgs";
  loop_options.spin = std::chrono::microseconds(options.loop_spin_us);
  EventLoop loop(loop_options);
  int exit_code = 1;
  loop.Spawn(Serve(loop, options, &exit_code));
  loop.Run();
  return exit_code;
}

}  // namespace weft::mgs
