// `weft df`: size, used and available bytes (or inodes) of each MDT and OST, and totals
// (docs/tools.md).
#pragma once

#include <CLI/CLI.hpp>

#include "tools/subcommand.h"

namespace weft::tools {

Subcommand AddDfCommand(CLI::App& app);

}  // namespace weft::tools
