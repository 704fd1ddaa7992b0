// The low-level FUSE operations: each turns one kernel request into one libweft call.
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "client/fuse/fuse_api.h"
#include "client/fuse/fuse_metrics.h"
#include "client/fuse/fuse_request.h"
#include "client/fuse/weft_fuse.h"
#include "client/layout_xattr.h"

namespace weft::fuse {

using client::Credentials;
using client::FileHandle;
using client::Inode;

// --- what every operation uses (fuse_request.h) ---

FuseFs& Fs(fuse_req_t req) { return *static_cast<FuseFs*>(fuse_req_userdata(req)); }
client::Client& ClientOf(fuse_req_t req) { return *Fs(req).client; }

// The caller: uid and gid from the request, supplementary groups from /proc (libfuse reads
// /proc/PID/task/PID/status), kept for the process's next requests (CallerGroupsCache). A
// request the kernel makes on its own (pid 0) has none.
Credentials CallerOf(fuse_req_t req) {
  const fuse_ctx* ctx = fuse_req_ctx(req);
  Credentials cred;
  cred.uid = ctx->uid;
  cred.gid = ctx->gid;
  if (ctx->pid == 0) return cred;
  CallerGroupsCache& cache = *Fs(req).groups;
  if (std::optional<std::vector<uint32_t>> known = cache.Find(ctx->pid, cred.uid, cred.gid)) {
    cred.groups = std::move(*known);
    return cred;
  }
  gid_t groups[64];
  int n = fuse_req_getgroups(req, 64, groups);
  if (n > 64) {
    std::vector<gid_t> many(static_cast<size_t>(n));
    n = fuse_req_getgroups(req, n, many.data());
    for (int i = 0; i < n && i < static_cast<int>(many.size()); ++i) cred.groups.push_back(many[i]);
  } else {
    for (int i = 0; i < n; ++i) cred.groups.push_back(groups[i]);
  }
  // A failed read (the process is gone, or /proc is not mounted) is not kept.
  if (n >= 0) cache.Note(ctx->pid, cred.uid, cred.gid, cred.groups);
  return cred;
}

namespace {

// The operation this worker thread is serving, for the error count of ReplyErrno: a request
// runs on one thread from its handler to its reply.
thread_local FuseOp current_op = FuseOp::kLookup;

FuseMetrics& MetricsOf(fuse_req_t req) { return *Fs(req).metrics; }

}  // namespace

void Begin(fuse_req_t req, FuseOp op) {
  current_op = op;
  MetricsOf(req).CountMetadata(op);
}

void ReplyErrno(fuse_req_t req, int err) {
  MetricsOf(req).CountError(current_op);
  fuse_reply_err(req, err);
}

void ReplyError(fuse_req_t req, const Status& st) {
  int err = client::ErrnoOf(st);
  ReplyErrno(req, err == 0 ? EIO : err);
}

void ReplyStatus(fuse_req_t req, const Status& st) {
  if (!st.ok()) return ReplyError(req, st);
  fuse_reply_err(req, 0);
}

namespace {

// Times one read or write from its start to its reply (the request is gone by then, so the
// metrics are found at the start); records it when it goes out of scope.
class DataOp {
 public:
  DataOp(fuse_req_t req, FuseOp op)
      : metrics_(MetricsOf(req)), op_(op), start_(std::chrono::steady_clock::now()) {
    current_op = op;
  }
  ~DataOp() {
    auto took = std::chrono::steady_clock::now() - start_;
    if (op_ == FuseOp::kRead) {
      metrics_.RecordRead(bytes_, took);
    } else {
      metrics_.RecordWrite(bytes_, took);
    }
  }
  DataOp(const DataOp&) = delete;
  DataOp& operator=(const DataOp&) = delete;
  void set_bytes(size_t n) { bytes_ = n; }

