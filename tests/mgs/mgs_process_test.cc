// weft-mgs and weftctl as an operator runs them: real processes on loopback, a temporary data
// directory, targets registering and heartbeating through the RPC stub.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <sstream>

#include "mgs_test_client.h"
#include "subprocess.h"
#include "temp_dir.h"

namespace weft::test {
namespace {

using namespace std::chrono_literals;
using mgs::MgsService;
using ::testing::HasSubstr;

Task<Result<mgs::RegisterTargetReply>> CallRegister(MgsService::Stub* stub,
                                                    mgs::RegisterTargetRequest request) {
  co_return co_await stub->RegisterTarget(request);
}

Task<Result<mgs::HeartbeatReply>> CallHeartbeat(MgsService::Stub* stub,
                                                mgs::HeartbeatRequest request) {
  co_return co_await stub->Heartbeat(request);
}

Task<Result<mgs::GetConfigReply>> CallGetConfig(MgsService::Stub* stub,
                                                mgs::GetConfigRequest request,
                                                Clock::duration timeout) {
  rpc::CallOptions options;
  options.timeout = timeout;
  co_return co_await stub->GetConfig(request, options);
}

// Heartbeats every 100 ms until *stop; then sets *done.
Task<void> BeatUntilStopped(MgsService::Stub* stub, EventLoop* loop, mgs::HeartbeatRequest beat,
                            const std::atomic<bool>* stop, std::atomic<bool>* done) {
  while (!*stop) {
    auto r = co_await stub->Heartbeat(beat);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    co_await loop->Sleep(100ms);
  }
  *done = true;
}

Task<void> WaitFor(EventLoop* loop, const std::atomic<bool>* flag) {
  while (!*flag) co_await loop->Sleep(5ms);
}

// The line of `text` that mentions `name`.
std::string LineOf(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.find(name) != std::string::npos) return line;
  }
  return "";
}

class MgsProcessTest : public ::testing::Test {
 protected:
  std::string Nid() const { return "127.0.0.1:" + std::to_string(port_) + "@tcp"; }

