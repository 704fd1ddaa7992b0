// RegistryStore: where the MGS keeps its registry of targets and its config generation.
//
// The interface is deliberately narrow: load everything at start, then store one target and the
// generation together at each change. MemoryRegistryStore serves tests; RocksRegistryStore
// (rocksdb_registry_store.h) is what weft-mgs runs on.
//
// Threading: a store is used from one thread at a time (the MGS's loop thread).
#pragma once

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "common/status.h"
#include "mgs.pb.h"

namespace weft::mgs {

// Everything a store holds.
struct StoredRegistry {
  uint64_t generation = 0;
  std::vector<TargetInfo> targets;  // ordered by (type, index)
};

class RegistryStore {
 public:
  virtual ~RegistryStore() = default;

  // Everything stored so far; an empty registry with generation 0 in a new store.
  virtual Result<StoredRegistry> Load() = 0;

  // Stores `target` (replacing the one with the same type and index) and `generation` in one
  // atomic write. Once it returns ok the write survives a crash of the process or the machine.
  // Errors are kMgsStoreError; then nothing was stored.
  virtual Status Put(const TargetInfo& target, uint64_t generation) = 0;
};

// Keeps the registry in memory; survives the Registry that uses it, which is how tests restart
// an MGS on the same state. Can be told to fail its writes, to test the error paths.
class MemoryRegistryStore : public RegistryStore {
 public:
  Result<StoredRegistry> Load() override {
    StoredRegistry r;
    r.generation = generation_;
    for (const auto& [key, target] : targets_) r.targets.push_back(target);
    return r;
  }

  Status Put(const TargetInfo& target, uint64_t generation) override {
    if (fail_writes_) return Status(StatusCode::kMgsStoreError, "memory store: writes disabled");
    targets_[{target.type(), target.index()}] = target;
    generation_ = generation;
    return Status::Ok();
  }

  void set_fail_writes(bool fail) { fail_writes_ = fail; }

 private:
  uint64_t generation_ = 0;
  std::map<std::pair<int, uint32_t>, TargetInfo> targets_;
  bool fail_writes_ = false;
};

}  // namespace weft::mgs
