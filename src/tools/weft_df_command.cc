#include "tools/weft_df_command.h"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "client/client.h"
#include "common/log.h"
#include "tools/weft_mounts.h"
#include "tools/weft_stripe_command.h"

namespace weft::tools {
namespace {

struct DfArgs {
  std::vector<std::string> paths;
  bool human = false;
  bool inodes = false;
};

// Every fuse.weft mount point, in mount order.
std::vector<std::string> AllWeftMounts() {
  std::vector<std::string> points;
  std::ifstream in("/proc/self/mounts");
  std::string source, point, type, rest;
  while (in >> source >> point >> type && std::getline(in, rest)) {
    if (type == "fuse.weft") points.push_back(point);
  }
  return points;
}

std::string Cell(uint64_t v, bool human, bool bytes) {
  if (human && bytes) return HumanSize(v);
  return std::to_string(bytes ? v / 1024 : v);  // inodes are always counted exactly
}

std::string Percent(uint64_t used, uint64_t total) {
  if (total == 0) return "-";
  uint64_t pct = (used * 100 + total - 1) / total;
  return std::to_string(pct) + "%";
}

// `known`: false for what a target does not report (an MDT's bytes from an MDS that sends
// none, an OST's inodes when its file system has none): printed as "-".
void PrintRow(const std::string& name, uint64_t total, uint64_t used, uint64_t avail,
              const std::string& where, const DfArgs& a, bool known = true) {
  char line[256];
  bool bytes = !a.inodes;
  auto cell = [&](uint64_t v) { return known ? Cell(v, a.human, bytes) : std::string("-"); };
  std::snprintf(line, sizeof line, "%-22s %12s %12s %12s %5s %s\n", name.c_str(),
                cell(total).c_str(), cell(used).c_str(), cell(avail).c_str(),
                known ? Percent(used, total).c_str() : "-", where.c_str());
  std::cout << line;
}

int DfOne(const WeftMount& mount, const DfArgs& a) {
  client::ClientOptions options;
  options.call_timeout = std::chrono::seconds(15);
  auto fs = client::Client::Mount(mount.source, options);
  if (!fs.ok()) {
    std::cerr << "weft df: " << mount.mountpoint << ": cannot reach its servers ("
              << mount.source << "): " << fs.status().message() << "\n";
    return kExitFailed;
  }
  auto targets = (*fs)->TargetStatfs(client::Credentials::OfProcess());
  if (!targets.ok()) {
    std::cerr << "weft df: " << mount.mountpoint << ": " << targets.status().message() << "\n";
    return kExitFailed;
  }
  char header[256];
  std::snprintf(header, sizeof header, "%-22s %12s %12s %12s %5s %s\n", "UUID",
                a.inodes ? "Inodes" : (a.human ? "bytes" : "1K-blocks"),
                a.inodes ? "IUsed" : "Used", a.inodes ? "IFree" : "Available",
                a.inodes ? "IUse%" : "Use%", "Mounted on");
  std::cout << header;
  uint64_t sum_total = 0, sum_used = 0, sum_avail = 0;
  int rc = kExitOk;
  for (const client::TargetStats& t : *targets) {
    std::string where = mount.mountpoint + "[" + (t.is_mdt ? "MDT:" : "OST:") +
                        std::to_string(t.index) + "]";
    std::string name = t.name + "_UUID";
    if (!t.up) {
      std::cout << name << " : inactive device (DOWN, or not answering)\n";
      rc = kExitFailed;
      continue;
    }
    uint64_t total = a.inodes ? t.inodes_total : t.bytes_total;
    uint64_t avail = a.inodes ? t.inodes_free : t.bytes_avail;
    uint64_t free = a.inodes ? t.inodes_free : t.bytes_free;
    uint64_t used = total > free ? total - free : 0;
    // An MDS that does not report its disk's bytes shows "-" for them.
    PrintRow(name, total, used, avail, where, a, !(t.is_mdt && !a.inodes && t.bytes_total == 0));
    // Bytes are the OSTs' sum, inodes the MDTs' (as lfs df adds them).
    if (a.inodes ? t.is_mdt : !t.is_mdt) {
      sum_total += total;
      sum_used += used;
      sum_avail += avail;
    }
  }
  std::cout << "\n";
  PrintRow("filesystem_summary:", sum_total, sum_used, sum_avail, mount.mountpoint, a);
  std::cout << "\n";
  (*fs)->Unmount();
  return rc;
}

int RunDf(const DfArgs& a) {
  InitLogging("weft", "error").IgnoreError();
  std::vector<std::string> paths = a.paths;
  if (paths.empty()) paths = AllWeftMounts();
  if (paths.empty()) {
    std::cerr << "weft df: no Weft file system is mounted\n";
    return kExitFailed;
  }
  int rc = kExitOk;
  for (const std::string& p : paths) {
    Result<WeftMount> mount = FindWeftMount(p);
    if (!mount.ok()) {
      std::cerr << "weft df: " << mount.status().message() << "\n";
      rc = kExitFailed;
      continue;
    }
    if (int r = DfOne(*mount, a); r != kExitOk) rc = r;
  }
  return rc;
}

}  // namespace

Subcommand AddDfCommand(CLI::App& app) {
  auto args = std::make_shared<DfArgs>();
  CLI::App* sub = app.add_subcommand(
      "df", "Space and inodes of each MDT and OST of Weft mounts, with the file system's totals");
  sub->set_help_flag("--help", "Print this help message and exit");  // -h is df's own
  sub->add_option("paths", args->paths, "Paths on Weft mounts (default: every Weft mount)");
  sub->add_flag("-h,--human-readable", args->human, "Sizes in K, M, G, T");
  sub->add_flag("-i,--inodes", args->inodes, "Inodes instead of bytes");
  return Subcommand{sub, [args] { return RunDf(*args); }};
}

}  // namespace weft::tools
