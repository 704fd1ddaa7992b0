#include "common/metrics.h"

#include <httplib.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "common/config.h"

namespace weft {

using metrics_internal::FamilyBase;
using metrics_internal::MetricType;

// ---- Metric values ---------------------------------------------------------------------------

void Histogram::Observe(double seconds) {
  if (std::isnan(seconds)) return;
  size_t i = std::lower_bound(kBounds.begin(), kBounds.end(), seconds) - kBounds.begin();
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(seconds, std::memory_order_relaxed);
}

std::array<uint64_t, Histogram::kBuckets> Histogram::BucketCounts() const {
  std::array<uint64_t, kBuckets> counts;
  for (size_t i = 0; i < kBuckets; ++i) counts[i] = counts_[i].load(std::memory_order_relaxed);
  return counts;
}

uint64_t Histogram::Count() const {
  uint64_t total = 0;
  for (uint64_t c : BucketCounts()) total += c;
  return total;
}

double Histogram::Sum() const { return sum_.load(std::memory_order_relaxed); }

// ---- Names and text --------------------------------------------------------------------------

namespace {

[[noreturn]] void Misuse(const std::string& what) {
  std::fprintf(stderr, "weft metrics: programming error: %s\n", what.c_str());
  std::abort();
}

bool ValidName(std::string_view name, bool allow_colon) {
  auto head = [&](char c) {
    return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || (allow_colon && c == ':');
  };
  auto tail = [&](char c) { return head(c) || std::isdigit(static_cast<unsigned char>(c)); };
  return !name.empty() && head(name[0]) && std::all_of(name.begin() + 1, name.end(), tail);
}

void CheckNames(const std::string& name, MetricType type, const std::vector<std::string>& labels) {
  if (!ValidName(name, /*allow_colon=*/true)) Misuse("bad metric name '" + name + "'");
  if (type == MetricType::kCounter && !name.ends_with("_total")) {
    Misuse("counter '" + name + "' must end in _total");
  }
  for (const std::string& label : labels) {
    bool reserved = label.starts_with("__") || (type == MetricType::kHistogram && label == "le");
    if (!ValidName(label, /*allow_colon=*/false) || reserved) {
      Misuse("bad label name '" + label + "' in metric '" + name + "'");
    }
  }
}

const char* TypeText(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kHistogram:
      return "histogram";
    default:
      return "gauge";
  }
}

// Escapes `\` and newline, and `"` too when `quote` (label values; HELP text keeps quotes).
std::string Escape(std::string_view text, bool quote) {
  std::string out;
  for (char c : text) {
    if (c == '\\' || c == '\n' || (c == '"' && quote)) out += '\\';
    out += c == '\n' ? 'n' : c;
  }
  return out;
}

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  // Shortest round-trip text, in fixed notation from 1e-4 up (1e-05, 0.0001, 0.25, 10).
  char buf[64];
  bool fixed = v == 0 || (std::fabs(v) >= 1e-4 && std::fabs(v) < 1e21);
  auto [end, ec] = fixed ? std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed)
                         : std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, end);
}

// `{a="x",b="y"}`, with `le` appended when given; "" when there are no labels at all.
std::string LabelText(const std::vector<std::string>& names, const std::vector<std::string>& values,
                      const std::string& le = "") {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    out += (out.empty() ? "{" : ",") + names[i] + "=\"" + Escape(values[i], true) + "\"";
  }
  if (!le.empty()) out += (out.empty() ? "{" : ",") + std::string("le=\"") + le + "\"";
  return out.empty() ? out : out + "}";
}

void AppendHeader(const FamilyBase& family, std::string* out) {
  *out += "# HELP " + family.name() + " " + Escape(family.help(), false) + "\n";
  *out += "# TYPE " + family.name() + " " + TypeText(family.type()) + "\n";
}

void AppendSample(const std::string& name, const std::string& labels, const std::string& value,
                  std::string* out) {
  *out += name + labels + " " + value + "\n";
}

void AppendChild(const FamilyBase& f, const std::vector<std::string>& values, const Counter& c,
                 std::string* out) {
  AppendSample(f.name(), LabelText(f.label_names(), values), std::to_string(c.Value()), out);
}

void AppendChild(const FamilyBase& f, const std::vector<std::string>& values, const Gauge& g,
                 std::string* out) {
  AppendSample(f.name(), LabelText(f.label_names(), values), FormatValue(g.Value()), out);
}

