#include "oss/object_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "common/event_loop.h"
#include "common/uring.h"

namespace weft::oss {
namespace {

constexpr uint64_t kDirectAlign = 4096;
constexpr char kObjectsDir[] = "objects";

bool Aligned(uint64_t v) { return v % kDirectAlign == 0; }
bool Aligned(const void* p) { return reinterpret_cast<uintptr_t>(p) % kDirectAlign == 0; }

uint64_t Mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

}  // namespace

size_t ObjectKeyHash::operator()(const ObjectKey& k) const {
  return static_cast<size_t>(Mix(k.inode * 31 + Mix(k.stripe)));
}

struct ObjectStore::OpenObject {
  ~OpenObject() {
    if (fd >= 0) ::close(fd);
    if (direct_fd >= 0) ::close(direct_fd);
  }
  std::string path;
  std::string parent;
  int fd = -1;
  int direct_fd = -1;
  bool direct_tried = false;
  bool dirent_unsynced = false;  // created since the last Sync: its directory entry is not yet durable
  // Writes through this handle: running, and started in all (a write that fails undoes its
  // growth only if no other ran beside it).
  int writes_in_flight = 0;
  uint64_t write_epoch = 0;
};

ObjectStore::ObjectStore(std::string dir, TargetLabel label, Options options)
    : dir_(std::move(dir)),
      label_(std::move(label)),
      options_(options),
      direct_ok_(options.use_direct_io) {}

ObjectStore::~ObjectStore() = default;

Result<std::unique_ptr<ObjectStore>> ObjectStore::Open(const std::string& dir,
                                                       const Options& options) {
  WEFT_ASSIGN_OR_RETURN(TargetLabel label, ReadTargetLabel(dir));
  if (label.type != "OST") {
    return Status(StatusCode::kInvalidArgument,
                  dir + " is formatted as " + label.Name() +
                      ", not an OST; format an OST with `weftctl mkfs --ost`");
  }
  std::string objects = dir + "/" + kObjectsDir;
  struct stat st;
  if (::stat(objects.c_str(), &st) != 0) {
    int err = errno;
    if (err != ENOENT || ::mkdir(objects.c_str(), 0755) != 0) {
      return ErrnoStatus("object directory " + objects, errno);
    }
  } else if (!S_ISDIR(st.st_mode)) {
    return Status(StatusCode::kNotDirectory, objects + " is not a directory");
  }
  if (options.max_open_objects == 0) {
    return Status(StatusCode::kInvalidArgument, "max_open_objects must be at least 1");
  }
  WEFT_ASSIGN_OR_RETURN(uint64_t count, CountObjects(objects));
  std::unique_ptr<ObjectStore> store(new ObjectStore(dir, std::move(label), options));
  store->objects_ = count;
  return store;
}

Result<uint64_t> ObjectStore::CountObjects(const std::string& objects_dir) {
  uint64_t count = 0;
  std::error_code ec;
  for (const auto& fanout : std::filesystem::directory_iterator(objects_dir, ec)) {
    if (!fanout.is_directory(ec)) continue;
    for (const auto& f : std::filesystem::directory_iterator(fanout.path(), ec)) {
      if (f.is_regular_file(ec)) ++count;
    }
    if (ec) break;
  }
  if (ec) return ErrnoStatus("counting the objects in " + objects_dir, ec.value());
  return count;
}

std::string ObjectStore::ObjectPath(ObjectKey key) const {
  char name[96];
  std::snprintf(name, sizeof(name), "/%s/%02x/%" PRIx64 ".%" PRIu64, kObjectsDir,
                static_cast<unsigned>(ObjectKeyHash{}(key) & 0xff), key.inode, key.stripe);
  return dir_ + name;
}

Result<ObjectStore::ObjectRef> ObjectStore::Get(ObjectKey key, bool create, bool* created) {
  auto it = cache_.find(key);
  if (it != cache_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    return it->second.obj;
  }
  auto obj = std::make_shared<OpenObject>();
  obj->path = ObjectPath(key);
  obj->parent = obj->path.substr(0, obj->path.rfind('/'));
  int fd = ::open(obj->path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT && create) {
    // O_EXCL tells us whether we created it (its directory entry then needs a sync).
    fd = ::open(obj->path.c_str(), O_RDWR | O_CLOEXEC | O_CREAT | O_EXCL, 0644);
    if (fd < 0 && errno == ENOENT) {
      if (::mkdir(obj->parent.c_str(), 0755) != 0 && errno != EEXIST) {
        return ErrnoStatus("creating " + obj->parent, errno);
      }
      fd = ::open(obj->path.c_str(), O_RDWR | O_CLOEXEC | O_CREAT | O_EXCL, 0644);
    }
    if (fd >= 0) {
      obj->dirent_unsynced = true;
      if (created != nullptr) *created = true;
      objects_.fetch_add(1, std::memory_order_relaxed);
    } else if (errno == EEXIST) {
      fd = ::open(obj->path.c_str(), O_RDWR | O_CLOEXEC);
    }
  }
  if (fd < 0) return ErrnoStatus("opening object " + obj->path, errno);
  obj->fd = fd;
  while (cache_.size() >= options_.max_open_objects) {
    cache_.erase(lru_.back());  // in-flight calls keep their own reference
    lru_.pop_back();
  }
  lru_.push_front(key);
  cache_.emplace(key, Entry{obj, lru_.begin()});
  return obj;
}

void ObjectStore::Forget(ObjectKey key) {
  auto it = cache_.find(key);
  if (it == cache_.end()) return;
  lru_.erase(it->second.lru);
  cache_.erase(it);
}

int ObjectStore::DirectFd(OpenObject& obj) {
  if (!direct_ok_) return -1;
  if (!obj.direct_tried) {
    obj.direct_tried = true;
    obj.direct_fd = ::open(obj.path.c_str(), O_RDWR | O_CLOEXEC | O_DIRECT);
    if (obj.direct_fd < 0 && errno == EINVAL) direct_ok_ = false;  // the fs refuses O_DIRECT
  }
  return obj.direct_fd;
}

UringTransfer ObjectStore::DirectOp(Uring& ring, bool write, int fd, char* buf, size_t len,
                                    uint64_t off, FixedBuffer fixed) {
  if (fixed.ring == &ring) {
    return write ? ring.WriteFixed(fd, buf, len, off, fixed.index)
                 : ring.ReadFixed(fd, buf, len, off, fixed.index);
  }
  return write ? ring.Write(fd, buf, len, off) : ring.Read(fd, buf, len, off);
}

Task<Result<size_t>> ObjectStore::Read(ObjectKey key, uint64_t offset, std::span<char> buf,
                                       FixedBuffer fixed) {
  Result<ObjectRef> got = Get(key, /*create=*/false);
  if (!got.ok()) {
    if (got.status().code() == StatusCode::kNotFound) co_return size_t{0};
    co_return got.status();
  }
  ObjectRef obj = *got;
  Uring& ring = EventLoop::Current()->uring();
  size_t done = 0;
  if (Aligned(offset) && Aligned(buf.size()) && Aligned(buf.data())) {
    int dfd = DirectFd(*obj);
    // Direct reads while the position stays aligned; a count that ends unaligned is the end of
    // the object, the rest (none) is left to the buffered path.
    while (dfd >= 0 && done < buf.size() && Aligned(done)) {
      Result<size_t> n = co_await DirectOp(ring, false, dfd, buf.data() + done,
                                           buf.size() - done, offset + done, fixed);
      if (!n.ok()) {
        if (n.status().code() == StatusCode::kUnavailable) continue;
        if (n.status().code() == StatusCode::kInvalidArgument) break;  // fall back to buffered
        co_return n.status();
      }
      if (*n == 0) co_return done;
      done += *n;
    }
  }
  if (done < buf.size()) {
    Result<size_t> n =
        co_await ring.ReadFull(obj->fd, buf.data() + done, buf.size() - done, offset + done);
    if (!n.ok()) co_return n.status();
    done += *n;
  }
  co_return done;
}

Task<Status> ObjectStore::WriteAt(OpenObject& obj, std::span<const char> data, uint64_t offset,
                                  FixedBuffer fixed) {
  Uring& ring = EventLoop::Current()->uring();
  size_t done = 0;
  if (Aligned(offset) && Aligned(data.size()) && Aligned(data.data())) {
    int dfd = DirectFd(obj);
    while (dfd >= 0 && done < data.size() && Aligned(done)) {
      Result<size_t> n = co_await DirectOp(ring, true, dfd, const_cast<char*>(data.data()) + done,
                                           data.size() - done, offset + done, fixed);
      if (!n.ok()) {
        if (n.status().code() == StatusCode::kUnavailable) continue;
        if (n.status().code() == StatusCode::kInvalidArgument) break;
        co_return n.status();
      }
      if (*n == 0) break;  // let the buffered path report why
      done += *n;
    }
  }
  if (done < data.size()) {
    Result<size_t> n =
        co_await ring.WriteFull(obj.fd, data.data() + done, data.size() - done, offset + done);
    if (!n.ok()) co_return n.status();
  }
  co_return Status::Ok();
}

Result<ObjectStore::WriteStart> ObjectStore::BeginWrite(OpenObject& obj) {
  struct stat before;
  if (::fstat(obj.fd, &before) != 0) return ErrnoStatus("fstat " + obj.path, errno);
  ++obj.writes_in_flight;
  return WriteStart{before.st_size, ++obj.write_epoch, obj.writes_in_flight == 1};
}

Result<size_t> ObjectStore::EndWrite(ObjectKey key, OpenObject& obj, const WriteStart& start,
                                     bool created, const Status& status, size_t count) {
  --obj.writes_in_flight;
  if (status.ok()) return count;
  // Nothing of this write is acknowledged: undo the object it created or the growth it
  // caused, unless another write has been at the object meanwhile (its bytes may be
  // acknowledged).
  if (!start.alone || obj.write_epoch != start.epoch) return status;
  if (created) {
    Result<bool> gone = Destroy(key);
    if (!gone.ok()) return status.WithContext("and removing the object failed: " +
                                              gone.status().message());
    return status;
  }
  struct stat after;
  if (::fstat(obj.fd, &after) == 0 && after.st_size > start.size_before &&
      ::ftruncate(obj.fd, start.size_before) != 0) {
    return status.WithContext("and truncating back failed: " + std::string(std::strerror(errno)));
  }
  return status;
}

Task<Result<size_t>> ObjectStore::Write(ObjectKey key, uint64_t offset,
                                        std::span<const char> data, FixedBuffer fixed) {
  bool created = false;
  WEFT_CO_ASSIGN_OR_RETURN(ObjectRef obj, Get(key, /*create=*/true, &created));
  WEFT_CO_ASSIGN_OR_RETURN(WriteStart start, BeginWrite(*obj));
  Status st = co_await WriteAt(*obj, data, offset, fixed);
  co_return EndWrite(key, *obj, start, created, st, data.size());
}

Task<void> ObjectStore::WritePiece(ObjectRef obj, std::span<const char> data, uint64_t offset,
                                   FixedBuffer fixed, WaitGroup* group) {
  Status st = co_await WriteAt(*obj, data, offset, fixed);
  group->Done(st);
}

Task<Result<size_t>> ObjectStore::WritePieces(ObjectKey key, uint64_t offset,
                                              WriteSource& source) {
  bool created = false;
  WEFT_CO_ASSIGN_OR_RETURN(ObjectRef obj, Get(key, /*create=*/true, &created));
  WEFT_CO_ASSIGN_OR_RETURN(WriteStart start, BeginWrite(*obj));
  EventLoop& loop = *EventLoop::Current();
  WaitGroup group(loop);
  Status failed;
  size_t done = 0;
  for (;;) {
    Result<std::span<const char>> piece = co_await source.Next();
    if (!piece.ok()) {
      failed = piece.status();
      break;
    }
    if (piece->empty()) break;
    group.Add();
    loop.Spawn(WritePiece(obj, *piece, offset + done, source.fixed(), &group));
    done += piece->size();
  }
  Status written = co_await group.Wait();
  if (failed.ok()) failed = written;
  co_return EndWrite(key, *obj, start, created, failed, done);
}

Task<Status> ObjectStore::Sync(ObjectKey key) {
  Result<ObjectRef> got = Get(key, /*create=*/false);
  if (!got.ok()) {
    if (got.status().code() == StatusCode::kNotFound) co_return Status::Ok();
    co_return got.status();
  }
  ObjectRef obj = *got;
  Uring& ring = EventLoop::Current()->uring();
  WEFT_CO_RETURN_IF_ERROR(co_await ring.Fsync(obj->fd, /*datasync=*/true));
  if (obj->dirent_unsynced) {
    int dfd = ::open(obj->parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) co_return ErrnoStatus("opening " + obj->parent, errno);
    Status st = co_await ring.Fsync(dfd, /*datasync=*/false);
    ::close(dfd);
    WEFT_CO_RETURN_IF_ERROR(st);
    obj->dirent_unsynced = false;
  }
  co_return Status::Ok();
}

Task<Status> ObjectStore::Punch(ObjectKey key, uint64_t size) {
  WEFT_CO_ASSIGN_OR_RETURN(ObjectRef obj, Get(key, /*create=*/true));
  if (::ftruncate(obj->fd, static_cast<off_t>(size)) != 0) {
    co_return ErrnoStatus("truncating " + obj->path, errno);
  }
  co_return Status::Ok();
}

Task<Status> ObjectStore::PunchHole(ObjectKey key, uint64_t offset, uint64_t length) {
  Result<ObjectRef> obj = Get(key, /*create=*/false);
  if (obj.status().code() == StatusCode::kNotFound) co_return Status::Ok();  // all hole
  WEFT_CO_RETURN_IF_ERROR(obj.status());
  Status st = co_await EventLoop::Current()->uring().PunchHole((*obj)->fd, offset, length);
  if (st.code() == StatusCode::kNotSupported) {
    co_return st.WithContext("punching a hole in " + (*obj)->path +
                             " (the OST's file system cannot)");
  }
  co_return st.WithContext("punching a hole in " + (*obj)->path);
}

Result<std::optional<uint64_t>> ObjectStore::Seek(ObjectKey key, uint64_t offset, bool hole) {
  Result<ObjectRef> obj = Get(key, /*create=*/false);
  if (obj.status().code() == StatusCode::kNotFound) {
    if (hole) return std::optional<uint64_t>(offset);
    return std::optional<uint64_t>();
  }
  if (!obj.ok()) return obj.status();
  off_t at = ::lseek((*obj)->fd, static_cast<off_t>(offset), hole ? SEEK_HOLE : SEEK_DATA);
  if (at < 0) {
    // ENXIO: at or past the end (SEEK_HOLE: the end itself is the hole), or no data after.
    if (errno == ENXIO) {
      if (hole) return std::optional<uint64_t>(offset);
      return std::optional<uint64_t>();
    }
    return ErrnoStatus("seeking in " + (*obj)->path, errno);
  }
  return std::optional<uint64_t>(static_cast<uint64_t>(at));
}

Result<bool> ObjectStore::Destroy(ObjectKey key) {
  Forget(key);
  std::string path = ObjectPath(key);
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return false;
    return ErrnoStatus("removing " + path, errno);
  }
  objects_.fetch_sub(1, std::memory_order_relaxed);
  return true;
}

