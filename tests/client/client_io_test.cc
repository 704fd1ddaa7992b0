// Striped I/O through libweft against real daemons: data integrity against a reference
// buffer, objects on the OSTs, sizes at the MDS, a server restarted under pending calls.
#include <fcntl.h>
#include <gtest/gtest.h>

#include <future>
#include <random>
#include <thread>

#include "weft_cluster.h"

namespace weft::test {
namespace {

using client::Client;
using client::Credentials;
using client::DirEntry;
using client::FileHandle;
using client::SetAttrs;

class ClientIoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(cluster_.Start());
    auto fs = cluster_.Mount();
    ASSERT_TRUE(fs.ok()) << fs.status().ToString();
    fs_ = std::move(fs).value();
    ASSERT_NO_FATAL_FAILURE(WeftCluster::WaitForAllOsts(*fs_));
  }

  // Creates `path`, striped over all four OSTs (the MGS's default layout).
  FileHandle CreateStriped(const std::string& path) {
    auto f = fs_->OpenPath(cred_, path, O_CREAT | O_EXCL | O_RDWR, 0644);
    EXPECT_TRUE(f.ok()) << f.status().ToString();
    if (!f.ok()) return nullptr;
    auto layout = fs_->GetLayout(cred_, fs_->FileIno(*f));
    EXPECT_TRUE(layout.ok() && layout->layout().objects_size() == 4);
    return *f;
  }

  // A second client (close-to-open) opens `path` and reads exactly `want`.
  void ExpectAnotherClientReads(const std::string& path, const std::string& want) {
    auto other = cluster_.Mount();
    ASSERT_TRUE(other.ok()) << other.status().ToString();
    auto g = (*other)->OpenPath(cred_, path, O_RDONLY);
    ASSERT_TRUE(g.ok()) << g.status().ToString();
    std::string all(want.size() + 1, 'x');
    auto r = (*other)->Pread(*g, all.data(), all.size(), 0);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    all.resize(*r);
    EXPECT_TRUE(all == want) << path;
    EXPECT_TRUE((*other)->Close(*g).ok());
  }

  static std::string Random(std::mt19937_64& rng, size_t n) {
    std::string s(n, '\0');
    for (char& c : s) c = static_cast<char>('a' + rng() % 26);
    return s;
  }

  WeftCluster cluster_;
  std::unique_ptr<Client> fs_;
  Credentials cred_ = Credentials::OfProcess();
};

constexpr uint64_t kS = WeftCluster::kStripeSize;

