// Eight threads creating, linking, renaming and unlinking on RocksMdtStore; then the tree must be
// what the operations said, every link count must match the entries, and fsck finds nothing.
#include <map>
#include <set>
#include <thread>

#include "mds/fsck.h"
#include "mds/keys.h"
#include "mdt_fixture.h"

namespace weft::mds::test {
namespace {

constexpr int kThreads = 8;
const int kOps = kSanitized ? 40 : 100;

// dentries -> inodes -> nlink, and statfs, agree.
void ExpectConsistent(Mdt& mdt) {
  std::map<uint64_t, Inode> inodes;
  ASSERT_TRUE(mdt.store().Scan(Family::kInodes, "", "", [&](auto key, auto value) {
    Inode inode;
    EXPECT_TRUE(inode.ParseFromArray(value.data(), value.size()));
    inodes[InodeFromKey(key)] = inode;
    return true;
  }).ok());
  std::map<uint64_t, uint32_t> links, subdirs;
  ASSERT_TRUE(mdt.store().Scan(Family::kDentries, "", "", [&](auto key, auto value) {
    Dentry dentry;
    EXPECT_TRUE(dentry.ParseFromArray(value.data(), value.size()));
    EXPECT_TRUE(inodes.contains(dentry.ino())) << "dangling entry";
    ++links[dentry.ino()];
    if (dentry.type() == DIRECTORY) {
      ++subdirs[ReadU64(key)];
      EXPECT_EQ(inodes[dentry.ino()].parent(), ReadU64(key));
    }
    return true;
  }).ok());
  for (const auto& [ino, inode] : inodes) {
    if (inode.type() == DIRECTORY) {
      EXPECT_EQ(inode.nlink(), 2 + subdirs[ino]) << ino;
    } else {
      EXPECT_EQ(inode.nlink(), links[ino]) << ino;
    }
  }
  EXPECT_EQ(mdt.Statfs(StatfsRequest())->inodes_used(), inodes.size());
  auto fsck = CheckMdt(mdt.store(), FsckOptions{});
  ASSERT_TRUE(fsck.ok()) << fsck.status().ToString();
  for (const std::string& problem : fsck->problems) ADD_FAILURE() << "fsck: " << problem;
}

class ConcurrencyTest : public ::testing::Test {
 protected:
  ConcurrencyTest() : h(RocksStore::Make(dir.path())) {}
  uint64_t MakeDir(const std::string& name) {
    auto made = h.Mkdir(h.root(), name, 0777);
    EXPECT_TRUE(made.ok());
    return made.ok() ? made->inode().ino() : 0;
  }
  // Thread t's work: create, then rename a third of its files (into `to`), unlink a fifth,
  // hard-link some into `to`, and make and move directories; returns the names it leaves
  // behind, per directory.
  std::map<uint64_t, std::set<std::string>> Work(int t, uint64_t from, uint64_t to) {
    std::map<uint64_t, std::set<std::string>> left;
    for (int i = 0; i < kOps; ++i) {
      std::string name = "t" + std::to_string(t) + "_" + std::to_string(i);
      auto created = h.Create(from, name);
      EXPECT_TRUE(created.ok());
      if (i % 5 == 0) {
        EXPECT_TRUE(h.Unlink(from, name).ok());
      } else if (i % 3 == 0) {
        EXPECT_TRUE(h.Rename(from, name, to, "r" + name).ok());
        left[to].insert("r" + name);
      } else if (i % 7 == 1) {
        EXPECT_TRUE(h.Mkdir(to, "d" + name).ok());
        EXPECT_TRUE(h.Rename(to, "d" + name, from, "m" + name).ok());
        left[from].insert("m" + name);
        left[from].insert(name);
      } else if (i % 4 == 2 && created.ok()) {
        // A second name in the other directory; the first goes half of the time.
        EXPECT_TRUE(h.Link(created->inode().ino(), to, "l" + name).ok());
        left[to].insert("l" + name);
        if (i % 8 == 2) {
          EXPECT_TRUE(h.Unlink(from, name).ok());
        } else {
          left[from].insert(name);
        }
      } else {
        left[from].insert(name);
      }
    }
    return left;
  }
  void RunAndCheck(const std::vector<uint64_t>& dirs) {
    std::vector<std::map<uint64_t, std::set<std::string>>> results(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      uint64_t from = dirs[t % dirs.size()], to = dirs[(t + 1) % dirs.size()];
      threads.emplace_back([&, t, from, to] { results[t] = Work(t, from, to); });
    }
    for (auto& thread : threads) thread.join();
    std::map<uint64_t, std::set<std::string>> expected;
    for (const auto& result : results) {
      for (const auto& [d, names] : result) expected[d].insert(names.begin(), names.end());
    }
    for (uint64_t d : dirs) {
      std::vector<std::string> listed = h.List(d);
      EXPECT_EQ(std::set<std::string>(listed.begin(), listed.end()), expected[d]);
      EXPECT_EQ(listed.size(), expected[d].size());
    }
    ExpectConsistent(h.mdt());
  }
  TempDir dir;
  MdtHarness h;
};

TEST_F(ConcurrencyTest, EightThreadsInOneDirectory) { RunAndCheck({MakeDir("shared")}); }

TEST_F(ConcurrencyTest, EightThreadsAcrossSeveralDirectories) {
  std::vector<uint64_t> dirs;
  for (int i = 0; i < 4; ++i) dirs.push_back(MakeDir("d" + std::to_string(i)));
  RunAndCheck(dirs);
}

TEST_F(ConcurrencyTest, RacingRenamesOfDirectoriesNeverMakeALoop) {
  uint64_t a = MakeDir("a");
  uint64_t b = MakeDir("b");
  ASSERT_TRUE(h.Mkdir(a, "x").ok());
  ASSERT_TRUE(h.Mkdir(b, "y").ok());
  // One thread moves a under b/y while another moves b under a/x, over and over.
  std::thread t1([&] {
    for (int i = 0; i < kOps / 4; ++i) (void)h.Rename(h.root(), "a", h.Lookup(b, "y")->inode().ino(), "a");
  });
  std::thread t2([&] {
    for (int i = 0; i < kOps / 4; ++i) (void)h.Rename(h.root(), "b", h.Lookup(a, "x")->inode().ino(), "b");
  });
  t1.join();
  t2.join();
  ExpectConsistent(h.mdt());
  // Both directories are still reachable from the root.
  for (uint64_t ino : {a, b}) {
    uint64_t cur = ino;
    for (int depth = 0; cur != h.root() && depth < 10; ++depth) cur = h.Attr(cur).parent();
    EXPECT_EQ(cur, h.root());
  }
}

}  // namespace
}  // namespace weft::mds::test
