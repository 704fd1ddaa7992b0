// The text `weftctl status` prints: a header line and a table of targets.
#pragma once

#include <cstdint>
#include <string>

#include "mgs.pb.h"

namespace weft::tools {

// "3s ago", "4m 10s ago", "2h 5m ago", "3d 4h ago"; "never" for 0. `now_ms` and `then_ms` are
// Unix times in milliseconds; a time in the future (clock skew) reads "0s ago".
std::string FormatAge(int64_t now_ms, int64_t then_ms);

// The header line and one row per target, columns aligned:
//   fsname weft, generation 5, 3 targets (1 down), MGS 10.0.1.4:9880@tcp
//   NAME          TYPE  NID              STATE  LAST SEEN
//   weft-MDT0000  MDT   10.0.1.5:988@tcp UP     2s ago
std::string FormatStatus(const mgs::GetConfigReply& config, const std::string& mgs_nid,
                         int64_t now_ms);

}  // namespace weft::tools
