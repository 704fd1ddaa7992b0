#include "common/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <array>
#include <memory>
#include <optional>
#include <utility>

#include "common/config.h"

namespace weft {
namespace {

constexpr std::array<std::pair<std::string_view, spdlog::level::level_enum>, 6> kLevels = {{
    {"trace", spdlog::level::trace},
    {"debug", spdlog::level::debug},
    {"info", spdlog::level::info},
    {"warn", spdlog::level::warn},
    {"error", spdlog::level::err},
    {"off", spdlog::level::off},
}};

// spdlog::level::from_str maps unknown names to "off"; this refuses them instead.
std::optional<spdlog::level::level_enum> LevelFromName(std::string_view name) {
  for (const auto& [level_name, level] : kLevels) {
    if (level_name == name) return level;
  }
  return std::nullopt;
}

Status CheckLevel(const std::string& name) {
  if (LevelFromName(name)) return Status::Ok();
  return Status(StatusCode::kConfigInvalid,
                "unknown log level; use trace, debug, info, warn, error or off");
}

}  // namespace

void AddLoggingKeys(ConfigRegistry& registry, LogOptions* options) {
  registry.Add<std::string>("log.level", &options->level, "info",
                            "Lowest level logged: trace, debug, info, warn, error or off",
                            CheckLevel);
}

Status InitLogging(std::string_view program, std::string_view level) {
  std::optional<spdlog::level::level_enum> parsed = LevelFromName(level);
  if (!parsed) {
    return Status(StatusCode::kConfigInvalid, "unknown log level '" + std::string(level) +
                                                  "'; use trace, debug, info, warn, error or off");
  }
  try {
    auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    auto logger = std::make_shared<spdlog::logger>(std::string(program), std::move(sink));
    logger->set_pattern("[%Y-%m-%d %H:%M:%S.%f] [%l] [%t] [%n] %v");
    logger->set_level(*parsed);
    spdlog::set_default_logger(std::move(logger));
  } catch (const spdlog::spdlog_ex& e) {
    return Status(StatusCode::kInternal, std::string("setting up logging: ") + e.what());
  }
  return Status::Ok();
}

}  // namespace weft
