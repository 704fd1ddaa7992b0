// The mount's Prometheus endpoint (-o metrics_port): client read and write ops, bytes and
// latency, metadata ops and errors per FUSE operation, as an operator scrapes them.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "fuse_fixture.h"
#include "metrics_scrape.h"

namespace weft::test {
namespace {

using ::testing::HasSubstr;

constexpr size_t kMiB = size_t{1} << 20;
constexpr int kChunks = 4;

std::string Op(const std::string& family, const std::string& op) {
  return family + "{op=\"" + op + "\"}";
}

// The series the test looks at, from one scrape.
struct ClientSample {
  explicit ClientSample(const std::string& text)
      : read_ops(SampleValue(text, "weft_client_read_ops_total")),
        write_ops(SampleValue(text, "weft_client_write_ops_total")),
        read_bytes(SampleValue(text, "weft_client_read_bytes_total")),
        write_bytes(SampleValue(text, "weft_client_write_bytes_total")),
        read_count(SampleValue(text, "weft_client_read_latency_seconds_count")),
        write_count(SampleValue(text, "weft_client_write_latency_seconds_count")),
        creates(SampleValue(text, Op("weft_client_metadata_ops_total", "create"))),
        opens(SampleValue(text, Op("weft_client_metadata_ops_total", "open"))),
        lookup_errors(SampleValue(text, Op("weft_client_errors_total", "lookup"))) {}
  double read_ops, write_ops, read_bytes, write_bytes, read_count, write_count;
  double creates, opens, lookup_errors;
};

// Writes kChunks MiB to `path` in 1 MiB write(2) calls; reads it back after a fresh open.
void WriteAndReadBack(const std::string& path) {
  std::vector<char> buf(kMiB, 'm');
  int fd = open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
  ASSERT_GE(fd, 0) << strerror(errno);
  for (int i = 0; i < kChunks; ++i) ASSERT_EQ(write(fd, buf.data(), kMiB), ssize_t(kMiB));
  ASSERT_EQ(close(fd), 0);
  fd = open(path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0) << strerror(errno);
  size_t total = 0;
  ssize_t n;
  while ((n = read(fd, buf.data(), kMiB)) > 0) total += size_t(n);
  ASSERT_EQ(close(fd), 0);
  ASSERT_EQ(total, kChunks * kMiB);
}

TEST_F(FuseTest, MetricsEndpointCountsClientIo) {
  auto m = Mount("metrics-mnt", {"metrics_port=0"});
  ASSERT_TRUE(m != nullptr);
  uint16_t port = LoggedMetricsPort(m->process().err());
  ASSERT_NE(port, 0) << m->process().err();
  std::string text = ScrapeMetrics(port);
  ASSERT_THAT(text, HasSubstr("# TYPE weft_client_read_latency_seconds histogram"));
  ClientSample before(text);
  ASSERT_GE(before.read_ops, 0) << text;

  ASSERT_NO_FATAL_FAILURE(WriteAndReadBack(m->Path("io")));
  struct stat st;
  EXPECT_NE(stat(m->Path("absent").c_str(), &st), 0);

  text = ScrapeMetrics(port);
  ClientSample after(text);
  // Every write(2) and read(2) of 1 MiB is at least one FUSE request (max_write is 1 MiB).
  EXPECT_GE(after.write_ops - before.write_ops, kChunks) << text;
  EXPECT_GE(after.write_bytes - before.write_bytes, double(kChunks * kMiB)) << text;
  EXPECT_GE(after.read_ops - before.read_ops, kChunks) << text;
  EXPECT_GE(after.read_bytes - before.read_bytes, double(kChunks * kMiB)) << text;
  EXPECT_GE(after.write_count - before.write_count, kChunks) << text;
  EXPECT_GE(after.read_count - before.read_count, kChunks) << text;
  EXPECT_GE(after.creates - before.creates, 1) << text;
  EXPECT_GE(after.opens - before.opens, 1) << text;
  EXPECT_GE(after.lookup_errors - before.lookup_errors, 1) << text;
  EXPECT_GT(SampleValue(text, "weft_client_write_latency_seconds_sum"), 0) << text;
  EXPECT_THAT(text, HasSubstr("weft_client_read_latency_seconds_bucket{le=\"+Inf\"}"));
  // The mount's RPC client is there too, and nothing is labelled with a file.
  EXPECT_THAT(text, HasSubstr("weft_rpc_client_calls_total"));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("ino=\"")));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("path=\"")));
}

