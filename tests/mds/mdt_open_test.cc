// Open files and orphans, statfs, the destroy queue, exactly-once records, and restarts.
#include <fcntl.h>

#include "mds/keys.h"
#include "mdt_fixture.h"

namespace weft::mds::test {
namespace {

template <typename Store>
class OpenTest : public MdtTest<Store> {
 protected:
  Result<AttrReply> Open(uint64_t ino, uint32_t flags, const Credentials& cred = Cred(0, 0)) {
    OpenRequest req;
    *req.mutable_cred() = cred;
    req.set_ino(ino);
    req.set_flags(flags);
    return this->h.mdt().Open(req);
  }
  Result<EmptyReply> Close(uint64_t ino, std::optional<uint64_t> size = std::nullopt) {
    CloseRequest req;
    req.set_ino(ino);
    if (size) req.set_size(*size);
    return this->h.mdt().Close(req);
  }
  uint64_t InodesUsed() { return this->h.mdt().Statfs(StatfsRequest())->inodes_used(); }
};
TYPED_TEST_SUITE(OpenTest, StoreTypes);

TYPED_TEST(OpenTest, UnlinkWhileOpenKeepsTheInodeUntilLastClose) {
  auto f = this->h.Create(this->h.root(), "f");
  uint64_t ino = f->inode().ino();
  ASSERT_TRUE(this->Open(ino, O_RDWR).ok());
  ASSERT_TRUE(this->Open(ino, O_RDONLY).ok());
  EXPECT_EQ(this->h.mdt().OpenCount(ino), 2u);
  ASSERT_TRUE(this->h.Unlink(this->h.root(), "f").ok());
  EXPECT_CODE(this->h.Lookup(this->h.root(), "f"), kNotFound);
  EXPECT_EQ(this->h.Attr(ino).nlink(), 0u);
  EXPECT_TRUE(this->h.mdt().store().Get(Family::kOrphans, InodeKey(ino)).ok());
  EXPECT_TRUE(this->h.mdt().PendingDestroys(10)->empty());
  ASSERT_TRUE(this->Close(ino, 100).ok());
  EXPECT_TRUE(this->h.Exists(ino));
  ASSERT_TRUE(this->Close(ino).ok());
  EXPECT_FALSE(this->h.Exists(ino));
  auto queued = this->h.mdt().PendingDestroys(10);
  ASSERT_EQ(queued->size(), 1u);
  EXPECT_EQ((*queued)[0].ino, ino);
  EXPECT_EQ((*queued)[0].layout.objects_size(), 1);
  ASSERT_TRUE(this->h.mdt().DestroyDone(ino).ok());
  EXPECT_TRUE(this->h.mdt().PendingDestroys(10)->empty());
  EXPECT_CODE(this->Close(ino), kInvalidArgument);
}

TYPED_TEST(OpenTest, OpenChecksAccessAndTruncates) {
  auto f = this->h.Create(this->h.root(), "f", 0644);
  uint64_t ino = f->inode().ino();
  EXPECT_CODE(this->Open(ino, O_WRONLY, Cred(1000, 1000)), kPermissionDenied);
  EXPECT_TRUE(this->Open(ino, O_RDONLY, Cred(1000, 1000)).ok());
  ASSERT_TRUE(this->Close(ino, 5000).ok());
  EXPECT_EQ(this->h.Attr(ino).size(), 5000u);
  ASSERT_TRUE(this->Open(ino, O_RDONLY).ok());
  ASSERT_TRUE(this->Close(ino, 10).ok());  // the largest size reported wins
  EXPECT_EQ(this->h.Attr(ino).size(), 5000u);
  auto truncated = this->Open(ino, O_WRONLY | O_TRUNC);
  ASSERT_TRUE(truncated.ok());
  EXPECT_EQ(truncated->inode().size(), 0u);
  ASSERT_TRUE(this->Close(ino).ok());
  EXPECT_CODE(this->Open(this->h.root(), O_RDWR), kIsDirectory);
  EXPECT_TRUE(this->Open(this->h.root(), O_RDONLY).ok());
  EXPECT_EQ(this->h.mdt().OpenCount(this->h.root()), 1u);
}

TYPED_TEST(OpenTest, CreateWithOpenCountsAnOpen) {
  CreateRequest req;
  req.set_parent(this->h.root());
  req.set_name("f");
  req.set_mode(0600);
  req.set_open(true);
  auto made = this->h.mdt().Create(req);
  ASSERT_TRUE(made.ok());
  EXPECT_EQ(this->h.mdt().OpenCount(made->inode().ino()), 1u);
  req.set_open_flags(O_RDWR);
  auto again = this->h.mdt().Create(req);  // not exclusive: opens the existing file
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created());
  EXPECT_EQ(this->h.mdt().OpenCount(made->inode().ino()), 2u);
}

TYPED_TEST(OpenTest, StatfsCountsInodes) {
  uint64_t base = this->InodesUsed();
  EXPECT_EQ(base, 1u);  // the root
  auto d = this->h.Mkdir(this->h.root(), "d");
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(this->h.Create(d->inode().ino(), std::to_string(i)).ok());
  EXPECT_EQ(this->InodesUsed(), 12u);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(this->h.Unlink(d->inode().ino(), std::to_string(i)).ok());
  ASSERT_TRUE(this->h.Rmdir(this->h.root(), "d").ok());
  EXPECT_EQ(this->InodesUsed(), 1u);
  auto st = this->h.mdt().Statfs(StatfsRequest());
  EXPECT_EQ(st->inodes_free(), st->inodes_total() - 1);
  EXPECT_EQ(st->name_max(), 255u);
}

TYPED_TEST(OpenTest, ReplyIsRecordedInTheSameBatch) {
  CreateRequest req;
  req.set_parent(this->h.root());
  req.set_name("f");
  req.set_mode(0644);
  req.set_exclusive(true);
  ReplyTag tag{7, 42};
  auto made = this->h.mdt().Create(req, &tag);
  ASSERT_TRUE(made.ok());
  auto record = this->h.mdt().LookupReply(7, 42);
  ASSERT_TRUE(record.ok());
  ASSERT_TRUE(record->has_value());
  EXPECT_EQ((*record)->status, 0);
  EntryReply decoded;
  ASSERT_TRUE(decoded.ParseFromString((*record)->body));
  EXPECT_EQ(decoded.inode().ino(), made->inode().ino());
  EXPECT_FALSE(this->h.mdt().LookupReply(7, 43)->has_value());
  EXPECT_FALSE(this->h.mdt().LookupReply(8, 42)->has_value());
  // A failure changes nothing and records nothing; the caller may record it.
  ReplyTag again{7, 44};
  EXPECT_CODE(this->h.mdt().Create(req, &again), kAlreadyExists);
  EXPECT_FALSE(this->h.mdt().LookupReply(7, 44)->has_value());
  ASSERT_TRUE(this->h.mdt().RecordReply(7, 44, {2, "no"}).ok());
  EXPECT_EQ((*this->h.mdt().LookupReply(7, 44))->body, "no");
}

TYPED_TEST(OpenTest, TrimKeepsTheNewestRecords) {
  auto mkdir_recorded = [this](uint64_t from, uint64_t to) {
    for (uint64_t i = from; i <= to; ++i) {
      MkdirRequest req;
      req.set_parent(this->h.root());
      req.set_name("d" + std::to_string(i));
      ReplyTag tag{1, i};
      ASSERT_TRUE(this->h.mdt().Mkdir(req, &tag).ok());
    }
  };
  mkdir_recorded(1, 10);
  ASSERT_TRUE(this->h.mdt().TrimReplies(3).ok());
  for (uint64_t i = 1; i <= 10; ++i) {
    EXPECT_EQ(this->h.mdt().LookupReply(1, i)->has_value(), i > 7) << i;
  }
  // A later trim starts where this one stopped, and still leaves only the newest.
  mkdir_recorded(11, 15);
  ASSERT_TRUE(this->h.mdt().TrimReplies(3).ok());
  ASSERT_TRUE(this->h.mdt().TrimReplies(3).ok());  // nothing more to do
  for (uint64_t i = 1; i <= 15; ++i) {
    EXPECT_EQ(this->h.mdt().LookupReply(1, i)->has_value(), i > 12) << i;
  }
}

// Restarts: only the RocksDB store outlives its Mdt.
class RestartTest : public ::testing::Test {
 protected:
  std::unique_ptr<Mdt> OpenMdt(bool format) {
    auto store = RocksMdtStore::Open(dir.path() + "/mdt", RocksMdtStore::OpenMode::kCreate);
    EXPECT_TRUE(store.ok());
    if (format) {
      EXPECT_TRUE(Mdt::Format(**store, FormatOptions()).ok());
    }
    auto mdt = Mdt::Open(std::move(store).value(), &allocator);
    EXPECT_TRUE(mdt.ok()) << mdt.status().ToString();
    return std::move(mdt).value();
  }
  TempDir dir;
  RoundRobinOstAllocator allocator;
  void SetUp() override { FourOsts(&allocator); }
};

TEST_F(RestartTest, EverythingIsThereAfterReopen) {
  uint64_t dir_ino = 0, file_ino = 0;
  {
    auto mdt = OpenMdt(true);
    MkdirRequest mk;
    mk.set_parent(mdt->root_ino());
    mk.set_name("d");
    mk.set_mode(0700);
    dir_ino = mdt->Mkdir(mk)->inode().ino();
    CreateRequest cr;
    cr.set_parent(dir_ino);
    cr.set_name("f");
    ReplyTag tag{3, 9};
    file_ino = mdt->Create(cr, &tag)->inode().ino();
    SetxattrRequest sx;
    sx.set_ino(file_ino);
    sx.set_name("user.k");
    sx.set_value("v");
    ASSERT_TRUE(mdt->Setxattr(sx).ok());
  }
  auto mdt = OpenMdt(false);
  LookupRequest lk;
  lk.set_parent(mdt->root_ino());
  lk.set_name("d");
  EXPECT_EQ(mdt->Lookup(lk)->inode().mode(), 0700u);
  lk.set_parent(dir_ino);
  lk.set_name("f");
  EXPECT_EQ(mdt->Lookup(lk)->inode().ino(), file_ino);
  GetxattrRequest gx;
  gx.set_ino(file_ino);
  gx.set_name("user.k");
  gx.set_size(10);
  EXPECT_EQ(mdt->Getxattr(gx)->value(), "v");
  EXPECT_TRUE(mdt->LookupReply(3, 9)->has_value());
  EXPECT_EQ(mdt->Statfs(StatfsRequest())->inodes_used(), 3u);
  CreateRequest cr;
  cr.set_parent(dir_ino);
  cr.set_name("g");
  EXPECT_GT(mdt->Create(cr)->inode().ino(), file_ino);  // numbers are never reused
}

TEST_F(RestartTest, OrphansOfTheLastRunAreCleaned) {
  uint64_t ino = 0;
  {
    auto mdt = OpenMdt(true);
    CreateRequest cr;
    cr.set_parent(mdt->root_ino());
    cr.set_name("f");
    cr.set_open(true);
    ino = mdt->Create(cr)->inode().ino();
    UnlinkRequest ul;
    ul.set_parent(mdt->root_ino());
    ul.set_name("f");
    ASSERT_TRUE(mdt->Unlink(ul).ok());
    GetattrRequest ga;
    ga.set_ino(ino);
    ASSERT_TRUE(mdt->Getattr(ga).ok());
  }
  auto mdt = OpenMdt(false);
  GetattrRequest ga;
  ga.set_ino(ino);
  EXPECT_CODE(mdt->Getattr(ga), kNotFound);
  auto queued = mdt->PendingDestroys(10);
  ASSERT_EQ(queued->size(), 1u);
  EXPECT_EQ((*queued)[0].ino, ino);
  EXPECT_EQ(mdt->Statfs(StatfsRequest())->inodes_used(), 1u);
}

TEST(MdtOpenTest, UnformattedStoreIsRefused) {
  RoundRobinOstAllocator allocator;
  auto mdt = Mdt::Open(std::make_unique<MemoryMdtStore>(), &allocator);
  EXPECT_EQ(mdt.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace weft::mds::test
