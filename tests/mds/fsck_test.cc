// The offline MDT checker: a store after a real workload is clean; each kind of damage,
// written straight into the store, is reported without --repair (which changes nothing),
// repaired with it, and the store is clean afterwards.
#include <fcntl.h>
#include <gmock/gmock.h>

#include <functional>

#include "mds/fsck.h"
#include "mds/keys.h"
#include "mdt_fixture.h"

namespace weft::mds::test {
namespace {

using ::testing::HasSubstr;

std::string Joined(const FsckResult& r) {
  std::string all;
  for (const std::string& p : r.problems) all += p + "\n";
  return all;
}

// A file system after a little of everything: directories, files, a hard link, a rename, an
// xattr, an unlinked file (queued for destruction) and one unlinked while open.
class FsckTest : public ::testing::Test {
 protected:
  FsckTest() : h(RocksStore::Make(dir.path())) {
    dir_a = h.Mkdir(h.root(), "a")->inode().ino();
    dir_b = h.Mkdir(dir_a, "b")->inode().ino();
    file = h.Create(dir_a, "f")->inode().ino();
    EXPECT_TRUE(h.Link(file, dir_b, "f2").ok());
    uint64_t g = h.Create(dir_b, "g")->inode().ino();
    EXPECT_TRUE(h.Rename(dir_b, "g", h.root(), "g").ok());
    SetxattrRequest x;
    *x.mutable_cred() = Cred(0, 0);
    x.set_ino(g);
    x.set_name("user.k");
    x.set_value("v");
    EXPECT_TRUE(h.mdt().Setxattr(x).ok());
    EXPECT_TRUE(h.Create(h.root(), "gone").ok());
    EXPECT_TRUE(h.Unlink(h.root(), "gone").ok());
    open_ino = h.Create(h.root(), "open")->inode().ino();
    OpenRequest o;
    *o.mutable_cred() = Cred(0, 0);
    o.set_ino(open_ino);
    o.set_flags(O_RDWR);
    EXPECT_TRUE(h.mdt().Open(o).ok());
    EXPECT_TRUE(h.Unlink(h.root(), "open").ok());
  }

  Result<FsckResult> Check(bool repair = false) {
    return CheckMdt(h.mdt().store(), FsckOptions{repair});
  }
  void Put(Family f, std::string key, const google::protobuf::MessageLite& value) {
    WriteBatch b;
    b.Put(f, std::move(key), value.SerializeAsString());
    ASSERT_TRUE(h.mdt().store().Commit(b).ok());
  }
  void Delete(Family f, std::string key) {
    WriteBatch b;
    b.Delete(f, std::move(key));
    ASSERT_TRUE(h.mdt().store().Commit(b).ok());
  }
  Inode Raw(uint64_t ino) {
    Inode inode;
    EXPECT_TRUE(inode.ParseFromString(*h.mdt().store().Get(Family::kInodes, InodeKey(ino))));
    return inode;
  }
  // Damage applied by `inject` is reported (with `expected` in a line), left alone without
  // --repair, repaired with it, and then the store is clean.
  void ExpectRepaired(const std::function<void()>& inject, const std::string& expected) {
    inject();
    auto found = Check();
    ASSERT_TRUE(found.ok()) << found.status().ToString();
    EXPECT_THAT(Joined(*found), HasSubstr(expected));
    EXPECT_FALSE(found->repaired);
    auto again = Check();
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->problems, found->problems) << "a check without --repair changed the store";
    auto repaired = Check(true);
    ASSERT_TRUE(repaired.ok()) << repaired.status().ToString();
    EXPECT_TRUE(repaired->repaired);
    EXPECT_THAT(Joined(*repaired), HasSubstr(expected));
    auto after = Check();
    ASSERT_TRUE(after.ok());
    EXPECT_TRUE(after->clean()) << Joined(*after);
  }

