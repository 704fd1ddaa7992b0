// weft-mds serves its MDT's space and inodes on its Prometheus endpoint.
#include "../fuse/metrics_scrape.h"
#include "mds_process_fixture.h"

namespace weft::test {
namespace {

constexpr char kTarget[] = "{target=\"weft-MDT0000\"}";

double Mdt(const std::string& text, const std::string& name) {
  return SampleValue(text, name + kTarget);
}

TEST_F(MdsProcessTest, ServesMdtSpaceAndInodes) {
  ASSERT_NO_FATAL_FAILURE(StartMgsWithOst());
  ASSERT_NO_FATAL_FAILURE(Mkfs());
  auto mds = StartReadyMds({"--metrics.port=0"});
  uint16_t port = LoggedMetricsPort(mds->err());
  ASSERT_NE(port, 0) << mds->err();
  std::string text = ScrapeMetrics(port);
  double capacity = Mdt(text, "weft_mdt_capacity_bytes");
  EXPECT_GT(Mdt(text, "weft_mdt_bytes_free"), 0) << text;
  EXPECT_GT(Mdt(text, "weft_mdt_bytes_used"), 0) << text;
  EXPECT_GE(capacity, Mdt(text, "weft_mdt_bytes_free")) << text;
  EXPECT_GE(capacity, Mdt(text, "weft_mdt_bytes_used")) << text;
  double used = Mdt(text, "weft_mdt_files_used");
  double free = Mdt(text, "weft_mdt_files_free");
  EXPECT_GE(used, 1) << text;  // the root
  EXPECT_GT(free, 0) << text;

  MdsTestClient client(mds_port_);
  auto dir = client.Run(Mkdir(client.stub(), kRoot, "d"));
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  for (int i = 0; i < 5; ++i) {
    auto file = client.Run(Create(client.stub(), dir->inode().ino(), "f" + std::to_string(i)));
    ASSERT_TRUE(file.ok()) << file.status().ToString();
  }
  text = ScrapeMetrics(port);
  EXPECT_EQ(Mdt(text, "weft_mdt_files_used"), used + 6) << text;
  EXPECT_EQ(Mdt(text, "weft_mdt_files_free"), free - 6) << text;

  mds->Signal(SIGTERM);
  EXPECT_EQ(mds->Wait(20s), 0) << mds->err();
}

}  // namespace
}  // namespace weft::test