 private:
  FuseMetrics& metrics_;
  FuseOp op_;
  std::chrono::steady_clock::time_point start_;
  size_t bytes_ = 0;
};

// With `leased_in`, the directory the reply's name is in, when the call that returned it asked
// for a name lease on it: the kernel keeps the name for as long as this mount's lease there
// lasts (docs/client.md, "Name leases"), if that is longer than entry_timeout.
fuse_entry_param EntryOf(fuse_req_t req, const Inode& inode, uint64_t leased_in = 0) {
  fuse_entry_param e;
  std::memset(&e, 0, sizeof e);
  e.ino = inode.ino();
  e.generation = inode.generation();
  client::InodeToStat(inode, &e.attr);
  e.attr_timeout = Fs(req).options->attr_timeout;
  e.entry_timeout = Fs(req).options->entry_timeout;
  if (leased_in != 0) {
    double lease =
        std::chrono::duration<double>(ClientOf(req).NameLeaseRemaining(leased_in)).count();
    e.entry_timeout = std::max(e.entry_timeout, lease);
  }
  return e;
}

void ReplyEntry(fuse_req_t req, const Result<Inode>& inode, uint64_t leased_in = 0) {
  if (!inode.ok()) return ReplyError(req, inode.status());
  fuse_entry_param e = EntryOf(req, *inode, leased_in);
  fuse_reply_entry(req, &e);
}

void ReplyAttr(fuse_req_t req, const Result<Inode>& inode) {
  if (!inode.ok()) return ReplyError(req, inode.status());
  struct stat st;
  client::InodeToStat(*inode, &st);
  fuse_reply_attr(req, &st, Fs(req).options->attr_timeout);
}

// An open directory: its "..". (An open file is an OpenFile, weft_fuse.h.)
struct OpenDir {
  uint64_t parent = 0;
};

OpenFile* FileOf(fuse_file_info* fi) { return reinterpret_cast<OpenFile*>(fi->fh); }

// --- session ---

void Init(void* userdata, fuse_conn_info* conn) {
  auto* fs = static_cast<FuseFs*>(userdata);
  // Large writes and reads: one FUSE request carries up to max_rpc_size (1 MiB by default).
  conn->max_write = static_cast<unsigned>(
      std::min<size_t>(fs->options->client.max_rpc_size, size_t{1} << 20));
  conn->max_readahead = conn->max_write;
  // No writeback cache: with two clients it loses writes (ARCHITECTURE.md, "Client").
  conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
  // The kernel clears setuid/setgid on write by sending a chmod as the writer; the MDS lets
  // anyone who may write make that one change (docs/mds.md, "Attribute changes"). (libfuse
  // 3.14 never passes FUSE_HANDLE_KILLPRIV to the kernel, whatever `want` says.)
  conn->want &= ~FUSE_CAP_HANDLE_KILLPRIV;
  // Truncation at open comes as a setattr before the open, so it goes through the MDS and
  // then the objects like any truncate.
  conn->want &= ~FUSE_CAP_ATOMIC_O_TRUNC;
  if ((conn->capable & FUSE_CAP_PARALLEL_DIROPS) != 0) conn->want |= FUSE_CAP_PARALLEL_DIROPS;
  if ((conn->capable & FUSE_CAP_AUTO_INVAL_DATA) != 0) conn->want |= FUSE_CAP_AUTO_INVAL_DATA;
  if ((conn->capable & FUSE_CAP_READDIRPLUS) != 0) {
    conn->want |= FUSE_CAP_READDIRPLUS | FUSE_CAP_READDIRPLUS_AUTO;
  }
}

// --- names and attributes ---

// Lookup, getattr and read are answered from the client's loop when the call completes
// (Client::LookupAsync and the like): the worker goes back to /dev/fuse at once, and the reply
// does not wait for a worker thread to be woken (about 20-30 µs on the VMs measured).
void Lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  Begin(req, FuseOp::kLookup);
  AsyncReplies& async = Fs(req).async;
  async.Begin();
  ClientOf(req).LookupAsync(CallerOf(req), parent, name,
                            [req, &async, parent](Result<Inode> inode) {
                              current_op = FuseOp::kLookup;
                              ReplyEntry(req, inode, parent);
                              async.End();
                            });
}

void Forget(fuse_req_t req, fuse_ino_t ino, uint64_t) {
  Fs(req).no_caps->Drop(ino);
  fuse_reply_none(req);
}

void ForgetMulti(fuse_req_t req, size_t count, fuse_forget_data* forgets) {
  for (size_t i = 0; i < count; ++i) Fs(req).no_caps->Drop(forgets[i].ino);
  fuse_reply_none(req);
}

void Getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  Begin(req, FuseOp::kGetattr);
  AsyncReplies& async = Fs(req).async;
  async.Begin();
  ClientOf(req).GetattrAsync(CallerOf(req), ino, [req, &async](Result<Inode> inode) {
    current_op = FuseOp::kGetattr;
    ReplyAttr(req, inode);
    async.End();
  });
}

