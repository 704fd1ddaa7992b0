#include "mds/service/request_checks.h"

#include <string>
#include <string_view>

namespace weft::mds {
namespace {

constexpr size_t kMaxGroups = 65536;  // Linux NGROUPS_MAX
constexpr size_t kNameMax = 255;
constexpr size_t kSymlinkMax = 4095;
constexpr size_t kXattrValueMax = 64 * 1024;

Status Invalid(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message));
}

Status CheckCred(const Credentials& cred) {
  if (static_cast<size_t>(cred.groups_size()) <= kMaxGroups) return Status::Ok();
  return Invalid("credentials carry " + std::to_string(cred.groups_size()) +
                 " supplementary groups; at most 65536 allowed");
}

Status CheckIno(uint64_t ino, std::string_view field) {
  if (ino != 0) return Status::Ok();
  return Invalid(std::string(field) + " is 0, which is no inode");
}

Status CheckNameSize(const std::string& name, std::string_view field) {
  if (name.size() <= kNameMax) return Status::Ok();
  return Status(StatusCode::kNameTooLong, std::string(field) + " is " +
                                              std::to_string(name.size()) +
                                              " bytes; at most 255 allowed");
}

// The common shape: credentials and one inode.
template <typename R>
Status CheckInoRequest(const R& r) {
  WEFT_RETURN_IF_ERROR(CheckCred(r.cred()));
  return CheckIno(r.ino(), "ino");
}

// Credentials, a parent directory and a name in it.
template <typename R>
Status CheckEntryRequest(const R& r) {
  WEFT_RETURN_IF_ERROR(CheckCred(r.cred()));
  WEFT_RETURN_IF_ERROR(CheckIno(r.parent(), "parent"));
  return CheckNameSize(r.name(), "name");
}

}  // namespace

Status CheckRequest(const LookupRequest& r) { return CheckEntryRequest(r); }
Status CheckRequest(const GetattrRequest& r) { return CheckInoRequest(r); }
Status CheckRequest(const SetattrRequest& r) { return CheckInoRequest(r); }
Status CheckRequest(const CreateRequest& r) { return CheckEntryRequest(r); }
Status CheckRequest(const MknodRequest& r) { return CheckEntryRequest(r); }
Status CheckRequest(const MkdirRequest& r) { return CheckEntryRequest(r); }
Status CheckRequest(const UnlinkRequest& r) { return CheckEntryRequest(r); }

Status CheckRequest(const RenameRequest& r) {
  WEFT_RETURN_IF_ERROR(CheckCred(r.cred()));
  WEFT_RETURN_IF_ERROR(CheckIno(r.src_parent(), "src_parent"));
  WEFT_RETURN_IF_ERROR(CheckIno(r.dst_parent(), "dst_parent"));
  WEFT_RETURN_IF_ERROR(CheckNameSize(r.src_name(), "src_name"));
  return CheckNameSize(r.dst_name(), "dst_name");
}

Status CheckRequest(const LinkRequest& r) {
  WEFT_RETURN_IF_ERROR(CheckInoRequest(r));
  WEFT_RETURN_IF_ERROR(CheckIno(r.new_parent(), "new_parent"));
  return CheckNameSize(r.new_name(), "new_name");
}

Status CheckRequest(const SymlinkRequest& r) {
  WEFT_RETURN_IF_ERROR(CheckEntryRequest(r));
  if (r.target().size() <= kSymlinkMax) return Status::Ok();
  return Status(StatusCode::kNameTooLong, "symlink target is " +
                                              std::to_string(r.target().size()) +
                                              " bytes; at most 4095 allowed");
}

Status CheckRequest(const ReadlinkRequest& r) { return CheckInoRequest(r); }
Status CheckRequest(const ReaddirRequest& r) { return CheckInoRequest(r); }
Status CheckRequest(const OpenRequest& r) { return CheckInoRequest(r); }
Status CheckRequest(const CloseRequest& r) { return CheckInoRequest(r); }
Status CheckRequest(const SyncRequest& r) { return CheckInoRequest(r); }
Status CheckRequest(const StatfsRequest& r) { return CheckCred(r.cred()); }

Status CheckRequest(const GetxattrRequest& r) {
  WEFT_RETURN_IF_ERROR(CheckInoRequest(r));
  return CheckNameSize(r.name(), "xattr name");
}

Status CheckRequest(const SetxattrRequest& r) {
  WEFT_RETURN_IF_ERROR(CheckInoRequest(r));
  WEFT_RETURN_IF_ERROR(CheckNameSize(r.name(), "xattr name"));
  if (r.value().size() <= kXattrValueMax) return Status::Ok();
  return Status(StatusCode::kTooBig, "xattr value is " + std::to_string(r.value().size()) +
                                         " bytes; at most 65536 allowed");
}

Status CheckRequest(const ListxattrRequest& r) { return CheckInoRequest(r); }

Status CheckRequest(const RemovexattrRequest& r) {
  WEFT_RETURN_IF_ERROR(CheckInoRequest(r));
  return CheckNameSize(r.name(), "xattr name");
}

Status CheckRequest(const AccessRequest& r) { return CheckInoRequest(r); }
Status CheckRequest(const GetLayoutRequest& r) { return CheckInoRequest(r); }
Status CheckRequest(const SetLayoutRequest& r) { return CheckInoRequest(r); }

}  // namespace weft::mds
