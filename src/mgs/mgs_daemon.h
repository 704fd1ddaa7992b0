// The weft-mgs daemon: configuration, logging, the event loop, the server, metrics and a clean
// shutdown on SIGINT or SIGTERM.
#pragma once

namespace weft::mgs {

// Runs weft-mgs with its command line and returns its exit code: 0 after a clean shutdown, 1 when
// the server cannot start, 2 for a bad command line or configuration.
// REQUIRES: called from main, before the process starts any thread.
int RunMgsDaemon(int argc, const char* const* argv);

}  // namespace weft::mgs
