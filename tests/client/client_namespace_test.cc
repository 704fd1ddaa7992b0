// The path API and metadata calls of libweft against real daemons, and mount errors.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/xattr.h>

#include <csignal>
#include <mutex>
#include <thread>

#include "../fuse/metrics_scrape.h"
#include "weft_cluster.h"

namespace weft::test {
namespace {

using client::Client;
using client::Credentials;
using client::ErrnoOf;
using ::testing::HasSubstr;

std::vector<std::string> Names(const std::vector<client::DirEntry>& entries) {
  std::vector<std::string> names;
  for (const auto& e : entries) names.push_back(e.name);
  return names;
}

TEST(ClientMountTest, RefusesABadSourceAMissingMgsAndAnotherFileSystem) {
  auto bad = Client::Mount("127.0.0.1@tcp");
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr(":/FSNAME"));

  client::ClientOptions quick;
  quick.call_timeout = 1500ms;
  quick.attempt_timeout = 500ms;
  quick.config_poll = 200ms;
  auto nobody = Client::Mount(WeftCluster::NidOf(FreePort()) + ":/weft", quick);
  EXPECT_EQ(nobody.status().code(), StatusCode::kRpcDeadlineExceeded) << nobody.status().ToString();
  EXPECT_THAT(nobody.status().message(), HasSubstr("mounting weft"));

  quick.max_rpc_size = 0;
  auto zero = Client::Mount("127.0.0.1@tcp:/weft", quick);
  EXPECT_THAT(zero.status().message(), HasSubstr("max_rpc_size"));
}

class ClientNamespaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(cluster_.Start());
    auto fs = cluster_.Mount();
    ASSERT_TRUE(fs.ok()) << fs.status().ToString();
    fs_ = std::move(fs).value();
    ASSERT_NO_FATAL_FAILURE(WeftCluster::WaitForAllOsts(*fs_));
  }
  WeftCluster cluster_;
  std::unique_ptr<Client> fs_;
  Credentials cred_ = Credentials::OfProcess();
};

