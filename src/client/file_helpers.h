// Small helpers shared by file_io.cc and file_open.cc: layout lookups and handle checks.
// Private to src/client.
#pragma once

#include <fcntl.h>

#include <string>

#include "client/file_io.h"
#include "client/striping.h"

namespace weft::client {

// True if [offset, offset + len) lies inside the `size` bytes at `start` (none if size is 0).
inline bool Holds(uint64_t start, size_t size, uint64_t offset, size_t len) {
  return size != 0 && offset >= start && offset + len <= start + size;
}

inline Status CheckLayout(const InodeState& state) {
  if (state.type == mds::DIRECTORY) {
    return Status(StatusCode::kIsDirectory, "inode " + std::to_string(state.ino) +
                                                " is a directory; read it with readdir");
  }
  if (state.type != mds::REGULAR) {
    return Status(StatusCode::kInvalidArgument,
                  "inode " + std::to_string(state.ino) + " is not a regular file");
  }
  if (state.layout.objects_size() == 0 || state.layout.stripe_size() == 0) {
    return Status(StatusCode::kIoError,
                  "file " + std::to_string(state.ino) + " has no objects in its layout");
  }
  return Status::Ok();
}

inline Status CheckOpen(const File& file, bool closed) {
  if (closed) {
    return Status(StatusCode::kInvalidArgument,
                  "file " + std::to_string(file.ino()) + " was closed (EBADF in POSIX)");
  }
  return Status::Ok();
}

inline Status CheckWritable(const File& file) {
  if ((file.flags() & O_ACCMODE) == O_RDONLY) {
    return Status(StatusCode::kInvalidArgument,
                  "file " + std::to_string(file.ino()) + " is open read-only (EBADF in POSIX)");
  }
  return Status::Ok();
}

inline StripeGeometry GeometryOf(const mds::Layout& layout) {
  return StripeGeometry{layout.stripe_size(), static_cast<uint32_t>(layout.objects_size())};
}

inline oss::ObjectId ObjectOf(const mds::Layout& layout, uint32_t stripe) {
  oss::ObjectId id;
  id.set_inode(layout.objects(static_cast<int>(stripe)).object_id());
  id.set_stripe(stripe);
  return id;
}

inline uint32_t OstOf(const mds::Layout& layout, uint32_t stripe) {
  return layout.objects(static_cast<int>(stripe)).ost_index();
}

inline std::string ObjectName(uint32_t ost_index, const oss::ObjectId& id) {
  return "object " + std::to_string(id.inode()) + "." + std::to_string(id.stripe()) + " on OST " +
         std::to_string(ost_index);
}

}  // namespace weft::client
