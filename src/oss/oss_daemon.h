// The weft-oss daemon: its OSTs, the OssService, registration and heartbeats with the MGS,
// metrics, and a clean shutdown on SIGINT or SIGTERM.
#pragma once

namespace weft::oss {

// Runs weft-oss with its command line and returns its exit code: 0 after a clean shutdown, 1
// when the server cannot start or the MGS refuses a target, 2 for a bad command line,
// configuration or target directory.
// REQUIRES: called from main, before the process starts any thread.
int RunOssDaemon(int argc, const char* const* argv);

}  // namespace weft::oss
