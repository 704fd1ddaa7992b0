// A whole Weft file system on loopback for client tests: weft-mgs, weftctl mkfs --mdt and
// weft-mds, weftctl mkfs --ost of four OSTs served by two weft-oss processes (OSTs 0 and 1 by
// the first, 2 and 3 by the second). WaitForAllOsts gives the root directory a layout that
// stripes new files over all four OSTs in 64 KiB units.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "../mgs/subprocess.h"
#include "../mgs/temp_dir.h"
#include "client/client.h"

namespace weft::test {

using namespace std::chrono_literals;

class WeftCluster {
 public:
  static constexpr uint32_t kOsts = 4;
  static constexpr uint64_t kStripeSize = 64 * 1024;

  // On a failed test, what the daemons said (the tail of each one's stderr).
  ~WeftCluster() {
    if (!::testing::Test::HasFailure()) return;
    for (auto* p : {mgs_.get(), mds_.get(), oss_[0].get(), oss_[1].get()}) {
      if (p == nullptr) continue;
      std::string err = p->err();
      if (err.size() > 3000) err = "..." + err.substr(err.size() - 3000);
      std::fprintf(stderr, "---- daemon stderr ----\n%s\n", err.c_str());
    }
  }

  // More weft-mds arguments, for Start.
  std::vector<std::string> mds_args;

  static std::string NidOf(uint16_t port) { return "127.0.0.1:" + std::to_string(port) + "@tcp"; }
  std::string MountSource() const { return NidOf(mgs_port_) + ":/weft"; }
  std::string OstDir(uint32_t index) const { return dir_.path() + "/ost" + std::to_string(index); }
  const std::string& dir() const { return dir_.path(); }

  // Starts everything and waits until each daemon says it is serving and registered.
  void Start() {
    mgs_ = Spawn({BinaryPath("src/mgs/weft-mgs"), "--mgs.fsname=weft",
                  "--mgs.data_dir=" + dir_.path() + "/mgs", "--mgs.listen=" + NidOf(mgs_port_),
                  "--mgs.default_stripe_count=-1",
                  "--mgs.default_stripe_size=" + std::to_string(kStripeSize)},
                 "mgs");
    ASSERT_TRUE(mgs_->WaitForStderr("serving fsname weft", 20s)) << mgs_->err();
    ASSERT_NO_FATAL_FAILURE(Mkfs({"--mdt", "--index", "0"}, dir_.path() + "/mdt0"));
    for (uint32_t i = 0; i < kOsts; ++i) {
      ASSERT_NO_FATAL_FAILURE(Mkfs({"--ost", "--index", std::to_string(i)}, OstDir(i)));
    }
    std::vector<std::string> mds_argv = {BinaryPath("src/mds/weft-mds"), "--target",
                                         dir_.path() + "/mdt0", "--mds.listen=" + NidOf(mds_port_),
                                         "--mds.heartbeat_ms=200"};
    mds_argv.insert(mds_argv.end(), mds_args.begin(), mds_args.end());
    mds_argv_ = mds_argv;
    mds_ = Spawn(mds_argv, "mds");
    StartOss(0);
    StartOss(1);
    ASSERT_TRUE(mds_->WaitForStderr("weft-mds: serving weft-MDT0000 on", 30s)) << mds_->err();
    for (int p = 0; p < 2; ++p) ASSERT_NO_FATAL_FAILURE(WaitOssRegistered(p));
  }

  // weft-oss process `p` (0 or 1) serving OSTs 2p and 2p+1 on its fixed port.
  void StartOss(int p) {
    oss_[p] = Spawn({BinaryPath("src/oss/weft-oss"), "--target", OstDir(2 * p), "--target",
                     OstDir(2 * p + 1), "--oss.listen=" + NidOf(oss_ports_[p]),
                     "--oss.heartbeat_interval_ms=200"},
                    "oss" + std::to_string(p));
  }
  void WaitOssRegistered(int p) {
    for (int i = 2 * p; i < 2 * p + 2; ++i) {
      std::string line = "weft-OST000" + std::to_string(i) + " registered with the MGS";
      ASSERT_TRUE(oss_[p]->WaitForStderr(line, 30s)) << oss_[p]->err();
    }
  }
  void KillOss(int p) {
    oss_[p]->Signal(SIGKILL);
    oss_[p]->Wait(10s);
  }
  Subprocess& oss(int p) { return *oss_[p]; }
  Subprocess& mds() { return *mds_; }
  // Stops weft-mds (SIGKILL or SIGTERM) and starts it again on the same MDT and port.
  void RestartMds(int signal) {
    mds_->Signal(signal);
    ASSERT_TRUE(mds_->Wait(20s));
    mds_ = Spawn(mds_argv_, "mds-restarted");
    ASSERT_TRUE(mds_->WaitForStderr("weft-mds: serving weft-MDT0000 on", 30s)) << mds_->err();
  }

