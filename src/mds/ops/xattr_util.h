// Extended attribute rules shared by the xattr operations (Linux's xattr_permission).
#pragma once

#include <string_view>

#include "common/status.h"
#include "mds.pb.h"

namespace weft::mds {

inline constexpr size_t kXattrNameMax = 255;
inline constexpr size_t kXattrValueMax = 65536;

// ERANGE for an empty or over-long name; EOPNOTSUPP outside the user., trusted., security.
// and system. namespaces.
Status CheckXattrName(std::string_view name);

// May `cred` read (write false) or change (write true) attribute `name` of `inode`?
// ENODATA for reads and EPERM for writes the namespace forbids; EACCES by mode bits.
Status CheckXattrAccess(const Inode& inode, const Credentials& cred, std::string_view name,
                        bool write);

// Whether `cred` sees attribute `name` in a listing.
bool XattrVisible(const Credentials& cred, std::string_view name);

}  // namespace weft::mds