TEST_F(ClientIoTest, RandomWritesReadsAndTruncatesMatchAReferenceAcrossFourStripes) {
  FileHandle f = CreateStriped("/data");
  ASSERT_NE(f, nullptr);
  uint64_t ino = fs_->FileIno(f);
  auto layout = fs_->GetLayout(cred_, ino);
  ASSERT_TRUE(layout.ok());
  auto ost_of = [&](uint64_t stripe) { return layout->layout().objects(static_cast<int>(stripe)).ost_index(); };

  // Only stripes 0 and 2 written (a hole between): only their objects exist.
  std::mt19937_64 rng(42);
  std::string ref(3 * kS, '\0');
  std::string a = Random(rng, kS - 100), b = Random(rng, 1000);
  ASSERT_EQ(*fs_->Pwrite(f, a.data(), a.size(), 50), a.size());
  ASSERT_EQ(*fs_->Pwrite(f, b.data(), b.size(), 2 * kS + 7), b.size());
  ref.replace(50, a.size(), a);
  ref.replace(2 * kS + 7, b.size(), b);
  ref.resize(2 * kS + 7 + b.size());
  std::string got(ref.size() + 500, 'x');
  auto n = fs_->Pread(f, got.data(), got.size(), 0);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  ASSERT_EQ(*n, ref.size()) << "short at the end of the file";
  got.resize(*n);
  ASSERT_TRUE(got == ref) << "holes read as zeros";
  std::set<std::pair<uint32_t, uint64_t>> expect = {{ost_of(0), 0}, {ost_of(2), 2}};
  EXPECT_EQ(cluster_.ObjectsOf(ino), expect);

  // Random writes across stripe boundaries and rows, reads and truncates.
  for (int op = 0; op < 60; ++op) {
    uint64_t off = rng() % (10 * kS);
    size_t len = 1 + rng() % (3 * kS);
    int what = static_cast<int>(rng() % 10);
    if (what < 6) {
      std::string data = Random(rng, len);
      auto w = fs_->Pwrite(f, data.data(), len, off);
      ASSERT_TRUE(w.ok()) << w.status().ToString();
      if (ref.size() < off + len) ref.resize(off + len, '\0');
      ref.replace(off, len, data);
    } else if (what < 9) {
      std::string buf(len, 'x');
      auto r = fs_->Pread(f, buf.data(), len, off);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      std::string want = off >= ref.size() ? "" : ref.substr(off, len);
      ASSERT_EQ(*r, want.size()) << "op " << op;
      buf.resize(*r);
      ASSERT_TRUE(buf == want) << "op " << op << " off " << off << " len " << len;
    } else {
      uint64_t size = rng() % (6 * kS);
      ASSERT_TRUE(fs_->Ftruncate(f, size).ok());
      ref.resize(size, '\0');
    }
  }

  // Sequential small reads (served by readahead), then a write inside the window: the next
  // read sees it.
  std::string seq;
  for (uint64_t off = 0; off < ref.size(); off += 4096) {
    std::string chunk(4096, 'x');
    auto r = fs_->Pread(f, chunk.data(), chunk.size(), off);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    seq.append(chunk.data(), *r);
  }
  ASSERT_TRUE(seq == ref);
  std::string chunk(4096, 'x');
  ASSERT_TRUE(fs_->Pread(f, chunk.data(), 100, 0).ok());
  ASSERT_TRUE(fs_->Pwrite(f, "ZZZZ", 4, 8192).ok());
  if (ref.size() < 8196) ref.resize(8196, '\0');
  ref.replace(8192, 4, "ZZZZ");
  ASSERT_EQ(*fs_->Pread(f, chunk.data(), 4, 8192), 4u);
  EXPECT_EQ(chunk.substr(0, 4), "ZZZZ");
  ASSERT_TRUE(fs_->Close(f).ok());

  // A second client (close-to-open) sees the size and every byte.
  auto other = cluster_.Mount();
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  auto st = (*other)->Stat(cred_, "/data");
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_EQ(st->size(), ref.size());
  ExpectAnotherClientReads("/data", ref);
}

TEST_F(ClientIoTest, FsyncReportsTheSizeAndOTruncEmptiesTheObjects) {
  FileHandle f = CreateStriped("/synced");
  ASSERT_NE(f, nullptr);
  std::string data(5 * kS + 3, 'q');
  ASSERT_TRUE(fs_->Pwrite(f, data.data(), data.size(), 0).ok());
  auto other = cluster_.Mount();
  ASSERT_TRUE(other.ok());
  EXPECT_EQ((*other)->Stat(cred_, "/synced")->size(), 0u) << "not reported before fsync";
  ASSERT_TRUE(fs_->Fsync(f).ok());
  EXPECT_EQ((*other)->Stat(cred_, "/synced")->size(), data.size());
  ASSERT_TRUE(fs_->Close(f).ok());

  auto t = (*other)->OpenPath(cred_, "/synced", O_RDWR | O_TRUNC);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_TRUE((*other)->Pwrite(*t, "xy", 2, 3 * kS).ok());
  ASSERT_TRUE((*other)->Close(*t).ok());
  auto g = fs_->OpenPath(cred_, "/synced", O_RDONLY);
  ASSERT_TRUE(g.ok());
  std::string all(10 * kS, 'x');
  auto n = fs_->Pread(*g, all.data(), all.size(), 0);
  ASSERT_TRUE(n.ok());
  ASSERT_EQ(*n, 3 * kS + 2);
  EXPECT_EQ(all.substr(0, 3 * kS), std::string(3 * kS, '\0')) << "old data gone with O_TRUNC";
  EXPECT_EQ(all.substr(3 * kS, 2), "xy");
  EXPECT_TRUE(fs_->Close(*g).ok());
  EXPECT_EQ(fs_->Pread(*g, all.data(), 1, 0).status().code(), StatusCode::kInvalidArgument)
      << "a closed file refuses I/O";
}

