// Making and removing names: create, mknod, mkdir, symlink, link, lookup, unlink, rmdir.
#include <fcntl.h>
#include <sys/stat.h>

#include "mdt_fixture.h"

namespace weft::mds::test {
namespace {

TYPED_TEST_SUITE(MdtTest, StoreTypes);

TYPED_TEST(MdtTest, FormatMakesAnEmptyRootDirectory) {
  Inode root = this->h.Attr(this->h.root());
  EXPECT_EQ(root.type(), DIRECTORY);
  EXPECT_EQ(root.nlink(), 2u);
  EXPECT_EQ(root.mode(), 0755u);
  EXPECT_TRUE(this->h.List(this->h.root()).empty());
  EXPECT_EQ(this->h.root() >> 48, 0u);
  EXPECT_FALSE(Mdt::Format(this->h.mdt().store(), FormatOptions()).ok());
}

TYPED_TEST(MdtTest, CreateThenLookupAndGetattr) {
  SetattrRequest chmod;
  chmod.set_ino(this->h.root());
  chmod.set_mode(0777);
  ASSERT_TRUE(this->h.mdt().Setattr(chmod).ok());
  auto made = this->h.Create(this->h.root(), "f", 0640, Cred(1000, 100));
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  const Inode& f = made->inode();
  EXPECT_TRUE(made->created());
  EXPECT_EQ(f.type(), REGULAR);
  EXPECT_EQ(f.mode(), 0640u);
  EXPECT_EQ(f.uid(), 1000u);
  EXPECT_EQ(f.gid(), 100u);
  EXPECT_EQ(f.nlink(), 1u);
  EXPECT_EQ(f.layout().stripe_count(), 1);
  EXPECT_EQ(f.layout().objects(0).object_id(), f.ino());
  EXPECT_EQ(this->h.Lookup(this->h.root(), "f")->inode().ino(), f.ino());
  Inode root = this->h.Attr(this->h.root());
  EXPECT_EQ(root.mtime_ns(), f.ctime_ns());
  EXPECT_EQ(root.ctime_ns(), f.ctime_ns());
  EXPECT_EQ(this->h.List(this->h.root()), std::vector<std::string>{"f"});
}

TYPED_TEST(MdtTest, CreateExclusiveAndNot) {
  auto first = this->h.Create(this->h.root(), "f");
  ASSERT_TRUE(first.ok());
  EXPECT_CODE(this->h.Create(this->h.root(), "f"), kAlreadyExists);
  auto again = this->h.Create(this->h.root(), "f", 0644, Cred(0, 0), false);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created());
  EXPECT_EQ(again->inode().ino(), first->inode().ino());
  ASSERT_TRUE(this->h.Mkdir(this->h.root(), "d").ok());
  EXPECT_CODE(this->h.Create(this->h.root(), "d", 0644, Cred(0, 0), false), kIsDirectory);
}

TYPED_TEST(MdtTest, CreateAppliesUmask) {
  CreateRequest req;
  req.set_parent(this->h.root());
  req.set_name("f");
  req.set_mode(0666);
  req.set_umask(022);
  auto made = this->h.mdt().Create(req);
  ASSERT_TRUE(made.ok());
  EXPECT_EQ(made->inode().mode(), 0644u);
}

TYPED_TEST(MdtTest, BadNamesAreRefused) {
  uint64_t root = this->h.root();
  EXPECT_CODE(this->h.Create(root, ""), kInvalidArgument);
  EXPECT_CODE(this->h.Create(root, "."), kInvalidArgument);
  EXPECT_CODE(this->h.Create(root, ".."), kInvalidArgument);
  EXPECT_CODE(this->h.Create(root, "a/b"), kInvalidArgument);
  EXPECT_CODE(this->h.Create(root, std::string("a\0b", 3)), kInvalidArgument);
  EXPECT_CODE(this->h.Create(root, std::string(256, 'x')), kNameTooLong);
  EXPECT_TRUE(this->h.Create(root, std::string(255, 'x')).ok());
  EXPECT_CODE(this->h.Mkdir(root, std::string(256, 'y')), kNameTooLong);
  EXPECT_EQ(this->h.List(root).size(), 1u);
}

TYPED_TEST(MdtTest, MissingParentAndNotADirectory) {
  auto f = this->h.Create(this->h.root(), "f");
  ASSERT_TRUE(f.ok());
  EXPECT_CODE(this->h.Create(f->inode().ino(), "x"), kNotDirectory);
  EXPECT_CODE(this->h.Lookup(f->inode().ino(), "x"), kNotDirectory);
  EXPECT_CODE(this->h.Create(0xdead, "x"), kNotFound);
  EXPECT_CODE(this->h.Lookup(this->h.root(), "nope"), kNotFound);
}

TYPED_TEST(MdtTest, LookupDotAndDotDot) {
  auto d = this->h.Mkdir(this->h.root(), "d");
  ASSERT_TRUE(d.ok());
  uint64_t ino = d->inode().ino();
  EXPECT_EQ(this->h.Lookup(ino, ".")->inode().ino(), ino);
  EXPECT_EQ(this->h.Lookup(ino, "..")->inode().ino(), this->h.root());
  EXPECT_EQ(this->h.Lookup(this->h.root(), "..")->inode().ino(), this->h.root());
}

TYPED_TEST(MdtTest, MkdirCountsLinks) {
  uint64_t root = this->h.root();
  auto a = this->h.Mkdir(root, "a", 0750);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->inode().nlink(), 2u);
  EXPECT_EQ(a->inode().mode(), 0750u);
  EXPECT_EQ(a->inode().parent(), root);
  EXPECT_EQ(this->h.Attr(root).nlink(), 3u);
  ASSERT_TRUE(this->h.Mkdir(a->inode().ino(), "b").ok());
  ASSERT_TRUE(this->h.Create(a->inode().ino(), "f").ok());
  EXPECT_EQ(this->h.Attr(a->inode().ino()).nlink(), 3u);
  EXPECT_CODE(this->h.Mkdir(root, "a"), kAlreadyExists);
}

