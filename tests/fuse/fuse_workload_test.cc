// Real programs on the mount: git, tar, cp -a, and users other than root.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuse_fixture.h"

namespace weft::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST_F(FuseTest, GitInitAddCommitAndStatus) {
  if (Shell("command -v git") != 0) GTEST_SKIP() << "git is not installed";
  std::string repo = Path("repo");
  std::string out;
  ASSERT_EQ(Shell("set -e; mkdir -p " + repo + "/src && cd " + repo +
                      " && git init -q . && for i in 1 2 3 4 5; do echo \"line $i\" > src/f$i.c; "
                      "done && echo hi > README && git add -A && "
                      "git -c user.name=t -c user.email=t@example.com commit -q -m first && "
                      "echo more >> README && git -c user.name=t -c user.email=t@example.com "
                      "commit -q -am second && git log --oneline | wc -l && git status "
                      "--porcelain && git fsck --no-progress 2>&1",
                  &out),
            0)
      << out;
  EXPECT_THAT(out, HasSubstr("2\n"));
}

TEST_F(FuseTest, TarRoundTripAndCpPreservingModesAndTimes) {
  std::string local = cluster_.dir() + "/local";
  std::string out;
  // A small tree with modes, a symlink and a hard link, packed locally.
  ASSERT_EQ(Shell("set -e; export TZ=UTC; mkdir -p " + local + "/t/a/b && cd " + local +
                      "/t && for i in $(seq 1 40); do head -c $((i * 997)) /dev/urandom > a/f$i; "
                      "done && chmod 0640 a/f1 && chmod 0755 a/f2 && ln -s a/f3 link && "
                      "ln a/f4 a/b/hard && touch -d '2001-02-03 04:05:06' a/f5 && cd .. && "
                      "tar cf t.tar t",
                  &out),
            0)
      << out;
  // Unpacked on Weft, packed again from Weft, unpacked locally: the same tree.
  ASSERT_EQ(Shell("set -e; cd " + mount_->dir() + " && tar xpf " + local + "/t.tar && tar cf " +
                      local + "/back.tar t && mkdir -p " + local + "/back && cd " + local +
                      "/back && tar xpf ../back.tar && diff -r " + local + "/t " + local +
                      "/back/t && stat -c '%a %Y' t/a/f1 t/a/f2 t/a/f5",
                  &out),
            0)
      << out;
  EXPECT_THAT(out, HasSubstr("640 "));
  EXPECT_THAT(out, HasSubstr("755 "));
  EXPECT_THAT(out, HasSubstr(" 981173106"));  // 2001-02-03 04:05:06 UTC
  // cp -a keeps modes, times, links.
  ASSERT_EQ(Shell("set -e; TZ=UTC; cp -a " + local + "/t " + mount_->dir() + "/copy && cd " +
                      mount_->dir() + " && diff -r t copy && stat -c '%a %Y %h' copy/a/f1 "
                      "copy/a/f5 copy/a/f4 && readlink copy/link",
                  &out),
            0)
      << out;
  EXPECT_THAT(out, HasSubstr("640 "));
  EXPECT_THAT(out, HasSubstr(" 2\n"));  // f4 and b/hard
  EXPECT_THAT(out, HasSubstr("a/f3"));
}

class FusePermissionTest : public FuseTest {
 protected:
  static constexpr const char* kAsUser = "setpriv --reuid=1000 --regid=1000 --clear-groups ";

  // Lets uid 1000 reach mount `m` (it lives under the test's private directory).
  void LetTheUserIn(const FuseMount& m) {
    ASSERT_EQ(chmod(cluster_.dir().c_str(), 0755), 0);
    ASSERT_EQ(chmod(m.dir().c_str(), 0755), 0);
    std::string out;
    ASSERT_EQ(Shell(std::string(kAsUser) + "ls " + m.dir(), &out), 0) << out;
  }

  // What uid 1000 may and may not do through `m`: the same whoever checks, kernel or MDS.
  void ExpectOtherUsersChecked(const FuseMount& m);
};

