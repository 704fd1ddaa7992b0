// The MDT's space and inodes as gauges read at scrape time (docs/metrics.md), labelled
// {target="weft-MDT0000"}: weft_mdt_capacity_bytes, weft_mdt_bytes_free and weft_mdt_bytes_used
// from statvfs of the MDT's directory; weft_mdt_files_used and weft_mdt_files_free from the
// MDT's own inode count, the numbers statfs(2) on a client shows.
#pragma once

#include <string>
#include <vector>

#include "common/metrics.h"
#include "mds/mdt.h"

namespace weft::mds {

// Registers the gauges in `registry`; they are served while the handles live.
// REQUIRES: `mdt` outlives the handles; `dir` is the MDT's directory.
std::vector<GaugeCallbackHandle> AddMdtGauges(MetricsRegistry& registry, const std::string& dir,
                                              const std::string& target, Mdt& mdt);

}  // namespace weft::mds
