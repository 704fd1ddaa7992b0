// RocksRegistryStore: the MGS registry in a RocksDB database (docs/mgs.md lists its keys).
//
// Every Put is one WriteBatch written with WriteOptions::sync, so a registration the MGS has
// acknowledged survives kill -9 and power loss. The database records the fsname it was created
// for; opening it for another fsname is refused.
//
// Threading: as RegistryStore (one thread at a time). Only one process may open a database.
#pragma once

#include <memory>
#include <string>

#include "mgs/registry_store.h"

namespace rocksdb {
class DB;
}

namespace weft::mgs {

class RocksRegistryStore : public RegistryStore {
 public:
  // Opens the database at `path`, creating it (and missing parent directories) for `fsname` if
  // it does not exist. Errors name the path and say what to do: kMgsFsnameMismatch when the
  // database belongs to another file system, kMgsStoreError otherwise.
  static Result<std::unique_ptr<RocksRegistryStore>> Open(const std::string& path,
                                                          const std::string& fsname);
  ~RocksRegistryStore() override;

  Result<StoredRegistry> Load() override;
  Status Put(const TargetInfo& target, uint64_t generation) override;

  const std::string& path() const { return path_; }

 private:
  RocksRegistryStore(std::string path, std::unique_ptr<rocksdb::DB> db);
  Status CheckFsname(const std::string& fsname);

  std::string path_;
  std::unique_ptr<rocksdb::DB> db_;
};

}  // namespace weft::mgs
