// ObjectStore: one OST, a directory of object files, read and written through the event
// loop's io_uring.
//
//   TARGET/weft-label            the label (weftctl mkfs --ost)
//   TARGET/objects/XX/INODE.STRIPE   one file per object: XX = two hex digits of a hash,
//                                INODE in hex, STRIPE in decimal
//
// An object comes into being on its first Write (or Punch). Data I/O and fdatasync go through
// EventLoop::Current()->uring(); aligned requests (offset, length and buffer on 4 KiB) use an
// O_DIRECT descriptor when the file system allows one, others the buffered descriptor. Open
// descriptors are kept in a bounded LRU cache. A buffer registered with the loop's ring (the
// RPC layer's message and bulk buffers are) is read into and written from with
// ReadFixed/WriteFixed, so its pages are not pinned again for each O_DIRECT transfer.
//
// Threading: one loop. Open on any thread; every other call on the loop thread that serves the
// store (they use that loop's ring).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>

#include "common/async_util.h"
#include "common/status.h"
#include "common/target_label.h"
#include "common/task.h"
#include "common/uring.h"

namespace weft::oss {

struct ObjectKey {
  uint64_t inode = 0;
  uint64_t stripe = 0;
  bool operator==(const ObjectKey&) const = default;
};

struct ObjectKeyHash {
  size_t operator()(const ObjectKey& k) const;
};

struct ObjectAttr {
  uint64_t size = 0;
  uint64_t allocated_bytes = 0;
};

struct StoreSpace {
  uint64_t bytes_total = 0;
  uint64_t bytes_free = 0;
  uint64_t bytes_avail = 0;
  uint64_t inodes_total = 0;
  uint64_t inodes_free = 0;
};

// The bytes of one write, handed over in order as they arrive: Next() gives the next piece, an
// empty span after the last, or the error that ends the write. A piece stays valid until the
// write returns.
class WriteSource {
 public:
  virtual ~WriteSource() = default;
  virtual Task<Result<std::span<const char>>> Next() = 0;
  // Where the pieces lie in the loop's io_uring fixed buffers; valid after the first Next().
  virtual FixedBuffer fixed() const = 0;
};

class ObjectStore {
 public:
  struct Options {
    size_t max_open_objects = 1024;
    bool use_direct_io = true;
    // Bulk writes of at least 2 pieces (rpc::kBulkCrcPiece) go to disk piece by piece as they
    // arrive, while the rest of the transfer is in flight (WritePieces); off: whole, then written.
    bool stream_writes = true;
  };

  // Opens the OST at `dir`: reads its label (refusing an unformatted directory or one that is
  // not an OST) and checks the objects directory.
  static Result<std::unique_ptr<ObjectStore>> Open(const std::string& dir, const Options& options);
  static Result<std::unique_ptr<ObjectStore>> Open(const std::string& dir) {
    return Open(dir, Options{});
  }
  ~ObjectStore();
  ObjectStore(const ObjectStore&) = delete;
  ObjectStore& operator=(const ObjectStore&) = delete;

  const TargetLabel& label() const { return label_; }
  const std::string& dir() const { return dir_; }
  bool stream_writes() const { return options_.stream_writes; }

