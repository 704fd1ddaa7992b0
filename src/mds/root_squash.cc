#include "mds/root_squash.h"

#include <algorithm>

namespace weft::mds {

Result<SquashMode> ParseSquashMode(std::string_view text) {
  if (text == "none") return SquashMode::kNone;
  if (text == "root_only") return SquashMode::kRootOnly;
  if (text == "all") return SquashMode::kAll;
  return Status(StatusCode::kInvalidArgument,
                "root squash mode '" + std::string(text) + "': expected none, root_only or all");
}

void ApplyRootSquash(const RootSquash& squash, std::string_view peer_nid, Credentials* cred) {
  if (squash.mode == SquashMode::kNone) return;
  if (squash.mode == SquashMode::kRootOnly && cred->uid() != 0) return;
  const auto& exempt = squash.exempt_nids;
  if (std::find(exempt.begin(), exempt.end(), peer_nid) != exempt.end()) return;
  cred->set_uid(squash.squash_uid);
  cred->set_gid(squash.squash_gid);
  cred->clear_groups();
}

}  // namespace weft::mds