mds::TimeSet TimeOf(int to_set, int set_bit, int now_bit, const struct timespec& ts) {
  mds::TimeSet t;
  if ((to_set & now_bit) != 0) {
    t.set_how(mds::TimeSet::NOW);
  } else if ((to_set & set_bit) != 0) {
    t.set_how(mds::TimeSet::SET);
    t.set_ns(static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec);
  }
  return t;
}

void Setattr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set, fuse_file_info* fi) {
  Begin(req, FuseOp::kSetattr);
  client::SetAttrs a;
  if ((to_set & FUSE_SET_ATTR_MODE) != 0) a.mode = attr->st_mode & 07777;
  if ((to_set & FUSE_SET_ATTR_UID) != 0) a.uid = attr->st_uid;
  if ((to_set & FUSE_SET_ATTR_GID) != 0) a.gid = attr->st_gid;
  a.atime = TimeOf(to_set, FUSE_SET_ATTR_ATIME, FUSE_SET_ATTR_ATIME_NOW, attr->st_atim);
  a.mtime = TimeOf(to_set, FUSE_SET_ATTR_MTIME, FUSE_SET_ATTR_MTIME_NOW, attr->st_mtim);
  client::Client& c = ClientOf(req);
  Credentials cred = CallerOf(req);
  if ((to_set & FUSE_SET_ATTR_SIZE) != 0) {
    // ftruncate(2) on a file opened for writing is allowed whatever the mode bits now say.
    if (fi != nullptr && FileOf(fi) != nullptr) {
      Status st = c.Ftruncate(FileOf(fi)->file, static_cast<uint64_t>(attr->st_size));
      if (!st.ok()) return ReplyError(req, st);
    } else {
      a.size = static_cast<uint64_t>(attr->st_size);
    }
  }
  ReplyAttr(req, c.Setattr(cred, ino, a));
}

void Readlink(fuse_req_t req, fuse_ino_t ino) {
  Begin(req, FuseOp::kReadlink);
  Result<std::string> target = ClientOf(req).Readlink(CallerOf(req), ino);
  if (!target.ok()) return ReplyError(req, target.status());
  fuse_reply_readlink(req, target->c_str());
}

void Mknod(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, dev_t rdev) {
  Begin(req, FuseOp::kMknod);
  ReplyEntry(req,
             ClientOf(req).Mknod(CallerOf(req), parent, name, mode, rdev, fuse_req_ctx(req)->umask),
             parent);
}

void Mkdir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) {
  Begin(req, FuseOp::kMkdir);
  ReplyEntry(req, ClientOf(req).Mkdir(CallerOf(req), parent, name, mode, fuse_req_ctx(req)->umask),
             parent);
}

void Unlink(fuse_req_t req, fuse_ino_t parent, const char* name) {
  Begin(req, FuseOp::kUnlink);
  ReplyStatus(req, ClientOf(req).Unlink(CallerOf(req), parent, name));
}

void Rmdir(fuse_req_t req, fuse_ino_t parent, const char* name) {
  Begin(req, FuseOp::kRmdir);
  ReplyStatus(req, ClientOf(req).Rmdir(CallerOf(req), parent, name));
}

void Symlink(fuse_req_t req, const char* target, fuse_ino_t parent, const char* name) {
  Begin(req, FuseOp::kSymlink);
  ReplyEntry(req, ClientOf(req).Symlink(CallerOf(req), parent, name, target), parent);
}

