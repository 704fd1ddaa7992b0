// statfs(2), the inode half: used from the per-stripe counters, total from the format. The
// file system's space comes from the OSTs; the bytes here are the MDT's own disk (weft df).
#include <sys/statvfs.h>

#include "mds/mdt.h"
#include "mds/ops/op_util.h"

namespace weft::mds {

Result<StatfsReply> Mdt::Statfs(const StatfsRequest& req) {
  int64_t used = 0;
  for (uint32_t stripe = 0; stripe < LockTable::kStripes; ++stripe) {
    std::lock_guard lock(inode_locks_.stripe(stripe));
    used += inode_counts_[stripe];
  }
  StatfsReply reply;
  uint64_t total = format_.max_inodes();
  reply.set_inodes_total(total);
  reply.set_inodes_used(static_cast<uint64_t>(used));
  reply.set_inodes_free(total > static_cast<uint64_t>(used) ? total - used : 0);
  reply.set_name_max(kNameMax);
  struct statvfs disk;
  if (!options_.space_path.empty() && statvfs(options_.space_path.c_str(), &disk) == 0) {
    reply.set_bytes_total(static_cast<uint64_t>(disk.f_blocks) * disk.f_frsize);
    reply.set_bytes_free(static_cast<uint64_t>(disk.f_bfree) * disk.f_frsize);
    reply.set_bytes_avail(static_cast<uint64_t>(disk.f_bavail) * disk.f_frsize);
  }
  return reply;
}

}  // namespace weft::mds
