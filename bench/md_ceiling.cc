#include "md_ceiling.h"

#include <chrono>
#include <thread>
#include <vector>

#include "mds.pb.h"
#include "mds/keys.h"
#include "mds/lock_table.h"

namespace weft::bench {
namespace {

using mds::Family;

constexpr uint64_t kMdt0 = 0;  // inode numbers of MDT 0: (0 << 48) | n

// Inode numbers: each thread's directory, and the file i of thread t in a round.
uint64_t DirIno(int thread) { return kMdt0 | (uint64_t{1} << 40) | uint64_t(thread); }
uint64_t FileIno(int thread, uint64_t i, uint64_t round) {
  return kMdt0 | (round << 32) | (uint64_t(thread) << 24) | i;
}
std::string FileName(int thread, uint64_t i) {
  return "f." + std::to_string(thread) + "." + std::to_string(i);
}

int64_t Now() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

mds::Layout OneStripe(uint64_t ino) {
  mds::Layout layout;
  layout.set_stripe_size(1 << 20);
  layout.set_stripe_count(1);
  mds::StripeObject* object = layout.add_objects();
  object->set_ost_index(0);
  object->set_object_id(ino);
  return layout;
}

// A regular file as Mdt::NewChild makes it.
mds::Inode FileInode(uint64_t ino, int64_t now) {
  mds::Inode inode;
  inode.set_ino(ino);
  inode.set_type(mds::REGULAR);
  inode.set_mode(0644);
  inode.set_uid(1000);
  inode.set_gid(1000);
  inode.set_nlink(1);
  inode.set_atime_ns(now);
  inode.set_mtime_ns(now);
  inode.set_ctime_ns(now);
  inode.set_generation(1);
  *inode.mutable_layout() = OneStripe(ino);
  return inode;
}

mds::Inode DirInode(uint64_t ino, int64_t now) {
  mds::Inode inode;
  inode.set_ino(ino);
  inode.set_type(mds::DIRECTORY);
  inode.set_mode(0755);
  inode.set_nlink(2);
  inode.set_atime_ns(now);
  inode.set_mtime_ns(now);
  inode.set_ctime_ns(now);
  inode.set_generation(1);
  inode.set_parent(1);
  return inode;
}

std::string U64(uint64_t v) {
  std::string s;
  mds::AppendU64(&s, v);
  return s;
}

// The inode count of the parent's stripe and the reply record with its sequence index, as
// Txn::Commit adds them.
void AddCountAndReply(mds::WriteBatch* batch, uint64_t parent, uint64_t seq, uint64_t request,
                      std::string body) {
  batch->Put(Family::kMeta, mds::InodeCountKey(mds::LockTable::StripeOf(parent)), U64(seq));
  mds::ReplyRecord record;
  record.set_status(0);
  record.set_body(std::move(body));
  record.set_seq(seq);
  uint64_t client = 0x5eedc0ffee000000ULL | parent;
  batch->Put(Family::kMeta, mds::ReplySeqKey(seq), U64(client) + U64(request));
  batch->Put(Family::kMeta, mds::ReplyKey(client, request), record.SerializeAsString());
}

}  // namespace

Result<std::unique_ptr<MdCeiling>> MdCeiling::Open(const std::string& path) {
  WEFT_ASSIGN_OR_RETURN(std::unique_ptr<mds::RocksMdtStore> store,
                        mds::RocksMdtStore::Open(path, mds::RocksMdtStore::OpenMode::kCreate));
  return std::unique_ptr<MdCeiling>(new MdCeiling(std::move(store)));
}

Status MdCeiling::One(Shape shape, int thread, uint64_t i, uint64_t round) {
  uint64_t parent = DirIno(thread), ino = FileIno(thread, i, round);
  std::string name = FileName(thread, i);
  if (shape == Shape::kStat) {
    WEFT_RETURN_IF_ERROR(store_->Get(Family::kDentries, mds::DentryKey(parent, name)).status());
    return store_->Get(Family::kInodes, mds::InodeKey(ino)).status();
  }
  int64_t now = Now();
  uint64_t seq = seq_.fetch_add(1) + 1;
  mds::WriteBatch batch;
  if (shape == Shape::kCreate) {
    mds::Inode file = FileInode(ino, now);
    mds::Dentry dentry;
    dentry.set_ino(ino);
    dentry.set_type(mds::REGULAR);
    batch.Put(Family::kInodes, mds::InodeKey(ino), file.SerializeAsString());
    batch.Put(Family::kInodes, mds::InodeKey(parent), DirInode(parent, now).SerializeAsString());
    batch.Put(Family::kDentries, mds::DentryKey(parent, name), dentry.SerializeAsString());
    mds::EntryReply reply;
    *reply.mutable_inode() = file;
    reply.set_created(true);
    AddCountAndReply(&batch, parent, seq, seq, reply.SerializeAsString());
  } else {
    batch.Delete(Family::kDentries, mds::DentryKey(parent, name));
    batch.Put(Family::kInodes, mds::InodeKey(parent), DirInode(parent, now).SerializeAsString());
    batch.Delete(Family::kInodes, mds::InodeKey(ino));
    mds::Orphan orphan;
    orphan.set_reason(mds::Orphan::DESTROY);
    *orphan.mutable_layout() = OneStripe(ino);
    batch.Put(Family::kOrphans, mds::InodeKey(ino), orphan.SerializeAsString());
    AddCountAndReply(&batch, parent, seq, seq, std::string());
  }
  return store_->Commit(batch);
}

Result<double> MdCeiling::Measure(Shape shape, int threads, uint64_t per_thread,
                                  uint64_t round) {
  std::vector<Status> results(threads);
  std::vector<std::thread> workers;
  auto start = std::chrono::steady_clock::now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([this, shape, t, per_thread, round, &results] {
      for (uint64_t i = 0; i < per_thread && results[t].ok(); ++i) {
        results[t] = One(shape, t, i, round);
      }
    });
  }
  for (std::thread& w : workers) w.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (const Status& st : results) WEFT_RETURN_IF_ERROR(st);
  return double(threads) * double(per_thread) / secs;
}

Result<double> MdCeiling::Creates(int threads, uint64_t per_thread, uint64_t round) {
  return Measure(Shape::kCreate, threads, per_thread, round);
}

Result<double> MdCeiling::Stats(int threads, uint64_t per_thread, uint64_t round) {
  return Measure(Shape::kStat, threads, per_thread, round);
}

Result<double> MdCeiling::Unlinks(int threads, uint64_t per_thread, uint64_t round) {
  return Measure(Shape::kUnlink, threads, per_thread, round);
}

}  // namespace weft::bench
