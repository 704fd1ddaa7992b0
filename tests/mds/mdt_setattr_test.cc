// setattr and access: owner rules for chmod, chown and utimes; truncate; root squash.
#include <fcntl.h>
#include <sys/stat.h>

#include "mds/root_squash.h"
#include "mdt_fixture.h"

namespace weft::mds::test {
namespace {

template <typename Store>
class SetattrTest : public MdtTest<Store> {
 protected:
  // A file owned by uid 1000, gid 1000, mode 0644, in a world-writable directory.
  void SetUp() override {
    auto dir = this->h.Mkdir(this->h.root(), "pub", 0777);
    ASSERT_TRUE(dir.ok());
    auto f = this->h.Create(dir->inode().ino(), "f", 0644, owner);
    ASSERT_TRUE(f.ok());
    ino = f->inode().ino();
  }
  SetattrRequest Req(const Credentials& cred) {
    SetattrRequest req;
    *req.mutable_cred() = cred;
    req.set_ino(ino);
    return req;
  }
  Credentials owner = Cred(1000, 1000, {20});
  Credentials other = Cred(2000, 2000);
  uint64_t ino = 0;
};
TYPED_TEST_SUITE(SetattrTest, StoreTypes);

TYPED_TEST(SetattrTest, ChmodOwnerOrRootOnly) {
  auto req = this->Req(this->other);
  req.set_mode(0600);
  EXPECT_CODE(this->h.mdt().Setattr(req), kNotPermitted);
  req = this->Req(this->owner);
  req.set_mode(0600);
  auto done = this->h.mdt().Setattr(req);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->inode().mode(), 0600u);
  EXPECT_GT(done->inode().ctime_ns(), done->inode().mtime_ns());
  req = this->Req(Cred(0, 0));
  req.set_mode(04755);
  EXPECT_EQ(this->h.mdt().Setattr(req)->inode().mode(), 04755u);
}

// The kernel clears setuid/setgid after a write with a chmod as the writer: a caller who may
// write may make that change, and only that one.
TYPED_TEST(SetattrTest, AWriterMayClearWhatAWriteClearsAndNothingElse) {
  auto set = this->Req(this->owner);
  set.set_mode(06766);
  ASSERT_TRUE(this->h.mdt().Setattr(set).ok());
  auto req = this->Req(this->other);
  for (uint32_t mode : {0766u, 06767u, 0666u, 06766u}) {  // not KillSuid(06766), or nothing
    SCOPED_TRACE(mode);
    req.set_mode(mode);
    EXPECT_CODE(this->h.mdt().Setattr(req), kNotPermitted);
  }
  req.set_mode(02766);  // setgid stays: no group-execute
  auto done = this->h.mdt().Setattr(req);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->inode().mode(), 02766u);
  // Without write access, not even that.
  set.set_mode(04774);
  ASSERT_TRUE(this->h.mdt().Setattr(set).ok());
  req.set_mode(0774);
  EXPECT_CODE(this->h.mdt().Setattr(req), kNotPermitted);
  EXPECT_EQ(this->h.Attr(this->ino).mode(), 04774u);
}

// ftruncate(2) of a descriptor open for writing needs no write access now: the open had it.
TYPED_TEST(SetattrTest, ATruncateThroughAnOpenFileNeedsOnlyTheOpen) {
  auto chmod = this->Req(this->owner);
  chmod.set_mode(0444);
  ASSERT_TRUE(this->h.mdt().Setattr(chmod).ok());
  auto req = this->Req(this->owner);
  req.set_size(3);
  EXPECT_CODE(this->h.mdt().Setattr(req), kPermissionDenied);
  req.set_through_open_file(true);
  EXPECT_CODE(this->h.mdt().Setattr(req), kPermissionDenied);  // not open anywhere
  OpenRequest open;
  *open.mutable_cred() = Cred(0, 0);
  open.set_ino(this->ino);
  open.set_flags(O_RDWR);
  ASSERT_TRUE(this->h.mdt().Open(open).ok());
  auto done = this->h.mdt().Setattr(req);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->inode().size(), 3u);
  req.set_through_open_file(false);
  EXPECT_CODE(this->h.mdt().Setattr(req), kPermissionDenied);  // truncate(2), by path
}

