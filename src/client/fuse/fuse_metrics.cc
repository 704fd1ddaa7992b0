#include "client/fuse/fuse_metrics.h"

namespace weft::fuse {
namespace {

constexpr std::array<const char*, kFuseOps> kNames = {
    "lookup",    "getattr",   "setattr",     "readlink",    "mknod",      "mkdir",
    "unlink",    "rmdir",     "symlink",     "rename",      "link",       "access",
    "statfs",    "create",    "open",        "flush",       "release",    "fsync",
    "fallocate", "lseek",     "opendir",     "readdir",     "readdirplus", "releasedir",
    "setxattr",  "getxattr",  "listxattr",   "removexattr", "read",        "write"};

bool IsData(FuseOp op) { return op == FuseOp::kRead || op == FuseOp::kWrite; }

}  // namespace

const char* FuseOpName(FuseOp op) { return kNames[static_cast<size_t>(op)]; }

FuseMetrics::FuseMetrics(MetricsRegistry& registry)
    : read_ops_(
          registry.Counter("weft_client_read_ops_total", "Read requests from the kernel").With({})),
      write_ops_(registry.Counter("weft_client_write_ops_total", "Write requests from the kernel")
                     .With({})),
      read_bytes_(
          registry.Counter("weft_client_read_bytes_total", "Bytes returned by reads").With({})),
      write_bytes_(
          registry.Counter("weft_client_write_bytes_total", "Bytes written by writes").With({})),
      read_latency_(registry
                        .Histogram("weft_client_read_latency_seconds",
                                   "Time from a read request to its reply")
                        .With({})),
      write_latency_(registry
                         .Histogram("weft_client_write_latency_seconds",
                                    "Time from a write request to its reply")
                         .With({})) {
  auto& metadata = registry.Counter("weft_client_metadata_ops_total",
                                    "Metadata requests from the kernel, by FUSE operation", {"op"});
  auto& errors = registry.Counter("weft_client_errors_total",
                                  "Requests answered with an error, by FUSE operation", {"op"});
  for (size_t i = 0; i < kFuseOps; ++i) {
    auto op = static_cast<FuseOp>(i);
    if (!IsData(op)) metadata_ops_[i] = &metadata.With({FuseOpName(op)});
    errors_[i] = &errors.With({FuseOpName(op)});
  }
}

}  // namespace weft::fuse
