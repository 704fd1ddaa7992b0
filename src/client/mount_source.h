// A mount source, `MGSNID[,MGSNID...]:/FSNAME` (e.g. `10.0.1.4@tcp:/weft`): where the
// management servers are and which file system to mount.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/nid.h"
#include "common/status.h"

namespace weft::client {

struct MountSource {
  std::vector<Nid> mgs;  // in the order given; ports filled in with the MGS default
  std::string fsname;
};

// Parses a mount source. Errors (kInvalidArgument, or kBadNid for an address) name the part
// that is wrong: no ":/", an empty or invalid fsname, an empty or malformed NID.
Result<MountSource> ParseMountSource(std::string_view text);

}  // namespace weft::client
