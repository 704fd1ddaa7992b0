#include "client/mount_source.h"

#include "mgs/mgs_service.h"

namespace weft::client {
namespace {

// Ok if `fsname` is 1 to 8 characters of [a-z0-9_] (the MGS's rule, mgs.md "Names").
Status CheckFsname(std::string_view fsname) {
  if (fsname.empty() || fsname.size() > 8) {
    return Status(StatusCode::kInvalidArgument,
                  "file system name '" + std::string(fsname) + "' must be 1 to 8 characters");
  }
  for (char c : fsname) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) {
      return Status(StatusCode::kInvalidArgument,
                    "file system name '" + std::string(fsname) + "' may hold only a-z, 0-9 and _");
    }
  }
  return Status::Ok();
}

}  // namespace

Result<MountSource> ParseMountSource(std::string_view text) {
  size_t sep = text.rfind(":/");
  if (sep == std::string_view::npos) {
    return Status(StatusCode::kInvalidArgument,
                  "mount source '" + std::string(text) +
                      "' has no ':/FSNAME'; write MGSNID[,MGSNID...]:/FSNAME, e.g. "
                      "10.0.1.4@tcp:/weft");
  }
  MountSource source;
  source.fsname = std::string(text.substr(sep + 2));
  WEFT_RETURN_IF_ERROR(CheckFsname(source.fsname));
  std::string_view nids = text.substr(0, sep);
  if (nids.empty()) {
    return Status(StatusCode::kInvalidArgument,
                  "mount source '" + std::string(text) + "' names no MGS before ':/'");
  }
  while (true) {
    size_t comma = nids.find(',');
    std::string_view one = nids.substr(0, comma);
    if (one.empty()) {
      return Status(StatusCode::kBadNid,
                    "mount source '" + std::string(text) + "' has an empty MGS NID");
    }
    Result<Nid> nid = ParseNid(one);
    if (!nid.ok()) return nid.status().WithContext("MGS NID '" + std::string(one) + "'");
    source.mgs.push_back(nid->WithDefaultPort(mgs::kDefaultMgsPort));
    if (comma == std::string_view::npos) break;
    nids.remove_prefix(comma + 1);
  }
  return source;
}

}  // namespace weft::client
