// An in-process OSS for tests: formatted OSTs in temporary directories, an RpcServer with the
// OssService on one loop thread, and a client stub on another.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "../mgs/temp_dir.h"
#include "common/event_loop.h"
#include "common/rpc_client.h"
#include "common/rpc_server.h"
#include "common/target_label.h"
#include "oss/object_store.h"
#include "oss/oss_handler.h"
#include "oss/oss_service.h"

namespace weft::test {

inline Status FormatOst(const std::string& dir, uint32_t index, const std::string& fsname = "testfs") {
  TargetLabel label;
  label.fsname = fsname;
  label.type = "OST";
  label.index = index;
  label.uuid = NewUuid();
  label.mgs = "127.0.0.1:9880@tcp";
  return WriteTargetLabel(dir, label, /*overwrite=*/false);
}

inline oss::ObjectId Oid(uint64_t inode, uint64_t stripe = 0) {
  oss::ObjectId id;
  id.set_inode(inode);
  id.set_stripe(stripe);
  return id;
}

// A deterministic byte pattern of an object at an offset, so any range can be checked.
inline char PatternByte(uint64_t seed, uint64_t off) {
  uint64_t x = (seed + 1) * 0x9e3779b97f4a7c15ULL ^ (off * 0xbf58476d1ce4e5b9ULL);
  return static_cast<char>((x >> 29) ^ (off & 0xff));
}
inline std::string Pattern(uint64_t seed, uint64_t off, size_t len) {
  std::string s(len, '\0');
  for (size_t i = 0; i < len; ++i) s[i] = PatternByte(seed, off + i);
  return s;
}

class OssServerThread {
 public:
  // Serves the already formatted OSTs in `dirs`; `faults` (if any) goes to the RPC server.
  explicit OssServerThread(const std::vector<std::string>& dirs,
                           rpc::FaultInjection* faults = nullptr) {
    RunOn(thread_.loop(), [](OssServerThread* self, std::vector<std::string> dirs,
                             rpc::FaultInjection* faults) -> Task<void> {
      for (const std::string& d : dirs) {
        auto store = oss::ObjectStore::Open(d);
        EXPECT_TRUE(store.ok()) << store.status().ToString();
        if (!store.ok()) co_return;
        self->handler_.AddStore(store->get());
        self->stores_.push_back(std::move(store).value());
      }
      rpc::RpcServer::Options o;
      o.faults = faults;
      auto server = rpc::RpcServer::Start(self->thread_.loop(), o);
      EXPECT_TRUE(server.ok()) << server.status().ToString();
      if (!server.ok()) co_return;
      self->server_ = std::move(server).value();
      self->server_->AddService(oss::OssService::Table(&self->handler_));
    }(this, dirs, faults));
  }
  ~OssServerThread() {
    RunOn(thread_.loop(), [](OssServerThread* self) -> Task<void> {
      if (self->server_) co_await self->server_->Shutdown();
      self->server_.reset();
      self->stores_.clear();
    }(this));
  }
  uint16_t port() const { return server_ ? server_->port() : 0; }
  rpc::ServerStats stats() const { return server_->stats(); }
  // The server loop's io_uring counters, read on that loop.
  Uring::Stats uring_stats() {
    return RunOn(thread_.loop(), [](EventLoop* loop) -> Task<Uring::Stats> {
      co_return loop->uring().stats();
    }(&thread_.loop()));
  }
  oss::ObjectStore& store(size_t i) { return *stores_[i]; }
  EventLoop& loop() { return thread_.loop(); }

 private:
  LoopThread thread_;
  oss::OssHandler handler_;
  std::vector<std::unique_ptr<oss::ObjectStore>> stores_;
  std::unique_ptr<rpc::RpcServer> server_;
};

class OssClient {
 public:
  explicit OssClient(uint16_t port, Clock::duration timeout = std::chrono::seconds(30),
                     rpc::FaultInjection* faults = nullptr) {
    RunOn(thread_.loop(), [](OssClient* self, uint16_t port, Clock::duration timeout,
                             rpc::FaultInjection* faults) -> Task<void> {
      rpc::RpcClient::Options o;
      o.host_hint = "127.0.0.1";
      o.faults = faults;
      o.default_timeout = timeout;
      o.attempt_timeout = std::min<Clock::duration>(o.attempt_timeout, timeout);
      auto c = rpc::RpcClient::Open(self->loop(), o);
      EXPECT_TRUE(c.ok()) << c.status().ToString();
      if (!c.ok()) co_return;
      self->client_ = std::move(c).value();
      auto peer = self->client_->AddPeer(Nid{"127.0.0.1", port, "tcp"});
      EXPECT_TRUE(peer.ok()) << peer.status().ToString();
      if (!peer.ok()) co_return;
      self->stub_ = std::make_unique<oss::OssService::Stub>(self->client_.get(), *peer);
    }(this, port, timeout, faults));
  }
  ~OssClient() {
    RunOn(thread_.loop(), [](OssClient* self) -> Task<void> {
      self->stub_.reset();
      self->client_.reset();
      co_return;
    }(this));
  }
  template <typename T>
  T Run(Task<T> task) {
    return RunOn(thread_.loop(), std::move(task));
  }
  oss::OssService::Stub& stub() { return *stub_; }
  rpc::RpcClient& client() { return *client_; }
  EventLoop& loop() { return thread_.loop(); }

  // Coroutines for the client loop.
  static Task<Status> WriteAt(oss::OssService::Stub& stub, uint32_t ost, oss::ObjectId id,
                              uint64_t off, std::span<const char> data) {
    oss::WriteRequest r;
    r.set_ost_index(ost);
    *r.mutable_object() = id;
    r.set_offset(off);
    r.set_length(data.size());
    rpc::CallOptions o;
    o.send_payload = data;
    auto reply = co_await stub.Write(r, o);
    if (!reply.ok()) co_return reply.status();
    if (reply->count() != data.size()) co_return Status(StatusCode::kInternal, "short write count");
    co_return Status::Ok();
  }
  static Task<Result<std::string>> ReadAt(oss::OssService::Stub& stub, uint32_t ost,
                                          oss::ObjectId id, uint64_t off, uint64_t len) {
    oss::ReadRequest r;
    r.set_ost_index(ost);
    *r.mutable_object() = id;
    r.set_offset(off);
    r.set_length(len);
    std::string buf(len, '\x55');
    size_t received = 0;
    rpc::CallOptions o;
    o.recv_payload = std::span<char>(buf.data(), buf.size());
    o.received = &received;
    auto reply = co_await stub.Read(r, o);
    if (!reply.ok()) co_return reply.status();
    if (received != reply->count()) {
      co_return Status(StatusCode::kInternal, "received " + std::to_string(received) +
                                                  " bytes for count " +
                                                  std::to_string(reply->count()));
    }
    buf.resize(reply->count());
    co_return buf;
  }
  static Task<Status> SyncOne(oss::OssService::Stub& stub, uint32_t ost, oss::ObjectId id) {
    oss::SyncRequest r;
    r.set_ost_index(ost);
    *r.add_objects() = id;
    auto reply = co_await stub.Sync(r);
    co_return reply.status();
  }

 private:
  LoopThread thread_;
  std::unique_ptr<rpc::RpcClient> client_;
  std::unique_ptr<oss::OssService::Stub> stub_;
};

}  // namespace weft::test