// Detached (as mount(8) runs it), the endpoint is served by the daemon that stays behind.
TEST_F(FuseTest, DetachedMountServesMetricsUntilUnmounted) {
  std::string dir = cluster_.dir() + "/detached-mnt";
  std::filesystem::create_directories(dir);
  uint16_t port = FreePort();
  CommandResult r = RunCommand(
      {BinaryPath("src/client/fuse/weft-fuse"), "-o",
       "call_timeout_ms=20000,metrics_port=" + std::to_string(port), cluster_.MountSource(), dir},
      cluster_.dir() + "/detached", 60s);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  ASSERT_TRUE(IsMounted(dir));
  ASSERT_EQ(Shell("echo detached > " + dir + "/d && cat " + dir + "/d"), 0);
  std::string text = ScrapeMetrics(port);
  EXPECT_GE(SampleValue(text, "weft_client_write_ops_total"), 1) << text;
  EXPECT_GE(SampleValue(text, "weft_client_read_ops_total"), 1) << text;
  std::string out;
  ASSERT_EQ(Shell("umount " + dir, &out), 0) << out;
  // The daemon exits with its mount, and the endpoint with it.
  auto end = std::chrono::steady_clock::now() + 20s;
  while (!ScrapeMetrics(port).empty() && std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(ScrapeMetrics(port), "") << "the endpoint outlived the mount";
}

class FuseMetricsUsageTest : public ::testing::Test {
 protected:
  CommandResult Run(std::vector<std::string> args) {
    args.insert(args.begin(), BinaryPath("src/client/fuse/weft-fuse"));
    return RunCommand(args, dir_.path() + "/run" + std::to_string(runs_++), 60s);
  }
  TempDir dir_;
  int runs_ = 0;
};

TEST_F(FuseMetricsUsageTest, BadMetricsOptionsAreRefused) {
  for (const char* o : {"metrics_port=junk", "metrics_port=70000", "metrics_port=-2",
                        "metrics_port=", "metrics_address="}) {
    CommandResult r = Run({"127.0.0.1@tcp:/weft", dir_.path(), "-o", o});
    EXPECT_EQ(r.exit_code, 1) << o << ": " << r.err;
    EXPECT_THAT(r.err, HasSubstr(std::string(o).substr(0, std::string(o).find('=')))) << o;
  }
  CommandResult help = Run({"--help"});
  EXPECT_THAT(help.out, HasSubstr("metrics_port"));
  EXPECT_THAT(help.out, HasSubstr("metrics_address"));
}

// A metrics port someone else holds fails the mount (exit 32) naming the address and port,
// before anything is mounted or any server is asked.
TEST_F(FuseMetricsUsageTest, MetricsPortInUseFailsTheMount) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  std::string port = std::to_string(ntohs(a.sin_port));
  // Detached and in the foreground: the parent reports the child's error, or the daemon its own.
  for (bool foreground : {false, true}) {
    std::vector<std::string> args = {"127.0.0.1:1@tcp:/weft", dir_.path(), "-o",
                                     "metrics_port=" + port};
    if (foreground) args.push_back("-f");
    CommandResult r = Run(args);
    EXPECT_EQ(r.exit_code, 32) << r.err;
    EXPECT_THAT(r.err, HasSubstr("127.0.0.1:" + port + " is in use")) << foreground;
    EXPECT_FALSE(IsMounted(dir_.path()));
  }
  close(fd);
}

}  // namespace
}  // namespace weft::test
