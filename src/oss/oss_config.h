// The configuration of weft-oss: every key it reads, declared once with default and check
// (docs/oss.md lists them). The targets come from --target PATH (repeatable), not from keys.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/nid.h"

namespace weft::oss {

struct OssOptions {
  std::vector<std::string> targets;   // --target PATH ...
  std::string listen;                 // oss.listen
  int64_t heartbeat_interval_ms = 0;  // oss.heartbeat_interval_ms
  int64_t max_open_objects = 0;       // oss.max_open_objects
  bool direct_io = true;              // oss.direct_io
  bool stream_writes = true;          // oss.stream_writes
  int64_t loop_spin_us = 0;           // loop.spin_us
  LogOptions log;
  MetricsOptions metrics;
};

// Declares the oss.* keys and the log.* and metrics.* keys weft-oss uses, bound to `options`.
void AddOssKeys(ConfigRegistry& registry, OssOptions* options);

// Removes every `--target PATH` and `--target=PATH` from the command line into `targets`;
// returns the rest (argv[0] first). kConfigInvalid for a --target without a path.
Result<std::vector<std::string>> TakeTargets(int argc, const char* const* argv,
                                             std::vector<std::string>* targets);

// The NID the OSS serves on: oss.listen with the default port filled in.
Nid ListenNid(const OssOptions& options);

}  // namespace weft::oss