TEST_F(ClientNamespaceTest, PathCallsResolveComponentsDotDotAndSymlinks) {
  auto other_fs = Client::Mount(cluster_.MountSource().substr(0, cluster_.MountSource().size() - 4) +
                                "other");
  EXPECT_EQ(other_fs.status().code(), StatusCode::kMgsFsnameMismatch) << other_fs.status().ToString();

  ASSERT_TRUE(fs_->MkdirPath(cred_, "/a", 0755).ok());
  ASSERT_TRUE(fs_->MkdirPath(cred_, "/a/b", 0755).ok());
  EXPECT_EQ(ErrnoOf(fs_->MkdirPath(cred_, "/a/b", 0755).status()), EEXIST);
  EXPECT_EQ(ErrnoOf(fs_->MkdirPath(cred_, "/nope/b", 0755).status()), ENOENT);
  auto f = fs_->OpenPath(cred_, "/a/b/../b/./file", O_CREAT | O_EXCL | O_WRONLY, 0640);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  ASSERT_TRUE(fs_->Pwrite(*f, "hello", 5, 0).ok());
  ASSERT_TRUE(fs_->Close(*f).ok());
  auto st = fs_->Stat(cred_, "/a/b/file");
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_EQ(st->size(), 5u);
  EXPECT_EQ(st->mode(), 0640u);
  EXPECT_EQ(ErrnoOf(fs_->OpenPath(cred_, "/a/b/file", O_CREAT | O_EXCL | O_RDWR).status()), EEXIST);
  EXPECT_EQ(ErrnoOf(fs_->Stat(cred_, "/a/b/file/x").status()), ENOTDIR);

  // Symbolic links: relative to their directory, absolute from the root, and loops.
  ASSERT_TRUE(fs_->SymlinkPath(cred_, "b/file", "/a/rel").ok());
  ASSERT_TRUE(fs_->SymlinkPath(cred_, "/a/b", "/abs").ok());
  EXPECT_EQ(fs_->Stat(cred_, "/a/rel")->ino(), st->ino());
  EXPECT_EQ(fs_->Stat(cred_, "/abs/file")->ino(), st->ino());
  EXPECT_EQ(fs_->Stat(cred_, "/abs/../b/file")->ino(), st->ino()) << ".. of the link's target";
  EXPECT_EQ(fs_->Stat(cred_, "/a/rel", false)->type(), mds::SYMLINK);
  EXPECT_EQ(*fs_->ReadlinkPath(cred_, "/a/rel"), "b/file");
  ASSERT_TRUE(fs_->SymlinkPath(cred_, "/loop2", "/loop1").ok());
  ASSERT_TRUE(fs_->SymlinkPath(cred_, "/loop1", "/loop2").ok());
  EXPECT_EQ(ErrnoOf(fs_->Stat(cred_, "/loop1").status()), ELOOP);

  // Rename (plain, no-replace), link, listing, unlink, rmdir.
  auto x = fs_->OpenPath(cred_, "/a/y", O_CREAT | O_WRONLY);
  ASSERT_TRUE(x.ok());
  ASSERT_TRUE(fs_->Close(*x).ok());
  EXPECT_EQ(ErrnoOf(fs_->RenamePath(cred_, "/a/y", "/a/rel", 1)), EEXIST);
  ASSERT_TRUE(fs_->RenamePath(cred_, "/a/y", "/a/b/z").ok());
  ASSERT_TRUE(fs_->LinkPath(cred_, "/a/b/z", "/a/hard").ok());
  EXPECT_EQ(fs_->Stat(cred_, "/a/hard")->nlink(), 2u);
  auto listing = fs_->ListDir(cred_, "/a/b");
  ASSERT_TRUE(listing.ok()) << listing.status().ToString();
  EXPECT_THAT(Names(*listing), ::testing::UnorderedElementsAre(".", "..", "file", "z"));
  EXPECT_EQ(ErrnoOf(fs_->RmdirPath(cred_, "/a/b")), ENOTEMPTY);
  ASSERT_TRUE(fs_->UnlinkPath(cred_, "/a/b/z").ok());
  ASSERT_TRUE(fs_->UnlinkPath(cred_, "/a/b/file").ok());
  ASSERT_TRUE(fs_->RmdirPath(cred_, "/a/b").ok());
  EXPECT_EQ(ErrnoOf(fs_->Stat(cred_, "/abs").status()), ENOENT) << "dangling link";
  EXPECT_EQ(ErrnoOf(fs_->Stat(cred_, "/abs", false).status()), 0);
}

TEST_F(ClientNamespaceTest, InodeCallsXattrsLayoutsAccessAndStatfs) {
  auto dir = fs_->Mkdir(cred_, Client::kRootIno, "d", 0750);
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  auto found = fs_->Lookup(cred_, Client::kRootIno, "d");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->ino(), dir->ino());
  ASSERT_TRUE(fs_->Setxattr(cred_, dir->ino(), "user.k", "v1").ok());
  EXPECT_EQ(*fs_->Getxattr(cred_, dir->ino(), "user.k"), "v1");
  EXPECT_EQ(ErrnoOf(fs_->Setxattr(cred_, dir->ino(), "user.k", "v2", XATTR_CREATE)), EEXIST);
  EXPECT_THAT(*fs_->Listxattr(cred_, dir->ino()), ::testing::Contains("user.k"));
  ASSERT_TRUE(fs_->Removexattr(cred_, dir->ino(), "user.k").ok());
  EXPECT_EQ(ErrnoOf(fs_->Getxattr(cred_, dir->ino(), "user.k").status()), ENODATA);

  auto layout = fs_->SetLayout(cred_, dir->ino(), 128 * 1024, 2);
  ASSERT_TRUE(layout.ok()) << layout.status().ToString();
  auto created = fs_->Create(cred_, dir->ino(), "f", 0600, O_RDWR | O_CREAT);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->first.layout().stripe_size(), 128u * 1024);
  EXPECT_LE(created->first.layout().objects_size(), 2);
  ASSERT_TRUE(fs_->Close(created->second).ok());

  client::SetAttrs attrs;
  attrs.mode = 0700;
  attrs.size = 1000;
  auto set = fs_->Setattr(cred_, created->first.ino(), attrs);
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->mode(), 0700u);
  EXPECT_EQ(set->size(), 1000u);
  EXPECT_TRUE(fs_->Access(cred_, created->first.ino(), R_OK | W_OK).ok());
  auto page = fs_->Readdir(cred_, dir->ino(), 0, 0, true);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->entries.size(), 1u);
  ASSERT_TRUE(page->entries[0].inode.has_value());
  EXPECT_EQ(page->entries[0].inode->size(), 1000u);
  auto node = fs_->Mknod(cred_, dir->ino(), "fifo", S_IFIFO | 0644, 0);
  ASSERT_TRUE(node.ok()) << node.status().ToString();
  EXPECT_EQ(node->type(), mds::FIFO);

  for (int i = 0; i < 100; ++i) {
    auto stats = fs_->Statfs(cred_);
    ASSERT_TRUE(stats.ok()) << stats.status().ToString();
    if (stats->osts_counted == WeftCluster::kOsts) {
      EXPECT_GT(stats->bytes_total, 0u);
      EXPECT_GE(stats->bytes_total, stats->bytes_free);
      EXPECT_GT(stats->inodes_total, 0u);
      EXPECT_GT(fs_->config_generation(), 0u);
      return;
    }
    std::this_thread::sleep_for(100ms);
  }
  ADD_FAILURE() << "statfs never counted all four OSTs";
}

