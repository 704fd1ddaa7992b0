// RocksMdtStore: an MdtStore in a RocksDB database with one column family per Family.
//
// Every Commit is one rocksdb::WriteBatch written with WriteOptions::sync, so what Commit
// acknowledged survives kill -9 and power loss; RocksDB groups concurrent syncs into one.
// Apply writes without the sync; Sync then syncs the log (SyncWAL) once for every caller
// waiting at the time, and for every batch applied before it began. A caller that arrives
// while a sync runs sleeps until a sync covers it and is woken once, alone: the leader wakes
// exactly the callers its sync covered, and hands the next sync to one of the others.
//
// Threading: as MdtStore. Only one process may open a database at a time.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "mds/store/mdt_store.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
}  // namespace rocksdb

namespace weft::mds {

class RocksMdtStore : public MdtStore {
 public:
  enum class OpenMode {
    kCreate,    // mkfs: create the database (and missing parents) if it does not exist
    kExisting,  // serve: the database and its families must exist
  };

  struct Options {
    // false: neither Commit nor Sync syncs the log; it is synced, and the memtables flushed to
    // tables, once, when the store closes. For bulk loads by offline tools (a crash midway
    // loses the load); never for a serving MDS, whose replies promise durability.
    bool sync = true;
  };

  // Opens the database at `path`. Errors (kIoError, kNotFound for kExisting on a missing
  // database) name the path.
  static Result<std::unique_ptr<RocksMdtStore>> Open(const std::string& path, OpenMode mode,
                                                     Options options);
  static Result<std::unique_ptr<RocksMdtStore>> Open(const std::string& path, OpenMode mode) {
    return Open(path, mode, Options());
  }
  ~RocksMdtStore() override;  // syncs what was applied, then closes

  Result<std::string> Get(Family family, std::string_view key) override;
  Status Scan(Family family, std::string_view from, std::string_view prefix,
              const ScanVisitor& visit) override;
  Status Commit(const WriteBatch& batch) override;
  using MdtStore::Apply;
  Status Apply(const WriteBatch& batch, SyncNeed need) override;
  Status Sync() override;
  bool SyncPending() override;
  bool Unsynced() override;

  const std::string& path() const { return path_; }

 private:
  RocksMdtStore(std::string path, Options options, std::unique_ptr<rocksdb::DB> db,
                std::vector<rocksdb::ColumnFamilyHandle*> handles);
  struct SyncWaiter;
  Status Error(const char* what, const std::string& detail) const;
  Status Write(const WriteBatch& batch, bool sync);
  // Runs one log sync for every batch applied so far, then wakes the waiters it covered and
  // hands the sync role to the first of the rest. REQUIRES: `lock` holds sync_mu_, and this
  // caller holds the sync role (syncing_).
  Status LeadSync(std::unique_lock<std::mutex>& lock);

  std::string path_;
  Options options_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // indexed by Family; owned, closed first

  // Group sync: one caller at a time (the leader) runs SyncWAL for all; the others wait in
  // waiters_ until a sync covers them or the role is handed to them.
  std::mutex sync_mu_;
  bool syncing_ = false;                // guarded by sync_mu_: a caller holds the sync role
  std::vector<SyncWaiter*> waiters_;    // guarded by sync_mu_; each lives in its caller's frame
  // Every sequence number up to this is durable. Written under sync_mu_; read without it by
  // Sync's fast path.
  std::atomic<uint64_t> synced_seq_{0};
  std::atomic<int> applying_{0};          // Apply calls under way
  std::atomic<uint64_t> applied_seq_{0};  // covers every batch Apply has finished writing
  // The same two for kBeforeSeen batches only: what SyncPending holds readers back for.
  std::atomic<int> applying_seen_{0};
  std::atomic<uint64_t> applied_seen_seq_{0};
};

}  // namespace weft::mds
