#include "common/nid.h"

#include <gtest/gtest.h>

namespace weft {
namespace {

TEST(NidTest, ParsesHostPortAndNet) {
  auto n = ParseNid("10.0.1.4:988@tcp");
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(n->host, "10.0.1.4");
  EXPECT_EQ(n->port, 988);
  EXPECT_EQ(n->net, "tcp");
  EXPECT_EQ(n->Provider(), "tcp;ofi_rxm");
  EXPECT_EQ(n->ToString(), "10.0.1.4:988@tcp");
}

TEST(NidTest, PortAndNetAreOptional) {
  auto n = ParseNid("mgs.example");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->port, 0);
  EXPECT_EQ(n->net, "tcp");
  EXPECT_EQ(n->ToString(), "mgs.example@tcp");
  EXPECT_EQ(n->WithDefaultPort(988).port, 988);
  EXPECT_EQ(ParseNid("10.0.0.1@verbs")->Provider(), "verbs;ofi_rxm");
}

TEST(NidTest, Ipv6InBrackets) {
  auto n = ParseNid("[::1]:7000@tcp");
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(n->host, "::1");
  EXPECT_EQ(n->port, 7000);
  EXPECT_EQ(n->ToString(), "[::1]:7000@tcp");
}

TEST(NidTest, RefusesMalformedWithAReason) {
  for (const char* bad : {"", "@tcp", ":988@tcp", "h:0@tcp", "h:65536@tcp", "h:12x@tcp",
                          "h:@tcp", "h@ib", "[::1@tcp", "a b@tcp", "[::1]x@tcp"}) {
    auto n = ParseNid(bad);
    EXPECT_FALSE(n.ok()) << "accepted '" << bad << "'";
    if (!n.ok()) {
      EXPECT_EQ(n.status().code(), StatusCode::kBadNid);
      EXPECT_NE(n.status().message().find("expected HOST[:PORT]@NET"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace weft
