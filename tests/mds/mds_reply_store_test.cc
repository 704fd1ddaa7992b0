// The RPC server's view of the MDT's reply records: a resent mutating call is answered with
// the original reply, from the record written with the change, also after a reopen.
#include "mds/service/mds_reply_store.h"

#include <gtest/gtest.h>

#include "mdt_fixture.h"
#include "rpc.pb.h"

namespace weft::mds::test {
namespace {

class MdsReplyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = RocksStore::Make(dir_.path());
    ASSERT_TRUE(Mdt::Format(*store, FormatOptions{}).ok());
    allocator_.Update({OstState{0, true, 1 << 30}});
    Open(std::move(store));
  }
  void Open(std::unique_ptr<MdtStore> store) {
    auto mdt = Mdt::Open(std::move(store), &allocator_);
    ASSERT_TRUE(mdt.ok()) << mdt.status().ToString();
    mdt_ = std::move(mdt).value();
  }
  CreateRequest Create(const std::string& name) {
    CreateRequest r;
    r.set_parent(mdt_->root_ino());
    r.set_name(name);
    r.set_mode(0644);
    r.set_exclusive(true);
    return r;
  }

  TempDir dir_;
  RoundRobinOstAllocator allocator_;
  std::unique_ptr<Mdt> mdt_;
};

TEST_F(MdsReplyStoreTest, ResentCreateIsAnsweredFromTheRecordAcrossAReopen) {
  ReplyTag tag{7, 41};
  auto created = mdt_->Create(Create("f"), &tag);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  mdt_.reset();
  Open(RocksStore::Make(dir_.path()));
  MdtReplyStore replies(*mdt_);

  std::optional<rpc::RecordedReply> rec = replies.Lookup(7, 41);
  ASSERT_TRUE(rec.has_value());
  EXPECT_EQ(rec->status, 0);
  EntryReply answer;
  ASSERT_TRUE(answer.ParseFromString(rec->body));
  EXPECT_EQ(answer.inode().ino(), created->inode().ino());
  EXPECT_FALSE(replies.Lookup(7, 42).has_value());
  EXPECT_FALSE(replies.Lookup(8, 41).has_value());
}

TEST_F(MdsReplyStoreTest, ARecordedErrorIsAnsweredAsTheSameError) {
  MdtReplyStore replies(*mdt_);
  ASSERT_TRUE(mdt_->Create(Create("f")).ok());
  ReplyTag tag{9, 1};
  auto again = mdt_->Create(Create("f"), &tag);
  ASSERT_EQ(again.status().code(), StatusCode::kAlreadyExists);
  EXPECT_FALSE(replies.Lookup(9, 1).has_value());  // a failed call records nothing itself

  rpc::ErrorBody err;
  err.set_message(again.status().message());
  replies.Record(9, 1, rpc::RecordedReply{static_cast<int32_t>(again.status().code()),
                                          err.SerializeAsString()});
  std::optional<rpc::RecordedReply> rec = replies.Lookup(9, 1);
  ASSERT_TRUE(rec.has_value());
  EXPECT_EQ(rec->status, static_cast<int32_t>(StatusCode::kAlreadyExists));
  ASSERT_TRUE(err.ParseFromString(rec->body));
  EXPECT_EQ(err.message(), again.status().message());
}

// Open and close records live in memory, as the open counts they protect do: answered while
// the MDS runs, gone with a restart (and never written to RocksDB).
TEST_F(MdsReplyStoreTest, VolatileRecordsAnswerUntilARestart) {
  {
    MdtReplyStore replies(*mdt_);
    replies.RecordVolatile(5, 9, rpc::RecordedReply{0, "close reply"});
    std::optional<rpc::RecordedReply> rec = replies.Lookup(5, 9);
    ASSERT_TRUE(rec.has_value());
    EXPECT_EQ(rec->body, "close reply");
    EXPECT_FALSE(replies.Lookup(5, 10).has_value());
  }
  mdt_.reset();
  Open(RocksStore::Make(dir_.path()));
  MdtReplyStore replies(*mdt_);
  EXPECT_FALSE(replies.Lookup(5, 9).has_value());
}

}  // namespace
}  // namespace weft::mds::test
