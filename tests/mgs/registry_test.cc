// Registry rules, the same cases against the in-memory and the RocksDB store: registration,
// re-registration, conflicts, bad fields, heartbeats, generations, restarts.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>

#include "registry_fixture.h"

namespace weft::test {
namespace {

using mgs::DOWN;
using mgs::MDT;
using mgs::OST;
using mgs::UP;
using ::testing::HasSubstr;

template <typename StoreKind>
class RegistryTest : public RegistryFixture<StoreKind> {};
TYPED_TEST_SUITE(RegistryTest, StoreKinds, StoreKindNames);

TYPED_TEST(RegistryTest, RegistersTargetsAndServesThemInConfig) {
  ASSERT_TRUE(this->Register(Registration(MDT, 0, "mdt0-uuid", "10.0.0.1:988@tcp")).ok());
  ASSERT_TRUE(this->Register(Registration(OST, 0, "ost0-uuid", "10.0.0.2:988@tcp")).ok());
  auto r = this->Register(Registration(OST, 0x1a, "ost1a-uuid", "10.0.0.3:988"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->target().name(), "weft-OST001a");
  EXPECT_EQ(r->target().nid(), "10.0.0.3:988@tcp");  // stored in canonical form
  EXPECT_EQ(r->generation(), 3u);

  GetConfigReply config = this->Config();
  EXPECT_EQ(config.fsname(), "weft");
  EXPECT_EQ(config.generation(), 3u);
  EXPECT_EQ(config.default_layout().stripe_size(), 1u << 20);
  ASSERT_EQ(config.targets_size(), 3);
  EXPECT_EQ(config.targets(0).name(), "weft-MDT0000");
  EXPECT_EQ(config.targets(1).name(), "weft-OST0000");
  EXPECT_EQ(config.targets(2).name(), "weft-OST001a");
  for (const auto& t : config.targets()) {
    EXPECT_EQ(t.state(), UP);
    EXPECT_GT(t.last_seen_unix_ms(), 0);
  }
}

TYPED_TEST(RegistryTest, SameUuidReRegistersAtNewNid) {
  ASSERT_TRUE(this->Register(Registration(OST, 1, "u1", "10.0.0.2:988@tcp")).ok());
  auto same = this->Register(Registration(OST, 1, "u1", "10.0.0.2:988@tcp"));
  ASSERT_TRUE(same.ok()) << same.status().ToString();
  EXPECT_EQ(same->generation(), 1u) << "a restart at the same NID changes nothing clients see";

  auto moved = this->Register(Registration(OST, 1, "u1", "10.0.0.9:988@tcp"));
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  EXPECT_EQ(moved->generation(), 2u);
  GetConfigReply config = this->Config();
  ASSERT_EQ(config.targets_size(), 1);
  EXPECT_EQ(config.targets(0).nid(), "10.0.0.9:988@tcp");
}

TYPED_TEST(RegistryTest, IndexHeldByAnotherUuidIsRefusedWithTheHolder) {
  ASSERT_TRUE(this->Register(Registration(OST, 1, "first", "10.0.0.2:988@tcp")).ok());
  auto r = this->Register(Registration(OST, 1, "second", "10.0.0.3:988@tcp"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kMgsIndexConflict);
  EXPECT_THAT(r.status().message(),
              HasSubstr("weft-OST0001 is already registered by uuid first (from NID "
                        "10.0.0.2:988@tcp); reformat the target or pick another index"));
  GetConfigReply config = this->Config();
  EXPECT_EQ(config.generation(), 1u);
  EXPECT_EQ(config.targets(0).uuid(), "first");
  // The same index of the other type is a different target.
  EXPECT_TRUE(this->Register(Registration(MDT, 1, "second")).ok());
}

TYPED_TEST(RegistryTest, OtherFileSystemIsRefused) {
  auto req = Registration(OST, 0, "u");
  req.set_fsname("other");
  auto r = this->Register(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kMgsFsnameMismatch);
  EXPECT_THAT(r.status().message(), HasSubstr("'other'"));
  EXPECT_THAT(r.status().message(), HasSubstr("'weft'"));

  auto config = this->GetConfig(0, 60000, "other");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), StatusCode::kMgsFsnameMismatch);
}

// Each bad field is refused with kInvalidArgument and a message naming it; nothing changes.
TYPED_TEST(RegistryTest, BadFieldsAreRefusedByName) {
  struct Case {
    const char* field;
    std::function<void(RegisterTargetRequest&)> spoil;
  };
  const Case cases[] = {
      {"fsname", [](auto& r) { r.set_fsname("Weft!"); }},
      {"fsname", [](auto& r) { r.set_fsname(""); }},
      {"fsname", [](auto& r) { r.set_fsname("ninechars"); }},
      {"type", [](auto& r) { r.set_type(mgs::TARGET_TYPE_UNSPECIFIED); }},
      {"type", [](auto& r) { r.set_type(static_cast<TargetType>(7)); }},
      {"index", [](auto& r) { r.set_index(0x10000); }},
      {"uuid", [](auto& r) { r.set_uuid(""); }},
      {"uuid", [](auto& r) { r.set_uuid("has space"); }},
      {"uuid", [](auto& r) { r.set_uuid(std::string(65, 'u')); }},
      {"nid", [](auto& r) { r.set_nid(""); }},
      {"nid", [](auto& r) { r.set_nid("10.0.0.1:988@carrier-pigeon"); }},
      {"nid", [](auto& r) { r.set_nid("10.0.0.1@tcp"); }},
      {"nid", [](auto& r) { r.set_nid("10.0.0.1:99999@tcp"); }},
  };
  for (const Case& c : cases) {
    auto req = Registration(OST, 2, "u2", "10.0.0.1:988@tcp");
    c.spoil(req);
    auto r = this->Register(req);
    ASSERT_FALSE(r.ok()) << c.field;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().ToString();
    EXPECT_THAT(r.status().message(), HasSubstr(c.field)) << r.status().ToString();
  }
  EXPECT_EQ(this->Config().targets_size(), 0);
  EXPECT_EQ(this->Config().generation(), 0u);
}

TYPED_TEST(RegistryTest, HeartbeatOfUnknownTargetSaysToRegister) {
  auto r = this->Heartbeat(Beat(OST, 5, "u5"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(r.status().message(), HasSubstr("weft-OST0005 is not registered"));
  EXPECT_THAT(r.status().message(), HasSubstr("must register"));
}

TYPED_TEST(RegistryTest, HeartbeatRecordsSpaceWithoutNewGeneration) {
  ASSERT_TRUE(this->Register(Registration(OST, 3, "u3")).ok());
  auto beat = Beat(OST, 3, "u3");
  beat.mutable_space()->set_bytes_total(1000);
  beat.mutable_space()->set_bytes_free(400);
  auto r = this->Heartbeat(beat);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->generation(), 1u);
  GetConfigReply config = this->Config();
  EXPECT_EQ(config.generation(), 1u);
  EXPECT_EQ(config.targets(0).space().bytes_free(), 400u);

  beat.mutable_space()->set_bytes_free(2000);
  auto bad = this->Heartbeat(beat);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("space.bytes_free"));

  auto other = this->Heartbeat(Beat(OST, 3, "impostor"));
  EXPECT_EQ(other.status().code(), StatusCode::kMgsIndexConflict);
}

TYPED_TEST(RegistryTest, RestartKeepsTargetsAndGeneration) {
  ASSERT_TRUE(this->Register(Registration(MDT, 0, "m0", "10.0.0.1:988@tcp")).ok());
  ASSERT_TRUE(this->Register(Registration(OST, 0, "o0", "10.0.0.2:988@tcp")).ok());
  ASSERT_TRUE(this->Register(Registration(OST, 0, "o0", "10.0.0.3:988@tcp")).ok());
  this->Restart();
  GetConfigReply config = this->Config();
  EXPECT_EQ(config.generation(), 3u);
  ASSERT_EQ(config.targets_size(), 2);
  EXPECT_EQ(config.targets(1).nid(), "10.0.0.3:988@tcp");
  EXPECT_EQ(config.targets(1).state(), UP);
  // The restarted registry still enforces ownership of indexes.
  auto r = this->Register(Registration(OST, 0, "someone-else"));
  EXPECT_EQ(r.status().code(), StatusCode::kMgsIndexConflict);
}

TEST(RegistryStoreFailure, FailedWriteChangesNothing) {
  LoopThread thread;
  mgs::MemoryRegistryStore store;
  Registry::Options options;
  options.fsname = "weft";
  auto registry =
      OnLoop(thread.loop(), [&] { return Registry::Open(thread.loop(), store, options); });
  ASSERT_TRUE(registry.ok());
  store.set_fail_writes(true);
  RegisterTargetRequest req = Registration(OST, 0, "u0");
  auto r = OnLoop(thread.loop(), [&] { return (*registry)->RegisterTarget(req); });
  EXPECT_EQ(r.status().code(), StatusCode::kMgsStoreError);
  auto config = OnLoop(thread.loop(), [&] { return (*registry)->Config(); });
  EXPECT_EQ(config.targets_size(), 0);
  EXPECT_EQ(config.generation(), 0u);
  OnLoop(thread.loop(), [&] {
    (*registry)->Stop();
    registry->reset();
    return 0;
  });
}

}  // namespace
}  // namespace weft::test
