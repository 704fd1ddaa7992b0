#include "mgs/rocksdb_registry_store.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <charconv>
#include <cstdio>
#include <filesystem>
#include <system_error>

#include "mgs/mgs_service.h"

namespace weft::mgs {
namespace {

constexpr char kFsnameKey[] = "meta/fsname";
constexpr char kGenerationKey[] = "meta/generation";
constexpr char kTargetPrefix[] = "target/";

// "target/OST/0003"
std::string TargetKey(TargetType type, uint32_t index) {
  char hex[16];
  std::snprintf(hex, sizeof(hex), "%04x", index);
  return std::string(kTargetPrefix) + std::string(TargetTypeName(type)) + "/" + hex;
}

Status StoreError(const std::string& path, std::string_view what, const rocksdb::Status& s) {
  return Status(StatusCode::kMgsStoreError,
                "MGS registry " + path + ": " + std::string(what) + " failed: " + s.ToString());
}

// What an operator should do about a failed open.
std::string OpenAdvice(const rocksdb::Status& s) {
  if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
    return "another weft-mgs is probably running on this data directory; stop it first";
  }
  if (s.IsCorruption()) return "the registry is damaged; restore the directory from a backup";
  return "check that the directory is writable and its file system has space";
}

Status OpenError(const std::string& path, const rocksdb::Status& s) {
  return Status(StatusCode::kMgsStoreError, "cannot open the MGS registry at " + path + ": " +
                                                s.ToString() + "; " + OpenAdvice(s));
}

Status MakeDirectories(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (!ec) return Status::Ok();
  return Status(StatusCode::kMgsStoreError, "cannot create the MGS registry directory " + path +
                                                ": " + ec.message() +
                                                "; check permissions or pick another directory");
}

Result<uint64_t> ParseGeneration(const std::string& path, const std::string& text) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return Status(StatusCode::kMgsStoreError, "MGS registry " + path + ": key " + kGenerationKey +
                                                  " holds '" + text +
                                                  "', not a number; the registry is damaged");
  }
  return value;
}

}  // namespace

RocksRegistryStore::RocksRegistryStore(std::string path, std::unique_ptr<rocksdb::DB> db)
    : path_(std::move(path)), db_(std::move(db)) {}

RocksRegistryStore::~RocksRegistryStore() = default;

Result<std::unique_ptr<RocksRegistryStore>> RocksRegistryStore::Open(const std::string& path,
                                                                     const std::string& fsname) {
  WEFT_RETURN_IF_ERROR(MakeDirectories(path));
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, path, &raw);
  if (!s.ok()) return OpenError(path, s);
  std::unique_ptr<RocksRegistryStore> store(
      new RocksRegistryStore(path, std::unique_ptr<rocksdb::DB>(raw)));
  WEFT_RETURN_IF_ERROR(store->CheckFsname(fsname));
  return store;
}

// Records `fsname` in a new database; refuses a database made for another file system.
Status RocksRegistryStore::CheckFsname(const std::string& fsname) {
  std::string stored;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), kFsnameKey, &stored);
  if (s.ok() && stored == fsname) return Status::Ok();
  if (s.ok()) {
    return Status(StatusCode::kMgsFsnameMismatch,
                  "the MGS registry at " + path_ + " belongs to file system '" + stored +
                      "', not '" + fsname + "'; set mgs.fsname to '" + stored +
                      "' or use another mgs.data_dir");
  }
  if (!s.IsNotFound()) return StoreError(path_, "reading " + std::string(kFsnameKey), s);
  WEFT_ASSIGN_OR_RETURN(StoredRegistry existing, Load());
  if (!existing.targets.empty()) {
    return Status(StatusCode::kMgsStoreError, "MGS registry " + path_ + " holds targets but no " +
                                                  kFsnameKey + "; the registry is damaged");
  }
  rocksdb::WriteOptions wo;
  wo.sync = true;
  s = db_->Put(wo, kFsnameKey, fsname);
  return s.ok() ? Status::Ok() : StoreError(path_, "recording the fsname", s);
}

Result<StoredRegistry> RocksRegistryStore::Load() {
  StoredRegistry r;
  std::string text;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), kGenerationKey, &text);
  if (s.ok()) {
    WEFT_ASSIGN_OR_RETURN(r.generation, ParseGeneration(path_, text));
  } else if (!s.IsNotFound()) {
    return StoreError(path_, "reading the generation", s);
  }
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(kTargetPrefix); it->Valid() && it->key().starts_with(kTargetPrefix); it->Next()) {
    TargetInfo target;
    bool parsed = target.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()));
    if (!parsed || TargetKey(target.type(), target.index()) != it->key().ToString()) {
      return Status(StatusCode::kMgsStoreError, "MGS registry " + path_ + ": the value of key " +
                                                    it->key().ToString() +
                                                    " is not its target; the registry is damaged");
    }
    r.targets.push_back(std::move(target));
  }
  if (!it->status().ok()) return StoreError(path_, "reading the targets", it->status());
  return r;
}

Status RocksRegistryStore::Put(const TargetInfo& target, uint64_t generation) {
  rocksdb::WriteBatch batch;
  std::string key = TargetKey(target.type(), target.index());
  rocksdb::Status s = batch.Put(key, target.SerializeAsString());
  if (s.ok()) s = batch.Put(kGenerationKey, std::to_string(generation));
  rocksdb::WriteOptions wo;
  wo.sync = true;
  if (s.ok()) s = db_->Write(wo, &batch);
  return s.ok() ? Status::Ok() : StoreError(path_, "writing " + key, s);
}

}  // namespace weft::mgs
