// POSIX through the mount: names, attributes, links, xattrs, data integrity and striping.
#include <dirent.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <linux/fs.h>
#include <stdio.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/xattr.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <random>
#include <set>
#include <thread>

#include "fuse_fixture.h"
#include "metrics_scrape.h"

namespace weft::test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

void WriteAll(const std::string& path, const std::string& data, int flags = O_CREAT | O_TRUNC) {
  int fd = open(path.c_str(), O_WRONLY | flags, 0644);
  ASSERT_GE(fd, 0) << path << ": " << strerror(errno);
  ASSERT_EQ(write(fd, data.data(), data.size()), static_cast<ssize_t>(data.size()));
  ASSERT_EQ(close(fd), 0);
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::set<std::string> List(const std::string& dir) {
  std::set<std::string> names;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return names;
  while (dirent* e = readdir(d)) names.insert(e->d_name);
  closedir(d);
  return names;
}

TEST_F(FuseTest, NamesAndAttributes) {
  ASSERT_EQ(mkdir(Path("d").c_str(), 0750), 0) << strerror(errno);
  struct stat st;
  ASSERT_EQ(stat(Path("d").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0750u);
  EXPECT_EQ(st.st_nlink, 2u);

  ASSERT_NO_FATAL_FAILURE(WriteAll(Path("d/a"), "hello"));
  ASSERT_EQ(stat(Path("d/a").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_size, 5);
  EXPECT_EQ(ReadAll(Path("d/a")), "hello");

  EXPECT_EQ(mkdir(Path("d").c_str(), 0755), -1);
  EXPECT_EQ(errno, EEXIST);
  EXPECT_EQ(open(Path("d/a").c_str(), O_CREAT | O_EXCL | O_WRONLY, 0644), -1);
  EXPECT_EQ(errno, EEXIST);
  EXPECT_EQ(stat(Path("d/missing").c_str(), &st), -1);
  EXPECT_EQ(errno, ENOENT);
  EXPECT_EQ(mkdir(Path(std::string(256, 'n')).c_str(), 0755), -1);
  EXPECT_EQ(errno, ENAMETOOLONG);

  ASSERT_EQ(chmod(Path("d/a").c_str(), 0600), 0);
  ASSERT_EQ(chown(Path("d/a").c_str(), 1234, 5678), 0);
  struct timespec times[2] = {{1000, 5}, {2000, 7}};
  ASSERT_EQ(utimensat(AT_FDCWD, Path("d/a").c_str(), times, 0), 0);
  ASSERT_EQ(stat(Path("d/a").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(st.st_uid, 1234u);
  EXPECT_EQ(st.st_gid, 5678u);
  EXPECT_EQ(st.st_atim.tv_sec, 1000);
  EXPECT_EQ(st.st_mtim.tv_sec, 2000);
  EXPECT_EQ(st.st_mtim.tv_nsec, 7);

  EXPECT_EQ(List(Path("d")), (std::set<std::string>{".", "..", "a"}));
  EXPECT_EQ(rmdir(Path("d").c_str()), -1);
  EXPECT_EQ(errno, ENOTEMPTY);
  ASSERT_EQ(unlink(Path("d/a").c_str()), 0);
  ASSERT_EQ(rmdir(Path("d").c_str()), 0);
  EXPECT_EQ(List(mount_->dir()).count("d"), 0u);
}

TEST_F(FuseTest, RenameLinksAndSymlinks) {
  ASSERT_EQ(mkdir(Path("x").c_str(), 0755), 0);
  ASSERT_EQ(mkdir(Path("y").c_str(), 0755), 0);
  ASSERT_NO_FATAL_FAILURE(WriteAll(Path("x/f"), "one"));
  ASSERT_NO_FATAL_FAILURE(WriteAll(Path("y/g"), "two"));

  ASSERT_EQ(rename(Path("x/f").c_str(), Path("y/f").c_str()), 0);
  EXPECT_EQ(ReadAll(Path("y/f")), "one");
  // RENAME_NOREPLACE refuses an existing target; RENAME_EXCHANGE swaps.
  EXPECT_EQ(syscall(SYS_renameat2, AT_FDCWD, Path("y/f").c_str(), AT_FDCWD, Path("y/g").c_str(),
                    RENAME_NOREPLACE),
            -1);
  EXPECT_EQ(errno, EEXIST);
  ASSERT_EQ(syscall(SYS_renameat2, AT_FDCWD, Path("y/f").c_str(), AT_FDCWD, Path("y/g").c_str(),
                    RENAME_EXCHANGE),
            0)
      << strerror(errno);
  EXPECT_EQ(ReadAll(Path("y/f")), "two");
  EXPECT_EQ(ReadAll(Path("y/g")), "one");
  // Over an existing file; a directory never into its own subtree.
  ASSERT_EQ(rename(Path("y/f").c_str(), Path("y/g").c_str()), 0);
  EXPECT_EQ(ReadAll(Path("y/g")), "two");
  EXPECT_EQ(rename(Path("y").c_str(), Path("y/sub").c_str()), -1);
  EXPECT_EQ(errno, EINVAL);

  ASSERT_EQ(link(Path("y/g").c_str(), Path("x/hard").c_str()), 0);
  struct stat st;
  ASSERT_EQ(stat(Path("x/hard").c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, 2u);
  ASSERT_EQ(unlink(Path("y/g").c_str()), 0);
  EXPECT_EQ(ReadAll(Path("x/hard")), "two");

  ASSERT_EQ(symlink("../x/hard", Path("y/sym").c_str()), 0);
  char target[64] = {};
  ASSERT_EQ(readlink(Path("y/sym").c_str(), target, sizeof target), 9);
  EXPECT_STREQ(target, "../x/hard");
  EXPECT_EQ(ReadAll(Path("y/sym")), "two");
  ASSERT_EQ(lstat(Path("y/sym").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  ASSERT_EQ(symlink("loop2", Path("loop1").c_str()), 0);
  ASSERT_EQ(symlink("loop1", Path("loop2").c_str()), 0);
  EXPECT_EQ(open(Path("loop1").c_str(), O_RDONLY), -1);
  EXPECT_EQ(errno, ELOOP);

  ASSERT_EQ(mkfifo(Path("fifo").c_str(), 0600), 0);
  ASSERT_EQ(stat(Path("fifo").c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
}

TEST_F(FuseTest, UnlinkedOpenFileStaysReadable) {
  ASSERT_NO_FATAL_FAILURE(WriteAll(Path("tmp"), "still here"));
  int fd = open(Path("tmp").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(unlink(Path("tmp").c_str()), 0);
  char buf[32] = {};
  EXPECT_EQ(pread(fd, buf, sizeof buf, 0), 10);
  EXPECT_STREQ(buf, "still here");
  EXPECT_EQ(close(fd), 0);
}

// The mount answers the kernel's security.capability lookups before writes from what it
// learned (NoCapabilityCache), but a capability set through it is seen at once: the next
// write strips it, as Linux does for a written file with capabilities.
TEST_F(FuseTest, ACapabilitySetThroughTheMountIsStrippedByTheNextWrite) {
  std::string f = Path("capped");
  ASSERT_NO_FATAL_FAILURE(WriteAll(f, "first"));  // the mount learns: no capability
  int fd = open(f.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "x", 1), 1);
  // struct vfs_cap_data, revision 2: CAP_NET_RAW (13) permitted.
  uint32_t cap[5] = {0x02000000, 1u << 13, 0, 0, 0};
  ASSERT_EQ(setxattr(f.c_str(), "security.capability", cap, sizeof cap, 0), 0) << strerror(errno);
  EXPECT_EQ(getxattr(f.c_str(), "security.capability", nullptr, 0),
            static_cast<ssize_t>(sizeof cap));
  ASSERT_EQ(write(fd, "y", 1), 1);
  close(fd);
  EXPECT_EQ(getxattr(f.c_str(), "security.capability", nullptr, 0), -1);
  EXPECT_EQ(errno, ENODATA);
}

TEST_F(FuseTest, ExtendedAttributesAndTheLayout) {
  ASSERT_NO_FATAL_FAILURE(WriteAll(Path("f"), "x"));
  std::string f = Path("f");
  ASSERT_EQ(setxattr(f.c_str(), "user.color", "blue", 4, 0), 0) << strerror(errno);
  EXPECT_EQ(setxattr(f.c_str(), "user.color", "red", 3, XATTR_CREATE), -1);
  EXPECT_EQ(errno, EEXIST);
  EXPECT_EQ(setxattr(f.c_str(), "user.size", "1", 1, XATTR_REPLACE), -1);
  EXPECT_EQ(errno, ENODATA);
  char buf[256];
  EXPECT_EQ(getxattr(f.c_str(), "user.color", nullptr, 0), 4);
  EXPECT_EQ(getxattr(f.c_str(), "user.color", buf, 2), -1);
  EXPECT_EQ(errno, ERANGE);
  ASSERT_EQ(getxattr(f.c_str(), "user.color", buf, sizeof buf), 4);
  EXPECT_EQ(std::string(buf, 4), "blue");
  ssize_t n = listxattr(f.c_str(), buf, sizeof buf);
  ASSERT_GT(n, 0);
  EXPECT_THAT(std::string(buf, static_cast<size_t>(n)), HasSubstr("user.color"));
  ASSERT_EQ(removexattr(f.c_str(), "user.color"), 0);
  EXPECT_EQ(getxattr(f.c_str(), "user.color", buf, sizeof buf), -1);
  EXPECT_EQ(errno, ENODATA);

  // The layout as text: 64 KiB stripes over the four OSTs (the cluster's default).
  n = getxattr(f.c_str(), "weft.layout", buf, sizeof buf);
  ASSERT_GT(n, 0) << strerror(errno);
  std::string layout(buf, static_cast<size_t>(n));
  EXPECT_THAT(layout, HasSubstr("stripe_size=65536 stripe_count=4 objects="));
  // A directory's default, then a new file in it follows it.
  ASSERT_EQ(mkdir(Path("two").c_str(), 0755), 0);
  std::string want = "stripe_count=2 stripe_size=131072";
  ASSERT_EQ(setxattr(Path("two").c_str(), "weft.layout", want.data(), want.size(), 0), 0)
      << strerror(errno);
  ASSERT_NO_FATAL_FAILURE(WriteAll(Path("two/g"), "y"));
  n = getxattr(Path("two/g").c_str(), "weft.layout", buf, sizeof buf);
  ASSERT_GT(n, 0);
  EXPECT_THAT(std::string(buf, static_cast<size_t>(n)),
              HasSubstr("stripe_size=131072 stripe_count=2 objects="));
  std::string bad = "stripe_size=1000";
  EXPECT_EQ(setxattr(Path("two").c_str(), "weft.layout", bad.data(), bad.size(), 0), -1);
  EXPECT_EQ(errno, EINVAL);
}

// Random writes and reads against a reference, across stripe boundaries (64 KiB x 4), with
// holes, truncates down and up, then everything again after reopening.
TEST_F(FuseTest, DataMatchesAReferenceAcrossStripesHolesAndTruncates) {
  std::string path = Path("data");
  int fd = open(path.c_str(), O_CREAT | O_RDWR, 0644);
  ASSERT_GE(fd, 0);
  std::string ref;
  std::mt19937_64 rng(42);
  auto write_at = [&](uint64_t off, size_t len) {
    std::string chunk(len, '\0');
    for (char& c : chunk) c = static_cast<char>('a' + rng() % 26);
    ASSERT_EQ(pwrite(fd, chunk.data(), len, static_cast<off_t>(off)), static_cast<ssize_t>(len));
    if (ref.size() < off + len) ref.resize(off + len, '\0');
    ref.replace(off, len, chunk);
  };
  auto check = [&](int at) {
    struct stat st;
    ASSERT_EQ(fstat(at, &st), 0);
    ASSERT_EQ(static_cast<size_t>(st.st_size), ref.size());
    std::string got(ref.size() + 100, 'Z');
    ssize_t n = pread(at, got.data(), got.size(), 0);
    ASSERT_EQ(n, static_cast<ssize_t>(ref.size()));
    got.resize(static_cast<size_t>(n));
    ASSERT_TRUE(got == ref) << "content differs from the reference";
  };
  for (int i = 0; i < 60; ++i) {
    uint64_t off = rng() % (1200 * 1024);
    size_t len = 1 + rng() % (200 * 1024);
    ASSERT_NO_FATAL_FAILURE(write_at(off, len));
  }
  ASSERT_NO_FATAL_FAILURE(check(fd));
  // A hole far out, then truncates down and up.
  ASSERT_NO_FATAL_FAILURE(write_at(3 * 1024 * 1024 + 7, 100));
  ASSERT_NO_FATAL_FAILURE(check(fd));
  ASSERT_EQ(ftruncate(fd, 300000), 0);
  ref.resize(300000);
  ASSERT_NO_FATAL_FAILURE(check(fd));
  ASSERT_EQ(ftruncate(fd, 900000), 0);
  ref.resize(900000, '\0');
  ASSERT_NO_FATAL_FAILURE(check(fd));
  ASSERT_EQ(fsync(fd), 0);
  ASSERT_EQ(close(fd), 0);
  fd = open(path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ASSERT_NO_FATAL_FAILURE(check(fd));
  close(fd);
  ASSERT_EQ(truncate(path.c_str(), 10), 0);
  EXPECT_EQ(ReadAll(path), ref.substr(0, 10));
}

// fsx saw it: an `ls -l` of the directory while a file grows past its last truncate brought
// the MDS's older size back into the kernel, and the writer's own fstat and reads stopped there.
TEST_F(FuseTest, AListingDoesNotShrinkAFileUnderItsWriter) {
  ASSERT_EQ(mkdir(Path("listed").c_str(), 0755), 0);
  std::string path = Path("listed/f");
  int fd = open(path.c_str(), O_CREAT | O_RDWR, 0644);
  ASSERT_GE(fd, 0);
  std::atomic<bool> stop{false};
  std::thread lister([&] {
    while (!stop.load()) (void)Shell("ls -la " + Path("listed") + " > /dev/null");
  });
  std::string chunk(50000, 'w');
  std::mt19937_64 rng(7);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  int rounds = 0;
  auto write_and_check = [&] {  // returns at the first failure, the lister then stopped
    for (; std::chrono::steady_clock::now() < deadline; ++rounds) {
      off_t cut = static_cast<off_t>(1 + rng() % 200000);
      off_t at = cut + static_cast<off_t>(rng() % 20000);
      size_t len = 1 + rng() % chunk.size();
      ASSERT_EQ(ftruncate(fd, cut), 0);
      ASSERT_EQ(pwrite(fd, chunk.data(), len, at), static_cast<ssize_t>(len));
      off_t grown = at + static_cast<off_t>(len);
      struct stat st;
      ASSERT_EQ(fstat(fd, &st), 0);
      ASSERT_EQ(st.st_size, grown) << "round " << rounds << ": truncated to " << cut;
      char last = 0;
      ASSERT_EQ(pread(fd, &last, 1, grown - 1), 1) << "round " << rounds;
      ASSERT_EQ(last, 'w');
    }
  };
  write_and_check();
  stop = true;
  lister.join();
  ASSERT_EQ(close(fd), 0);
  EXPECT_GT(rounds, 10);
}

TEST_F(FuseTest, AFileStripedOverFourOstsHasItsDataOnThoseFourObjects) {
  std::string path = Path("wide");
  std::string data(4 * 64 * 1024, 'w');  // exactly one stripe on each OST
  ASSERT_NO_FATAL_FAILURE(WriteAll(path, data));
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  // The layout names an OST per stripe ("objects=OST:ID,..." in stripe order); the first
  // stripe's OST rotates from file to file.
  char buf[512];
  ssize_t n = getxattr(path.c_str(), "weft.layout", buf, sizeof buf);
  ASSERT_GT(n, 0);
  std::string layout(buf, static_cast<size_t>(n));
  size_t at = layout.find("objects=");
  ASSERT_NE(at, std::string::npos) << layout;
  std::set<std::pair<uint32_t, uint64_t>> want;
  std::istringstream objects(layout.substr(at + 8));
  std::string item;
  uint64_t stripe = 0;
  while (std::getline(objects, item, ',')) {
    want.emplace(static_cast<uint32_t>(std::stoul(item.substr(0, item.find(':')))), stripe++);
  }
  ASSERT_EQ(want.size(), 4u) << layout;
  EXPECT_EQ(cluster_.ObjectsOf(st.st_ino), want) << "objects of inode " << st.st_ino;
  std::set<uint32_t> osts;
  for (const auto& [ost, s] : want) osts.insert(ost);
  EXPECT_EQ(osts.size(), 4u) << layout;
  EXPECT_EQ(ReadAll(path), data);
}

TEST_F(FuseTest, StatfsAddsUpTheOsts) {
  struct statvfs v;
  ASSERT_EQ(statvfs(mount_->dir().c_str(), &v), 0) << strerror(errno);
  EXPECT_GT(v.f_blocks, 0u);
  EXPECT_GT(v.f_files, 0u);
  EXPECT_EQ(v.f_namemax, 255u);
  std::string out;
  EXPECT_EQ(Shell("df -h " + mount_->dir(), &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("weft"));
}

TEST_F(FuseTest, FallocateExtendsAndPunchesHoles) {
  std::string path = Path("fa");
  int fd = open(path.c_str(), O_CREAT | O_RDWR, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(fallocate(fd, 0, 0, 200000), 0) << strerror(errno);
  struct stat st;
  ASSERT_EQ(fstat(fd, &st), 0);
  EXPECT_EQ(st.st_size, 200000);
  std::string ones(200000, '1');
  ASSERT_EQ(pwrite(fd, ones.data(), ones.size(), 0), 200000);
  ASSERT_EQ(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 70000, 100000), 0)
      << strerror(errno);
  std::string got(200000, 'x');
  ASSERT_EQ(pread(fd, got.data(), got.size(), 0), 200000);
  EXPECT_EQ(got.substr(0, 70000), std::string(70000, '1'));
  EXPECT_EQ(got.substr(70000, 100000), std::string(100000, '\0'));
  EXPECT_EQ(got.substr(170000), std::string(30000, '1'));
  EXPECT_EQ(fallocate(fd, FALLOC_FL_COLLAPSE_RANGE, 0, 65536), -1);
  EXPECT_EQ(errno, EOPNOTSUPP);
  close(fd);
}

// write(2) moves mtime and ctime even when it does not grow the file (an overwrite in place),
// once the writer closes, flushes or fsyncs.
TEST_F(FuseTest, AnOverwriteInPlaceMovesMtime) {
  std::string path = Path("overwrite");
  ASSERT_NO_FATAL_FAILURE(WriteAll(path, "hello world"));
  struct stat before;
  ASSERT_EQ(stat(path.c_str(), &before), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  int fd = open(path.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(pwrite(fd, "J", 1, 0), 1);
  ASSERT_EQ(fsync(fd), 0);
  struct stat after;
  ASSERT_EQ(fstat(fd, &after), 0);
  EXPECT_EQ(after.st_size, before.st_size);
  EXPECT_GT(after.st_mtim.tv_sec * 1000000000L + after.st_mtim.tv_nsec,
            before.st_mtim.tv_sec * 1000000000L + before.st_mtim.tv_nsec);
  EXPECT_GT(after.st_ctim.tv_sec * 1000000000L + after.st_ctim.tv_nsec,
            before.st_ctim.tv_sec * 1000000000L + before.st_ctim.tv_nsec);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_EQ(pwrite(fd, "W", 1, 6), 1);
  ASSERT_EQ(close(fd), 0);
  struct stat closed;
  ASSERT_EQ(stat(path.c_str(), &closed), 0);
  EXPECT_GT(closed.st_mtim.tv_sec * 1000000000L + closed.st_mtim.tv_nsec,
            after.st_mtim.tv_sec * 1000000000L + after.st_mtim.tv_nsec);
  EXPECT_EQ(ReadAll(path), "Jello World");
}

// Holes are punched on the OSTs (their space comes back), across stripe boundaries; ZERO_RANGE
// zeros and may extend; the modes Linux or Weft refuse are refused.
TEST_F(FuseTest, PunchHoleGivesSpaceBackOnTheOstsAndZeroRangeExtends) {
  std::string path = Path("holes");
  int fd = open(path.c_str(), O_CREAT | O_RDWR, 0644);
  ASSERT_GE(fd, 0);
  constexpr size_t kSize = 1 << 20;  // four rounds of 64 KiB stripes over the four OSTs
  std::string data(kSize, '7');
  ASSERT_EQ(pwrite(fd, data.data(), kSize, 0), static_cast<ssize_t>(kSize));
  ASSERT_EQ(fsync(fd), 0);
  struct stat st;
  ASSERT_EQ(fstat(fd, &st), 0);
  uint64_t before = cluster_.AllocatedBytesOf(st.st_ino);
  ASSERT_GE(before, kSize);
  // 512 KiB from 64 KiB: two whole stripes of every object.
  ASSERT_EQ(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 65536, 524288), 0)
      << strerror(errno);
  uint64_t after = cluster_.AllocatedBytesOf(st.st_ino);
  EXPECT_LE(after + 524288, before) << "allocated " << before << " then " << after;
  std::string got(kSize, 'x');
  ASSERT_EQ(pread(fd, got.data(), kSize, 0), static_cast<ssize_t>(kSize));
  std::string want = data;
  std::fill(want.begin() + 65536, want.begin() + 65536 + 524288, '\0');
  EXPECT_TRUE(got == want);
  ASSERT_EQ(fstat(fd, &st), 0);
  EXPECT_EQ(st.st_size, static_cast<off_t>(kSize));

  // A gathered small write just before the punch must not land in the hole afterwards.
  ASSERT_EQ(pwrite(fd, "abc", 3, 700000), 3);
  ASSERT_EQ(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 699999, 10), 0);
  char small[12];
  ASSERT_EQ(pread(fd, small, sizeof small, 699998), 12);
  EXPECT_EQ(std::string(small, 12), std::string("7") + std::string(10, '\0') + "7");

  // ZERO_RANGE past the end extends the size, with KEEP_SIZE it does not.
  ASSERT_EQ(fallocate(fd, FALLOC_FL_ZERO_RANGE, kSize - 100, 1000), 0) << strerror(errno);
  ASSERT_EQ(fstat(fd, &st), 0);
  EXPECT_EQ(st.st_size, static_cast<off_t>(kSize + 900));
  ASSERT_EQ(pread(fd, got.data(), 1000, kSize - 100), 1000);
  EXPECT_EQ(got.substr(0, 1000), std::string(1000, '\0'));
  ASSERT_EQ(fallocate(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, 0, 2 * kSize), 0);
  ASSERT_EQ(fstat(fd, &st), 0);
  EXPECT_EQ(st.st_size, static_cast<off_t>(kSize + 900));
  ASSERT_EQ(pread(fd, got.data(), kSize, 0), static_cast<ssize_t>(kSize));
  EXPECT_EQ(got, std::string(kSize, '\0'));

  EXPECT_EQ(fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 4096), -1);  // needs KEEP_SIZE, as on Linux
  EXPECT_EQ(errno, EOPNOTSUPP);
  EXPECT_EQ(fallocate(fd, FALLOC_FL_INSERT_RANGE, 0, 65536), -1);
  EXPECT_EQ(errno, EOPNOTSUPP);
  close(fd);
}

// SEEK_DATA and SEEK_HOLE over a file striped on four OSTs: data in stripe 0 of object 0 and
// in the second unit of object 1, holes between, the tail past the last object a hole.
TEST_F(FuseTest, SeekDataAndSeekHoleFindTheStripesWritten) {
  std::string path = Path("sparse");
  int fd = open(path.c_str(), O_CREAT | O_RDWR, 0644);
  ASSERT_GE(fd, 0);
  std::string unit(65536, 'd');
  ASSERT_EQ(pwrite(fd, unit.data(), unit.size(), 0), 65536);  // object 0, unit 0
  constexpr off_t kSecond = 5 * 65536;                         // object 1, its second unit
  ASSERT_EQ(pwrite(fd, "tail", 4, kSecond), 4);
  ASSERT_EQ(ftruncate(fd, 1 << 20), 0);
  EXPECT_EQ(lseek(fd, 0, SEEK_DATA), 0);
  EXPECT_EQ(lseek(fd, 0, SEEK_HOLE), 65536);
  EXPECT_EQ(lseek(fd, 65536, SEEK_DATA), kSecond);
  off_t hole = lseek(fd, kSecond, SEEK_HOLE);  // the end of object 1, or of its block
  EXPECT_GE(hole, kSecond + 4);
  EXPECT_LE(hole, kSecond + 4096);
  EXPECT_EQ(lseek(fd, kSecond + 4096, SEEK_DATA), -1);
  EXPECT_EQ(errno, ENXIO);
  EXPECT_EQ(lseek(fd, (1 << 20) - 1, SEEK_HOLE), (1 << 20) - 1);
  EXPECT_EQ(lseek(fd, 1 << 20, SEEK_DATA), -1);
  EXPECT_EQ(errno, ENXIO);
  EXPECT_EQ(lseek(fd, 1 << 20, SEEK_HOLE), -1);
  EXPECT_EQ(errno, ENXIO);
  close(fd);
  // cp --sparse=always keeps the holes and the bytes.
  std::string out;
  EXPECT_EQ(Shell("cp --sparse=always " + path + " " + path + ".copy", &out), 0) << out;
  EXPECT_EQ(ReadAll(path + ".copy"), ReadAll(path));
}

TEST_F(FuseTest, TwoMountsSeeEachOthersChangesAfterCloseAndReopen) {
  auto other = Mount("mnt2");
  ASSERT_TRUE(other != nullptr);
  ASSERT_NO_FATAL_FAILURE(WriteAll(Path("shared"), "first version"));
  EXPECT_EQ(ReadAll(other->Path("shared")), "first version");
  ASSERT_NO_FATAL_FAILURE(WriteAll(other->Path("shared"), "second, longer version"));
  EXPECT_EQ(ReadAll(Path("shared")), "second, longer version");
  ASSERT_NO_FATAL_FAILURE(WriteAll(Path("shared"), "3rd", O_APPEND));
  EXPECT_EQ(ReadAll(other->Path("shared")), "second, longer version3rd");
  ASSERT_EQ(mkdir(other->Path("made-there").c_str(), 0755), 0);
  struct stat st;
  EXPECT_EQ(stat(Path("made-there").c_str(), &st), 0);
}

// Name leases through the mount (docs/client.md, "Name leases"): the kernel keeps a name past
// entry_timeout while the mount's lease on its directory lasts, without asking the MDS, and
// drops it as soon as another mount removes or replaces it. Without leases (-o leases=false) a
// name is looked up again after entry_timeout.
class FuseLeaseTest : public FuseTest {
 protected:
  void SetUp() override {
    cluster_.mds_args = {"--metrics.port=0"};
    FuseTest::SetUp();
  }
  double MdsRequests(const std::string& method) {
    uint16_t port = LoggedMetricsPort(cluster_.mds().err());
    std::string series =
        "weft_rpc_server_requests_total{service=\"mds\",method=\"" + method + "\"}";
    return std::max(0.0, SampleValue(ScrapeMetrics(port), series));
  }
  // Polls stat(path) until it fails with ENOENT; how long that took (or 10 s and a failure).
  std::chrono::milliseconds UntilGone(const std::string& path) {
    auto start = std::chrono::steady_clock::now();
    struct stat st;
    for (int i = 0; i < 1000; ++i) {
      if (stat(path.c_str(), &st) != 0 && errno == ENOENT) break;
      std::this_thread::sleep_for(10ms);
    }
    EXPECT_NE(stat(path.c_str(), &st), 0) << path << " is still there";
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start);
  }
};

TEST_F(FuseLeaseTest, ANameIsKeptPastEntryTimeoutAndDroppedWhenAnotherMountRemovesIt) {
  ASSERT_NE(LoggedMetricsPort(cluster_.mds().err()), 0) << cluster_.mds().err();
  auto other = Mount("mnt2");
  ASSERT_TRUE(other != nullptr);
  ASSERT_EQ(mkdir(Path("d").c_str(), 0755), 0);
  for (const char* n : {"f", "g", "h"})
    ASSERT_NO_FATAL_FAILURE(WriteAll(Path(std::string("d/") + n), n));
  std::this_thread::sleep_for(1500ms);  // past entry_timeout (1 s)

  double lookups = MdsRequests("Lookup");
  struct stat st;
  ASSERT_EQ(stat(Path("d/f").c_str(), &st), 0);
  ASSERT_EQ(stat(Path("d/g").c_str(), &st), 0);
  EXPECT_EQ(MdsRequests("Lookup"), lookups) << "names kept under the lease need no lookup";

  // The other mount renames f: this mount loses the old name at once, not in 30 s.
  ASSERT_EQ(rename(other->Path("d/f").c_str(), other->Path("d/f2").c_str()), 0);
  EXPECT_LT(UntilGone(Path("d/f")), 5000ms);
  EXPECT_EQ(ReadAll(Path("d/f2")), "f");
  // It unlinks g, and replaces h with a new file: gone, and the new one read.
  ASSERT_EQ(unlink(other->Path("d/g").c_str()), 0);
  EXPECT_LT(UntilGone(Path("d/g")), 5000ms);
  ASSERT_NO_FATAL_FAILURE(WriteAll(other->Path("d/h.new"), "new h"));
  ASSERT_EQ(rename(other->Path("d/h.new").c_str(), other->Path("d/h").c_str()), 0);
  for (int i = 0; i < 500 && ReadAll(Path("d/h")) != "new h"; ++i)
    std::this_thread::sleep_for(10ms);
  EXPECT_EQ(ReadAll(Path("d/h")), "new h");
  // Its rmdir of a directory this mount has cached.
  ASSERT_EQ(mkdir(Path("d/sub").c_str(), 0755), 0);
  ASSERT_EQ(stat(other->Path("d/sub").c_str(), &st), 0);
  ASSERT_EQ(rmdir(other->Path("d/sub").c_str()), 0);
  EXPECT_LT(UntilGone(Path("d/sub")), 5000ms);
}

TEST_F(FuseLeaseTest, WithoutLeasesANameIsLookedUpAgainAfterEntryTimeout) {
  ASSERT_NE(LoggedMetricsPort(cluster_.mds().err()), 0) << cluster_.mds().err();
  auto plain = Mount("mnt-plain", {"leases=false"});
  ASSERT_TRUE(plain != nullptr);
  ASSERT_NO_FATAL_FAILURE(WriteAll(plain->Path("f"), "f"));
  std::this_thread::sleep_for(1500ms);
  double lookups = MdsRequests("Lookup");
  struct stat st;
  ASSERT_EQ(stat(plain->Path("f").c_str(), &st), 0);
  EXPECT_GT(MdsRequests("Lookup"), lookups);
}

}  // namespace
}  // namespace weft::test
