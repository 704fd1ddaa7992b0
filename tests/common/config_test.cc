#include "common/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

namespace weft {
namespace {

using ::testing::HasSubstr;

// Options of an imaginary component, one field per supported type.
struct DemoOptions {
  bool verbose = false;
  int64_t deadline_ms = 0;
  uint64_t max_bytes = 0;
  double ratio = 0;
  std::string name;
  std::vector<std::string> peers;
};

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_.Add<bool>("demo.verbose", &opts_.verbose, false, "Log more");
    registry_.Add<int64_t>("rpc.deadline_ms", &opts_.deadline_ms, 5000, "RPC deadline in ms",
                           CheckRange<int64_t>(1, 60000));
    registry_.Add<uint64_t>("demo.max_bytes", &opts_.max_bytes, 1024, "Largest message");
    registry_.Add<double>("demo.ratio", &opts_.ratio, 0.5, "Fill ratio");
    registry_.Add<std::string>("demo.name", &opts_.name, "weft", "File system name",
                               CheckOneOf({"weft", "scratch"}));
    registry_.Add<std::vector<std::string>>("demo.peers", &opts_.peers, {"a@tcp"}, "Peers");
  }

  // Writes `text` to a fresh file in the test's temporary directory and returns its path.
  std::string WriteFile(const std::string& text) {
    std::string path = ::testing::TempDir() + "weft_config_test_" +
                       ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".toml";
    std::ofstream(path) << text;
    return path;
  }

  DemoOptions opts_;
  ConfigRegistry registry_;
};

TEST_F(ConfigTest, AddSetsTheDefaultAtOnce) {
  EXPECT_EQ(opts_.deadline_ms, 5000);
  EXPECT_EQ(opts_.name, "weft");
  EXPECT_EQ(opts_.peers, std::vector<std::string>{"a@tcp"});
  EXPECT_TRUE(registry_.Validate().ok());
}

TEST_F(ConfigTest, TomlTablesMapToDottedKeys) {
  Status st = registry_.LoadTomlString(R"(
rpc.deadline_ms = 250
[demo]
verbose = true
max_bytes = 4096
ratio = 2          # an integer is accepted for a double
name = "scratch"
peers = ["x@tcp", "y@verbs"]
)",
                                       "test.toml");
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(opts_.verbose);
  EXPECT_EQ(opts_.deadline_ms, 250);
  EXPECT_EQ(opts_.max_bytes, 4096u);
  EXPECT_EQ(opts_.ratio, 2.0);
  EXPECT_EQ(opts_.name, "scratch");
  EXPECT_EQ(opts_.peers, (std::vector<std::string>{"x@tcp", "y@verbs"}));
}

TEST_F(ConfigTest, UnknownTomlKeyNamesKeyFileAndLine) {
  Status st = registry_.LoadTomlString("[rpc]\ndeadline_ms = 1\ndeadlin_ms = 2\n", "mgs.toml");
  EXPECT_EQ(st.code(), StatusCode::kConfigUnknownKey);
  EXPECT_THAT(st.message(), HasSubstr("mgs.toml:3"));
  EXPECT_THAT(st.message(), HasSubstr("rpc.deadlin_ms"));
}

TEST_F(ConfigTest, WrongTomlTypeNamesKeyLineAndTypes) {
  Status st = registry_.LoadTomlString("\n[rpc]\ndeadline_ms = \"5s\"\n", "mgs.toml");
  EXPECT_EQ(st.code(), StatusCode::kConfigInvalid);
  EXPECT_THAT(st.message(), HasSubstr("mgs.toml:3: rpc.deadline_ms: expected an integer"));
  EXPECT_THAT(st.message(), HasSubstr("got a string"));

  EXPECT_EQ(registry_.LoadTomlString("demo.max_bytes = -1", "t").code(),
            StatusCode::kConfigInvalid);
  EXPECT_EQ(registry_.LoadTomlString("demo.peers = [\"a\", 3]", "t").code(),
            StatusCode::kConfigInvalid);
}

TEST_F(ConfigTest, TomlSyntaxErrorGivesFileAndLine) {
  Status st = registry_.LoadTomlString("[rpc]\ndeadline_ms = = 3\n", "bad.toml");
  EXPECT_EQ(st.code(), StatusCode::kConfigParse);
  EXPECT_THAT(st.message(), HasSubstr("bad.toml:2:"));
}

TEST_F(ConfigTest, LoadsAFileAndNamesAMissingOne) {
  ASSERT_TRUE(registry_.LoadTomlFile(WriteFile("[rpc]\ndeadline_ms = 7\n")).ok());
  EXPECT_EQ(opts_.deadline_ms, 7);

  Status st = registry_.LoadTomlFile("/nonexistent/weft.toml");
  EXPECT_FALSE(st.ok());
  EXPECT_THAT(st.message(), HasSubstr("/nonexistent/weft.toml"));
}

TEST_F(ConfigTest, SetParsesTextPerType) {
  ASSERT_TRUE(registry_.Set("demo.verbose", "on").ok());
  ASSERT_TRUE(registry_.Set("rpc.deadline_ms", "-3").ok());
  ASSERT_TRUE(registry_.Set("demo.max_bytes", "18446744073709551615").ok());
  ASSERT_TRUE(registry_.Set("demo.ratio", "0.25").ok());
  ASSERT_TRUE(registry_.Set("demo.peers", "p@tcp,q@tcp").ok());
  EXPECT_TRUE(opts_.verbose);
  EXPECT_EQ(opts_.deadline_ms, -3);
  EXPECT_EQ(opts_.max_bytes, UINT64_MAX);
  EXPECT_EQ(opts_.ratio, 0.25);
  EXPECT_EQ(opts_.peers, (std::vector<std::string>{"p@tcp", "q@tcp"}));
  ASSERT_TRUE(registry_.Set("demo.peers", "").ok());
  EXPECT_TRUE(opts_.peers.empty());
}