TYPED_TEST(MdtTest, MknodMakesSpecialFiles) {
  struct Case {
    uint32_t mode;
    FileType type;
  } cases[] = {{S_IFIFO | 0644, FIFO},
               {S_IFSOCK | 0644, SOCKET},
               {S_IFCHR | 0600, CHAR_DEVICE},
               {S_IFBLK | 0600, BLOCK_DEVICE},
               {S_IFREG | 0644, REGULAR},
               {0644, REGULAR}};
  int i = 0;
  for (const Case& c : cases) {
    MknodRequest req;
    req.set_parent(this->h.root());
    req.set_name("n" + std::to_string(i++));
    req.set_mode(c.mode);
    req.set_rdev(0x0801);
    auto made = this->h.mdt().Mknod(req);
    ASSERT_TRUE(made.ok()) << made.status().ToString();
    EXPECT_EQ(made->inode().type(), c.type);
    bool device = c.type == CHAR_DEVICE || c.type == BLOCK_DEVICE;
    EXPECT_EQ(made->inode().rdev(), device ? 0x0801u : 0u);
  }
  MknodRequest bad;
  bad.set_parent(this->h.root());
  bad.set_name("d");
  bad.set_mode(S_IFDIR | 0755);
  EXPECT_CODE(this->h.mdt().Mknod(bad), kInvalidArgument);
  bad.set_mode(S_IFCHR | 0600);
  *bad.mutable_cred() = Cred(1000, 1000);
  EXPECT_CODE(this->h.mdt().Mknod(bad), kNotPermitted);
}

TYPED_TEST(MdtTest, SymlinkAndReadlink) {
  SymlinkRequest req;
  req.set_parent(this->h.root());
  req.set_name("l");
  req.set_target("../some/where");
  auto made = this->h.mdt().Symlink(req);
  ASSERT_TRUE(made.ok());
  EXPECT_EQ(made->inode().type(), SYMLINK);
  EXPECT_EQ(made->inode().size(), 13u);
  ReadlinkRequest rl;
  rl.set_ino(made->inode().ino());
  EXPECT_EQ(this->h.mdt().Readlink(rl)->target(), "../some/where");
  rl.set_ino(this->h.root());
  EXPECT_CODE(this->h.mdt().Readlink(rl), kInvalidArgument);
  req.set_name("empty");
  req.set_target("");
  EXPECT_CODE(this->h.mdt().Symlink(req), kNotFound);
  req.set_target(std::string(4096, 'a'));
  EXPECT_CODE(this->h.mdt().Symlink(req), kNameTooLong);
}

TYPED_TEST(MdtTest, LinkAndUnlinkCountLinks) {
  uint64_t root = this->h.root();
  auto f = this->h.Create(root, "f");
  ASSERT_TRUE(f.ok());
  uint64_t ino = f->inode().ino();
  auto linked = this->h.Link(ino, root, "g");
  ASSERT_TRUE(linked.ok());
  EXPECT_EQ(linked->inode().nlink(), 2u);
  EXPECT_CODE(this->h.Link(ino, root, "g"), kAlreadyExists);
  ASSERT_TRUE(this->h.Unlink(root, "f").ok());
  EXPECT_EQ(this->h.Attr(ino).nlink(), 1u);
  ASSERT_TRUE(this->h.Unlink(root, "g").ok());
  EXPECT_FALSE(this->h.Exists(ino));
  EXPECT_CODE(this->h.Unlink(root, "g"), kNotFound);
  EXPECT_CODE(this->h.Link(ino, root, "h"), kNotFound);
}

// Each change of a name returns the directory as it left it: what a getattr then returns.
TYPED_TEST(MdtTest, NameChangesReturnTheDirectoryAsTheyLeftIt) {
  uint64_t root = this->h.root();
  auto d = this->h.Mkdir(root, "d");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->parent().SerializeAsString(), this->h.Attr(root).SerializeAsString());
  uint64_t dir = d->inode().ino();
  auto f = this->h.Create(dir, "f");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->parent().SerializeAsString(), this->h.Attr(dir).SerializeAsString());
  auto g = this->h.Link(f->inode().ino(), dir, "g");
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->parent().SerializeAsString(), this->h.Attr(dir).SerializeAsString());
  auto unlinked = this->h.Unlink(dir, "f");
  ASSERT_TRUE(unlinked.ok());
  EXPECT_EQ(unlinked->parent().SerializeAsString(), this->h.Attr(dir).SerializeAsString());
  ASSERT_TRUE(this->h.Unlink(dir, "g").ok());
  auto removed = this->h.Rmdir(root, "d");
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(removed->parent().SerializeAsString(), this->h.Attr(root).SerializeAsString());
}

