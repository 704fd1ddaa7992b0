// Value types of the client API: attributes, directory entries, file system statistics and
// attribute changes. Attributes are the MDS's Inode message (proto/mds.proto) as it is.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mds.pb.h"

namespace weft::client {

using Inode = mds::Inode;
using Layout = mds::Layout;

struct DirEntry {
  std::string name;
  uint64_t ino = 0;
  mds::FileType type = mds::FILE_TYPE_UNSPECIFIED;
  uint64_t cookie = 0;          // resume after this entry
  std::optional<Inode> inode;   // readdirplus only
};

struct DirPage {
  std::vector<DirEntry> entries;
  bool eof = false;
};

// statfs: inodes from the MDTs, bytes from the OSTs that are UP.
struct FsStats {
  uint64_t bytes_total = 0;
  uint64_t bytes_free = 0;
  uint64_t bytes_avail = 0;
  uint64_t inodes_total = 0;
  uint64_t inodes_free = 0;
  uint32_t name_max = 255;
  uint32_t osts_counted = 0;  // OSTs that answered (DOWN ones are left out)
};

// setattr: what to change. A size goes through Client::Truncate's path (MDS, then objects).
struct SetAttrs {
  std::optional<uint32_t> mode;
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
  std::optional<uint64_t> size;
  mds::TimeSet atime;
  mds::TimeSet mtime;
};

// S_IFREG and friends for a FileType.
uint32_t FileTypeMode(mds::FileType type);
// Fills `st` from an inode (st_dev 0, st_blksize the stripe size or 1 MiB).
void InodeToStat(const Inode& inode, struct stat* st);

}  // namespace weft::client