  TempDir dir;
  MdtHarness h;
  uint64_t dir_a = 0, dir_b = 0, file = 0, open_ino = 0;
};

TEST_F(FsckTest, AWorkloadLeavesACleanStore) {
  auto r = Check();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->clean()) << Joined(*r);
  EXPECT_EQ(r->inodes, 6u);   // root, a, b, f, g, open (unlinked while open)
  EXPECT_EQ(r->entries, 5u);  // a, a/b, a/f, b/f2, g
  EXPECT_EQ(r->orphans, 2u);  // "gone" awaiting destruction, "open"
  EXPECT_EQ(r->xattrs, 1u);
  auto repair = Check(true);
  ASSERT_TRUE(repair.ok());
  EXPECT_FALSE(repair->repaired) << "nothing to repair, nothing written";
}

TEST_F(FsckTest, DanglingEntryIsRemoved) {
  ExpectRepaired([&] {
    Dentry d;
    d.set_ino(999999);
    d.set_type(REGULAR);
    Put(Family::kDentries, DentryKey(dir_a, "ghost"), d);
  }, "entry " + std::to_string(dir_a) + "/'ghost': points to missing inode 999999");
  EXPECT_CODE(h.Lookup(dir_a, "ghost"), kNotFound);
}

TEST_F(FsckTest, EntryOfTheWrongTypeIsRewritten) {
  ExpectRepaired([&] {
    Dentry d;
    d.set_ino(file);
    d.set_type(SYMLINK);
    Put(Family::kDentries, DentryKey(dir_a, "f"), d);
  }, "type SYMLINK but inode " + std::to_string(file) + " is REGULAR");
}

TEST_F(FsckTest, WrongLinkCountsAreSet) {
  ExpectRepaired([&] {
    Inode f = Raw(file);
    f.set_nlink(7);
    Put(Family::kInodes, InodeKey(file), f);
    Inode a = Raw(dir_a);
    a.set_nlink(2);
    Put(Family::kInodes, InodeKey(dir_a), a);
  }, "inode " + std::to_string(file) + ": link count 7, counted 2");
  EXPECT_EQ(h.Attr(file).nlink(), 2u);
  EXPECT_EQ(h.Attr(dir_a).nlink(), 3u);
}

TEST_F(FsckTest, WrongParentPointerIsSet) {
  ExpectRepaired([&] {
    Inode b = Raw(dir_b);
    b.set_parent(h.root());
    Put(Family::kInodes, InodeKey(dir_b), b);
  }, "but its entry is in " + std::to_string(dir_a));
  EXPECT_EQ(h.Attr(dir_b).parent(), dir_a);
}

TEST_F(FsckTest, UnreachableInodesGoToLostAndFound) {
  // Both names of the file and the entry of directory b (holding f2's name) go: b and f are
  // unreachable; b is the top of its tree, f is linked into it no more.
  ExpectRepaired([&] {
    Delete(Family::kDentries, DentryKey(dir_a, "b"));
    Delete(Family::kDentries, DentryKey(dir_a, "f"));
  }, "inode " + std::to_string(dir_b) + ": not reachable from the root: linked as /lost+found/#" +
         std::to_string(dir_b));
  auto lost = h.Lookup(h.root(), "lost+found");
  ASSERT_TRUE(lost.ok()) << lost.status().ToString();
  auto b = h.Lookup(lost->inode().ino(), "#" + std::to_string(dir_b));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->inode().parent(), lost->inode().ino());
  EXPECT_EQ(h.Lookup(dir_b, "f2")->inode().ino(), file);
  EXPECT_EQ(h.Attr(file).nlink(), 1u);
}

