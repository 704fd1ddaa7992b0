#include "mgs/request_checks.h"

#include "mgs/mgs_service.h"

namespace weft::mgs {
namespace {

Status Invalid(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message));
}

Status CheckSpace(const TargetSpace& space) {
  if (space.bytes_free() > space.bytes_total()) {
    return Invalid("space.bytes_free " + std::to_string(space.bytes_free()) +
                   " exceeds space.bytes_total " + std::to_string(space.bytes_total()));
  }
  if (space.inodes_free() > space.inodes_total()) {
    return Invalid("space.inodes_free " + std::to_string(space.inodes_free()) +
                   " exceeds space.inodes_total " + std::to_string(space.inodes_total()));
  }
  return Status::Ok();
}

}  // namespace

Status CheckTargetType(TargetType type) {
  if (type == MDT || type == OST) return Status::Ok();
  return Invalid("type " + std::to_string(static_cast<int>(type)) + " is not MDT or OST");
}

Status CheckTargetIndex(uint32_t index) {
  if (index <= kMaxTargetIndex) return Status::Ok();
  return Invalid("index " + std::to_string(index) + " exceeds the maximum of " +
                 std::to_string(kMaxTargetIndex));
}

Status CheckUuid(const std::string& uuid) {
  if (uuid.empty()) return Invalid("uuid is empty");
  if (uuid.size() > kMaxUuidLength) {
    return Invalid("uuid is " + std::to_string(uuid.size()) + " characters long, more than " +
                   std::to_string(kMaxUuidLength));
  }
  for (char c : uuid) {
    if (c <= ' ' || c > '~') return Invalid("uuid has a space or non-printable character");
  }
  return Status::Ok();
}

Result<Nid> CheckTargetNid(const std::string& text) {
  Result<Nid> nid = ParseNid(text);
  if (!nid.ok()) return Invalid("nid " + nid.status().message());
  if (nid->port == 0) return Invalid("nid '" + text + "' has no port (expected HOST:PORT@NET)");
  return nid;
}

Status CheckRegisterTargetRequest(const RegisterTargetRequest& r) {
  WEFT_RETURN_IF_ERROR(CheckFsname(r.fsname()));
  WEFT_RETURN_IF_ERROR(CheckTargetType(r.type()));
  WEFT_RETURN_IF_ERROR(CheckTargetIndex(r.index()));
  WEFT_RETURN_IF_ERROR(CheckUuid(r.uuid()));
  return CheckTargetNid(r.nid()).status();
}

Status CheckHeartbeatRequest(const HeartbeatRequest& r) {
  WEFT_RETURN_IF_ERROR(CheckFsname(r.fsname()));
  WEFT_RETURN_IF_ERROR(CheckTargetType(r.type()));
  WEFT_RETURN_IF_ERROR(CheckTargetIndex(r.index()));
  WEFT_RETURN_IF_ERROR(CheckUuid(r.uuid()));
  return CheckSpace(r.space());
}

Status CheckGetConfigRequest(const GetConfigRequest& r) {
  return r.fsname().empty() ? Status::Ok() : CheckFsname(r.fsname());
}

}  // namespace weft::mgs