// fresh_dir_attrs: the getattr after this client's own create (or mkdir) in a directory is
// answered from the attributes the create's reply carried, once, within the option's time, and
// only if this client sent no other change since. Seen here through a second client's change
// in between, which the kept attributes do not show (as the kernel's cached ones would not).
TEST_F(ClientNamespaceTest, AGetattrAfterOwnCreateUsesTheAttributesTheCreateReturned) {
  client::ClientOptions o;
  o.attempt_timeout = 1500ms;
  o.fresh_dir_attrs = 800ms;
  auto mine = Client::Mount(cluster_.MountSource(), o);
  ASSERT_TRUE(mine.ok()) << mine.status().ToString();
  Client& a = **mine;
  auto dir = a.Mkdir(cred_, Client::kRootIno, "d", 0755);
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  uint64_t d = dir->ino();
  // Another client's create lands after ours: the getattr right after ours does not see it.
  auto mtime_now = [&](Client& c) { return c.Getattr(cred_, d)->mtime_ns(); };
  auto create = [&](Client& c, const std::string& name) {
    auto f = c.Create(cred_, d, name, 0644, O_CREAT | O_EXCL | O_RDWR);
    EXPECT_TRUE(f.ok()) << name << ": " << f.status().ToString();
    if (!f.ok()) return uint64_t{0};
    EXPECT_TRUE(c.Close(f->second).ok());
    return f->first.ino();
  };
  uint64_t a_ino = create(a, "a");
  ASSERT_NE(a_ino, 0u);
  int64_t after_mine = fs_->Getattr(cred_, d)->mtime_ns();
  std::this_thread::sleep_for(5ms);
  auto theirs = fs_->Mkdir(cred_, d, "b", 0755);
  ASSERT_TRUE(theirs.ok());
  int64_t after_theirs = mtime_now(*fs_);
  ASSERT_GT(after_theirs, after_mine);
  auto kept = a.Getattr(cred_, d);
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->mtime_ns(), after_mine) << "the create's own view of the directory";
  EXPECT_EQ(kept->nlink(), 2u) << "before the other client's mkdir";
  // Given once: the next getattr asks the MDS.
  EXPECT_EQ(mtime_now(a), after_theirs);
  EXPECT_EQ(a.Getattr(cred_, d)->nlink(), 3u);
  // Changes by this client to other inodes in between (a chmod of the file, a mkdir in
  // another directory) leave them kept.
  ASSERT_NE(create(a, "c"), 0u);
  int64_t after_c = fs_->Getattr(cred_, d)->mtime_ns();
  std::this_thread::sleep_for(5ms);
  ASSERT_TRUE(fs_->Mkdir(cred_, d, "e", 0755).ok());
  client::SetAttrs chmod;
  chmod.mode = 0600;
  ASSERT_TRUE(a.Setattr(cred_, a_ino, chmod).ok());
  ASSERT_TRUE(a.Mkdir(cred_, Client::kRootIno, "elsewhere", 0755).ok());
  EXPECT_EQ(mtime_now(a), after_c) << "kept across changes to other inodes";
  // A change by this client to the directory itself in between (a chmod of it): the MDS is
  // asked.
  ASSERT_NE(create(a, "c2"), 0u);
  std::this_thread::sleep_for(5ms);
  ASSERT_TRUE(fs_->Mkdir(cred_, d, "e2", 0755).ok());
  client::SetAttrs dir_mode;
  dir_mode.mode = 0755;
  ASSERT_TRUE(a.Setattr(cred_, d, dir_mode).ok());
  EXPECT_EQ(mtime_now(a), mtime_now(*fs_));
  // A rename anywhere (its reach is not one known directory): the MDS is asked.
  ASSERT_NE(create(a, "c3"), 0u);
  std::this_thread::sleep_for(5ms);
  ASSERT_TRUE(fs_->Mkdir(cred_, d, "e3", 0755).ok());
  ASSERT_TRUE(a.Rename(cred_, Client::kRootIno, "elsewhere", Client::kRootIno, "moved", 0).ok());
  EXPECT_EQ(mtime_now(a), mtime_now(*fs_));
  // Older than fresh_dir_attrs: the MDS is asked.
  ASSERT_NE(create(a, "f"), 0u);
  std::this_thread::sleep_for(5ms);
  ASSERT_TRUE(fs_->Mkdir(cred_, d, "g", 0755).ok());
  std::this_thread::sleep_for(900ms);
  EXPECT_EQ(mtime_now(a), mtime_now(*fs_));
  // The default (0): always the MDS.
  ASSERT_NE(create(*fs_, "h"), 0u);
  std::this_thread::sleep_for(5ms);
  ASSERT_TRUE(a.Mkdir(cred_, d, "i", 0755).ok());
  EXPECT_EQ(mtime_now(*fs_), mtime_now(a));
  // An unlink's reply carries the directory too.
  ASSERT_TRUE(a.Unlink(cred_, d, "c").ok());
  int64_t after_unlink = mtime_now(*fs_);
  std::this_thread::sleep_for(5ms);
  ASSERT_TRUE(fs_->Mkdir(cred_, d, "j", 0755).ok());
  EXPECT_EQ(mtime_now(a), after_unlink);
  EXPECT_EQ(mtime_now(a), mtime_now(*fs_));
}

