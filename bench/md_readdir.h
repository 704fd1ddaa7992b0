// Readdir scaling for md_bench: the time to list directories of growing size through the
// MDS's RPC, in pages of the server's default size.
//
// Small directories are filled over RPC (16 client threads creating into the one directory);
// larger ones (> `rpc_fill_max` entries) offline: weft-mds is stopped, the entries are made
// through the Mdt library straight into the MDT's RocksDB (Mdt::Create, as the MDS would),
// and weft-mds is started again. The report says which way each directory was filled.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "md_cluster.h"

namespace weft::bench {

struct ReaddirScaling {
  std::vector<uint64_t> sizes;    // entries per directory
  uint64_t rpc_fill_max = 100000; // larger directories are filled offline
  size_t runs = 3;                // listings per directory; the median is reported
};

// Fills and lists each directory; prints a table to stdout and progress to stderr.
// `cluster` is restarted around offline fills; `nid` is the MDS's.
Status RunReaddirScaling(MdCluster& cluster, const ReaddirScaling& options);

}  // namespace weft::bench