  // Reads up to buf.size() bytes at `offset`; returns the count, short at end of object and 0
  // for an object never written. Holes read as zeros. `fixed`: where buf lies in the current
  // loop's ring's fixed buffers, if it does.
  Task<Result<size_t>> Read(ObjectKey key, uint64_t offset, std::span<char> buf,
                            FixedBuffer fixed = {});
  // Writes all of `data` at `offset`, creating the object. kNoSpace when the disk is full; the
  // object then keeps its earlier size, and one this write created is removed (unless another
  // write was at the object meanwhile: its bytes may be acknowledged).
  Task<Result<size_t>> Write(ObjectKey key, uint64_t offset, std::span<const char> data,
                             FixedBuffer fixed = {});
  // Writes `source`'s bytes at `offset`, creating the object, each piece going to disk as soon
  // as the source hands it over while the later ones are still arriving (a bulk transfer in
  // flight). On an error, the source's or the disk's, nothing is acknowledged and the object
  // keeps its earlier size (one this write created is removed), but pieces handed over before
  // the error may have been stored.
  Task<Result<size_t>> WritePieces(ObjectKey key, uint64_t offset, WriteSource& source);
  // fdatasync of the object (and of its directory entry when new). A missing object is Ok.
  Task<Status> Sync(ObjectKey key);
  // Sets the object's size, creating it if missing.
  Task<Status> Punch(ObjectKey key, uint64_t size);
  // Deallocates [offset, offset + length) (it reads as zeros; the size stays), through the
  // loop's ring. A missing object is Ok; kNotSupported if the file system cannot.
  Task<Status> PunchHole(ObjectKey key, uint64_t offset, uint64_t length);
  // lseek(2) SEEK_DATA (or SEEK_HOLE if `hole`) from `offset`: where the next data (hole)
  // starts; nothing if no data follows. The end counts as a hole, a missing object is all hole.
  // A system call on the loop, as ftruncate: io_uring has no lseek.
  Result<std::optional<uint64_t>> Seek(ObjectKey key, uint64_t offset, bool hole);
  // Removes the object; returns whether it existed.
  Result<bool> Destroy(ObjectKey key);
  // kNotFound for an object never written.
  Result<ObjectAttr> GetAttr(ObjectKey key);
  Result<StoreSpace> Statfs() const;

  // The object's file name, for tests.
  std::string ObjectPath(ObjectKey key) const;
  size_t open_objects() const { return cache_.size(); }
  // Objects on the OST: counted when it is opened, then kept up to date by the creates and
  // destroys that go through this store. Safe from any thread (metrics scrapes).
  uint64_t object_count() const { return objects_.load(std::memory_order_relaxed); }

 private:
  struct OpenObject;
  using ObjectRef = std::shared_ptr<OpenObject>;

  ObjectStore(std::string dir, TargetLabel label, Options options);
  // The cached or newly opened object; kNotFound if it does not exist and !create. Sets
  // *created when this call created it.
  Result<ObjectRef> Get(ObjectKey key, bool create, bool* created = nullptr);
  struct WriteStart {
    off_t size_before = 0;
    uint64_t epoch = 0;
    bool alone = false;  // no other write in flight on the object when this one began
  };
  Result<WriteStart> BeginWrite(OpenObject& obj);
  // The write's count, or its failure once what it created or grew is undone.
  Result<size_t> EndWrite(ObjectKey key, OpenObject& obj, const WriteStart& start, bool created,
                          const Status& status, size_t count);
  // Writes all of `data` at `offset` into `obj`: O_DIRECT where aligned and allowed, buffered
  // otherwise and for what a direct write left.
  Task<Status> WriteAt(OpenObject& obj, std::span<const char> data, uint64_t offset,
                       FixedBuffer fixed);
  // One piece of WritePieces, spawned: WriteAt, then group->Done.
  Task<void> WritePiece(ObjectRef obj, std::span<const char> data, uint64_t offset,
                        FixedBuffer fixed, WaitGroup* group);
  void Forget(ObjectKey key);
  // The O_DIRECT descriptor of `obj`, or -1 when direct I/O is off or refused.
  int DirectFd(OpenObject& obj);
  // One direct transfer, on the fixed buffer when it belongs to `ring`.
  static UringTransfer DirectOp(Uring& ring, bool write, int fd, char* buf, size_t len,
                                uint64_t off, FixedBuffer fixed);
  // Objects under dir/objects, for object_count().
  static Result<uint64_t> CountObjects(const std::string& objects_dir);

  std::string dir_;
  TargetLabel label_;
  Options options_;
  bool direct_ok_;
  using Lru = std::list<ObjectKey>;
  struct Entry {
    ObjectRef obj;
    Lru::iterator lru;
  };
  Lru lru_;  // most recently used first
  std::unordered_map<ObjectKey, Entry, ObjectKeyHash> cache_;
  std::atomic<uint64_t> objects_{0};
};

}  // namespace weft::oss