void Rename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t newparent,
            const char* newname, unsigned int flags) {
  Begin(req, FuseOp::kRename);
  if ((flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE)) != 0) return ReplyErrno(req, EINVAL);
  ReplyStatus(req, ClientOf(req).Rename(CallerOf(req), parent, name, newparent, newname, flags));
}

void Link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char* newname) {
  Begin(req, FuseOp::kLink);
  ReplyEntry(req, ClientOf(req).Link(CallerOf(req), ino, newparent, newname), newparent);
}

void Access(fuse_req_t req, fuse_ino_t ino, int mask) {
  Begin(req, FuseOp::kAccess);
  ReplyStatus(req, ClientOf(req).Access(CallerOf(req), ino, static_cast<uint32_t>(mask)));
}

void Statfs(fuse_req_t req, fuse_ino_t) {
  Begin(req, FuseOp::kStatfs);
  Result<client::FsStats> s = ClientOf(req).Statfs(CallerOf(req));
  if (!s.ok()) return ReplyError(req, s.status());
  struct statvfs v;
  std::memset(&v, 0, sizeof v);
  constexpr uint64_t kBlock = 4096;
  v.f_bsize = 1 << 20;  // the preferred I/O size: one RPC
  v.f_frsize = kBlock;
  v.f_blocks = s->bytes_total / kBlock;
  v.f_bfree = s->bytes_free / kBlock;
  v.f_bavail = s->bytes_avail / kBlock;
  v.f_files = s->inodes_total;
  v.f_ffree = s->inodes_free;
  v.f_favail = s->inodes_free;
  v.f_namemax = s->name_max;
  fuse_reply_statfs(req, &v);
}

// --- files ---

// After a reply to open or create that failed (the opener went away, interrupted): ends the
// open we made.
void EndUnrepliedOpen(FuseFs& fs, fuse_file_info* fi) {
  std::unique_ptr<OpenFile> of = fs.open_files.Take(FileOf(fi));
  if (of != nullptr) (void)fs.client->Close(of->file);
}

void ReplyOpen(fuse_req_t req, fuse_file_info* fi, FileHandle file) {
  FuseFs& fs = Fs(req);  // every reply frees req, even a failed one
  fi->fh = reinterpret_cast<uint64_t>(fs.open_files.Add(std::move(file)));
  // Close-to-open: what this node has cached may be stale; drop it at every open.
  fi->keep_cache = 0;
  fi->direct_io = 0;
  if (fuse_reply_open(req, fi) != 0) EndUnrepliedOpen(fs, fi);
}

void Create(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode,
            fuse_file_info* fi) {
  Begin(req, FuseOp::kCreate);
  auto created = ClientOf(req).Create(CallerOf(req), parent, name, mode & 07777,
                                      static_cast<uint32_t>(fi->flags), fuse_req_ctx(req)->umask);
  if (!created.ok()) return ReplyError(req, created.status());
  // A new file has no security.capability: the write(2)s that follow need not ask the MDS.
  Fs(req).no_caps->NoteAbsent(created->first.ino());
  fuse_entry_param e = EntryOf(req, created->first, parent);
  FuseFs& fs = Fs(req);  // every reply frees req, even a failed one
  fi->fh = reinterpret_cast<uint64_t>(fs.open_files.Add(std::move(created->second)));
  fi->keep_cache = 0;
  if (fuse_reply_create(req, &e, fi) != 0) EndUnrepliedOpen(fs, fi);
}

void Open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  Begin(req, FuseOp::kOpen);
  Result<FileHandle> file =
      ClientOf(req).Open(CallerOf(req), ino, static_cast<uint32_t>(fi->flags));
  if (!file.ok()) return ReplyError(req, file.status());
  // Close-to-open: the size the kernel has cached may be another client's old one, and reads
  // stop at it. Drop the cached attributes (only those: a negative offset) so the next read
  // or stat asks again; and what this mount knew of the file's capabilities.
  fuse_lowlevel_notify_inval_inode(Fs(req).session, ino, -1, 0);
  Fs(req).no_caps->Drop(ino);
  ReplyOpen(req, fi, std::move(*file));
}

