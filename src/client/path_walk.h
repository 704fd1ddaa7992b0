// Path resolution for the path-based API: component by component from the root, ".." through
// each directory's parent, symbolic links followed (their targets relative to the link's
// directory, or to the root when absolute), at most kMaxSymlinks of them per walk.
//
// Private to src/client. Threading: loop-thread only.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "client/meta_client.h"

namespace weft::client {

// Linux's limit (MAXSYMLINKS) on symbolic links followed in one path walk.
constexpr int kMaxSymlinks = 40;
// The message of the error past kMaxSymlinks; its code is kInvalidArgument until status.h has
// a code for ELOOP, and ErrnoOf (client.h) turns it into ELOOP.
constexpr std::string_view kSymlinkLoopMessage = "too many levels of symbolic links";

class PathWalker {
 public:
  explicit PathWalker(MetaClient& meta) : meta_(meta) {}

  // The inode `path` names. A symbolic link as the last component is followed if
  // `follow_last` (stat) and returned itself otherwise (lstat, readlink, unlink).
  Task<Result<Inode>> Resolve(const Credentials& cred, std::string_view path, bool follow_last);
  // The directory holding `path`'s last component, and that component. The component is never
  // empty, "." or "..": such paths are kInvalidArgument.
  Task<Result<std::pair<Inode, std::string>>> ResolveParent(const Credentials& cred,
                                                            std::string_view path);

 private:
  MetaClient& meta_;
};

}  // namespace weft::client