TYPED_TEST(SetattrTest, ChmodDropsSetgidOutsideTheGroup) {
  auto chown = this->Req(Cred(0, 0));
  chown.set_gid(55);
  ASSERT_TRUE(this->h.mdt().Setattr(chown).ok());
  auto req = this->Req(this->owner);
  req.set_mode(02755);
  EXPECT_EQ(this->h.mdt().Setattr(req)->inode().mode(), 0755u);
}

TYPED_TEST(SetattrTest, ChownRules) {
  auto req = this->Req(this->owner);
  req.set_uid(2000);
  EXPECT_CODE(this->h.mdt().Setattr(req), kNotPermitted);
  req = this->Req(this->owner);
  req.set_gid(20);  // a supplementary group of the owner
  EXPECT_EQ(this->h.mdt().Setattr(req)->inode().gid(), 20u);
  req = this->Req(this->owner);
  req.set_gid(30);
  EXPECT_CODE(this->h.mdt().Setattr(req), kNotPermitted);
  req = this->Req(this->other);
  req.set_gid(2000);
  EXPECT_CODE(this->h.mdt().Setattr(req), kNotPermitted);
  req = this->Req(Cred(0, 0));
  req.set_uid(3000);
  req.set_gid(3000);
  auto done = this->h.mdt().Setattr(req);
  EXPECT_EQ(done->inode().uid(), 3000u);
  EXPECT_EQ(done->inode().gid(), 3000u);
}

TYPED_TEST(SetattrTest, ChownClearsSetuidAndSetgid) {
  auto req = this->Req(Cred(0, 0));
  req.set_mode(06755);
  ASSERT_TRUE(this->h.mdt().Setattr(req).ok());
  req = this->Req(Cred(0, 0));
  req.set_uid(1000);
  EXPECT_EQ(this->h.mdt().Setattr(req)->inode().mode(), 0755u);
  req = this->Req(Cred(0, 0));
  req.set_mode(02745);  // setgid without group execute: mandatory locking, kept
  ASSERT_TRUE(this->h.mdt().Setattr(req).ok());
  req = this->Req(Cred(0, 0));
  req.set_gid(1000);
  EXPECT_EQ(this->h.mdt().Setattr(req)->inode().mode(), 02745u);
}

TYPED_TEST(SetattrTest, TruncateNeedsWriteAndSetsTimes) {
  auto req = this->Req(this->other);
  req.set_size(0);
  EXPECT_CODE(this->h.mdt().Setattr(req), kPermissionDenied);
  req = this->Req(this->owner);
  req.set_size(4096);
  auto done = this->h.mdt().Setattr(req);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->inode().size(), 4096u);
  EXPECT_EQ(done->inode().mtime_ns(), done->inode().ctime_ns());
  SetattrRequest dir;
  dir.set_ino(this->h.root());
  dir.set_size(0);
  EXPECT_CODE(this->h.mdt().Setattr(dir), kIsDirectory);
}

// A size report (size_grow_only): grows, never shrinks, and a report that changes nothing
// leaves ctime alone; while the file is open it needs no write access (a file created 0444 is
// written through its descriptor), when it is not open it does.
TYPED_TEST(SetattrTest, GrowOnlySizeReports) {
  auto req = this->Req(this->owner);
  req.set_size(8192);
  ASSERT_TRUE(this->h.mdt().Setattr(req).ok());
  auto before = this->h.mdt().Setattr(this->Req(this->owner));  // no change: reads the inode
  ASSERT_TRUE(before.ok());
  req = this->Req(this->other);
  req.set_size(100);
  req.set_size_grow_only(true);
  auto smaller = this->h.mdt().Setattr(req);
  ASSERT_TRUE(smaller.ok()) << smaller.status().ToString();
  EXPECT_EQ(smaller->inode().size(), 8192u);
  EXPECT_EQ(smaller->inode().ctime_ns(), before->inode().ctime_ns());
  req.set_size(10000);
  EXPECT_CODE(this->h.mdt().Setattr(req), kPermissionDenied);  // not open: needs write access
  OpenRequest open;
  *open.mutable_cred() = this->owner;
  open.set_ino(this->ino);
  open.set_flags(O_WRONLY);
  ASSERT_TRUE(this->h.mdt().Open(open).ok());
  auto mode = this->Req(this->owner);
  mode.set_mode(0444);
  ASSERT_TRUE(this->h.mdt().Setattr(mode).ok());
  req = this->Req(this->owner);
  req.set_size(10000);
  req.set_size_grow_only(true);
  auto grown = this->h.mdt().Setattr(req);
  ASSERT_TRUE(grown.ok()) << grown.status().ToString();
  EXPECT_EQ(grown->inode().size(), 10000u);
  EXPECT_EQ(grown->inode().mtime_ns(), grown->inode().ctime_ns());
  req.set_size_grow_only(false);
  req.set_size(1);
  EXPECT_CODE(this->h.mdt().Setattr(req), kPermissionDenied);  // a truncate still needs it
}

