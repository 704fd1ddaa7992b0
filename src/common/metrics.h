// Metrics: counters, gauges and latency histograms, rendered in the Prometheus text format
// (0.0.4) and served over HTTP at /metrics. See docs/metrics.md.
//
//   auto& requests = MetricsRegistry::Global().Counter(
//       "weft_rpc_requests_total", "RPC requests handled", {"service", "method"});
//   Counter& get_config = requests.With({"mgs", "GetConfig"});  // cache this
//   get_config.Increment();                                      // lock-free
//
// Thread-safety: everything here may be used from any thread. Creating a family or a child takes
// a mutex; updating a Counter, Gauge or Histogram is a relaxed atomic operation. A scrape may see
// updates made concurrently with it in part (a histogram's buckets and its sum are read one by
// one), never torn values.
//
// Ownership: a registry owns its families and their children; the references it hands out stay
// valid for the registry's lifetime (the global registry is never destroyed).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace weft {

class ConfigRegistry;

// A monotonically increasing count.
class Counter {
 public:
  void Increment(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// A value that goes up and down (integers are exact up to 2^53).
class Gauge {
 public:
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  void Add(double delta) { value_.fetch_add(delta, std::memory_order_relaxed); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// A latency distribution over fixed buckets from 1 µs to 10 s (1, 2.5, 5 steps per decade).
// An observation v lands in the first bucket whose upper bound is >= v, or in +Inf; NaN is
// ignored.
class Histogram {
 public:
  static constexpr std::array<double, 22> kBounds = {
      1e-6, 2.5e-6, 5e-6,   1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3,
      5e-3, 1e-2,   2.5e-2, 5e-2, 0.1,    0.25, 0.5,  1.0,    2.5,  5.0,  10.0};
  static constexpr size_t kBuckets = kBounds.size() + 1;  // the last is +Inf

  void Observe(double seconds);
  void ObserveDuration(std::chrono::nanoseconds duration) {
    Observe(std::chrono::duration<double>(duration).count());
  }

  // Observations per bucket (not cumulative; index kBounds.size() is +Inf).
  std::array<uint64_t, kBuckets> BucketCounts() const;
  uint64_t Count() const;  // the sum of BucketCounts()
  double Sum() const;      // of the observed values, in seconds

 private:
  std::array<std::atomic<uint64_t>, kBuckets> counts_{};
  std::atomic<double> sum_{0.0};
};

namespace metrics_internal {

enum class MetricType { kCounter, kGauge, kHistogram, kGaugeCallback };

// What every family has: a name, help, a type and label names fixed at creation.
class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, MetricType type,
             std::vector<std::string> label_names);
  virtual ~FamilyBase();
  FamilyBase(const FamilyBase&) = delete;
  FamilyBase& operator=(const FamilyBase&) = delete;

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  MetricType type() const { return type_; }
  const std::vector<std::string>& label_names() const { return label_names_; }

  // Appends HELP, TYPE and the samples in label-value order; nothing when there are no samples.
  virtual void Render(std::string* out) const = 0;

 protected:
  // Aborts, naming the family, unless `count` values match the label names.
  void CheckLabelCount(size_t count) const;

 private:
  const std::string name_;
  const std::string help_;
  const MetricType type_;
  const std::vector<std::string> label_names_;
};

}  // namespace metrics_internal

// A family of metrics of one kind (Counter, Gauge or Histogram) and one name, one child per
// combination of label values.
template <typename M>
class MetricFamily final : public metrics_internal::FamilyBase {
 public:
  using FamilyBase::FamilyBase;

  // The child for `label_values` (one per label name, in order), created on first use. The
  // reference is stable: cache it rather than calling With on every update.
  // REQUIRES: label_values.size() == label_names().size(); otherwise aborts.
  M& With(const std::vector<std::string>& label_values) {
    CheckLabelCount(label_values.size());
    std::lock_guard<std::mutex> lock(mu_);
    std::unique_ptr<M>& child = children_[label_values];
    if (!child) child = std::make_unique<M>();
    return *child;
  }

  void Render(std::string* out) const override;

 private:
  mutable std::mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<M>> children_;  // guarded by mu_
};

using CounterFamily = MetricFamily<Counter>;
using GaugeFamily = MetricFamily<Gauge>;
using HistogramFamily = MetricFamily<Histogram>;
extern template class MetricFamily<Counter>;
extern template class MetricFamily<Gauge>;
extern template class MetricFamily<Histogram>;

// (label name, label value) pairs of one series.
using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class MetricsRegistry;

// Keeps a gauge callback registered; destroying or resetting it unregisters the callback, after
// which the callback is not running and will not run again.
// REQUIRES: the registry outlives the handle.
class [[nodiscard]] GaugeCallbackHandle {
 public:
  GaugeCallbackHandle() = default;
  GaugeCallbackHandle(GaugeCallbackHandle&& other) noexcept;
  GaugeCallbackHandle& operator=(GaugeCallbackHandle&& other) noexcept;
  ~GaugeCallbackHandle() { Reset(); }

  void Reset();

 private:
  friend class MetricsRegistry;
  GaugeCallbackHandle(MetricsRegistry* registry, std::string family, uint64_t id)
      : registry_(registry), family_(std::move(family)), id_(id) {}

  MetricsRegistry* registry_ = nullptr;
  std::string family_;
  uint64_t id_ = 0;
};

// A set of metric families. Names must match [a-zA-Z_:][a-zA-Z0-9_:]*, counter names must end
// in "_total", label names match [a-zA-Z_][a-zA-Z0-9_]* ("le" is reserved for histograms).
// Asking again for a family with the same name and type returns the existing one (its first
// help and label names stand); the same name with another type or other label names is a
// programming error and aborts with a message, as do malformed names.
class MetricsRegistry {
 public:
  MetricsRegistry();
  ~MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // The process's registry, served by the daemons; tests make their own.
  static MetricsRegistry& Global();

  CounterFamily& Counter(std::string name, std::string help,
                         std::vector<std::string> label_names = {});
  GaugeFamily& Gauge(std::string name, std::string help, std::vector<std::string> label_names = {});
  HistogramFamily& Histogram(std::string name, std::string help,
                             std::vector<std::string> label_names = {});

  // A gauge series whose value `read` computes at scrape time (e.g. bytes free on a target).
  // Series of one family share its label names, in the same order; two live callbacks with the
  // same labels abort. `read` runs on the scraping thread, under the registry's lock: it must be
  // quick, thread-safe, and must not call into this registry.
  GaugeCallbackHandle GaugeCallback(std::string name, std::string help, MetricLabels labels,
                                    std::function<double()> read);

  // Every family with samples, sorted by name, in the Prometheus text format 0.0.4.
  std::string RenderPrometheus() const;

 private:
  friend class GaugeCallbackHandle;

  template <typename F>
  F& GetOrCreate(std::string name, std::string help, metrics_internal::MetricType type,
                 std::vector<std::string> label_names);
  void RemoveCallback(const std::string& family, uint64_t id);

  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<metrics_internal::FamilyBase>> families_;  // mu_
  uint64_t next_callback_id_ = 1;                                                  // mu_
};

// Where a daemon serves /metrics: "metrics.address" and "metrics.port".
struct MetricsOptions {
  std::string address;  // default "127.0.0.1"
  int64_t port = -1;    // -1: no endpoint; 0: any free port; else that port
};

// Declares "metrics.address" and "metrics.port" (checked to be -1..65535).
void AddMetricsKeys(ConfigRegistry& registry, MetricsOptions* options);

// Serves GET /metrics from a registry over HTTP, on threads of its own.
// Thread-safety: Start and Stop are called by the owner, not concurrently; scrapes run on the
// server's threads.
class MetricsServer {
 public:
  // REQUIRES: `registry` outlives this server.
  explicit MetricsServer(const MetricsRegistry& registry);
  ~MetricsServer();  // Stop()s
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Binds `address`:`port` (0 picks a free port) and starts serving. A port in use or an
  // address that cannot be bound is an error naming both. REQUIRES: not started.
  Status Start(const std::string& address, uint16_t port);
  // Start as `options` say; with port -1 it does nothing and returns Ok.
  Status Start(const MetricsOptions& options);
  // Stops serving and joins the server's threads; a no-op when not started.
  void Stop();

  // The port being served (useful after Start with port 0); 0 when not started.
  uint16_t port() const;

 private:
  struct Impl;
  const MetricsRegistry& registry_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace weft
