#include "mds/store/rocks_mdt_store.h"

#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

namespace weft::mds {
namespace {

// Where a memtable insert starts its search. Inserting into a memtable's skip list from the top
// costs some twenty key comparisons, each a likely cache miss, and was a third of the MDS's CPU
// at 16 clients (docs/performance.md). With a hint per key prefix RocksDB starts from where the
// last insert of that prefix went, and most MDS inserts land next to it: each client's reply
// records and their sequence index come in order, counters and a directory's inode are
// rewritten in place, new inodes are numbered in order. (Dentries hash their names, so only the
// directory is shared.) A hint is only a start: a wrong one costs a full search, never a wrong
// order.
class InsertHintPrefix : public rocksdb::SliceTransform {
 public:
  // `keep`: bytes of the key that form the prefix; `drop`: or, if keep is 0, all but the last
  // `drop` bytes (for keys that end in a number).
  InsertHintPrefix(size_t keep, size_t drop) : keep_(keep), drop_(drop) {}
  const char* Name() const override { return "weft.InsertHintPrefix"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    size_t n = keep_ != 0 ? std::min(keep_, key.size())
                          : (key.size() > drop_ ? key.size() - drop_ : key.size());
    return rocksdb::Slice(key.data(), n);
  }
  bool InDomain(const rocksdb::Slice&) const override { return true; }

