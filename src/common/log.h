// Logging: spdlog to stderr, where systemd's journal (or the terminal) picks it up.
//
// A daemon calls InitLogging once at start-up, after parsing its configuration; code everywhere
// else logs with spdlog::info(...), spdlog::warn(...) and so on.
//
// Thread-safety: InitLogging replaces spdlog's default logger, which spdlog does not allow while
// other threads log; call it before starting threads. Logging itself is thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace weft {

class ConfigRegistry;

struct LogOptions {
  std::string level;  // "log.level": trace, debug, info, warn, error or off
};

// Declares "log.level" (default "info", checked against the names above).
void AddLoggingKeys(ConfigRegistry& registry, LogOptions* options);

// Makes spdlog's default logger write to stderr lines like
//   [2024-05-01 12:00:00.123456] [info] [4711] [weft-mgs] target weft-OST0001 registered
// (local time to the microsecond, level, thread id, program) at `level` and above. An unknown
// level name is kConfigInvalid naming it, and leaves logging as it was.
Status InitLogging(std::string_view program, std::string_view level);

// Whether the `count`th occurrence of something that can repeat without end (refused
// requests from a hostile peer, notifications to a client that is gone) is logged: the first
// five, then every thousandth, so that it cannot flood the log.
inline bool ShouldLog(uint64_t count) { return count <= 5 || count % 1000 == 0; }

}  // namespace weft