Result<ObjectAttr> ObjectStore::GetAttr(ObjectKey key) {
  struct stat st;
  auto it = cache_.find(key);
  int rc = it != cache_.end() ? ::fstat(it->second.obj->fd, &st)
                              : ::stat(ObjectPath(key).c_str(), &st);
  if (rc != 0) {
    if (errno == ENOENT) {
      return Status(StatusCode::kNotFound, "no object " + std::to_string(key.inode) + "." +
                                               std::to_string(key.stripe) + " on " +
                                               label_.Name());
    }
    return ErrnoStatus("stat of object", errno);
  }
  return ObjectAttr{static_cast<uint64_t>(st.st_size), static_cast<uint64_t>(st.st_blocks) * 512};
}

Result<StoreSpace> ObjectStore::Statfs() const {
  struct statvfs vfs;
  if (::statvfs(dir_.c_str(), &vfs) != 0) return ErrnoStatus("statvfs " + dir_, errno);
  StoreSpace s;
  s.bytes_total = uint64_t{vfs.f_blocks} * vfs.f_frsize;
  s.bytes_free = uint64_t{vfs.f_bfree} * vfs.f_frsize;
  s.bytes_avail = uint64_t{vfs.f_bavail} * vfs.f_frsize;
  s.inodes_total = vfs.f_files;
  s.inodes_free = vfs.f_ffree;
  return s;
}

}  // namespace weft::oss
