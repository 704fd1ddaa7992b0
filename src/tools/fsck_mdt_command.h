// `weftctl fsck --mdt PATH [--repair]`: the offline check of a metadata target (docs/tools.md).
#pragma once

#include <CLI/CLI.hpp>

#include "tools/subcommand.h"

namespace weft::tools {

// Exit codes of `weftctl fsck`, besides kExitOk (clean) and kExitUsage.
constexpr int kExitFsckProblems = 1;   // problems found and not (all) repaired
constexpr int kExitFsckCannot = 3;     // not checked: not an MDT, in use by weft-mds, I/O error
constexpr int kExitFsckRepaired = 4;   // problems found, all repaired; the MDT is now clean

// Adds `fsck --mdt PATH [--repair]` to `app`.
Subcommand AddFsckCommand(CLI::App& app);

}  // namespace weft::tools
