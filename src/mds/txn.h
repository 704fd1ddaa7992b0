// Txn: the one WriteBatch of one operation, plus what must change in memory if it commits.
//
// Threading: one Txn belongs to one operation on one thread. The caller holds the inode locks
// of every inode it counts (CountInodes) until Commit (or Apply) returns.
#pragma once

#include <string_view>
#include <utility>
#include <vector>

#include <google/protobuf/message_lite.h>

#include "mds/mdt.h"

namespace weft::mds {

class Txn {
 public:
  explicit Txn(Mdt& mdt) : mdt_(mdt) {}

  WriteBatch& batch() { return batch_; }
  void PutInode(const Inode& inode);
  void PutDentry(uint64_t parent, std::string_view name, uint64_t ino, FileType type);
  void DeleteDentry(uint64_t parent, std::string_view name);
  // Adds `delta` to the inode count of `locked_ino`'s lock stripe when the batch commits.
  // REQUIRES: the inode lock of `locked_ino` is held until Commit returns.
  void CountInodes(uint64_t locked_ino, int64_t delta);
  // The batch queues `ino` for destruction: the Mdt's hook hears of it once it is durable.
  void NoteDestroyQueued(uint64_t ino, const Layout& layout) {
    destroy_queued_ = DestroyItem{ino, layout};
  }

  // A batch that may be seen before its log sync (SyncNeed::kSoon): attribute changes. Under
  // a DeferredSync the reply then does not wait for the sync (DeferredSync::soon); without
  // one, Durable still syncs.
  void SyncSoon() { need_ = SyncNeed::kSoon; }
  // A namespace change: kBeforeSeen, or kSoon where the MDT says so (sync_namespace).
  void NamespaceChange() {
    if (!mdt_.options_.sync_namespace) need_ = SyncNeed::kSoon;
  }

  // Adds the reply record (if `tag`) and the counters to the batch and commits it durably.
  Status Commit(const ReplyTag* tag, const google::protobuf::MessageLite& reply);
  // Commit in two steps, for an operation that lets go of its locks before it waits for the
  // disk, so that operations on one directory share their log syncs: Apply (locks held) adds
  // the reply record and counters and makes the batch visible; Durable (locks released)
  // returns once it is durable. The reply must not leave before Durable returns ok.
  Status Apply(const ReplyTag* tag, const google::protobuf::MessageLite& reply);
  // Under a DeferredSync, notes the sync the reply must wait for instead of waiting.
  Status Durable();

 private:
  Mdt& mdt_;
  WriteBatch batch_;
  std::vector<std::pair<uint32_t, int64_t>> counts_;  // (stripe, delta)
  std::optional<DestroyItem> destroy_queued_;  // the file queued for destruction, if any
  SyncNeed need_ = SyncNeed::kBeforeSeen;
};

// A change whose reply waits for the log sync elsewhere, so that no thread sits in a futex per
// operation (LogSyncer). While a DeferredSync::Scope is active on a thread, Txn::Durable does
// not wait there: it notes in the DeferredSync that a sync is needed, and keeps the files it
// would have announced as queued for destruction. The owner then waits for a sync that starts
// after the change, and calls Finish before the reply leaves.
class DeferredSync {
 public:
  explicit DeferredSync(Mdt& mdt) : mdt_(mdt) {}
  DeferredSync(const DeferredSync&) = delete;
  DeferredSync& operator=(const DeferredSync&) = delete;

  // Makes `deferred` the thread's current one for the scope's life. Scopes nest.
  class Scope {
   public:
    explicit Scope(DeferredSync& deferred);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    DeferredSync* outer_;
  };

  static DeferredSync* Current();
  // True if a batch applied under it waits for a sync.
  bool needed() const { return needed_; }
  // True if a kSoon batch was applied under it: the owner asks for a sync soon, not waiting.
  bool soon() const { return soon_; }
  // Once that sync is done (never before): announces the destroys queued under it.
  void Finish();

 private:
  friend class Txn;
  Mdt& mdt_;
  bool needed_ = false;
  bool soon_ = false;
  std::vector<DestroyItem> destroys_;
};

}  // namespace weft::mds