// On an MDS that answers namespace changes before their log sync (mds.sync_namespace=false),
// the client counts each one as maybe not durable: fsync of the directory, or of a new file
// it wrote nothing to, then asks the MDS for a Sync; with nothing changed since, it asks
// nothing.
TEST(ClientSyncTest, FsyncAfterANamespaceChangeAsksTheMdsToSync) {
  WeftCluster cluster;
  cluster.mds_args = {"--mds.sync_namespace=false", "--metrics.port=0"};
  ASSERT_NO_FATAL_FAILURE(cluster.Start());
  uint16_t port = LoggedMetricsPort(cluster.mds().err());
  ASSERT_NE(port, 0) << cluster.mds().err();
  auto mounted = cluster.Mount();
  ASSERT_TRUE(mounted.ok()) << mounted.status().ToString();
  Client& fs = **mounted;
  Credentials cred = Credentials::OfProcess();
  auto syncs = [port] {
    std::string series = "weft_rpc_server_requests_total{service=\"mds\",method=\"Sync\"}";
    return std::max(0.0, SampleValue(ScrapeMetrics(port), series));
  };
  const uint64_t root = Client::kRootIno;
  double before = syncs();
  auto f = fs.Create(cred, root, "a", 0644, O_CREAT | O_EXCL | O_RDWR);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  ASSERT_TRUE(fs.Close(f->second).ok());
  ASSERT_TRUE(fs.FsyncDir(cred, root).ok());
  EXPECT_EQ(syncs(), before + 1) << "the create";
  ASSERT_TRUE(fs.FsyncDir(cred, root).ok());
  EXPECT_EQ(syncs(), before + 1) << "nothing changed since";

  ASSERT_TRUE(fs.Rename(cred, root, "a", root, "b", 0).ok());
  ASSERT_TRUE(fs.FsyncDir(cred, root).ok());
  EXPECT_EQ(syncs(), before + 2) << "the rename";
  ASSERT_TRUE(fs.Unlink(cred, root, "b").ok());
  ASSERT_TRUE(fs.Mkdir(cred, root, "d", 0755).ok());
  ASSERT_TRUE(fs.FsyncDir(cred, root).ok());
  EXPECT_EQ(syncs(), before + 3) << "the unlink and the mkdir, in one Sync";

  auto g = fs.Create(cred, root, "g", 0644, O_CREAT | O_EXCL | O_RDWR);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  ASSERT_TRUE(fs.Fsync(g->second).ok());
  EXPECT_EQ(syncs(), before + 4) << "fsync of a new file makes its name durable";
  ASSERT_TRUE(fs.Close(g->second).ok());
}

