// `weftctl mkfs --mdt`: formats a metadata target (docs/tools.md).
#pragma once

#include <CLI/CLI.hpp>

#include "tools/subcommand.h"

namespace weft::tools {

// Exit code of `weftctl mkfs` when formatting fails (an existing target without --reformat,
// an I/O error), besides kExitOk and kExitUsage.
constexpr int kExitMkfsFailed = 1;

// Adds `mkfs --mdt --fsname F --index N --mgs NID PATH [--reformat]` to `app`.
Subcommand AddMkfsCommand(CLI::App& app);

}  // namespace weft::tools
