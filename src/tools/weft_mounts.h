// Finding the Weft mount a path is on, for the `weft` tool (docs/tools.md).
#pragma once

#include <string>

#include "common/status.h"

namespace weft::tools {

struct WeftMount {
  std::string mountpoint;  // e.g. /mnt/weft
  std::string source;      // MGSNID[,MGSNID...]:/FSNAME, as mounted
  std::string fsname;
};

// The Weft (fuse.weft) mount holding `path`, which must exist (or, if `parent_of_new`, whose
// parent directory must). kNotFound with a message naming the path if it is not on Weft.
Result<WeftMount> FindWeftMount(const std::string& path, bool parent_of_new = false);

// Parses "1048576", "64k", "1M", "4G" (powers of 1024). kInvalidArgument naming `what`.
Result<uint64_t> ParseSize(const std::string& text, const std::string& what);

// 1536 -> "1.5K", 1073741824 -> "1.0G": df -h style.
std::string HumanSize(uint64_t bytes);

}  // namespace weft::tools
