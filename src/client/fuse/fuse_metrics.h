// The FUSE client's metrics (docs/metrics.md): read and write ops, bytes and latency, and the
// metadata requests and error replies per FUSE operation. Nothing is labelled with inode
// numbers or names.
//
// Thread-safety: the children are resolved once, in the constructor; every update is a relaxed
// atomic operation, safe from any FUSE worker thread.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "common/metrics.h"

namespace weft::fuse {

// The FUSE operations counted; the label value is FuseOpName(op).
enum class FuseOp : uint8_t {
  kLookup,
  kGetattr,
  kSetattr,
  kReadlink,
  kMknod,
  kMkdir,
  kUnlink,
  kRmdir,
  kSymlink,
  kRename,
  kLink,
  kAccess,
  kStatfs,
  kCreate,
  kOpen,
  kFlush,
  kRelease,
  kFsync,
  kFallocate,
  kLseek,
  kOpendir,
  kReaddir,
  kReaddirplus,
  kReleasedir,
  kSetxattr,
  kGetxattr,
  kListxattr,
  kRemovexattr,
  kRead,
  kWrite,  // not metadata: these two have counters and histograms of their own
};
inline constexpr size_t kFuseOps = static_cast<size_t>(FuseOp::kWrite) + 1;

// "lookup", "getattr", ..., "read", "write".
const char* FuseOpName(FuseOp op);

class FuseMetrics {
 public:
  // Creates the families and every child in `registry`, so that a scrape shows them at zero
  // before the first request. REQUIRES: `registry` outlives this object.
  explicit FuseMetrics(MetricsRegistry& registry);

  // One metadata request. REQUIRES: op is neither kRead nor kWrite (they have RecordRead/Write).
  void CountMetadata(FuseOp op) { metadata_ops_[Index(op)]->Increment(); }
  // One request of `op` answered with an error.
  void CountError(FuseOp op) { errors_[Index(op)]->Increment(); }
  // One read or write request: its latency, and the bytes it moved (0 when it failed).
  void RecordRead(uint64_t bytes, std::chrono::nanoseconds took) {
    read_ops_.Increment();
    read_bytes_.Increment(bytes);
    read_latency_.ObserveDuration(took);
  }
  void RecordWrite(uint64_t bytes, std::chrono::nanoseconds took) {
    write_ops_.Increment();
    write_bytes_.Increment(bytes);
    write_latency_.ObserveDuration(took);
  }

 private:
  static size_t Index(FuseOp op) { return static_cast<size_t>(op); }

  Counter& read_ops_;
  Counter& write_ops_;
  Counter& read_bytes_;
  Counter& write_bytes_;
  Histogram& read_latency_;
  Histogram& write_latency_;
  std::array<Counter*, kFuseOps> metadata_ops_{};  // null for kRead and kWrite
  std::array<Counter*, kFuseOps> errors_{};
};

}  // namespace weft::fuse
