// The RPC layer end to end over tcp;ofi_rxm on loopback: real endpoints, real threads.
#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "rpc_test_service.h"

namespace weft::test {
namespace {

using namespace std::chrono_literals;

// One echo call; counts a reply that carries the request's value. A free function, not a
// lambda, so that the spawned coroutine owns everything it uses.
Task<void> EchoOnce(TestService::Stub* stub, uint64_t v, std::atomic<int>* matched,
                    std::atomic<int>* done) {
  EchoRequest req;
  req.set_value(v);
  auto r = co_await stub->Echo(req);
  if (r.ok() && r->value() == v) ++*matched;
  ++*done;
}

TEST(RpcTest, EchoRoundTrip) {
  TestServer server;
  server.Start();
  TestClient client(server.port());
  auto reply = client.Run([&]() -> Task<Result<EchoReply>> {
    EchoRequest req;
    req.set_value(7);
    req.set_text("hello");
    co_return co_await client.stub().Echo(req);
  }());
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->value(), 7u);
  EXPECT_EQ(reply->text(), "hello");
  // The call is counted and timed, by service and method.
  std::string text = MetricsRegistry::Global().RenderPrometheus();
  EXPECT_NE(text.find("weft_rpc_server_requests_total{service=\"test\",method=\"Echo\"}"),
            std::string::npos);
  EXPECT_NE(text.find("weft_rpc_server_latency_seconds_bucket{service=\"test\",method=\"Echo\""),
            std::string::npos);
}

// A caller may drop its client as soon as its call returns (tools do): the client must not be
// in use underneath the caller then. ASan catches a use after free here.
TEST(RpcTest, ClientDestroyedRightAfterItsCallReturns) {
  TestServer server;
  server.Start();
  LoopThread t;
  for (int i = 0; i < 20; ++i) {
    Status st = RunOn(t.loop(), [&]() -> Task<Status> {
      rpc::RpcClient::Options o;
      o.host_hint = "127.0.0.1";
      WEFT_CO_ASSIGN_OR_RETURN(auto client, rpc::RpcClient::Open(t.loop(), o));
      WEFT_CO_ASSIGN_OR_RETURN(auto peer, client->AddPeer(Nid{"127.0.0.1", server.port(), "tcp"}));
      TestService::Stub stub(client.get(), peer);
      auto r = co_await stub.Echo(EchoRequest());
      co_return r.status();  // the client is destroyed here
    }());
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
}

// A server keeps a bounded number of client addresses; a client it forgot is served again.
TEST(RpcTest, ForgottenClientsAreServedAgain) {
  LoopThread st;
  TestHandler handler(st.loop());
  std::unique_ptr<rpc::RpcServer> server;
  RunOn(st.loop(), [&]() -> Task<void> {
    rpc::RpcServer::Options o;
    o.max_peers = 2;
    auto s = rpc::RpcServer::Start(st.loop(), o);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    server = std::move(s).value();
    server->AddService(TestService::Table(&handler));
    co_return;
  }());
  std::vector<std::unique_ptr<TestClient>> clients;
  for (int i = 0; i < 4; ++i) clients.push_back(std::make_unique<TestClient>(server->port()));
  for (int round = 0; round < 2; ++round) {
    for (auto& c : clients) {
      auto r = c->Run(c->stub().Echo(EchoRequest()));
      EXPECT_TRUE(r.ok()) << r.status().ToString();
    }
  }
  RunOn(st.loop(), [&]() -> Task<void> {
    co_await server->Shutdown();
    server.reset();
  }());
}

// A server's one-way messages reach the client that called it, in the order sent, on its loop;
// one naming another client, or to a client with no handler, is counted as stray.
TEST(RpcTest, NotificationsReachTheCallersHandler) {
  TestServer server;
  server.Start();
  TestClient client(server.port());
  std::mutex mu;
  std::vector<std::string> got;
  client.Run([&]() -> Task<void> {
    client.client().SetNotifyHandler([&](uint16_t service, uint16_t method, std::string_view body) {
      std::lock_guard lock(mu);
      got.push_back(std::to_string(service) + "/" + std::to_string(method) + ":" +
                    std::string(body));
    });
    co_return;
  }());
  ASSERT_TRUE(client.Run(client.stub().Echo(EchoRequest())).ok());
  ASSERT_TRUE(server.NotifyLastCaller(7, "first").ok());
  ASSERT_TRUE(server.NotifyLastCaller(8, "second").ok());
  ASSERT_TRUE(server.NotifyLastCaller(9, "not yours", /*client_id=*/12345).ok());
  auto count = [&] {
    std::lock_guard lock(mu);
    return got.size();
  };
  for (int i = 0; i < 200 && count() < 2; ++i) std::this_thread::sleep_for(10ms);
  // A call after the notifications: its reply comes after them on the same connection, so the
  // stray one has been seen (and dropped) by the time it returns.
  ASSERT_TRUE(client.Run(client.stub().Echo(EchoRequest())).ok());
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(got, (std::vector<std::string>{"42/7:first", "42/8:second"}));
  }
  EXPECT_EQ(server.stats().notifications, 3u);
  rpc::ClientStats cs = client.client().stats();
  EXPECT_EQ(cs.notifications, 2u);
  EXPECT_GE(cs.stray_replies, 1u);
  // Without a handler a notification is dropped, and calls go on.
  client.Run([&]() -> Task<void> {
    client.client().SetNotifyHandler(nullptr);
    co_return;
  }());
  ASSERT_TRUE(server.NotifyLastCaller(7, "nobody listens").ok());
  ASSERT_TRUE(client.Run(client.stub().Echo(EchoRequest())).ok());
  EXPECT_EQ(client.client().stats().notifications, 2u);
}

// The client's endpoint is closed, but whether the server's provider has seen its connection
// close when the next message is posted is a race (on a loaded machine it often has not): such
// a post goes out on the old connection and vanishes, or fails at once (ENOTCONN, and the
// server forgets the client). Posts a notification every 10 ms until one waits in the fabric's
// backlog: from then on the provider connects afresh, is refused, and every post meets
// -FI_EAGAIN.
void ProbeUntilTheGoneClientRefuses(TestServer& server) {
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(server.NotifyLastCaller(7, "probe").ok());
    for (int j = 0; j < 10; ++j) {
      if (server.stats().sends_waiting > 0) return;
      std::this_thread::sleep_for(1ms);
    }
  }
  ADD_FAILURE() << "no notification to the closed client waited for it within 1 s";
}

