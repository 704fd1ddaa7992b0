// The configuration of weft-mgs: every key it reads, declared once with default and check
// (docs/mgs.md lists them).
#pragma once

#include <cstdint>
#include <string>

#include "common/config.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/nid.h"
#include "mgs/registry.h"

namespace weft::mgs {

struct MgsOptions {
  std::string fsname;                // mgs.fsname, required
  std::string data_dir;              // mgs.data_dir, required
  std::string listen;                // mgs.listen
  int64_t target_down_after_ms = 0;  // mgs.target_down_after_ms
  uint64_t default_stripe_size = 0;  // mgs.default_stripe_size
  int64_t default_stripe_count = 0;  // mgs.default_stripe_count
  int64_t loop_spin_us = 0;          // loop.spin_us
  LogOptions log;
  MetricsOptions metrics;
};

// Declares the mgs.* keys and the log.* and metrics.* keys weft-mgs uses, bound to `options`.
// REQUIRES: `options` outlives `registry`'s use.
void AddMgsKeys(ConfigRegistry& registry, MgsOptions* options);

// The NID the MGS serves on: mgs.listen with the default port filled in.
// REQUIRES: the options passed ConfigRegistry::Validate.
Nid ListenNid(const MgsOptions& options);

// The registry's options from the configuration. REQUIRES: as ListenNid.
Registry::Options RegistryOptions(const MgsOptions& options);

// Where the registry's RocksDB database lives inside mgs.data_dir.
std::string RegistryPath(const MgsOptions& options);

}  // namespace weft::mgs
