// The weft.layout extended attribute's text: what setfattr may write, what getfattr reads.
#include "client/layout_xattr.h"

#include <gtest/gtest.h>

namespace weft::client {
namespace {

TEST(LayoutXattrTest, ParsesEachKeyAndLeavesOutWhatIsNotGiven) {
  auto r = ParseLayoutXattr("stripe_size=131072 stripe_count=2");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->stripe_size, 131072u);
  EXPECT_EQ(r->stripe_count, 2);
  EXPECT_FALSE(r->start_ost.has_value());  // absent: keep the inherited start
  r = ParseLayoutXattr("start_ost=3,stripe_count=-1");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->start_ost, 3);
  EXPECT_EQ(r->stripe_count, -1);
  r = ParseLayoutXattr("start_ost=-1");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->start_ost, -1);  // given: the MDS chooses again
}

TEST(LayoutXattrTest, RefusesBadValuesNamingThem) {
  for (const char* bad : {"", "start_ost=-2", "start_ost=x", "stripe_size=1000",
                          "stripe_count=-3", "colour=blue", "stripe_size"}) {
    auto r = ParseLayoutXattr(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_NE(ParseLayoutXattr("start_ost=-2").status().message().find("start_ost"),
            std::string::npos);
}

TEST(LayoutXattrTest, ADirectoryDefaultWithAStartOstReadsBackAndWritesBack) {
  mds::LayoutReply reply;
  reply.mutable_layout()->set_stripe_size(1 << 20);
  reply.mutable_layout()->set_stripe_count(2);
  reply.mutable_layout()->set_start_ost(3);
  std::string text = FormatLayoutXattr(reply);
  EXPECT_EQ(text, "stripe_size=1048576 stripe_count=2 start_ost=3");
  auto back = ParseLayoutXattrValue(text);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->layout().start_ost(), 3);
  auto again = ParseLayoutXattr(text);  // what getfattr printed may be written as it is
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->start_ost, 3);
  // A file's layout names its objects and no start.
  mds::LayoutReply file;
  file.mutable_layout()->set_stripe_size(65536);
  file.mutable_layout()->set_stripe_count(1);
  auto* o = file.mutable_layout()->add_objects();
  o->set_ost_index(2);
  o->set_object_id(77);
  EXPECT_EQ(FormatLayoutXattr(file), "stripe_size=65536 stripe_count=1 objects=2:77");
}

}  // namespace
}  // namespace weft::client
