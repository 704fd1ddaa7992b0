// The C API (weft.h) against real daemons: -errno results and the usual calls.
#include "client/weft.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "weft_cluster.h"

namespace weft::test {
namespace {

TEST(WeftCApiTest, MountsWritesReadsListsAndUnmounts) {
  WeftCluster cluster;
  ASSERT_NO_FATAL_FAILURE(cluster.Start());
  {
    auto probe = cluster.Mount();
    ASSERT_TRUE(probe.ok()) << probe.status().ToString();
    ASSERT_NO_FATAL_FAILURE(WeftCluster::WaitForAllOsts(**probe));
  }
  weft_fs_t* fs = nullptr;
  EXPECT_EQ(weft_mount("no-fsname", nullptr, &fs), -EINVAL);
  weft_mount_options options{};
  options.call_timeout_ms = 20000;
  options.attempt_timeout_ms = 1500;
  ASSERT_EQ(weft_mount(cluster.MountSource().c_str(), &options, &fs), 0);

  EXPECT_EQ(weft_mkdir(fs, "/dir", 0755), 0);
  EXPECT_EQ(weft_mkdir(fs, "/dir", 0755), -EEXIST);
  weft_file_t* f = nullptr;
  ASSERT_EQ(weft_create(fs, "/dir/file", 0644, &f), 0);
  std::string data(300000, 'w');
  EXPECT_EQ(weft_pwrite(f, data.data(), data.size(), 100), static_cast<ssize_t>(data.size()));
  struct stat st {};
  EXPECT_EQ(weft_fstat(f, &st), 0);
  EXPECT_EQ(st.st_size, 300100);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  char buf[16];
  EXPECT_EQ(weft_pread(f, buf, sizeof(buf), 0), -EINVAL) << "write-only: refused";
  EXPECT_EQ(weft_fsync(f), 0);
  EXPECT_EQ(weft_ftruncate(f, 200), 0);
  EXPECT_EQ(weft_close(f), 0);

  ASSERT_EQ(weft_open(fs, "/dir/file", O_RDONLY, 0, &f), 0);
  std::string back(1000, 'x');
  EXPECT_EQ(weft_pread(f, back.data(), back.size(), 0), 200);
  EXPECT_EQ(back.substr(0, 100), std::string(100, '\0'));
  EXPECT_EQ(back.substr(100, 100), std::string(100, 'w'));
  EXPECT_EQ(weft_pwrite(f, "x", 1, 0), -EINVAL) << "read-only: refused";
  EXPECT_EQ(weft_close(f), 0);

  EXPECT_EQ(weft_stat(fs, "/dir/file", &st), 0);
  EXPECT_EQ(st.st_size, 200);
  EXPECT_EQ(weft_stat(fs, "/dir/none", &st), -ENOENT);
  EXPECT_EQ(weft_open(fs, "/dir/none", O_RDONLY, 0, &f), -ENOENT);
  EXPECT_EQ(weft_symlink(fs, "file", "/dir/link"), 0);
  char target[64];
  EXPECT_EQ(weft_readlink(fs, "/dir/link", target, sizeof(target)), 4);
  EXPECT_EQ(std::string(target, 4), "file");
  EXPECT_EQ(weft_lstat(fs, "/dir/link", &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(weft_rename(fs, "/dir/file", "/dir/moved", 0), 0);
  EXPECT_EQ(weft_truncate(fs, "/dir/moved", 10), 0);
  EXPECT_EQ(weft_stat(fs, "/dir/moved", &st), 0);
  EXPECT_EQ(st.st_size, 10);

  weft_dir_t* dir = nullptr;
  ASSERT_EQ(weft_opendir(fs, "/dir", &dir), 0);
  std::set<std::string> names;
  weft_dirent e{};
  int rc = 0;
  while ((rc = weft_readdir(dir, &e)) == 1) names.insert(e.d_name);
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(names, (std::set<std::string>{".", "..", "moved", "link"}));
  EXPECT_EQ(weft_closedir(dir), 0);
  EXPECT_EQ(weft_opendir(fs, "/dir/moved", &dir), -ENOTDIR);

  struct statvfs vfs {};
  EXPECT_EQ(weft_statfs(fs, &vfs), 0);
  EXPECT_GT(vfs.f_files, 0u);
  EXPECT_EQ(weft_rmdir(fs, "/dir"), -ENOTEMPTY);
  EXPECT_EQ(weft_unlink(fs, "/dir/moved"), 0);
  EXPECT_EQ(weft_unlink(fs, "/dir/link"), 0);
  EXPECT_EQ(weft_rmdir(fs, "/dir"), 0);
  EXPECT_EQ(weft_umount(fs), 0);
}

}  // namespace
}  // namespace weft::test
