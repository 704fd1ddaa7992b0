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

  // Adds the reply record (if `tag`) and the counters to the batch and commits it durably.
  Status Commit(const ReplyTag* tag, const google::protobuf::MessageLite& reply);
  // Commit in two steps, for an operation that lets go of its locks before it waits for the
  // disk, so that operations on one directory share their log syncs: Apply (locks held) adds
  // the reply record and counters and makes the batch visible; Durable (locks released)
  // returns once it is durable. The reply must not leave before Durable returns ok.
  Status Apply(const ReplyTag* tag, const google::protobuf::MessageLite& reply);
  Status Durable();

 private:
  Mdt& mdt_;
  WriteBatch batch_;
  std::vector<std::pair<uint32_t, int64_t>> counts_;  // (stripe, delta)
  std::optional<DestroyItem> destroy_queued_;  // the file queued for destruction, if any
};

}  // namespace weft::mds