void FusePermissionTest::ExpectOtherUsersChecked(const FuseMount& m) {
  std::string as_user = kAsUser;
  std::string out;
  ASSERT_NO_FATAL_FAILURE(LetTheUserIn(m));
  ASSERT_EQ(Shell("set -e; cd " + m.dir() +
                  " && mkdir closed open && chmod 0755 closed && chmod 1777 open && "
                  "echo secret > closed/secret && chmod 0600 closed/secret"),
            0);
  // Not the owner: no writing into root's 0755 directory, no reading root's 0600 file.
  EXPECT_NE(Shell(as_user + "touch " + m.Path("closed/x"), &out), 0);
  EXPECT_THAT(out, HasSubstr("Permission denied"));
  EXPECT_NE(Shell(as_user + "cat " + m.Path("closed/secret"), &out), 0);
  EXPECT_THAT(out, HasSubstr("Permission denied"));
  // A sticky world-writable directory: create yes, remove another user's file no.
  ASSERT_EQ(Shell(as_user + "sh -c 'echo mine > " + m.Path("open/mine") + "'", &out), 0) << out;
  struct stat st;
  ASSERT_EQ(stat(m.Path("open/mine").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 1000u);
  ASSERT_EQ(Shell("echo roots > " + m.Path("open/roots")), 0);
  EXPECT_NE(Shell(as_user + "rm -f " + m.Path("open/roots"), &out), 0);
  EXPECT_THAT(out, HasSubstr("Operation not permitted"));
  EXPECT_EQ(Shell(as_user + "rm " + m.Path("open/mine"), &out), 0) << out;
  // chmod of someone else's file is refused; of one's own allowed.
  EXPECT_NE(Shell(as_user + "chmod 0777 " + m.Path("open/roots"), &out), 0);
  // A write by another user clears setuid, and setgid where group-execute is set (the kernel
  // asks for it as a chmod by the writer), and the write itself goes through.
  for (auto [before, after] :
       {std::pair{04777, 0777}, {02777, 0777}, {06777, 0777}, {02767, 02767}, {04766, 0766}}) {
    std::string f = m.Path("open/suid" + std::to_string(before));
    ASSERT_EQ(Shell("echo a > " + f), 0);
    ASSERT_EQ(chmod(f.c_str(), before), 0);
    EXPECT_EQ(Shell(as_user + "sh -c 'echo b >> " + f + "'", &out), 0) << before << ": " << out;
    ASSERT_EQ(stat(f.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, static_cast<unsigned>(after)) << std::oct << before;
    EXPECT_EQ(st.st_size, 4) << std::oct << before;
  }
  // ...but that one change is not a chmod anyone may make: not without write access.
  ASSERT_EQ(chmod(m.Path("open/roots").c_str(), 04755), 0);
  EXPECT_NE(Shell(as_user + "chmod 0755 " + m.Path("open/roots"), &out), 0);
  ASSERT_EQ(stat(m.Path("open/roots").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 04755u);
  // Supplementary groups count: a group-writable directory of group 4242.
  ASSERT_EQ(Shell("mkdir " + m.Path("grp") + " && chgrp 4242 " + m.Path("grp") + " && chmod 0770 " +
                  m.Path("grp")),
            0);
  EXPECT_NE(Shell(as_user + "touch " + m.Path("grp/a"), &out), 0);
  EXPECT_EQ(Shell("setpriv --reuid=1000 --regid=1000 --groups=4242 touch " + m.Path("grp/a"), &out),
            0)
      << out;
  // A file the user creates read-only is written through the descriptor the create gave
  // (write(2) checks the open, not the mode): fsync and close report its size, no EACCES.
  std::string ro = m.Path("open/ro");
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {  // only system calls from here: the parent has threads
    if (setgroups(0, nullptr) != 0 || setresgid(1000, 1000, 1000) != 0 ||
        setresuid(1000, 1000, 1000) != 0) {
      _exit(10);
    }
    int fd = open(ro.c_str(), O_CREAT | O_WRONLY, 0444);
    if (fd < 0) _exit(11);
    if (write(fd, "abcd", 4) != 4) _exit(12);
    if (fsync(fd) != 0) _exit(13);
    if (write(fd, "ef", 2) != 2) _exit(14);
    // So are ftruncate and fallocate: the open gave the right, not the mode.
    if (ftruncate(fd, 5) != 0) _exit(16);
    if (posix_fallocate(fd, 0, 7) != 0) _exit(17);
    _exit(close(fd) == 0 ? 0 : 15);
  }
  int wstatus = 0;
  ASSERT_EQ(waitpid(child, &wstatus, 0), child);
  ASSERT_TRUE(WIFEXITED(wstatus));
  EXPECT_EQ(WEXITSTATUS(wstatus), 0) << "10 setresuid, 11 open, 12 write, 13 fsync, 14 write, "
                                        "15 close, 16 ftruncate, 17 fallocate failed";
  ASSERT_EQ(stat(ro.c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 7);
  EXPECT_EQ(st.st_mode & 07777, 0444u);
  // ...but a new open for writing is refused, and so is a truncate by path.
  EXPECT_NE(Shell(as_user + "sh -c 'echo more >> " + m.Path("open/ro") + "'", &out), 0);
  EXPECT_NE(Shell(as_user + "truncate -s 1 " + m.Path("open/ro"), &out), 0);
  ASSERT_EQ(stat(m.Path("open/ro").c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 7);
}

// The kernel checks first (default_permissions, the default): a directory the user cannot
// search keeps its names from the user even while the kernel has them cached from root's
// lookup, which the MDS never hears of.
TEST_F(FusePermissionTest, ChecksForOtherUsersWithTheKernelFirst) {
  if (Shell("command -v setpriv") != 0) GTEST_SKIP() << "setpriv is not installed";
  std::string out;
  ASSERT_EQ(Shell("grep ' " + mount_->dir() + " ' /proc/mounts", &out), 0);
  EXPECT_THAT(out, HasSubstr("default_permissions"));
  ASSERT_NO_FATAL_FAILURE(ExpectOtherUsersChecked(*mount_));
  ASSERT_EQ(Shell("set -e; cd " + mount_->dir() +
                  " && mkdir private && echo x > private/f && chmod 0644 private/f && "
                  "chmod 0700 private && cat private/f"),
            0);
  EXPECT_NE(Shell(std::string(kAsUser) + "cat " + Path("private/f"), &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("Permission denied"));
}

// -o default_permissions=false: the MDS alone checks, and every rule still holds for requests
// that reach it (docs/mount.md says what the kernel's name cache lets through).
TEST_F(FusePermissionTest, ChecksForOtherUsersWithTheMdsAlone) {
  if (Shell("command -v setpriv") != 0) GTEST_SKIP() << "setpriv is not installed";
  mount_.reset();
  std::unique_ptr<FuseMount> m = Mount("mds-only", {"default_permissions=false"});
  ASSERT_NE(m, nullptr);
  std::string out;
  ASSERT_EQ(Shell("grep ' " + m->dir() + " ' /proc/mounts", &out), 0);
  EXPECT_THAT(out, Not(HasSubstr("default_permissions")));
  ASSERT_NO_FATAL_FAILURE(ExpectOtherUsersChecked(*m));
}

}  // namespace
}  // namespace weft::test
