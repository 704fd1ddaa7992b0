#include "mgs/mgs_metrics.h"

#include <string>

#include "mgs/mgs_service.h"

namespace weft::mgs {

MgsMetrics::MgsMetrics(MetricsRegistry& metrics)
    : targets_(metrics.Gauge("weft_mgs_targets", "Registered targets by type and state",
                             {"type", "state"})),
      generation_(
          metrics
              .Gauge("weft_mgs_config_generation", "Generation of the configuration clients fetch")
              .With({})),
      registrations_(metrics
                         .Counter("weft_mgs_registrations_total",
                                  "Target registrations accepted (first and repeated)")
                         .With({})) {}

void MgsMetrics::Update(const Registry& registry) {
  auto counts = registry.CountTargets();
  for (TargetType type : {MDT, OST}) {
    for (TargetState state : {UP, DOWN}) {
      auto it = counts.find({type, state});
      double n = it == counts.end() ? 0 : static_cast<double>(it->second);
      targets_.With({std::string(TargetTypeName(type)), std::string(TargetStateName(state))})
          .Set(n);
    }
  }
  generation_.Set(static_cast<double>(registry.generation()));
}

}  // namespace weft::mgs
