// Extended attributes, layouts, and the OST allocator.
#include <sys/stat.h>

#include <map>
#include <set>
#include <thread>

#include "mdt_fixture.h"

namespace weft::mds::test {
namespace {

template <typename Store>
class XattrTest : public MdtTest<Store> {
 protected:
  void SetUp() override {
    auto f = this->h.Create(this->h.root(), "f", 0644);
    ASSERT_TRUE(f.ok());
    ino = f->inode().ino();
  }
  Result<EmptyReply> Set(const std::string& name, const std::string& value, uint32_t flags = 0,
                         const Credentials& cred = Cred(0, 0)) {
    SetxattrRequest req;
    *req.mutable_cred() = cred;
    req.set_ino(ino);
    req.set_name(name);
    req.set_value(value);
    req.set_flags(flags);
    return this->h.mdt().Setxattr(req);
  }
  Result<GetxattrReply> Get(const std::string& name, uint32_t size = 1 << 16,
                            const Credentials& cred = Cred(0, 0)) {
    GetxattrRequest req;
    *req.mutable_cred() = cred;
    req.set_ino(ino);
    req.set_name(name);
    req.set_size(size);
    return this->h.mdt().Getxattr(req);
  }
  uint64_t ino = 0;
};
TYPED_TEST_SUITE(XattrTest, StoreTypes);

TYPED_TEST(XattrTest, SetGetListRemove) {
  ASSERT_TRUE(this->Set("user.a", "1").ok());
  ASSERT_TRUE(this->Set("user.b", std::string("\0x", 2)).ok());
  EXPECT_EQ(this->Get("user.a")->value(), "1");
  EXPECT_EQ(this->Get("user.b")->value(), std::string("\0x", 2));
  ListxattrRequest list;
  list.set_ino(this->ino);
  list.set_size(100);
  auto names = this->h.mdt().Listxattr(list);
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(names->names_size(), 2);
  EXPECT_EQ(names->size(), 14u);
  RemovexattrRequest rm;
  rm.set_ino(this->ino);
  rm.set_name("user.a");
  ASSERT_TRUE(this->h.mdt().Removexattr(rm).ok());
  EXPECT_CODE(this->h.mdt().Removexattr(rm), kNoData);
  EXPECT_CODE(this->Get("user.a"), kNoData);
}

TYPED_TEST(XattrTest, CreateAndReplaceFlags) {
  EXPECT_CODE(this->Set("user.a", "1", 2), kNoData);
  ASSERT_TRUE(this->Set("user.a", "1", 1).ok());
  EXPECT_CODE(this->Set("user.a", "2", 1), kAlreadyExists);
  ASSERT_TRUE(this->Set("user.a", "3", 2).ok());
  EXPECT_EQ(this->Get("user.a")->value(), "3");
  EXPECT_CODE(this->Set("user.a", "3", 3), kInvalidArgument);
}

TYPED_TEST(XattrTest, SizesAndRange) {
  ASSERT_TRUE(this->Set("user.a", "12345").ok());
  auto size_only = this->Get("user.a", 0);
  ASSERT_TRUE(size_only.ok());
  EXPECT_EQ(size_only->size(), 5u);
  EXPECT_TRUE(size_only->value().empty());
  EXPECT_CODE(this->Get("user.a", 4), kOutOfRange);
  ListxattrRequest list;
  list.set_ino(this->ino);
  list.set_size(3);
  EXPECT_CODE(this->h.mdt().Listxattr(list), kOutOfRange);
  EXPECT_CODE(this->Set("user." + std::string(251, 'n'), "v"), kOutOfRange);
  EXPECT_CODE(this->Set("user.big", std::string(65537, 'v')), kTooBig);
  EXPECT_CODE(this->Set("other.a", "v"), kNotSupported);
  EXPECT_CODE(this->Set("", "v"), kOutOfRange);
}

TYPED_TEST(XattrTest, Permissions) {
  Credentials user = Cred(1000, 1000);
  EXPECT_CODE(this->Set("user.a", "v", 0, user), kPermissionDenied);
  ASSERT_TRUE(this->Set("user.a", "v").ok());
  EXPECT_TRUE(this->Get("user.a", 10, user).ok());  // 0644: readable
  EXPECT_CODE(this->Set("trusted.t", "v", 0, user), kNotPermitted);
  ASSERT_TRUE(this->Set("trusted.t", "v").ok());
  EXPECT_CODE(this->Get("trusted.t", 10, user), kNoData);
  ListxattrRequest list;
  *list.mutable_cred() = user;
  list.set_ino(this->ino);
  list.set_size(100);
  EXPECT_EQ(this->h.mdt().Listxattr(list)->names_size(), 1);
}

TYPED_TEST(XattrTest, XattrsGoWithTheInode) {
  ASSERT_TRUE(this->Set("user.a", "v").ok());
  ASSERT_TRUE(this->h.Unlink(this->h.root(), "f").ok());
  int left = 0;
  ASSERT_TRUE(this->h.mdt().store().Scan(Family::kXattrs, "", "", [&](auto, auto) {
    ++left;
    return true;
  }).ok());
  EXPECT_EQ(left, 0);
}

template <typename Store>
class LayoutTest : public MdtTest<Store> {};
TYPED_TEST_SUITE(LayoutTest, StoreTypes);

TYPED_TEST(LayoutTest, LayoutsInheritFromParentOrFilesystem) {
  uint64_t root = this->h.root();
  GetLayoutRequest get;
  get.set_ino(root);
  auto def = this->h.mdt().GetLayout(get);
  ASSERT_TRUE(def.ok());
  EXPECT_TRUE(def->inherited());
  EXPECT_EQ(def->layout().stripe_size(), 1u << 20);
  auto d = this->h.Mkdir(root, "wide");
  SetLayoutRequest set;
  set.set_ino(d->inode().ino());
  set.set_stripe_count(-1);
  set.set_stripe_size(4 << 20);
  ASSERT_TRUE(this->h.mdt().SetLayout(set).ok());
  auto f = this->h.Create(d->inode().ino(), "f");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->inode().layout().stripe_count(), 4);
  EXPECT_EQ(f->inode().layout().stripe_size(), 4u << 20);
  std::set<uint32_t> osts;
  for (const auto& o : f->inode().layout().objects()) osts.insert(o.ost_index());
  EXPECT_EQ(osts.size(), 4u);
  auto sub = this->h.Mkdir(d->inode().ino(), "sub");
  auto g = this->h.Create(sub->inode().ino(), "g");
  EXPECT_EQ(g->inode().layout().stripe_count(), 4);
}

TYPED_TEST(LayoutTest, SetLayoutOnEmptyFileOnly) {
  auto f = this->h.Create(this->h.root(), "f");
  SetLayoutRequest set;
  set.set_ino(f->inode().ino());
  set.set_stripe_count(2);
  auto done = this->h.mdt().SetLayout(set);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->layout().objects_size(), 2);
  EXPECT_EQ(done->layout().stripe_size(), 1u << 20);
  set.set_stripe_size(1000);
  EXPECT_CODE(this->h.mdt().SetLayout(set), kInvalidArgument);
  set.set_stripe_size(0);
  *set.mutable_cred() = Cred(1000, 1000);
  EXPECT_CODE(this->h.mdt().SetLayout(set), kNotPermitted);
  *set.mutable_cred() = Cred(0, 0);
  SetattrRequest grow;
  grow.set_ino(f->inode().ino());
  grow.set_size(10);
  ASSERT_TRUE(this->h.mdt().Setattr(grow).ok());
  EXPECT_CODE(this->h.mdt().SetLayout(set), kBusy);
}

