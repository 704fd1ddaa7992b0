// The MGS's Prometheus metrics: targets by type and state, the config generation and
// registrations served.
//
// Threading: Update on the registry's loop thread; the metrics themselves are atomics, read by
// the scraping thread.
#pragma once

#include "common/metrics.h"
#include "mgs/registry.h"

namespace weft::mgs {

class MgsMetrics {
 public:
  // REQUIRES: `metrics` outlives this object.
  explicit MgsMetrics(MetricsRegistry& metrics);

  // Sets weft_mgs_targets{type,state} and weft_mgs_config_generation from `registry`.
  void Update(const Registry& registry);
  // weft_mgs_registrations_total, counted by the service.
  Counter& registrations() { return registrations_; }

 private:
  GaugeFamily& targets_;
  Gauge& generation_;
  Counter& registrations_;
};

}  // namespace weft::mgs
