#include "mds/store/rocks_mdt_store.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <filesystem>

namespace weft::mds {
namespace {

std::vector<rocksdb::ColumnFamilyDescriptor> Descriptors() {
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  cfs.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions());
  for (int i = 0; i < kFamilyCount; ++i) {
    cfs.emplace_back(FamilyName(static_cast<Family>(i)), rocksdb::ColumnFamilyOptions());
  }
  return cfs;
}

rocksdb::Slice ToSlice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }
std::string_view ToView(const rocksdb::Slice& s) { return std::string_view(s.data(), s.size()); }

}  // namespace

Result<std::unique_ptr<RocksMdtStore>> RocksMdtStore::Open(const std::string& path,
                                                          OpenMode mode, Options store_options) {
  std::error_code ec;
  if (mode == OpenMode::kExisting && !std::filesystem::exists(path + "/CURRENT", ec)) {
    return Status(StatusCode::kNotFound, "no MDT database at " + path + " (run mkfs first)");
  }
  if (mode == OpenMode::kCreate) std::filesystem::create_directories(path, ec);
  rocksdb::DBOptions options;
  options.create_if_missing = mode == OpenMode::kCreate;
  options.create_missing_column_families = mode == OpenMode::kCreate;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, path, Descriptors(), &handles, &raw);
  if (!s.ok()) {
    return Status(StatusCode::kIoError, "opening MDT database " + path + ": " + s.ToString());
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  delete handles[0];  // the default family is unused
  handles.erase(handles.begin());
  return std::unique_ptr<RocksMdtStore>(
      new RocksMdtStore(path, store_options, std::move(db), std::move(handles)));
}

RocksMdtStore::RocksMdtStore(std::string path, Options options, std::unique_ptr<rocksdb::DB> db,
                             std::vector<rocksdb::ColumnFamilyHandle*> handles)
    : path_(std::move(path)),
      options_(options),
      db_(std::move(db)),
      handles_(std::move(handles)) {}

RocksMdtStore::~RocksMdtStore() {
  db_->SyncWAL().PermitUncheckedError();
  // After a bulk load, write the tables now, so that the next open need not replay the log.
  if (!options_.sync) db_->Flush(rocksdb::FlushOptions(), handles_).PermitUncheckedError();
  for (rocksdb::ColumnFamilyHandle* h : handles_) db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  db_->Close().PermitUncheckedError();
}

Status RocksMdtStore::Error(const char* what, const std::string& detail) const {
  return Status(StatusCode::kIoError, std::string(what) + " in MDT database " + path_ + ": " +
                                          detail);
}

Result<std::string> RocksMdtStore::Get(Family family, std::string_view key) {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), handles_[static_cast<int>(family)],
                               ToSlice(key), &value);
  if (s.IsNotFound()) return Status(StatusCode::kNotFound, "no such key");
  if (!s.ok()) return Error("get", s.ToString());
  return value;
}

Status RocksMdtStore::Scan(Family family, std::string_view from, std::string_view prefix,
                           const ScanVisitor& visit) {
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), handles_[static_cast<int>(family)]));
  it->Seek(ToSlice(from < prefix ? prefix : from));
  for (; it->Valid(); it->Next()) {
    std::string_view key = ToView(it->key());
    if (!key.starts_with(prefix)) break;
    if (!visit(key, ToView(it->value()))) break;
  }
  if (!it->status().ok()) return Error("scan", it->status().ToString());
  return Status::Ok();
}

Status RocksMdtStore::Commit(const WriteBatch& batch) {
  return Write(batch, options_.sync);
}

Status RocksMdtStore::Apply(const WriteBatch& batch) {
  applying_.fetch_add(1);
  Status st = Write(batch, false);
  uint64_t seq = db_->GetLatestSequenceNumber();
  uint64_t prev = applied_seq_.load();
  while (prev < seq && !applied_seq_.compare_exchange_weak(prev, seq)) {
  }
  applying_.fetch_sub(1);  // after applied_seq_ covers this batch: see Sync
  return st;
}

Status RocksMdtStore::Write(const WriteBatch& batch, bool sync) {
  rocksdb::WriteBatch wb;
  for (const WriteBatch::Op& op : batch.ops()) {
    rocksdb::ColumnFamilyHandle* cf = handles_[static_cast<int>(op.family)];
    rocksdb::Status s = op.is_delete ? wb.Delete(cf, ToSlice(op.key))
                                     : wb.Put(cf, ToSlice(op.key), ToSlice(op.value));
    if (!s.ok()) return Error("batch", s.ToString());
  }
  rocksdb::WriteOptions options;
  options.sync = sync;
  rocksdb::Status s = db_->Write(options, &wb);
  if (!s.ok()) return Error("commit", s.ToString());
  return Status::Ok();
}

// Group commit: the caller that finds no sync running syncs the log for everyone; callers that
// arrive meanwhile wait for it, and then for one more if it began before their batches.
//
// What must be synced: every batch applied so far. While an Apply is running, its batch may be
// visible already without being counted in applied_seq_, so everything visible counts. Batches
// Commit wrote with sync=true are durable already and never make a reader wait.
Status RocksMdtStore::Sync() {
  if (!options_.sync) return Status::Ok();
  uint64_t target =
      applying_.load() > 0 ? db_->GetLatestSequenceNumber() : applied_seq_.load();
  if (synced_seq_.load() >= target) return Status::Ok();
  std::unique_lock lock(sync_mu_);
  while (synced_seq_ < target) {
    if (syncing_) {
      sync_done_.wait(lock);
      continue;
    }
    syncing_ = true;
    uint64_t covers = db_->GetLatestSequenceNumber();
    lock.unlock();
    rocksdb::Status s = db_->SyncWAL();
    lock.lock();
    syncing_ = false;
    if (s.ok() && covers > synced_seq_.load()) synced_seq_.store(covers);
    sync_done_.notify_all();
    if (!s.ok()) return Error("log sync", s.ToString());
  }
  return Status::Ok();
}

}  // namespace weft::mds