// st_blocks (du) counts the space the objects take on the OSTs, as the writer's last report
// found it: a whole file about its size, a sparse one far less.
TEST_F(ClientIoTest, BlocksCountTheSpaceTheObjectsTake) {
  FileHandle f = CreateStriped("/full");
  ASSERT_NE(f, nullptr);
  uint64_t ino = fs_->FileIno(f);
  std::string data(4 * kS, 'b');
  ASSERT_TRUE(fs_->Pwrite(f, data.data(), data.size(), 0).ok());
  ASSERT_TRUE(fs_->Close(f).ok());
  uint64_t blocks = fs_->Getattr(cred_, ino)->blocks();
  EXPECT_GE(blocks * 512, 4 * kS);
  EXPECT_LE(blocks * 512, 8 * kS);

  FileHandle s = CreateStriped("/sparse");
  ASSERT_NE(s, nullptr);
  uint64_t sparse = fs_->FileIno(s);
  ASSERT_TRUE(fs_->Pwrite(s, "x", 1, 400 * kS).ok());
  ASSERT_TRUE(fs_->Fsync(s).ok());
  auto attr = fs_->Getattr(cred_, sparse);
  EXPECT_EQ(attr->size(), 400 * kS + 1);
  EXPECT_GT(attr->blocks(), 0u);
  EXPECT_LT(attr->blocks() * 512, kS);
  ASSERT_TRUE(fs_->Close(s).ok());
}

// Without a kernel in between (the C API), the client clears setuid and setgid-with-group-
// execute on a write by anyone but root, once, as write(2) does.
TEST_F(ClientIoTest, AWriteByAnotherUserClearsSetuid) {
  FileHandle f = CreateStriped("/suid");
  ASSERT_NE(f, nullptr);
  uint64_t ino = fs_->FileIno(f);
  ASSERT_TRUE(fs_->Close(f).ok());
  SetAttrs chmod;
  chmod.mode = 06777;
  ASSERT_TRUE(fs_->Setattr(cred_, ino, chmod).ok());
  Credentials root;
  auto r = fs_->OpenPath(root, "/suid", O_WRONLY);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(fs_->Pwrite(*r, "r", 1, 0).ok());
  EXPECT_EQ(fs_->Getattr(cred_, ino)->mode() & 07777, 06777u) << "root keeps them";
  ASSERT_TRUE(fs_->Close(*r).ok());
  Credentials user{.uid = 4321, .gid = 4321, .groups = {}};
  auto w = fs_->OpenPath(user, "/suid", O_WRONLY);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  ASSERT_TRUE(fs_->Pwrite(*w, "u", 1, 1).ok());
  EXPECT_EQ(fs_->Getattr(cred_, ino)->mode() & 07777, 0777u);
  ASSERT_TRUE(fs_->Pwrite(*w, "v", 1, 2).ok());
  ASSERT_TRUE(fs_->Close(*w).ok());
  std::string back(3, 'x');
  auto g = fs_->OpenPath(cred_, "/suid", O_RDONLY);
  ASSERT_TRUE(g.ok());
  ASSERT_EQ(*fs_->Pread(*g, back.data(), back.size(), 0), 3u);
  EXPECT_EQ(back, "ruv");
  ASSERT_TRUE(fs_->Close(*g).ok());
}