TYPED_TEST(LayoutTest, StartOstPutsTheFirstStripeThereAndMinusOneClearsIt) {
  uint64_t root = this->h.root();
  auto d = this->h.Mkdir(root, "from2");
  ASSERT_TRUE(d.ok());
  SetLayoutRequest set;
  set.set_ino(d->inode().ino());
  set.set_stripe_count(2);
  set.set_start_ost(2);
  auto done = this->h.mdt().SetLayout(set);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->layout().start_ost(), 2);
  for (const char* name : {"a", "b", "c"}) {  // every file, not only the first
    auto f = this->h.Create(d->inode().ino(), name);
    ASSERT_TRUE(f.ok());
    ASSERT_EQ(f->inode().layout().objects_size(), 2);
    EXPECT_EQ(f->inode().layout().objects(0).ost_index(), 2u);
    EXPECT_EQ(f->inode().layout().objects(1).ost_index(), 3u);
    EXPECT_FALSE(f->inode().layout().has_start_ost());  // a file's objects say where it is
  }
  // Past the last OST the stripes wrap to the first.
  set.set_start_ost(3);
  ASSERT_TRUE(this->h.mdt().SetLayout(set).ok());
  auto w = this->h.Create(d->inode().ino(), "wrap");
  ASSERT_EQ(w->inode().layout().objects_size(), 2);
  EXPECT_EQ(w->inode().layout().objects(0).ost_index(), 3u);
  EXPECT_EQ(w->inode().layout().objects(1).ost_index(), 0u);
  // An OST the file system does not have is refused, and the default stays as it was.
  set.set_start_ost(9);
  EXPECT_CODE(this->h.mdt().SetLayout(set), kInvalidArgument);
  set.set_start_ost(-2);
  EXPECT_CODE(this->h.mdt().SetLayout(set), kInvalidArgument);
  GetLayoutRequest get;
  get.set_ino(d->inode().ino());
  EXPECT_EQ(this->h.mdt().GetLayout(get)->layout().start_ost(), 3);
  // A request without start_ost keeps it; -1 hands the choice back to the MDS.
  SetLayoutRequest keep;
  keep.set_ino(d->inode().ino());
  keep.set_stripe_count(1);
  ASSERT_TRUE(this->h.mdt().SetLayout(keep).ok());
  EXPECT_EQ(this->h.mdt().GetLayout(get)->layout().start_ost(), 3);
  keep.set_start_ost(-1);
  ASSERT_TRUE(this->h.mdt().SetLayout(keep).ok());
  EXPECT_FALSE(this->h.mdt().GetLayout(get)->layout().has_start_ost());
  // On an empty file, too.
  auto f = this->h.Create(root, "single");
  SetLayoutRequest file;
  file.set_ino(f->inode().ino());
  file.set_start_ost(1);
  auto placed = this->h.mdt().SetLayout(file);
  ASSERT_TRUE(placed.ok());
  ASSERT_GE(placed->layout().objects_size(), 1);
  EXPECT_EQ(placed->layout().objects(0).ost_index(), 1u);
}

