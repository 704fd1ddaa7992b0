// readdir: pages, cookies, readdirplus, and a big directory listed during inserts and deletes.
#include <atomic>
#include <set>
#include <thread>

#include "common/rpc_wire.h"
#include "mds/keys.h"
#include "mdt_fixture.h"

namespace weft::mds::test {
namespace {

template <typename Store>
class ReaddirTest : public MdtTest<Store> {
 protected:
  // Writes `count` empty files named e<i> into `dir` in one batch, bypassing the operations
  // (100,000 synced creates would take minutes, and only the listing is under test here).
  void Populate(uint64_t dir, int count) {
    WriteBatch batch;
    for (int i = 0; i < count; ++i) {
      Inode inode;
      inode.set_ino((uint64_t{1} << 40) + i);
      inode.set_type(REGULAR);
      inode.set_nlink(1);
      Dentry dentry;
      dentry.set_ino(inode.ino());
      dentry.set_type(REGULAR);
      batch.Put(Family::kInodes, InodeKey(inode.ino()), inode.SerializeAsString());
      batch.Put(Family::kDentries, DentryKey(dir, "e" + std::to_string(i)),
                dentry.SerializeAsString());
    }
    ASSERT_TRUE(this->h.mdt().store().Commit(batch).ok());
  }
  ReaddirRequest Req(uint64_t dir, uint32_t max, bool plus = false) {
    ReaddirRequest req;
    req.set_ino(dir);
    req.set_max_entries(max);
    req.set_plus(plus);
    return req;
  }
};
TYPED_TEST_SUITE(ReaddirTest, StoreTypes);

TYPED_TEST(ReaddirTest, PagesCoverEveryEntryOnceInCookieOrder) {
  auto d = this->h.Mkdir(this->h.root(), "d");
  uint64_t dir = d->inode().ino();
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(this->h.Create(dir, "f" + std::to_string(i)).ok());
  auto req = this->Req(dir, 7);
  std::set<std::string> seen;
  uint64_t last_cookie = 0;
  int pages = 0;
  for (;; ++pages) {
    auto page = this->h.mdt().Readdir(req);
    ASSERT_TRUE(page.ok());
    EXPECT_LE(page->entries_size(), 7);
    for (const DirEntry& e : page->entries()) {
      EXPECT_TRUE(seen.insert(e.name()).second) << e.name();
      EXPECT_GT(e.cookie(), last_cookie);
      EXPECT_GE(e.cookie(), 3u);
      last_cookie = e.cookie();
      EXPECT_EQ(e.type(), REGULAR);
    }
    if (page->eof()) break;
    req.set_cookie(last_cookie);
  }
  EXPECT_EQ(seen.size(), 50u);
  EXPECT_EQ(pages, 7);
}

// A page asked for more than an RPC body holds (long names; inodes with layouts) ends early,
// not eof, and the pages still cover every entry once: the MDS once built a 110 KB reply that
// the RPC layer refused, and `rm -rf` of a big directory failed.
TYPED_TEST(ReaddirTest, PagesFitAnRpcBodyWhateverIsAskedFor) {
  auto d = this->h.Mkdir(this->h.root(), "d");
  uint64_t dir = d->inode().ino();
  WriteBatch batch;
  for (int i = 0; i < 1500; ++i) {
    Inode inode;
    inode.set_ino((uint64_t{1} << 40) + i);
    inode.set_type(REGULAR);
    inode.set_nlink(1);
    inode.mutable_layout()->set_stripe_size(1 << 20);
    for (uint32_t ost = 0; ost < 4; ++ost) {
      auto* o = inode.mutable_layout()->add_objects();
      o->set_ost_index(ost);
      o->set_object_id(inode.ino());
    }
    Dentry dentry;
    dentry.set_ino(inode.ino());
    dentry.set_type(REGULAR);
    std::string name = std::string(200, 'n') + std::to_string(i);
    batch.Put(Family::kInodes, InodeKey(inode.ino()), inode.SerializeAsString());
    batch.Put(Family::kDentries, DentryKey(dir, name), dentry.SerializeAsString());
  }
  ASSERT_TRUE(this->h.mdt().store().Commit(batch).ok());
  for (bool plus : {false, true}) {
    auto req = this->Req(dir, 16384, plus);
    std::set<std::string> seen;
    int pages = 0;
    for (;; ++pages) {
      auto page = this->h.mdt().Readdir(req);
      ASSERT_TRUE(page.ok()) << page.status().ToString();
      EXPECT_LE(page->ByteSizeLong(), rpc::kMaxBodyLen);
      ASSERT_GT(page->entries_size(), 0);
      for (const DirEntry& e : page->entries()) {
        EXPECT_TRUE(seen.insert(e.name()).second) << e.name();
        if (plus) {
          EXPECT_EQ(e.inode().layout().objects_size(), 4);
        }
      }
      if (page->eof()) break;
      req.set_cookie(page->entries(page->entries_size() - 1).cookie());
    }
    EXPECT_EQ(seen.size(), 1500u) << "plus " << plus;
    EXPECT_GT(pages, 3) << "plus " << plus;
  }
}

TYPED_TEST(ReaddirTest, PlusCarriesAttributesAndNeedsPermission) {
  auto d = this->h.Mkdir(this->h.root(), "d", 0711);
  uint64_t dir = d->inode().ino();
  auto f = this->h.Create(dir, "f", 0600);
  auto page = this->h.mdt().Readdir(this->Req(dir, 0, true));
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->entries_size(), 1);
  EXPECT_EQ(page->entries(0).inode().ino(), f->inode().ino());
  EXPECT_EQ(page->entries(0).inode().mode(), 0600u);
  EXPECT_TRUE(page->eof());
  auto req = this->Req(dir, 0);
  *req.mutable_cred() = Cred(1000, 1000);
  EXPECT_CODE(this->h.mdt().Readdir(req), kPermissionDenied);
  EXPECT_CODE(this->h.mdt().Readdir(this->Req(f->inode().ino(), 0)), kNotDirectory);
}

TYPED_TEST(ReaddirTest, CookieSurvivesDeletionOfTheLastEntryListed) {
  auto d = this->h.Mkdir(this->h.root(), "d");
  uint64_t dir = d->inode().ino();
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(this->h.Create(dir, "f" + std::to_string(i)).ok());
  auto first = this->h.mdt().Readdir(this->Req(dir, 10));
  ASSERT_EQ(first->entries_size(), 10);
  ASSERT_TRUE(this->h.Unlink(dir, first->entries(9).name()).ok());
  auto req = this->Req(dir, 100);
  req.set_cookie(first->entries(9).cookie());
  auto rest = this->h.mdt().Readdir(req);
  EXPECT_EQ(rest->entries_size(), 10);
  EXPECT_TRUE(rest->eof());
}

TYPED_TEST(ReaddirTest, BigDirectoryDuringInsertsAndDeletes) {
  const int count = kSanitized ? 20000 : 100000;
  auto d = this->h.Mkdir(this->h.root(), "big", 0777);
  uint64_t dir = d->inode().ino();
  this->Populate(dir, count);
  // The first 200 originals are deleted and 200 new names inserted while the listing runs.
  constexpr int kTouched = 200;
  std::atomic<bool> listing_done{false};
  std::thread mutator([&] {
    for (int i = 0; i < kTouched; ++i) {
      EXPECT_TRUE(this->h.Unlink(dir, "e" + std::to_string(i)).ok());
      EXPECT_TRUE(this->h.Create(dir, "new" + std::to_string(i)).ok());
    }
    listing_done.wait(false);
  });
  std::set<std::string> seen;
  auto req = this->Req(dir, 1000);
  for (;;) {
    auto page = this->h.mdt().Readdir(req);
    ASSERT_TRUE(page.ok());
    for (const DirEntry& e : page->entries()) EXPECT_TRUE(seen.insert(e.name()).second);
    if (page->eof()) break;
    req.set_cookie(page->entries(page->entries_size() - 1).cookie());
  }
  listing_done = true;
  listing_done.notify_all();
  mutator.join();
  for (int i = kTouched; i < count; ++i) {
    ASSERT_TRUE(seen.contains("e" + std::to_string(i))) << i;
  }
  EXPECT_EQ(this->h.List(dir).size(), static_cast<size_t>(count));
}

}  // namespace
}  // namespace weft::mds::test