// Buckets are cumulative and _count equals the +Inf bucket, both taken from one read of the
// bucket counters.
void AppendChild(const FamilyBase& f, const std::vector<std::string>& values, const Histogram& h,
                 std::string* out) {
  std::array<uint64_t, Histogram::kBuckets> counts = h.BucketCounts();
  uint64_t cumulative = 0;
  for (size_t i = 0; i < Histogram::kBuckets; ++i) {
    cumulative += counts[i];
    std::string le = i < Histogram::kBounds.size() ? FormatValue(Histogram::kBounds[i]) : "+Inf";
    AppendSample(f.name() + "_bucket", LabelText(f.label_names(), values, le),
                 std::to_string(cumulative), out);
  }
  std::string labels = LabelText(f.label_names(), values);
  AppendSample(f.name() + "_sum", labels, FormatValue(h.Sum()), out);
  AppendSample(f.name() + "_count", labels, std::to_string(cumulative), out);
}

// Gauges whose values are read at scrape time, one callback per series.
class CallbackFamily final : public FamilyBase {
 public:
  using FamilyBase::FamilyBase;

  void Add(uint64_t id, std::vector<std::string> values, std::function<double()> read) {
    std::lock_guard<std::mutex> lock(mu_);
    auto [it, inserted] = series_.try_emplace(std::move(values), id, std::move(read));
    if (!inserted) Misuse("gauge callback '" + name() + "' registered twice with same labels");
  }

  void Remove(uint64_t id) {
    std::lock_guard<std::mutex> lock(mu_);
    std::erase_if(series_, [id](const auto& entry) { return entry.second.first == id; });
  }

  void Render(std::string* out) const override {
    std::lock_guard<std::mutex> lock(mu_);
    if (series_.empty()) return;
    AppendHeader(*this, out);
    for (const auto& [values, entry] : series_) {
      AppendSample(name(), LabelText(label_names(), values), FormatValue(entry.second()), out);
    }
  }

 private:
  mutable std::mutex mu_;
  std::map<std::vector<std::string>, std::pair<uint64_t, std::function<double()>>> series_;
};

}  // namespace

// ---- Families --------------------------------------------------------------------------------

namespace metrics_internal {

FamilyBase::FamilyBase(std::string name, std::string help, MetricType type,
                       std::vector<std::string> label_names)
    : name_(std::move(name)),
      help_(std::move(help)),
      type_(type),
      label_names_(std::move(label_names)) {}

FamilyBase::~FamilyBase() = default;

void FamilyBase::CheckLabelCount(size_t count) const {
  if (count != label_names_.size()) {
    Misuse("metric '" + name_ + "' takes " + std::to_string(label_names_.size()) +
           " label values, got " + std::to_string(count));
  }
}

}  // namespace metrics_internal

template <typename M>
void MetricFamily<M>::Render(std::string* out) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (children_.empty()) return;
  AppendHeader(*this, out);
  for (const auto& [values, child] : children_) AppendChild(*this, values, *child, out);
}

template class MetricFamily<Counter>;
template class MetricFamily<Gauge>;
template class MetricFamily<Histogram>;

// ---- Registry --------------------------------------------------------------------------------

MetricsRegistry::MetricsRegistry() = default;
MetricsRegistry::~MetricsRegistry() = default;

MetricsRegistry& MetricsRegistry::Global() {
  static MetricsRegistry* const registry = new MetricsRegistry();  // never destroyed
  return *registry;
}

template <typename F>
F& MetricsRegistry::GetOrCreate(std::string name, std::string help, MetricType type,
                                std::vector<std::string> label_names) {
  CheckNames(name, type, label_names);
  std::lock_guard<std::mutex> lock(mu_);
  std::unique_ptr<FamilyBase>& family = families_[name];
  if (!family) {
    family = std::make_unique<F>(name, std::move(help), type, std::move(label_names));
  } else if (family->type() != type || family->label_names() != label_names) {
    Misuse("metric '" + name + "' registered again with another type or other label names");
  }
  return static_cast<F&>(*family);
}

CounterFamily& MetricsRegistry::Counter(std::string name, std::string help,
                                        std::vector<std::string> label_names) {
  return GetOrCreate<CounterFamily>(std::move(name), std::move(help), MetricType::kCounter,
                                    std::move(label_names));
}

GaugeFamily& MetricsRegistry::Gauge(std::string name, std::string help,
                                    std::vector<std::string> label_names) {
  return GetOrCreate<GaugeFamily>(std::move(name), std::move(help), MetricType::kGauge,
                                  std::move(label_names));
}

HistogramFamily& MetricsRegistry::Histogram(std::string name, std::string help,
                                            std::vector<std::string> label_names) {
  return GetOrCreate<HistogramFamily>(std::move(name), std::move(help), MetricType::kHistogram,
                                      std::move(label_names));
}

GaugeCallbackHandle MetricsRegistry::GaugeCallback(std::string name, std::string help,
                                                   MetricLabels labels,
                                                   std::function<double()> read) {
  std::vector<std::string> label_names, label_values;
  for (auto& [label, value] : labels) {
    label_names.push_back(std::move(label));
    label_values.push_back(std::move(value));
  }
  CallbackFamily& family =
      GetOrCreate<CallbackFamily>(name, std::move(help), MetricType::kGaugeCallback, label_names);
  uint64_t id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    id = next_callback_id_++;
  }
  family.Add(id, std::move(label_values), std::move(read));
  return GaugeCallbackHandle(this, std::move(name), id);
}