// One read answered from the client's loop: its buffer and its timing live until the reply.
struct AsyncRead {
  AsyncRead(fuse_req_t r, size_t size) : req(r), buf(new char[size]), op(r, FuseOp::kRead) {}
  fuse_req_t req;
  std::unique_ptr<char[]> buf;
  DataOp op;
};

void Read(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info* fi) {
  auto read = std::make_shared<AsyncRead>(req, size);
  AsyncReplies& async = Fs(req).async;
  async.Begin();
  char* buf = read->buf.get();
  ClientOf(req).PreadAsync(FileOf(fi)->file, buf, size, static_cast<uint64_t>(off),
                           [read = std::move(read), &async](Result<size_t> n) mutable {
                             current_op = FuseOp::kRead;
                             if (!n.ok()) {
                               ReplyError(read->req, n.status());
                             } else {
                               read->op.set_bytes(*n);
                               fuse_reply_buf(read->req, read->buf.get(), *n);
                             }
                             read.reset();  // the timing is recorded before the session may end
                             async.End();
                           });
}

void Write(fuse_req_t req, fuse_ino_t, const char* data, size_t size, off_t off,
           fuse_file_info* fi) {
  DataOp op(req, FuseOp::kWrite);
  Result<size_t> n =
      ClientOf(req).Pwrite(FileOf(fi)->file, data, size, static_cast<uint64_t>(off));
  if (!n.ok()) return ReplyError(req, n.status());
  op.set_bytes(*n);
  fuse_reply_write(req, *n);
}

// close(2) of one descriptor: the size this node wrote goes to the MDS now, so that the next
// opener anywhere sees the whole file (close-to-open).
void Flush(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  Begin(req, FuseOp::kFlush);
  ReplyStatus(req, ClientOf(req).Flush(FileOf(fi)->file));
}

void Release(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  Begin(req, FuseOp::kRelease);
  std::unique_ptr<OpenFile> of = Fs(req).open_files.Take(FileOf(fi));
  if (of == nullptr) return ReplyErrno(req, EBADF);
  ReplyStatus(req, ClientOf(req).Close(of->file));
}

void Fsync(fuse_req_t req, fuse_ino_t, int, fuse_file_info* fi) {
  Begin(req, FuseOp::kFsync);
  ReplyStatus(req, ClientOf(req).Fsync(FileOf(fi)->file));
}

// [from, to) of the file reads as zeros: holes punched on the OSTs, or zeros written where an
// OST's file system cannot punch.
Status ZeroRange(client::Client& c, const FileHandle& file, uint64_t from, uint64_t to) {
  Status punched = c.PunchHole(file, from, to - from);
  if (punched.code() != StatusCode::kNotSupported) return punched;
  static const std::vector<char> zeros(size_t{1} << 20, 0);
  for (uint64_t at = from; at < to;) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(to - at, zeros.size()));
    Result<size_t> w = c.Pwrite(file, zeros.data(), n, at);
    if (!w.ok()) return w.status();
    at += n;
  }
  return Status::Ok();
}

