// rpc_bench: the RPC layer's speed, to compare with fi_pingpong on the same provider.
//
//   rpc_bench                          starts a server process and measures every mode
//   rpc_bench --listen 127.0.0.1:7000  serves only (until SIGINT/SIGTERM)
//   rpc_bench --server 127.0.0.1:7000 --mode latency --size 64 --runs 5
//
// Modes: latency (one call in flight, round trip), rate (--inflight calls in flight),
// write (payload to the server: inline up to 64 KiB, else fi_read by the server),
// read (payload from the server: inline or fi_write). Each run lasts --seconds; the median of
// --runs runs is printed last.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <thread>
#include <vector>

#include "common/event_loop.h"
#include "common/nid.h"
#include "common/rpc_builtin.h"
#include "common/rpc_client.h"
#include "common/rpc_server.h"

namespace weft {
namespace {

using namespace std::chrono_literals;

struct Args {
  std::string listen, server, mode = "all";
  size_t size = 64, inflight = 16, runs = 5;
  double seconds = 2;
};

struct RunResult {
  double ops_per_s = 0, mb_per_s = 0, p50_us = 0, p99_us = 0;
};

int Serve(const std::string& listen) {
  auto nid = ParseNid(listen);
  if (!nid.ok()) {
    std::fprintf(stderr, "rpc_bench: --listen: %s\n", nid.status().ToString().c_str());
    return 2;
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  LoopThread t({.name = "bench-srv"});
  std::unique_ptr<rpc::RpcServer> server;
  Status st = RunOn(t.loop(), [&]() -> Task<Status> {
    rpc::RpcServer::Options o{.net = nid->net, .host = nid->host, .port = nid->port};
    WEFT_CO_ASSIGN_OR_RETURN(server, rpc::RpcServer::Start(t.loop(), o));
    co_return Status::Ok();
  }());
  if (!st.ok()) {
    std::fprintf(stderr, "rpc_bench: %s\n", st.ToString().c_str());
    return 1;
  }
  std::printf("serving on %s\n", server->nid().c_str());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&set, &sig);
  RunOn(t.loop(), [&]() -> Task<void> {
    co_await server->Shutdown();
    server.reset();
  }());
  return 0;
}

// Issues calls from `inflight` coroutines until the time is up; records each latency.
Task<RunResult> Measure(EventLoop& loop, rpc::BuiltinService::Stub& stub, const Args& a,
                        bool write, bool read, size_t inflight) {
  std::vector<double> lat;
  size_t bytes = 0, running = inflight;
  auto end = Clock::now() + std::chrono::duration<double>(a.seconds);
  auto worker = [&]() -> Task<void> {
    std::vector<char> buf(a.size);
    while (Clock::now() < end) {
      rpc::PingRequest req;
      rpc::CallOptions o;
      if (write) o.send_payload = buf;
      if (read) {
        req.set_reply_size(a.size);
        o.recv_payload = buf;
      }
      auto t0 = Clock::now();
      auto r = co_await stub.Ping(req, o);
      if (!r.ok()) {
        std::fprintf(stderr, "rpc_bench: call failed: %s\n", r.status().ToString().c_str());
        break;
      }
      lat.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
      bytes += (write || read) ? a.size : 0;
    }
    --running;
  };
  auto start = Clock::now();
  for (size_t i = 0; i < inflight; ++i) loop.Spawn(worker());
  while (running > 0) co_await loop.Sleep(1ms);
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  std::sort(lat.begin(), lat.end());
  RunResult r;
  if (lat.empty()) co_return r;
  r.ops_per_s = lat.size() / secs;
  r.mb_per_s = bytes / secs / 1e6;
  r.p50_us = lat[lat.size() / 2];
  r.p99_us = lat[lat.size() * 99 / 100];
  co_return r;
}

int RunMode(EventLoop& loop, rpc::BuiltinService::Stub& stub, const Args& a,
            const std::string& mode) {
  bool write = mode == "write", read = mode == "read";
  size_t inflight = mode == "latency" ? 1 : a.inflight;
  std::vector<RunResult> runs;
  for (size_t i = 0; i < a.runs; ++i) {
    RunResult r = RunOn(loop, Measure(loop, stub, a, write, read, inflight));
    std::printf("  %-7s size %8zu inflight %3zu run %zu: %10.0f ops/s %9.1f MB/s p50 %8.1f us "
                "p99 %8.1f us\n", mode.c_str(), a.size, inflight, i + 1, r.ops_per_s,
                r.mb_per_s, r.p50_us, r.p99_us);
    std::fflush(stdout);
    runs.push_back(r);
  }
  std::sort(runs.begin(), runs.end(),
            [](const RunResult& x, const RunResult& y) { return x.ops_per_s < y.ops_per_s; });
  const RunResult& m = runs[runs.size() / 2];
  std::printf("median  %-7s size %8zu inflight %3zu: %10.0f ops/s %9.1f MB/s p50 %8.1f us\n",
              mode.c_str(), a.size, inflight, m.ops_per_s, m.mb_per_s, m.p50_us);
  return m.ops_per_s > 0 ? 0 : 1;
}

int Client(const Args& a) {
  auto nid = ParseNid(a.server);
  if (!nid.ok() || nid->port == 0) {
    std::fprintf(stderr, "rpc_bench: --server needs HOST:PORT@NET\n");
    return 2;
  }
  LoopThread t({.name = "bench-cli"});
  std::unique_ptr<rpc::RpcClient> client;
  std::unique_ptr<rpc::BuiltinService::Stub> stub;
  Status st = RunOn(t.loop(), [&]() -> Task<Status> {
    WEFT_CO_ASSIGN_OR_RETURN(client, rpc::RpcClient::Open(t.loop(), {.net = nid->net,
                                                                     .host_hint = nid->host}));
    WEFT_CO_ASSIGN_OR_RETURN(rpc::PeerId peer, client->AddPeer(*nid));
    stub = std::make_unique<rpc::BuiltinService::Stub>(client.get(), peer);
    co_return Status::Ok();
  }());
  if (!st.ok()) {
    std::fprintf(stderr, "rpc_bench: %s\n", st.ToString().c_str());
    return 1;
  }
  int rc = 0;
  std::vector<std::string> modes = {a.mode};
  if (a.mode == "all") modes = {"latency", "rate", "write", "read"};
  for (const auto& m : modes) rc |= RunMode(t.loop(), *stub, a, m);
  RunOn(t.loop(), [&]() -> Task<void> {
    stub.reset();
    client.reset();
    co_return;
  }());
  return rc;
}

// No --server: run a server child process on a free-ish port and measure against it.
int SelfHosted(Args a, const char* argv0) {
  std::string listen = "127.0.0.1:" + std::to_string(20000 + getpid() % 20000) + "@tcp";
  pid_t child = fork();
  if (child == 0) {
    execl(argv0, argv0, "--listen", listen.c_str(), nullptr);
    _exit(127);
  }
  std::this_thread::sleep_for(500ms);
  a.server = listen;
  int rc = Client(a);
  kill(child, SIGTERM);
  waitpid(child, nullptr, 0);
  return rc;
}

}  // namespace
}  // namespace weft

int main(int argc, char** argv) {
  weft::Args a;
  CLI::App app{"rpc_bench: speed of the Weft RPC layer"};
  app.add_option("--listen", a.listen, "serve on HOST:PORT@NET and do nothing else");
  app.add_option("--server", a.server, "measure against a server at HOST:PORT@NET");
  app.add_option("--mode", a.mode, "latency, rate, write, read or all")
      ->check(CLI::IsMember({"latency", "rate", "write", "read", "all"}));
  app.add_option("--size", a.size, "payload bytes for write/read (default 64)");
  app.add_option("--inflight", a.inflight, "calls in flight for rate/write/read (default 16)");
  app.add_option("--seconds", a.seconds, "length of one run (default 2)");
  app.add_option("--runs", a.runs, "runs per mode; the median is reported (default 5)");
  CLI11_PARSE(app, argc, argv);
  if (!a.listen.empty()) return weft::Serve(a.listen);
  if (a.server.empty()) return weft::SelfHosted(a, argv[0]);
  return weft::Client(a);
}