void MetricsRegistry::RemoveCallback(const std::string& family, uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = families_.find(family);
  if (it != families_.end()) static_cast<CallbackFamily&>(*it->second).Remove(id);
}

std::string MetricsRegistry::RenderPrometheus() const {
  std::string out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [name, family] : families_) family->Render(&out);
  return out;
}

GaugeCallbackHandle::GaugeCallbackHandle(GaugeCallbackHandle&& other) noexcept
    : registry_(std::exchange(other.registry_, nullptr)),
      family_(std::move(other.family_)),
      id_(other.id_) {}

GaugeCallbackHandle& GaugeCallbackHandle::operator=(GaugeCallbackHandle&& other) noexcept {
  if (this != &other) {
    Reset();
    registry_ = std::exchange(other.registry_, nullptr);
    family_ = std::move(other.family_);
    id_ = other.id_;
  }
  return *this;
}

void GaugeCallbackHandle::Reset() {
  if (registry_ != nullptr) registry_->RemoveCallback(family_, id_);
  registry_ = nullptr;
}

// ---- Configuration and the HTTP endpoint -----------------------------------------------------

void AddMetricsKeys(ConfigRegistry& registry, MetricsOptions* options) {
  registry.Add<std::string>("metrics.address", &options->address, "127.0.0.1",
                            "Address the Prometheus endpoint (/metrics) listens on",
                            [](const std::string& address) {
                              if (!address.empty()) return Status::Ok();
                              return Status(StatusCode::kConfigInvalid, "must not be empty");
                            });
  registry.Add<int64_t>("metrics.port", &options->port, -1,
                        "TCP port of the Prometheus endpoint: -1 none, 0 any free port",
                        CheckRange<int64_t>(-1, 65535));
}

struct MetricsServer::Impl {
  // Runs the accept loop on `thread` and returns once it runs (httplib's stop() does nothing
  // before that); false if the loop ended at once.
  bool Serve() {
    thread = std::thread([this] {
      server.listen_after_bind();
      exited = true;
    });
    while (!server.is_running() && !exited) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return !exited;
  }

  ~Impl() {
    if (!thread.joinable()) return;
    server.stop();
    thread.join();
  }

  httplib::Server server;
  std::thread thread;
  std::atomic<bool> exited{false};
  uint16_t port = 0;
};

namespace {

// httplib's default sets SO_REUSEPORT, which would let a second server share a port in use.
void ReuseAddressOnly(socket_t sock) {
  int yes = 1;
  setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
}

// Binds; returns the port bound, or an error naming address and port.
Result<uint16_t> Bind(httplib::Server& server, const std::string& address, uint16_t port) {
  errno = 0;
  int bound = port == 0 ? server.bind_to_any_port(address)
                        : (server.bind_to_port(address, port) ? port : -1);
  if (bound > 0) return static_cast<uint16_t>(bound);
  int err = errno;
  std::string reason = err == 0 ? "cannot bind" : std::strerror(err);
  return Status(err == EADDRINUSE ? StatusCode::kBusy : StatusCode::kUnavailable,
                "metrics endpoint " + address + ":" + std::to_string(port) + ": " + reason +
                    "; choose another metrics.address or metrics.port (0 = any free port, "
                    "-1 = no endpoint)");
}

}  // namespace

MetricsServer::MetricsServer(const MetricsRegistry& registry) : registry_(registry) {}

MetricsServer::~MetricsServer() { Stop(); }

Status MetricsServer::Start(const std::string& address, uint16_t port) {
  if (impl_) return Status(StatusCode::kBusy, "metrics server already started");
  auto impl = std::make_unique<Impl>();
  impl->server.new_task_queue = [] { return new httplib::ThreadPool(2); };
  impl->server.set_socket_options(ReuseAddressOnly);
  impl->server.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(registry_.RenderPrometheus(), "text/plain; version=0.0.4; charset=utf-8");
  });
  WEFT_ASSIGN_OR_RETURN(impl->port, Bind(impl->server, address, port));
  if (!impl->Serve()) {
    return Status(StatusCode::kUnavailable, "metrics endpoint " + address + ": listen failed");
  }
  impl_ = std::move(impl);
  return Status::Ok();
}

Status MetricsServer::Start(const MetricsOptions& options) {
  if (options.port < 0) return Status::Ok();
  return Start(options.address, static_cast<uint16_t>(options.port));
}

void MetricsServer::Stop() { impl_.reset(); }

uint16_t MetricsServer::port() const { return impl_ ? impl_->port : 0; }

}  // namespace weft