TEST_F(ConfigTest, SetRefusesBadTextNamingTheKey) {
  for (auto [key, value] :
       std::vector<std::pair<std::string, std::string>>{{"rpc.deadline_ms", "5s"},
                                                        {"rpc.deadline_ms", "99999999999999999999"},
                                                        {"demo.max_bytes", "-1"},
                                                        {"demo.verbose", "maybe"},
                                                        {"demo.ratio", ""}}) {
    Status st = registry_.Set(key, value);
    EXPECT_EQ(st.code(), StatusCode::kConfigInvalid) << key << "=" << value;
    EXPECT_THAT(st.message(), HasSubstr(key + ": '" + value + "'"));
  }
  EXPECT_EQ(opts_.deadline_ms, 5000) << "a refused value changes nothing";
  Status st = registry_.Set("rpc.nope", "1");
  EXPECT_EQ(st.code(), StatusCode::kConfigUnknownKey);
  EXPECT_THAT(st.message(), HasSubstr("rpc.nope"));
}

TEST_F(ConfigTest, ValidateNamesKeyValueAndRule) {
  ASSERT_TRUE(registry_.Set("rpc.deadline_ms", "0").ok());
  Status st = registry_.Validate();
  EXPECT_EQ(st.code(), StatusCode::kConfigInvalid);
  EXPECT_EQ(st.message(), "rpc.deadline_ms = 0: must be between 1 and 60000");

  ASSERT_TRUE(registry_.Set("rpc.deadline_ms", "10").ok());
  ASSERT_TRUE(registry_.Set("demo.name", "home").ok());
  EXPECT_EQ(registry_.Validate().message(), "demo.name = \"home\": must be one of: weft, scratch");
}

TEST_F(ConfigTest, DescribeListsEveryKeyWithTypeDefaultAndHelp) {
  std::string text = registry_.Describe();
  for (const std::string& key : registry_.Keys()) EXPECT_THAT(text, HasSubstr(key));
  EXPECT_THAT(text, HasSubstr("rpc.deadline_ms  int64   5000"));
  EXPECT_THAT(text, HasSubstr("RPC deadline in ms"));
  EXPECT_THAT(text, HasSubstr("demo.name        string  \"weft\""));
  EXPECT_THAT(text, HasSubstr("demo.peers       list    [\"a@tcp\"]"));
}

// ---- ParseCommandLine ------------------------------------------------------------------------

Result<ParseOutcome> Parse(ConfigRegistry& registry, std::vector<std::string> args) {
  args.insert(args.begin(), "weft-demo");
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  return ParseCommandLine(static_cast<int>(argv.size()), argv.data(), "weft-demo",
                          "A demonstration daemon", registry);
}

TEST_F(ConfigTest, FlagsOverrideTheFile) {
  std::string path = WriteFile("[rpc]\ndeadline_ms = 7\n[demo]\nname = \"scratch\"\n");
  Result<ParseOutcome> r =
      Parse(registry_, {"--rpc.deadline_ms", "9", "--config", path, "--demo.ratio=1.5"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, ParseOutcome::kRun);
  EXPECT_EQ(opts_.deadline_ms, 9);    // flag over file, wherever --config stands
  EXPECT_EQ(opts_.name, "scratch");   // file over default
  EXPECT_EQ(opts_.ratio, 1.5);        // --key=value form
  EXPECT_EQ(opts_.max_bytes, 1024u);  // default
}

TEST_F(ConfigTest, HelpListsEveryKeyWithDefault) {
  ::testing::internal::CaptureStdout();
  Result<ParseOutcome> r = Parse(registry_, {"--help"});
  std::string out = ::testing::internal::GetCapturedStdout();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, ParseOutcome::kHelpShown);
  EXPECT_THAT(out, HasSubstr("A demonstration daemon"));
  EXPECT_THAT(out, HasSubstr("--config"));
  EXPECT_THAT(out, HasSubstr(registry_.Describe()));
}

TEST_F(ConfigTest, UnknownFlagIsNamedWithAHint) {
  Result<ParseOutcome> r = Parse(registry_, {"--rpc.deadline", "9"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kConfigUnknownKey);
  EXPECT_THAT(r.status().message(), HasSubstr("--rpc.deadline"));
  EXPECT_THAT(r.status().message(), HasSubstr("weft-demo --help"));
}

TEST_F(ConfigTest, BadFlagValueIsNamedWithAHint) {
  Result<ParseOutcome> r = Parse(registry_, {"--rpc.deadline_ms=soon"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kConfigInvalid);
  EXPECT_THAT(r.status().message(), HasSubstr("--rpc.deadline_ms: 'soon' is not an integer"));
  EXPECT_THAT(r.status().message(), HasSubstr("weft-demo --help"));
}

TEST_F(ConfigTest, FlagFailingItsCheckIsRefused) {
  Result<ParseOutcome> r = Parse(registry_, {"--rpc.deadline_ms", "0"});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("rpc.deadline_ms = 0"));
}

TEST_F(ConfigTest, MissingConfigFileIsAnError) {
  Result<ParseOutcome> r = Parse(registry_, {"--config", "/nonexistent/weft.toml"});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("/nonexistent/weft.toml"));
}

TEST_F(ConfigTest, StrayArgumentAndMissingValueAreErrors) {
  EXPECT_FALSE(Parse(registry_, {"extra"}).ok());
  Result<ParseOutcome> r = Parse(registry_, {"--rpc.deadline_ms"});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("rpc.deadline_ms"));
}

}  // namespace
}  // namespace weft
