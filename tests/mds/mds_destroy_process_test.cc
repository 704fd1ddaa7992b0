// The MDS's background work against real processes: weft-mgs, weft-oss and weft-mds on
// loopback. Unlinking a file destroys its object on the OST (also when the OSS was down at the
// time and the MDS restarted meanwhile); reply records are trimmed to mds.reply_records_keep.
#include <filesystem>

#include "../oss/oss_fixture.h"
#include "mds/keys.h"
#include "mds/store/rocks_mdt_store.h"
#include "mds_process_fixture.h"

namespace weft::test {
namespace {

using ::testing::HasSubstr;

Task<Result<mgs::GetConfigReply>> GetConfig(mgs::MgsService::Stub* stub) {
  co_return co_await stub->GetConfig(mgs::GetConfigRequest());
}

class MdsDestroyTest : public MdsProcessTest {
 protected:
  std::string Ost() const { return dir_.path() + "/ost0"; }
  std::string OssNid() const { return NidOf(oss_port_); }

  void MkfsOst() {
    CommandResult r = Weftctl({"mkfs", "--ost", "--fsname", "weft", "--index", "0", "--mgs",
                               NidOf(mgs_port_), Ost()});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }
  std::unique_ptr<Subprocess> StartOss() {
    auto oss = std::make_unique<Subprocess>(
        std::vector<std::string>{BinaryPath("src/oss/weft-oss"), "--target", Ost(),
                                 "--oss.listen=" + OssNid(), "--oss.heartbeat_interval_ms=100"},
        Output("oss"));
    EXPECT_TRUE(oss->WaitForStderr("weft-OST0000 registered with the MGS", 20s)) << oss->err();
    return oss;
  }
  // weft-mds retrying failed destroys quickly.
  std::unique_ptr<Subprocess> StartDestroyingMds() {
    return StartReadyMds({"--mds.destroy_retry_ms=100"});
  }

  // Creates `name` in the root, retrying while the MDS does not yet know an UP OST.
  uint64_t CreateFile(MdsTestClient& client, const std::string& name) {
    for (int i = 0; i < 200; ++i) {
      auto made = client.Run(Create(client.stub(), kRoot, name));
      if (made.ok()) {
        EXPECT_EQ(made->inode().layout().objects_size(), 1);
        return made->inode().ino();
      }
      if (made.status().code() != StatusCode::kNoSpace) {
        ADD_FAILURE() << made.status().ToString();
        return 0;
      }
      std::this_thread::sleep_for(50ms);
    }
    ADD_FAILURE() << "no OST became usable";
    return 0;
  }