 private:
  size_t keep_, drop_;
};

std::shared_ptr<const rocksdb::SliceTransform> HintPrefixOf(Family family) {
  switch (family) {
    case Family::kInodes:
    case Family::kOrphans:
    case Family::kXattrs:
      return std::make_shared<InsertHintPrefix>(7, 0);  // 256 inode numbers share a hint
    case Family::kDentries:
      return std::make_shared<InsertHintPrefix>(8, 0);  // the parent directory
    case Family::kMeta:
      return std::make_shared<InsertHintPrefix>(0, 8);  // reply/CLIENT/, rseq/, the counters
  }
  return nullptr;
}

// Bloom filters on whole keys, in the memtables and the tables: most point reads an MDS makes
// for a change miss (the new name of a create, the reply record of a new request), and a
// filter answers those without a search of every memtable and level.
rocksdb::ColumnFamilyOptions FamilyOptions(Family family) {
  rocksdb::ColumnFamilyOptions options;
  options.memtable_prefix_bloom_size_ratio = 0.02;
  options.memtable_whole_key_filtering = true;
  options.memtable_insert_with_hint_prefix_extractor = HintPrefixOf(family);
  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return options;
}

std::vector<rocksdb::ColumnFamilyDescriptor> Descriptors() {
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  cfs.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions());
  for (int i = 0; i < kFamilyCount; ++i) {
    cfs.emplace_back(FamilyName(static_cast<Family>(i)), FamilyOptions(static_cast<Family>(i)));
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
  // Hinted memtable inserts (InsertHintPrefix) need the write group's leader to insert every
  // batch of the group; a parallel insert ignores hints.
  options.allow_concurrent_memtable_write = false;
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
  rocksdb::ReadOptions read;
  if (CacheOnlyReads::Active()) read.read_tier = rocksdb::kBlockCacheTier;
  rocksdb::Status s = db_->Get(read, handles_[static_cast<int>(family)], ToSlice(key), &value);
  if (s.IsNotFound()) return Status(StatusCode::kNotFound, "no such key");
  if (s.IsIncomplete()) return Status(StatusCode::kWouldBlock, "not in memory");
  if (!s.ok()) return Error("get", s.ToString());
  return value;
}

Status RocksMdtStore::Scan(Family family, std::string_view from, std::string_view prefix,
                           const ScanVisitor& visit) {
  // The first key after every key with the prefix, as the iterator's upper bound: the scan of
  // a prefix then stops there, rather than stepping over deleted keys (tombstones, until
  // compaction) beyond it to find the first live key that ends it.
  std::string limit(prefix);
  while (!limit.empty() && static_cast<unsigned char>(limit.back()) == 0xff) limit.pop_back();
  if (!limit.empty()) limit.back() = static_cast<char>(static_cast<unsigned char>(limit.back()) + 1);
  rocksdb::Slice upper(limit);
  rocksdb::ReadOptions read;
  if (!limit.empty()) read.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(read, handles_[static_cast<int>(family)]));
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

namespace {

void RaiseTo(std::atomic<uint64_t>& seq, uint64_t to) {
  uint64_t prev = seq.load();
  while (prev < to && !seq.compare_exchange_weak(prev, to)) {
  }
}

}  // namespace

Status RocksMdtStore::Apply(const WriteBatch& batch, SyncNeed need) {
  bool seen = need == SyncNeed::kBeforeSeen;
  applying_.fetch_add(1);
  if (seen) applying_seen_.fetch_add(1);
  Status st = Write(batch, false);
  uint64_t seq = db_->GetLatestSequenceNumber();
  RaiseTo(applied_seq_, seq);
  if (seen) RaiseTo(applied_seen_seq_, seq);
  // After the applied sequences cover this batch: see SyncPending.
  if (seen) applying_seen_.fetch_sub(1);
  applying_.fetch_sub(1);
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

// One caller waiting in Sync. The leader fills `status` and then sets `state`; the waiter owns
// the struct and may leave (and reuse its frame) as soon as it sees a state other than
// kWaiting, which is why the leader wakes it through the futex word alone (see Wake).
struct RocksMdtStore::SyncWaiter {
  static constexpr uint32_t kWaiting = 0, kDone = 1, kLead = 2;
  uint64_t target = 0;
  Status status;
  std::atomic<uint32_t> state{kWaiting};
};

namespace {

static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t) &&
              std::atomic<uint32_t>::is_always_lock_free);

uint32_t* FutexWord(std::atomic<uint32_t>* a) { return reinterpret_cast<uint32_t*>(a); }

// Sleeps until `state` is no longer `from` (spurious wake-ups are absorbed here).
uint32_t AwaitChange(std::atomic<uint32_t>& state, uint32_t from) {
  uint32_t now;
  while ((now = state.load(std::memory_order_acquire)) == from) {
    syscall(SYS_futex, FutexWord(&state), FUTEX_WAIT_PRIVATE, from, nullptr, nullptr, 0);
  }
  return now;
}

// Publishes `to` and wakes the one thread sleeping on `state`. The waiter may return, and its
// frame be reused, between the store and the wake: FUTEX_WAKE only names the address (no
// memory is touched), and at worst wakes some other futex user there spuriously, which every
// futex user tolerates. (std::atomic::notify_one after the waiter may have gone would be
// formally a use of a dead object.)
void Wake(std::atomic<uint32_t>& state, uint32_t to) {
  uint32_t* word = FutexWord(&state);
  state.store(to, std::memory_order_release);
  syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}

}  // namespace

// Group commit: the caller that finds no sync running syncs the log for everyone; callers that
// arrive meanwhile wait, each woken once: when a sync covers its batches, or to lead the next.
//
// What must be synced: every batch applied so far. While an Apply is running, its batch may be
// visible already without being counted in applied_seq_, so everything visible counts. Batches
// Commit wrote with sync=true are durable already and never make a reader wait. SyncPending
// counts only the kBeforeSeen batches; Sync syncs them all.
bool RocksMdtStore::SyncPending() {
  if (!options_.sync) return false;
  uint64_t target =
      applying_seen_.load() > 0 ? db_->GetLatestSequenceNumber() : applied_seen_seq_.load();
  return synced_seq_.load() < target;
}

bool RocksMdtStore::Unsynced() {
  if (!options_.sync) return false;
  uint64_t target =
      applying_.load() > 0 ? db_->GetLatestSequenceNumber() : applied_seq_.load();
  return synced_seq_.load() < target;
}

Status RocksMdtStore::Sync() {
  if (!options_.sync) return Status::Ok();
  uint64_t target =
      applying_.load() > 0 ? db_->GetLatestSequenceNumber() : applied_seq_.load();
  if (synced_seq_.load() >= target) return Status::Ok();
  std::unique_lock lock(sync_mu_);
  if (synced_seq_.load() >= target) return Status::Ok();
  if (syncing_) {
    SyncWaiter self;
    self.target = target;
    waiters_.push_back(&self);
    lock.unlock();
    if (AwaitChange(self.state, SyncWaiter::kWaiting) == SyncWaiter::kDone) return self.status;
    lock.lock();  // kLead: the role was handed over with syncing_ still set
  }
  syncing_ = true;
  return LeadSync(lock);
}

// The leader's own batches are covered: `covers` is read after its target was.
Status RocksMdtStore::LeadSync(std::unique_lock<std::mutex>& lock) {
  uint64_t covers = db_->GetLatestSequenceNumber();
  lock.unlock();
  rocksdb::Status s = db_->SyncWAL();
  lock.lock();
  Status result = s.ok() ? Status::Ok() : Error("log sync", s.ToString());
  if (s.ok() && covers > synced_seq_.load()) synced_seq_.store(covers);
  std::vector<SyncWaiter*> done;
  auto rest = std::partition(waiters_.begin(), waiters_.end(), [&](const SyncWaiter* w) {
    return !s.ok() || w->target <= synced_seq_.load();
  });
  done.assign(waiters_.begin(), rest);
  waiters_.erase(waiters_.begin(), rest);
  SyncWaiter* next = nullptr;
  if (!waiters_.empty()) {
    next = waiters_.front();
    waiters_.erase(waiters_.begin());
  } else {
    syncing_ = false;
  }
  lock.unlock();
  for (SyncWaiter* w : done) {
    w->status = result;
    Wake(w->state, SyncWaiter::kDone);
  }
  if (next != nullptr) Wake(next->state, SyncWaiter::kLead);
  return result;
}

}  // namespace weft::mds
