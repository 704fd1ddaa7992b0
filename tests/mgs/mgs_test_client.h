// An RPC client of the MGS service on its own loop thread, as a target or a client would use it.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "common/event_loop.h"
#include "common/rpc_client.h"
#include "mgs/mgs_service.h"

namespace weft::test {

class MgsTestClient {
 public:
  explicit MgsTestClient(uint16_t port) {
    RunOn(thread_.loop(), [](MgsTestClient* self, uint16_t port) -> Task<void> {
      rpc::RpcClient::Options o;
      o.host_hint = "127.0.0.1";
      o.attempt_timeout = std::chrono::seconds(1);
      auto c = rpc::RpcClient::Open(self->loop(), o);
      EXPECT_TRUE(c.ok()) << c.status().ToString();
      if (!c.ok()) co_return;
      self->client_ = std::move(c).value();
      auto peer = self->client_->AddPeer(Nid{"127.0.0.1", port, "tcp"});
      EXPECT_TRUE(peer.ok()) << peer.status().ToString();
      if (!peer.ok()) co_return;
      self->stub_ = std::make_unique<mgs::MgsService::Stub>(self->client_.get(), *peer);
    }(this, port));
  }
  ~MgsTestClient() {
    RunOn(thread_.loop(), [](MgsTestClient* self) -> Task<void> {
      self->stub_.reset();
      self->client_.reset();
      co_return;
    }(this));
  }

  // Runs `task` on the client's loop and waits for it.
  template <typename T>
  T Run(Task<T> task) {
    return RunOn(thread_.loop(), std::move(task));
  }
  mgs::MgsService::Stub& stub() { return *stub_; }
  EventLoop& loop() { return thread_.loop(); }

 private:
  LoopThread thread_;
  std::unique_ptr<rpc::RpcClient> client_;
  std::unique_ptr<mgs::MgsService::Stub> stub_;
};

}  // namespace weft::test