  // Writes stripe 0 of `ino` on the OSS, as a client would.
  void WriteObject(uint64_t ino) {
    OssClient oss(oss_port_, 10s);
    Status st = oss.Run(OssClient::WriteAt(oss.stub(), 0, Oid(ino, 0), 0, std::string(8192, 'x')));
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  // Whether the OST directory holds the object file of stripe 0 of `ino`.
  bool ObjectExists(uint64_t ino) {
    char name[64];
    std::snprintf(name, sizeof(name), "%llx.0", static_cast<unsigned long long>(ino));
    for (const auto& e : std::filesystem::recursive_directory_iterator(Ost())) {
      if (e.path().filename() == name) return true;
    }
    return false;
  }
  bool WaitObjectGone(uint64_t ino, std::chrono::milliseconds limit) {
    for (auto end = std::chrono::steady_clock::now() + limit;
         std::chrono::steady_clock::now() < end; std::this_thread::sleep_for(50ms)) {
      if (!ObjectExists(ino)) return true;
    }
    return false;
  }

  // Whether the stopped MDT's destroy queue holds `ino`.
  bool Queued(uint64_t ino) {
    auto store = mds::RocksMdtStore::Open(Target() + "/db",
                                          mds::RocksMdtStore::OpenMode::kExisting);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    if (!store.ok()) return false;
    auto value = (*store)->Get(mds::Family::kOrphans, mds::InodeKey(ino));
    mds::Orphan orphan;
    return value.ok() && orphan.ParseFromString(*value) && orphan.reason() == mds::Orphan::DESTROY;
  }

  // Waits until the MGS reports OST 0 DOWN, and a little longer for the MDS to hear of it.
  void WaitOstDown() {
    MgsTestClient mgs(mgs_port_);
    for (int i = 0; i < 100; ++i) {
      auto config = mgs.Run(GetConfig(&mgs.stub()));
      ASSERT_TRUE(config.ok()) << config.status().ToString();
      for (const auto& t : config->targets()) {
        if (t.type() == mgs::OST && t.state() == mgs::DOWN) {
          std::this_thread::sleep_for(300ms);
          return;
        }
      }
      std::this_thread::sleep_for(100ms);
    }
    FAIL() << "the MGS never marked the stopped OST down";
  }

  uint16_t oss_port_ = FreePort();
};

TEST_F(MdsDestroyTest, UnlinkDestroysTheObjectOnTheOst) {
  ASSERT_NO_FATAL_FAILURE(StartMgs());
  ASSERT_NO_FATAL_FAILURE(MkfsOst());
  ASSERT_NO_FATAL_FAILURE(Mkfs());
  auto oss = StartOss();
  auto mds = StartDestroyingMds();
  MdsTestClient client(mds_port_);
  uint64_t ino = CreateFile(client, "doomed");
  ASSERT_NE(ino, 0u);
  uint64_t kept = CreateFile(client, "kept");
  ASSERT_NO_FATAL_FAILURE(WriteObject(ino));
  ASSERT_NO_FATAL_FAILURE(WriteObject(kept));
  ASSERT_TRUE(ObjectExists(ino));

  ASSERT_TRUE(client.Run(Unlink(client.stub(), kRoot, "doomed")).ok());
  EXPECT_TRUE(WaitObjectGone(ino, 10s)) << mds->err();
  EXPECT_TRUE(ObjectExists(kept));
  mds->Signal(SIGTERM);
  ASSERT_EQ(mds->Wait(20s), 0) << mds->err();
  EXPECT_FALSE(Queued(ino));
  EXPECT_TRUE(ObjectExists(kept));
}

// The OSS is down when the file goes: the item stays queued across an MDS restart, and the
// object goes once the OSS is back.
TEST_F(MdsDestroyTest, AQueuedDestroyWaitsForItsOssAcrossAnMdsRestart) {
  ASSERT_NO_FATAL_FAILURE(StartMgs(/*down_after_ms=*/500));
  ASSERT_NO_FATAL_FAILURE(MkfsOst());
  ASSERT_NO_FATAL_FAILURE(Mkfs());
  auto oss = StartOss();
  auto mds = StartDestroyingMds();
  uint64_t ino = 0;
  {
    MdsTestClient client(mds_port_);
    ino = CreateFile(client, "doomed");
    ASSERT_NE(ino, 0u);
    ASSERT_NO_FATAL_FAILURE(WriteObject(ino));
    oss->Signal(SIGTERM);
    ASSERT_EQ(oss->Wait(20s), 0) << oss->err();
    ASSERT_NO_FATAL_FAILURE(WaitOstDown());
    ASSERT_TRUE(client.Run(Unlink(client.stub(), kRoot, "doomed")).ok());
  }
  std::this_thread::sleep_for(1000ms);  // the worker looks at the item meanwhile, and waits
  mds->Signal(SIGTERM);
  ASSERT_EQ(mds->Wait(20s), 0) << mds->err();
  EXPECT_TRUE(ObjectExists(ino));
  EXPECT_TRUE(Queued(ino)) << "the destroy left the queue while its OSS was down";

  mds = StartDestroyingMds();
  oss = StartOss();
  EXPECT_TRUE(WaitObjectGone(ino, 20s)) << mds->err();
  mds->Signal(SIGTERM);
  ASSERT_EQ(mds->Wait(20s), 0) << mds->err();
  EXPECT_FALSE(Queued(ino));
}

// Reply records beyond mds.reply_records_keep are trimmed while the MDS runs.
TEST_F(MdsDestroyTest, ReplyRecordsAreTrimmedToTheNumberKept) {
  ASSERT_NO_FATAL_FAILURE(StartMgsWithOst());
  ASSERT_NO_FATAL_FAILURE(Mkfs());
  auto mds = StartReadyMds({"--mds.reply_records_keep=5", "--mds.reply_trim_ms=100"});
  {
    MdsTestClient client(mds_port_);
    for (int i = 0; i < 30; ++i) {
      ASSERT_TRUE(client.Run(Mkdir(client.stub(), kRoot, "d" + std::to_string(i))).ok());
    }
  }
  std::this_thread::sleep_for(500ms);
  mds->Signal(SIGTERM);
  ASSERT_EQ(mds->Wait(20s), 0) << mds->err();
  auto store = mds::RocksMdtStore::Open(Target() + "/db", mds::RocksMdtStore::OpenMode::kExisting);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  int records = 0, index = 0;
  uint64_t newest = 0;
  ASSERT_TRUE((*store)->Scan(mds::Family::kMeta, "reply/", "reply/", [&](auto, auto) {
    ++records;
    return true;
  }).ok());
  ASSERT_TRUE((*store)->Scan(mds::Family::kMeta, mds::kReplySeqPrefix, mds::kReplySeqPrefix,
                             [&](std::string_view key, auto) {
                               ++index;
                               newest = mds::ReadU64(key.substr(mds::kReplySeqPrefix.size()));
                               return true;
                             }).ok());
  EXPECT_EQ(records, 5);
  EXPECT_EQ(index, 5);
  EXPECT_EQ(newest, 30u) << "the newest records are the ones kept";
}

}  // namespace
}  // namespace weft::test
