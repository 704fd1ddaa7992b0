// weft-oss as an operator runs it: real processes on loopback.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <thread>

#include "../mgs/mgs_test_client.h"
#include "../mgs/subprocess.h"
#include "oss_fixture.h"

namespace weft::test {
namespace {

using namespace std::chrono_literals;

class OssProcessTest : public ::testing::Test {
 protected:
  std::string Output(const std::string& name) { return dir_.path() + "/" + name; }
  std::string OssNid() const { return "127.0.0.1:" + std::to_string(oss_port_) + "@tcp"; }
  std::string MgsNid() const { return "127.0.0.1:" + std::to_string(mgs_port_) + "@tcp"; }

  std::unique_ptr<Subprocess> StartOss(const std::string& ost, bool wait = true) {
    std::vector<std::string> argv = {BinaryPath("src/oss/weft-oss"), "--target", ost,
                                     "--oss.listen=" + OssNid(),
                                     "--oss.heartbeat_interval_ms=100"};
    auto p = std::make_unique<Subprocess>(argv, Output("oss"));
    if (wait) {
      EXPECT_TRUE(p->WaitForStderr("serving weft-OST", 20s)) << p->err();
    }
    return p;
  }
  std::unique_ptr<Subprocess> StartMgs() {
    std::vector<std::string> argv = {BinaryPath("src/mgs/weft-mgs"), "--mgs.fsname=weft",
                                     "--mgs.data_dir=" + dir_.path() + "/mgsdata",
                                     "--mgs.listen=" + MgsNid()};
    auto p = std::make_unique<Subprocess>(argv, Output("mgs"));
    EXPECT_TRUE(p->WaitForStderr("serving fsname weft", 20s)) << p->err();
    return p;
  }
  std::string FormatWithMgs(uint32_t index) {
    std::string ost = dir_.path() + "/ost" + std::to_string(index);
    TargetLabel label{"weft", "OST", index, NewUuid(), MgsNid()};
    EXPECT_TRUE(WriteTargetLabel(ost, label, false).ok());
    return ost;
  }

  TempDir dir_;
  uint16_t oss_port_ = FreePort();
  uint16_t mgs_port_ = FreePort();
};

TEST_F(OssProcessTest, RefusesUnformattedAndForeignTargets) {
  std::string empty = dir_.path() + "/empty";
  std::filesystem::create_directories(empty);
  CommandResult r = RunCommand({BinaryPath("src/oss/weft-oss"), "--target", empty}, Output("r1"));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(empty), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("mkfs"), std::string::npos) << r.err;

  std::string mdt = dir_.path() + "/mdt";
  TargetLabel label{"weft", "MDT", 0, NewUuid(), MgsNid()};
  ASSERT_TRUE(WriteTargetLabel(mdt, label, false).ok());
  r = RunCommand({BinaryPath("src/oss/weft-oss"), "--target", mdt}, Output("r2"));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("not an OST"), std::string::npos) << r.err;

  std::string a = FormatWithMgs(1);
  std::string b = dir_.path() + "/other";
  ASSERT_TRUE(WriteTargetLabel(b, TargetLabel{"other", "OST", 2, NewUuid(), MgsNid()}, false).ok());
  r = RunCommand({BinaryPath("src/oss/weft-oss"), "--target", a, "--target", b}, Output("r3"));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("one file system"), std::string::npos) << r.err;

  r = RunCommand({BinaryPath("src/oss/weft-oss")}, Output("r4"));
  EXPECT_EQ(r.exit_code, 2) << r.err;

  r = RunCommand({BinaryPath("src/oss/weft-oss"), "--target", a, "--loop.spin_us=-5"},
                 Output("r5"));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("loop.spin_us"), std::string::npos) << r.err;
}

Task<Result<mgs::GetConfigReply>> GetConfig(mgs::MgsService::Stub* stub) {
  mgs::GetConfigRequest r;
  co_return co_await stub->GetConfig(r);
}

