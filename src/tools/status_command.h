// `weftctl status`: the targets the MGS knows, with their health.
#pragma once

#include <CLI/CLI.hpp>

#include "tools/subcommand.h"

namespace weft::tools {

// Exit codes of `weftctl status`, besides kExitOk (every target UP) and kExitUsage.
constexpr int kExitTargetsDown = 1;  // at least one target is DOWN
constexpr int kExitUnreachable = 3;  // no answer from the MGS within --timeout

// Adds `status --mgs NID [--fsname F] [--timeout S]` to `app`.
Subcommand AddStatusCommand(CLI::App& app);

}  // namespace weft::tools