// Small sequential writes are gathered: nothing reaches the OSTs until a call on the file
// (here fsync) sends them, in RPCs of up to max_rpc_size.
TEST_F(ClientIoTest, SmallSequentialWritesAreGatheredUntilTheNextCall) {
  FileHandle f = CreateStriped("/gathered");
  ASSERT_NE(f, nullptr);
  uint64_t ino = fs_->FileIno(f);
  std::string ref;
  for (int i = 0; i < 40; ++i) {
    std::string chunk(4096, static_cast<char>('a' + i % 26));
    ASSERT_TRUE(fs_->Pwrite(f, chunk.data(), chunk.size(), ref.size()).ok());
    ref += chunk;
  }
  EXPECT_TRUE(cluster_.ObjectsOf(ino).empty()) << "160 KiB in 4 KiB writes, none sent yet";
  EXPECT_EQ(fs_->Getattr(cred_, ino)->size(), ref.size()) << "the client knows the size";
  // ...whichever call brings the inode back: another process's lookup or `ls -l` too.
  EXPECT_EQ(fs_->Lookup(cred_, Client::kRootIno, "gathered")->size(), ref.size());
  auto page = fs_->Readdir(cred_, Client::kRootIno, 0, 100, /*plus=*/true);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  bool listed = false;
  for (const DirEntry& e : page->entries) {
    if (e.name != "gathered") continue;
    listed = true;
    ASSERT_TRUE(e.inode.has_value());
    EXPECT_EQ(e.inode->size(), ref.size()) << "readdirplus";
  }
  EXPECT_TRUE(listed);
  ASSERT_TRUE(fs_->Fsync(f).ok());
  EXPECT_EQ(cluster_.ObjectsOf(ino).size(), 3u) << "160 KiB over 64 KiB stripes: three objects";
  std::string back(ref.size(), 'x');
  ASSERT_EQ(*fs_->Pread(f, back.data(), back.size(), 0), ref.size());
  EXPECT_TRUE(back == ref);
  ASSERT_TRUE(fs_->Close(f).ok());
}

// A sequential reader's next readahead window is fetched while it reads the one before: once
// the first read has started it, the reader gets through both windows with every OSS gone.
// A change of the file by this client while a window is fetched (or fetched and not yet read)
// drops that window: the reads after it see the change.
TEST_F(ClientIoTest, ReadaheadFetchesTheNextWindowAndDropsItOnAChange) {
  constexpr uint64_t kWindow = 4 * kS;
  std::mt19937_64 rng(7);
  std::string ref = Random(rng, 16 * kS);  // max_rpc_size: sent at once
  FileHandle f = CreateStriped("/ahead");
  ASSERT_NE(f, nullptr);
  ASSERT_TRUE(fs_->Pwrite(f, ref.data(), ref.size(), 0).ok());
  ASSERT_TRUE(fs_->Close(f).ok());

  client::ClientOptions o;
  o.call_timeout = 2s;
  o.attempt_timeout = 500ms;
  o.readahead = kWindow;
  auto reader = Client::Mount(cluster_.MountSource(), o);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  auto g = (*reader)->OpenPath(cred_, "/ahead", O_RDWR);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  std::string chunk(4096, 'x');
  ASSERT_EQ(*(*reader)->Pread(*g, chunk.data(), chunk.size(), 0), chunk.size());
  std::this_thread::sleep_for(1s);  // the second window arrives meanwhile
  cluster_.KillOss(0);
  cluster_.KillOss(1);
  for (uint64_t off = chunk.size(); off < 2 * kWindow; off += chunk.size()) {
    auto n = (*reader)->Pread(*g, chunk.data(), chunk.size(), off);
    ASSERT_TRUE(n.ok()) << "offset " << off << ": " << n.status().ToString();
    ASSERT_TRUE(chunk == ref.substr(off, chunk.size())) << "offset " << off;
  }
  auto past = (*reader)->Pread(*g, chunk.data(), chunk.size(), 2 * kWindow);
  EXPECT_FALSE(past.ok()) << "the third window needs an OSS";
  cluster_.StartOss(0);
  cluster_.StartOss(1);
  ASSERT_NO_FATAL_FAILURE(cluster_.WaitOssRegistered(0));
  ASSERT_NO_FATAL_FAILURE(cluster_.WaitOssRegistered(1));
  ASSERT_TRUE((*reader)->Close(*g).ok());

  // Writes land in the window after the kept one as the reader reaches it, while that window
  // is fetched or waits to be read: a small one (gathered, sent before the next read) into the
  // second window, one of max_rpc_size (sent at once) over the whole file at the third.
  g = (*reader)->OpenPath(cred_, "/ahead", O_RDWR);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  for (uint64_t off = 0; off < 3 * kWindow; off += chunk.size()) {
    if (off == kWindow) {
      ASSERT_TRUE((*reader)->Pwrite(*g, "ZZZZ", 4, kWindow + 100).ok());
      ref.replace(kWindow + 100, 4, "ZZZZ");
    } else if (off == 2 * kWindow) {
      std::string big = Random(rng, 16 * kS);
      ASSERT_TRUE((*reader)->Pwrite(*g, big.data(), big.size(), 0).ok());
      ref = big;
    }
    auto n = (*reader)->Pread(*g, chunk.data(), chunk.size(), off);
    ASSERT_TRUE(n.ok()) << "offset " << off << ": " << n.status().ToString();
    ASSERT_TRUE(chunk == ref.substr(off, chunk.size())) << "offset " << off;
  }
  EXPECT_TRUE((*reader)->Close(*g).ok());
}

