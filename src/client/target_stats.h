// The space and inodes of each target of a mounted file system (`weft df`).
#pragma once

#include <cstdint>
#include <string>

namespace weft::client {

struct TargetStats {
  std::string name;   // FSNAME-MDT0000, FSNAME-OST0003
  bool is_mdt = false;
  uint32_t index = 0;
  bool up = false;    // UP in the MGS configuration and answered statfs
  uint64_t bytes_total = 0;
  uint64_t bytes_free = 0;
  uint64_t bytes_avail = 0;
  uint64_t inodes_total = 0;
  uint64_t inodes_free = 0;
};

}  // namespace weft::client
