// The management service as clients and targets see it: its methods and their messages.
// Everything else of the MGS is private to src/mgs.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/rpc_service.h"
#include "common/status.h"
#include "mgs.pb.h"

namespace weft::mgs {

// The port an MGS listens on when its NID gives none.
constexpr uint16_t kDefaultMgsPort = 9880;

#define WEFT_MGS_METHODS(M)                                                     \
  M(1, RegisterTarget, RegisterTargetRequest, RegisterTargetReply, kMutating)   \
  M(2, GetConfig, GetConfigRequest, GetConfigReply, kReadOnly)                  \
  M(3, Heartbeat, HeartbeatRequest, HeartbeatReply, kReadOnly)
WEFT_RPC_SERVICE(MgsService, 1, "mgs", WEFT_MGS_METHODS);

// "weft-OST0003": the name of a target, with its index in hex as Lustre writes it.
std::string TargetName(const std::string& fsname, TargetType type, uint32_t index);

// The highest target index (Lustre's limit: four hex digits in the name).
constexpr uint32_t kMaxTargetIndex = 0xFFFF;

// "MDT", "OST"; "UNSPECIFIED" for anything else.
std::string_view TargetTypeName(TargetType type);
// "UP", "DOWN"; "UNSPECIFIED" for anything else.
std::string_view TargetStateName(TargetState state);

// Ok if `fsname` is a valid file system name: 1 to 8 characters of [a-z0-9_], as Lustre
// allows. Otherwise kInvalidArgument naming `field` (e.g. "fsname", "mgs.fsname").
Status CheckFsname(std::string_view fsname, std::string_view field = "fsname");

}  // namespace weft::mgs
