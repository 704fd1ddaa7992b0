// Root squash: how the MDS maps the credentials a client claims before any permission check.
//
// The RPC layer calls ApplyRootSquash with the peer's NID on every request's credentials
// before handing the request to the Mdt.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "mds.pb.h"

namespace weft::mds {

enum class SquashMode {
  kNone,      // credentials are used as sent
  kRootOnly,  // uid 0 becomes squash_uid/squash_gid (Lustre root_squash)
  kAll,       // every caller becomes squash_uid/squash_gid (all_squash)
};

struct RootSquash {
  SquashMode mode = SquashMode::kNone;
  uint32_t squash_uid = 65534;
  uint32_t squash_gid = 65534;
  std::vector<std::string> exempt_nids;  // exact NIDs ("10.0.0.5@tcp") never squashed
};

// Parses "none", "root_only", "all"; kInvalidArgument otherwise.
Result<SquashMode> ParseSquashMode(std::string_view text);

// Rewrites `cred` per `squash` for a request from `peer_nid`. A squashed caller loses its
// supplementary groups.
void ApplyRootSquash(const RootSquash& squash, std::string_view peer_nid, Credentials* cred);

}  // namespace weft::mds
