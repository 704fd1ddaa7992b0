// The mount's life: mount.weft as mount(8) runs it, SIGTERM, wrong usage, an absent MGS.
#include <gmock/gmock.h>

#include <algorithm>

#include "fuse_fixture.h"

namespace weft::test {
namespace {

using ::testing::HasSubstr;

std::string MountHelper() { return BinaryPath("src/client/fuse/mount.weft"); }

// True while some process runs `program` (its argv[0] ends so) with `arg` among its arguments.
bool Running(const std::string& program, const std::string& arg) {
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    std::ifstream in(e.path() / "cmdline", std::ios::binary);
    std::vector<std::string> argv;
    std::string a;
    while (std::getline(in, a, '\0')) argv.push_back(a);
    if (argv.empty() || !argv[0].ends_with(program)) continue;
    if (std::find(argv.begin(), argv.end(), arg) != argv.end()) return true;
  }
  return false;
}

// Waits until no `program` with `arg` runs.
bool WaitGone(const std::string& program, const std::string& arg,
              std::chrono::milliseconds limit) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (!Running(program, arg)) return true;
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

TEST_F(FuseTest, MountHelperDetachesAndUmountEndsTheDaemon) {
  std::string dir = cluster_.dir() + "/helper-mnt";
  std::filesystem::create_directories(dir);
  // As mount(8) calls it for an fstab line "SOURCE DIR weft _netdev,noatime 0 0".
  CommandResult r = RunCommand({MountHelper(), cluster_.MountSource(), dir, "-o",
                                "rw,_netdev,noatime,attr_timeout=0.5,call_timeout_ms=20000"},
                               cluster_.dir() + "/helper", 60s);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  ASSERT_TRUE(IsMounted(dir));
  EXPECT_TRUE(Running("mount.weft", dir)) << "no daemon behind the mount";
  std::string out;
  EXPECT_EQ(Shell("echo via-helper > " + dir + "/h && cat " + dir + "/h", &out), 0);
  EXPECT_EQ(out, "via-helper\n");
  EXPECT_EQ(Shell("grep ' " + dir + " ' /proc/mounts", &out), 0);
  EXPECT_THAT(out, HasSubstr("fuse.weft"));
  EXPECT_THAT(out, HasSubstr("noatime"));
  ASSERT_EQ(Shell("umount " + dir, &out), 0) << out;
  EXPECT_FALSE(IsMounted(dir));
  EXPECT_TRUE(WaitGone("mount.weft", dir, 20s)) << "the daemon outlived its mount";
}

TEST_F(FuseTest, SigtermUnmountsCleanly) {
  std::string out;
  ASSERT_EQ(Shell("echo kept > " + Path("kept")), 0);
  mount_->process().Signal(SIGTERM);
  auto status = mount_->process().Wait(20s);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, 0) << mount_->process().err();
  EXPECT_FALSE(IsMounted(mount_->dir()));
  EXPECT_THAT(mount_->process().err(), HasSubstr("unmounted from " + mount_->dir()));
  // Mounted again, the file is there.
  mount_ = Mount("mnt-again");
  ASSERT_TRUE(mount_ != nullptr);
  EXPECT_EQ(Shell("cat " + Path("kept"), &out), 0);
  EXPECT_EQ(out, "kept\n");
}

class FuseUsageTest : public ::testing::Test {
 protected:
  CommandResult Run(std::vector<std::string> args) {
    args.insert(args.begin(), MountHelper());
    return RunCommand(args, dir_.path() + "/run" + std::to_string(runs_++), 60s);
  }
  TempDir dir_;
  int runs_ = 0;
};

TEST_F(FuseUsageTest, WrongUsageIsRefusedNamingTheProblem) {
  CommandResult r = Run({});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("source"));

  // A bad -o option, and what the error must say.
  const std::pair<std::string, std::string> kBadOptions[] = {
      {"bogus_option=1", "unknown mount option 'bogus_option'"},
      {"attr_timeout=soon", "attr_timeout"},
      {"loop_spin_us=-1", "loop_spin_us"},
      {"write_behind=1000", "write_behind"},
      {"threads", "needs a value"},
  };
  for (const auto& [option, says] : kBadOptions) {
    r = Run({"127.0.0.1@tcp:/weft", dir_.path(), "-o", option});
    EXPECT_EQ(r.exit_code, 1) << option;
    EXPECT_THAT(r.err, HasSubstr(says)) << option;
  }

  // -s (sloppy): unknown options are ignored; the missing directory still stops it.
  r = Run({"127.0.0.1@tcp:/weft", dir_.path() + "/absent", "-s", "-o", "bogus"});
  EXPECT_EQ(r.exit_code, 32);
  EXPECT_THAT(r.err, HasSubstr("does not exist"));

  r = Run({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("attr_timeout"));
  EXPECT_THAT(r.out, HasSubstr("max_rpcs_in_flight"));
  EXPECT_THAT(r.out, HasSubstr("loop_spin_us"));
  EXPECT_THAT(r.out, HasSubstr("write_behind"));
}

TEST_F(FuseUsageTest, AMountWithoutAnMgsFailsAfterItsTimeout) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  std::string mnt = dir_.path() + "/m";
  std::filesystem::create_directories(mnt);
  uint16_t port = FreePort();  // nothing listens there
  CommandResult r = Run({"127.0.0.1:" + std::to_string(port) + "@tcp:/weft", mnt, "-o",
                         "call_timeout_ms=1500,attempt_timeout_ms=300"});
  EXPECT_EQ(r.exit_code, 32);
  EXPECT_THAT(r.err, HasSubstr("cannot mount"));
  EXPECT_FALSE(IsMounted(mnt));

  r = Run({"not-a-source", mnt});
  EXPECT_EQ(r.exit_code, 32);
  EXPECT_THAT(r.err, HasSubstr("not-a-source"));
}

}  // namespace
}  // namespace weft::test
