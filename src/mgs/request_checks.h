// Checks of the fields of the MGS's requests, before the registry acts on them. Every failure
// is kInvalidArgument with a message that names the field and says what is allowed.
#pragma once

#include <string>

#include "common/nid.h"
#include "common/status.h"
#include "mgs.pb.h"

namespace weft::mgs {

// The longest target uuid the MGS accepts (Lustre's is 36 characters plus a little room).
constexpr size_t kMaxUuidLength = 64;

Status CheckTargetType(TargetType type);
Status CheckTargetIndex(uint32_t index);
Status CheckUuid(const std::string& uuid);
// The target's NID, parsed; it must name a port.
Result<Nid> CheckTargetNid(const std::string& nid);

Status CheckRegisterTargetRequest(const RegisterTargetRequest& request);
Status CheckHeartbeatRequest(const HeartbeatRequest& request);
Status CheckGetConfigRequest(const GetConfigRequest& request);

}  // namespace weft::mgs
