#include "mds/txn.h"

#include "mds/keys.h"

namespace weft::mds {

void Txn::PutInode(const Inode& inode) {
  batch_.Put(Family::kInodes, InodeKey(inode.ino()), inode.SerializeAsString());
}

void Txn::PutDentry(uint64_t parent, std::string_view name, uint64_t ino, FileType type) {
  Dentry dentry;
  dentry.set_ino(ino);
  dentry.set_type(type);
  batch_.Put(Family::kDentries, DentryKey(parent, name), dentry.SerializeAsString());
}

void Txn::DeleteDentry(uint64_t parent, std::string_view name) {
  batch_.Delete(Family::kDentries, DentryKey(parent, name));
}

void Txn::CountInodes(uint64_t locked_ino, int64_t delta) {
  uint32_t stripe = LockTable::StripeOf(locked_ino);
  for (auto& [s, d] : counts_) {
    if (s == stripe) {
      d += delta;
      return;
    }
  }
  counts_.emplace_back(stripe, delta);
}

Status Txn::Commit(const ReplyTag* tag, const google::protobuf::MessageLite& reply) {
  WEFT_RETURN_IF_ERROR(Apply(tag, reply));
  return Durable();
}

Status Txn::Apply(const ReplyTag* tag, const google::protobuf::MessageLite& reply) {
  for (const auto& [stripe, delta] : counts_) {
    std::string value;
    AppendU64(&value, static_cast<uint64_t>(mdt_.inode_counts_[stripe] + delta));
    batch_.Put(Family::kMeta, InodeCountKey(stripe), std::move(value));
  }
  if (tag != nullptr) {
    ReplyRecord record;
    record.set_status(0);
    record.set_body(reply.SerializeAsString());
    record.set_seq(mdt_.reply_seq_.fetch_add(1) + 1);
    std::string index;
    AppendU64(&index, tag->client_id);
    AppendU64(&index, tag->request_id);
    batch_.Put(Family::kMeta, ReplySeqKey(record.seq()), std::move(index));
    batch_.Put(Family::kMeta, ReplyKey(tag->client_id, tag->request_id),
               record.SerializeAsString());
  }
  WEFT_RETURN_IF_ERROR(mdt_.store_->Apply(batch_, need_));
  for (const auto& [stripe, delta] : counts_) mdt_.inode_counts_[stripe] += delta;
  return Status::Ok();
}

// The log sync is shared with every operation waiting at the time (RocksMdtStore::Sync).
Status Txn::Durable() {
  if (DeferredSync* deferred = DeferredSync::Current()) {
    (need_ == SyncNeed::kSoon ? deferred->soon_ : deferred->needed_) = true;
    if (destroy_queued_) deferred->destroys_.push_back(std::move(*destroy_queued_));
    destroy_queued_.reset();
    return Status::Ok();
  }
  WEFT_RETURN_IF_ERROR(mdt_.store_->Sync());
  if (destroy_queued_) mdt_.NotifyDestroyQueued(*destroy_queued_);
  return Status::Ok();
}

namespace {
thread_local DeferredSync* current_deferred = nullptr;
}  // namespace

DeferredSync::Scope::Scope(DeferredSync& deferred) : outer_(current_deferred) {
  current_deferred = &deferred;
}

DeferredSync::Scope::~Scope() { current_deferred = outer_; }

DeferredSync* DeferredSync::Current() { return current_deferred; }

void DeferredSync::Finish() {
  for (const DestroyItem& item : destroys_) mdt_.NotifyDestroyQueued(item);
  destroys_.clear();
}

}  // namespace weft::mds