// A notification to a client that is gone: the provider refuses the connection and answers
// each post with -FI_EAGAIN. The server tries less and less often, then drops the message and
// forgets the client, rather than trying to connect at every turn of its loop for ever.
TEST(RpcTest, NotificationToAGoneClientIsGivenUp) {
  TestServer server;
  server.Start(0, /*send_give_up=*/1500ms);
  {
    TestClient client(server.port());
    ASSERT_TRUE(client.Run(client.stub().Echo(EchoRequest())).ok());
  }  // the client's endpoint is closed: its address now refuses connections
  ProbeUntilTheGoneClientRefuses(server);
  ASSERT_EQ(server.stats().sends_waiting, 1u);
  uint64_t errors_before = server.stats().send_errors;
  // Past the first 50 ms of retries at every poll, pauses of up to 100 ms: in 800 ms, some
  // 10 tries. Without backing off, a loop retries every poll: thousands of connects a second.
  std::this_thread::sleep_for(200ms);
  uint64_t retries_before = server.stats().send_retries;
  std::this_thread::sleep_for(800ms);
  uint64_t retries = server.stats().send_retries - retries_before;
  EXPECT_GE(retries, 1u);
  EXPECT_LE(retries, 30u);
  EXPECT_EQ(server.stats().send_errors, errors_before);  // not given up yet
  for (int i = 0; i < 300 && server.stats().send_errors == errors_before; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(server.stats().send_errors, errors_before + 1);
  // The server serves on: a new client is answered at once.
  TestClient again(server.port());
  EXPECT_TRUE(again.Run(again.stub().Echo(EchoRequest())).ok());
}

// A burst of notifications to a client that is gone: only the first few wait for it (each
// holds a send buffer until the give-up), the rest are dropped and counted; the give-up
// completes the ones that waited.
TEST(RpcTest, NotificationsToAGoneClientDoNotPileUp) {
  TestServer server;
  server.Start(0, /*send_give_up=*/1500ms);
  {
    TestClient client(server.port());
    ASSERT_TRUE(client.Run(client.stub().Echo(EchoRequest())).ok());
  }
  ProbeUntilTheGoneClientRefuses(server);
  rpc::ServerStats before = server.stats();
  ASSERT_EQ(before.sends_waiting, 1u);
  constexpr uint64_t kBurst = 2000;
  uint64_t sent = 0, dropped = 0;
  for (uint64_t i = 0; i < kBurst; ++i) {
    Status st = server.NotifyLastCaller(7, "to nobody");
    if (st.ok()) {
      ++sent;
    } else {
      EXPECT_EQ(st.code(), StatusCode::kUnavailable) << st.ToString();
      ++dropped;
    }
  }
  // At most 16 posts wait, the probe among them; none of the burst if the probe has already
  // waited for 50 ms.
  rpc::ServerStats after = server.stats();
  EXPECT_GE(after.sends_waiting, sent > 0 ? 2u : 1u);
  EXPECT_LE(after.sends_waiting, 1 + sent);  // fewer if two went in one bundle
  EXPECT_LE(after.sends_waiting, rpc::RpcServer::kMaxNotifyWaiting);
  EXPECT_EQ(after.notifications_dropped - before.notifications_dropped, dropped);
  EXPECT_EQ(after.notifications - before.notifications, sent);
  // The give-up fails every notification that waited, and frees its buffer.
  uint64_t expect_errors = before.send_errors + 1 + sent;
  for (int i = 0; i < 300 && server.stats().send_errors < expect_errors; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(server.stats().send_errors, expect_errors);
  EXPECT_EQ(server.stats().sends_waiting, 0u);
}

// 4 client threads x 2,500 calls in flight at once; every reply carries its request's value.
// Requests issued in one turn of a client's loop travel in bundles, and so do the replies.
TEST(RpcTest, TenThousandConcurrentCallsAllMatched) {
  TestServer server;
  server.Start();
  constexpr int kThreads = 4, kPerThread = 2500;
  std::atomic<int> matched{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      TestClient client(server.port());
      std::atomic<int> mine{0}, done{0};
      client.Run([&]() -> Task<void> {
        for (int i = 0; i < kPerThread; ++i) {
          client.loop().Spawn(EchoOnce(&client.stub(), uint64_t(t) << 32 | i, &mine, &done));
        }
        while (done < kPerThread) co_await client.loop().Sleep(1ms);
      }());
      matched += mine;
      failed += kPerThread - mine;
      EXPECT_GE(client.client().stats().bundles_sent, 1u);
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(matched.load(), kThreads * kPerThread);
  EXPECT_EQ(failed.load(), 0);
  rpc::ServerStats s = server.stats();
  EXPECT_GE(s.bundles_received, 4u);
  EXPECT_GE(s.bundles_sent, 1u);
  EXPECT_EQ(s.replies, static_cast<uint64_t>(kThreads * kPerThread));
}

class RpcPayloadTest : public ::testing::TestWithParam<size_t> {};

// Inline below the threshold, RMA above it, in both directions, content checked.
TEST_P(RpcPayloadTest, BothDirectionsIntact) {
  size_t size = GetParam();
  TestServer server;
  server.Start();
  TestClient client(server.port());
  std::vector<char> out(size), in(size);
  Fill(out.data(), size, size);
  auto put = client.Run([&]() -> Task<Result<PayloadReply>> {
    rpc::CallOptions o;
    o.send_payload = out;
    co_return co_await client.stub().Put(PayloadRequest(), o);
  }());
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_EQ(put->size(), size);
  EXPECT_EQ(put->hash(), Hash(out.data(), size));

  size_t received = 0;
  auto get = client.Run([&]() -> Task<Result<PayloadReply>> {
    PayloadRequest req;
    req.set_size(size);
    req.set_seed(size);
    rpc::CallOptions o;
    o.recv_payload = in;
    o.received = &received;
    co_return co_await client.stub().Get(req, o);
  }());
  ASSERT_TRUE(get.ok()) << get.status().ToString();
  EXPECT_EQ(received, size);
  EXPECT_TRUE(in == out) << "response payload differs";
}
INSTANTIATE_TEST_SUITE_P(Sizes, RpcPayloadTest,
                         ::testing::Values(1, 4095, 65536, 65537, 1 << 20, (1 << 20) + 3,
                                           64 << 20));

TEST(RpcTest, DeadlineExpiresAndServerStaysUsable) {
  TestServer server;
  server.Start();
  TestClient client(server.port());
  auto start = Clock::now();
  auto slow = client.Run([&]() -> Task<Result<PayloadReply>> {
    PayloadRequest req;
    req.set_sleep_ms(2000);
    rpc::CallOptions o;
    o.timeout = 200ms;
    co_return co_await client.stub().Sleep(req, o);
  }());
  auto took = Clock::now() - start;
  ASSERT_FALSE(slow.ok());
  EXPECT_EQ(slow.status().code(), StatusCode::kRpcDeadlineExceeded);
  EXPECT_LT(took, 1500ms);
  EXPECT_GE(took, 190ms);
  auto echo = client.Run([&]() -> Task<Result<EchoReply>> {
    co_return co_await client.stub().Echo(EchoRequest());
  }());
  EXPECT_TRUE(echo.ok()) << echo.status().ToString();
}

// A mutating call resent while the first copy runs executes once and gets one answer.
TEST(RpcTest, ResentMutatingCallRunsOnce) {
  TestServer server;
  server.Start();
  rpc::RpcClient::Options o;
  o.attempt_timeout = 100ms;
  TestClient client(server.port(), o);
  auto r = client.Run([&]() -> Task<Result<EchoReply>> {
    EchoRequest req;
    req.set_value(450);  // the handler sleeps 450 ms: several resends arrive meanwhile
    co_return co_await client.stub().Bump(req);
  }());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->value(), 1u);
  EXPECT_EQ(server.handler().bumps.load(), 1);
  EXPECT_GE(client.client().stats().resends, 2u);
  EXPECT_GE(server.stats().duplicates_dropped + server.stats().resends_answered_from_record, 2u);
}

// The server goes away with calls in flight and comes back on the same port: the calls
// complete once it is back.
TEST(RpcTest, PendingCallsCompleteAfterServerRestart) {
  TestServer server;
  server.Start();
  uint16_t port = server.port();
  rpc::RpcClient::Options o;
  o.attempt_timeout = 300ms;
  o.default_timeout = 20s;
  TestClient client(port, o);
  // Warm the connection, then stop the server and issue calls while it is gone.
  ASSERT_TRUE(client.Run(client.stub().Echo(EchoRequest())).ok());
  server.Stop();
  std::atomic<int> ok{0}, done{0};
  client.Run([&]() -> Task<void> {
    for (int i = 0; i < 100; ++i) client.loop().Spawn(EchoOnce(&client.stub(), i, &ok, &done));
    co_return;
  }());
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(done.load(), 0) << "calls must wait for the server, not fail";
  server.Start(port);
  for (int i = 0; i < 200 && done.load() < 100; ++i) std::this_thread::sleep_for(50ms);
  EXPECT_EQ(ok.load(), 100);
  EXPECT_GE(client.client().stats().reconnects, 1u);
}

}  // namespace
}  // namespace weft::test