// Writes return before the OSTs have them (write-behind): with every OSS gone, large
// sequential writes and small scattered ones return at once, and the error comes back from the
// next call (here fsync, which waited for them) and not again from close. With the OSSes up, a
// write elsewhere waits for those in flight (a rewrite of a range in flight lands after it),
// and reads and a second client after close see every byte.
TEST_F(ClientIoTest, WriteBehindReturnsAtOnceAndReportsErrorsLater) {
  constexpr uint64_t kBig = 16 * kS;  // max_rpc_size: not gathered
  std::mt19937_64 rng(11);
  auto quick = cluster_.Mount(2s);
  ASSERT_TRUE(quick.ok()) << quick.status().ToString();
  auto f = (*quick)->OpenPath(cred_, "/behind", O_CREAT | O_EXCL | O_RDWR, 0644);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  cluster_.KillOss(0);
  cluster_.KillOss(1);
  std::string lost = Random(rng, kBig);
  auto start = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < 3; ++i) {
    ASSERT_TRUE((*quick)->Pwrite(*f, lost.data(), lost.size(), i * kBig).ok()) << i;
  }
  // The second small write sends the first (gathered) behind: the fourth write in flight.
  ASSERT_TRUE((*quick)->Pwrite(*f, "small", 5, 5 * kBig).ok());
  ASSERT_TRUE((*quick)->Pwrite(*f, "other", 5, 7 * kBig).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1500ms)
      << "four writes within write_behind (4) wait for no OSS";
  Status synced = (*quick)->Fsync(*f);
  EXPECT_EQ(synced.code(), StatusCode::kRpcDeadlineExceeded) << synced.ToString();
  EXPECT_NE(synced.message().find("an earlier write of"), std::string::npos) << synced.ToString();
  cluster_.StartOss(0);
  cluster_.StartOss(1);
  ASSERT_NO_FATAL_FAILURE(cluster_.WaitOssRegistered(0));
  ASSERT_NO_FATAL_FAILURE(cluster_.WaitOssRegistered(1));
  EXPECT_TRUE((*quick)->Close(*f).ok()) << "fsync reported it; close reports it no more";

  FileHandle g = CreateStriped("/behind2");
  ASSERT_NE(g, nullptr);
  std::string ref;
  for (int i = 0; i < 6; ++i) {
    std::string piece = Random(rng, kBig);
    ASSERT_TRUE(fs_->Pwrite(g, piece.data(), piece.size(), ref.size()).ok()) << i;
    ref += piece;
  }
  std::string again = Random(rng, kBig);  // over the first write, maybe still in flight
  ASSERT_TRUE(fs_->Pwrite(g, again.data(), again.size(), 0).ok());
  ref.replace(0, kBig, again);
  std::string back(ref.size(), 'x');
  ASSERT_EQ(*fs_->Pread(g, back.data(), back.size(), 0), ref.size());
  EXPECT_TRUE(back == ref);
  ASSERT_TRUE(fs_->Close(g).ok());
  ExpectAnotherClientReads("/behind2", ref);
}

