#include "client/types.h"

#include <cstring>

namespace weft::client {

uint32_t FileTypeMode(mds::FileType type) {
  switch (type) {
    case mds::REGULAR: return S_IFREG;
    case mds::DIRECTORY: return S_IFDIR;
    case mds::SYMLINK: return S_IFLNK;
    case mds::FIFO: return S_IFIFO;
    case mds::SOCKET: return S_IFSOCK;
    case mds::CHAR_DEVICE: return S_IFCHR;
    case mds::BLOCK_DEVICE: return S_IFBLK;
    default: return 0;
  }
}

void InodeToStat(const Inode& inode, struct stat* st) {
  std::memset(st, 0, sizeof(*st));
  st->st_ino = inode.ino();
  st->st_mode = FileTypeMode(inode.type()) | inode.mode();
  st->st_nlink = inode.nlink();
  st->st_uid = inode.uid();
  st->st_gid = inode.gid();
  st->st_rdev = inode.rdev();
  st->st_size = static_cast<off_t>(inode.size());
  st->st_blocks = static_cast<blkcnt_t>(inode.blocks());
  uint64_t stripe = inode.layout().stripe_size();
  st->st_blksize = static_cast<blksize_t>(stripe != 0 ? stripe : uint64_t{1} << 20);
  st->st_atim.tv_sec = inode.atime_ns() / 1000000000;
  st->st_atim.tv_nsec = inode.atime_ns() % 1000000000;
  st->st_mtim.tv_sec = inode.mtime_ns() / 1000000000;
  st->st_mtim.tv_nsec = inode.mtime_ns() % 1000000000;
  st->st_ctim.tv_sec = inode.ctime_ns() / 1000000000;
  st->st_ctim.tv_nsec = inode.ctime_ns() % 1000000000;
}

}  // namespace weft::client