// Name leases (docs/client.md): a client that asks gets a lease on the directory it looks or
// creates in, and is told of each name another client removes or replaces there while it
// lasts; not of its own, and not once the lease ran out. One that does not ask gets none.
class NameLeaseTest : public ::testing::Test {
 protected:
  struct Told {
    std::mutex mu;
    std::vector<std::string> names;
    void Add(uint64_t parent, const std::string& name) {
      std::lock_guard lock(mu);
      names.push_back(std::to_string(parent) + "/" + name);
    }
    std::vector<std::string> Get() {
      std::lock_guard lock(mu);
      return names;
    }
    // Waits up to 5 s for `n` names.
    std::vector<std::string> WaitFor(size_t n) {
      for (int i = 0; i < 500 && Get().size() < n; ++i) std::this_thread::sleep_for(10ms);
      return Get();
    }
  };
  std::unique_ptr<Client> MountWith(bool leases, Told* told) {
    auto c = cluster_.Mount(20s, leases);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    if (!c.ok()) return nullptr;
    (*c)->SetNamesRemovedHandler(
        [told](uint64_t parent, const std::string& name) { told->Add(parent, name); });
    return std::move(c).value();
  }
  static void Touch(Client& fs, const Credentials& cred, uint64_t dir, const std::string& name) {
    auto f = fs.Create(cred, dir, name, 0644, O_CREAT | O_RDWR);
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    ASSERT_TRUE(fs.Close(f->second).ok());
  }

  WeftCluster cluster_;
  Credentials cred_ = Credentials::OfProcess();
};

TEST_F(NameLeaseTest, AHolderIsToldOfNamesAnotherClientRemovesOrReplaces) {
  ASSERT_NO_FATAL_FAILURE(cluster_.Start());
  Told a_told, b_told, c_told;
  auto a = MountWith(true, &a_told);
  auto b = MountWith(true, &b_told);
  auto c = MountWith(false, &c_told);
  ASSERT_TRUE(a && b && c);
  const uint64_t root = Client::kRootIno;
  auto d = b->Mkdir(cred_, root, "d", 0755);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  const uint64_t dir = d->ino();
  for (const char* n : {"x", "y", "z"}) ASSERT_NO_FATAL_FAILURE(Touch(*b, cred_, dir, n));

  // A looks in d: a lease of about mds.lease_ms (30 s by default). C did not ask: none.
  ASSERT_TRUE(a->Lookup(cred_, dir, "x").ok());
  ASSERT_TRUE(c->Lookup(cred_, dir, "x").ok());
  EXPECT_GT(a->NameLeaseRemaining(dir), 20s);
  EXPECT_EQ(c->NameLeaseRemaining(dir), 0s);
  EXPECT_GT(b->NameLeaseRemaining(dir), 20s) << "B created there";

  // B unlinks x: A is told, B (its own change) and C (no lease) are not.
  ASSERT_TRUE(b->Unlink(cred_, dir, "x").ok());
  const std::string x = std::to_string(dir) + "/x";
  EXPECT_EQ(a_told.WaitFor(1), std::vector<std::string>{x});
  // B renames y over z: both names. A renames z back to w: B is told of both.
  ASSERT_TRUE(b->Rename(cred_, dir, "y", dir, "z", 0).ok());
  EXPECT_EQ(a_told.WaitFor(3),
            (std::vector<std::string>{x, std::to_string(dir) + "/y", std::to_string(dir) + "/z"}));
  ASSERT_TRUE(a->Rename(cred_, dir, "z", dir, "w", 0).ok());
  EXPECT_EQ(b_told.WaitFor(2).size(), 2u);
  // A failed removal removes nothing and tells nobody.
  EXPECT_FALSE(b->Unlink(cred_, dir, "no-such-name").ok());
  // A removal in another directory A has looked in.
  ASSERT_TRUE(a->Lookup(cred_, root, "d").ok());
  ASSERT_NO_FATAL_FAILURE(Touch(*b, cred_, root, "r"));
  ASSERT_TRUE(b->Unlink(cred_, root, "r").ok());
  EXPECT_EQ(a_told.WaitFor(4).back(), std::to_string(root) + "/r");
  EXPECT_EQ(a_told.Get().size(), 4u);
  EXPECT_EQ(b_told.Get().size(), 2u);
  EXPECT_TRUE(c_told.Get().empty());
}

