// rename: the POSIX matrix, NOREPLACE, EXCHANGE, the subtree rule, link counts.
#include "mdt_fixture.h"

namespace weft::mds::test {
namespace {

constexpr uint32_t kNoReplace = 1;
constexpr uint32_t kExchange = 2;

template <typename Store>
class RenameTest : public MdtTest<Store> {
 protected:
  uint64_t Dir(uint64_t parent, const std::string& name) {
    auto made = this->h.Mkdir(parent, name);
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    return made.ok() ? made->inode().ino() : 0;
  }
  uint64_t File(uint64_t parent, const std::string& name) {
    auto made = this->h.Create(parent, name);
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    return made.ok() ? made->inode().ino() : 0;
  }
  uint64_t Ino(uint64_t parent, const std::string& name) {
    auto found = this->h.Lookup(parent, name);
    return found.ok() ? found->inode().ino() : 0;
  }
  uint64_t root() { return this->h.root(); }
};
TYPED_TEST_SUITE(RenameTest, StoreTypes);

TYPED_TEST(RenameTest, FileWithinAndAcrossDirectories) {
  uint64_t f = this->File(this->root(), "f");
  uint64_t d = this->Dir(this->root(), "d");
  ASSERT_TRUE(this->h.Rename(this->root(), "f", this->root(), "g").ok());
  EXPECT_EQ(this->Ino(this->root(), "g"), f);
  EXPECT_EQ(this->Ino(this->root(), "f"), 0u);
  ASSERT_TRUE(this->h.Rename(this->root(), "g", d, "h").ok());
  EXPECT_EQ(this->Ino(d, "h"), f);
  EXPECT_EQ(this->h.Attr(f).nlink(), 1u);
  EXPECT_EQ(this->h.Attr(d).mtime_ns(), this->h.Attr(f).ctime_ns());
  EXPECT_CODE(this->h.Rename(this->root(), "missing", d, "x"), kNotFound);
}

TYPED_TEST(RenameTest, FileOverFileReplacesIt) {
  this->File(this->root(), "a");
  uint64_t b = this->File(this->root(), "b");
  ASSERT_TRUE(this->h.Rename(this->root(), "a", this->root(), "b").ok());
  EXPECT_FALSE(this->h.Exists(b));
  EXPECT_EQ(this->h.List(this->root()), std::vector<std::string>{"b"});
  auto queued = this->h.mdt().PendingDestroys(10);
  ASSERT_TRUE(queued.ok());
  ASSERT_EQ(queued->size(), 1u);
  EXPECT_EQ((*queued)[0].ino, b);
}

TYPED_TEST(RenameTest, DirectoryOverEmptyDirectory) {
  uint64_t a = this->Dir(this->root(), "a");
  uint64_t p = this->Dir(this->root(), "p");
  uint64_t b = this->Dir(p, "b");
  ASSERT_TRUE(this->h.Rename(this->root(), "a", p, "b").ok());
  EXPECT_FALSE(this->h.Exists(b));
  EXPECT_EQ(this->Ino(p, "b"), a);
  EXPECT_EQ(this->h.Attr(a).parent(), p);
  EXPECT_EQ(this->h.Lookup(a, "..")->inode().ino(), p);
  EXPECT_EQ(this->h.Attr(p).nlink(), 3u);
  EXPECT_EQ(this->h.Attr(this->root()).nlink(), 3u);  // only p left under root
}

TYPED_TEST(RenameTest, TypeRules) {
  uint64_t full = this->Dir(this->root(), "full");
  this->File(full, "x");
  this->Dir(this->root(), "d");
  this->Dir(this->root(), "e");
  this->File(this->root(), "f");
  EXPECT_CODE(this->h.Rename(this->root(), "d", this->root(), "full"), kNotEmpty);
  EXPECT_CODE(this->h.Rename(this->root(), "f", this->root(), "d"), kIsDirectory);
  EXPECT_CODE(this->h.Rename(this->root(), "d", this->root(), "f"), kNotDirectory);
  EXPECT_CODE(this->h.Rename(this->root(), "d", this->root(), "e", 4), kInvalidArgument);
  EXPECT_CODE(this->h.Rename(this->root(), "d", this->root(), "e", kNoReplace | kExchange),
              kInvalidArgument);
  EXPECT_CODE(this->h.Rename(this->root(), "d", this->root(), "."), kInvalidArgument);
  EXPECT_EQ(this->h.List(this->root()).size(), 4u);
}

TYPED_TEST(RenameTest, NeverIntoItsOwnSubtree) {
  uint64_t a = this->Dir(this->root(), "a");
  uint64_t b = this->Dir(a, "b");
  uint64_t c = this->Dir(b, "c");
  EXPECT_CODE(this->h.Rename(this->root(), "a", c, "a2"), kInvalidArgument);
  EXPECT_CODE(this->h.Rename(this->root(), "a", a, "a2"), kInvalidArgument);
  EXPECT_CODE(this->h.Rename(a, "b", b, "x"), kInvalidArgument);
  // Moving a descendant up over its ancestor: the ancestor is not empty.
  EXPECT_CODE(this->h.Rename(b, "c", this->root(), "a"), kNotEmpty);
  ASSERT_TRUE(this->h.Rename(b, "c", this->root(), "c").ok());
  EXPECT_EQ(this->h.Attr(c).parent(), this->root());
  EXPECT_EQ(this->h.Attr(b).nlink(), 2u);
}

TYPED_TEST(RenameTest, NoReplace) {
  this->File(this->root(), "a");
  this->File(this->root(), "b");
  EXPECT_CODE(this->h.Rename(this->root(), "a", this->root(), "b", kNoReplace), kAlreadyExists);
  ASSERT_TRUE(this->h.Rename(this->root(), "a", this->root(), "c", kNoReplace).ok());
}

TYPED_TEST(RenameTest, ExchangeSwapsEvenDirectoryAndFile) {
  uint64_t d = this->Dir(this->root(), "d");
  uint64_t p = this->Dir(this->root(), "p");
  uint64_t f = this->File(p, "f");
  ASSERT_TRUE(this->h.Rename(this->root(), "d", p, "f", kExchange).ok());
  EXPECT_EQ(this->Ino(this->root(), "d"), f);
  EXPECT_EQ(this->Ino(p, "f"), d);
  EXPECT_EQ(this->h.Attr(d).parent(), p);
  EXPECT_EQ(this->h.Attr(p).nlink(), 3u);
  EXPECT_EQ(this->h.Attr(this->root()).nlink(), 3u);  // p; d moved away
  EXPECT_CODE(this->h.Rename(this->root(), "d", p, "none", kExchange), kNotFound);
  // Exchanging a directory with one of its descendants would make a loop.
  uint64_t inner = this->Dir(d, "inner");
  (void)inner;
  EXPECT_CODE(this->h.Rename(p, "f", d, "inner", kExchange), kInvalidArgument);
}

TYPED_TEST(RenameTest, TwoNamesOfOneFileIsANoOp) {
  uint64_t f = this->File(this->root(), "a");
  ASSERT_TRUE(this->h.Link(f, this->root(), "b").ok());
  ASSERT_TRUE(this->h.Rename(this->root(), "a", this->root(), "b").ok());
  EXPECT_EQ(this->h.List(this->root()).size(), 2u);
  EXPECT_EQ(this->h.Attr(f).nlink(), 2u);
}

TYPED_TEST(RenameTest, StickyDirectoryProtectsOthersEntries) {
  auto tmp = this->h.Mkdir(this->root(), "tmp", 01777);
  ASSERT_TRUE(tmp.ok());
  uint64_t t = tmp->inode().ino();
  ASSERT_TRUE(this->h.Create(t, "alice", 0644, Cred(1000, 1000)).ok());
  ASSERT_TRUE(this->h.Create(t, "bob", 0644, Cred(1001, 1001)).ok());
  EXPECT_CODE(this->h.Rename(t, "alice", t, "x", 0, Cred(1001, 1001)), kNotPermitted);
  EXPECT_CODE(this->h.Rename(t, "bob", t, "alice", 0, Cred(1001, 1001)), kNotPermitted);
  EXPECT_CODE(this->h.Unlink(t, "alice", Cred(1001, 1001)), kNotPermitted);
  ASSERT_TRUE(this->h.Rename(t, "bob", t, "bob2", 0, Cred(1001, 1001)).ok());
  ASSERT_TRUE(this->h.Unlink(t, "alice", Cred(1000, 1000)).ok());
  ASSERT_TRUE(this->h.Unlink(t, "bob2", Cred(0, 0)).ok());
}

TYPED_TEST(RenameTest, NeedsWriteOnBothParents) {
  uint64_t ro = this->Dir(this->root(), "ro");
  auto rw = this->h.Mkdir(this->root(), "rw", 0777);
  ASSERT_TRUE(rw.ok());
  ASSERT_TRUE(this->h.Create(rw->inode().ino(), "f", 0644, Cred(1000, 1000)).ok());
  EXPECT_CODE(this->h.Rename(rw->inode().ino(), "f", ro, "f", 0, Cred(1000, 1000)),
              kPermissionDenied);
}

}  // namespace
}  // namespace weft::mds::test
