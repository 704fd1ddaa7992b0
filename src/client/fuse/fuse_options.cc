#include "client/fuse/fuse_options.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <chrono>
#include <iostream>
#include <string_view>

#include "common/log.h"

namespace weft::fuse {
namespace {

// Options the kernel applies to the mount; libfuse turns them into mount flags.
constexpr std::array<std::string_view, 21> kKernelOptions = {
    "ro",       "rw",         "suid",        "nosuid",        "dev",        "nodev",
    "exec",     "noexec",     "async",       "sync",          "dirsync",    "atime",
    "noatime",  "diratime",   "nodiratime",  "relatime",      "norelatime", "strictatime",
    "lazytime", "nolazytime", "auto_unmount"};

// Options that only mean something to mount(8), fstab or systemd.
constexpr std::array<std::string_view, 11> kIgnoredOptions = {
    "defaults", "_netdev", "netdev", "auto", "noauto", "user",
    "nouser",   "users",   "owner",  "group", "nofail"};

// Weft's own -o keys, bound to the fields they set (the client's limits through raw fields
// that Finish() checks and converts).
struct Keys {
  uint64_t max_rpc_size = 0;
  uint64_t max_rpcs_in_flight = 0;
  uint64_t write_behind = 0;
  int64_t call_timeout_ms = 0;
  int64_t attempt_timeout_ms = 0;
  int64_t loop_spin_us = 0;
  ConfigRegistry registry;