  // Objects of inode `ino` on the OST directories, as (OST index, stripe).
  std::set<std::pair<uint32_t, uint64_t>> ObjectsOf(uint64_t ino) const {
    std::set<std::pair<uint32_t, uint64_t>> found;
    char prefix[32];
    std::snprintf(prefix, sizeof(prefix), "%lx.", static_cast<unsigned long>(ino));
    for (uint32_t i = 0; i < kOsts; ++i) {
      std::error_code ec;
      for (const auto& e : std::filesystem::recursive_directory_iterator(OstDir(i) + "/objects", ec)) {
        std::string name = e.path().filename().string();
        if (e.is_regular_file() && name.rfind(prefix, 0) == 0) {
          found.emplace(i, std::stoull(name.substr(std::strlen(prefix))));
        }
      }
    }
    return found;
  }

  // The bytes the OSTs' file systems have allocated to the objects of inode `ino`.
  uint64_t AllocatedBytesOf(uint64_t ino) const {
    uint64_t bytes = 0;
    char prefix[32];
    std::snprintf(prefix, sizeof(prefix), "%lx.", static_cast<unsigned long>(ino));
    for (uint32_t i = 0; i < kOsts; ++i) {
      std::error_code ec;
      for (const auto& e : std::filesystem::recursive_directory_iterator(OstDir(i) + "/objects", ec)) {
        struct stat st;
        if (e.path().filename().string().rfind(prefix, 0) == 0 &&
            ::stat(e.path().c_str(), &st) == 0) {
          bytes += static_cast<uint64_t>(st.st_blocks) * 512;
        }
      }
    }
    return bytes;
  }

  // Gives the root directory the layout of kStripeSize over all OSTs, and waits until the MDS
  // places new files on all four: it learns of them from the MGS by long poll, so right after
  // start a create may fail (kNoSpace) or get fewer stripes.
  static void WaitForAllOsts(client::Client& fs) {
    client::Credentials cred = client::Credentials::OfProcess();
    auto layout = fs.SetLayout(cred, client::Client::kRootIno, kStripeSize, -1);
    ASSERT_TRUE(layout.ok()) << layout.status().ToString();
    int stripes = -1;
    Status last;
    for (int attempt = 0; attempt < 200; ++attempt) {
      auto made = fs.Create(cred, client::Client::kRootIno, ".probe", 0600, O_CREAT | O_RDWR);
      if (made.ok()) {
        stripes = made->first.layout().objects_size();
        Status closed = fs.Close(made->second);
        ASSERT_TRUE(closed.ok()) << closed.ToString();
        Status unlinked = fs.Unlink(cred, client::Client::kRootIno, ".probe");
        ASSERT_TRUE(unlinked.ok()) << unlinked.ToString();
        if (stripes == static_cast<int>(kOsts)) return;
      } else {
        ASSERT_EQ(made.status().code(), StatusCode::kNoSpace) << made.status().ToString();
        last = made.status();
      }
      std::this_thread::sleep_for(50ms);
    }
    FAIL() << "the MDS never placed a file on all four OSTs; last: " << stripes << " stripes, "
           << last.ToString();
  }

  // Mounts a client with short timeouts fit for tests.
  Result<std::unique_ptr<client::Client>> Mount(std::chrono::milliseconds call_timeout = 20s,
                                                bool name_leases = false) {
    client::ClientOptions o;
    o.name_leases = name_leases;
    o.call_timeout = call_timeout;
    o.attempt_timeout = 1500ms;
    o.config_poll = 500ms;
    return client::Client::Mount(MountSource(), o);
  }

 private:
  std::unique_ptr<Subprocess> Spawn(std::vector<std::string> argv, const std::string& name) {
    return std::make_unique<Subprocess>(argv, dir_.path() + "/" + name + std::to_string(runs_++));
  }
  void Mkfs(std::vector<std::string> args, const std::string& target) {
    std::vector<std::string> argv = {BinaryPath("src/tools/weftctl"), "mkfs"};
    argv.insert(argv.end(), args.begin(), args.end());
    for (const char* a : {"--fsname", "weft", "--mgs"}) argv.emplace_back(a);
    argv.push_back(NidOf(mgs_port_));
    argv.push_back(target);
    CommandResult r = RunCommand(argv, dir_.path() + "/mkfs" + std::to_string(runs_++));
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }

  TempDir dir_;
  uint16_t mgs_port_ = FreePort();
  uint16_t mds_port_ = FreePort();
  uint16_t oss_ports_[2] = {FreePort(), FreePort()};
  int runs_ = 0;
  std::unique_ptr<Subprocess> mgs_, mds_;
  std::vector<std::string> mds_argv_;  // to start it again
  std::unique_ptr<Subprocess> oss_[2];
};

}  // namespace weft::test