  // Starts weft-mgs on this test's port and data directory; returns once it serves.
  std::unique_ptr<Subprocess> StartMgs(std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {BinaryPath("src/mgs/weft-mgs"), "--mgs.fsname=weft",
                                     "--mgs.data_dir=" + dir_.path() + "/data",
                                     "--mgs.listen=" + Nid()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto p = std::make_unique<Subprocess>(argv, Output("mgs"));
    EXPECT_TRUE(p->WaitForStderr("weft-mgs: serving fsname weft on " + Nid(), 20s)) << p->err();
    return p;
  }

  CommandResult Weftctl(std::vector<std::string> args) {
    args.insert(args.begin(), BinaryPath("src/tools/weftctl"));
    return RunCommand(args, Output("weftctl"));
  }
  CommandResult Status() { return Weftctl({"status", "--mgs", Nid(), "--timeout", "10"}); }

  Result<mgs::RegisterTargetReply> Register(MgsTestClient& client, mgs::TargetType type,
                                            uint32_t index, const std::string& uuid) {
    mgs::RegisterTargetRequest r;
    r.set_fsname("weft");
    r.set_type(type);
    r.set_index(index);
    r.set_uuid(uuid);
    r.set_nid("127.0.0.1:" + std::to_string(20000 + index + 100 * type) + "@tcp");
    return client.Run(CallRegister(&client.stub(), r));
  }
  static mgs::HeartbeatRequest Beat(mgs::TargetType type, uint32_t index, std::string uuid) {
    mgs::HeartbeatRequest r;
    r.set_fsname("weft");
    r.set_type(type);
    r.set_index(index);
    r.set_uuid(std::move(uuid));
    return r;
  }

  std::string Output(const std::string& name) {
    return dir_.path() + "/" + name + std::to_string(outputs_++);
  }

  TempDir dir_;
  uint16_t port_ = FreePort();
  int outputs_ = 0;
};

TEST_F(MgsProcessTest, TargetsRegisterShowInStatusAndSurviveKillDashNine) {
  auto mgs = StartMgs();
  MgsTestClient client(port_);
  ASSERT_TRUE(Register(client, mgs::MDT, 0, "mdt0-uuid").ok());
  ASSERT_TRUE(Register(client, mgs::OST, 0, "ost0-uuid").ok());
  auto ost1 = Register(client, mgs::OST, 1, "ost1-uuid");
  ASSERT_TRUE(ost1.ok()) << ost1.status().ToString();
  EXPECT_EQ(ost1->generation(), 3u);

  auto conflict = Register(client, mgs::OST, 1, "intruder-uuid");
  EXPECT_EQ(conflict.status().code(), StatusCode::kMgsIndexConflict);
  EXPECT_THAT(conflict.status().message(),
              HasSubstr("weft-OST0001 is already registered by uuid ost1-uuid (from NID "
                        "127.0.0.1:20201@tcp); reformat the target or pick another index"));

  CommandResult status = Status();
  EXPECT_EQ(status.exit_code, 0) << status.out << status.err;
  EXPECT_THAT(status.out, HasSubstr("fsname weft, generation 3"));
  for (const char* name : {"weft-MDT0000", "weft-OST0000", "weft-OST0001"}) {
    EXPECT_THAT(LineOf(status.out, name), HasSubstr("UP")) << status.out;
  }

  mgs->Signal(SIGKILL);
  ASSERT_EQ(mgs->Wait(10s), 128 + SIGKILL);
  mgs = StartMgs();
  mgs::GetConfigRequest request;
  request.set_fsname("weft");
  auto config = client.Run(CallGetConfig(&client.stub(), request, 20s));
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->generation(), 3u);
  EXPECT_EQ(config->targets_size(), 3);
  EXPECT_EQ(Register(client, mgs::OST, 1, "intruder-uuid").status().code(),
            StatusCode::kMgsIndexConflict);
  status = Status();
  EXPECT_EQ(status.exit_code, 0) << status.out << status.err;
  EXPECT_THAT(status.out, HasSubstr("weft-OST0001"));
}

TEST_F(MgsProcessTest, SilentTargetIsShownDownThenUpAfterAHeartbeat) {
  auto mgs = StartMgs({"--mgs.target_down_after_ms=500"});
  MgsTestClient client(port_);
  ASSERT_TRUE(Register(client, mgs::OST, 0, "quiet").ok());
  ASSERT_TRUE(Register(client, mgs::OST, 1, "chatty").ok());
  std::atomic<bool> stop{false}, chatty_done{false}, quiet_done{false};
  client.loop().Spawn(BeatUntilStopped(&client.stub(), &client.loop(), Beat(mgs::OST, 1, "chatty"),
                                       &stop, &chatty_done));
  std::this_thread::sleep_for(1200ms);

  CommandResult status = Status();
  EXPECT_EQ(status.exit_code, 1) << status.out << status.err;
  EXPECT_THAT(LineOf(status.out, "weft-OST0000"), HasSubstr("DOWN")) << status.out;
  EXPECT_THAT(LineOf(status.out, "weft-OST0001"), HasSubstr("UP")) << status.out;

  // One heartbeat brings it back; it keeps beating so that it stays up while weftctl runs.
  auto beat = client.Run(CallHeartbeat(&client.stub(), Beat(mgs::OST, 0, "quiet")));
  ASSERT_TRUE(beat.ok()) << beat.status().ToString();
  client.loop().Spawn(BeatUntilStopped(&client.stub(), &client.loop(), Beat(mgs::OST, 0, "quiet"),
                                       &stop, &quiet_done));
  status = Status();
  EXPECT_EQ(status.exit_code, 0) << status.out << status.err;
  EXPECT_THAT(LineOf(status.out, "weft-OST0000"), HasSubstr("UP")) << status.out;
  stop = true;
  client.Run(WaitFor(&client.loop(), &chatty_done));
  client.Run(WaitFor(&client.loop(), &quiet_done));
}