  explicit Keys(FuseOptions* o) {
    client::ClientOptions d;
    registry.Add<double>("attr_timeout", &o->attr_timeout, 1.0,
                         "Seconds the kernel caches a file's attributes", CheckRange(0.0, 3600.0));
    registry.Add<double>("entry_timeout", &o->entry_timeout, 1.0,
                         "Seconds the kernel caches a name's inode", CheckRange(0.0, 3600.0));
    registry.Add<int64_t>("threads", &o->threads, 16, "Most FUSE worker threads",
                          CheckRange<int64_t>(1, 1024));
    registry.Add<bool>("allow_other", &o->allow_other, geteuid() == 0,
                       "Other users may use the mount (the MDS checks their permissions); "
                       "default on when mounted by root");
    registry.Add<bool>("default_permissions", &o->default_permissions, true,
                       "The kernel checks mode bits as well as the MDS. With false only the MDS "
                       "checks, and a name the kernel cached from another user's lookup (for "
                       "entry_timeout) is reached without search permission on its directory");
    registry.Add<bool>("leases", &o->leases, true,
                       "Ask the MDS for name leases and cache looked-up names while they last "
                       "(the MDS's mds.lease_ms), not only entry_timeout; each name another "
                       "client removes or replaces is dropped when the MDS says so. Needs "
                       "default_permissions");
    registry.Add<std::string>("log_level", &o->log_level, "info",
                              "Lowest level logged: trace, debug, info, warn, error or off",
                              CheckOneOf({"trace", "debug", "info", "warn", "error", "off"}));
    registry.Add<int64_t>("metrics_port", &o->metrics.port, -1,
                          "TCP port of this mount's Prometheus endpoint (/metrics): -1 none, "
                          "0 any free port",
                          CheckRange<int64_t>(-1, 65535));
    registry.Add<std::string>("metrics_address", &o->metrics.address, "127.0.0.1",
                              "Address the Prometheus endpoint listens on",
                              [](const std::string& address) {
                                if (!address.empty()) return Status::Ok();
                                return Status(StatusCode::kConfigInvalid, "must not be empty");
                              });
    registry.Add<uint64_t>("max_rpc_size", &max_rpc_size, d.max_rpc_size,
                           "Largest data payload of one OSS read or write RPC (bytes)",
                           CheckRange<uint64_t>(4096, uint64_t{64} << 20));
    registry.Add<uint64_t>("max_rpcs_in_flight", &max_rpcs_in_flight, d.max_rpcs_in_flight,
                           "Data RPCs in flight to one OST at a time",
                           CheckRange<uint64_t>(1, 256));
    registry.Add<uint64_t>("write_behind", &write_behind, d.write_behind,
                           "Writes a file may have in flight after write(2) returned (gathered "
                           "small writes, writes of max_rpc_size or more; 0: none)",
                           CheckRange<uint64_t>(0, 256));
    registry.Add<int64_t>("call_timeout_ms", &call_timeout_ms, d.call_timeout.count(),
                          "How long a call waits for a server that is down before it fails",
                          CheckRange<int64_t>(100, 86'400'000));
    registry.Add<int64_t>("attempt_timeout_ms", &attempt_timeout_ms, d.attempt_timeout.count(),
                          "No reply within this long: the request is sent again",
                          CheckRange<int64_t>(10, 3'600'000));
    registry.Add<int64_t>("loop_spin_us", &loop_spin_us, d.loop_spin.count(),
                          "Microseconds the client's idle event loop polls before it blocks "
                          "(0: block at once)",
                          CheckRange<int64_t>(0, 100'000));
  }

  void Finish(FuseOptions* o) const {
    o->client.max_rpc_size = max_rpc_size;
    o->client.max_rpcs_in_flight = max_rpcs_in_flight;
    o->client.write_behind = write_behind;
    o->client.call_timeout = std::chrono::milliseconds(call_timeout_ms);
    o->client.attempt_timeout = std::chrono::milliseconds(attempt_timeout_ms);
    o->client.loop_spin = std::chrono::microseconds(loop_spin_us);
    // The kernel keeps what a getattr returns for attr_timeout: a directory's attributes from
    // this mount's own change to it are as good for as long (ClientOptions::fresh_dir_attrs).
    o->client.fresh_dir_attrs =
        std::chrono::milliseconds(static_cast<int64_t>(o->attr_timeout * 1000));
    // Without default_permissions only the MDS checks a path's search permission, at lookup:
    // names cached longer than entry_timeout would be reached past a chmod for longer.
    o->client.name_leases = o->leases && o->default_permissions;
  }
};

template <size_t N>
bool Contains(const std::array<std::string_view, N>& list, std::string_view s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

std::string HelpHint(bool mount_helper) {
  return std::string(" (run '") + (mount_helper ? "mount.weft" : "weft-fuse") +
         " --help' for the options)";
}

// One -o list: "ro,attr_timeout=2,_netdev".
Status ApplyList(const std::string& list, bool sloppy, bool mount_helper, Keys& keys,
                 FuseOptions* o) {
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    std::string item = list.substr(start, comma - start);
    start = comma + 1;
    if (item.empty()) continue;
    size_t eq = item.find('=');
    std::string name = item.substr(0, eq);
    if (Contains(kIgnoredOptions, name) || name.starts_with("x-") || name == "comment") continue;
    if (Contains(kKernelOptions, name) && eq == std::string::npos) {
      o->kernel_options.push_back(name);
      continue;
    }
    if (eq == std::string::npos) {
      // A bare key is a boolean switched on ("allow_other").
      Status st = keys.registry.Set(name, "true");
      if (st.ok()) continue;
      if (st.code() == StatusCode::kConfigUnknownKey && sloppy) continue;
      if (st.code() == StatusCode::kConfigUnknownKey) {
        return Status(StatusCode::kInvalidArgument,
                      "unknown mount option '" + name + "'" + HelpHint(mount_helper));
      }
      return Status(StatusCode::kInvalidArgument,
                    "mount option '" + name + "' needs a value (" + name + "=VALUE)" +
                        HelpHint(mount_helper));
    }
    Status st = keys.registry.Set(name, item.substr(eq + 1));
    if (st.ok()) continue;
    if (st.code() == StatusCode::kConfigUnknownKey) {
      if (sloppy) continue;
      return Status(StatusCode::kInvalidArgument,
                    "unknown mount option '" + name + "'" + HelpHint(mount_helper));
    }
    return Status(StatusCode::kInvalidArgument,
                  "mount option " + st.message() + HelpHint(mount_helper));
  }
  return Status::Ok();
}

// libfuse splits -o values on commas; a backslash escapes one.
std::string EscapeOptionValue(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == ',' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

}  // namespace

Result<FuseParseOutcome> ParseFuseCommandLine(int argc, const char* const* argv,
                                              bool mount_helper, FuseOptions* options) {
  Keys keys(options);
  const char* program = mount_helper ? "mount.weft" : "weft-fuse";
  CLI::App app{mount_helper
                   ? "Mounts a Weft file system (run by mount(8) for `mount -t weft` and fstab "
                     "lines of type weft); the FUSE client stays in the background."
                   : "The Weft FUSE client: mounts a Weft file system at MOUNTPOINT and serves "
                     "it until unmounted or sent SIGTERM.",
               program};
  app.add_option("source", options->source, "MGSNID[,MGSNID...]:/FSNAME, e.g. 10.0.1.4@tcp:/weft")
      ->required();
  app.add_option("mountpoint", options->mountpoint, "An existing directory")->required();
  std::vector<std::string> lists;
  app.add_option("-o", lists, "Mount options, comma-separated (listed below)")
      ->type_name("OPT[,OPT...]")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_flag("-f,--foreground", options->foreground, "Stay in the foreground; log to stderr");
  app.add_flag("-d,--debug", options->debug,
               "Trace every FUSE request (implies -f and log_level=debug)");
  bool sloppy = false;
  bool fake = false;
  bool verbose = false;
  if (mount_helper) {
    app.add_flag("-s", sloppy, "Ignore mount options this helper does not know");
    app.add_flag("-n", fake, "Do not write /etc/mtab (there is none to write; accepted)");
    app.add_flag("-v", verbose, "Verbose (accepted)");
  }
  app.footer(
      "Mount options (-o KEY=VALUE, a bare KEY switches a boolean on):\n" +
      keys.registry.Describe() +
      "Also passed to the kernel's mount: ro, rw, nosuid, nodev, noexec, noatime, relatime and\n"
      "the other generic flags, auto_unmount. Ignored (they are for\n"
      "mount(8) and fstab): defaults, _netdev, auto, noauto, user, nouser, users, nofail, x-*.\n");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help() << std::flush;
    return FuseParseOutcome::kHelpShown;
  } catch (const CLI::ParseError& e) {
    return Status(StatusCode::kInvalidArgument, std::string(e.what()) + HelpHint(mount_helper));
  }
  for (const std::string& list : lists) {
    WEFT_RETURN_IF_ERROR(ApplyList(list, sloppy, mount_helper, keys, options));
  }
  if (Status st = keys.registry.Validate(); !st.ok()) {
    return Status(StatusCode::kInvalidArgument,
                  "mount option " + st.message() + HelpHint(mount_helper));
  }
  keys.Finish(options);
  if (options->debug) {
    options->foreground = true;
    options->log_level = "debug";
  }
  if (options->mountpoint.empty() || options->mountpoint[0] != '/') {
    char cwd[4096];
    if (getcwd(cwd, sizeof cwd) == nullptr) {
      return Status(StatusCode::kInvalidArgument, "cannot resolve mount point " +
                                                      options->mountpoint + ": getcwd failed");
    }
    options->mountpoint = std::string(cwd) + "/" + options->mountpoint;
  }
  return FuseParseOutcome::kRun;
}

std::vector<std::string> FuseSessionArgs(const FuseOptions& options) {
  std::string o = "fsname=" + EscapeOptionValue(options.source) + ",subtype=weft";
  if (options.allow_other) o += ",allow_other";
  if (options.default_permissions) o += ",default_permissions";
  for (const std::string& k : options.kernel_options) o += "," + k;
  std::vector<std::string> args = {"weft-fuse", "-o", o};
  if (options.debug) args.push_back("-d");
  return args;
}

}  // namespace weft::fuse