TYPED_TEST(MdtTest, LinkToDirectoryIsRefused) {
  auto d = this->h.Mkdir(this->h.root(), "d");
  ASSERT_TRUE(d.ok());
  EXPECT_CODE(this->h.Link(d->inode().ino(), this->h.root(), "e"), kNotPermitted);
}

TYPED_TEST(MdtTest, UnlinkAndRmdirTypeRules) {
  uint64_t root = this->h.root();
  auto d = this->h.Mkdir(root, "d");
  ASSERT_TRUE(d.ok());
  ASSERT_TRUE(this->h.Create(root, "f").ok());
  EXPECT_CODE(this->h.Unlink(root, "d"), kIsDirectory);
  EXPECT_CODE(this->h.Rmdir(root, "f"), kNotDirectory);
  ASSERT_TRUE(this->h.Create(d->inode().ino(), "inner").ok());
  EXPECT_CODE(this->h.Rmdir(root, "d"), kNotEmpty);
  ASSERT_TRUE(this->h.Unlink(d->inode().ino(), "inner").ok());
  ASSERT_TRUE(this->h.Rmdir(root, "d").ok());
  EXPECT_FALSE(this->h.Exists(d->inode().ino()));
  EXPECT_EQ(this->h.Attr(root).nlink(), 2u);
  EXPECT_CODE(this->h.Rmdir(root, "."), kInvalidArgument);
  EXPECT_CODE(this->h.Create(d->inode().ino(), "late"), kNotFound);
}

TYPED_TEST(MdtTest, LinkCapGivesEmlink) {
  TempDir dir;
  MdtOptions options;
  options.link_max = 3;
  MdtHarness small(TypeParam::Make(dir.path()), options);
  auto f = small.Create(small.root(), "f");
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(small.Link(f->inode().ino(), small.root(), "f2").ok());
  ASSERT_TRUE(small.Link(f->inode().ino(), small.root(), "f3").ok());
  EXPECT_CODE(small.Link(f->inode().ino(), small.root(), "f4"), kTooManyLinks);
  ASSERT_TRUE(small.Mkdir(small.root(), "d1").ok());  // root nlink 3
  EXPECT_CODE(small.Mkdir(small.root(), "d2"), kTooManyLinks);
}

TYPED_TEST(MdtTest, SetgidDirectoryPassesGroupAndBit) {
  auto d = this->h.Mkdir(this->h.root(), "d", 02777);
  ASSERT_TRUE(d.ok());
  SetattrRequest chown;
  chown.set_ino(d->inode().ino());
  chown.set_gid(500);
  ASSERT_TRUE(this->h.mdt().Setattr(chown).ok());
  SetattrRequest chmod;
  chmod.set_ino(d->inode().ino());
  chmod.set_mode(02777);
  ASSERT_TRUE(this->h.mdt().Setattr(chmod).ok());
  Credentials user = Cred(1000, 1000);
  auto f = this->h.Create(d->inode().ino(), "f", 02755, user);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->inode().gid(), 500u);
  EXPECT_EQ(f->inode().mode(), 0755u);  // not in group 500: setgid dropped
  auto sub = this->h.Mkdir(d->inode().ino(), "sub", 0755, user);
  ASSERT_TRUE(sub.ok());
  EXPECT_EQ(sub->inode().gid(), 500u);
  EXPECT_EQ(sub->inode().mode(), 02755u);
  auto plain = this->h.Create(this->h.root(), "plain", 0644, Cred(0, 7));
  EXPECT_EQ(plain->inode().gid(), 7u);
}

TYPED_TEST(MdtTest, TimestampsOnParentAndChild) {
  uint64_t root = this->h.root();
  auto f = this->h.Create(root, "f");
  ASSERT_TRUE(f.ok());
  auto linked = this->h.Link(f->inode().ino(), root, "g");
  ASSERT_TRUE(linked.ok());
  EXPECT_GT(linked->inode().ctime_ns(), f->inode().ctime_ns());
  EXPECT_EQ(linked->inode().mtime_ns(), f->inode().mtime_ns());
  EXPECT_EQ(this->h.Attr(root).mtime_ns(), linked->inode().ctime_ns());
  ASSERT_TRUE(this->h.Unlink(root, "g").ok());
  Inode after = this->h.Attr(f->inode().ino());
  EXPECT_GT(after.ctime_ns(), linked->inode().ctime_ns());
  EXPECT_EQ(this->h.Attr(root).mtime_ns(), after.ctime_ns());
}

}  // namespace
}  // namespace weft::mds::test