// Two reads of a file that waits for its writes-behind (as the kernel sends them for one page
// fault of a mapped file: the fault's page and its readahead) both come back once the writes
// are answered. Each read waits for the writes in flight when it came; neither holds up the
// other. (A wait that took the write slots one by one left each read holding some of them.)
TEST_F(ClientIoTest, ConcurrentReadsBehindWritesInFlightBothComplete) {
  constexpr uint64_t kBig = 16 * kS;  // max_rpc_size: sent behind
  FileHandle f = CreateStriped("/twofaults");
  ASSERT_NE(f, nullptr);
  std::mt19937_64 rng(5);
  std::string ref = Random(rng, 2 * kBig);
  cluster_.KillOss(0);
  cluster_.KillOss(1);
  ASSERT_TRUE(fs_->Pwrite(f, ref.data(), kBig, 0).ok());
  ASSERT_TRUE(fs_->Pwrite(f, ref.data() + kBig, kBig, kBig).ok());
  std::string a(kBig, 'x'), b(kBig, 'x');
  std::promise<Result<size_t>> read_a, read_b;
  fs_->PreadAsync(f, a.data(), kBig, 0, [&](Result<size_t> n) { read_a.set_value(n); });
  fs_->PreadAsync(f, b.data(), kBig, kBig, [&](Result<size_t> n) { read_b.set_value(n); });
  std::this_thread::sleep_for(300ms);  // both reads wait for the writes
  cluster_.StartOss(0);
  cluster_.StartOss(1);
  std::future<Result<size_t>> done_a = read_a.get_future(), done_b = read_b.get_future();
  ASSERT_EQ(done_a.wait_for(60s), std::future_status::ready) << "the read at 0 never came back";
  ASSERT_EQ(done_b.wait_for(60s), std::future_status::ready) << "the read at kBig never came back";
  Result<size_t> n_a = done_a.get(), n_b = done_b.get();
  ASSERT_TRUE(n_a.ok()) << n_a.status().ToString();
  ASSERT_TRUE(n_b.ok()) << n_b.status().ToString();
  EXPECT_EQ(*n_a, kBig);
  EXPECT_EQ(*n_b, kBig);
  EXPECT_TRUE(a == ref.substr(0, kBig));
  EXPECT_TRUE(b == ref.substr(kBig));
  ASSERT_TRUE(fs_->Close(f).ok());
}

// OSTs 2 and 3 go away; a write over all four stripes waits for them and completes once their
// OSS is back, and the data reads back.
TEST_F(ClientIoTest, CallsToARestartedServerWaitAndComplete) {
  FileHandle f = CreateStriped("/restart");
  ASSERT_NE(f, nullptr);
  cluster_.KillOss(1);
  std::mt19937_64 rng(1);
  std::string data = Random(rng, 16 * kS + 10);  // over max_rpc_size: sent at once, not gathered
  Result<size_t> written = Status(StatusCode::kInternal, "not run");
  std::thread writer([&] { written = fs_->Pwrite(f, data.data(), data.size(), 0); });
  std::this_thread::sleep_for(1500ms);
  cluster_.StartOss(1);
  writer.join();
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  std::string back(data.size(), 'x');
  auto n = fs_->Pread(f, back.data(), back.size(), 0);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_TRUE(back == data);
  ASSERT_TRUE(fs_->Fsync(f).ok());
  ASSERT_TRUE(fs_->Close(f).ok());

  // A gathered write whose OST stays down: Pwrite succeeded, fsync reports the failure (once),
  // naming the gathered write.
  auto quick = cluster_.Mount(2s);
  ASSERT_TRUE(quick.ok()) << quick.status().ToString();
  auto g = (*quick)->OpenPath(cred_, "/restart", O_WRONLY);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  auto layout = (*quick)->GetLayout(cred_, (*quick)->FileIno(*g));
  ASSERT_TRUE(layout.ok());
  uint64_t stripe = 0;  // a stripe on OST 2 or 3, which the second weft-oss serves
  while (layout->layout().objects(static_cast<int>(stripe)).ost_index() < 2) ++stripe;
  cluster_.KillOss(1);
  ASSERT_TRUE((*quick)->Pwrite(*g, "late", 4, stripe * kS).ok()) << "gathered: nothing sent yet";
  Status synced = (*quick)->Fsync(*g);
  EXPECT_EQ(synced.code(), StatusCode::kRpcDeadlineExceeded) << synced.ToString();
  EXPECT_NE(synced.message().find("gathered"), std::string::npos) << synced.ToString();
  // Calls to other servers stall while the OSS is down (the MGS long poll misses its deadline
  // too; docs/client.md), so the OSS comes back before the close.
  cluster_.StartOss(1);
  ASSERT_NO_FATAL_FAILURE(cluster_.WaitOssRegistered(1));
  Status closed = (*quick)->Close(*g);
  EXPECT_TRUE(closed.ok()) << "the error was reported once: " << closed.ToString();
}