TEST(OstAllocatorTest, StartOstBeginsThereOrAtTheNextActiveOne) {
  RoundRobinOstAllocator allocator;
  allocator.Update({{0, true, 1 << 30}, {1, false, 1 << 30}, {2, true, 1 << 30},
                    {3, true, 1 << 30}});
  EXPECT_EQ(*allocator.Choose(2, 2), (std::vector<uint32_t>{2, 3}));
  EXPECT_EQ(*allocator.Choose(2, 3), (std::vector<uint32_t>{3, 0}));
  EXPECT_EQ(*allocator.Choose(2, 1), (std::vector<uint32_t>{2, 3}));  // 1 is not active
  EXPECT_EQ(*allocator.Choose(-1, 3), (std::vector<uint32_t>{3, 0, 2}));
  EXPECT_TRUE(allocator.Knows(1));
  EXPECT_FALSE(allocator.Knows(4));
}

TEST(OstAllocatorTest, RoundRobinSkipsInactiveAndCapsCount) {
  RoundRobinOstAllocator allocator;
  EXPECT_CODE(allocator.Choose(1), kNoSpace);
  allocator.Update({{0, true, 1 << 30}, {1, false, 1 << 30}, {2, true, 1 << 30}});
  std::map<uint32_t, int> firsts;
  for (int i = 0; i < 10; ++i) {
    auto chosen = allocator.Choose(1);
    ASSERT_TRUE(chosen.ok());
    ASSERT_EQ(chosen->size(), 1u);
    ++firsts[(*chosen)[0]];
  }
  EXPECT_EQ(firsts[0], 5);
  EXPECT_EQ(firsts[2], 5);
  EXPECT_EQ(firsts.count(1), 0u);
  EXPECT_EQ(allocator.Choose(-1)->size(), 2u);
  EXPECT_EQ(allocator.Choose(8)->size(), 2u);
}

// A restarted MDS serves before its first configuration arrives: with WaitForFirstUpdate a
// create in that window waits for it instead of failing with ENOSPC; after the first update
// (or without the wait) none active is kNoSpace at once.
TEST(OstAllocatorTest, ChooseWaitsForTheFirstConfiguration) {
  RoundRobinOstAllocator allocator;
  allocator.WaitForFirstUpdate(std::chrono::seconds(10));
  std::thread config([&allocator] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    allocator.Update({{0, true, 1 << 30}, {1, true, 1 << 30}});
  });
  auto chosen = allocator.Choose(-1);
  config.join();
  ASSERT_TRUE(chosen.ok()) << chosen.status().ToString();
  EXPECT_EQ(chosen->size(), 2u);
  allocator.Update({{0, false, 1 << 30}});
  auto start = std::chrono::steady_clock::now();
  EXPECT_CODE(allocator.Choose(1), kNoSpace);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

TEST(OstAllocatorTest, WeightedByFreeSpace) {
  RoundRobinOstAllocator allocator;
  allocator.Update({{0, true, 3ull << 30}, {1, true, 1ull << 30}});
  std::map<uint32_t, int> firsts;
  for (int i = 0; i < 400; ++i) ++firsts[(*allocator.Choose(1))[0]];
  EXPECT_EQ(firsts[0], 300);
  EXPECT_EQ(firsts[1], 100);
  auto two = allocator.Choose(2);
  EXPECT_NE((*two)[0], (*two)[1]);
}

}  // namespace
}  // namespace weft::mds::test
