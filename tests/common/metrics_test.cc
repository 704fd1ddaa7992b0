#include "common/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "common/config.h"

// The Debian libcpp-httplib is built with these; the header must see them too, or the client's
// object layout differs from the library's.
#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
#define CPPHTTPLIB_OPENSSL_SUPPORT
#endif
#ifndef CPPHTTPLIB_ZLIB_SUPPORT
#define CPPHTTPLIB_ZLIB_SUPPORT
#endif
#ifndef CPPHTTPLIB_BROTLI_SUPPORT
#define CPPHTTPLIB_BROTLI_SUPPORT
#endif
#include <httplib.h>

namespace weft {
namespace {

using ::testing::HasSubstr;

constexpr int kThreads = 8;
constexpr int kPerThread = 100000;

// Runs `fn` on kThreads threads at once and waits for them.
template <typename Fn>
void OnManyThreads(Fn fn) {
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back(fn);
  for (std::thread& t : threads) t.join();
}

TEST(MetricsTest, ConcurrentUpdatesGiveExactTotals) {
  MetricsRegistry registry;
  auto& requests = registry.Counter("weft_requests_total", "Requests", {"method"});
  Gauge& inflight = registry.Gauge("weft_inflight", "In flight").With({});
  Histogram& latency = registry.Histogram("weft_latency_seconds", "Latency").With({});
  OnManyThreads([&] {
    Counter& c = requests.With({"Ping"});  // every thread gets the same child
    for (int i = 0; i < kPerThread; ++i) {
      c.Increment();
      inflight.Add(1);
      latency.Observe(0.001);
    }
  });
  EXPECT_EQ(requests.With({"Ping"}).Value(), uint64_t{kThreads} * kPerThread);
  EXPECT_EQ(inflight.Value(), double{kThreads} * kPerThread);
  EXPECT_EQ(latency.Count(), uint64_t{kThreads} * kPerThread);
}

TEST(MetricsTest, HistogramBucketsHoldTheirUpperBound) {
  Histogram h;
  h.Observe(1e-6);                                      // exactly on a bound: that bucket
  h.Observe(1.5e-6);                                    // between 1 and 2.5 µs
  h.ObserveDuration(std::chrono::milliseconds(3));      // <= 5 ms
  h.Observe(10.0);                                      // the last finite bucket
  h.Observe(11.0);                                      // +Inf
  h.Observe(std::numeric_limits<double>::quiet_NaN());  // ignored
  std::array<uint64_t, Histogram::kBuckets> counts = h.BucketCounts();
  std::array<uint64_t, Histogram::kBuckets> want{};
  want[0] = want[1] = want[11] = want[21] = want[22] = 1;
  EXPECT_EQ(counts, want);
  EXPECT_EQ(Histogram::kBounds[11], 0.005);
  EXPECT_EQ(h.Count(), 5u);
  EXPECT_DOUBLE_EQ(h.Sum(), 1e-6 + 1.5e-6 + 0.003 + 10 + 11);
}

TEST(MetricsTest, ExpositionTextIsExact) {
  MetricsRegistry registry;
  auto& requests = registry.Counter("weft_rpc_requests_total", "RPC requests.", {"service", "op"});
  requests.With({"mgs", "GetConfig"}).Increment(3);
  requests.With({"mds", "a\"b\\c\nd"}).Increment();
  registry.Gauge("weft_clients", "Connected clients.\nMore \\ help \"quoted\"").With({}).Set(2);
  Histogram& ping =
      registry.Histogram("weft_rpc_latency_seconds", "Latency.", {"op"}).With({"Ping"});
  ping.Observe(0.003);
  ping.Observe(20);
  GaugeCallbackHandle handle = registry.GaugeCallback(
      "weft_ost_bytes_free", "Free bytes.", {{"target", "OST0001"}}, [] { return 1.5e12; });
  registry.Counter("weft_unused_total", "No samples, not rendered.", {"x"});

  std::string want = R"(# HELP weft_clients Connected clients.\nMore \\ help "quoted"
# TYPE weft_clients gauge
weft_clients 2
# HELP weft_ost_bytes_free Free bytes.
# TYPE weft_ost_bytes_free gauge
weft_ost_bytes_free{target="OST0001"} 1500000000000
# HELP weft_rpc_latency_seconds Latency.
# TYPE weft_rpc_latency_seconds histogram
)";
  const char* les[] = {"1e-06",  "2.5e-06", "5e-06",  "1e-05", "2.5e-05", "5e-05",
                       "0.0001", "0.00025", "0.0005", "0.001", "0.0025",  "0.005",
                       "0.01",   "0.025",   "0.05",   "0.1",   "0.25",    "0.5",
                       "1",      "2.5",     "5",      "10",    "+Inf"};
  for (int i = 0; i < 23; ++i) {
    int cumulative = i < 11 ? 0 : (i < 22 ? 1 : 2);
    want += "weft_rpc_latency_seconds_bucket{op=\"Ping\",le=\"" + std::string(les[i]) + "\"} " +
            std::to_string(cumulative) + "\n";
  }
  want += R"(weft_rpc_latency_seconds_sum{op="Ping"} 20.003
weft_rpc_latency_seconds_count{op="Ping"} 2
# HELP weft_rpc_requests_total RPC requests.
# TYPE weft_rpc_requests_total counter
weft_rpc_requests_total{service="mds",op="a\"b\\c\nd"} 1
weft_rpc_requests_total{service="mgs",op="GetConfig"} 3
)";
  EXPECT_EQ(registry.RenderPrometheus(), want);
}

