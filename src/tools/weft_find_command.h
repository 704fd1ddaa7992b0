// `weft find`: files under a directory of a Weft mount, by name, type, size, stripe count and
// OST (docs/tools.md).
#pragma once

#include <CLI/CLI.hpp>

#include "tools/subcommand.h"

namespace weft::tools {

Subcommand AddFindCommand(CLI::App& app);

}  // namespace weft::tools
