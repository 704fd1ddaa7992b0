#include "common/log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <string>

#include "common/config.h"

namespace weft {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// InitLogging replaces spdlog's default logger; each test puts the original back.
class LogTest : public ::testing::Test {
 protected:
  void SetUp() override { saved_ = spdlog::default_logger(); }
  void TearDown() override { spdlog::set_default_logger(saved_); }

  std::shared_ptr<spdlog::logger> saved_;
};

TEST_F(LogTest, LinesCarryTimeLevelThreadAndProgram) {
  ASSERT_TRUE(InitLogging("weft-logtest", "info").ok());
  ::testing::internal::CaptureStderr();
  spdlog::info("target {} registered", "weft-OST0001");
  spdlog::debug("not shown at info");
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_THAT(err, ::testing::ContainsRegex(
                       R"(^\[[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}\.[0-9]{6}\] \[info\] \[[0-9]+\] )"
                       R"(\[weft-logtest\] target weft-OST0001 registered)"));
  EXPECT_THAT(err, Not(HasSubstr("not shown")));
}

TEST_F(LogTest, LevelOffSilencesEverything) {
  ASSERT_TRUE(InitLogging("weft-logtest", "off").ok());
  ::testing::internal::CaptureStderr();
  spdlog::error("hidden");
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

TEST_F(LogTest, UnknownLevelIsRefusedByName) {
  Status st = InitLogging("weft-logtest", "verbose");
  EXPECT_EQ(st.code(), StatusCode::kConfigInvalid);
  EXPECT_THAT(st.message(), HasSubstr("'verbose'"));
  EXPECT_EQ(spdlog::default_logger(), saved_) << "a refused level leaves logging as it was";
}

TEST_F(LogTest, LogLevelKeyDefaultsToInfoAndIsChecked) {
  ConfigRegistry registry;
  LogOptions options;
  AddLoggingKeys(registry, &options);
  EXPECT_EQ(options.level, "info");
  ASSERT_TRUE(registry.Set("log.level", "loud").ok());
  Status st = registry.Validate();
  EXPECT_THAT(st.message(), HasSubstr("log.level = \"loud\""));
}

}  // namespace
}  // namespace weft
