// MdCeiling: what the MDS's store can do at best, for md_bench to set beside the MDS.
//
// Commits, from T threads at once, RocksDB write batches of exactly the shape a create (and an
// unlink) of a regular file writes: the same keys (src/mds/keys.h), values of the same
// protobuf messages and sizes, through the MDS's own RocksMdtStore (same column families, same
// options, WAL synced per batch). The stat ceiling is the two point reads a Lookup does (the
// dentry, then the inode). No locks, no RPC, no permission checks: the bound, not a model.
//
// Threading: one thread drives a ceiling; it starts its own worker threads per measurement.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"
#include "mds/store/rocks_mdt_store.h"

namespace weft::bench {

class MdCeiling {
 public:
  // Creates a RocksMdtStore at `path` (a fresh directory on the disk under test).
  static Result<std::unique_ptr<MdCeiling>> Open(const std::string& path);

  // Each of `threads` threads commits `per_thread` batches one after another; returns the
  // rate in batches (operations) per second. Creates must precede Stats and Unlinks of the
  // same `round`, which work on the names Creates wrote.
  Result<double> Creates(int threads, uint64_t per_thread, uint64_t round);
  Result<double> Stats(int threads, uint64_t per_thread, uint64_t round);
  Result<double> Unlinks(int threads, uint64_t per_thread, uint64_t round);

 private:
  enum class Shape { kCreate, kStat, kUnlink };
  explicit MdCeiling(std::unique_ptr<mds::RocksMdtStore> store) : store_(std::move(store)) {}
  Result<double> Measure(Shape shape, int threads, uint64_t per_thread, uint64_t round);
  Status One(Shape shape, int thread, uint64_t i, uint64_t round);

  std::unique_ptr<mds::RocksMdtStore> store_;
  std::atomic<uint64_t> seq_{0};  // reply record sequence, as the Mdt's
};

}  // namespace weft::bench
