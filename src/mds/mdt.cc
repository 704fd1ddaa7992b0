// Mdt: formatting, opening, and the start-up work (counters, orphans left by the last run).
#include "mds/mdt.h"

#include "mds/keys.h"
#include "mds/ops/op_util.h"
#include "mds/txn.h"

namespace weft::mds {
namespace {

constexpr uint32_t kFormatVersion = 1;

uint64_t MakeIno(uint32_t index, uint64_t n) { return (uint64_t{index} << 48) | n; }

Inode RootInode(const FormatOptions& options, int64_t now) {
  Inode root;
  root.set_ino(MakeIno(options.index, 1));
  root.set_type(DIRECTORY);
  root.set_mode(options.root_mode & kPermBits);
  root.set_uid(options.root_uid);
  root.set_gid(options.root_gid);
  root.set_nlink(2);
  root.set_atime_ns(now);
  root.set_mtime_ns(now);
  root.set_ctime_ns(now);
  root.set_generation(1);
  root.set_parent(root.ino());
  return root;
}

}  // namespace

Status Mdt::Format(MdtStore& store, const FormatOptions& options) {
  Result<std::string> existing = store.Get(Family::kMeta, kFormatKey);
  if (existing.ok()) return Status(StatusCode::kAlreadyExists, "the MDT is already formatted");
  if (existing.status().code() != StatusCode::kNotFound) return existing.status();
  if (options.index > 0xffff) return Status(StatusCode::kInvalidArgument, "MDT index > 0xffff");
  MdtFormat format;
  format.set_version(kFormatVersion);
  format.set_fsname(options.fsname);
  format.set_index(options.index);
  format.set_uuid(options.uuid);
  format.mutable_default_layout()->set_stripe_size(options.default_stripe_size);
  format.mutable_default_layout()->set_stripe_count(options.default_stripe_count);
  format.set_max_inodes(options.max_inodes);
  Inode root = RootInode(options, NowNs());
  WriteBatch batch;
  batch.Put(Family::kMeta, std::string(kFormatKey), format.SerializeAsString());
  batch.Put(Family::kInodes, InodeKey(root.ino()), root.SerializeAsString());
  std::string next, count;
  AppendU64(&next, MakeIno(options.index, 2));
  AppendU64(&count, 1);
  batch.Put(Family::kMeta, std::string(kNextInoKey), next);
  batch.Put(Family::kMeta, InodeCountKey(LockTable::StripeOf(root.ino())), count);
  return store.Commit(batch);
}

Result<std::unique_ptr<Mdt>> Mdt::Open(std::unique_ptr<MdtStore> store, OstAllocator* allocator,
                                      MdtOptions options) {
  std::unique_ptr<Mdt> mdt(new Mdt(std::move(store), allocator, options));
  WEFT_RETURN_IF_ERROR(mdt->Load());
  return mdt;
}

Mdt::Mdt(std::unique_ptr<MdtStore> store, OstAllocator* allocator, MdtOptions options)
    : store_(std::move(store)),
      allocator_(allocator),
      options_(options),
      inode_counts_(LockTable::kStripes, 0) {}

Status Mdt::Load() {
  Result<std::string> format = store_->Get(Family::kMeta, kFormatKey);
  if (!format.ok() && format.status().code() == StatusCode::kNotFound) {
    return Status(StatusCode::kNotFound, "the store holds no formatted MDT");
  }
  if (!format.ok()) return format.status();
  if (!format_.ParseFromString(*format) || format_.version() != kFormatVersion) {
    return Status(StatusCode::kInternal, "unreadable or unsupported MDT format record");
  }
  root_ino_ = MakeIno(format_.index(), 1);
  WEFT_ASSIGN_OR_RETURN(std::string next, store_->Get(Family::kMeta, kNextInoKey));
  next_ino_ = ino_limit_ = ReadU64(next);
  WEFT_RETURN_IF_ERROR(LoadInodeCounts());
  WEFT_RETURN_IF_ERROR(LoadReplySeq());
  return CleanOrphans();
}

Status Mdt::LoadInodeCounts() {
  return store_->Scan(Family::kMeta, kInodeCountPrefix, kInodeCountPrefix,
                      [this](std::string_view key, std::string_view value) {
                        uint64_t stripe = ReadU64(key.substr(kInodeCountPrefix.size()));
                        if (stripe < inode_counts_.size()) {
                          inode_counts_[stripe] = static_cast<int64_t>(ReadU64(value));
                        }
                        return true;
                      });
}

Status Mdt::LoadReplySeq() {
  uint64_t last = 0;
  WEFT_RETURN_IF_ERROR(store_->Scan(Family::kMeta, kReplySeqPrefix, kReplySeqPrefix,
                                    [&last](std::string_view key, std::string_view) {
                                      last = ReadU64(key.substr(kReplySeqPrefix.size()));
                                      return true;
                                    }));
  reply_seq_ = last;
  return Status::Ok();
}

// Files unlinked while open in the last run have no opener left: drop them now.
Status Mdt::CleanOrphans() {
  std::vector<uint64_t> open_unlinked;
  WEFT_RETURN_IF_ERROR(store_->Scan(Family::kOrphans, "", "",
                                    [&](std::string_view key, std::string_view value) {
                                      Orphan orphan;
                                      if (orphan.ParseFromArray(value.data(), value.size()) &&
                                          orphan.reason() == Orphan::OPEN_UNLINKED) {
                                        open_unlinked.push_back(InodeFromKey(key));
                                      }
                                      return true;
                                    }));
  for (uint64_t ino : open_unlinked) {
    MultiLock lock(inode_locks_, {ino});
    WEFT_ASSIGN_OR_RETURN(Inode inode, GetInode(ino));
    Txn txn(*this);
    WEFT_RETURN_IF_ERROR(DeleteInode(txn, inode));
    WEFT_RETURN_IF_ERROR(txn.Commit(nullptr, EmptyReply()));
  }
  return Status::Ok();
}

}  // namespace weft::mds
