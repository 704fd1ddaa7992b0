#include "mgs/mgs_service.h"

#include <cstdio>

namespace weft::mgs {

std::string_view TargetTypeName(TargetType type) {
  switch (type) {
    case MDT:
      return "MDT";
    case OST:
      return "OST";
    default:
      return "UNSPECIFIED";
  }
}

std::string_view TargetStateName(TargetState state) {
  switch (state) {
    case UP:
      return "UP";
    case DOWN:
      return "DOWN";
    default:
      return "UNSPECIFIED";
  }
}

std::string TargetName(const std::string& fsname, TargetType type, uint32_t index) {
  char hex[16];
  std::snprintf(hex, sizeof(hex), "%04x", index);
  return fsname + "-" + std::string(TargetTypeName(type)) + hex;
}

Status CheckFsname(std::string_view fsname, std::string_view field) {
  bool ok = !fsname.empty() && fsname.size() <= 8;
  for (char c : fsname) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
  }
  if (ok) return Status::Ok();
  return Status(StatusCode::kInvalidArgument,
                std::string(field) + " '" + std::string(fsname) +
                    "' is not a file system name: 1 to 8 characters of a-z, 0-9 and _");
}

}  // namespace weft::mgs
