// RocksMdtStore: an MdtStore in a RocksDB database with one column family per Family.
//
// Every Commit is one rocksdb::WriteBatch written with WriteOptions::sync, so what Commit
// acknowledged survives kill -9 and power loss; RocksDB groups concurrent syncs into one.
//
// Threading: as MdtStore. Only one process may open a database at a time.
#pragma once

#include <memory>
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

  // Opens the database at `path`. Errors (kIoError, kNotFound for kExisting on a missing
  // database) name the path.
  static Result<std::unique_ptr<RocksMdtStore>> Open(const std::string& path, OpenMode mode);
  ~RocksMdtStore() override;

  Result<std::string> Get(Family family, std::string_view key) override;
  Status Scan(Family family, std::string_view from, std::string_view prefix,
              const ScanVisitor& visit) override;
  Status Commit(const WriteBatch& batch) override;

  const std::string& path() const { return path_; }

 private:
  RocksMdtStore(std::string path, std::unique_ptr<rocksdb::DB> db,
                std::vector<rocksdb::ColumnFamilyHandle*> handles);
  Status Error(const char* what, const std::string& detail) const;

  std::string path_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // indexed by Family; owned, closed first
};

}  // namespace weft::mds