// A report of written data (data_written) moves mtime and ctime even when the size does not
// grow, as write(2) does; it needs the file open (or write access) as a size report does, and a
// non-root writer loses set-user-ID. Close carries the same.
TYPED_TEST(SetattrTest, DataWrittenMovesMtimeWithoutGrowing) {
  auto req = this->Req(this->owner);
  req.set_size(4096);
  req.set_mode(04755);
  ASSERT_TRUE(this->h.mdt().Setattr(req).ok());
  auto before = this->h.mdt().Setattr(this->Req(this->owner));
  ASSERT_TRUE(before.ok());
  req = this->Req(this->owner);
  req.set_size(100);  // smaller: the size stays
  req.set_size_grow_only(true);
  req.set_data_written(true);
  auto written = this->h.mdt().Setattr(req);
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  EXPECT_EQ(written->inode().size(), 4096u);
  EXPECT_GT(written->inode().mtime_ns(), before->inode().mtime_ns());
  EXPECT_EQ(written->inode().mtime_ns(), written->inode().ctime_ns());
  EXPECT_EQ(written->inode().mode() & 07777, 0755u);  // the owner is not root
  *req.mutable_cred() = this->other;
  EXPECT_CODE(this->h.mdt().Setattr(req), kPermissionDenied);  // not open, no write access

  OpenRequest open;
  *open.mutable_cred() = this->owner;
  open.set_ino(this->ino);
  open.set_flags(O_WRONLY);
  ASSERT_TRUE(this->h.mdt().Open(open).ok());
  CloseRequest close;
  *close.mutable_cred() = this->owner;
  close.set_ino(this->ino);
  close.set_size(10);
  close.set_data_written(true);
  ASSERT_TRUE(this->h.mdt().Close(close).ok());
  GetattrRequest get;
  *get.mutable_cred() = this->owner;
  get.set_ino(this->ino);
  auto after = this->h.mdt().Getattr(get);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->inode().size(), 4096u);
  EXPECT_GT(after->inode().mtime_ns(), written->inode().mtime_ns());
}

TYPED_TEST(SetattrTest, UtimesRules) {
  auto req = this->Req(this->other);
  req.mutable_mtime()->set_how(TimeSet::SET);
  req.mutable_mtime()->set_ns(123);
  EXPECT_CODE(this->h.mdt().Setattr(req), kNotPermitted);
  req = this->Req(this->other);
  req.mutable_atime()->set_how(TimeSet::NOW);
  req.mutable_mtime()->set_how(TimeSet::NOW);
  EXPECT_CODE(this->h.mdt().Setattr(req), kPermissionDenied);  // no write permission
  req = this->Req(this->owner);
  req.mutable_atime()->set_how(TimeSet::SET);
  req.mutable_atime()->set_ns(111);
  req.mutable_mtime()->set_how(TimeSet::SET);
  req.mutable_mtime()->set_ns(222);
  auto done = this->h.mdt().Setattr(req);
  EXPECT_EQ(done->inode().atime_ns(), 111);
  EXPECT_EQ(done->inode().mtime_ns(), 222);
  req = this->Req(this->owner);
  req.mutable_atime()->set_how(TimeSet::NOW);  // mtime omitted: kept
  done = this->h.mdt().Setattr(req);
  EXPECT_EQ(done->inode().mtime_ns(), 222);
  EXPECT_EQ(done->inode().atime_ns(), done->inode().ctime_ns());
  // With write permission, "now" is allowed to a non-owner.
  auto chmod = this->Req(this->owner);
  chmod.set_mode(0666);
  ASSERT_TRUE(this->h.mdt().Setattr(chmod).ok());
  req = this->Req(this->other);
  req.mutable_mtime()->set_how(TimeSet::NOW);
  EXPECT_TRUE(this->h.mdt().Setattr(req).ok());
}

