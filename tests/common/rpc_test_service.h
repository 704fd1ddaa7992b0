// A test-only RPC service and a fixture with a real server and client over tcp;ofi_rxm on
// loopback, each on its own event loop thread.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <string>

#include "common/event_loop.h"
#include "common/rpc_service.h"
#include "rpc_test.pb.h"

namespace weft::test {

#define WEFT_TEST_METHODS(M)                                    \
  M(1, Echo, EchoRequest, EchoReply, kReadOnly)                 \
  M(2, Bump, EchoRequest, EchoReply, kMutating)                 \
  M(3, Put, PayloadRequest, PayloadReply, kReadOnly)            \
  M(4, Get, PayloadRequest, PayloadReply, kReadOnly)            \
  M(5, Sleep, PayloadRequest, PayloadReply, kReadOnly)
WEFT_RPC_SERVICE(TestService, 42, "test", WEFT_TEST_METHODS);

// FNV-1a over the bytes, and the pattern both sides use for payloads.
inline uint64_t Hash(const char* p, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; ++i) h = (h ^ static_cast<unsigned char>(p[i])) * 1099511628211ull;
  return h;
}
inline void Fill(char* p, size_t n, uint64_t seed) {
  uint64_t x = seed * 6364136223846793005ull + 1442695040888963407ull;
  for (size_t i = 0; i < n; ++i) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    p[i] = static_cast<char>(x >> 56);
  }
}

class TestHandler : public TestService::Handler {
 public:
  explicit TestHandler(EventLoop& loop) : loop_(loop) {}
  std::atomic<int> bumps{0};
  // The last Echo's caller (loop thread): where a notification reaches it.
  std::string last_address;
  uint64_t last_client = 0;

  Task<Result<EchoReply>> Echo(rpc::ServerCall& call, const EchoRequest& r) override {
    last_address.assign(call.peer_address());
    last_client = call.client_id();
    EchoReply reply;
    reply.set_value(r.value());
    reply.set_text(r.text());
    co_return reply;
  }
  // Counts executions; sleeps first when asked (value = ms), so a resend can overtake it.
  Task<Result<EchoReply>> Bump(rpc::ServerCall&, const EchoRequest& r) override {
    if (r.value() > 0) co_await loop_.Sleep(std::chrono::milliseconds(r.value()));
    EchoReply reply;
    reply.set_value(++bumps);
    co_return reply;
  }
  Task<Result<PayloadReply>> Put(rpc::ServerCall& call, const PayloadRequest& r) override {
    WEFT_CO_ASSIGN_OR_RETURN(auto data, co_await call.RequestPayload());
    PayloadReply reply;
    reply.set_size(data.size());
    reply.set_hash(Hash(data.data(), data.size()));
    co_return reply;
  }
  Task<Result<PayloadReply>> Get(rpc::ServerCall& call, const PayloadRequest& r) override {
    WEFT_CO_ASSIGN_OR_RETURN(auto out, call.ResponsePayload(r.size()));
    Fill(out.data(), out.size(), r.seed());
    PayloadReply reply;
    reply.set_size(out.size());
    co_return reply;
  }
  Task<Result<PayloadReply>> Sleep(rpc::ServerCall&, const PayloadRequest& r) override {
    co_await loop_.Sleep(std::chrono::milliseconds(r.sleep_ms()));
    co_return PayloadReply();
  }

 private:
  EventLoop& loop_;
};

// A server on its own loop thread. Start/Stop may be repeated on the same port.
class TestServer {
 public:
  TestServer() : handler_(thread_.loop()) {}
  ~TestServer() { Stop(); }

  void Start(uint16_t port = 0, std::chrono::milliseconds send_give_up = std::chrono::seconds(10)) {
    RunOn(thread_.loop(), [this, port, send_give_up]() -> Task<void> {
      rpc::RpcServer::Options o;
      o.port = port;
      o.send_give_up = send_give_up;
      auto s = rpc::RpcServer::Start(thread_.loop(), o);
      EXPECT_TRUE(s.ok()) << s.status().ToString();
      if (!s.ok()) co_return;
      server_ = std::move(s).value();
      server_->AddService(TestService::Table(&handler_));
      co_return;
    }());
  }
  void Stop() {
    if (!server_) return;
    RunOn(thread_.loop(), [this]() -> Task<void> {
      co_await server_->Shutdown();
      server_.reset();
    }());
  }
  uint16_t port() { return server_->port(); }
  rpc::ServerStats stats() {
    return RunOn(thread_.loop(),
                 [this]() -> Task<rpc::ServerStats> { co_return server_->stats(); }());
  }
  // Sends the last Echo's caller a notification (on the server's loop).
  Status NotifyLastCaller(uint16_t method, const std::string& body, uint64_t client_id = 0) {
    return RunOn(thread_.loop(), [&]() -> Task<Status> {
      uint64_t to = client_id != 0 ? client_id : handler_.last_client;
      co_return server_->Notify(handler_.last_address, to, TestService::kId, method, body);
    }());
  }
  TestHandler& handler() { return handler_; }
  EventLoop& loop() { return thread_.loop(); }

 private:
  LoopThread thread_;
  TestHandler handler_;
  std::unique_ptr<rpc::RpcServer> server_;
};

// A client on its own loop thread, with a stub for the test service.
class TestClient {
 public:
  explicit TestClient(uint16_t port, rpc::RpcClient::Options o = {}) {
    RunOn(thread_.loop(), [&]() -> Task<void> {
      o.host_hint = "127.0.0.1";
      auto c = rpc::RpcClient::Open(thread_.loop(), o);
      EXPECT_TRUE(c.ok()) << c.status().ToString();
      if (!c.ok()) co_return;
      client_ = std::move(c).value();
      auto peer = client_->AddPeer(Nid{"127.0.0.1", port, "tcp"});
      EXPECT_TRUE(peer.ok()) << peer.status().ToString();
      stub_ = std::make_unique<TestService::Stub>(client_.get(), *peer);
    }());
  }
  ~TestClient() {
    RunOn(thread_.loop(), [this]() -> Task<void> {
      stub_.reset();
      client_.reset();
      co_return;
    }());
  }
  // Runs `task` on the client's loop and waits for it.
  template <typename T>
  T Run(Task<T> task) {
    return RunOn(thread_.loop(), std::move(task));
  }
  TestService::Stub& stub() { return *stub_; }
  rpc::RpcClient& client() { return *client_; }
  EventLoop& loop() { return thread_.loop(); }

 private:
  LoopThread thread_;
  std::unique_ptr<rpc::RpcClient> client_;
  std::unique_ptr<TestService::Stub> stub_;
};

}  // namespace weft::test