// SIGTERM ends the MGS at once, even with a long poll waiting, and the poll gets its answer.
// Afterwards its data directory refuses an MGS of another file system.
TEST_F(MgsProcessTest, SigtermExitsPromptlyAndAnswersLongPolls) {
  auto mgs = StartMgs();
  MgsTestClient client(port_);
  std::atomic<bool> answered{false};
  std::optional<Result<mgs::GetConfigReply>> reply;
  mgs::GetConfigRequest request;
  request.set_fsname("weft");
  request.set_wait_ms(30000);
  client.loop().Spawn([](MgsService::Stub* stub, mgs::GetConfigRequest request,
                         std::optional<Result<mgs::GetConfigReply>>* out,
                         std::atomic<bool>* answered) -> Task<void> {
    out->emplace(co_await CallGetConfig(stub, request, 5s));
    *answered = true;
  }(&client.stub(), request, &reply, &answered));
  std::this_thread::sleep_for(300ms);

  Clock::time_point start = Clock::now();
  mgs->Signal(SIGTERM);
  EXPECT_EQ(mgs->Wait(5s), 0) << mgs->err();
  EXPECT_LT(Clock::now() - start, 2s);
  client.Run(WaitFor(&client.loop(), &answered));
  EXPECT_TRUE(reply->ok()) << reply->status().ToString();
  EXPECT_THAT(mgs->err(), HasSubstr("shutting down"));

  // The data directory now belongs to "weft": an MGS for another file system may not use it.
  CommandResult other =
      RunCommand({BinaryPath("src/mgs/weft-mgs"), "--mgs.fsname=other",
                  "--mgs.data_dir=" + dir_.path() + "/data", "--mgs.listen=" + Nid()},
                 Output("other"));
  EXPECT_EQ(other.exit_code, 1);
  EXPECT_THAT(other.err, HasSubstr("belongs to file system 'weft', not 'other'"));
}

TEST_F(MgsProcessTest, BadConfigurationExitsWithCodeTwoNamingTheKey) {
  struct Case {
    std::vector<std::string> args;
    const char* named;
  };
  std::string data = "--mgs.data_dir=" + dir_.path() + "/data";
  const Case cases[] = {
      {{data}, "mgs.fsname"},
      {{data, "--mgs.fsname=Not_Valid!"}, "mgs.fsname"},
      {{"--mgs.fsname=weft"}, "mgs.data_dir"},
      {{data, "--mgs.fsname=weft", "--mgs.listen=10.0.0.1:99999@tcp"}, "mgs.listen"},
      {{data, "--mgs.fsname=weft", "--mgs.listen=host@carrier-pigeon"}, "mgs.listen"},
      {{data, "--mgs.fsname=weft", "--mgs.default_stripe_size=1000"}, "mgs.default_stripe_size"},
      {{data, "--mgs.fsname=weft", "--no-such-flag=1"}, "no-such-flag"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> argv = {BinaryPath("src/mgs/weft-mgs")};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    CommandResult r = RunCommand(argv, Output("bad"));
    EXPECT_EQ(r.exit_code, 2) << c.named << ": " << r.err;
    EXPECT_THAT(r.err, HasSubstr(c.named));
  }
}

TEST_F(MgsProcessTest, WeftctlSaysWhenTheMgsCannotBeReached) {
  CommandResult r = Weftctl({"status", "--mgs", Nid(), "--timeout", "1"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr(Nid()));
  EXPECT_THAT(r.err, HasSubstr("check that weft-mgs runs"));
}

TEST_F(MgsProcessTest, WeftctlUsageErrorsExitTwo) {
  for (std::vector<std::string> args :
       std::vector<std::vector<std::string>>{{},
                                             {"frobnicate"},
                                             {"status"},
                                             {"status", "--mgs", "host@carrier-pigeon"},
                                             {"status", "--mgs", Nid(), "--fsname", "Bad!"},
                                             {"status", "--mgs", Nid(), "--x"}}) {
    CommandResult r = Weftctl(args);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_FALSE(r.err.empty());
  }
}

}  // namespace
}  // namespace weft::test