TEST_F(FsckTest, UnlinkedFileWithoutOrphanIsDroppedAndQueued) {
  uint64_t lone = h.Create(h.root(), "lone")->inode().ino();
  ExpectRepaired([&] {
    Delete(Family::kDentries, DentryKey(h.root(), "lone"));
    Inode l = Raw(lone);
    l.set_nlink(0);
    Put(Family::kInodes, InodeKey(lone), l);
  }, "inode " + std::to_string(lone) + ": no entries, no links and no orphan record: dropped");
  EXPECT_FALSE(h.Exists(lone));
  auto queue = h.mdt().PendingDestroys(100);
  ASSERT_TRUE(queue.ok());
  bool queued = false;
  for (const DestroyItem& item : *queue) queued |= item.ino == lone;
  EXPECT_TRUE(queued);
}

TEST_F(FsckTest, OrphanRecordsThatContradictTheirInodeAreRemoved) {
  ExpectRepaired([&] {
    Orphan destroy;
    destroy.set_reason(Orphan::DESTROY);
    Put(Family::kOrphans, InodeKey(file), destroy);
    Orphan open;
    open.set_reason(Orphan::OPEN_UNLINKED);
    Put(Family::kOrphans, InodeKey(888888), open);
  }, "orphan " + std::to_string(file) + ": queued for destruction but its inode exists");
  EXPECT_TRUE(h.Exists(file)) << "the data stays";
  EXPECT_CODE(h.mdt().store().Get(Family::kOrphans, InodeKey(file)), kNotFound);
  EXPECT_CODE(h.mdt().store().Get(Family::kOrphans, InodeKey(888888)), kNotFound);
}

TEST_F(FsckTest, StrayXattrsAreRemoved) {
  ExpectRepaired([&] {
    WriteBatch b;
    b.Put(Family::kXattrs, XattrKey(777777, "user.stray"), "x");
    ASSERT_TRUE(h.mdt().store().Commit(b).ok());
  }, "xattr 'user.stray' of missing inode 777777: removed");
}

TEST_F(FsckTest, CountersAreRaisedAndRecounted) {
  ExpectRepaired([&] {
    WriteBatch b;
    std::string low;
    AppendU64(&low, 2);
    b.Put(Family::kMeta, std::string(kNextInoKey), low);
    std::string wrong;
    AppendU64(&wrong, 99);
    b.Put(Family::kMeta, InodeCountKey(7), wrong);
    ASSERT_TRUE(h.mdt().store().Commit(b).ok());
  }, "next_ino 2 is not above the highest inode");
  EXPECT_EQ(h.mdt().store().Get(Family::kMeta, InodeCountKey(7)).status().code(),
            StatusCode::kNotFound);
}

TEST_F(FsckTest, ASecondEntryOfADirectoryIsRemoved) {
  ExpectRepaired([&] {
    Dentry d;
    d.set_ino(dir_b);
    d.set_type(DIRECTORY);
    Put(Family::kDentries, DentryKey(h.root(), "b-again"), d);
  }, "entry " + std::to_string(h.root()) + "/'b-again': a second entry of directory");
  EXPECT_EQ(h.Lookup(dir_a, "b")->inode().ino(), dir_b);
}

TEST_F(FsckTest, ADetachedLoopOfDirectoriesIsBroken) {
  uint64_t c = h.Mkdir(dir_b, "c")->inode().ino();
  ExpectRepaired([&] {
    // a/b/c, then b's entry moves under c: b and c hold each other, neither reachable.
    Delete(Family::kDentries, DentryKey(dir_a, "b"));
    Dentry d;
    d.set_ino(dir_b);
    d.set_type(DIRECTORY);
    Put(Family::kDentries, DentryKey(c, "b"), d);
  }, "a directory in a loop detached from the root: unlinked");
  EXPECT_TRUE(h.Lookup(h.root(), "lost+found").ok());
}

TEST(FsckStoreTest, AnUnformattedStoreIsRefused) {
  MemoryMdtStore store;
  auto r = CheckMdt(store, FsckOptions{});
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(r.status().message(), HasSubstr("no formatted MDT"));
}

}  // namespace
}  // namespace weft::mds::test