// fallocate: mode 0 extends the size (space on the OSTs is allocated as data arrives: Weft
// does not reserve it, so KEEP_SIZE alone has nothing to do). PUNCH_HOLE|KEEP_SIZE punches the
// part of the range inside the file on the OSTs (Client::PunchHole); ZERO_RANGE does the same
// and, without KEEP_SIZE, extends the size to the range's end. Where an OST's file system
// cannot punch, zeros are written instead (they then take space). COLLAPSE_RANGE and
// INSERT_RANGE are refused (EOPNOTSUPP), as by most network file systems.
void Fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset, off_t length,
               fuse_file_info* fi) {
  Begin(req, FuseOp::kFallocate);
  if (offset < 0 || length <= 0) return ReplyErrno(req, EINVAL);
  client::Client& c = ClientOf(req);
  const FileHandle& file = FileOf(fi)->file;
  uint64_t end = static_cast<uint64_t>(offset) + static_cast<uint64_t>(length);
  bool keep_size = (mode & FALLOC_FL_KEEP_SIZE) != 0;
  int op = mode & ~FALLOC_FL_KEEP_SIZE;
  if (op != 0 && op != FALLOC_FL_PUNCH_HOLE && op != FALLOC_FL_ZERO_RANGE) {
    return ReplyErrno(req, EOPNOTSUPP);
  }
  if (op == FALLOC_FL_PUNCH_HOLE && !keep_size) return ReplyErrno(req, EOPNOTSUPP);  // as Linux
  if (op == 0 && keep_size) return (void)fuse_reply_err(req, 0);
  Result<Inode> inode = c.Getattr(CallerOf(req), ino);
  if (!inode.ok()) return ReplyError(req, inode.status());
  if (op != 0) {
    uint64_t inside = std::min(end, inode->size());
    if (static_cast<uint64_t>(offset) < inside) {
      Status zeroed = ZeroRange(c, file, static_cast<uint64_t>(offset), inside);
      if (!zeroed.ok()) return ReplyError(req, zeroed);
    }
    if (op == FALLOC_FL_PUNCH_HOLE || keep_size) return (void)fuse_reply_err(req, 0);
  }
  if (end <= inode->size()) return (void)fuse_reply_err(req, 0);
  ReplyStatus(req, c.Ftruncate(file, end));
}

// lseek: the kernel asks only for SEEK_DATA and SEEK_HOLE (it moves the position itself for
// the others); the objects on the OSTs say where their data and holes are (Client::Seek).
void Lseek(fuse_req_t req, fuse_ino_t, off_t offset, int whence, fuse_file_info* fi) {
  Begin(req, FuseOp::kLseek);
  if (whence != SEEK_DATA && whence != SEEK_HOLE) return ReplyErrno(req, EINVAL);
  if (offset < 0) return ReplyErrno(req, ENXIO);
  Result<std::optional<uint64_t>> at = ClientOf(req).Seek(FileOf(fi)->file,
                                                          static_cast<uint64_t>(offset),
                                                          whence == SEEK_HOLE);
  if (!at.ok()) return ReplyError(req, at.status());
  if (!at->has_value()) return ReplyErrno(req, ENXIO);
  fuse_reply_lseek(req, static_cast<off_t>(**at));
}

// --- directories ---

void Opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  Begin(req, FuseOp::kOpendir);
  Result<Inode> dir = ClientOf(req).Getattr(CallerOf(req), ino);
  if (!dir.ok()) return ReplyError(req, dir.status());
  if (dir->type() != mds::DIRECTORY) return ReplyErrno(req, ENOTDIR);
  fi->fh = reinterpret_cast<uint64_t>(new OpenDir{dir->parent() != 0 ? dir->parent() : ino});
  // Listings are not cached across opens: another client may have changed the directory.
  fi->cache_readdir = 0;
  fi->keep_cache = 0;
  if (fuse_reply_open(req, fi) != 0) delete reinterpret_cast<OpenDir*>(fi->fh);
}

