// Mdt: reply records for exactly-once execution, and the destroy queue.
#include "mds/keys.h"
#include "mds/mdt.h"

namespace weft::mds {

Result<std::optional<rpc::RecordedReply>> Mdt::LookupReply(uint64_t client_id,
                                                          uint64_t request_id) {
  Result<std::string> value = store_->Get(Family::kMeta, ReplyKey(client_id, request_id));
  if (!value.ok() && value.status().code() == StatusCode::kNotFound) {
    return std::optional<rpc::RecordedReply>();
  }
  if (!value.ok()) return value.status();
  ReplyRecord record;
  if (!record.ParseFromString(*value)) {
    return Status(StatusCode::kInternal, "unreadable reply record");
  }
  return std::optional<rpc::RecordedReply>(rpc::RecordedReply{record.status(), record.body()});
}

Status Mdt::RecordReply(uint64_t client_id, uint64_t request_id,
                        const rpc::RecordedReply& reply) {
  ReplyRecord record;
  record.set_status(reply.status);
  record.set_body(reply.body);
  record.set_seq(reply_seq_.fetch_add(1) + 1);
  std::string index;
  AppendU64(&index, client_id);
  AppendU64(&index, request_id);
  WriteBatch batch;
  batch.Put(Family::kMeta, ReplySeqKey(record.seq()), std::move(index));
  batch.Put(Family::kMeta, ReplyKey(client_id, request_id), record.SerializeAsString());
  return store_->Commit(batch);
}

Status Mdt::TrimReplies(uint64_t keep) {
  uint64_t last = reply_seq_.load();
  if (last <= keep) return Status::Ok();
  uint64_t below = last - keep + 1;  // records with seq < below go
  uint64_t from = replies_trimmed_below_.load();
  if (from >= below) return Status::Ok();
  WriteBatch batch;
  WEFT_RETURN_IF_ERROR(store_->Scan(
      Family::kMeta, ReplySeqKey(from), kReplySeqPrefix,
      [&](std::string_view key, std::string_view value) {
        if (ReadU64(key.substr(kReplySeqPrefix.size())) >= below || value.size() != 16) {
          return false;
        }
        batch.Delete(Family::kMeta, std::string(key));
        batch.Delete(Family::kMeta, ReplyKey(ReadU64(value), ReadU64(value.substr(8))));
        return true;
      }));
  if (!batch.empty()) WEFT_RETURN_IF_ERROR(store_->Commit(batch));
  replies_trimmed_below_.store(below);
  return Status::Ok();
}

Result<std::vector<DestroyItem>> Mdt::PendingDestroys(size_t max, uint64_t after) {
  std::vector<DestroyItem> items;
  if (max == 0 || after == UINT64_MAX) return items;
  WEFT_RETURN_IF_ERROR(store_->Scan(Family::kOrphans, InodeKey(after + 1), "",
                                    [&](std::string_view key, std::string_view value) {
                                      Orphan orphan;
                                      if (orphan.ParseFromArray(value.data(), value.size()) &&
                                          orphan.reason() == Orphan::DESTROY) {
                                        items.push_back({InodeFromKey(key), orphan.layout()});
                                      }
                                      return items.size() < max;
                                    }));
  // An unlink applies its orphan before it syncs it (Txn::Apply): no object may be destroyed
  // for an unlink a crash could still take back.
  WEFT_RETURN_IF_ERROR(store_->Sync());
  return items;
}

Result<size_t> Mdt::DestroyQueueLength() {
  size_t n = 0;
  WEFT_RETURN_IF_ERROR(store_->Scan(Family::kOrphans, "", "",
                                    [&n](std::string_view, std::string_view value) {
                                      Orphan orphan;
                                      if (orphan.ParseFromArray(value.data(), value.size()) &&
                                          orphan.reason() == Orphan::DESTROY) {
                                        ++n;
                                      }
                                      return true;
                                    }));
  return n;
}

Result<std::optional<DestroyItem>> Mdt::GetDestroyItem(uint64_t ino) {
  Result<std::string> value = store_->Get(Family::kOrphans, InodeKey(ino));
  if (!value.ok() && value.status().code() == StatusCode::kNotFound) {
    return std::optional<DestroyItem>();
  }
  if (!value.ok()) return value.status();
  Orphan orphan;
  if (!orphan.ParseFromString(*value) || orphan.reason() != Orphan::DESTROY) {
    return std::optional<DestroyItem>();
  }
  return std::optional<DestroyItem>(DestroyItem{ino, orphan.layout()});
}

void Mdt::SetDestroyQueuedHook(std::function<void(const DestroyItem&)> hook) {
  std::lock_guard lock(hook_mu_);
  destroy_queued_hook_ = std::move(hook);
}

void Mdt::NotifyDestroyQueued(const DestroyItem& item) {
  std::lock_guard lock(hook_mu_);
  if (destroy_queued_hook_) destroy_queued_hook_(item);
}

Status Mdt::DestroyDone(uint64_t ino) {
  MultiLock lock(inode_locks_, {ino});
  Result<std::string> value = store_->Get(Family::kOrphans, InodeKey(ino));
  if (!value.ok()) return value.status();
  Orphan orphan;
  if (!orphan.ParseFromString(*value) || orphan.reason() != Orphan::DESTROY) {
    return Status(StatusCode::kInvalidArgument, "inode is not awaiting destruction");
  }
  WriteBatch batch;
  batch.Delete(Family::kOrphans, InodeKey(ino));
  return store_->Apply(batch);
}

Result<size_t> Mdt::DestroyDone(const std::vector<uint64_t>& inos) {
  WriteBatch batch;
  size_t n = 0;
  for (uint64_t ino : inos) {
    MultiLock lock(inode_locks_, {ino});
    Result<std::string> value = store_->Get(Family::kOrphans, InodeKey(ino));
    if (value.status().code() == StatusCode::kNotFound) continue;
    if (!value.ok()) return value.status().WithContext("inode " + std::to_string(ino));
    Orphan orphan;
    if (!orphan.ParseFromString(*value) || orphan.reason() != Orphan::DESTROY) continue;
    batch.Delete(Family::kOrphans, InodeKey(ino));
    ++n;
  }
  if (n == 0) return n;
  // Applied, not synced: it becomes durable with the next log sync (the next change's). A
  // crash before that brings the items back and their objects are destroyed again, which is
  // harmless (inode numbers are never reused; a Destroy of a missing object succeeds), and
  // cheaper than a disk sync per batch. Only the worker dequeues, so no item changes between
  // its check above and this.
  WEFT_RETURN_IF_ERROR(store_->Apply(batch));
  return n;
}

}  // namespace weft::mds
