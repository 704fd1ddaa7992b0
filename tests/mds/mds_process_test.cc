// weft-mds as an operator runs it: weft-mgs, weftctl mkfs --mdt and weft-mds as real processes
// on loopback, a client calling the MdsService stub.
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
namespace {

using namespace std::chrono_literals;
using mds::MdsService;
using ::testing::HasSubstr;

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

Task<Result<mds::EntryReply>> Mkdir(MdsService::Stub* stub, uint64_t parent, std::string name) {
  mds::MkdirRequest r;
  r.set_parent(parent);
  r.set_name(std::move(name));
  r.set_mode(0755);
  co_return co_await stub->Mkdir(r);
}

Task<Result<mds::EntryReply>> Create(MdsService::Stub* stub, uint64_t parent, std::string name) {
  mds::CreateRequest r;
  r.set_parent(parent);
  r.set_name(std::move(name));
  r.set_mode(0644);
  r.set_exclusive(true);
  co_return co_await stub->Create(r);
}

Task<Result<mds::AttrReply>> Lookup(MdsService::Stub* stub, uint64_t parent, std::string name) {
  mds::LookupRequest r;
  r.set_parent(parent);
  r.set_name(std::move(name));
  co_return co_await stub->Lookup(r);
}

Task<Result<mds::ReaddirReply>> Readdir(MdsService::Stub* stub, uint64_t dir) {
  mds::ReaddirRequest r;
  r.set_ino(dir);
  co_return co_await stub->Readdir(r);
}

Task<Result<mds::EmptyReply>> Rename(MdsService::Stub* stub, uint64_t parent, std::string from,
                                     std::string to) {
  mds::RenameRequest r;
  r.set_src_parent(parent);
  r.set_src_name(std::move(from));
  r.set_dst_parent(parent);
  r.set_dst_name(std::move(to));
  co_return co_await stub->Rename(r);
}

Task<Result<mds::EmptyReply>> Unlink(MdsService::Stub* stub, uint64_t parent, std::string name) {
  mds::UnlinkRequest r;
  r.set_parent(parent);
  r.set_name(std::move(name));
  co_return co_await stub->Unlink(r);
}

// Creates f0, f1, ... in `dir` one after another until a create fails or *stop; every name
// acknowledged goes to *acked.
Task<void> CreateStream(MdsService::Stub* stub, uint64_t dir, std::atomic<int>* acked,
                        const std::atomic<bool>* stop) {
  for (int i = 0; !*stop; ++i) {
    mds::CreateRequest r;
    r.set_parent(dir);
    r.set_name("f" + std::to_string(i));
    r.set_mode(0644);
    rpc::CallOptions options;
    options.timeout = 2s;
    auto reply = co_await stub->Create(r, options);
    if (!reply.ok()) co_return;
    acked->store(i + 1);
  }
}

std::vector<std::string> Names(const mds::ReaddirReply& reply) {
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

  // weft-mgs serving fsname "weft", with one OST registered so that files get a layout.
  void StartMgsWithOst() {
    mgs_ = std::make_unique<Subprocess>(
        std::vector<std::string>{BinaryPath("src/mgs/weft-mgs"), "--mgs.fsname=weft",
                                 "--mgs.data_dir=" + dir_.path() + "/mgs",
                                 "--mgs.listen=" + NidOf(mgs_port_),
                                 "--mgs.target_down_after_ms=600000"},
        Output("mgs"));
    ASSERT_TRUE(mgs_->WaitForStderr("weft-mgs: serving fsname weft", 20s)) << mgs_->err();
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
    EXPECT_THAT(r.out, HasSubstr("formatted weft-MDT0000"));
  }

  std::unique_ptr<Subprocess> StartMds(const std::string& target) {
    return std::make_unique<Subprocess>(
        std::vector<std::string>{BinaryPath("src/mds/weft-mds"), "--target", target,
                                 "--mds.listen=" + NidOf(mds_port_), "--mds.heartbeat_ms=200"},
        Output("mds"));
  }

  // Starts weft-mds on the formatted target and waits for its ready line.
  std::unique_ptr<Subprocess> StartReadyMds() {
    auto mds = StartMds(Target());
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

TEST_F(MdsProcessTest, ServesTheNamespaceAndShowsUpInStatus) {
  ASSERT_NO_FATAL_FAILURE(StartMgsWithOst());
  ASSERT_NO_FATAL_FAILURE(Mkfs());
  auto mds = StartReadyMds();
  MdsTestClient client(mds_port_);
  auto dir = client.Run(Mkdir(client.stub(), kRoot, "d"));
  ASSERT_TRUE(dir.ok()) << dir.status().ToString() << "\nweft-mds said:\n" << mds->err();
  uint64_t d = dir->inode().ino();
  auto file = client.Run(Create(client.stub(), d, "a"));
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(file->inode().layout().objects_size(), 1);

  auto found = client.Run(Lookup(client.stub(), d, "a"));
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(found->inode().ino(), file->inode().ino());
  auto again = client.Run(Create(client.stub(), d, "a"));
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);

  ASSERT_TRUE(client.Run(Rename(client.stub(), d, "a", "b")).ok());
  auto listing = client.Run(Readdir(client.stub(), d));
  ASSERT_TRUE(listing.ok()) << listing.status().ToString();
  EXPECT_THAT(Names(*listing), ::testing::ElementsAre("b"));
  ASSERT_TRUE(client.Run(Unlink(client.stub(), d, "b")).ok());
  EXPECT_EQ(client.Run(Lookup(client.stub(), d, "b")).status().code(), StatusCode::kNotFound);

  auto too_long = client.Run(Create(client.stub(), d, std::string(256, 'x')));
  EXPECT_EQ(too_long.status().code(), StatusCode::kNameTooLong);

  CommandResult status = Weftctl({"status", "--mgs", NidOf(mgs_port_), "--timeout", "10"});
  EXPECT_EQ(status.exit_code, 0) << status.out << status.err;
  EXPECT_THAT(status.out, ::testing::ContainsRegex("weft-MDT0000 +MDT +" + NidOf(mds_port_) +
                                                   " +UP"));

  mds->Signal(SIGTERM);
  EXPECT_EQ(mds->Wait(20s), 0) << mds->err();
}

TEST_F(MdsProcessTest, RefusesAnUnformattedTarget) {
  std::string empty = dir_.path() + "/empty";
  std::filesystem::create_directories(empty);
  auto mds = StartMds(empty);
  EXPECT_EQ(mds->Wait(20s), 1);
  EXPECT_THAT(mds->err(), HasSubstr(empty + " is not a formatted Weft target"));
  EXPECT_THAT(mds->err(), HasSubstr("weftctl mkfs"));
}

TEST_F(MdsProcessTest, MkfsRefusesAnExistingTargetWithoutReformat) {
  ASSERT_NO_FATAL_FAILURE(Mkfs());
  CommandResult r = Weftctl(
      {"mkfs", "--mdt", "--fsname", "weft", "--index", "0", "--mgs", NidOf(mgs_port_), Target()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("already holds a Weft target; give --reformat"));
  r = Weftctl({"mkfs", "--mdt", "--fsname", "weft", "--index", "0", "--mgs", NidOf(mgs_port_),
               "--reformat", Target()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(MdsProcessTest, EveryAcknowledgedCreateSurvivesKillDashNine) {
  ASSERT_NO_FATAL_FAILURE(StartMgsWithOst());
  ASSERT_NO_FATAL_FAILURE(Mkfs());
  auto mds = StartReadyMds();
  std::atomic<int> acked{0};
  std::atomic<bool> stop{false};
  uint64_t d = 0;
  {
    MdsTestClient client(mds_port_);
    auto dir = client.Run(Mkdir(client.stub(), kRoot, "storm"));
    ASSERT_TRUE(dir.ok()) << dir.status().ToString();
    d = dir->inode().ino();
    std::thread creator([&] { client.Run(CreateStream(client.stub(), d, &acked, &stop)); });
    for (int i = 0; i < 2000 && acked < 50; ++i) std::this_thread::sleep_for(5ms);
    mds->Signal(SIGKILL);
    EXPECT_EQ(mds->Wait(10s), 128 + SIGKILL);
    stop = true;
    creator.join();
  }
  ASSERT_GE(acked.load(), 50);
  // Waits for the MDS to serve, not for its registration: after a kill -9 of a client, the MGS
  // does not answer the restarted process for a while (an RPC-layer bug, see docs/mds.md).
  mds = StartMds(Target());
  ASSERT_TRUE(mds->WaitForStderr("weft-MDT0000 open, serving on " + NidOf(mds_port_), 20s))
      << mds->err();
  MdsTestClient client(mds_port_);
  for (int i = 0; i < acked; ++i) {
    auto found = client.Run(Lookup(client.stub(), d, "f" + std::to_string(i)));
    EXPECT_TRUE(found.ok()) << "f" << i << ": " << found.status().ToString();
  }
}

}  // namespace
}  // namespace weft::test
