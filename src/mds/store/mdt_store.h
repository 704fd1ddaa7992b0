// MdtStore: the narrow storage interface of a metadata target (MDT).
//
// Five key spaces ("families", RocksDB column families in the real store): inodes, dentries,
// xattrs, orphans, meta. The store offers point reads, ordered scans, and atomic, durable
// write batches; it knows nothing of what the keys mean (src/mds/keys.h does).
//
// Threading: every method may be called from any thread concurrently. A committed (or applied)
// batch is visible to reads that start after Commit (Apply) returns, all of it or none of it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace weft::mds {

enum class Family : uint8_t { kInodes = 0, kDentries, kXattrs, kOrphans, kMeta };

// What an applied batch (MdtStore::Apply) may do before its log sync.
enum class SyncNeed : uint8_t {
  // Nobody may learn of it before it is durable: SyncPending holds every reader back until
  // the sync. Namespace changes, and whatever an OST or another client acts on.
  kBeforeSeen,
  // It may be read, and answered, at once; it is durable with the next sync of the log.
  // Until then it is in the kernel's page cache: a killed daemon keeps it, a machine that
  // crashes may lose it (with every batch applied after it), as a local file system loses an
  // un-fsynced chmod. Attribute changes (docs/mds.md, "Attribute changes").
  kSoon,
};
inline constexpr int kFamilyCount = 5;
const char* FamilyName(Family family);

// An ordered list of puts and deletes, applied atomically by MdtStore::Commit.
class WriteBatch {
 public:
  struct Op {
    Family family;
    bool is_delete;
    std::string key;
    std::string value;
  };

  void Put(Family family, std::string key, std::string value) {
    ops_.push_back({family, false, std::move(key), std::move(value)});
  }
  void Delete(Family family, std::string key) {
    ops_.push_back({family, true, std::move(key), {}});
  }
  const std::vector<Op>& ops() const { return ops_; }
  bool empty() const { return ops_.empty(); }

 private:
  std::vector<Op> ops_;
};

// Reads on an event loop must not wait for the disk. While a CacheOnlyReads lives on a thread,
// that thread's Get answers from memory only (RocksDB's memtables and block cache) and returns
// kWouldBlock where it would have read the disk; the caller then asks again from a thread that
// may block. Stores that never read a disk ignore it. Scans are not covered: do not scan.
class CacheOnlyReads {
 public:
  CacheOnlyReads();
  ~CacheOnlyReads();
  CacheOnlyReads(const CacheOnlyReads&) = delete;
  CacheOnlyReads& operator=(const CacheOnlyReads&) = delete;
  static bool Active();

 private:
  bool was_;
};

// Called for each key of a scan in order; returns false to stop the scan.
using ScanVisitor = std::function<bool(std::string_view key, std::string_view value)>;

class MdtStore {
 public:
  virtual ~MdtStore() = default;

  // The value of `key`: kNotFound if absent, kIoError if the store fails.
  virtual Result<std::string> Get(Family family, std::string_view key) = 0;

  // Visits, in byte order, the keys >= `from` that start with `prefix`, until `visit` returns
  // false or the keys run out. The scan sees one consistent state of the family.
  // REQUIRES: `visit` does not call back into this store.
  virtual Status Scan(Family family, std::string_view from, std::string_view prefix,
                      const ScanVisitor& visit) = 0;

  // Applies `batch` atomically; on return ok it is durable (the log is synced).
  virtual Status Commit(const WriteBatch& batch) = 0;

  // Group commit in two steps, so that a caller can let go of its locks before it waits for
  // the disk. Apply applies `batch` atomically and makes it visible at once, but not durable:
  // a crash before the next Sync may lose it, and then every batch applied after it too
  // (recovery keeps a prefix of the applied batches, never a batch without those before it).
  virtual Status Apply(const WriteBatch& batch, SyncNeed need) = 0;
  Status Apply(const WriteBatch& batch) { return Apply(batch, SyncNeed::kBeforeSeen); }
  // Returns ok once every batch applied before the call began is durable, of either need.
  // Concurrent callers share one log sync. Cheap when nothing is waiting to be synced.
  virtual Status Sync() = 0;
  // True if a kBeforeSeen batch applied before the call is not yet durable: a reader must wait
  // for Sync. Never blocks.
  virtual bool SyncPending() = 0;
  // True if any batch applied before the call, of either need, is not yet durable. Never blocks.
  virtual bool Unsynced() = 0;
};

}  // namespace weft::mds
