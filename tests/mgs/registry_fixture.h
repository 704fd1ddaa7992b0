// A Registry on its own loop thread over either store, for tests that run the same cases
// against the in-memory store and the RocksDB one.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>

#include "common/event_loop.h"
#include "mgs/registry.h"
#include "mgs/rocksdb_registry_store.h"
#include "temp_dir.h"

namespace weft::test {

using mgs::GetConfigReply;
using mgs::GetConfigRequest;
using mgs::HeartbeatReply;
using mgs::HeartbeatRequest;
using mgs::RegisterTargetReply;
using mgs::RegisterTargetRequest;
using mgs::Registry;
using mgs::TargetType;

// Runs fn() on `loop` and returns what it returns. REQUIRES: not on loop's thread.
template <typename F>
auto OnLoop(EventLoop& loop, F fn) -> decltype(fn()) {
  using T = decltype(fn());
  return RunOn(loop, [](F f) -> Task<T> { co_return f(); }(std::move(fn)));
}

// The in-memory store; "reopening" keeps its contents, as a restarted MGS would find them.
class MemoryStoreKind {
 public:
  Status Open() { return Status::Ok(); }
  void Close() {}
  mgs::RegistryStore* store() { return &store_; }

 private:
  mgs::MemoryRegistryStore store_;
};

// The RocksDB store in a temporary directory; Close and Open again reopen the database.
class RocksStoreKind {
 public:
  Status Open() {
    auto s = mgs::RocksRegistryStore::Open(dir_.path() + "/registry", "weft");
    if (!s.ok()) return s.status();
    store_ = std::move(s).value();
    return Status::Ok();
  }
  void Close() { store_.reset(); }
  mgs::RegistryStore* store() { return store_.get(); }

 private:
  TempDir dir_;
  std::unique_ptr<mgs::RocksRegistryStore> store_;
};

// A registration and a heartbeat for file system "weft".
inline RegisterTargetRequest Registration(TargetType type, uint32_t index, std::string uuid,
                                          std::string nid = "127.0.0.1:9001@tcp") {
  RegisterTargetRequest r;
  r.set_fsname("weft");
  r.set_type(type);
  r.set_index(index);
  r.set_uuid(std::move(uuid));
  r.set_nid(std::move(nid));
  return r;
}

inline HeartbeatRequest Beat(TargetType type, uint32_t index, std::string uuid) {
  HeartbeatRequest r;
  r.set_fsname("weft");
  r.set_type(type);
  r.set_index(index);
  r.set_uuid(std::move(uuid));
  return r;
}

template <typename StoreKind>
class RegistryFixture : public ::testing::Test {
 protected:
  static Registry::Options DefaultOptions() {
    Registry::Options o;
    o.fsname = "weft";
    o.down_after = std::chrono::seconds(30);
    o.default_layout.set_stripe_size(1 << 20);
    o.default_layout.set_stripe_count(1);
    return o;
  }

  void SetUp() override {
    ASSERT_TRUE(kind_.Open().ok());
    OpenRegistry(DefaultOptions());
  }
  void TearDown() override { CloseRegistry(); }

  void OpenRegistry(Registry::Options options) {
    auto r = OnLoop(loop(), [&] { return Registry::Open(loop(), *kind_.store(), options); });
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    registry_ = std::move(r).value();
  }
  void CloseRegistry() {
    OnLoop(loop(), [&] {
      if (registry_) registry_->Stop();
      registry_.reset();
      return 0;
    });
  }
  // A restart of the MGS: the registry goes, the store is closed and opened again.
  void Restart(Registry::Options options = DefaultOptions()) {
    CloseRegistry();
    kind_.Close();
    ASSERT_TRUE(kind_.Open().ok());
    OpenRegistry(std::move(options));
  }

  Result<RegisterTargetReply> Register(const RegisterTargetRequest& r) {
    return OnLoop(loop(), [&] { return registry_->RegisterTarget(r); });
  }
  Result<HeartbeatReply> Heartbeat(const HeartbeatRequest& r) {
    return OnLoop(loop(), [&] { return registry_->Heartbeat(r); });
  }
  // GetConfig as the service calls it, with a deadline far away.
  Result<GetConfigReply> GetConfig(uint64_t known_generation, uint32_t wait_ms,
                                   std::string fsname = "weft") {
    GetConfigRequest r;
    r.set_fsname(std::move(fsname));
    r.set_known_generation(known_generation);
    r.set_wait_ms(wait_ms);
    return RunOn(loop(), registry_->GetConfig(r, Clock::now() + std::chrono::minutes(5)));
  }
  GetConfigReply Config() {
    return OnLoop(loop(), [&] { return registry_->Config(); });
  }

  EventLoop& loop() { return thread_.loop(); }

  LoopThread thread_;
  StoreKind kind_;
  std::unique_ptr<Registry> registry_;
};

using StoreKinds = ::testing::Types<MemoryStoreKind, RocksStoreKind>;

// Names the typed instances "MemoryStore" and "RocksStore" in test output.
class StoreKindNames {
 public:
  template <typename T>
  static std::string GetName(int) {
    return std::is_same_v<T, MemoryStoreKind> ? "MemoryStore" : "RocksStore";
  }
};

}  // namespace weft::test