TEST(MetricsTest, GaugeCallbackIsReadAtScrapeTimeUntilReleased) {
  MetricsRegistry registry;
  double free_bytes = 100;
  GaugeCallbackHandle handle = registry.GaugeCallback(
      "weft_ost_bytes_free", "Free bytes.", {{"target", "OST0000"}}, [&] { return free_bytes; });
  free_bytes = 42;
  EXPECT_THAT(registry.RenderPrometheus(),
              HasSubstr("weft_ost_bytes_free{target=\"OST0000\"} 42\n"));
  GaugeCallbackHandle moved = std::move(handle);
  handle.Reset();  // a moved-from handle owns nothing
  EXPECT_THAT(registry.RenderPrometheus(), HasSubstr("OST0000"));
  moved.Reset();
  EXPECT_EQ(registry.RenderPrometheus(), "");
}

TEST(MetricsTest, SameFamilyTwiceIsTheSameFamily) {
  MetricsRegistry registry;
  auto& a = registry.Counter("weft_ops_total", "Ops", {"op"});
  auto& b = registry.Counter("weft_ops_total", "Ops again", {"op"});
  EXPECT_EQ(&a, &b);
  EXPECT_EQ(&a.With({"read"}), &b.With({"read"}));
}

TEST(MetricsDeathTest, MisuseAbortsWithAMessage) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  MetricsRegistry registry;
  auto& ops = registry.Counter("weft_ops_total", "Ops", {"op", "target"});
  EXPECT_DEATH(registry.Gauge("weft_ops_total", "Ops"), "another type");
  EXPECT_DEATH(registry.Counter("weft_ops", "Ops"), "must end in _total");
  EXPECT_DEATH(registry.Gauge("weft-ops", "Ops"), "bad metric name");
  EXPECT_DEATH(registry.Histogram("weft_h_seconds", "H", {"le"}), "bad label name");
  EXPECT_DEATH(ops.With({"read"}), "takes 2 label values, got 1");
}

// ---- Configuration and the HTTP endpoint -----------------------------------------------------

TEST(MetricsServerTest, ServesMetricsOverHttp) {
  MetricsRegistry registry;
  registry.Counter("weft_test_requests_total", "Requests").With({}).Increment(5);
  MetricsServer server(registry);
  ASSERT_TRUE(server.Start("127.0.0.1", 0).ok());
  ASSERT_NE(server.port(), 0);

  httplib::Client client("127.0.0.1", server.port());
  httplib::Result res = client.Get("/metrics");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  EXPECT_THAT(res->get_header_value("Content-Type"), HasSubstr("text/plain; version=0.0.4"));
  EXPECT_EQ(res->body, registry.RenderPrometheus());
  EXPECT_THAT(res->body, HasSubstr("weft_test_requests_total 5\n"));

  server.Stop();
  EXPECT_FALSE(client.Get("/metrics")) << "nothing listens after Stop";
}

TEST(MetricsServerTest, PortInUseIsAnErrorNamingAddressAndPort) {
  MetricsRegistry registry;
  MetricsServer first(registry);
  ASSERT_TRUE(first.Start("127.0.0.1", 0).ok());
  MetricsServer second(registry);
  Status st = second.Start("127.0.0.1", first.port());
  EXPECT_EQ(st.code(), StatusCode::kBusy);
  EXPECT_THAT(st.message(), HasSubstr("127.0.0.1:" + std::to_string(first.port())));
  EXPECT_THAT(st.message(), HasSubstr("metrics.port"));
}

TEST(MetricsServerTest, KeysDefaultToNoEndpointAndCheckThePort) {
  ConfigRegistry config;
  MetricsOptions options;
  AddMetricsKeys(config, &options);
  EXPECT_EQ(options.address, "127.0.0.1");
  EXPECT_EQ(options.port, -1);

  MetricsServer server(MetricsRegistry::Global());
  ASSERT_TRUE(server.Start(options).ok());
  EXPECT_EQ(server.port(), 0) << "port -1 starts nothing";

  ASSERT_TRUE(config.Set("metrics.port", "70000").ok());
  EXPECT_EQ(config.Validate().message(), "metrics.port = 70000: must be between -1 and 65535");
}

}  // namespace
}  // namespace weft