TEST_F(NameLeaseTest, ALeaseRunsOutAndAnMdsWithoutLeasesGrantsNone) {
  cluster_.mds_args = {"--mds.lease_ms=1000"};
  ASSERT_NO_FATAL_FAILURE(cluster_.Start());
  Told a_told, b_told;
  auto a = MountWith(true, &a_told);
  auto b = MountWith(true, &b_told);
  ASSERT_TRUE(a && b);
  const uint64_t root = Client::kRootIno;
  ASSERT_NO_FATAL_FAILURE(Touch(*b, cred_, root, "x"));
  ASSERT_NO_FATAL_FAILURE(Touch(*b, cred_, root, "y"));
  ASSERT_TRUE(a->Lookup(cred_, root, "x").ok());
  auto left = a->NameLeaseRemaining(root);
  EXPECT_GT(left, 0s);
  EXPECT_LE(left, 1000ms);
  std::this_thread::sleep_for(1200ms);
  EXPECT_EQ(a->NameLeaseRemaining(root), 0s);
  ASSERT_TRUE(b->Unlink(cred_, root, "x").ok());
  // Asked again, told again.
  ASSERT_TRUE(a->Lookup(cred_, root, "y").ok());
  ASSERT_TRUE(b->Unlink(cred_, root, "y").ok());
  EXPECT_EQ(a_told.WaitFor(1), std::vector<std::string>{std::to_string(root) + "/y"})
      << "x went after A's lease ran out";
}

TEST_F(NameLeaseTest, AnMdsWithLeasesOffGrantsNone) {
  cluster_.mds_args = {"--mds.lease_ms=0"};
  ASSERT_NO_FATAL_FAILURE(cluster_.Start());
  Told a_told;
  auto a = MountWith(true, &a_told);
  ASSERT_TRUE(a);
  ASSERT_NO_FATAL_FAILURE(Touch(*a, cred_, Client::kRootIno, "x"));
  ASSERT_TRUE(a->Lookup(cred_, Client::kRootIno, "x").ok());
  EXPECT_EQ(a->NameLeaseRemaining(Client::kRootIno), 0s);
}

// A restarted MDS has forgotten its leases, but not who held them: for one lease term it tells
// those clients of every removal, so a name cached before the restart does not outlive its
// removal after it.
TEST_F(NameLeaseTest, ARestartedMdsTellsTheClientsThatHeldLeasesBefore) {
  cluster_.mds_args = {"--mds.lease_ms=20000"};
  ASSERT_NO_FATAL_FAILURE(cluster_.Start());
  Told a_told, b_told;
  auto a = MountWith(true, &a_told);
  auto b = MountWith(false, &b_told);
  ASSERT_TRUE(a && b);
  const uint64_t root = Client::kRootIno;
  ASSERT_NO_FATAL_FAILURE(Touch(*b, cred_, root, "x"));
  ASSERT_TRUE(a->Lookup(cred_, root, "x").ok());
  ASSERT_NO_FATAL_FAILURE(cluster_.RestartMds(SIGKILL));
  EXPECT_THAT(cluster_.mds().err(),
              HasSubstr("clients that held name leases before this start: 1;"));
  // B has no lease of its own: only the grace tells A.
  ASSERT_TRUE(b->Unlink(cred_, root, "x").ok());
  EXPECT_EQ(a_told.WaitFor(1), std::vector<std::string>{std::to_string(root) + "/x"});
  EXPECT_TRUE(b_told.Get().empty());
}

}  // namespace
}  // namespace weft::test
