// The MDS process tests' fixture: weft-mgs, weftctl and weft-mds (and weft-oss) as real
// processes on loopback, and a client calling the MdsService stub on a loop thread of its own.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "../mgs/mgs_test_client.h"
#include "../mgs/subprocess.h"
#include "../mgs/temp_dir.h"
#include "mds/mds_service.h"

namespace weft::test {

using namespace std::chrono_literals;
using mds::MdsService;

// An RPC client of the MDS service on its own loop thread.
class MdsTestClient {
 public:
  explicit MdsTestClient(uint16_t port) {
    RunOn(thread_.loop(), Connect(this, port));
  }
  ~MdsTestClient() {
    RunOn(thread_.loop(), [](MdsTestClient* self) -> Task<void> {
      self->stub_.reset();
      self->client_.reset();
      co_return;
    }(this));
  }
  template <typename T>
  T Run(Task<T> task) {
    return RunOn(thread_.loop(), std::move(task));
  }
  MdsService::Stub* stub() { return stub_.get(); }
  EventLoop& loop() { return thread_.loop(); }

 private:
  static Task<void> Connect(MdsTestClient* self, uint16_t port) {
    rpc::RpcClient::Options o;
    o.host_hint = "127.0.0.1";
    o.attempt_timeout = 1s;
    o.default_timeout = 5s;
    auto c = rpc::RpcClient::Open(self->loop(), o);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    if (!c.ok()) co_return;
    self->client_ = std::move(c).value();
    auto peer = self->client_->AddPeer(Nid{"127.0.0.1", port, "tcp"});
    EXPECT_TRUE(peer.ok()) << peer.status().ToString();
    if (!peer.ok()) co_return;
    self->stub_ = std::make_unique<MdsService::Stub>(self->client_.get(), *peer);
  }

  LoopThread thread_;
  std::unique_ptr<rpc::RpcClient> client_;
  std::unique_ptr<MdsService::Stub> stub_;
};

// The root of MDT 0: inode numbers are (MDT index << 48) | n, and the root is n = 1.
constexpr uint64_t kRoot = 1;

inline Task<Result<mds::EntryReply>> Mkdir(MdsService::Stub* stub, uint64_t parent,
                                           std::string name) {
  mds::MkdirRequest r;
  r.set_parent(parent);
  r.set_name(std::move(name));
  r.set_mode(0755);
  co_return co_await stub->Mkdir(r);
}

inline Task<Result<mds::EntryReply>> Create(MdsService::Stub* stub, uint64_t parent,
                                            std::string name) {
  mds::CreateRequest r;
  r.set_parent(parent);
  r.set_name(std::move(name));
  r.set_mode(0644);
  r.set_exclusive(true);
  co_return co_await stub->Create(r);
}

inline Task<Result<mds::AttrReply>> Lookup(MdsService::Stub* stub, uint64_t parent,
                                           std::string name) {
  mds::LookupRequest r;
  r.set_parent(parent);
  r.set_name(std::move(name));
  co_return co_await stub->Lookup(r);
}

inline Task<Result<mds::ReaddirReply>> Readdir(MdsService::Stub* stub, uint64_t dir) {
  mds::ReaddirRequest r;
  r.set_ino(dir);
  co_return co_await stub->Readdir(r);
}

inline Task<Result<mds::EmptyReply>> Rename(MdsService::Stub* stub, uint64_t parent,
                                            std::string from, std::string to) {
  mds::RenameRequest r;
  r.set_src_parent(parent);
  r.set_src_name(std::move(from));
  r.set_dst_parent(parent);
  r.set_dst_name(std::move(to));
  co_return co_await stub->Rename(r);
}

inline Task<Result<mds::UnlinkReply>> Unlink(MdsService::Stub* stub, uint64_t parent,
                                            std::string name) {
  mds::UnlinkRequest r;
  r.set_parent(parent);
  r.set_name(std::move(name));
  co_return co_await stub->Unlink(r);
}


inline std::vector<std::string> Names(const mds::ReaddirReply& reply) {
  std::vector<std::string> names;
  for (const auto& e : reply.entries()) {
    if (e.name() != "." && e.name() != "..") names.push_back(e.name());
  }
  return names;
}

class MdsProcessTest : public ::testing::Test {
 protected:
  static std::string NidOf(uint16_t port) { return "127.0.0.1:" + std::to_string(port) + "@tcp"; }
  std::string Output(const std::string& name) {
    return dir_.path() + "/" + name + std::to_string(outputs_++);
  }
  std::string Target() const { return dir_.path() + "/mdt0"; }

  // weft-mgs serving fsname "weft"; targets are marked down after `down_after_ms` of silence.
  void StartMgs(int down_after_ms = 600000) {
    mgs_ = std::make_unique<Subprocess>(
        std::vector<std::string>{BinaryPath("src/mgs/weft-mgs"), "--mgs.fsname=weft",
                                 "--mgs.data_dir=" + dir_.path() + "/mgs",
                                 "--mgs.listen=" + NidOf(mgs_port_),
                                 "--mgs.target_down_after_ms=" + std::to_string(down_after_ms)},
        Output("mgs"));
    ASSERT_TRUE(mgs_->WaitForStderr("weft-mgs: serving fsname weft", 20s)) << mgs_->err();
  }

  // weft-mgs with one (unserved) OST registered, so that files get a layout.
  void StartMgsWithOst() {
    ASSERT_NO_FATAL_FAILURE(StartMgs());
    MgsTestClient client(mgs_port_);
    mgs::RegisterTargetRequest r;
    r.set_fsname("weft");
    r.set_type(mgs::OST);
    r.set_index(0);
    r.set_uuid("ost0-uuid");
    r.set_nid("127.0.0.1:1@tcp");
    auto reply = client.Run([](mgs::MgsService::Stub* stub, mgs::RegisterTargetRequest req)
                                -> Task<Result<mgs::RegisterTargetReply>> {
      co_return co_await stub->RegisterTarget(req);
    }(&client.stub(), r));
    ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  }

  CommandResult Weftctl(std::vector<std::string> args) {
    args.insert(args.begin(), BinaryPath("src/tools/weftctl"));
    return RunCommand(args, Output("weftctl"));
  }

  void Mkfs() {
    CommandResult r = Weftctl(
        {"mkfs", "--mdt", "--fsname", "weft", "--index", "0", "--mgs", NidOf(mgs_port_), Target()});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_THAT(r.out, ::testing::HasSubstr("formatted weft-MDT0000"));
  }

  std::unique_ptr<Subprocess> StartMds(const std::string& target,
                                       const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {BinaryPath("src/mds/weft-mds"), "--target", target,
                                     "--mds.listen=" + NidOf(mds_port_),
                                     "--mds.heartbeat_ms=200"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return std::make_unique<Subprocess>(argv, Output("mds"));
  }

  // Starts weft-mds on the formatted target and waits for its ready line.
  std::unique_ptr<Subprocess> StartReadyMds(const std::vector<std::string>& extra = {}) {
    auto mds = StartMds(Target(), extra);
    EXPECT_TRUE(mds->WaitForStderr("weft-mds: serving weft-MDT0000 on " + NidOf(mds_port_), 20s))
        << mds->err();
    return mds;
  }

  TempDir dir_;
  uint16_t mgs_port_ = FreePort();
  uint16_t mds_port_ = FreePort();
  int outputs_ = 0;
  std::unique_ptr<Subprocess> mgs_;
};

}  // namespace weft::test