// Started before its MGS, the OSS waits, registers once the MGS is up, and reports space.
TEST_F(OssProcessTest, RegistersWithTheMgsWhenItComesAndHeartbeatsSpace) {
  std::string ost = FormatWithMgs(3);
  auto oss = StartOss(ost);
  EXPECT_TRUE(oss->WaitForStderr("not answering", 20s)) << oss->err();
  auto mgs = StartMgs();
  ASSERT_TRUE(oss->WaitForStderr("weft-OST0003 registered with the MGS", 20s)) << oss->err();
  MgsTestClient client(mgs_port_);
  bool seen = false;
  for (int i = 0; i < 100 && !seen; ++i) {
    auto config = client.Run(GetConfig(&client.stub()));
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    for (const auto& t : config->targets()) {
      if (t.type() == mgs::OST && t.index() == 3 && t.space().bytes_total() > 0) {
        EXPECT_EQ(t.nid(), OssNid());
        EXPECT_EQ(t.state(), mgs::UP);
        seen = true;
      }
    }
    if (!seen) std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(seen);
  // It serves while registered.
  OssClient c(oss_port_);
  ASSERT_TRUE(c.Run(OssClient::WriteAt(c.stub(), 3, Oid(1), 0, std::string(5000, 'a'))).ok());
  oss->Signal(SIGTERM);
  EXPECT_EQ(oss->Wait(20s), std::optional<int>(0)) << oss->err();
  mgs->Signal(SIGTERM);
  EXPECT_EQ(mgs->Wait(20s), std::optional<int>(0));
}

// kill -9 during a storm of Write+Sync: every write whose Sync was answered reads back.
TEST_F(OssProcessTest, SyncedWritesSurviveKill9) {
  std::string ost = FormatWithMgs(0);
  auto oss = StartOss(ost);
  struct Acked {
    oss::ObjectId id;
    uint64_t off;
    size_t len;
    uint64_t seed;
  };
  std::vector<Acked> acked;
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    OssClient c(oss_port_, 3s);
    const size_t sizes[] = {4096, 1 << 20, 777, 65536 + 3, 256 * 1024};
    for (uint64_t i = 0; !stop.load(); ++i) {
      oss::ObjectId id = Oid(i % 5, i % 2);
      uint64_t off = (i / 5) * (1 << 20);
      size_t len = sizes[i % 5];
      if (!c.Run(OssClient::WriteAt(c.stub(), 0, id, off, Pattern(i, off, len))).ok()) break;
      if (!c.Run(OssClient::SyncOne(c.stub(), 0, id)).ok()) break;
      acked.push_back({id, off, len, i});
    }
  });
  std::this_thread::sleep_for(1500ms);
  oss->Signal(SIGKILL);
  oss->Wait(10s);
  stop = true;
  writer.join();
  ASSERT_GT(acked.size(), 5u);
  auto again = StartOss(ost);
  OssClient c(oss_port_);
  for (const Acked& a : acked) {
    auto got = c.Run(OssClient::ReadAt(c.stub(), 0, a.id, a.off, a.len));
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    ASSERT_TRUE(*got == Pattern(a.seed, a.off, a.len)) << "write " << a.seed;
  }
  again->Signal(SIGTERM);
  EXPECT_EQ(again->Wait(20s), std::optional<int>(0)) << again->err();
}

}  // namespace
}  // namespace weft::test

namespace weft::test {
namespace {

TEST_F(OssProcessTest, WeftctlMkfsOstFormatsATargetOnce) {
  std::string ost = dir_.path() + "/made";
  std::vector<std::string> mkfs = {BinaryPath("src/tools/weftctl"), "mkfs", "--ost", "--fsname",
                                   "weft", "--index", "7", "--mgs", MgsNid(), ost};
  CommandResult r = RunCommand(mkfs, Output("mkfs1"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("formatted weft-OST0007"), std::string::npos) << r.out;
  EXPECT_TRUE(std::filesystem::is_directory(ost + "/objects"));
  r = RunCommand(mkfs, Output("mkfs2"));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("--reformat"), std::string::npos) << r.err;
  auto oss = StartOss(ost);
  OssClient c(oss_port_);
  ASSERT_TRUE(c.Run(OssClient::WriteAt(c.stub(), 7, Oid(1), 0, std::string(100, 'z'))).ok());
  oss->Signal(SIGTERM);
  EXPECT_EQ(oss->Wait(20s), std::optional<int>(0)) << oss->err();
}

}  // namespace
}  // namespace weft::test
