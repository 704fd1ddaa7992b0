// A Weft file system on loopback (tests/client/weft_cluster.h) mounted through weft-fuse, as
// root with /dev/fuse. Tests use the mount with ordinary system calls and programs.
#pragma once

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../client/weft_cluster.h"

namespace weft::test {

// True if `dir` is a mount point now (listed in /proc/self/mountinfo).
inline bool IsMounted(const std::string& dir) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, devs, root, point;
    fields >> id >> parent >> devs >> root >> point;
    if (point == dir) return true;
  }
  return false;
}

// One weft-fuse process in the foreground with its mount point.
class FuseMount {
 public:
  FuseMount(const WeftCluster& cluster, const std::string& dir, std::vector<std::string> options)
      : dir_(dir) {
    std::filesystem::create_directories(dir_);
    std::vector<std::string> argv = {BinaryPath("src/client/fuse/weft-fuse"), "-f",
                                     cluster.MountSource(), dir_};
    std::string o = "call_timeout_ms=20000,attempt_timeout_ms=1500";
    for (const std::string& opt : options) o += "," + opt;
    argv.insert(argv.begin() + 2, {"-o", o});
    process_ = std::make_unique<Subprocess>(argv, dir_ + ".log");
  }
  ~FuseMount() { Unmount(); }

  // Waits for the "mounted at" line; false (with the log in `why`) if it never comes.
  bool WaitMounted(std::string* why) {
    if (process_->WaitForStderr("mounted at " + dir_, 30s) && IsMounted(dir_)) return true;
    *why = process_->err();
    return false;
  }
  // umount(2), then the daemon must exit on its own.
  void Unmount() {
    if (!process_ || !process_->running()) return;
    if (IsMounted(dir_) && umount2(dir_.c_str(), 0) != 0) umount2(dir_.c_str(), MNT_DETACH);
    if (!process_->Wait(20s)) {
      process_->Signal(SIGKILL);
      process_->Wait(10s);
    }
  }
  Subprocess& process() { return *process_; }
  const std::string& dir() const { return dir_; }
  std::string Path(const std::string& relative) const { return dir_ + "/" + relative; }

 private:
  std::string dir_;
  std::unique_ptr<Subprocess> process_;
};

class FuseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access("/dev/fuse", R_OK | W_OK) != 0 || geteuid() != 0) {
      GTEST_SKIP() << "needs root and /dev/fuse";
    }
    ASSERT_NO_FATAL_FAILURE(cluster_.Start());
    // The MDS learns of the OSTs from the MGS: wait until new files get all four.
    auto probe = cluster_.Mount();
    ASSERT_TRUE(probe.ok()) << probe.status().ToString();
    ASSERT_NO_FATAL_FAILURE(WeftCluster::WaitForAllOsts(**probe));
    (*probe)->Unmount();
    mount_ = Mount("mnt");
    ASSERT_TRUE(mount_ != nullptr);
  }
  void TearDown() override {
    extra_.clear();
    mount_.reset();
  }

  // Mounts the file system at DIR/name; nullptr (with a test failure) if it does not come up.
  std::unique_ptr<FuseMount> Mount(const std::string& name,
                                   std::vector<std::string> options = {}) {
    auto m = std::make_unique<FuseMount>(cluster_, cluster_.dir() + "/" + name, options);
    std::string why;
    if (!m->WaitMounted(&why)) {
      ADD_FAILURE() << "weft-fuse did not mount " << name << ":\n" << why;
      return nullptr;
    }
    return m;
  }

  std::string Path(const std::string& relative) const { return mount_->Path(relative); }

  WeftCluster cluster_;
  std::unique_ptr<FuseMount> mount_;
  std::vector<std::unique_ptr<FuseMount>> extra_;
};

// Runs `sh -c script` and returns its exit code; output in *out.
inline int Shell(const std::string& script, std::string* out = nullptr) {
  std::string cmd = "(" + script + ") 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return -1;
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) text.append(buf, n);
  int status = pclose(p);
  if (out != nullptr) *out = text;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace weft::test
