// The `weft` tool on a mounted Weft: setstripe, getstripe, df and find, and its errors.
#include <gmock/gmock.h>

#include "fuse_fixture.h"

namespace weft::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class WeftToolTest : public FuseTest {
 protected:
  CommandResult Weft(std::vector<std::string> args) {
    args.insert(args.begin(), BinaryPath("src/tools/weft"));
    return RunCommand(args, cluster_.dir() + "/weft" + std::to_string(runs_++), 60s);
  }
  int runs_ = 0;
};

TEST_F(WeftToolTest, SetstripeAndGetstripe) {
  ASSERT_EQ(mkdir(Path("d").c_str(), 0755), 0);
  CommandResult r = Weft({"setstripe", "-c", "2", "-S", "128k", Path("d")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Weft({"getstripe", Path("d")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("stripe_count:  2"));
  EXPECT_THAT(r.out, HasSubstr("stripe_size:   131072"));

  // New files in d follow it; a new file made by setstripe gets its own layout.
  ASSERT_EQ(Shell("echo data > " + Path("d/f")), 0);
  r = Weft({"getstripe", "--yaml", Path("d/f")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("stripe_count: 2\n"));
  EXPECT_THAT(r.out, HasSubstr("stripe_size: 131072\n"));
  EXPECT_THAT(r.out, HasSubstr("  objects:\n    - ost_idx: "));
  r = Weft({"setstripe", "-c", "-1", "-S", "1M", Path("d/wide")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Weft({"getstripe", "-c", Path("d/wide")});
  EXPECT_EQ(r.out, "4\n");
  r = Weft({"getstripe", "-S", Path("d/wide")});
  EXPECT_EQ(r.out, "1048576\n");

  // Errors: a file with data, a size that is not a multiple of 64 KiB, a path elsewhere.
  r = Weft({"setstripe", "-c", "1", Path("d/f")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("already has data"));
  r = Weft({"setstripe", "-S", "1000", Path("d")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("multiple of 64 KiB"));
  r = Weft({"setstripe", "-S", "4X", Path("d")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("unknown unit"));
  r = Weft({"getstripe", "/tmp"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("is not on a Weft file system"));
  r = Weft({"setstripe", Path("d")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("give at least one of -c, -S or -i"));
  r = Weft({"frobnicate"});
  EXPECT_EQ(r.exit_code, 2);
}

TEST_F(WeftToolTest, SetstripeStartOstPlacesTheFirstStripe) {
  ASSERT_EQ(mkdir(Path("i").c_str(), 0755), 0);
  CommandResult r = Weft({"setstripe", "-c", "2", "-i", "3", Path("i")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Weft({"getstripe", "-i", Path("i")});
  EXPECT_EQ(r.out, "3\n");
  // Files made in i start on OST 3 and wrap to OST 0; the objects are where getstripe says.
  ASSERT_EQ(Shell("head -c 200000 /dev/urandom > " + Path("i/f")), 0);
  r = Weft({"getstripe", "--yaml", Path("i/f")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("stripe_offset: 3\n"));
  EXPECT_THAT(r.out, HasSubstr("- ost_idx: 3"));
  EXPECT_THAT(r.out, HasSubstr("- ost_idx: 0"));
  r = Weft({"getstripe", "-i", Path("i/f")});
  EXPECT_EQ(r.out, "3\n");
  // A new file made by setstripe -i.
  r = Weft({"setstripe", "-c", "1", "-i", "1", Path("one")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Weft({"getstripe", "-i", Path("one")});
  EXPECT_EQ(r.out, "1\n");
  // -i -1 gives the choice back to the MDS; an OST the file system lacks is refused and no
  // file is left behind.
  r = Weft({"setstripe", "-i", "-1", Path("i")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Weft({"getstripe", "-i", Path("i")});
  EXPECT_EQ(r.out, "-1\n");
  r = Weft({"setstripe", "-c", "1", "-i", "7", Path("nope")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("is OST 7 part of the file system"));
  EXPECT_NE(access(Path("nope").c_str(), F_OK), 0);
  r = Weft({"setstripe", "-i", "-5", Path("i")});
  EXPECT_EQ(r.exit_code, 2);
}

TEST_F(WeftToolTest, DfListsEveryTargetAndTotals) {
  CommandResult r = Weft({"df", mount_->dir()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("UUID"));
  EXPECT_THAT(r.out, HasSubstr("weft-MDT0000_UUID"));
  for (const char* ost : {"weft-OST0000_UUID", "weft-OST0001_UUID", "weft-OST0002_UUID",
                          "weft-OST0003_UUID"}) {
    EXPECT_THAT(r.out, HasSubstr(ost));
  }
  EXPECT_THAT(r.out, HasSubstr("filesystem_summary:"));
  EXPECT_THAT(r.out, HasSubstr(mount_->dir() + "[OST:3]"));
  // The MDT's row shows the bytes of its own disk too, as lfs df does.
  std::string mdt_row = r.out.substr(r.out.find("weft-MDT0000_UUID"));
  mdt_row = mdt_row.substr(0, mdt_row.find('\n'));
  EXPECT_THAT(mdt_row, Not(HasSubstr(" - "))) << mdt_row;
  r = Weft({"df", "-h", mount_->dir()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("G "));
  r = Weft({"df", "-i", mount_->dir()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("Inodes"));
  r = Weft({"df", "/tmp"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("is not on a Weft file system"));
}

TEST_F(WeftToolTest, FindByNameTypeSizeStripesAndOst) {
  ASSERT_EQ(Shell("set -e; cd " + mount_->dir() +
                  " && mkdir -p a/b && head -c 300000 /dev/zero > a/big.dat && echo x > "
                  "a/small.dat && echo y > a/b/note.txt && ln -s big.dat a/link"),
            0);
  ASSERT_EQ(Weft({"setstripe", "-c", "1", "-i", "-1", Path("a/one")}).exit_code, 0);
  CommandResult r = Weft({"find", Path("a"), "-n", "*.dat"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("a/big.dat\n"));
  EXPECT_THAT(r.out, HasSubstr("a/small.dat\n"));
  EXPECT_THAT(r.out, Not(HasSubstr("note.txt")));
  r = Weft({"find", Path("a"), "-t", "d"});
  EXPECT_EQ(r.out, Path("a") + "\n" + Path("a/b") + "\n");
  r = Weft({"find", Path("a"), "-t", "l"});
  EXPECT_EQ(r.out, Path("a/link") + "\n");
  r = Weft({"find", Path("a"), "-s", "+100k"});
  EXPECT_EQ(r.out, Path("a/big.dat") + "\n");
  r = Weft({"find", Path("a"), "-c", "1"});
  EXPECT_EQ(r.out, Path("a/one") + "\n");
  r = Weft({"find", Path("a"), "-c", "4", "-O", "3"});
  EXPECT_THAT(r.out, HasSubstr("a/big.dat\n"));
  EXPECT_THAT(r.out, Not(HasSubstr("a/one")));
  r = Weft({"find", Path("a"), "-t", "x"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--type 'x'"));
}

}  // namespace
}  // namespace weft::test
