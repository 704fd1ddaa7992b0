// The command line of weft-fuse and mount.weft, and the mount options (-o) they take.
//
//   weft-fuse  [-f] [-d] [-o OPT[,OPT...]] SOURCE MOUNTPOINT
//   mount.weft SOURCE MOUNTPOINT [-f] [-s] [-n] [-v] [-o OPT[,OPT...]]   (as mount(8) runs it)
//
// Weft's own options are keys of a ConfigRegistry (attr_timeout=2.5, max_rpc_size=...), so
// --help lists them with their defaults, and a bad value is refused naming the option. The
// generic mount options that the kernel applies to the mount (ro, nosuid, nodev, noexec,
// noatime, ...) are passed to the FUSE mount; the ones that only mean something to mount(8)
// or fstab (defaults, _netdev, auto, noauto, user, nofail, x-*, comment=) are accepted and
// ignored. Anything else is an error naming the option.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "client/options.h"
#include "common/config.h"
#include "common/metrics.h"
#include "common/status.h"

namespace weft::fuse {

struct FuseOptions {
  std::string source;      // MGSNID[,MGSNID...]:/FSNAME
  std::string mountpoint;  // absolute, as given
  bool foreground = false;  // -f: do not detach; log to stderr
  bool debug = false;       // -d: libfuse's request trace, and log.level debug

  // Weft's -o keys.
  double attr_timeout = 1.0;   // seconds the kernel caches attributes
  double entry_timeout = 1.0;  // seconds the kernel caches a name's inode
  int64_t threads = 16;        // most FUSE worker threads
  bool allow_other = false;    // other users may use the mount (default: on as root)
  // The kernel checks mode bits too, before the MDS does: the only check on a path walked
  // through names the kernel has cached (default on).
  bool default_permissions = true;
  // Name leases from the MDS (docs/client.md, "Name leases"): names are cached for as long as
  // the directory's lease lasts, dropped when the MDS says another client removed them. Only
  // with default_permissions (without it the kernel would reach cached names unchecked).
  bool leases = true;
  std::string log_level = "info";
  client::ClientOptions client;  // max_rpc_size, max_rpcs_in_flight, call_timeout_ms
  MetricsOptions metrics;        // metrics_address, metrics_port (-1: no endpoint)

  // Options for the kernel's mount, passed to libfuse ("ro", "nosuid", ...).
  std::vector<std::string> kernel_options;
};

// What the parse says to do.
enum class FuseParseOutcome { kRun, kHelpShown };

// Parses argv of weft-fuse (or, if `mount_helper`, of mount.weft). Usage errors are
// kInvalidArgument with a message naming the argument or option and pointing at --help.
Result<FuseParseOutcome> ParseFuseCommandLine(int argc, const char* const* argv,
                                              bool mount_helper, FuseOptions* options);

// The arguments for fuse_session_new: argv[0], -o fsname=SOURCE,subtype=weft,..., -d.
std::vector<std::string> FuseSessionArgs(const FuseOptions& options);

}  // namespace weft::fuse
