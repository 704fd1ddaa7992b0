// The weft-mds daemon: configuration, the target's label and store, the RPC server, the link
// to the MGS, metrics and a clean shutdown on SIGINT or SIGTERM.
#pragma once

namespace weft::mds {

// Runs weft-mds with its command line and returns its exit code: 0 after a clean shutdown,
// 1 when the server cannot start (a target that is not a formatted MDT, an MGS refusing the
// registration, a busy port), 2 for a bad command line or configuration.
// REQUIRES: called from main, before the process starts any thread.
int RunMdsDaemon(int argc, const char* const* argv);

}  // namespace weft::mds
