// The MGS's Prometheus metrics follow its registry.
#include "mgs/mgs_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "registry_fixture.h"

namespace weft::test {
namespace {

using ::testing::HasSubstr;

TEST(MgsMetricsTest, GaugesFollowTargetsAndGeneration) {
  LoopThread thread;
  mgs::MemoryRegistryStore store;
  Registry::Options options;
  options.fsname = "weft";
  options.down_after = std::chrono::milliseconds(100);
  MetricsRegistry metrics;
  mgs::MgsMetrics mgs_metrics(metrics);
  auto registry = OnLoop(thread.loop(), [&] {
    auto r = Registry::Open(thread.loop(), store, options);
    if (r.ok()) (*r)->set_on_change([&, reg = r->get()] { mgs_metrics.Update(*reg); });
    return r;
  });
  ASSERT_TRUE(registry.ok());
  OnLoop(thread.loop(), [&] {
    EXPECT_TRUE((*registry)->RegisterTarget(Registration(mgs::MDT, 0, "m0")).ok());
    EXPECT_TRUE((*registry)->RegisterTarget(Registration(mgs::OST, 0, "o0")).ok());
    return 0;
  });
  std::string text = metrics.RenderPrometheus();
  EXPECT_THAT(text, HasSubstr("weft_mgs_targets{type=\"OST\",state=\"UP\"} 1"));
  EXPECT_THAT(text, HasSubstr("weft_mgs_targets{type=\"MDT\",state=\"UP\"} 1"));
  EXPECT_THAT(text, HasSubstr("weft_mgs_config_generation 2"));

  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // both fall silent
  text = metrics.RenderPrometheus();
  EXPECT_THAT(text, HasSubstr("weft_mgs_targets{type=\"OST\",state=\"DOWN\"} 1"));
  EXPECT_THAT(text, HasSubstr("weft_mgs_targets{type=\"OST\",state=\"UP\"} 0"));
  EXPECT_THAT(text, HasSubstr("weft_mgs_config_generation 4"));
  OnLoop(thread.loop(), [&] {
    registry->reset();
    return 0;
  });
}

}  // namespace
}  // namespace weft::test
