// `weft getstripe` and `weft setstripe`: layouts through the "weft.layout" extended attribute of
// a mounted path (docs/tools.md).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "common/status.h"
#include "mds.pb.h"
#include "tools/subcommand.h"

namespace weft::tools {

// Exit code of the `weft` tool when an operation failed (usage errors are kExitUsage).
constexpr int kExitFailed = 1;

// The layout of a mounted path, read from its weft.layout attribute.
Result<mds::LayoutReply> ReadLayout(const std::string& path);

Subcommand AddGetstripeCommand(CLI::App& app);
Subcommand AddSetstripeCommand(CLI::App& app);

}  // namespace weft::tools