// Offsets: "." is 0 → 1, ".." is 1 → 2, every other entry's offset is its MDS cookie (the
// resume point after it; never 1 or 2).
void ReaddirAny(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi,
                bool plus) {
  std::vector<char> buf(size);
  size_t used = 0;
  auto add = [&](const char* name, const struct stat& st, const fuse_entry_param* e,
                 off_t next) -> bool {
    size_t n = plus ? fuse_add_direntry_plus(req, buf.data() + used, size - used, name, e, next)
                    : fuse_add_direntry(req, buf.data() + used, size - used, name, &st, next);
    if (n > size - used) return false;
    used += n;
    return true;
  };
  const auto* dir = reinterpret_cast<const OpenDir*>(fi->fh);
  if (off < 2) {
    struct stat st;
    std::memset(&st, 0, sizeof st);
    st.st_mode = S_IFDIR;
    fuse_entry_param e;
    std::memset(&e, 0, sizeof e);
    e.attr.st_mode = S_IFDIR;
    if (off == 0) {
      st.st_ino = ino;
      e.attr.st_ino = ino;
      if (!add(".", st, &e, 1)) return (void)fuse_reply_buf(req, buf.data(), used);
    }
    st.st_ino = dir->parent;
    e.attr.st_ino = dir->parent;
    if (!add("..", st, &e, 2)) return (void)fuse_reply_buf(req, buf.data(), used);
  }
  uint64_t cookie = off <= 2 ? 0 : static_cast<uint64_t>(off);
  // About as many entries as fit: a short name's record is 32 bytes, with attributes 160.
  uint32_t want = static_cast<uint32_t>(std::max<size_t>(size / (plus ? 160 : 32), 1));
  Result<client::DirPage> page = ClientOf(req).Readdir(CallerOf(req), ino, cookie, want, plus);
  if (!page.ok()) {
    if (used > 0) return (void)fuse_reply_buf(req, buf.data(), used);
    return ReplyError(req, page.status());
  }
  for (const client::DirEntry& d : page->entries) {
    struct stat st;
    std::memset(&st, 0, sizeof st);
    st.st_ino = d.ino;
    st.st_mode = client::FileTypeMode(d.type);
    fuse_entry_param e;
    std::memset(&e, 0, sizeof e);
    if (plus) {
      if (d.inode) {
        e = EntryOf(req, *d.inode);
      } else {
        // The inode went between the listing and its attributes: list the name only (an
        // entry with ino 0 is not remembered by the kernel).
        e.attr = st;
      }
    }
    if (!add(d.name.c_str(), st, &e, static_cast<off_t>(d.cookie))) break;
  }
  fuse_reply_buf(req, buf.data(), used);
}

void Readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
  Begin(req, FuseOp::kReaddir);
  ReaddirAny(req, ino, size, off, fi, false);
}

void Readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
  Begin(req, FuseOp::kReaddirplus);
  ReaddirAny(req, ino, size, off, fi, true);
}

void Releasedir(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  Begin(req, FuseOp::kReleasedir);
  delete reinterpret_cast<OpenDir*>(fi->fh);
  fuse_reply_err(req, 0);
}

void Fsyncdir(fuse_req_t req, fuse_ino_t ino, int, fuse_file_info*) {
  Begin(req, FuseOp::kFsync);
  // Every namespace change is durable before the MDS answers it; attribute changes are made
  // durable here (docs/mds.md, "Attribute changes").
  ReplyStatus(req, ClientOf(req).FsyncDir(CallerOf(req), ino));
}

fuse_lowlevel_ops MakeOps() {
  fuse_lowlevel_ops ops;
  std::memset(&ops, 0, sizeof ops);
  ops.init = Init;
  ops.lookup = Lookup;
  ops.forget = Forget;
  ops.forget_multi = ForgetMulti;
  ops.getattr = Getattr;
  ops.setattr = Setattr;
  ops.readlink = Readlink;
  ops.mknod = Mknod;
  ops.mkdir = Mkdir;
  ops.unlink = Unlink;
  ops.rmdir = Rmdir;
  ops.symlink = Symlink;
  ops.rename = Rename;
  ops.link = Link;
  ops.open = Open;
  ops.read = Read;
  ops.write = Write;
  ops.flush = Flush;
  ops.release = Release;
  ops.fsync = Fsync;
  ops.opendir = Opendir;
  ops.readdir = Readdir;
  ops.readdirplus = Readdirplus;
  ops.releasedir = Releasedir;
  ops.fsyncdir = Fsyncdir;
  ops.statfs = Statfs;
  ops.setxattr = Setxattr;
  ops.getxattr = Getxattr;
  ops.listxattr = Listxattr;
  ops.removexattr = Removexattr;
  ops.access = Access;
  ops.create = Create;
  ops.fallocate = Fallocate;
  ops.lseek = Lseek;
  // No getlk/setlk/flock: the kernel keeps locks itself, local to this mount.
  return ops;
}

}  // namespace

const fuse_lowlevel_ops* WeftFuseOps() {
  static const fuse_lowlevel_ops ops = MakeOps();
  return &ops;
}

}  // namespace weft::fuse