// The asynchronous forms the FUSE mount uses give what the blocking calls give, each on the
// client's loop thread; an unmounted client answers at once, on the caller's thread.
TEST_F(ClientIoTest, AsyncLookupGetattrAndPreadMatchTheBlockingCalls) {
  FileHandle f = CreateStriped("/async");
  ASSERT_NE(f, nullptr);
  std::mt19937_64 rng(7);
  std::string data = Random(rng, 3 * kS + 123);
  ASSERT_TRUE(fs_->Pwrite(f, data.data(), data.size(), 0).ok());
  ASSERT_TRUE(fs_->Flush(f).ok());
  uint64_t ino = fs_->FileIno(f);

  std::promise<std::pair<Result<client::Inode>, std::thread::id>> looked;
  fs_->LookupAsync(cred_, Client::kRootIno, "async", [&](Result<client::Inode> inode) {
    looked.set_value({std::move(inode), std::this_thread::get_id()});
  });
  auto [inode, thread] = looked.get_future().get();
  ASSERT_TRUE(inode.ok()) << inode.status().ToString();
  EXPECT_EQ(inode->ino(), ino);
  EXPECT_NE(thread, std::this_thread::get_id()) << "answered on the client's loop";

  std::promise<Result<client::Inode>> missing;
  fs_->LookupAsync(cred_, Client::kRootIno, "nothing here",
                   [&](Result<client::Inode> r) { missing.set_value(std::move(r)); });
  EXPECT_EQ(missing.get_future().get().status().code(), StatusCode::kNotFound);

  std::promise<Result<client::Inode>> got;
  fs_->GetattrAsync(cred_, ino, [&](Result<client::Inode> r) { got.set_value(std::move(r)); });
  Result<client::Inode> attr = got.get_future().get();
  ASSERT_TRUE(attr.ok()) << attr.status().ToString();
  EXPECT_EQ(attr->size(), data.size());

  // Across a stripe boundary, and past the end (a short count).
  std::string buf(2 * kS, '\0');
  std::promise<Result<size_t>> read;
  fs_->PreadAsync(f, buf.data(), buf.size(), 2 * kS - 10,
                  [&](Result<size_t> n) { read.set_value(std::move(n)); });
  Result<size_t> n = read.get_future().get();
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  ASSERT_EQ(*n, kS + 123 + 10);
  EXPECT_EQ(buf.substr(0, *n), data.substr(2 * kS - 10));
  ASSERT_TRUE(fs_->Close(f).ok());

  fs_->Unmount();
  bool answered = false;
  fs_->GetattrAsync(cred_, ino, [&](Result<client::Inode> r) {
    answered = true;
    EXPECT_FALSE(r.ok());
  });
  EXPECT_TRUE(answered) << "an unmounted client answers at once";
}

}  // namespace
}  // namespace weft::test