TYPED_TEST(SetattrTest, AccessByModeBitsAndGroups) {
  auto chmod = this->Req(this->owner);
  chmod.set_mode(0640);
  chmod.set_gid(20);
  ASSERT_TRUE(this->h.mdt().Setattr(chmod).ok());
  AccessRequest req;
  req.set_ino(this->ino);
  auto check = [&](const Credentials& cred, uint32_t mask) {
    *req.mutable_cred() = cred;
    req.set_mask(mask);
    return this->h.mdt().Access(req).ok();
  };
  EXPECT_TRUE(check(this->owner, 4 | 2));
  EXPECT_FALSE(check(this->owner, 1));
  EXPECT_TRUE(check(Cred(3000, 3000, {20}), 4));
  EXPECT_FALSE(check(Cred(3000, 3000, {20}), 2));
  EXPECT_FALSE(check(this->other, 4));
  EXPECT_TRUE(check(this->other, 0));
  EXPECT_TRUE(check(Cred(0, 0), 4 | 2));
  EXPECT_FALSE(check(Cred(0, 0), 1));  // root executes only what someone may execute
  req.set_mask(8);
  EXPECT_CODE(this->h.mdt().Access(req), kInvalidArgument);
}

TYPED_TEST(SetattrTest, OtherUsersCannotUseAPrivateDirectory) {
  auto priv = this->h.Mkdir(this->h.root(), "priv", 0700, this->owner);
  ASSERT_FALSE(priv.ok());  // root's directory is 0755: only root may make entries
  auto home = this->h.Mkdir(this->h.root(), "home", 0700);
  ASSERT_TRUE(home.ok());
  uint64_t d = home->inode().ino();
  EXPECT_CODE(this->h.Create(d, "x", 0644, this->other), kPermissionDenied);
  ASSERT_TRUE(this->h.Create(d, "x").ok());
  EXPECT_CODE(this->h.Lookup(d, "x", this->other), kPermissionDenied);
  EXPECT_CODE(this->h.Unlink(d, "x", this->other), kPermissionDenied);
}

TEST(RootSquashTest, Modes) {
  RootSquash squash;
  squash.squash_uid = 99;
  squash.squash_gid = 98;
  squash.exempt_nids = {"10.0.0.1@tcp"};
  Credentials root = Cred(0, 0, {0, 5});
  Credentials user = Cred(1000, 1000, {5});
  Credentials c = root;
  ApplyRootSquash(squash, "10.0.0.2@tcp", &c);
  EXPECT_EQ(c.uid(), 0u);  // mode none
  squash.mode = SquashMode::kRootOnly;
  ApplyRootSquash(squash, "10.0.0.2@tcp", &c);
  EXPECT_EQ(c.uid(), 99u);
  EXPECT_EQ(c.gid(), 98u);
  EXPECT_EQ(c.groups_size(), 0);
  c = user;
  ApplyRootSquash(squash, "10.0.0.2@tcp", &c);
  EXPECT_EQ(c.uid(), 1000u);
  c = root;
  ApplyRootSquash(squash, "10.0.0.1@tcp", &c);
  EXPECT_EQ(c.uid(), 0u);
  squash.mode = SquashMode::kAll;
  c = user;
  ApplyRootSquash(squash, "10.0.0.2@tcp", &c);
  EXPECT_EQ(c.uid(), 99u);
  EXPECT_EQ(*ParseSquashMode("root_only"), SquashMode::kRootOnly);
  EXPECT_FALSE(ParseSquashMode("some").ok());
}

TYPED_TEST(SetattrTest, SquashedRootIsRefusedLikeAnyUser) {
  RootSquash squash;
  squash.mode = SquashMode::kRootOnly;
  Credentials cred = Cred(0, 0);
  ApplyRootSquash(squash, "10.0.0.9@tcp", &cred);
  auto home = this->h.Mkdir(this->h.root(), "home", 0700);
  ASSERT_TRUE(home.ok());
  EXPECT_CODE(this->h.Create(home->inode().ino(), "x", 0644, cred), kPermissionDenied);
  auto req = this->Req(cred);
  req.set_mode(0777);
  EXPECT_CODE(this->h.mdt().Setattr(req), kNotPermitted);
}

}  // namespace
}  // namespace weft::mds::test
