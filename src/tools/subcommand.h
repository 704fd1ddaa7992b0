// How weftctl's subcommands plug into its command line (CLI11), and the exit codes they share.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace weft::tools {

// Exit codes common to every weftctl subcommand; each may add its own below kExitUsage.
constexpr int kExitOk = 0;
constexpr int kExitUsage = 2;

// A subcommand: its CLI11 app (options bound to state the subcommand owns) and what runs when
// the user chose it, returning the exit code.
struct Subcommand {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

}  // namespace weft::tools
