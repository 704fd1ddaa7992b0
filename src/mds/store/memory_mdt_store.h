// MemoryMdtStore: an MdtStore in memory (std::map per family under one mutex), for tests.
// "Durable" means for the life of the object.
#pragma once

#include <array>
#include <map>
#include <mutex>

#include "mds/store/mdt_store.h"

namespace weft::mds {

class MemoryMdtStore : public MdtStore {
 public:
  Result<std::string> Get(Family family, std::string_view key) override;
  // Holds the store's mutex while visiting.
  Status Scan(Family family, std::string_view from, std::string_view prefix,
              const ScanVisitor& visit) override;
  Status Commit(const WriteBatch& batch) override;
  using MdtStore::Apply;
  Status Apply(const WriteBatch& batch, SyncNeed) override { return Commit(batch); }
  Status Sync() override { return Status::Ok(); }
  bool SyncPending() override { return false; }
  bool Unsynced() override { return false; }

 private:
  using Map = std::map<std::string, std::string, std::less<>>;
  std::mutex mu_;
  std::array<Map, kFamilyCount> families_;  // guarded by mu_
};

}  // namespace weft::mds
