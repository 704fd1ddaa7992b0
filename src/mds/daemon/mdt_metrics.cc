#include "mds/daemon/mdt_metrics.h"

#include <sys/statvfs.h>

namespace weft::mds {
namespace {

// Space of the file system holding `dir`, in bytes; zeros if statvfs fails.
struct Space {
  double total = 0;
  double free = 0;  // available to the MDS (not root-reserved)
  double used = 0;
};

Space SpaceOf(const std::string& dir) {
  struct statvfs v;
  if (::statvfs(dir.c_str(), &v) != 0) return {};
  auto frsize = static_cast<double>(v.f_frsize);
  return {static_cast<double>(v.f_blocks) * frsize, static_cast<double>(v.f_bavail) * frsize,
          static_cast<double>(v.f_blocks - v.f_bfree) * frsize};
}

// Inodes used and free as the MDT counts them; zeros if it cannot say.
StatfsReply InodesOf(Mdt& mdt) {
  Result<StatfsReply> s = mdt.Statfs(StatfsRequest());
  return s.ok() ? *s : StatfsReply();
}

}  // namespace

std::vector<GaugeCallbackHandle> AddMdtGauges(MetricsRegistry& registry, const std::string& dir,
                                              const std::string& target, Mdt& mdt) {
  MetricLabels labels = {{"target", target}};
  Mdt* m = &mdt;
  std::vector<GaugeCallbackHandle> gauges;
  gauges.push_back(registry.GaugeCallback("weft_mdt_capacity_bytes",
                                          "Size of the file system holding the MDT, in bytes",
                                          labels, [dir] { return SpaceOf(dir).total; }));
  gauges.push_back(registry.GaugeCallback("weft_mdt_bytes_free",
                                          "Bytes available to the MDT on its file system", labels,
                                          [dir] { return SpaceOf(dir).free; }));
  gauges.push_back(registry.GaugeCallback("weft_mdt_bytes_used",
                                          "Bytes used on the file system holding the MDT", labels,
                                          [dir] { return SpaceOf(dir).used; }));
  gauges.push_back(registry.GaugeCallback(
      "weft_mdt_files_used", "Inodes in use on the MDT (files, directories, links)", labels,
      [m] { return static_cast<double>(InodesOf(*m).inodes_used()); }));
  gauges.push_back(registry.GaugeCallback(
      "weft_mdt_files_free", "Inodes the MDT can still create (its format's limit less those used)",
      labels, [m] { return static_cast<double>(InodesOf(*m).inodes_free()); }));
  return gauges;
}

}  // namespace weft::mds
