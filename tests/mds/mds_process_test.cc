// weft-mds as an operator runs it: weft-mgs, weftctl mkfs --mdt and weft-mds as real processes
// on loopback, a client calling the MdsService stub; weftctl fsck on the target afterwards.
#include "mds_process_fixture.h"
#include "mds/keys.h"
#include "mds/store/rocks_mdt_store.h"

namespace weft::test {
namespace {

using ::testing::HasSubstr;

// The storm's operations: create f<i>, and after every odd create, rename f<i> to g<i>.
struct StormOp {
  bool rename;
  int i;
};
StormOp StormOpAt(int k) { return StormOp{k % 3 == 2, 2 * (k / 3) + (k % 3 == 0 ? 0 : 1)}; }

// Runs the storm's operations in `dir` one after another until one fails or *stop; *acked is
// the number acknowledged.
Task<void> Storm(MdsService::Stub* stub, uint64_t dir, std::atomic<int>* acked,
                 const std::atomic<bool>* stop) {
  rpc::CallOptions options;
  options.timeout = 2s;
  for (int k = 0; !*stop; ++k) {
    StormOp op = StormOpAt(k);
    Status st;
    if (op.rename) {
      mds::RenameRequest r;
      r.set_src_parent(dir);
      r.set_src_name("f" + std::to_string(op.i));
      r.set_dst_parent(dir);
      r.set_dst_name("g" + std::to_string(op.i));
      st = (co_await stub->Rename(r, options)).status();
    } else {
      mds::CreateRequest r;
      r.set_parent(dir);
      r.set_name("f" + std::to_string(op.i));
      r.set_mode(0644);
      st = (co_await stub->Create(r, options)).status();
    }
    if (!st.ok()) co_return;
    acked->store(k + 1);
  }
}

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

// True if `name` exists in `dir` (a failed test if the lookup fails otherwise).
bool Exists(MdsTestClient& client, uint64_t dir, const std::string& name) {
  auto found = client.Run(Lookup(client.stub(), dir, name));
  EXPECT_TRUE(found.ok() || found.status().code() == StatusCode::kNotFound)
      << name << ": " << found.status().ToString();
  return found.ok();
}

// A storm of creates and renames, weft-mds killed with -9 in the middle of it: every
// acknowledged operation is there after the restart, and fsck finds the target clean.
class MdsStormTest : public MdsProcessTest {
 protected:
  void KillInStormAndCheck(const std::vector<std::string>& mds_args);
};

TEST_F(MdsStormTest, EveryAcknowledgedOpSurvivesKillDashNineAndFsckFindsItClean) {
  KillInStormAndCheck({});
}

// With namespace changes answered once in the log (docs/mds.md, "Namespace changes"): the
// kernel's page cache holds the log, so a killed daemon loses none of them either.
TEST_F(MdsStormTest, AcknowledgedOpsAnsweredBeforeTheirSyncSurviveKillDashNine) {
  KillInStormAndCheck({"--mds.sync_namespace=false"});
}

void MdsStormTest::KillInStormAndCheck(const std::vector<std::string>& mds_args) {
  ASSERT_NO_FATAL_FAILURE(StartMgsWithOst());
  ASSERT_NO_FATAL_FAILURE(Mkfs());
  auto mds = StartReadyMds(mds_args);
  // The daemon says which rule its MDT keeps (what it read from mds_args).
  bool soon = !mds_args.empty() && mds_args[0] == "--mds.sync_namespace=false";
  EXPECT_EQ(mds->err().find("mds.sync_namespace is false") != std::string::npos, soon)
      << mds->err();
  std::atomic<int> acked{0};
  std::atomic<bool> stop{false};
  uint64_t d = 0;
  {
    MdsTestClient client(mds_port_);
    auto dir = client.Run(Mkdir(client.stub(), kRoot, "storm"));
    ASSERT_TRUE(dir.ok()) << dir.status().ToString();
    d = dir->inode().ino();
    std::thread stormer([&] { client.Run(Storm(client.stub(), d, &acked, &stop)); });
    for (int i = 0; i < 2000 && acked < 60; ++i) std::this_thread::sleep_for(5ms);
    mds->Signal(SIGKILL);
    EXPECT_EQ(mds->Wait(10s), 128 + SIGKILL);
    stop = true;
    stormer.join();
  }
  ASSERT_GE(acked.load(), 60);
  CommandResult fsck = Weftctl({"fsck", "--mdt", Target()});
  EXPECT_EQ(fsck.exit_code, 0) << fsck.out << fsck.err;
  EXPECT_THAT(fsck.out, HasSubstr("weft-MDT0000: clean"));

  // Waits for the MDS to serve, not for its registration: after a kill -9 of a client, the MGS
  // does not answer the restarted process for a while (an RPC-layer bug, see docs/mds.md).
  mds = StartMds(Target(), mds_args);
  ASSERT_TRUE(mds->WaitForStderr("weft-MDT0000 open, serving on " + NidOf(mds_port_), 20s))
      << mds->err();
  MdsTestClient client(mds_port_);
  int done = acked.load();  // operation `done` may or may not have happened
  for (int k = 0; k < done; ++k) {
    StormOp op = StormOpAt(k);
    std::string f = "f" + std::to_string(op.i), g = "g" + std::to_string(op.i);
    if (op.rename) {
      EXPECT_TRUE(Exists(client, d, g)) << g;
      EXPECT_FALSE(Exists(client, d, f)) << f;
    } else if (op.i % 2 == 0) {
      EXPECT_TRUE(Exists(client, d, f)) << f;
    } else if (k + 1 == done) {
      // Created, and its rename was in flight at the kill: one of the two names.
      EXPECT_NE(Exists(client, d, f), Exists(client, d, g)) << f << " or " << g;
    }  // else its acknowledged rename is checked at k + 1
  }
}

// chmod k of a stream sets mode kModes[k % n]; runs until one fails or *stop.
Task<void> ChmodStorm(MdsService::Stub* stub, uint64_t ino, std::atomic<int>* acked,
                      const std::atomic<bool>* stop) {
  rpc::CallOptions options;
  options.timeout = 2s;
  for (int k = 0; !*stop; ++k) {
    mds::SetattrRequest r;
    r.set_ino(ino);
    r.set_mode(0400 + static_cast<uint32_t>(k % 0300));
    if (!(co_await stub->Setattr(r, options)).ok()) co_return;
    acked->store(k + 1);
  }
}

// Attribute changes are answered before their log sync (docs/mds.md, "Attribute changes"),
// but the log holds them already: a kill -9 loses none that was acknowledged.
TEST_F(MdsProcessTest, AcknowledgedAttributeChangesSurviveKillDashNine) {
  ASSERT_NO_FATAL_FAILURE(StartMgsWithOst());
  ASSERT_NO_FATAL_FAILURE(Mkfs());
  auto mds = StartReadyMds();
  std::atomic<int> acked{0};
  std::atomic<bool> stop{false};
  uint64_t ino = 0;
  {
    MdsTestClient client(mds_port_);
    auto file = client.Run(Create(client.stub(), kRoot, "f"));
    ASSERT_TRUE(file.ok()) << file.status().ToString();
    ino = file->inode().ino();
    std::thread chmodder([&] { client.Run(ChmodStorm(client.stub(), ino, &acked, &stop)); });
    for (int i = 0; i < 2000 && acked < 100; ++i) std::this_thread::sleep_for(5ms);
    mds->Signal(SIGKILL);
    EXPECT_EQ(mds->Wait(10s), 128 + SIGKILL);
    stop = true;
    chmodder.join();
  }
  int done = acked.load();
  ASSERT_GE(done, 100);
  mds = StartMds(Target());
  ASSERT_TRUE(mds->WaitForStderr("weft-MDT0000 open, serving on " + NidOf(mds_port_), 20s))
      << mds->err();
  MdsTestClient client(mds_port_);
  auto found = client.Run(Lookup(client.stub(), kRoot, "f"));
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  // The last acknowledged mode, or the one in flight at the kill.
  uint32_t last = 0400 + static_cast<uint32_t>((done - 1) % 0300);
  uint32_t in_flight = 0400 + static_cast<uint32_t>(done % 0300);
  uint32_t mode = found->inode().mode();
  EXPECT_TRUE(mode == last || mode == in_flight) << std::oct << mode << " " << last;

  // Sync (what fsync sends): ok for a file, a clear error for a malformed request.
  struct SyncCall {
    static Task<Result<mds::EmptyReply>> Run(MdsService::Stub* stub, uint64_t ino) {
      mds::SyncRequest r;
      r.set_ino(ino);
      co_return co_await stub->Sync(r, rpc::CallOptions());
    }
  };
  EXPECT_TRUE(client.Run(SyncCall::Run(client.stub(), ino)).ok());
  auto bad = client.Run(SyncCall::Run(client.stub(), 0));
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument) << bad.status().ToString();
}

// fsck refuses a target weft-mds is serving; on a stopped one it reports damage, repairs it,
// and then finds it clean.
TEST_F(MdsProcessTest, FsckRefusesAServedTargetAndRepairsAStoppedOne) {
  ASSERT_NO_FATAL_FAILURE(StartMgsWithOst());
  ASSERT_NO_FATAL_FAILURE(Mkfs());
  auto mds = StartReadyMds();
  CommandResult r = Weftctl({"fsck", "--mdt", Target()});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("is in use (is weft-mds running on it?)"));
  mds->Signal(SIGTERM);
  ASSERT_EQ(mds->Wait(20s), 0) << mds->err();
  {
    auto store = mds::RocksMdtStore::Open(Target() + "/db",
                                          mds::RocksMdtStore::OpenMode::kExisting);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    mds::WriteBatch b;
    b.Put(mds::Family::kXattrs, mds::XattrKey(4242, "user.stray"), "x");
    ASSERT_TRUE((*store)->Commit(b).ok());
  }
  r = Weftctl({"fsck", "--mdt", Target()});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("weft-MDT0000: xattr 'user.stray' of missing inode 4242"));
  EXPECT_THAT(r.out, HasSubstr("1 problems found"));
  r = Weftctl({"fsck", "--mdt", Target(), "--repair"});
  EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("1 problems repaired; now clean"));
  r = Weftctl({"fsck", "--mdt", Target()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  r = Weftctl({"fsck", "--mdt", dir_.path()});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("mkfs"));
}

}  // namespace
}  // namespace weft::test
