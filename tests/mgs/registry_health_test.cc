// Registry health and the config long poll, against both stores: silent targets go DOWN and
// come back UP, a restart counts silence from the restart, GetConfig waits for changes.
#include <gtest/gtest.h>

#include <atomic>
#include <optional>
#include <vector>

#include "registry_fixture.h"

namespace weft::test {
namespace {

using namespace std::chrono_literals;
using mgs::DOWN;
using mgs::OST;
using mgs::UP;

template <typename StoreKind>
class RegistryHealthTest : public RegistryFixture<StoreKind> {
 protected:
  Registry::Options ShortInterval(Clock::duration down_after) {
    Registry::Options o = this->DefaultOptions();
    o.down_after = down_after;
    return o;
  }
  mgs::TargetState StateOf(int i) { return this->Config().targets(i).state(); }
};
TYPED_TEST_SUITE(RegistryHealthTest, StoreKinds, StoreKindNames);

// Heartbeats `beat` every 20 ms for `total` on the registry's loop.
Task<void> KeepBeating(Registry* registry, EventLoop* loop, HeartbeatRequest beat,
                       Clock::duration total) {
  for (Clock::time_point end = Clock::now() + total; Clock::now() < end;) {
    EXPECT_TRUE(registry->Heartbeat(beat).ok());
    co_await loop->Sleep(20ms);
  }
}

TYPED_TEST(RegistryHealthTest, SilentTargetGoesDownAndComesBackWithAHeartbeat) {
  this->Restart(this->ShortInterval(150ms));
  ASSERT_TRUE(this->Register(Registration(OST, 0, "quiet")).ok());
  ASSERT_TRUE(this->Register(Registration(OST, 1, "chatty")).ok());
  RunOn(this->loop(),
        KeepBeating(this->registry_.get(), &this->loop(), Beat(OST, 1, "chatty"), 500ms));
  EXPECT_EQ(this->StateOf(0), DOWN);
  EXPECT_EQ(this->StateOf(1), UP);
  EXPECT_EQ(this->Config().generation(), 3u);

  auto r = this->Heartbeat(Beat(OST, 0, "quiet"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->generation(), 4u);
  EXPECT_EQ(this->StateOf(0), UP);
}

TYPED_TEST(RegistryHealthTest, ReRegistrationBringsADownTargetBackUp) {
  this->Restart(this->ShortInterval(50ms));
  ASSERT_TRUE(this->Register(Registration(OST, 0, "u0")).ok());
  std::this_thread::sleep_for(200ms);
  ASSERT_EQ(this->StateOf(0), DOWN);
  auto r = this->Register(Registration(OST, 0, "u0"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->target().state(), UP);
  EXPECT_EQ(r->generation(), 3u);
}

// A restarted MGS gives every loaded target a full interval to heartbeat, counted from the
// restart, however long ago it was last heard from.
TYPED_TEST(RegistryHealthTest, RestartCountsSilenceFromTheRestart) {
  ASSERT_TRUE(this->Register(Registration(OST, 0, "u0")).ok());
  std::this_thread::sleep_for(300ms);
  this->Restart(this->ShortInterval(250ms));
  EXPECT_EQ(this->StateOf(0), UP);
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(this->StateOf(0), UP);
  std::this_thread::sleep_for(400ms);
  EXPECT_EQ(this->StateOf(0), DOWN);
}

// Waits on the loop for the GetConfig of each waiter to finish.
Task<void> WaitForAll(EventLoop* loop, const std::atomic<int>* done, int n) {
  while (done->load() < n) co_await loop->Sleep(1ms);
}

Task<void> LongPoll(Registry* registry, GetConfigRequest request,
                    std::optional<Result<GetConfigReply>>* out, std::atomic<int>* done) {
  out->emplace(co_await registry->GetConfig(request, Clock::now() + 1min));
  ++*done;
}

TYPED_TEST(RegistryHealthTest, LongPollsAreWokenByAChange) {
  ASSERT_TRUE(this->Register(Registration(OST, 0, "u0")).ok());
  constexpr int kWaiters = 3;
  std::vector<std::optional<Result<GetConfigReply>>> replies(kWaiters);
  std::atomic<int> done{0};
  GetConfigRequest request;
  request.set_fsname("weft");
  request.set_known_generation(1);
  request.set_wait_ms(20000);
  for (auto& reply : replies) {
    this->loop().Spawn(LongPoll(this->registry_.get(), request, &reply, &done));
  }
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(done.load(), 0) << "nothing changed yet";

  Clock::time_point changed = Clock::now();
  ASSERT_TRUE(this->Register(Registration(OST, 1, "u1")).ok());
  RunOn(this->loop(), WaitForAll(&this->loop(), &done, kWaiters));
  EXPECT_LT(Clock::now() - changed, 1s);
  for (auto& reply : replies) {
    ASSERT_TRUE(reply->ok()) << reply->status().ToString();
    EXPECT_EQ((*reply)->generation(), 2u);
    EXPECT_EQ((*reply)->targets_size(), 2);
  }
}

TYPED_TEST(RegistryHealthTest, LongPollAnswersAfterItsWaitWithoutAChange) {
  ASSERT_TRUE(this->Register(Registration(OST, 0, "u0")).ok());
  Clock::time_point start = Clock::now();
  auto r = this->GetConfig(1, 300);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->generation(), 1u);
  EXPECT_GE(Clock::now() - start, 300ms);
  EXPECT_LT(Clock::now() - start, 2s);

  start = Clock::now();
  auto stale = this->GetConfig(0, 10000);
  ASSERT_TRUE(stale.ok());
  EXPECT_EQ(stale->generation(), 1u);
  EXPECT_LT(Clock::now() - start, 1s) << "a caller behind the current generation gets it at once";
}

TYPED_TEST(RegistryHealthTest, LongPollIsCappedByMaxWaitAndEndedByStop) {
  Registry::Options o = this->DefaultOptions();
  o.max_wait = 200ms;
  this->Restart(o);
  Clock::time_point start = Clock::now();
  ASSERT_TRUE(this->GetConfig(0, 60000).ok());
  EXPECT_GE(Clock::now() - start, 200ms);
  EXPECT_LT(Clock::now() - start, 2s);

  this->Restart();
  std::optional<Result<GetConfigReply>> reply;
  std::atomic<int> done{0};
  GetConfigRequest request;
  request.set_fsname("weft");
  request.set_wait_ms(60000);
  this->loop().Spawn(LongPoll(this->registry_.get(), request, &reply, &done));
  std::this_thread::sleep_for(50ms);
  start = Clock::now();
  OnLoop(this->loop(), [&] {
    this->registry_->Stop();
    return 0;
  });
  RunOn(this->loop(), WaitForAll(&this->loop(), &done, 1));
  EXPECT_LT(Clock::now() - start, 1s);
  EXPECT_TRUE(reply->ok());
}

}  // namespace
}  // namespace weft::test
