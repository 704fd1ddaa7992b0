// A server process killed with SIGKILL while calls stream to it, and started again on the same
// port: every call completes, none fails.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <thread>

#include "common/event_loop.h"
#include "common/rpc_builtin.h"
#include "common/rpc_client.h"

namespace weft {
namespace {

using namespace std::chrono_literals;

// The server is rpc_bench in serving mode: a real process answering the built-in Ping.
pid_t StartServer(const std::string& listen) {
  pid_t pid = fork();
  if (pid == 0) {
    std::string bin = std::string(WEFT_BINARY_DIR) + "/bench/rpc_bench";
    execl(bin.c_str(), bin.c_str(), "--listen", listen.c_str(), nullptr);
    _exit(127);
  }
  return pid;
}

struct Counts {
  int ok = 0, failed = 0, running = 0;
};

// Calls Ping back to back until `end`, counting outcomes.
Task<void> Stream(rpc::BuiltinService::Stub* stub, Clock::time_point end, Counts* c) {
  ++c->running;
  while (Clock::now() < end) {
    auto r = co_await stub->Ping(rpc::PingRequest());
    if (r.ok()) ++c->ok; else ++c->failed;
  }
  --c->running;
}

TEST(RpcRestartTest, CallsInFlightSurviveServerKillAndRestart) {
  uint16_t port = static_cast<uint16_t>(30000 + getpid() % 20000);
  std::string listen = "127.0.0.1:" + std::to_string(port) + "@tcp";
  pid_t server = StartServer(listen);
  std::this_thread::sleep_for(300ms);

  LoopThread t;
  std::unique_ptr<rpc::RpcClient> client;
  std::unique_ptr<rpc::BuiltinService::Stub> stub;
  RunOn(t.loop(), [&]() -> Task<void> {
    rpc::RpcClient::Options o;
    o.host_hint = "127.0.0.1";
    o.attempt_timeout = 300ms;
    o.default_timeout = 20s;
    auto c = rpc::RpcClient::Open(t.loop(), o);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    client = std::move(c).value();
    auto peer = client->AddPeer(Nid{"127.0.0.1", port, "tcp"});
    EXPECT_TRUE(peer.ok()) << peer.status().ToString();
    stub = std::make_unique<rpc::BuiltinService::Stub>(client.get(), *peer);
    co_return;
  }());

  Counts counts;
  auto end = Clock::now() + 3s;
  RunOn(t.loop(), [&]() -> Task<void> {
    for (int i = 0; i < 16; ++i) t.loop().Spawn(Stream(stub.get(), end, &counts));
    co_return;
  }());
  std::this_thread::sleep_for(700ms);
  kill(server, SIGKILL);
  waitpid(server, nullptr, 0);
  int ok_at_kill = RunOn(t.loop(), [&]() -> Task<int> { co_return counts.ok; }());
  std::this_thread::sleep_for(1s);
  server = StartServer(listen);
  // Wait for the streams to finish: each ends its last call after `end`.
  for (int i = 0; i < 400; ++i) {
    if (RunOn(t.loop(), [&]() -> Task<int> { co_return counts.running; }()) == 0) break;
    std::this_thread::sleep_for(50ms);
  }
  Counts final_counts = RunOn(t.loop(), [&]() -> Task<Counts> { co_return counts; }());
  EXPECT_EQ(final_counts.running, 0);
  EXPECT_EQ(final_counts.failed, 0);
  EXPECT_GT(ok_at_kill, 0);
  EXPECT_GT(final_counts.ok, ok_at_kill) << "calls must go on after the restart";
  EXPECT_GE(client->stats().reconnects, 1u);

  RunOn(t.loop(), [&]() -> Task<void> {
    stub.reset();
    client.reset();
    co_return;
  }());
  kill(server, SIGTERM);
  waitpid(server, nullptr, 0);
}

}  // namespace
}  // namespace weft
